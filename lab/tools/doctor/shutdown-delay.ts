import { basename } from 'node:path';
import type { CommandShape } from './command.js';
import type { Container } from './model.js';
import { imageBase } from './routing.js';

// Servers that keep serving for a while after SIGTERM before they close their listeners. That wait is
// what a preStop sleep gives the routing layer to stop sending, so it counts towards the preStop the
// deregistration delay asks for. Each entry names its source; a program not listed waits for nothing.

/** seconds, and where that figure comes from */
interface Delay { value: number; from: string }

/** `--name=value` or `--name value` among the program's arguments, else the environment variable. */
function setting(c: Container, args: readonly string[], flag: string, envName: string): string | undefined {
  for (const [i, a] of args.entries()) {
    if (a.startsWith(`${flag}=`)) return a.slice(flag.length + 1);
    if (a === flag) return args[i + 1];
  }
  const e = Array.isArray(c.spec.env) ? c.spec.env.find((x: any) => x?.name === envName) : undefined;
  return typeof e?.value === 'string' ? e.value : undefined;
}

const KNOWN: Record<string, (c: Container, args: readonly string[]) => Delay | undefined> = {
  // stefanprodan/podinfo pkg/signals/shutdown.go: on SIGTERM it fails /readyz and sleeps 3 s before shutting
  // its servers down, unless the log level is debug (flag --level, env PODINFO_LEVEL through viper)
  podinfo: (c, args) => (setting(c, args, '--level', 'PODINFO_LEVEL') === 'debug' ? undefined
    : { value: 3, from: 'podinfo\'s own wait: it sleeps 3 s after SIGTERM before closing its servers (pkg/signals/shutdown.go; not at --level=debug)' }),
};

/** The app's own wait after SIGTERM, from its program (or, when the image decides the command, its image name). */
export function builtinShutdownDelay(c: Container, shape: CommandShape | undefined): Delay | undefined {
  const program = shape ? basename(shape.program) : imageBase(c.spec.image);
  return KNOWN[program]?.(c, shape?.programArgs ?? (Array.isArray(c.spec.args) ? c.spec.args.map(String) : []));
}
