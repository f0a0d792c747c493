import { containerName, type RuleContext } from '../context.js';
import { RULES, type RuleId } from '../catalog.js';
import { isSimple, PACKAGE_MANAGERS, shapeOf, shellBehaviour, shellKind, shellStaysPid1, TRAPS_TERM, withExecLast, words, type CommandShape } from '../command.js';
import { imageArgv, type DockerfileInfo, type EntrypointScript, type ImageCommand } from '../dockerfile.js';
import { dockerfileFor, type Container } from '../model.js';
import { execArgv, execFormFor, resolveScript, type PackageJson } from '../package-scripts.js';
import type { Severity } from '../types.js';

// PID 1: SIGTERM must reach a process that acts on it. A shell or a package manager in between
// swallows it; a program without a handler ignores it as PID 1 (the kernel has no default action for
// PID 1); either way the pod is SIGKILLed when the grace period ends.
// Package managers: nodejs/docker-node docs/BestPractices.md ("CMD": bypass npm start). The shells'
// and npm's behaviour was measured in a PID namespace (docs/doctor.md, "PID 1: what each shell does").
// Fixes are the ones that work: the program itself in exec form, or `exec` on the last command of a
// shell line. Never `CMD ["npm","start"]` (npm stays PID 1), never a `&&` list split into an array, and
// no init in front of a shell (tini passes SIGTERM to the shell, which dies without passing it on).

type Instruction = 'CMD' | 'command:';
/** `argv`: the fixed command as data (for a manifest's patch), when the fix is one */
interface WrapperFinding { id: 'pid1-shell-wrapper' | 'pid1-package-manager'; severity: Severity; why: string; fix: string; argv?: string[] }

const quote = (argv: string[]) => argv.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ');

/**
 * The shell line in a form that keeps the app as PID 1: a single plain command in exec form; anything
 * else keeps its shell with `exec` on the last command (a Dockerfile shell-form line stays shell form).
 */
function shellFix(shape: CommandShape, instruction: Instruction, shellForm: boolean): string {
  const s = shape.shell!;
  if (isSimple(s.script)) return `${instruction} ${JSON.stringify(words(s.script))}`;
  const line = shellForm ? `${instruction} ${withExecLast(s.script)}` : `${instruction} ${JSON.stringify([...shape.argv.slice(0, -1), withExecLast(s.script)])}`;
  return s.list ? `${line} (the shell runs the first steps, then \`exec\` makes the app PID 1)` : line;
}

function packageManagerFinding(shape: CommandShape, image: string | undefined, pkg: PackageJson | undefined, instruction: Instruction, what: string): WrapperFinding {
  const pm = shape.program;
  const call = quote([pm, ...shape.programArgs]);
  const resolved = resolveScript(pm, shape.programArgs, pkg);
  const front = shape.shell && shellStaysPid1(shape.shell, image) !== 'no' ? `keeps a shell as PID 1 (${shellBehaviour(shape.shell, image)}); behind it, ` : '';
  const runs = resolved ? `\`${call}\` runs \`${resolved.text}\` (${resolved.source})` : `\`${call}\` runs a package.json script`;
  const fix = resolved
    ? `Run what the script runs, as PID 1: ${execFormFor(resolved.text, instruction)}. Not ${instruction} ["${pm}", …]: that keeps ${pm} as PID 1.`
    : `Run the program the script starts directly in exec form, e.g. ${instruction} ["node", "dist/index.js"] (pass --dockerfile with the package.json beside it to get the exact line). Not ${instruction} ["${pm}", …]: that keeps ${pm} as PID 1.`;
  // npm 7+ passes SIGTERM to its script's shell; busybox sh (Alpine) has exec'd the app by then, so it
  // arrives (measured: npm 10, busybox 1.35). dash dies of it without passing it on.
  const fixed = resolved ? execArgv(resolved.text) : undefined;
  const argv = fixed && !fixed.env.length ? { argv: fixed.argv } : {};
  const alpineNpm = !front && pm === 'npm' && (shape.shell ? shellKind(shape.shell.binary, image) === 'busybox' : shellKind('sh', image) === 'busybox');
  if (alpineNpm) {
    return { ...argv, id: 'pid1-package-manager', severity: 'info', fix,
      why: `${what} ${runs} with npm as PID 1. On this Alpine image npm 7+ passes SIGTERM to the script's busybox sh, which has exec'd the app, so the app gets it; npm 6, yarn and an image change to a Debian base (dash) lose it, and npm reaps no zombies` };
  }
  return { ...argv, id: 'pid1-package-manager', severity: 'error', fix,
    why: `${what} ${front}${runs} as a child of ${pm}: on SIGTERM ${pm} signals the script's \`sh -c\`, and dash (/bin/sh on Debian-based images such as node:20) exits without passing it on, so the app is killed when ${pm} exits instead of draining` };
}

