/**
 * Checkpoints a witness knows of but has not cosigned: log-signed checkpoints learned from
 * other witnesses (gossip, the catch-up snapshot at start-up), larger than its own stored one.
 *
 * Why: a witness restored from an old copy of its data (stored size B) would otherwise take the
 * log's word for where its history stands, and cosign a fork of any size K, B < K < N, that
 * extends B, although its peers told it about the log-signed N. So the largest verified
 * log-signed checkpoint learned for an origin is kept here (in memory; the next start re-learns
 * it from the peers) and, while it is above the stored size, it is the *floor* of add-checkpoint
 * (see `Witness.addCheckpoint`): the witness cosigns only that very checkpoint, with a valid
 * consistency proof from its stored one, and answers every other request 409 naming the floor's
 * size. The catch-up (`Witness.catchUp`, driven by @cairn/gossip's `CatchUp` from the log's
 * tiles) sends the witness exactly that request, so the floor becomes its stored state through
 * the same per-origin lock and compare-and-swap as any add-checkpoint.
 *
 * Only notes that verify under the configured log keys are learned; only the verified log
 * signature lines are kept. A note of the floor's size with another root is not learned (it is
 * an equivocation; the split-view detector turns it into evidence).
 */
import { FormatError, formatNote, openCheckpoint, type Checkpoint, type OpenedNote } from '@cairn/formats';
import { bytesEqual } from '@cairn/merkle';
import type { TrustedLog } from './config.js';

/** A verified log-signed checkpoint learned from another witness. */
export interface KnownCheckpoint {
  readonly origin: string;
  readonly size: bigint;
  readonly rootHash: Uint8Array;
  /** The checkpoint text with only the log signature lines that verified. */
  readonly note: string;
  /** Who told us (a libp2p peer ID, or another label of the source). */
  readonly from: string;
  /** When it was learned (ms since the epoch). */
  readonly learnedAt: number;
}

/** What {@link KnownCheckpoints.learn} did with a note. */
export type LearnOutcome =
  | { readonly action: 'ignored'; readonly reason: string }
  /** Not above what the witness holds or already knows. */
  | { readonly action: 'not-newer'; readonly size: bigint }
  /** Now the floor of its origin. */
  | { readonly action: 'learned'; readonly known: KnownCheckpoint };

/** Per-origin largest learned checkpoint. Not concurrency-sensitive: every call is synchronous. */
export class KnownCheckpoints {
  readonly #byOrigin = new Map<string, KnownCheckpoint>();

  /**
   * Verifies `note` under `log`'s keys and keeps it if it is larger than both `storedSize` and
   * the checkpoint already known for its origin.
   */
  learn(log: TrustedLog, note: Uint8Array | string, storedSize: bigint, from: string, now: number): LearnOutcome {
    let opened: OpenedNote & { checkpoint: Checkpoint };
    try {
      opened = openCheckpoint(note, log.verifiers);
    } catch (e) {
      if (e instanceof FormatError) return { action: 'ignored', reason: `does not verify under the keys of ${log.origin}: ${e.message}` };
      throw e;
    }
    const cp = opened.checkpoint;
    if (cp.origin !== log.origin) return { action: 'ignored', reason: `origin ${cp.origin} is not ${log.origin}` };
    if (cp.extensions.length > 0) return { action: 'ignored', reason: 'checkpoint extension lines are not accepted' };
    const cur = this.#byOrigin.get(log.origin);
    if (cp.size <= storedSize) return { action: 'not-newer', size: cp.size };
    if (cur !== undefined && cp.size <= cur.size) {
      if (cp.size === cur.size && !bytesEqual(cp.rootHash, cur.rootHash)) return { action: 'ignored', reason: `a second root for size ${cp.size} (equivocation)` };
      return { action: 'not-newer', size: cp.size };
    }
    const known: KnownCheckpoint = {
      origin: log.origin, size: cp.size, rootHash: cp.rootHash, note: formatNote({ text: opened.text, signatures: opened.verified }), from, learnedAt: now,
    };
    this.#byOrigin.set(log.origin, known);
    return { action: 'learned', known };
  }

  /** The known checkpoint of `origin` if it is above `storedSize` (the floor), else undefined. */
  above(origin: string, storedSize: bigint): KnownCheckpoint | undefined {
    const k = this.#byOrigin.get(origin);
    return k !== undefined && k.size > storedSize ? k : undefined;
  }
}
