// A hit counter that needs Redis, for check's "dependencies come from the same manifests" case: the
// redis Deployment next to it in deploy/all.yaml runs too, reached through its Service name. The
// Redis protocol is spoken by hand (INCR only) so the fixture has no dependencies of its own.
import { createServer } from 'node:http';
import { connect } from 'node:net';

const [host, port] = (process.env.REDIS_ADDR ?? 'redis:6379').split(':');
const redis = connect(Number(port), host);
const waiting = [];
redis.on('data', (d) => { for (const line of d.toString().split('\r\n').filter(Boolean)) waiting.shift()?.(line); });
redis.on('error', (e) => { console.error(`redis ${e.message}`); process.exit(1); });
redis.on('end', () => { console.error('redis closed the connection'); process.exit(1); });
const incr = () => new Promise((resolve) => { waiting.push(resolve); redis.write('INCR hits\r\n'); });

const server = createServer(async (req, res) => {
  const reply = await incr(); // ":<n>" on success, "-ERR …" otherwise
  res.statusCode = reply.startsWith(':') ? 200 : 500;
  res.end(reply.startsWith(':') ? reply.slice(1) : reply);
});
server.listen(Number(process.env.PORT ?? 8080));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
