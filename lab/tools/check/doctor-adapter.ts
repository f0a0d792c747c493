// The one place `check` meets `doctor` (lab/tools/doctor, the static manifest review). Until that
// module is on main this adapter answers "not available" with the same shapes, so the report
// says so instead of showing an empty list as if doctor had found nothing.

export interface DoctorFinding {
  id: string;
  lever: string;
  severity: string;
  file: string;
  object: string;
  path: string;
  why: string;
  fix: string;
}

export interface DoctorResult {
  available: boolean;
  findings: DoctorFinding[];
  text: string;
}

export async function doctorFindings(paths: string[], opts: { deregistrationS?: number; drainS?: number } = {}): Promise<DoctorResult> {
  void paths;
  void opts;
  return { available: false, findings: [], text: 'doctor: not available in this build (lab/tools/doctor is not merged yet)' };
}
