import { isLabError } from '../../../common/errors.js';
import { formatText, runDoctor, type Finding } from '../doctor/index.js';

// The one place `check` meets `doctor` (lab/tools/doctor, the static manifest review): its
// findings for the same manifests go next to the measured failures. A doctor that cannot read
// the input says so in the report instead of looking like "no findings".

export type DoctorFinding = Finding;

export interface DoctorResult {
  available: boolean;
  findings: DoctorFinding[];
  text: string;
}

/**
 * `deregistrationS`: a deregistration delay that was measured or modeled as the time until the
 * routing layer stopped sending the pod requests — never the time until its endpoint was removed
 * (that is the pod's whole shutdown, and would size preStop to it). The cluster mode has no such
 * measurement and passes none; doctor then says which load-balancer profile it used.
 */
export async function doctorFindings(paths: string[], opts: { dockerfile?: string; deregistrationS?: number; drainS?: number } = {}): Promise<DoctorResult> {
  if (paths.length === 0) return { available: false, findings: [], text: 'doctor: no --manifests given, nothing to review' };
  try {
    const report = await runDoctor({ paths, ...opts });
    return { available: true, findings: report.findings, text: formatText(report) };
  } catch (e) {
    if (!isLabError(e)) throw e;
    return { available: false, findings: [], text: `doctor could not review the manifests: ${e.message}` };
  }
}
