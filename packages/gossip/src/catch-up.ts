/**
 * Catch-up: a witness that learns, from another witness (gossip or the sync snapshot), a
 * log-signed checkpoint larger than the one it holds proves that checkpoint consistent with its
 * own from the log's tiles and then holds it, so that it can no longer be made to cosign a
 * checkpoint its peers' history does not extend (a witness restored from an old backup).
 *
 * For each note: `Witness.learnCheckpoint` verifies it under the configured log keys and, when it
 * is above the stored size, makes it the origin's floor (add-checkpoint then answers 409 with its
 * size to anything but that checkpoint). Then, per origin, one catch-up runs:
 * 1. PROOF(stored size, floor size) from the log's tiles of the larger tree, each tile
 *    authenticated against the floor's signed root (tiles-http.ts; the empty tree needs none);
 * 2. `Witness.catchUp` with that proof: the floor goes through add-checkpoint's own checks, the
 *    origin's mutex and the compare-and-swap, and becomes the stored (cosigned) checkpoint.
 *    - the stored size moved meanwhile (a concurrent add-checkpoint) → `conflict`: again from
 *      the new size, at once (at most {@link MAX_CATCH_UP_ROUNDS} rounds per attempt);
 *    - the proof does not verify against the stored root → `inconsistent`: the witness records
 *      it as possible misbehaviour and the witness network's detector turns it into evidence;
 *      nothing is adopted and the floor stays (every add-checkpoint keeps getting 409).
 * 3. Tiles that cannot be fetched (the log unreachable, an HTTP error, tiles that do not hash to
 *    the signed root), or no log URL configured: nothing is adopted, the floor stays, and the
 *    attempt is repeated with backoff ({@link CATCH_UP_RETRY_MIN_MS} doubling up to
 *    {@link CATCH_UP_RETRY_MAX_MS}) until it succeeds, the floor is reached by a cosignature, or
 *    the node stops. A failed attempt never lowers anything and never answers a request 200.
 */
import { isWitnessError, type LearnOutcome, type Witness, type WitnessLogger } from '@cairn/witness';
import { TileFetchError } from './errors.js';
import { consistencyFromTiles, DEFAULT_TILE_TIMEOUT_MS } from './tiles-http.js';

/**
 * Delay before catching up with a checkpoint learned from gossip (ms): in a healthy network the
 * log's own add-checkpoint for that checkpoint arrives meanwhile (the floor accepts exactly it),
 * so no tile is fetched and the log gets no 409. Snapshots taken at connect are caught up at once.
 */
export const CATCH_UP_DELAY_MS = 2_000;
/** First delay before repeating a failed catch-up (ms). */
export const CATCH_UP_RETRY_MIN_MS = 500;
/** Largest delay between catch-up attempts (ms). */
export const CATCH_UP_RETRY_MAX_MS = 10_000;
/** Proof-and-swap rounds of one attempt when concurrent cosignatures keep moving the stored size. */
export const MAX_CATCH_UP_ROUNDS = 8;

export interface CatchUpOptions {
  readonly witness: Witness;
  readonly logger?: WitnessLogger | undefined;
  /** fetch for the log's tiles (tests), and its per-request timeout. */
  readonly fetch?: typeof fetch;
  readonly tileTimeoutMs?: number;
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /** Default {@link CATCH_UP_DELAY_MS}. */
  readonly delayMs?: number;
}

/** Counters (a plain JSON object for the status endpoint). */
export interface CatchUpStats {
  /** Checkpoints learned from peers that became a floor. */
  learned: number;
  /** Catch-ups that advanced the stored checkpoint. */
  caughtUp: number;
  /** Attempts that could not get the proof (tiles unreachable, no log URL, bad tiles). */
  failedAttempts: number;
  /** Learned checkpoints whose proof did not verify against the stored root (never adopted). */
  inconsistent: number;
}

/** What one attempt ended with. */
export type CatchUpOutcome =
  | { readonly action: 'none' } // no floor (any more)
  | { readonly action: 'caught-up'; readonly size: bigint; readonly from: string }
  | { readonly action: 'inconsistent'; readonly size: bigint }
  | { readonly action: 'retry'; readonly reason: string };

interface OriginState {
  running: Promise<CatchUpOutcome> | undefined;
  timer: NodeJS.Timeout | undefined;
  failures: number;
  lastError: string | undefined;
}

/** Drives catch-ups of one witness (see the module comment). */
export class CatchUp {
  readonly stats: CatchUpStats = { learned: 0, caughtUp: 0, failedAttempts: 0, inconsistent: 0 };
  readonly #o: CatchUpOptions;
  readonly #origins = new Map<string, OriginState>();
  readonly #abort = new AbortController();

  constructor(options: CatchUpOptions) {
    this.#o = options;
  }

