import { register } from 'node:module';

// `node --import dist/test/kind/k6-shim/register.js dist/test/kind/k6-shim/run.js <script>`: the
// k6 modules resolve to the shim (hooks.ts).
register(new URL('./hooks.js', import.meta.url));
