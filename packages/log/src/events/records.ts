/**
 * The event store's values (keys in ../storage/keys.ts): an event record under `V` index, a
 * source's state under `S` source, a retention index value under `R`. Binary, fixed-width
 * big-endian numbers, decoded strictly (a record that does not decode is an integrity failure).
 *
 * Event record (`V` index):
 * ```
 * u8  kind            1 = body, 2 = tombstone (erased)
 * u64 seq             the source's sequence number of the event
 * u64 accepted        when the writer accepted it, ms since the epoch (retention counts from it)
 * u64 deadline        receipt deadline, POSIX seconds (stored so a resend gets the same receipt)
 * u8  n, n bytes      source id (ASCII)
 * body:      32-byte salt, then the canonical event bytes (to the end)
 * tombstone: u64 index of the Event Log Activity record, u64 erasure time (ms)
 * ```
 * A tombstone holds no free text: the reason and who asked live only in the erasure record (an
 * event with a body, which can itself be erased), so text given once is stored once.
 * Source state (`S` source): `u64 next seq | u64 last index`. Retention value (`R` accepted,
 * index): `u32 class_uid | source id (ASCII)`.
 */
import { LogError } from '../errors.js';
import { getU64, putU64, sourceIdBytes } from '../storage/keys.js';

export const SALT_BYTES = 32;
const KIND_BODY = 1;
const KIND_TOMBSTONE = 2;
/** Longest erasure reason or `by`, bytes of UTF-8. */
export const MAX_ERASE_TEXT_BYTES = 4096;


/** How an event was erased. */
export interface Erasure {
  /** Index of the Event Log Activity event that records the erasure. */
  readonly record: bigint;
  readonly time: number;
}

/** A decoded event record. */
export interface EventRecord {
  readonly seq: bigint;
  readonly accepted: bigint;
  readonly deadline: bigint;
  readonly source: string;
  /** Present until erased. */
  readonly body?: { readonly salt: Uint8Array; readonly canonical: Uint8Array };
  /** Present once erased. */
  readonly erased?: Erasure;
}

function head(kind: number, r: Pick<EventRecord, 'seq' | 'accepted' | 'deadline' | 'source'>, rest: number): { b: Uint8Array; off: number } {
  const src = sourceIdBytes(r.source);
  const b = new Uint8Array(1 + 24 + 1 + src.length + rest);
  b[0] = kind;
  putU64(b, 1, r.seq);
  putU64(b, 9, r.accepted);
  putU64(b, 17, r.deadline);
  b[25] = src.length;
  b.set(src, 26);
  return { b, off: 26 + src.length };
}

/** The record of a stored event with its body. */
export function encodeBody(r: EventRecord & { body: NonNullable<EventRecord['body']> }): Uint8Array {
  const { b, off } = head(KIND_BODY, r, SALT_BYTES + r.body.canonical.length);
  b.set(r.body.salt, off);
  b.set(r.body.canonical, off + SALT_BYTES);
  return b;
}

/** The tombstone that replaces an erased event's record (same seq, times and source; no body). */
export function encodeTombstone(r: Pick<EventRecord, 'seq' | 'accepted' | 'deadline' | 'source'>, e: Erasure): Uint8Array {
  const { b, off } = head(KIND_TOMBSTONE, r, 16);
  putU64(b, off, e.record);
  putU64(b, off + 8, BigInt(Math.max(0, Math.floor(e.time))));
  return b;
}

function corrupt(index: bigint, what: string): LogError {
  return new LogError('integrity', `the event record at index ${index} is corrupt (${what})`, { details: { index } });
}

/** Decodes a `V` record; LogError 'integrity' if it does not decode exactly. */
export function decodeEventRecord(index: bigint, b: Uint8Array): EventRecord {
  if (b.length < 26 || b.length < 26 + (b[25] as number)) throw corrupt(index, 'too short');
  const kind = b[0];
  const seq = getU64(b, 1);
  const accepted = getU64(b, 9);
  const deadline = getU64(b, 17);
  const off = 26 + (b[25] as number);
  const source = String.fromCharCode(...b.subarray(26, off));
  if (kind === KIND_BODY) {
    if (b.length < off + SALT_BYTES) throw corrupt(index, 'no salt');
    return { seq, accepted, deadline, source, body: { salt: b.slice(off, off + SALT_BYTES), canonical: b.slice(off + SALT_BYTES) } };
  }
  if (kind !== KIND_TOMBSTONE) throw corrupt(index, `kind ${String(kind)}`);
  if (b.length !== off + 16) throw corrupt(index, 'bad tombstone');
  return { seq, accepted, deadline, source, erased: { record: getU64(b, off), time: Number(getU64(b, off + 8)) } };
}

/** A source's state. */
export interface SourceState {
  readonly nextSeq: bigint;
  /** The index of its newest event (undefined: none yet). */
  readonly lastIndex: bigint | undefined;
}

export function encodeSourceState(s: SourceState): Uint8Array {
  const b = new Uint8Array(16);
  putU64(b, 0, s.nextSeq);
  putU64(b, 8, s.lastIndex ?? 0n);
  return b;
}

export function decodeSourceState(source: string, b: Uint8Array | undefined): SourceState {
  if (b === undefined) return { nextSeq: 0n, lastIndex: undefined };
  if (b.length !== 16) throw new LogError('integrity', `the state of source ${source} is corrupt`, { details: { source } });
  const nextSeq = getU64(b, 0);
  return { nextSeq, lastIndex: nextSeq === 0n ? undefined : getU64(b, 8) };
}

/** The value of an `R` key: what retention rules match on. */
export function encodeRetention(classUid: number, source: string): Uint8Array {
  const s = sourceIdBytes(source);
  const b = new Uint8Array(4 + s.length);
  new DataView(b.buffer).setUint32(0, classUid);
  b.set(s, 4);
  return b;
}

export function decodeRetention(b: Uint8Array): { classUid: number; source: string } {
  if (b.length < 5) throw new LogError('integrity', 'a retention index value is corrupt');
  return { classUid: new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0), source: String.fromCharCode(...b.subarray(4)) };
}

/** A u64 index value (`Q`, `K` keys); LogError 'integrity' unless 8 bytes. */
export function decodeIndex(b: Uint8Array): bigint {
  if (b.length !== 8) throw new LogError('integrity', 'an event lookup value is not 8 bytes');
  return getU64(b, 0);
}
