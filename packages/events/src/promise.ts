/**
 * Did the log keep a receipt's promise? Given a verified receipt and checkpoints the caller has
 * verified under its policy, each with the time its quorum was reached (the latest cosignature
 * timestamp the policy counted — `VerifiedCheckpoint.witnesses` of @cairn/client — in POSIX
 * seconds), decide, as far as those checkpoints show:
 *
 * - `kept`: a checkpoint with size > index was cosigned at or before the deadline;
 * - `broken`, reason `not-included`: a checkpoint cosigned at or after the deadline does not
 *   contain the index (size ≤ index). Its evidence is the receipt and that checkpoint;
 * - `broken`, reason `included-late`: the earliest covering checkpoint given was cosigned after
 *   the deadline and none given before it covers the index (evidence: the receipt and that
 *   checkpoint);
 * - `pending`: nothing decides yet (no covering checkpoint, none at or after the deadline).
 *
 * A `broken` verdict is refuted only by a checkpoint that covers the index and was cosigned by
 * the deadline — exactly what a log that kept its promise can show. Pure: no clock, no I/O.
 * Checkpoints of another origin are an input error (`origin-mismatch`); the caller must have
 * verified them (signatures, quorum, consistency) before asking.
 */
import { ReceiptError } from './errors.js';
import type { OpenedReceipt } from './receipt.js';

/** A checkpoint the caller verified, with the time it was cosigned. */
export interface TimedCheckpoint {
  readonly origin: string;
  readonly size: bigint;
  /** POSIX seconds at which this checkpoint was cosigned. */
  readonly time: bigint;
  /** The cosigned checkpoint note, kept as evidence. */
  readonly note: string;
}

/** The verdict of {@link checkReceiptPromise}. */
export type PromiseVerdict =
  | { readonly status: 'kept'; readonly receipt: OpenedReceipt; readonly checkpoint: TimedCheckpoint }
  | { readonly status: 'pending'; readonly receipt: OpenedReceipt }
  | {
      readonly status: 'broken';
      readonly reason: 'not-included' | 'included-late';
      /** The signed receipt and the checkpoint that shows the promise was broken. */
      readonly receipt: OpenedReceipt;
      readonly checkpoint: TimedCheckpoint;
    };

/** Judges a receipt's promise against verified checkpoints. Throws only {@link ReceiptError} for bad input. */
export function checkReceiptPromise(receipt: OpenedReceipt, checkpoints: readonly TimedCheckpoint[]): PromiseVerdict {
  const { origin, index, deadline } = receipt.receipt;
  let covering: TimedCheckpoint | undefined; // earliest checkpoint that covers the index
  let missing: TimedCheckpoint | undefined; // a checkpoint at or after the deadline without the index
  for (const c of checkpoints) {
    if (c.origin !== origin) throw new ReceiptError('origin-mismatch', `checkpoint of "${c.origin}" given for a receipt of "${origin}"`);
    if (typeof c.size !== 'bigint' || typeof c.time !== 'bigint') throw new ReceiptError('bad-input', 'checkpoint size and time must be bigints');
    if (c.size > index) {
      if (c.time <= deadline) return Object.freeze({ status: 'kept', receipt, checkpoint: c });
      if (covering === undefined || c.time < covering.time) covering = c;
    } else if (c.time >= deadline && (missing === undefined || c.size > missing.size)) {
      missing = c;
    }
  }
  if (missing !== undefined) return Object.freeze({ status: 'broken', reason: 'not-included', receipt, checkpoint: missing });
  if (covering !== undefined) return Object.freeze({ status: 'broken', reason: 'included-late', receipt, checkpoint: covering });
  return Object.freeze({ status: 'pending', receipt });
}
