import { CLASSES, type ClassCounts } from '../../loadtest/classes.js';

// Progress on stderr so stdout stays clean for piping. A TTY gets one line rewritten in place;
// anything else (CI logs, files) gets plain lines, at most one per interval unless the phase changes.

export interface ProgressState {
  arm: string;
  rep: number;
  reps: number;
  phase: string;
  rollout?: string;
  counts?: ClassCounts;
  startedAt: number;
  /** estimated end of the whole invocation, epoch ms */
  etaAt?: number;
}

const fmtS = (ms: number) => `${Math.max(0, Math.round(ms / 1000))}s`;

export function formatProgress(s: ProgressState, now = Date.now()): string {
  const counts = s.counts
    ? CLASSES.filter((c) => c === 'ok' || s.counts![c] > 0).map((c) => `${c}=${s.counts![c]}`).join(' ')
    : '';
  const parts = [
    `[${s.arm} rep ${s.rep}/${s.reps}]`,
    s.phase,
    s.rollout ? `rollout ${s.rollout}` : '',
    counts,
    `elapsed ${fmtS(now - s.startedAt)}`,
    s.etaAt ? `remaining ~${fmtS(s.etaAt - now)}` : '',
  ];
  return parts.filter(Boolean).join(' | ');
}

export class Progress {
  private state: ProgressState | undefined;
  private lastPlain = 0;
  private lastPhase = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly plainEveryMs = 5000,
  ) {}

  private get tty(): boolean {
    return Boolean(this.out.isTTY);
  }

  update(patch: Partial<ProgressState>): void {
    if (!this.state && !patch.arm) return;
    this.state = { ...(this.state as ProgressState), ...patch };
    const phaseChanged = this.state.phase !== this.lastPhase;
    this.lastPhase = this.state.phase;
    if (this.tty) this.out.write(`\r\x1b[2K${formatProgress(this.state)}`);
    else if (phaseChanged || Date.now() - this.lastPlain >= this.plainEveryMs) {
      this.lastPlain = Date.now();
      this.out.write(`${formatProgress(this.state)}\n`);
    }
    // keep elapsed/remaining ticking on a TTY even when nothing else changes
    if (this.tty && !this.timer) this.timer = setInterval(() => this.update({}), 1000).unref();
  }

  /** A permanent line (not overwritten). */
  log(line: string): void {
    if (this.tty) this.out.write(`\r\x1b[2K${line}\n`);
    else this.out.write(`${line}\n`);
    if (this.tty && this.state) this.out.write(formatProgress(this.state));
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty && this.state) this.out.write('\n');
    this.state = undefined;
  }
}
