/**
 * The key layout of a log's store (owned by the core; drivers never look inside).
 *
 * Numbers are fixed-width big-endian so that byte order is numeric order. One ASCII prefix byte
 * names the family:
 *
 * | key                                   | value                                             |
 * |---------------------------------------|---------------------------------------------------|
 * | `M` `format`                          | layout version, ASCII `"1"`                        |
 * | `M` `origin`                          | origin line, UTF-8 (written at creation)           |
 * | `M` `vkey`                            | the log's verifier key text (written at creation)  |
 * | `M` `next`                            | next sequence index = sequenced size, u64 BE       |
 * | `M` `checkpoint`                      | latest signed checkpoint record (below)            |
 * | `M` `cosigned`                        | latest cosigned checkpoint record (same encoding)  |
 * | `E` u64 index                         | a sequenced entry, until its bundle is full        |
 * | `B` u64 bundle index                  | a full entry bundle (256 entries, tlog-tiles)      |
 * | `T` u8 level, u64 tile index          | the latest version of a hash tile (W·32 bytes)     |
 * | `H` 32-byte leaf hash                 | the first index with that leaf hash, u64 BE        |
 * | `I` u8 level, u64 tile index          | interior of a FULL tile: its levels 1..8, 255·32 B |
 * | `V` u64 index                         | event record: body or tombstone (events/records.ts) |
 * | `S` source                            | source state: u64 next seq, u64 last index         |
 * | `Q` source 0x00 u64 seq               | the index of the source's event `seq`, u64 BE      |
 * | `K` source 0x00 idempotency key       | the index of the event sent with that key, u64 BE  |
 * | `R` u64 accepted ms, u64 index        | retention index: u32 class, source (until erased)  |
 *
 * Checkpoint record: `u64 size | 32-byte root | u64 signing time (ms) | note bytes`. The
 * integrated size is the checkpoint's size: tiles, bundles and the checkpoint of one integration
 * step are written in one atomic synced batch, so they never disagree.
 *
 * The event keys (`V S Q K R`) exist only for indices that hold events (submitEvents); a raw
 * entry has none. A source id never contains 0x00, so `source 0x00` keys of two sources never
 * share a prefix.
 *
 * Partial tiles are not stored per width: a partial tile of width W is exactly the first W·32
 * bytes of any wider version of the same tile, so the latest version serves every signed size.
 * Partial bundles are built from the `E` keys.
 */
import { HASH_SIZE } from '../constants.js';

const encoder = new TextEncoder();
const ascii = (s: string): Uint8Array => encoder.encode(s);

/** Encoded source ids (each event builds several keys of its source; encoding showed in profiles). */
const sourceBytes = new Map<string, Uint8Array>();
const SOURCE_CACHE_MAX = 4096;
/** The ASCII bytes of a source id (cached; callers must not modify them). */
export function sourceIdBytes(source: string): Uint8Array {
  let b = sourceBytes.get(source);
  if (b === undefined) {
    if (sourceBytes.size >= SOURCE_CACHE_MAX) sourceBytes.clear();
    b = ascii(source);
    sourceBytes.set(source, b);
  }
  return b;
}
const P_META = 0x4d; // 'M'
const P_ENTRY = 0x45; // 'E'
const P_BUNDLE = 0x42; // 'B'
const P_TILE = 0x54; // 'T'
const P_HASH = 0x48; // 'H'
const P_INTERIOR = 0x49; // 'I'
const P_EVENT = 0x56; // 'V'
const P_SOURCE = 0x53; // 'S'
const P_SEQ = 0x51; // 'Q'
const P_IDEMPOTENCY = 0x4b; // 'K'
const P_RETENTION = 0x52; // 'R'

/** The current layout version, stored under `Mformat`. */
export const LAYOUT_VERSION = '1';
export const KEY_FORMAT = meta('format');
export const KEY_ORIGIN = meta('origin');
export const KEY_VKEY = meta('vkey');
export const KEY_NEXT = meta('next');
export const KEY_CHECKPOINT = meta('checkpoint');
/** The latest checkpoint cosigned by a witness quorum (note = log signature + cosignatures). */
export const KEY_COSIGNED = meta('cosigned');

function meta(name: string): Uint8Array {
  const n = ascii(name);
  const k = new Uint8Array(1 + n.length);
  k[0] = P_META;
  k.set(n, 1);
  return k;
}

/**
 * Writes `v` (0 ≤ v < 2^64) as 8 big-endian bytes at `off`. Byte stores instead of a DataView
 * per call: keys are built several times per entry, and the DataView allocations showed in
 * profiles (~3% of ingestion).
 */
export function putU64(buf: Uint8Array, off: number, v: bigint): void {
  if (off < 0 || off + 8 > buf.length || v < 0n || v > 0xffffffffffffffffn) throw new RangeError(`cannot write u64 ${v} at ${off}`);
  const hi = v > 0xffffffffn ? Number(v >> 32n) : 0;
  const lo = hi === 0 ? Number(v) : Number(v & 0xffffffffn);
  buf[off] = hi >>> 24;
  buf[off + 1] = (hi >>> 16) & 0xff;
  buf[off + 2] = (hi >>> 8) & 0xff;
  buf[off + 3] = hi & 0xff;
  buf[off + 4] = lo >>> 24;
  buf[off + 5] = (lo >>> 16) & 0xff;
  buf[off + 6] = (lo >>> 8) & 0xff;
  buf[off + 7] = lo & 0xff;
}

