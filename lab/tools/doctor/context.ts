import type { FieldPath, K8sObject } from './documents.js';
import type { Deregistration } from './deregistration.js';
import type { Evidence } from './evidence.js';
import { RULES, type RuleId } from './catalog.js';
import { dockerfileFor, fmtPath, type Container, type Model, type Workload } from './model.js';
import { profileOf, type AppProfile } from './profile.js';
import type { Finding, PatchOp, Severity } from './types.js';

// What every rule gets: the model, the evidence, the settings, and one way to report a finding.

/** Line of each finding in its file, for SARIF regions; kept out of the Finding shape that `check` relies on. */
export const findingLines = new WeakMap<Finding, number>();

export class RuleContext {
  readonly findings: Finding[] = [];
  private readonly profiles = new Map<Container, AppProfile>();

  constructor(
    readonly model: Model,
    readonly evidence: Evidence,
    readonly deregistration: Deregistration,
    readonly drainS: number | undefined,
  ) {}

  profile(c: Container): AppProfile {
    let p = this.profiles.get(c);
    if (!p) this.profiles.set(c, (p = profileOf(c, dockerfileFor(this.model, c), this.drainS)));
    return p;
  }

  *containers(): Generator<Container> {
    for (const w of this.model.workloads) yield* w.containers;
  }

  /** A finding on a workload field (path relative to the object root); `patch` is the fix as data. */
  report(id: RuleId, w: Workload, path: FieldPath, why: string, fix: string, severity?: Severity, patch?: PatchOp[]): void {
    this.reportOn(id, w.src, path, why, fix, severity, patch);
  }

  /** A finding on any object of the input. */
  reportOn(id: RuleId, o: K8sObject, path: FieldPath, why: string, fix: string, severity?: Severity, patch?: PatchOp[]): void {
    const f: Finding = { id, lever: RULES[id].lever, severity: severity ?? RULES[id].severity, file: o.file, object: `${o.kind}/${o.name}`, path: fmtPath(path), why, fix };
    if (patch?.length) f.patch = patch;
    this.push(f, o.line(path));
  }

  push(f: Finding, line: number): void {
    findingLines.set(f, line);
    this.findings.push(f);
  }
}

export const containerName = (c: Container) => `container "${c.spec.name ?? c.index}"`;

/** Severity for a finding about traffic: info, with the reason, when only monitoring reaches the container (routing.ts). */
export const METRICS_ONLY_NOTE = ' (only monitoring reaches it: metrics ports, by name, annotation or the app\'s own metrics flag, or ports of an exporter or of its kube-rbac-proxy that Prometheus scrapes; a scrape missed during a rollout is a gap in a graph, not a failed user request, hence info)';
