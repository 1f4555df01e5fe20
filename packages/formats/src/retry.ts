/**
 * The one retry mechanism: exponential backoff with optional jitter, an abortable wait that can
 * also be ended early ("the peer is back"), and a bounded retry loop on top of them. Every
 * retrying part of Cairn — the log's witness exchange, the gossip re-dialer, the client's
 * fetches — uses these, so the schedule reads the same everywhere. Browser-safe (setTimeout,
 * AbortSignal only).
 *
 * ```ts
 * const policy = { initialMs: 200, maxMs: 5_000 };
 * backoffDelay(1, policy); // 100..200 (jittered in [d/2, d]); attempt 3 → 400..800
 * await retry((attempt) => fetchOnce(), { policy, retries: 2, delayOf: (e) => (isTransient(e) ? undefined : false), signal });
 * ```
 */

/** How delays grow: `initialMs · 2^(attempt−1)`, at most `maxMs`. */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Spread each delay uniformly over [d/2, d] (default true), so many clients do not retry in step. */
  readonly jitter?: boolean;
}

/** The delay before retry number `attempt` (1-based). */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const d = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return policy.jitter === false ? d : d / 2 + random() * (d / 2);
}

/** How a {@link backoffSleep} ended. */
export type SleepEnd = 'elapsed' | 'woken' | 'aborted';

/**
 * Waits `ms`; ends early with 'woken' when `wake` aborts, or 'aborted' when `signal` does
 * (never rejects). Leaves no timer or listener behind.
 */
export function backoffSleep(ms: number, opts: { readonly signal?: AbortSignal | undefined; readonly wake?: AbortSignal | undefined } = {}): Promise<SleepEnd> {
  const { signal, wake } = opts;
  if (signal?.aborted) return Promise.resolve('aborted');
  if (wake?.aborted) return Promise.resolve('woken');
  return new Promise((resolve) => {
    const done = (how: SleepEnd) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      wake?.removeEventListener('abort', onWake);
      resolve(how);
    };
    const onAbort = () => done('aborted');
    const onWake = () => done('woken');
    const timer = setTimeout(() => done('elapsed'), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    wake?.addEventListener('abort', onWake, { once: true });
  });
}

/** Thrown by {@link retry} when its signal aborts while it waits to retry; `cause` is the signal's reason. */
export class RetryAbortedError extends Error {
  constructor(cause: unknown) {
    super('aborted while waiting to retry', { cause });
    this.name = 'RetryAbortedError';
  }
}

/** Options of {@link retry}. */
export interface RetryOptions {
  readonly policy: BackoffPolicy;
  /** Retries after the first attempt. */
  readonly retries: number;
  /**
   * Whether (and when) to retry after `error`: `false` rethrows it at once; `undefined` waits the
   * policy's delay; a number waits that long instead (e.g. a server's Retry-After, capped at `maxMs`).
   */
  readonly delayOf: (error: unknown, attempt: number) => number | undefined | false;
  readonly signal?: AbortSignal | undefined;
  readonly random?: () => number;
}

/**
 * Runs `fn` (attempt 1, 2, …) until it resolves, `delayOf` refuses an error (rethrown), or the
 * retries are spent (the last error is rethrown). Waiting is aborted by `signal`
 * ({@link RetryAbortedError}).
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      const wanted = opts.delayOf(e, attempt);
      if (wanted === false || attempt > opts.retries) throw e;
      const ms = Math.min(wanted ?? backoffDelay(attempt, opts.policy, opts.random), opts.policy.maxMs);
      if ((await backoffSleep(ms, { signal: opts.signal })) === 'aborted') throw new RetryAbortedError(opts.signal?.reason);
    }
  }
}