/** A finding when the argv keeps a shell or a package manager in front of the app as PID 1. */
function wrapperFinding(shape: CommandShape, image: string | undefined, pkg: PackageJson | undefined, instruction: Instruction, what: string, shellForm = false): WrapperFinding | undefined {
  if (shape.init) return undefined; // an init forwards SIGTERM; what it runs is its own question
  if (PACKAGE_MANAGERS.has(shape.program)) return packageManagerFinding(shape, image, pkg, instruction, what);
  const s = shape.shell;
  if (!s || TRAPS_TERM.test(s.script)) return undefined; // a script with its own TERM trap is a supervisor, not a wrapper
  const stays = shellStaysPid1(s, image);
  if (stays === 'no') return undefined;
  const line = `\`${quote(shape.argv.slice(s.argvIndex, -1))} "${s.script}"\``;
  const cause = s.lastNotExecable ? 'its last command cannot replace the shell (a pipeline, background job, or builtin)' : shellBehaviour(s, image);
  return {
    ...(s.lastNotExecable ? {} : { argv: isSimple(s.script) ? words(s.script) : [...shape.argv.slice(s.argvIndex, -1), withExecLast(s.script)] }),
    id: 'pid1-shell-wrapper', severity: stays === 'bash-before-5.1' ? 'warning' : 'error',
    why: `${what} runs ${line}: ${cause}, so the shell ${stays === 'bash-before-5.1' ? 'may stay' : 'stays'} PID 1, does not pass SIGTERM on, and the pod is SIGKILLed when the grace period ends`,
    fix: s.lastNotExecable ? 'Make the app the last command and start it with `exec` (or run it in exec form).' : shellFix(shape, instruction, shellForm),
  };
}

const commandPath = (c: Container, from: string) => [...c.path, from === 'args' ? 'args' : 'command'];

function manifestCommand(ctx: RuleContext, c: Container): void {
  const p = ctx.profile(c);
  const cmd = p.command;
  if (!cmd || cmd.from !== 'command') return; // the Dockerfile rule covers the image's own command
  const f = wrapperFinding(cmd, c.spec.image, dockerfileFor(ctx.model, c)?.packageJson, 'command:', containerName(c));
  if (!f) return;
  const sigkills = ctx.evidence.cite('without-pid1', [['SIGKILLs', (s) => s.sigkills], ['resets in the deploy window', (s) => s.windowCounts.reset]]);
  // the fixed argv replaces command and args together (args were part of what ran)
  const patch = f.argv ? [{ path: [...c.path, 'command'], value: f.argv }, ...(Array.isArray(c.spec.args) ? [{ path: [...c.path, 'args'], value: null }] : [])] : undefined;
  ctx.report(f.id, c.workload, commandPath(c, cmd.from), `${f.why}; ${sigkills}.`, f.fix, f.severity, patch);
}

/** Whether the command keeps a wrapper in front of the app (then the wrapper's finding says it all). */
function wrapped(c: Container, ctx: RuleContext): boolean {
  const cmd = ctx.profile(c).command;
  if (!cmd) return false;
  const image = cmd.from === 'command' ? c.spec.image : dockerfileFor(ctx.model, c)?.image;
  return wrapperFinding(cmd, image, undefined, 'command:', '') !== undefined;
}

