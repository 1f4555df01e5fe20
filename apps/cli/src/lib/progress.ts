/**
 * Progress on standard error for long jobs: a bar-like line redrawn in place on a terminal, a
 * plain line every few seconds otherwise (so logs of CI runs stay readable).
 */
const REDRAW_MS = 200;
const PLAIN_MS = 5_000;

export class Progress {
  #count = 0;
  #last = 0;
  readonly #start = Date.now();
  readonly #tty = process.stderr.isTTY === true;

  constructor(readonly label: string, readonly write: (s: string) => void, readonly total?: number) {}

  add(n: number): void {
    this.#count += n;
    const now = Date.now();
    if (now - this.#last >= (this.#tty ? REDRAW_MS : PLAIN_MS)) {
      this.#last = now;
      this.#draw(false);
    }
  }

  done(): void {
    if (this.#count > 0 && (this.#tty || Date.now() - this.#start > PLAIN_MS)) this.#draw(true);
  }

  #draw(final: boolean): void {
    const secs = Math.max((Date.now() - this.#start) / 1000, 0.001);
    const rate = Math.round(this.#count / secs);
    let bar = '';
    if (this.total !== undefined && this.total > 0) {
      const frac = Math.min(1, this.#count / this.total);
      const w = 24;
      bar = `[${'#'.repeat(Math.round(frac * w)).padEnd(w, '.')}] ${(frac * 100).toFixed(0)}% `;
    }
    const text = `${bar}${this.label} ${this.#count.toLocaleString('en-US')}${this.total ? ' of ' + this.total.toLocaleString('en-US') : ''} (${rate.toLocaleString('en-US')}/s)`;
    this.write(this.#tty ? `\r${text}${final ? '\n' : ''}` : `${text}\n`);
  }
}