/** Reads 8 big-endian bytes at `off`. */
export function getU64(buf: Uint8Array, off: number): bigint {
  if (off < 0 || off + 8 > buf.length) throw new RangeError(`cannot read u64 at ${off} of ${buf.length} bytes`);
  const hi = ((buf[off] as number) * 0x1000000 + (((buf[off + 1] as number) << 16) | ((buf[off + 2] as number) << 8) | (buf[off + 3] as number)));
  const lo = ((buf[off + 4] as number) * 0x1000000 + (((buf[off + 5] as number) << 16) | ((buf[off + 6] as number) << 8) | (buf[off + 7] as number)));
  return hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
}

/** An 8-byte big-endian encoding of `v`. */
export function u64(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  putU64(b, 0, v);
  return b;
}

function prefixed(prefix: number, n: bigint): Uint8Array {
  const k = new Uint8Array(9);
  k[0] = prefix;
  putU64(k, 1, n);
  return k;
}

/** `E` + index. */
export const entryKey = (index: bigint): Uint8Array => prefixed(P_ENTRY, index);
/** `B` + bundle index. */
export const bundleKey = (n: bigint): Uint8Array => prefixed(P_BUNDLE, n);

/** `T` + level byte + tile index. */
export function tileKey(level: number, index: bigint): Uint8Array {
  const k = new Uint8Array(10);
  k[0] = P_TILE;
  k[1] = level;
  putU64(k, 2, index);
  return k;
}

/**
 * `I` + level byte + tile index: the interior nodes of a full tile (derived data, written with
 * the tile so that proofs need no hashing; readers recompute them when the key is absent).
 */
export function interiorKey(level: number, index: bigint): Uint8Array {
  const k = tileKey(level, index);
  k[0] = P_INTERIOR;
  return k;
}

/** `H` + leaf hash. */
export function leafHashKey(leafHash: Uint8Array): Uint8Array {
  if (leafHash.length !== HASH_SIZE) throw new RangeError('leaf hash must be 32 bytes');
  const k = new Uint8Array(1 + HASH_SIZE);
  k[0] = P_HASH;
  k.set(leafHash, 1);
  return k;
}

/** `V` + index: an event's record. */
export const eventKey = (index: bigint): Uint8Array => prefixed(P_EVENT, index);
/** The whole `V` family (for scans and compaction). */
export const EVENT_KEYS = { gte: Uint8Array.of(P_EVENT), lt: Uint8Array.of(P_EVENT + 1) };

/** `S` + source id: the source's state. */
export function sourceKey(source: string): Uint8Array {
  const s = sourceIdBytes(source);
  const k = new Uint8Array(1 + s.length);
  k[0] = P_SOURCE;
  k.set(s, 1);
  return k;
}
/** The whole `S` family. */
export const SOURCE_KEYS = { gte: Uint8Array.of(P_SOURCE), lt: Uint8Array.of(P_SOURCE + 1) };
/** The source id of an `S` key. */
export const sourceOfKey = (key: Uint8Array): string => new TextDecoder().decode(key.subarray(1));

/** `Q` + source + 0x00 + seq. */
export function seqKey(source: string, seq: bigint): Uint8Array {
  const s = sourceIdBytes(source);
  const k = new Uint8Array(1 + s.length + 1 + 8);
  k[0] = P_SEQ;
  k.set(s, 1);
  putU64(k, 2 + s.length, seq);
  return k;
}

/** `K` + source + 0x00 + idempotency key (printable ASCII). */
export function idempotencyKey(source: string, key: string): Uint8Array {
  const s = sourceIdBytes(source);
  const i = ascii(key);
  const k = new Uint8Array(1 + s.length + 1 + i.length);
  k[0] = P_IDEMPOTENCY;
  k.set(s, 1);
  k.set(i, 2 + s.length);
  return k;
}

/** `R` + accepted time (ms) + index. */
export function retentionKey(acceptedMs: bigint, index: bigint): Uint8Array {
  const k = new Uint8Array(17);
  k[0] = P_RETENTION;
  putU64(k, 1, acceptedMs);
  putU64(k, 9, index);
  return k;
}
/** `R` keys of events accepted before `ms`. */
export const retentionKeysBefore = (ms: bigint) => ({ gte: Uint8Array.of(P_RETENTION), lt: retentionKey(ms, 0n) });

/** The latest signed checkpoint as stored. */
export interface CheckpointRecord {
  readonly size: bigint;
  readonly rootHash: Uint8Array;
  readonly time: number;
  readonly note: Uint8Array;
}

export function encodeCheckpointRecord(r: CheckpointRecord): Uint8Array {
  const b = new Uint8Array(8 + HASH_SIZE + 8 + r.note.length);
  putU64(b, 0, r.size);
  b.set(r.rootHash, 8);
  putU64(b, 8 + HASH_SIZE, BigInt(Math.max(0, Math.floor(r.time))));
  b.set(r.note, 16 + HASH_SIZE);
  return b;
}

/** Decodes a checkpoint record; undefined if it is too short to be one. */
export function decodeCheckpointRecord(b: Uint8Array): CheckpointRecord | undefined {
  if (b.length < 16 + HASH_SIZE) return undefined;
  return {
    size: getU64(b, 0),
    rootHash: b.slice(8, 8 + HASH_SIZE),
    time: Number(getU64(b, 8 + HASH_SIZE)),
    note: b.slice(16 + HASH_SIZE),
  };
}
