// A minimal node:http service that `check` was not written for (ESM, its own port variable, a
// TCP readiness probe, an HTTPRoute instead of an Ingress). Its one convention the local mode
// relies on: it listens on HOST when that is set, as many services already do.
import { createServer } from 'node:http';

const port = Number(process.env.PING_PORT ?? 9000);
const server = createServer((req, res) => {
  if (req.url === '/ping') return res.end('pong');
  res.statusCode = 404;
  return res.end();
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
server.listen(port, process.env.HOST ?? '0.0.0.0');
