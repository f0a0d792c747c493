import { containerName, type RuleContext } from '../context.js';
import { RULES } from '../catalog.js';
import { PACKAGE_MANAGERS } from '../command.js';
import type { ImageCommand } from '../dockerfile.js';
import type { Container } from '../model.js';

// PID 1: SIGTERM must reach a process that acts on it. A shell or a package manager in between
// swallows it; a program without a handler ignores it as PID 1 (the kernel has no default action for
// PID 1); either way the pod is SIGKILLed when the grace period ends.
// Package managers: nodejs/docker-node docs/BestPractices.md ("CMD": bypass npm start).

const commandPath = (c: Container, from: string) => [...c.path, from === 'args' ? 'args' : 'command'];

function shellAndPackageManager(ctx: RuleContext, c: Container): void {
  const p = ctx.profile(c);
  const cmd = p.command;
  if (!cmd || cmd.from !== 'command') return; // the Dockerfile rules cover the image's own command
  const w = c.workload;
  const sigkills = ctx.evidence.cite('without-pid1', [['SIGKILLs', (s) => s.sigkills], ['resets in the deploy window', (s) => s.windowCounts.reset]]);
  if (cmd.shell && !cmd.shell.execs) {
    ctx.report('pid1-shell-wrapper', w, commandPath(c, cmd.from),
      `${containerName(c)} runs \`${cmd.argv.slice(0, 2).join(' ')} "${cmd.shell.script}"\`: the shell is PID 1, does not pass SIGTERM on, and the pod is SIGKILLed when the grace period ends; ${sigkills}.`,
      `Use the exec form, e.g. command: ${JSON.stringify([cmd.program, ...cmd.programArgs])}, or start the script's last line with \`exec\`.`);
  }
  if (PACKAGE_MANAGERS.has(cmd.program)) {
    ctx.report('pid1-package-manager', w, commandPath(c, cmd.from),
      `${containerName(c)} starts the app through \`${cmd.program} ${cmd.programArgs.join(' ')}\`, which runs it as a child behind \`sh -c\` and does not forward SIGTERM; the app is SIGKILLed at the end of the grace period as with a shell wrapper (${sigkills}).`,
      'Run the program directly in exec form (e.g. ["node", "dist/main.js"]) instead of the package script.');
  }
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
  } else if (p.sigterm === 'unknown' && !(p.command?.shell && !p.command.shell.execs) && !PACKAGE_MANAGERS.has(p.command?.program ?? '')) {
    ctx.report('pid1-sigterm-unknown', w, path,
      `${containerName(c)}: ${p.sigtermWhy}; as PID 1 a program without its own handler ignores SIGTERM and is SIGKILLed after ${p.graceS.value} s.`,
      'Confirm the app handles SIGTERM (send one to a running container: it must start its shutdown), or run it under tini.');
  }
}

function dockerfileForm(ctx: RuleContext): void {
  const df = ctx.model.dockerfile;
  if (!df) return;
  const check = (ic: ImageCommand | undefined) => {
    if (!ic || ic.form !== 'shell') return;
    const f = {
      id: 'pid1-dockerfile-shell-form', lever: RULES['pid1-dockerfile-shell-form'].lever, severity: RULES['pid1-dockerfile-shell-form'].severity,
      file: df.file, object: `Dockerfile/${ic.instruction}`, path: `${ic.instruction} (line ${ic.line})`,
      why: `\`${ic.instruction} ${ic.text}\` is the shell form: the image runs \`${ic.argv.slice(0, -1).join(' ')} "…"\` as PID 1, which does not pass SIGTERM on; ${ctx.evidence.cite('without-pid1', [['SIGKILLs', (s) => s.sigkills]])}.`,
      fix: `Write it in exec form: ${ic.instruction} ${JSON.stringify(ic.text.replace(/^exec\s+/, '').split(/\s+/))}.`,
    };
    ctx.push(f, ic.line);
  };
  check(df.entrypoint);
  check(df.cmd);
}

export function pid1Rules(ctx: RuleContext): void {
  for (const c of ctx.containers()) {
    shellAndPackageManager(ctx, c);
    signalHandling(ctx, c);
  }
  dockerfileForm(ctx);
}
