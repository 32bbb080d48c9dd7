/**
 * Progress of a long analyze run on stderr. On a terminal: one bar line redrawn in place (at most 10 times a second),
 * cleared before any other line is printed and left as a final summary. Anywhere else (a log file, CI, a cluster
 * pod's log): a plain line every `intervalMs` — a redrawn bar would be thousands of `\r` fragments in a log.
 */
export interface ProgressIo {
  err(text: string): void;
  readonly isTTY: boolean;
  /** Terminal width (columns), when known. */
  readonly columns?: number;
  readonly now?: () => number;
}

const fmtTime = (s: number): string => {
  if (!Number.isFinite(s)) return '?';
  const t = Math.round(s);
  return t >= 3600
    ? `${Math.floor(t / 3600)} h ${Math.floor((t % 3600) / 60)} min`
    : t >= 60
      ? `${Math.floor(t / 60)} min ${t % 60} s`
      : `${t} s`;
};

export class Progress {
  private done = 0;
  private failed = 0;
  private readonly start: number;
  private lastDraw = -Infinity;
  private drawn = false;
  private readonly now: () => number;

  constructor(
    private readonly io: ProgressIo,
    private readonly total: number,
    private readonly intervalMs = 10_000,
  ) {
    this.now = io.now ?? (() => performance.now());
    this.start = this.now();
  }

  private stats() {
    const elapsed = (this.now() - this.start) / 1000;
    const rate = elapsed > 0 ? this.done / elapsed : 0;
    const eta = rate > 0 ? (this.total - this.done) / rate : Infinity;
    const pct = this.total ? Math.floor((100 * this.done) / this.total) : 100;
    return { elapsed, rate, eta, pct };
  }

  /** One image finished (`ok` false: it got an error entry). */
  tick(ok: boolean): void {
    this.done++;
    if (!ok) this.failed++;
    const t = this.now();
    if (this.io.isTTY) {
      if (t - this.lastDraw >= 100 || this.done === this.total) this.draw(t);
    } else if (t - this.lastDraw >= this.intervalMs) {
      this.lastDraw = t;
      const { rate, eta, pct } = this.stats();
      this.io.err(
        `analyze: ${this.done}/${this.total} images (${pct} %), ${this.failed} failed, ${rate.toFixed(2)} images/s, about ${fmtTime(eta)} left\n`,
      );
    }
  }

  private draw(t: number): void {
    this.lastDraw = t;
    const { rate, eta, pct } = this.stats();
    const text = ` ${this.done}/${this.total} ${pct}% · ${rate.toFixed(2)} img/s · ${this.failed} failed · ${this.done === this.total ? 'done' : `ETA ${fmtTime(eta)}`}`;
    const width = Math.max(10, Math.min(40, (this.io.columns ?? 80) - text.length - 3));
    const filled = this.total ? Math.round((width * this.done) / this.total) : width;
    this.io.err(`\r\x1b[2K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]${text}`);
    this.drawn = true;
  }

  /** Prints a line (stderr or stdout through `write`) without tearing the bar: clear it, print, redraw. */
  log(write: (text: string) => void, text: string): void {
    if (this.io.isTTY && this.drawn) this.io.err('\r\x1b[2K');
    write(text);
    if (this.io.isTTY && this.drawn) this.draw(this.now());
  }

  /** Leaves the bar as a finished line (terminal) and returns the run's rate for the summary. */
  finish(): { seconds: number; rate: number } {
    const { elapsed, rate } = this.stats();
    if (this.io.isTTY && this.drawn) {
      this.draw(this.now());
      this.io.err('\n');
    }
    return { seconds: elapsed, rate };
  }
}
