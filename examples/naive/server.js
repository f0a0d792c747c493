// A small orders service written the way many are: plain node:http, no signal handling, no
// readiness endpoint. It takes a moment to start (loading config, warming caches), as real ones do.
const http = require('node:http');

const port = Number(process.env.PORT || 8080);
// In a cluster, and under `check` where each pod gets its own network namespace, HOST is unset and
// the service listens on every interface; `check --pod-network loopback` (for machines without
// root) passes each replica its own address in HOST instead.
const host = process.env.HOST || '0.0.0.0';
const startupMs = Number(process.env.STARTUP_MS || 1500);
let orders = 0;

function handle(req, res) {
  if (req.method === 'GET' && req.url === '/health') return res.end('ok');
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

setTimeout(() => {
  http.createServer(handle).listen(port, host, () => console.log(`listening on ${host}:${port}`));
}, startupMs);
