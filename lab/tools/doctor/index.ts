// The doctor's API (issue 14); `check` (issue 16) calls runDoctor and formatText.
export type { DoctorReport, Finding, DoctorOptions, Severity, DoctorLever, PatchOp } from './types.js';
export { runDoctor } from './run.js';
export { formatText } from './format-text.js';
export { formatSarif } from './format-sarif.js';
export { RULES } from './catalog.js';
export { IGNORE_ANNOTATION } from './model.js';
