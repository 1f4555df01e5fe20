/**
 * {@link CheckpointTracker}: the newest verified checkpoint per origin, moved only forward and
 * only with a consistency proof ("always verify consistency when moving between checkpoints",
 * docs/protocols.md §11). In memory, synchronous, no clock; persist `snapshot()` (exact notes) and
 * re-verify them with `verifyCheckpoint` to restore.
 *
 * `update(next, proof?)` against the newest known checkpoint `known` of the same origin:
 *
 * | case | result |
 * |---|---|
 * | no known checkpoint | accepted (trust on first use) |
 * | a witness's timestamps contradict the sizes it cosigned (see below) | `rollback` |
 * | next.size < known.size | `stale-checkpoint` (known stays) |
 * | same size, same root | accepted, nothing changes |
 * | same size, different root | `equivocation`: the log signed a fork; evidence holds both notes |
 * | next.size > known.size, proof missing or wrong | `consistency-failed` (evidence: both notes, proof) |
 * | next.size > known.size, proof verifies | accepted, next becomes the newest |
 *
 * Witness rollback: a cosignature/v1 at time t says "the largest tree I have seen is this one"
 * (tlog-cosignature §semantics). If one witness cosigned the smaller of two trees at a strictly
 * later time than the larger, its view went backwards (lost state, restored backup, stolen key):
 * `rollback`, whichever of the two arrives first.
 */
import { bytesEqual } from '@cairn/merkle';
import { VerifyError } from './errors.js';
import { isVerifiedCheckpoint, type VerifiedCheckpoint } from './checkpoint.js';
import { verifyConsistencyProof } from './proofs.js';

/** The outcome of {@link CheckpointTracker.update}. */
export interface TrackerUpdate {
  /** Whether the newest checkpoint for the origin changed (first one, or a larger tree). */
  readonly changed: boolean;
  /** The newest checkpoint after the update. */
  readonly latest: VerifiedCheckpoint;
  /** The newest checkpoint before the update, if there was one. */
  readonly previous?: VerifiedCheckpoint;
}

export class CheckpointTracker {
  readonly #latest = new Map<string, VerifiedCheckpoint>();

  /** Starts from checkpoints already verified (e.g. re-verified from a snapshot), oldest first. */
  constructor(initial: Iterable<VerifiedCheckpoint> = []) {
    for (const c of initial) {
      requireVerified(c);
      const known = this.#latest.get(c.origin);
      if (known === undefined || c.size > known.size) this.#latest.set(c.origin, c);
    }
  }

  /** The newest verified checkpoint for `origin`. */
  latest(origin: string): VerifiedCheckpoint | undefined {
    return this.#latest.get(origin);
  }

  /** Origins tracked, sorted. */
  origins(): string[] {
    return [...this.#latest.keys()].sort();
  }

  /** The exact notes of the newest checkpoints, by origin (persist these). */
  snapshot(): string[] {
    return this.origins().map((o) => this.#latest.get(o)!.note);
  }

  /**
   * The old size a consistency proof must start from for `update(next)` to move forward, or
   * undefined when no proof is needed (first checkpoint, or not larger than the newest).
   */
  proofNeeded(next: VerifiedCheckpoint): bigint | undefined {
    const known = this.#latest.get(next.origin);
    return known !== undefined && next.size > known.size ? known.size : undefined;
  }

  /** Offers a verified checkpoint (and the consistency proof from the newest known one). */
  update(next: VerifiedCheckpoint, consistencyProof?: readonly Uint8Array[]): TrackerUpdate {
    requireVerified(next);
    const known = this.#latest.get(next.origin);
    if (known === undefined) {
      this.#latest.set(next.origin, next);
      return { changed: true, latest: next };
    }
    checkWitnessOrder(known, next);
    const evidence = { note: next.note, knownNote: known.note, origin: next.origin, size: next.size, knownSize: known.size };
    if (next.size < known.size) {
      throw new VerifyError('stale-checkpoint', `checkpoint of size ${next.size} is older than the size ${known.size} already verified for ${next.origin}`, evidence);
    }
    if (next.size === known.size) {
      if (!bytesEqual(next.rootHash, known.rootHash)) {
        throw new VerifyError('equivocation', `the log signed two different trees of size ${next.size} for ${next.origin}`, evidence);
      }
      return { changed: false, latest: known, previous: known };
    }
    if (consistencyProof === undefined) {
      throw new VerifyError('consistency-failed', `a consistency proof from size ${known.size} to ${next.size} is required`, evidence);
    }
    verifyConsistencyProof(known, next, consistencyProof);
    this.#latest.set(next.origin, next);
    return { changed: true, latest: next, previous: known };
  }
}

function requireVerified(c: VerifiedCheckpoint): void {
  if (!isVerifiedCheckpoint(c)) throw new VerifyError('bad-input', 'the tracker takes only checkpoints returned by verifyCheckpoint');
}

function checkWitnessOrder(known: VerifiedCheckpoint, next: VerifiedCheckpoint): void {
  if (known.size === next.size) return;
  const [small, large] = known.size < next.size ? [known, next] : [next, known];
  for (const w of small.witnesses) {
    const other = large.witnesses.find((x) => x.name === w.name);
    if (other !== undefined && w.timestamp > other.timestamp) {
      throw new VerifyError(
        'rollback',
        `witness ${w.name} cosigned size ${small.size} at ${w.timestamp}, after cosigning size ${large.size} at ${other.timestamp}: its view went backwards`,
        { note: next.note, knownNote: known.note, origin: next.origin, witness: w.name, timestamp: w.timestamp, knownTimestamp: other.timestamp, size: next.size, knownSize: known.size },
      );
    }
  }
}
