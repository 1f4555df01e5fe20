/**
 * The follow loop of the monitor: a {@link LogMonitor} pass, a pause of the poll interval, again,
 * until the stop signal fires (or, with `exitOnAlarm`, the first pass that raised an alarm).
 *
 * Each pause listens for the stop signal and removes its listener when the timer ends it, so a
 * monitor polling every second for days keeps one listener on the signal, not one per poll.
 */
import type { PassResult } from './engine.js';

/** Waits `ms`, or less when `signal` aborts; leaves no listener on `signal` behind. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Options of {@link followLog}. */
export interface FollowOptions {
  /** Time between the end of one pass and the start of the next (ms). */
  readonly intervalMs: number;
  /** Stops the loop (the pass under way gets it too). */
  readonly signal: AbortSignal;
  /** Return the first pass that raised an alarm instead of going on. */
  readonly exitOnAlarm?: boolean | undefined;
}

/**
 * Runs `pass` every `intervalMs` until `signal` aborts; returns the pass that raised an alarm
 * (with `exitOnAlarm`), else undefined once stopped.
 */
export async function followLog(
  monitor: { pass(signal?: AbortSignal): Promise<PassResult> },
  o: FollowOptions,
): Promise<PassResult | undefined> {
  while (!o.signal.aborted) {
    const r = await monitor.pass(o.signal);
    if (o.exitOnAlarm === true && r.alarms.length > 0) return r;
    await pause(o.intervalMs, o.signal);
  }
  return undefined;
}
