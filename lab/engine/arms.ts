import { LEVERS, type Lever } from '../../common/levers.js';
import { LabError } from '../../common/errors.js';

// An arm is a set of levers. Every arm has a kustomize overlay under k8s/arms/<name> and a rendered
// manifest under k8s/rendered/<name>.yaml; both targets run exactly that file.
export interface Arm {
  readonly name: string;
  readonly levers: readonly Lever[];
  readonly title: string;
}

const ladder: Arm[] = LEVERS.slice(0, -1).map((_, i) => ({
  name: `ladder-${i + 1}-${LEVERS[i]}`,
  levers: LEVERS.slice(0, i + 1),
  title: `+ ${LEVERS.slice(0, i + 1).join(' + ')}`,
}));

const leaveOneOut: Arm[] = LEVERS.map((l) => ({
  name: `without-${l}`,
  levers: LEVERS.filter((x) => x !== l),
  title: `all but ${l}`,
}));

export const BEFORE: Arm = { name: 'before', levers: [], title: 'before (no levers)' };
export const AFTER: Arm = { name: 'after', levers: [...LEVERS], title: 'after (all levers)' };

/** Ladder order: before, then one lever added at a time, ending at after. */
export const LADDER: readonly Arm[] = [BEFORE, ...ladder, AFTER];
/** after, then all-but-one for each lever. */
export const LEAVE_ONE_OUT: readonly Arm[] = [AFTER, ...leaveOneOut];
export const ARMS: readonly Arm[] = [BEFORE, ...ladder, AFTER, ...leaveOneOut];

export function findArm(name: string): Arm {
  const arm = ARMS.find((a) => a.name === name);
  if (!arm) throw new LabError('LAB_UNKNOWN_ARM', `"${name}"; valid arms are ${ARMS.map((a) => a.name).join(', ')}`);
  return arm;
}