function signalHandling(ctx: RuleContext, c: Container): void {
  const p = ctx.profile(c);
  const w = c.workload;
  const path = p.command?.from === 'command' ? [...c.path, 'command'] : c.path;
  if (p.sigterm === 'not-handled') {
    ctx.report('pid1-no-sigterm-handler', w, path,
      `${containerName(c)}: ${p.sigtermWhy}, and nothing else is PID 1 to act on it, so SIGTERM is ignored and every rollout waits out ${p.graceS.value} s of grace, then SIGKILLs; ${ctx.evidence.cite('before', [['SIGKILLs', (s) => s.sigkills]])}.`,
      p.lab ? 'Add pid1 to LAB_FIXES (the app then handles SIGTERM), or run it under an init (tini, `shareProcessNamespace: true`).'
        : 'Handle SIGTERM in the app, or run it under an init such as tini (ENTRYPOINT ["tini", "--"]).');
  } else if (p.sigterm === 'unknown' && !wrapped(c, ctx)) {
    ctx.report('pid1-sigterm-unknown', w, path,
      `${containerName(c)}: ${p.sigtermWhy}; as PID 1 a program without its own handler ignores SIGTERM and is SIGKILLed after ${p.graceS.value} s.`,
      'Confirm the app handles SIGTERM (send one to a running container: it must start its shutdown), or run it under an init such as tini (ENTRYPOINT ["tini", "--"]).');
  }
}

/** The instruction a Dockerfile finding points at: a shell-form one, else the one that names the program. */
function anchor(df: DockerfileInfo): ImageCommand | undefined {
  const shellForm = [df.entrypoint, df.cmd].find((ic) => ic?.form === 'shell');
  if (shellForm) return shellForm;
  if (df.entrypoint && !df.entrypointScript?.passesThrough) return df.entrypoint;
  return df.cmd ?? df.entrypoint;
}

interface DockerfileFinding { ic: ImageCommand; id: RuleId; severity: Severity; why: string; fix: string }

/** What the image's own command does to SIGTERM (a finding when a script, shell or package manager holds PID 1). */
function dockerfileFinding(df: DockerfileInfo): DockerfileFinding | undefined {
  const argv = imageArgv(df, undefined);
  // a script of the build context that runs the app without `exec` stays PID 1 (ENTRYPOINT, or CMD's program)
  const scripts: [ImageCommand | undefined, EntrypointScript | undefined][] = [[df.entrypoint, df.entrypointScript], [df.cmd, df.cmdScript]];
  for (const [ic, script] of scripts) {
    if (!ic || !script || script.passesThrough || script.trapsTerm) continue;
    if (ic === df.cmd && argv?.[0] !== df.cmd?.argv[0]) continue; // CMD is only arguments of an ENTRYPOINT
    const last = words(script.lastLine);
    const execs = last[0] === 'exec';
    const runs = shapeOf(execs ? last.slice(1) : last);
    if (PACKAGE_MANAGERS.has(runs.program)) {
      const resolved = resolveScript(runs.program, runs.programArgs, df.packageJson);
      return { ic, id: 'pid1-package-manager', severity: 'error',
        why: `${ic.instruction} runs ${script.file}, whose last command \`${script.lastLine}\` leaves ${runs.program} as PID 1${resolved ? ` in front of \`${resolved.text}\` (${resolved.source})` : ''}: ${runs.program} passes SIGTERM to its script's \`sh -c\`, and dash (Debian-based images) exits without passing it on`,
        fix: resolved ? `End ${script.file} with \`${withExecLast(resolved.text)}\` instead of \`${script.lastLine}\`.` : `End ${script.file} with \`exec node <the file its script starts>\` instead of \`${script.lastLine}\`.` };
    }
    if (execs) continue;
    return { ic, id: 'pid1-shell-wrapper', severity: 'error',
      why: `${ic.instruction} runs ${script.file}, whose last command \`${script.lastLine}\` is not exec'd: the script's shell stays PID 1 (no shell execs the last command of a script file: measured with dash, bash and busybox sh) and does not pass SIGTERM on`,
      fix: ic === df.entrypoint ? `End ${script.file} with \`exec "$@"\` (CMD then becomes PID 1) or start its last command with \`exec\`.` : `Start the last command of ${script.file} with \`exec\`.` };
  }
  const ic = anchor(df);
  if (!argv || !ic) return undefined;
  const what = `\`${ic.instruction} ${ic.text}\`${ic.form === 'shell' ? ' (shell form)' : ''}`;
  const f = wrapperFinding(shapeOf(argv), df.image, df.packageJson, 'CMD', what, ic.form === 'shell');
  if (!f) return undefined;
  // a shell-form line keeps its own id: CI baselines key on it
  const id = f.id === 'pid1-shell-wrapper' && ic.form === 'shell' ? 'pid1-dockerfile-shell-form' : f.id;
  return { ic, id, severity: f.severity, why: f.why, fix: ic.instruction === 'ENTRYPOINT' ? f.fix.replace(/\bCMD\b/g, 'ENTRYPOINT') : f.fix };
}

