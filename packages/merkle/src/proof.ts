/**
 * Proof generation (RFC 6962 §2.1.1 PATH and §2.1.2 PROOF; RFC 9162 §2.1.3.1 / §2.1.4.1),
 * iteratively over complete-subtree nodes.
 *
 * Each proof element is the hash of one subtree of the RFC tree. Most are complete
 * subtrees (one {@link NodeId}); at most one per proof is the incomplete right-hand subtree
 * [start, size), computed from its complete-subtree decomposition. The planning functions
 * (`*Plan`, `*Nodes`) say which nodes are needed, so async storage can prefetch them; the
 * generators read them in one `readNodes` call and combine.
 *
 * Semantics at the edges (all throw MerkleError):
 * - inclusion: `index ≥ size` → 'index-out-of-range' (so size 0 always throws).
 * - consistency: `m > n` → 'size-order'; `m == 0` → 'size1-zero' (a proof from the empty tree
 *   is meaningless; a tlog-witness request with old size 0 carries an empty proof and the
 *   caller handles it without calling us); `m == n` → the empty proof.
 * - sizes and indices must be in [0, 2^64) → else 'invalid-size'.
 */
import { bitLength, checkUint64, trailingZeros } from './bits.js';
import { EMPTY_ROOT, defaultBackend, type HashBackend } from './hash.js';
import { MerkleError } from './errors.js';
import { foldRight, nodeKey, rangeNodes, readChecked, type NodeId, type NodeReader } from './nodes.js';

/** A proof as a list of elements; each element is folded from its complete subtrees. */
export type ProofPlan = NodeId[][];

/** Elements of the inclusion proof of complete node (level, index) in a tree of `size`. */
function pathPlan(level: number, index: bigint, size: bigint): ProofPlan {
  const last = (size - 1n) >> BigInt(level);
  const inner = bitLength(index ^ last);
  const out: ProofPlan = [];
  for (let i = 0; i < inner; i++) {
    const l = level + i;
    const sibling = (index >> BigInt(i)) ^ 1n;
    const start = sibling << BigInt(l);
    const end = start + (1n << BigInt(l));
    out.push(end <= size ? [{ level: l, index: sibling }] : rangeNodes(start, size));
  }
  for (let i = inner, rest = index >> BigInt(inner); rest > 0n; i++, rest >>= 1n) {
    if ((rest & 1n) === 1n) out.push([{ level: level + i, index: rest ^ 1n }]);
  }
  return out;
}

/** The structure of PATH(index, D[size]): leaf's sibling first, root's child last. */
export function inclusionProofPlan(index: bigint, size: bigint): ProofPlan {
  checkUint64(index, 'index');
  checkUint64(size, 'size');
  if (index >= size) {
    throw new MerkleError('index-out-of-range', `index ${index} is not below tree size ${size}`, { evidence: { index, size } });
  }
  return pathPlan(0, index, size);
}

/** The structure of PROOF(m, D[n]), 0 < m ≤ n (empty when m == n). */
export function consistencyProofPlan(m: bigint, n: bigint): ProofPlan {
  checkUint64(m, 'size1');
  checkUint64(n, 'size2');
  if (m > n) throw new MerkleError('size-order', `size1 ${m} > size2 ${n}`, { evidence: { size1: m, size2: n } });
  if (m === 0n) {
    throw new MerkleError('size1-zero', 'a consistency proof from the empty tree is meaningless', { evidence: { size1: m, size2: n } });
  }
  if (m === n) return [];
  // The last complete subtree of the old tree, then its inclusion path in the new tree.
  const level = trailingZeros(m);
  const index = (m >> BigInt(level)) - 1n;
  const path = pathPlan(level, index, n);
  // When m is a power of two that subtree is the old root, which the verifier already has.
  return index === 0n ? path : [[{ level, index }], ...path];
}

/** Every complete node the inclusion proof needs, in proof order. */
export function inclusionProofNodes(index: bigint, size: bigint): NodeId[] {
  return inclusionProofPlan(index, size).flat();
}

/** Every complete node the consistency proof needs, in proof order. */
export function consistencyProofNodes(m: bigint, n: bigint): NodeId[] {
  return consistencyProofPlan(m, n).flat();
}

/**
 * Reads all nodes of a plan in one call and folds each element. `folds` (optional) memoises the
 * elements that are folds of several nodes — for proofs in one tree size these are the same
 * right-edge subtrees again and again — keyed by their nodes; pass one map per tree size and
 * reader, e.g. for a batch of proofs.
 */
export function buildProof(
  plan: ProofPlan,
  reader: NodeReader,
  backend: HashBackend = defaultBackend,
  folds?: Map<string, Uint8Array>,
): Uint8Array[] {
  const ids = plan.flat();
  const hashes = readChecked(reader, ids);
  const out: Uint8Array[] = [];
  let at = 0;
  for (const element of plan) {
    if (element.length === 1) {
      out.push((hashes[at] as Uint8Array).slice());
    } else {
      const key = folds === undefined ? '' : element.map(nodeKey).join(',');
      let h = folds?.get(key);
      if (h === undefined) {
        h = foldRight(hashes, at, at + element.length, backend);
        folds?.set(key, h);
      }
      out.push(h.slice());
    }
    at += element.length;
  }
  return out;
}

/** PATH(index, D[size]) as 32-byte hashes. */
export function inclusionProof(index: bigint, size: bigint, reader: NodeReader, backend: HashBackend = defaultBackend): Uint8Array[] {
  return buildProof(inclusionProofPlan(index, size), reader, backend);
}

/** PROOF(m, D[n]) as 32-byte hashes. */
export function consistencyProof(m: bigint, n: bigint, reader: NodeReader, backend: HashBackend = defaultBackend): Uint8Array[] {
  return buildProof(consistencyProofPlan(m, n), reader, backend);
}

/** MTH of the first `size` leaves (EMPTY_ROOT for 0), from the nodes of `rootNodes(size)`. */
export function rootHash(size: bigint, reader: NodeReader, backend: HashBackend = defaultBackend): Uint8Array {
  checkUint64(size, 'size');
  if (size === 0n) return EMPTY_ROOT.slice();
  const ids = rangeNodes(0n, size);
  const hashes = readChecked(reader, ids);
  return ids.length === 1 ? (hashes[0] as Uint8Array).slice() : foldRight(hashes, 0, hashes.length, backend);
}
