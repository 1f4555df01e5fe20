/**
 * Per-origin request budgets: a token bucket per log holding at most `qpd` tokens (a day's
 * worth), refilled continuously at `qpd` per day. Each add-checkpoint request that carries a
 * valid log signature spends one token; with none left the request is refused (`rate-limited`,
 * HTTP 429) with the whole seconds until the next token. Budgets live in memory (a restart
 * refills them), and time comes from the injected clock.
 */

/** Milliseconds in the budget period (a day). */
export const BUDGET_PERIOD_MS = 86_400_000;

// Tolerance for floating-point refill sums (a millionth of a request).
const EPSILON = 1e-6;

interface Bucket {
  tokens: number;
  at: number;
}

/** Token buckets keyed by origin. */
export class RequestBudgets {
  readonly #buckets = new Map<string, Bucket>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  /**
   * Spends one token of `origin` with a daily budget of `qpd`. Returns undefined when allowed,
   * else the seconds (≥ 1) until a token is available.
   */
  take(origin: string, qpd: number): number | undefined {
    const now = this.#now();
    let b = this.#buckets.get(origin);
    if (b === undefined) {
      b = { tokens: qpd, at: now };
      this.#buckets.set(origin, b);
    }
    const elapsed = Math.max(0, now - b.at);
    b.tokens = Math.min(qpd, b.tokens + (elapsed * qpd) / BUDGET_PERIOD_MS);
    b.at = now;
    if (b.tokens >= 1 - EPSILON) {
      b.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil(((1 - b.tokens) * BUDGET_PERIOD_MS) / qpd / 1000));
  }
}
