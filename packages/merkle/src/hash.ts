/**
 * RFC 6962 / RFC 9162 §2.1 hashing with SHA-256 (c2sp.org/tlog-tiles uses exactly this):
 *
 *   leaf hash  = SHA-256(0x00 || entry)
 *   node hash  = SHA-256(0x01 || left || right)
 *   empty tree = SHA-256("") = e3b0c442…b855 (not the empty *leaf* hash 6e340b9c…a01d)
 *
 * The SHA-256 implementation is pluggable ({@link HashBackend}): {@link nobleBackend}
 * (@noble/hashes, portable, the default) or `nodeBackend` from `@cairn/merkle/node`
 * (node:crypto, about 2× faster for these small inputs).
 *
 * To avoid allocating a concatenation per hash, leaf and node hashing assemble the prefixed
 * input in a module-level scratch buffer and make one `sha256` call; only the 32-byte digest
 * is allocated. This is safe because everything here is synchronous and backends must not
 * keep a reference to their input.
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { MerkleError } from './errors.js';

export const HASH_SIZE = 32;
export const LEAF_PREFIX = 0x00;
export const NODE_PREFIX = 0x01;

/**
 * A SHA-256 implementation. Contract: synchronous, pure, returns a fresh 32-byte array the
 * caller may keep, and never retains `data` (the caller reuses its buffers).
 */
export interface HashBackend {
  readonly name: string;
  sha256(data: Uint8Array): Uint8Array;
  /** SHA-256 of the concatenation of `parts`, without building it (used for large leaves). */
  sha256Parts?(parts: readonly Uint8Array[]): Uint8Array;
}

export const nobleBackend: HashBackend = {
  name: 'noble',
  sha256: (data) => nobleSha256(data),
  sha256Parts(parts) {
    const h = nobleSha256.create();
    for (const p of parts) h.update(p);
    return h.digest();
  },
};

/** The backend used when a function's `backend` argument is omitted. */
export const defaultBackend: HashBackend = nobleBackend;

/** SHA-256 of the empty string: the Merkle Tree Hash of the empty tree. */
export const EMPTY_ROOT: Uint8Array = nobleSha256(new Uint8Array(0));

/** Leaves up to this size are hashed through the scratch buffer; larger ones via sha256Parts. */
const LEAF_SCRATCH_LIMIT = 65536;

const nodeScratch = new Uint8Array(1 + 2 * HASH_SIZE);
nodeScratch[0] = NODE_PREFIX;
let leafScratch = new Uint8Array(1024); // byte 0 stays LEAF_PREFIX (0)
let leafView = leafScratch.subarray(0, 1);
const LEAF_PREFIX_BYTES = new Uint8Array([LEAF_PREFIX]);

/** SHA-256(0x00 || entry). */
export function leafHash(entry: Uint8Array, backend: HashBackend = defaultBackend): Uint8Array {
  const n = entry.length;
  if (n > LEAF_SCRATCH_LIMIT) {
    if (backend.sha256Parts !== undefined) return backend.sha256Parts([LEAF_PREFIX_BYTES, entry]);
    const joined = new Uint8Array(n + 1);
    joined.set(entry, 1);
    return backend.sha256(joined);
  }
  if (leafScratch.length < n + 1) {
    leafScratch = new Uint8Array(Math.max(n + 1, leafScratch.length * 2));
    leafView = leafScratch.subarray(0, 1);
  }
  leafScratch.set(entry, 1);
  // Entries of one size in a row (the common case) reuse one view of the scratch buffer.
  if (leafView.length !== n + 1) leafView = leafScratch.subarray(0, n + 1);
  return backend.sha256(leafView);
}

/** SHA-256(0x01 || left || right). Both children must be 32-byte hashes. */
export function nodeHash(left: Uint8Array, right: Uint8Array, backend: HashBackend = defaultBackend): Uint8Array {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) {
    throw new MerkleError('bad-hash-length', `node children must be ${HASH_SIZE} bytes, got ${left.length} and ${right.length}`);
  }
  nodeScratch.set(left, 1);
  nodeScratch.set(right, 1 + HASH_SIZE);
  return backend.sha256(nodeScratch);
}

/** Unchecked node hash for internal loops whose inputs are known to be 32 bytes. */
export function nodeHashUnchecked(left: Uint8Array, right: Uint8Array, backend: HashBackend): Uint8Array {
  nodeScratch.set(left, 1);
  nodeScratch.set(right, 1 + HASH_SIZE);
  return backend.sha256(nodeScratch);
}

/** Constant-shape equality of two byte arrays (not timing-sensitive: hashes are public). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Throws MerkleError('bad-hash-length') unless h is a 32-byte Uint8Array. */
export function checkHash(h: unknown, what: string): asserts h is Uint8Array {
  if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) {
    const len = h instanceof Uint8Array ? h.length : typeof h;
    throw new MerkleError('bad-hash-length', `${what} must be a ${HASH_SIZE}-byte Uint8Array, got ${String(len)}`);
  }
}
