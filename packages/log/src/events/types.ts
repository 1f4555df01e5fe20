/**
 * The event store's public types (the contract is docs/design/event-store-contract.md).
 */
import type { SubmitOptions, SubmitResult } from '../options.js';

/** One event to submit: a validated event (`parseEvent`/`validateEvent` of @cairn/events). */
export interface EventInput {
  readonly event: { readonly canonical: Uint8Array; readonly time: number; readonly classUid: number };
  /** The source's own sequence number (absent: the log assigns the next one). */
  readonly seq?: bigint;
  /** 1–128 printable ASCII characters (0x20–0x7e); a resend with the same key gets the stored answer. */
  readonly idempotencyKey?: string;
}

/** Options of `LogNode.submitEvents`. */
export interface EventSubmitOptions extends SubmitOptions {
  /** Sign a receipt per event (default false; LogError 'no-receipt-key' without a receipt key). */
  readonly receipts?: boolean;
}

/** The answer to `LogNode.submitEvents`: one slot per submitted event, in order. */
export interface EventSubmitResult extends SubmitResult {
  readonly seqs: bigint[];
  /** True: a resend answered from the store (no new leaf). */
  readonly duplicate: boolean[];
  /** Signed receipt notes, with `receipts: true`. */
  readonly receipts?: string[];
}

/** A stored event as `LogNode.getEvent` returns it. */
export interface StoredEvent {
  readonly index: bigint;
  readonly source: string;
  readonly seq: bigint;
  /** The leaf record: the entry at `index`. */
  readonly leaf: Uint8Array;
  /** Receipt deadline, POSIX seconds. */
  readonly deadline: bigint;
  /** Absent once erased. */
  readonly body?: { readonly canonical: Uint8Array; readonly salt: Uint8Array };
  /**
   * Present once erased: the index of the erasure record and when; why and by whom are read from
   * that record's body (absent once the record itself was erased).
   */
  readonly erased?: { readonly record: bigint; readonly time: number; readonly reason?: string; readonly by?: string };
}

/** One source as `LogNode.eventSources` lists it. */
export interface EventSourceState {
  readonly source: string;
  readonly nextSeq: bigint;
  /** The index of its newest event (undefined: none). */
  readonly lastIndex: bigint | undefined;
}

/** Why events are erased (`LogNode.eraseEvents`). */
export interface EraseReason {
  /**
   * Free text the admin gave, stored only in the erasure record (at most 4096 bytes of UTF-8): a
   * ticket reference, not personal data.
   */
  readonly reason: string;
  /** Who asked: the admin token's name, or 'retention'. */
  readonly by: string;
}

/** The answer to `LogNode.eraseEvents`. */
export interface EraseResult {
  readonly erased: bigint[];
  /** Indices that were erased before (not recorded again). */
  readonly alreadyErased: bigint[];
  /** The index of the Event Log Activity event recording this erasure (undefined: nothing erased). */
  readonly record: bigint | undefined;
}