/** Each Dockerfile read (--dockerfile, or the ones found for the input's images) once. */
function dockerfileCommand(ctx: RuleContext): void {
  const all = new Set([ctx.model.dockerfile, ...ctx.model.imageDockerfiles.values()]);
  for (const df of all) {
    const f = df && dockerfileFinding(df);
    if (!df || !f) continue;
    ctx.push({
      id: f.id, lever: RULES[f.id].lever, severity: f.severity, file: df.file, object: `Dockerfile/${f.ic.instruction}`, path: `${f.ic.instruction} (line ${f.ic.line})`,
      why: `${f.why}; ${ctx.evidence.cite('without-pid1', [['SIGKILLs', (s) => s.sigkills]])}.`, fix: f.fix,
    }, f.ic.line);
  }
}

/**
 * Whether the app behind this pid1 error serves on until the SIGKILL: a shell that stays PID 1 (no
 * handler, so the kernel drops SIGTERM) or an app without a handler, yes. npm/yarn/pnpm as PID 1 do get
 * SIGTERM and pass it to the script's `sh -c`, which dies of it; the package manager then exits and the
 * app dies with the namespace at once, undrained (docs/doctor.md, "PID 1: what each shell does"): its
 * listener is gone early, so a preStop still matters there.
 */
function servesUntilSigkill(id: RuleId, shape: CommandShape | undefined, image: string | undefined): boolean {
  return id !== 'pid1-package-manager' || (shape?.shell !== undefined && shellStaysPid1(shape.shell, image) !== 'no');
}

/**
 * The pid1 error that says PID 1 ignores SIGTERM in `c`, if the doctor reports one: a shell that stays
 * PID 1, or an app without a handler. Until that is fixed the app serves on until the SIGKILL at the end
 * of the grace period, so no listener closes early and the preStop findings are info (readiness.ts).
 */
export function sigtermBlockedBy(ctx: RuleContext, c: Container): RuleId | undefined {
  const p = ctx.profile(c);
  if (p.sigterm === 'not-handled') return 'pid1-no-sigterm-handler';
  const cmd = p.command;
  const df = dockerfileFor(ctx.model, c);
  if (cmd?.from === 'command') {
    const f = wrapperFinding(cmd, c.spec.image, df?.packageJson, 'command:', '');
    return f?.severity === 'error' && servesUntilSigkill(f.id, cmd, c.spec.image) ? f.id : undefined;
  }
  // the image's own command: its finding holds unless manifest args replace the CMD it is about
  const f = cmd && df && cmd.from === df.file ? dockerfileFinding(df) : undefined;
  return f?.severity === 'error' && (f.ic === df?.entrypoint || !Array.isArray(c.spec.args)) && servesUntilSigkill(f.id, cmd, df?.image) ? f.id : undefined;
}

export function pid1Rules(ctx: RuleContext): void {
  for (const c of ctx.containers()) {
    manifestCommand(ctx, c);
    signalHandling(ctx, c);
  }
  dockerfileCommand(ctx);
}
