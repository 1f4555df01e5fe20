/**
 * Complete-subtree node identifiers and the reader interface proofs are generated over.
 *
 * `NodeId { level, index }` names MTH(D[index·2^level, (index+1)·2^level)): a *complete*
 * subtree, which never changes once the tree has grown past it. Any storage (an in-memory
 * array, LevelDB, tiles) can serve them. Hashes of incomplete right-hand subtrees are never
 * stored: they are computed from their complete-subtree decomposition ({@link rangeNodes}).
 */
import { bitLength, checkLevel, checkUint64 } from './bits.js';
import { HASH_SIZE, defaultBackend, nodeHashUnchecked, type HashBackend } from './hash.js';
import { MerkleError } from './errors.js';

export interface NodeId {
  readonly level: number;
  readonly index: bigint;
}

/**
 * Synchronous source of complete-subtree hashes. Contract: returns one 32-byte hash per id,
 * in the same order; it is only asked for nodes that are complete in the tree being proven
 * (callers guarantee this), and throws if it cannot serve one. For async storage, prefetch
 * the ids from the planning functions (`inclusionProofNodes`, …) and serve them from a map.
 */
export interface NodeReader {
  readNodes(ids: readonly NodeId[]): Uint8Array[];
}

/** A stable string key for a NodeId (`"level/index"`), handy for maps and caches. */
export function nodeKey(id: NodeId): string {
  return `${id.level}/${id.index}`;
}

/** Validates a NodeId: level 0..63, index ≥ 0, and the subtree ends at or before 2^64. */
export function checkNodeId(id: NodeId): void {
  checkLevel(id.level);
  checkUint64(id.index, 'node index');
  if ((id.index + 1n) << BigInt(id.level) > 1n << 64n) {
    throw new MerkleError('invalid-size', `node (${id.level}, ${id.index}) lies beyond 2^64 leaves`);
  }
}

/**
 * Complete subtrees covering [start, end), left to right, largest first. Requires `start` to
 * be a multiple of the power of two ≥ end − start (true for every range the RFC tree uses:
 * the whole tree and each right-hand remainder).
 */
export function rangeNodes(start: bigint, end: bigint): NodeId[] {
  const out: NodeId[] = [];
  let pos = start;
  while (pos < end) {
    const level = bitLength(end - pos) - 1;
    out.push({ level, index: pos >> BigInt(level) });
    pos += 1n << BigInt(level);
  }
  return out;
}

/** The complete subtrees whose hashes, folded from the right, give MTH of a tree of `size`. */
export function rootNodes(size: bigint): NodeId[] {
  checkUint64(size, 'size');
  return rangeNodes(0n, size);
}

/** Reads `ids` through `reader` and checks the answer's shape. */
export function readChecked(reader: NodeReader, ids: readonly NodeId[]): Uint8Array[] {
  if (ids.length === 0) return [];
  const hashes = reader.readNodes(ids);
  if (!Array.isArray(hashes) || hashes.length !== ids.length) {
    throw new MerkleError('bad-reader-result', `reader returned ${Array.isArray(hashes) ? hashes.length : typeof hashes} hashes for ${ids.length} nodes`);
  }
  for (let i = 0; i < hashes.length; i++) {
    const h: unknown = hashes[i];
    if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) {
      const id = ids[i] as NodeId;
      throw new MerkleError('bad-reader-result', `reader returned a bad hash for node (${id.level}, ${id.index})`);
    }
  }
  return hashes;
}

/** Folds complete-subtree hashes (largest first) from the right into one subtree hash. */
export function foldRight(hashes: readonly Uint8Array[], from: number, to: number, backend: HashBackend = defaultBackend): Uint8Array {
  let h = hashes[to - 1] as Uint8Array;
  for (let i = to - 2; i >= from; i--) h = nodeHashUnchecked(hashes[i] as Uint8Array, h, backend);
  return h;
}

