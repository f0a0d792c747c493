// The same orders service, fixed for rolling deploys: it is PID 1 itself (exec-form command), says
// when it is ready, and on SIGTERM finishes what it has: keep-alive clients are told to close
// (Connection: close) before the listener closes, so no request meets a closed socket.
const http = require('node:http');

const port = Number(process.env.PORT || 8080);
// In a cluster, and under `check` where each pod gets its own network namespace, HOST is unset and
// the service listens on every interface; `check --pod-network loopback` (for machines without
// root) passes each replica its own address in HOST instead.
const host = process.env.HOST || '0.0.0.0';
const startupMs = Number(process.env.STARTUP_MS || 1500);
// How long to keep answering (with Connection: close) after SIGTERM before closing the listener:
// long enough for every pooled keep-alive connection to carry one more request and be closed by its client.
const drainMs = Number(process.env.DRAIN_MS || 3000);
const deadlineMs = Number(process.env.SHUTDOWN_DEADLINE_MS || 20000);
// Keep an idle connection open LONGER than any proxy in front keeps it for reuse (ingress-nginx and
// AWS ALB: 60 s). Node before v26 closes after 5 s, and the proxy then writes requests onto sockets
// being closed: 502s between deploys. headersTimeout stays above it.
const keepAliveMs = Number(process.env.KEEPALIVE_TIMEOUT_MS || 65000);
let orders = 0;
let ready = false;
let draining = false;

function handle(req, res) {
  if (draining) res.setHeader('connection', 'close');
  if (req.method === 'GET' && req.url === '/health') return res.end('ok');
  if (req.method === 'GET' && req.url === '/readyz') { res.statusCode = ready && !draining ? 200 : 503; return res.end(ready && !draining ? 'ready' : 'not ready'); }
  if (req.method === 'GET' && req.url === '/orders') {
    return setTimeout(() => { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify({ orders })); }, 20);
  }
  if (req.method === 'POST' && req.url === '/orders') {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => setTimeout(() => {
      orders++;
      res.statusCode = 201;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ id: orders, bytes: body.length }));
    }, 50));
    return undefined;
  }
  res.statusCode = 404;
  return res.end('not found');
}

const server = http.createServer(handle);
server.keepAliveTimeout = keepAliveMs;
server.headersTimeout = keepAliveMs + 1000;

process.once('SIGTERM', () => {
  console.log('SIGTERM: draining');
  draining = true;
  // bounded: whatever happens, exit before the kubelet's SIGKILL (terminationGracePeriodSeconds 30)
  setTimeout(() => { console.log('deadline: forcing exit'); process.exit(1); }, deadlineMs).unref();
  setTimeout(() => {
    server.close(() => { console.log('all connections closed'); process.exit(0); });
  }, drainMs);
});

setTimeout(() => {
  server.listen(port, host, () => { ready = true; console.log(`listening on ${host}:${port}`); });
}, startupMs);
