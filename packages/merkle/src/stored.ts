/**
 * Stored-hash indexing with the semantics of golang.org/x/mod/sumdb/tlog (`StoredHashIndex`,
 * `SplitStoredHashIndex`, `StoredHashCount`), for storage that keeps every complete-subtree
 * hash in one append-only sequence.
 *
 * When leaf n (0-based) is appended, its leaf hash is stored, followed by the hash of every
 * complete subtree that leaf completes, bottom-up: (1, (n+1)/2 − 1), (2, (n+1)/4 − 1), …
 * So for leaves 0..3 the sequence is (0,0) (0,1) (1,0) (0,2) (0,3) (1,1) (2,0): the node
 * (level, n) sits at `storedHashIndex(level, n)` and a tree of n leaves stores
 * `storedHashCount(n)` = Σ_k floor(n / 2^k) = 2n − popcount(n) hashes.
 */
import { checkLevel, checkUint64, popCount, trailingZeros } from './bits.js';
import { MerkleError } from './errors.js';

/** Number of hashes stored for a tree of `n` leaves. */
export function storedHashCount(n: bigint): bigint {
  checkUint64(n, 'size');
  return 2n * n - BigInt(popCount(n));
}

/** Position of node (level, n) in the stored-hash sequence. */
export function storedHashIndex(level: number, n: bigint): bigint {
  checkLevel(level);
  checkUint64(n, 'node index');
  // The node is completed by leaf m = (n+1)·2^level − 1, after that leaf's own hash and `level` more.
  const m = ((n + 1n) << BigInt(level)) - 1n;
  if (m >= 1n << 64n) throw new MerkleError('invalid-size', `node (${level}, ${n}) lies beyond 2^64 leaves`);
  return storedHashCount(m) + BigInt(level);
}

/** Inverse of {@link storedHashIndex}: the node stored at position `index`. */
export function splitStoredHashIndex(index: bigint): { level: number; index: bigint } {
  checkUint64(index, 'stored hash index');
  // storedHashCount(m) = 2m − popcount(m) ≤ index, so the leaf m that stored it is in
  // [index/2, index/2 + 64]; walk forward over whole leaves.
  let m = index >> 1n;
  let start = storedHashCount(m);
  if (start > index) throw new MerkleError('invalid-size', 'internal error: stored hash index estimate too high');
  for (;;) {
    const next = start + 1n + BigInt(trailingZeros(m + 1n)); // leaf m stores 1 + tz(m+1) hashes
    if (next > index) break;
    m++;
    start = next;
  }
  const level = Number(index - start);
  return { level, index: m >> BigInt(level) };
}
