// Stand-in for dist/service/main.js while the service is being written: the same plugin, the
// same /slow contract, nothing else. Tests pick the real service as soon as it is built.
import Fastify from 'fastify';
import { register } from 'prom-client';
import { configPlugin, slowDefaultMs } from '../../service/config/plugin.js';
import { createLogger } from '../../common/log.js';

const log = createLogger('fixture-service');
const app = Fastify({ loggerInstance: log });
await app.register(configPlugin);
app.get('/metrics', async (_req, reply) => reply.type(register.contentType).send(await register.metrics()));
app.get('/fast', async () => ({ ok: true }));
app.get('/readyz', async () => ({ ready: true }));
app.get('/slow', async (req) => {
  const q = (req.query as { ms?: string }).ms;
  const ms = q === undefined ? slowDefaultMs(req) : Number(q);
  await new Promise((r) => setTimeout(r, ms));
  return { sleptMs: ms, configVersion: req.labConfig.version };
});
process.on('SIGTERM', () => { void app.close().then(() => process.exit(0)); });
await app.listen({ port: Number(process.env.PORT), host: process.env.HOST ?? '127.0.0.1' });
log.info({ event: 'listening' }, 'listening');
