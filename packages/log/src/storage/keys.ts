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
 *
 * Checkpoint record: `u64 size | 32-byte root | u64 signing time (ms) | note bytes`. The
 * integrated size is the checkpoint's size: tiles, bundles and the checkpoint of one integration
 * step are written in one atomic synced batch, so they never disagree.
 *
 * Partial tiles are not stored per width: a partial tile of width W is exactly the first W·32
 * bytes of any wider version of the same tile, so the latest version serves every signed size.
 * Partial bundles are built from the `E` keys.
 */
import { HASH_SIZE } from '../constants.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const P_META = 0x4d; // 'M'
const P_ENTRY = 0x45; // 'E'
const P_BUNDLE = 0x42; // 'B'
const P_TILE = 0x54; // 'T'
const P_HASH = 0x48; // 'H'
const P_INTERIOR = 0x49; // 'I'

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
