/**
 * The bounds of the live tail (`events.tail`, routers/tail.ts): apart from the router so that the
 * API context (trpc.ts) and the server options can name them without importing a router.
 */

/** The bounds of the live tail. */
export interface TailBounds {
  /** Most tail subscriptions open at once on one log. */
  readonly maxTails: number;
  /** Events read from the store per step of a tail. */
  readonly batch: number;
  /** Most matching events a tail holds while they wait for a checkpoint that covers them. */
  readonly maxPendingProofs: number;
  /** Most entries a resume cursor may owe proofs for (E − P). */
  readonly maxResumeOwed: number;
  /** How often a tail looks for new checkpoints when the log cannot tell it (ms). */
  readonly pollMs: number;
}

/** The bounds a server uses unless told otherwise. */
export const DEFAULT_TAIL_BOUNDS: TailBounds = Object.freeze({
  maxTails: 64,
  batch: 500,
  maxPendingProofs: 10_000,
  maxResumeOwed: 100_000,
  pollMs: 1_000,
});
