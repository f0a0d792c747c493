import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { LabError } from '../../common/errors.js';
import type { LoadTarget } from '../../loadtest/generator.js';

/** The request that proves a path serves, and which statuses count as an answer. */
export interface ServingCheck {
  method: string;
  path: string;
  body?: string | null;
  ok(status: number): boolean;
}

/** The lab's own service: GET /fast answers 200. */
export const LAB_SERVING_CHECK: ServingCheck = { method: 'GET', path: '/fast', ok: (s) => s === 200 };

/**
 * Without a readiness probe a pod counts as ready before it listens (as in Kubernetes), so a run
 * waits until the check answers five times in a row on every path before the load starts: it
 * measures deploys, not the cluster's boot.
 */
export async function waitServing(targets: readonly LoadTarget[], timeoutMs: number, check: ServingCheck = LAB_SERVING_CHECK): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const t of targets) {
    const pool = new Pool(t.origin, t.connect ? { connect: t.connect } : {});
    try {
      let streak = 0;
      let last = '';
      while (streak < 5) {
        if (Date.now() > deadline) throw new LabError('LAB_TIMEOUT', `${check.method} ${check.path} via ${t.path} did not answer within ${timeoutMs} ms (last: ${last})`);
        try {
          const r = await pool.request({ path: check.path, method: check.method as 'GET', body: check.body ?? null, reset: true, headersTimeout: 2000, bodyTimeout: 2000 });
          await r.body.arrayBuffer();
          last = `HTTP ${r.statusCode}`;
          streak = check.ok(r.statusCode) ? streak + 1 : 0;
        } catch (e) {
          last = String((e as NodeJS.ErrnoException).code ?? e);
          streak = 0;
        }
        await sleep(100);
      }
    } finally {
      await pool.destroy();
    }
  }
}
