/**
 * Proof verification exactly as RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency),
 * with the edge semantics of transparency-dev/merkle (PROTOCOLS §7.5–7.7):
 *
 * - every hash (leaf, roots, proof elements) must be 32 bytes → else 'bad-hash-length';
 * - inclusion: index ≥ size → 'index-out-of-range';
 * - consistency: size1 > size2 → 'size-order'; size1 == 0 → 'size1-zero' (a tlog-witness
 *   handles "old 0" itself: the proof must be empty and nothing else is checked);
 *   size1 == size2 → valid iff the proof is empty ('proof-not-empty') and root1 == root2;
 *   otherwise an empty proof → 'empty-proof';
 * - a proof of the wrong length → 'wrong-proof-size'; a computed root that differs →
 *   'root-mismatch'.
 *
 * Failures throw {@link ProofError} (and nothing else); `isInclusionValid` /
 * `isConsistencyValid` return booleans instead.
 */
import { checkUint64 } from './bits.js';
import { HASH_SIZE, bytesEqual, defaultBackend, nodeHashUnchecked, type HashBackend } from './hash.js';
import { consistencyRoots } from './consistency-roots.js';
import { ProofError } from './errors.js';
import { checkProof, checkProofHash } from './proof-checks.js';


/**
 * The root implied by an inclusion proof (RFC 9162 §2.1.3.2 steps 1–3 and the length check of
 * step 4), without comparing it to a trusted root.
 */
export function rootFromInclusionProof(
  index: bigint,
  size: bigint,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  backend: HashBackend = defaultBackend,
): Uint8Array {
  checkUint64(index, 'index', ProofError);
  checkUint64(size, 'size', ProofError);
  checkProofHash(leafHash, 'leaf hash');
  checkProof(proof);
  if (index >= size) {
    throw new ProofError('index-out-of-range', `index ${index} is not below tree size ${size}`, { evidence: { index, size } });
  }
  let fn = index;
  let sn = size - 1n;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0n) throw new ProofError('wrong-proof-size', `inclusion proof too long (${proof.length})`, { evidence: { index, size } });
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHashUnchecked(p, r, backend);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = nodeHashUnchecked(r, p, backend);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new ProofError('wrong-proof-size', `inclusion proof too short (${proof.length})`, { evidence: { index, size } });
  return r === leafHash ? r.slice() : r;
}

/** Verifies that `leafHash` is leaf `index` of the tree of `size` with root `root`. */
export function verifyInclusion(
  index: bigint,
  size: bigint,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
  backend: HashBackend = defaultBackend,
): void {
  checkProofHash(root, 'root');
  const computed = rootFromInclusionProof(index, size, leafHash, proof, backend);
  if (!bytesEqual(computed, root)) {
    throw new ProofError('root-mismatch', 'inclusion proof does not lead to the root', { evidence: { index, size, computed } });
  }
}

/** Verifies that the tree (size2, root2) extends the tree (size1, root1). */
export function verifyConsistency(
  size1: bigint,
  size2: bigint,
  root1: Uint8Array,
  root2: Uint8Array,
  proof: readonly Uint8Array[],
  backend: HashBackend = defaultBackend,
): void {
  checkUint64(size1, 'size1', ProofError);
  checkUint64(size2, 'size2', ProofError);
  checkProofHash(root1, 'root1');
  checkProofHash(root2, 'root2');
  checkProof(proof);
  const evidence = { size1, size2 };
  if (size1 > size2) throw new ProofError('size-order', `size1 ${size1} > size2 ${size2}`, { evidence });
  if (size1 === 0n) throw new ProofError('size1-zero', 'a consistency proof from the empty tree is meaningless', { evidence });
  if (size1 === size2) {
    if (proof.length !== 0) throw new ProofError('proof-not-empty', 'equal sizes need an empty proof', { evidence });
    if (!bytesEqual(root1, root2)) throw new ProofError('root-mismatch', 'equal sizes but different roots', { evidence });
    return;
  }
  if (proof.length === 0) throw new ProofError('empty-proof', 'consistency proof is empty', { evidence });

  // RFC 9162 §2.1.4.2: the roots the proof commits to (for a power-of-two size1 the old root
  // starts the path), then both must match.
  const powerOfTwo = (size1 & (size1 - 1n)) === 0n;
  const { first, second } = consistencyRoots(size1, size2, proof, powerOfTwo ? root1 : undefined, backend);
  if (!bytesEqual(first, root1)) throw new ProofError('root-mismatch', 'consistency proof does not lead to root1', { evidence });
  if (!bytesEqual(second, root2)) throw new ProofError('root-mismatch', 'consistency proof does not lead to root2', { evidence });
}

/** Boolean form of {@link verifyInclusion}: false on any ProofError. */
export function isInclusionValid(
  index: bigint,
  size: bigint,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
  backend: HashBackend = defaultBackend,
): boolean {
  try {
    verifyInclusion(index, size, leafHash, proof, root, backend);
    return true;
  } catch (e) {
    if (e instanceof ProofError) return false;
    throw e;
  }
}

/** Boolean form of {@link verifyConsistency}: false on any ProofError. */
export function isConsistencyValid(
  size1: bigint,
  size2: bigint,
  root1: Uint8Array,
  root2: Uint8Array,
  proof: readonly Uint8Array[],
  backend: HashBackend = defaultBackend,
): boolean {
  try {
    verifyConsistency(size1, size2, root1, root2, proof, backend);
    return true;
  } catch (e) {
    if (e instanceof ProofError) return false;
    throw e;
  }
}
