import { isLabError, LabError } from '../../../common/errors.js';
import { parseOptions, parseOrExit, usage } from '../../engine/args.js';
import { formatSarif } from './format-sarif.js';
import { formatText } from './format-text.js';
import { DEFAULT_LB, LB_PROFILES } from './lb-profiles.js';
import { deregistrationFor, runDoctor } from './run.js';
import { SEVERITIES, severityRank, type DoctorOptions, type Severity } from './types.js';

// `npm run lab -- doctor <file|dir|->...`: exit 0 clean, 1 findings at or above --fail-on, 2 bad input.

export const DOCTOR_OPTIONS = {
  dockerfile: { type: 'string', arg: 'F', help: "also check the image's CMD/ENTRYPOINT (used for containers without a command); without it, each image's Dockerfile is found through a skaffold.yaml near the manifests" },
  lb: { type: 'string', arg: 'PROFILE', help: `your routing path, to size preStop from its deregistration delay: ${LB_PROFILES.map((p) => p.id).join(', ')} (default: ${DEFAULT_LB}, said in the output)` },
  'deregistration-s': { type: 'string', arg: 'N', help: 'your measured deregistration delay p99, seconds (overrides --lb)' },
  'drain-s': { type: 'string', arg: 'N', help: "the app's drain deadline, seconds, when no known env var says it" },
  json: { type: 'flag', help: 'machine output: the report as JSON' },
  sarif: { type: 'flag', help: 'machine output: SARIF 2.1.0 for code-scanning UIs' },
  'fail-on': { type: 'choice', choices: SEVERITIES, default: 'error', help: 'exit 1 when a finding is at least this severe' },
  help: { type: 'flag', short: 'h', help: 'this text' },
} as const;

export const DOCTOR_USAGE = usage(`usage: npm run lab -- doctor <file|dir|->... [options]   (make doctor FILE=…)
  Checks Kubernetes manifests (multi-document YAML; a kustomize directory is rendered with kubectl) for the
  five deploy-window failure modes and hot-reload mounts; rules: docs/doctor.md.
  exit: 0 clean, 1 findings at or above --fail-on, 2 bad input`, DOCTOR_OPTIONS);

interface DoctorArgs { options: DoctorOptions; format: 'text' | 'json' | 'sarif'; failOn: Severity; help: boolean }

function secondsOption(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(raw)) throw new LabError('LAB_BAD_OPTION', `--${name} needs a number of seconds, got "${raw}"`);
  return Number(raw);
}

export function parseDoctorArgs(argv: string[]): DoctorArgs {
  const { values: v, positionals } = parseOptions(DOCTOR_OPTIONS, argv, { positionals: true });
  if (v.json && v.sarif) throw new LabError('LAB_BAD_OPTION', '--json and --sarif exclude each other');
  const options: DoctorOptions = { paths: positionals };
  if (v.dockerfile !== undefined) options.dockerfile = v.dockerfile;
  const dereg = secondsOption('deregistration-s', v.deregistrationS);
  if (dereg !== undefined) options.deregistrationS = dereg;
  if (v.lb !== undefined) options.lb = v.lb;
  const drain = secondsOption('drain-s', v.drainS);
  if (drain !== undefined) options.drainS = drain;
  if (!v.help && !options.paths.length) throw new LabError('LAB_BAD_OPTION', 'doctor needs at least one file, directory or - (stdin)');
  return { options, format: v.sarif ? 'sarif' : v.json ? 'json' : 'text', failOn: v.failOn, help: v.help };
}

export async function doctor(argv: string[]): Promise<number> {
  const args = parseOrExit(argv, DOCTOR_USAGE, () => parseDoctorArgs(argv));
  if (typeof args === 'number') return args;
  try {
    const report = await runDoctor(args.options);
    const dereg = deregistrationFor(args.options);
    if (args.format === 'sarif') process.stdout.write(formatSarif(report));
    else if (args.format === 'json') {
      const settings = { deregistrationS: dereg.seconds, deregistrationFrom: dereg.from, deregistrationAssumed: dereg.assumed ?? null, drainS: args.options.drainS ?? null };
      process.stdout.write(`${JSON.stringify({ ...report, settings }, null, 2)}\n`);
    } else {
      process.stderr.write(`doctor: deregistration delay ${dereg.seconds} s from ${dereg.from}${args.options.drainS === undefined ? '' : `; --drain-s ${args.options.drainS}`}\n`);
      process.stdout.write(formatText(report));
    }
    // whatever the format, an assumed routing path is said where a person reads it
    if (dereg.assumed) process.stderr.write(`doctor: ${dereg.assumed}\n`);
    return report.findings.some((f) => severityRank(f.severity) >= severityRank(args.failOn)) ? 1 : 0;
  } catch (e) {
    if (!isLabError(e)) throw e;
    process.stderr.write(`${e.message}\n`); // an input file that is not a manifest: no usage to show
    return 2;
  }
}
