/** Shared helpers for benchmarks: timing loops, machine description, one line per figure. */
import { cpus, totalmem } from 'node:os';

export function machine(): string {
  const c = cpus();
  return `node ${process.version}, ${c.length} cpu (${c[0]?.model.trim() ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB`;
}

/** Runs `fn` repeatedly for at least `minMs` (after a warm-up) and returns operations per second. */
export function opsPerSecond(fn: () => void, opts: { minMs?: number; batch?: number } = {}): number {
  const minMs = opts.minMs ?? 1000;
  const batch = opts.batch ?? 100;
  for (let i = 0; i < batch; i++) fn();
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < batch; i++) fn();
    n += batch;
    elapsed = performance.now() - start;
  } while (elapsed < minMs);
  return (n * 1000) / elapsed;
}

export function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2);
}

/** Prints one figure: `figure  value unit  [conditions]`. */
export function figure(name: string, value: number, unit: string, conditions: string): void {
  process.stdout.write(`${name.padEnd(48)} ${fmt(value).padStart(12)} ${unit.padEnd(10)} ${conditions}\n`);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
