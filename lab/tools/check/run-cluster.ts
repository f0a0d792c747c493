import { LabError } from '../../../common/errors.js';
import type { Measurement } from './measurement.js';
import type { CheckOptions } from './options.js';

export async function runClusterCheck(o: CheckOptions, x: { runId: string; say: (l: string) => void }): Promise<Measurement | undefined> {
  void x;
  throw new LabError('LAB_BAD_OPTION', `cluster mode for ${o.context} not implemented yet`);
}
