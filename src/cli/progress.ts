/**
 * A progress line on stderr for long steps: shown only when stderr is a TTY, not with --quiet,
 * and only once a step has run for a second (short steps print nothing). Redrawn at most every
 * 100 ms with a carriage return; cleared when the step ends. Messages (`note`) always go to
 * stderr unless quiet, on their own line.
 */
export class Progress {
  private readonly tty: boolean;
  private readonly quiet: boolean;
  private readonly out: NodeJS.WriteStream;
  private step = '';
  private stepStart = 0;
  private lastDraw = 0;
  private drawn = false;
  private readonly t0 = performance.now();
  private timer: ReturnType<typeof setInterval> | undefined;
  private fraction: number | undefined;
  private detail = '';

  constructor(options: { quiet?: boolean; stream?: NodeJS.WriteStream } = {}) {
    this.out = options.stream ?? process.stderr;
    this.quiet = options.quiet ?? false;
    this.tty = !this.quiet && Boolean(this.out.isTTY);
  }

  /** Seconds since this Progress was made. */
  get elapsed(): number {
    return (performance.now() - this.t0) / 1000;
  }

  /** Starts (or renames) the current step. */
  start(step: string): void {
    if (step !== this.step) {
      this.clear();
      this.step = step;
      this.stepStart = performance.now();
      this.fraction = undefined;
      this.detail = '';
      // Steps that await (reading, writing) are redrawn by a timer, so that their elapsed time
      // shows even without updates; synchronous steps redraw from their own updates.
      if (this.tty && this.timer === undefined) {
        this.timer = setInterval(() => this.draw(), 250);
        this.timer.unref?.();
      }
    }
  }

  /** Updates the current step: `fraction` in [0, 1] draws a bar, `detail` is shown after it. */
  update(fraction?: number, detail = ''): void {
    this.fraction = fraction;
    this.detail = detail;
    this.draw();
  }

  private draw(): void {
    if (!this.tty || this.step === '') return;
    const fraction = this.fraction, detail = this.detail;
    const now = performance.now();
    if (now - this.stepStart < 1000 || now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const width = 24;
    let bar = '';
    if (fraction !== undefined && Number.isFinite(fraction)) {
      const f = Math.min(1, Math.max(0, fraction));
      const filled = Math.round(f * width);
      bar = ` [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(100 * f).toFixed(0).padStart(3)} %`;
    }
    const secs = ((now - this.stepStart) / 1000).toFixed(1);
    const cols = this.out.columns ?? 80;
    const line = `${this.step}${bar}${detail ? ` ${detail}` : ''} (${secs} s)`.slice(0, cols - 1);
    this.out.write(`\r${line}\x1b[K`);
    this.drawn = true;
  }

  /** Ends the current step (clears its line). */
  done(): void {
    this.clear();
    this.step = '';
    if (this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** A message on its own line (not with --quiet). */
  note(message: string): void {
    if (this.quiet) return;
    this.clear();
    this.out.write(message + '\n');
  }

  private clear(): void {
    if (this.drawn) {
      this.out.write('\r\x1b[K');
      this.drawn = false;
    }
  }
}
