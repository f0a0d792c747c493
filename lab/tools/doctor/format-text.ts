import { IGNORE_ANNOTATION } from './model.js';
import type { DoctorReport, Finding } from './types.js';

// Human output: findings grouped by file, worst first; one summary line; the Dockerfiles found; what was not checked.

const LABEL = { error: 'ERROR  ', warning: 'WARNING', info: 'INFO   ' } as const;

function block(f: Finding): string {
  return [`  ${LABEL[f.severity]} ${f.id}  ${f.object}  ${f.path}`, `          why: ${f.why}`, `          fix: ${f.fix}`].join('\n');
}

export function summaryLine(r: DoctorReport): string {
  const n = (s: Finding['severity']) => r.findings.filter((f) => f.severity === s).length;
  if (!r.findings.length) return 'doctor: no findings';
  const files = new Set(r.findings.map((f) => f.file)).size;
  return `doctor: ${r.findings.length} finding(s) in ${files} file(s): ${n('error')} error, ${n('warning')} warning, ${n('info')} info`;
}

export function formatText(r: DoctorReport): string {
  const out: string[] = [];
  let file: string | undefined;
  for (const f of r.findings) {
    if (f.file !== file) {
      if (file !== undefined) out.push('');
      out.push(f.file);
      file = f.file;
    }
    out.push(block(f));
  }
  if (out.length) out.push('');
  out.push(summaryLine(r));
  // which Dockerfile was read for which image (without --dockerfile), and which could not be
  for (const n of r.dockerfiles ?? []) out.push(`dockerfile: ${n.message}`);
  if (r.ignored.length) {
    const list = r.ignored.map((i) => `${i.kind}/${i.name} (${i.file})`).join(', ');
    out.push(`not checked (a kind no rule reads, or annotated ${IGNORE_ANNOTATION}): ${list}`);
  }
  return `${out.join('\n')}\n`;
}
