/**
 * Keeping the index up to date while the log runs: a follower calls `catchUp` when told that
 * the log grew (`notify()`, e.g. from `LogNode.onCheckpoint`) and on a timer as a safety net,
 * never two runs at once (a notification during a run schedules exactly one more), and reports a
 * failed run to `onError` and tries again at the next tick. The log never waits for it: indexing
 * is off the write path, and the lag is the index's `status()`.
 *
 * ```ts
 * const follower = startFollower(index, { intervalMs: 1000, onError: (e) => logger.warn('index behind', { code: e.code }) });
 * const off = node.onCheckpoint(() => follower.notify());
 * // … on shutdown: off(); await follower.stop(); await index.close();
 * ```
 */
import { IndexError } from './errors.js';
import type { EventIndex } from './event-index.js';

/** The safety-net timer, ms: catch up at least this often. */
export const DEFAULT_FOLLOW_INTERVAL_MS = 1000;

export interface FollowerOptions {
  readonly intervalMs?: number;
  /** A run that failed (the next tick tries again). */
  readonly onError?: (e: IndexError) => void;
}

export interface Follower {
  /** The log grew: catch up soon. */
  notify(): void;
  /** Resolves when every event the store held at the time of the call is indexed (or a run failed). */
  settled(): Promise<void>;
  /** Stops the timer and waits for a running catch-up to end. */
  stop(): Promise<void>;
}

/** Starts following the store behind `index`. */
export function startFollower(index: Pick<EventIndex, 'catchUp'>, opts: FollowerOptions = {}): Follower {
  const intervalMs = opts.intervalMs ?? DEFAULT_FOLLOW_INTERVAL_MS;
  if (!Number.isSafeInteger(intervalMs) || intervalMs < 1) throw new IndexError('bad-option', 'intervalMs: a positive integer');
  const abort = new AbortController();
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  const run = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    if (running !== undefined) {
      again = true;
      return running.then(() => running ?? Promise.resolve());
    }
    running = (async () => {
      do {
        again = false;
        try {
          await index.catchUp({ signal: abort.signal });
        } catch (e) {
          if (abort.signal.aborted) return;
          opts.onError?.(e instanceof IndexError ? e : new IndexError('database', 'catching up failed', { cause: e }));
          return;
        }
      } while (again && !stopped);
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  const timer = setInterval(() => void run(), intervalMs);
  timer.unref?.();
  void run();
  return {
    notify: () => void run(),
    settled: () => run(),
    async stop() {
      stopped = true;
      clearInterval(timer);
      abort.abort();
      await running;
    },
  };
}