  /**
   * Learns a (validated or not) checkpoint note from `from`; when it becomes a floor, starts the
   * catch-up of its origin in the background (`now`, or after {@link CATCH_UP_DELAY_MS}).
   * Resolves once the floor is in place.
   */
  async learn(note: Uint8Array, from: string, now = false): Promise<LearnOutcome> {
    const out = await this.#o.witness.learnCheckpoint(note, from);
    if (out.action === 'learned') {
      this.stats.learned++;
      if (now) this.kick(out.known.origin);
      else this.#later(out.known.origin, this.#o.delayMs ?? CATCH_UP_DELAY_MS);
    }
    return out;
  }

  #later(origin: string, delay: number): void {
    const st = this.#state(origin);
    if (this.#abort.signal.aborted || st.timer !== undefined || st.running !== undefined) return;
    st.timer = setTimeout(() => {
      st.timer = undefined;
      this.kick(origin);
    }, delay);
    st.timer.unref?.();
  }

  /** Starts (or restarts at once) the catch-up of `origin` unless one is running. */
  kick(origin: string): void {
    if (this.#abort.signal.aborted) return;
    const st = this.#state(origin);
    if (st.timer !== undefined) {
      clearTimeout(st.timer);
      st.timer = undefined;
    }
    if (st.running !== undefined) return;
    st.running = this.attempt(origin)
      .catch((e: unknown): CatchUpOutcome => ({ action: 'retry', reason: String((e as Error)?.message ?? e) }))
      .then((out) => {
        st.running = undefined;
        if (out.action === 'retry' && !this.#abort.signal.aborted) {
          st.failures++;
          st.lastError = out.reason;
          this.stats.failedAttempts++;
          const min = this.#o.retryMinMs ?? CATCH_UP_RETRY_MIN_MS;
          const max = this.#o.retryMaxMs ?? CATCH_UP_RETRY_MAX_MS;
          const delay = Math.min(max, min * 2 ** Math.min(st.failures - 1, 20));
          if (st.failures === 1 || st.failures % 10 === 0) {
            this.#o.logger?.warn('cannot catch up with a checkpoint learned from a peer yet; add-checkpoint answers 409 with its size meanwhile', {
              origin, reason: out.reason, failures: st.failures, retryInMs: delay,
            });
          }
          this.#later(origin, delay);
        } else {
          st.failures = 0;
          st.lastError = undefined;
        }
        return out;
      });
  }

  /** The running or last-scheduled attempt of `origin` settles (tests). */
  async settled(origin: string): Promise<CatchUpOutcome | undefined> {
    return this.#origins.get(origin)?.running;
  }

  /** The last failure of `origin`'s catch-up, while it is being retried. */
  lastError(origin: string): string | undefined {
    return this.#origins.get(origin)?.lastError;
  }

  /** One attempt now (no retry scheduling). */
  async attempt(origin: string): Promise<CatchUpOutcome> {
    const { witness } = this.#o;
    for (let round = 0; round < MAX_CATCH_UP_ROUNDS; round++) {
      const floor = await witness.knownAbove(origin);
      if (floor === undefined) return { action: 'none' };
      const { known, storedSize } = floor;
      let proof: Uint8Array[] = [];
      if (storedSize > 0n) {
        const url = witness.logs.get(origin)?.url;
        if (url === undefined) return { action: 'retry', reason: `no log URL configured for ${origin} (--log VKEY@URL): cannot prove ${storedSize}→${known.size}` };
        try {
          proof = (await consistencyFromTiles(url, storedSize, known.size, known.rootHash, {
            ...(this.#o.fetch === undefined ? {} : { fetch: this.#o.fetch }),
            timeoutMs: this.#o.tileTimeoutMs ?? DEFAULT_TILE_TIMEOUT_MS,
            signal: this.#abort.signal,
          })).proof;
        } catch (e) {
          if (e instanceof TileFetchError) return { action: 'retry', reason: `${e.code}: ${e.message}` };
          throw e;
        }
      }
      try {
        const r = await witness.catchUp(origin, storedSize, proof);
        if (r === undefined) return { action: 'none' };
        this.stats.caughtUp++;
        return { action: 'caught-up', size: r.size, from: known.from };
      } catch (e) {
        if (!isWitnessError(e)) throw e;
        if (e.code === 'conflict') continue; // the stored size moved: prove from the new one
        if (e.code === 'blocked') return { action: 'none' }; // proven misbehaviour: nothing is cosigned any more
        if (e.code === 'inconsistent' || e.code === 'fork') {
          this.stats.inconsistent++;
          return { action: 'inconsistent', size: known.size };
        }
        return { action: 'retry', reason: `${e.code}: ${e.message}` };
      }
    }
    return { action: 'retry', reason: `the stored size kept moving for ${MAX_CATCH_UP_ROUNDS} rounds` };
  }

  /** Stops every timer and in-flight fetch. */
  stop(): void {
    this.#abort.abort();
    for (const st of this.#origins.values()) {
      if (st.timer !== undefined) clearTimeout(st.timer);
      st.timer = undefined;
    }
  }

  #state(origin: string): OriginState {
    let st = this.#origins.get(origin);
    if (st === undefined) {
      st = { running: undefined, timer: undefined, failures: 0, lastError: undefined };
      this.#origins.set(origin, st);
    }
    return st;
  }
}
