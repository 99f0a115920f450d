/**
 * A one-line progress bar for `modelver eval` / `modelver compare` on a terminal: rows done/total,
 * rows/s and the time left, redrawn in place at most 10 times a second. Only when stderr is a TTY and
 * the output is not --json; never on a pipe, so logs and CI output stay clean.
 */

/** what the bar writes to: process.stderr, or a stand-in in tests */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

export interface RowsProgress {
  rowsDone: number;
  rowsTotal: number;
}

export interface ProgressBarOptions {
  /** shown before the bar (e.g. the model's name) */
  label?: string;
  /** least time between redraws, ms (default 100: at most ~10 a second) */
  minIntervalMs?: number;
  /** clock, ms (tests) */
  now?: () => number;
}

const BAR_WIDTH = 24;

function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function duration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 60) return `${Math.ceil(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export class ProgressBar {
  private readonly now: () => number;
  private readonly minInterval: number;
  private start: number | undefined;
  private lastDraw = -Infinity;
  private drawn = false;
  /** lines drawn so far (tests) */
  draws = 0;

  constructor(
    private readonly stream: ProgressStream,
    private label = '',
    opts: Omit<ProgressBarOptions, 'label'> = {},
  ) {
    this.now = opts.now ?? (() => performance.now());
    this.minInterval = opts.minIntervalMs ?? 100;
  }

  /** a new phase (another model in a comparison): the rate starts over */
  restart(label: string): void {
    this.label = label;
    this.start = undefined;
    this.lastDraw = -Infinity;
  }

  update(p: RowsProgress): void {
    const t = this.now();
    this.start ??= t;
    const last = p.rowsDone >= p.rowsTotal;
    if (!last && t - this.lastDraw < this.minInterval) return;
    this.lastDraw = t;
    this.stream.write('\r' + this.line(p, t) + '\x1b[K');
    this.drawn = true;
    this.draws++;
  }

  /** the text of the bar for `p` at time `t` */
  line(p: RowsProgress, t = this.now()): string {
    const total = Math.max(0, p.rowsTotal);
    const done = Math.min(Math.max(0, p.rowsDone), total);
    const frac = total > 0 ? done / total : 1;
    const filled = Math.round(frac * BAR_WIDTH);
    const secs = this.start === undefined ? 0 : (t - this.start) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const eta = done >= total ? 'done' : rate > 0 ? `ETA ${duration((total - done) / rate)}` : 'ETA ?';
    const parts = [
      this.label ? `${this.label} ` : '',
      `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] `,
      `${count(done)}/${count(total)} rows `,
      `${String(Math.round(frac * 100)).padStart(3)}%  `,
      rate > 0 ? `${count(rate)} rows/s  ` : '',
      eta,
    ];
    let s = parts.join('');
    const cols = this.stream.columns;
    if (cols && cols > 10 && s.length > cols - 1) s = s.slice(s.length - (cols - 1));
    return s;
  }

  /** clears the line (call when done or failed, before printing anything else) */
  done(): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}

/** A bar when `stream` is a terminal and the output is for people; undefined otherwise. */
export function progressBarFor(stream: ProgressStream | undefined, opts: { json?: boolean; label?: string; env?: NodeJS.ProcessEnv } = {}): ProgressBar | undefined {
  const env = opts.env ?? process.env;
  if (!stream || stream.isTTY !== true || opts.json || env.TERM === 'dumb' || env.MODELVER_NO_PROGRESS) return undefined;
  return new ProgressBar(stream, opts.label ?? '');
}
