/**
 * Subtrees [start, end) of an RFC 6962 tree: validity, hash, inclusion and consistency proofs
 * (draft-ietf-plants-merkle-tree-certs §4.1–4.4, as implemented by transparency-dev/merkle;
 * PROTOCOLS §7.8). Used by tlog-witness `sign-subtree` and tlog-mirror. The draft is still in
 * flux, so this module is kept apart from the RFC 9162 code it builds on.
 *
 * - [start, end) is a valid subtree iff start < end and start is 0 or a multiple of
 *   bit_ceil(end − start) (the smallest power of two ≥ the length). Its hash is
 *   MTH(D[start:end]). Examples: [4, 8), [8, 13), [0, 6) are valid; [1, 3), [2, 5) are not.
 * - Subtree inclusion is PATH(index − start, D[start:end]): ordinary RFC 9162 inclusion of
 *   index − start in a tree of size end − start.
 * - Subtree consistency proves that the subtree hash is part of the tree of `size`
 *   (end ≤ size). SUBTREE_PROOF(start, end, D[n]) = SUBPROOF'(start, end, D[n], true) with
 *     start == 0 and end == n:  b ? [] : [MTH(D[n])]
 *     otherwise, k = the largest power of two < n:
 *       end ≤ k:    SUBPROOF'(start, end, D[0:k], b) ++ MTH(D[k:n])
 *       start ≥ k:  SUBPROOF'(start − k, end − k, D[k:n], b) ++ MTH(D[0:k])
 *       else (then start == 0): SUBPROOF'(0, end − k, D[k:n], false) ++ MTH(D[0:k])
 *   With start == 0 this is exactly RFC 6962 PROOF(end, D[n]). For example, in a tree of 14
 *   leaves, [4, 8) → [MTH(0,4), MTH(8,14)] and [8, 13) → [MTH(12,13), MTH(13,14), MTH(8,12),
 *   MTH(0,8)] (the draft's figures 7 and 8).
 *   So a proof is: an RFC consistency proof from `end` inside the smallest tree node that the
 *   subtree is a prefix of (empty when the subtree *is* that node), then one sibling per level
 *   above that node, bottom-up. The verifier walks the same descent.
 * - Empty subtrees (start == end) are library-specific; we follow the probe vectors: the
 *   consistency check accepts them iff end ≤ size, the proof is empty and the subtree hash is
 *   the empty-tree hash (the tree root is not used, but must still be 32 bytes).
 *   `isValidSubtree` is false for them and they have no leaves to prove.
 *
 * Verification throws {@link ProofError} (nothing else): 'invalid-size' (not uint64, or a
 * misaligned subtree), 'size-order' (start > end or end > size), 'index-out-of-range',
 * 'bad-hash-length', 'wrong-proof-size', 'empty-proof', 'proof-not-empty', 'root-mismatch'.
 * Generation throws {@link MerkleError} with the same codes for bad arguments.
 */
import { bitLength, checkUint64 } from './bits.js';
import { EMPTY_ROOT, HASH_SIZE, bytesEqual, defaultBackend, nodeHashUnchecked, type HashBackend } from './hash.js';
import { consistencyRoots, type ConsistencyRoots } from './consistency-roots.js';
import { MerkleError, ProofError } from './errors.js';
import { checkProof, checkProofHash } from './proof-checks.js';
import { foldRight, rangeNodes, readChecked, type NodeId, type NodeReader } from './nodes.js';
import { buildProof, consistencyProofPlan, inclusionProofPlan, type ProofPlan } from './proof.js';
import { rootFromInclusionProof } from './verify.js';

const UINT64_MAX = (1n << 64n) - 1n;

/** Whether [start, end) is a valid non-empty subtree (false for anything that isn't uint64). */
export function isValidSubtree(start: bigint, end: bigint): boolean {
  if (typeof start !== 'bigint' || typeof end !== 'bigint') return false;
  if (start < 0n || end > UINT64_MAX || start >= end) return false;
  const len = end - start;
  const ceil = 1n << BigInt(bitLength(len - 1n)); // bit_ceil(len); 1 for len == 1
  return start === 0n || start % ceil === 0n;
}

/** Checks [start, end) (already uint64) and throws `Err` with the reason if it is not valid. */
function checkSubtree(start: bigint, end: bigint, Err: typeof MerkleError | typeof ProofError): void {
  const evidence = { start, end };
  if (start > end) throw new Err('size-order', `subtree start ${start} > end ${end}`, { evidence });
  if (start === end) throw new Err('index-out-of-range', `subtree [${start}, ${end}) is empty`, { evidence });
  if (!isValidSubtree(start, end)) {
    throw new Err('invalid-size', `[${start}, ${end}) is not a valid subtree (start must be 0 or a multiple of bit_ceil(end - start))`, { evidence });
  }
}

/** One step of the descent from the root to the node the subtree is a prefix of. */
interface Step {
  /** The sibling's leaf range. */
  readonly lo: bigint;
  readonly hi: bigint;
  /** True when the sibling is on the left (the descent went right). */
  readonly left: boolean;
}

/**
 * Descends from the root [0, size) while the subtree does not start at the node's left edge.
 * Returns that node [lo, hi) (the subtree is then its prefix [lo, end)) and the siblings
 * passed, top-down. Requires a valid subtree with end ≤ size: then a node that the subtree
 * crosses the middle of always starts where the subtree does.
 */
function descend(start: bigint, end: bigint, size: bigint): { lo: bigint; hi: bigint; steps: Step[] } {
  let lo = 0n;
  let hi = size;
  const steps: Step[] = [];
  while (start > lo) {
    const mid = lo + (1n << BigInt(bitLength(hi - lo - 1n) - 1)); // hi − lo ≥ 2 here
    if (end <= mid) {
      steps.push({ lo: mid, hi, left: false });
      hi = mid;
    } else {
      steps.push({ lo, hi: mid, left: true });
      lo = mid;
    }
  }
  return { lo, hi, steps };
}

/** Shifts the nodes of a plan made for the tree [0, n) to the tree node [offset, offset + n). */
function shiftPlan(plan: ProofPlan, offset: bigint): ProofPlan {
  if (offset === 0n) return plan;
  return plan.map((element) => element.map(({ level, index }): NodeId => ({ level, index: index + (offset >> BigInt(level)) })));
}

/** The structure of PATH(index − start, D[start:end]) over complete nodes of the whole tree. */
export function subtreeInclusionProofPlan(index: bigint, start: bigint, end: bigint): ProofPlan {
  checkUint64(index, 'index');
  checkUint64(start, 'start');
  checkUint64(end, 'end');
  checkSubtree(start, end, MerkleError);
  if (index < start || index >= end) {
    throw new MerkleError('index-out-of-range', `index ${index} is not in [${start}, ${end})`, { evidence: { index, start, end } });
  }
  // start is a multiple of bit_ceil(end − start), so every node of the subtree is aligned.
  return shiftPlan(inclusionProofPlan(index - start, end - start), start);
}

/** The structure of SUBTREE_PROOF(start, end, D[size]) (empty for an empty subtree). */
export function subtreeConsistencyProofPlan(start: bigint, end: bigint, size: bigint): ProofPlan {
  checkUint64(start, 'start');
  checkUint64(end, 'end');
  checkUint64(size, 'size');
  const evidence = { start, end, size };
  if (end > size) throw new MerkleError('size-order', `subtree end ${end} > tree size ${size}`, { evidence });
  if (start === end) return [];
  checkSubtree(start, end, MerkleError);
  const { lo, hi, steps } = descend(start, end, size);
  // Every tree node [lo, hi) starts at a multiple of bit_ceil(hi − lo): the shift is aligned.
  const inner = shiftPlan(consistencyProofPlan(end - lo, hi - lo), lo);
  const outer = steps.reverse().map((s): NodeId[] => rangeNodes(s.lo, s.hi));
  return [...inner, ...outer];
}

/** PATH(index − start, D[start:end]) as 32-byte hashes, read from complete nodes of the tree. */
export function subtreeInclusionProof(
  index: bigint,
  start: bigint,
  end: bigint,
  reader: NodeReader,
  backend: HashBackend = defaultBackend,
): Uint8Array[] {
  return buildProof(subtreeInclusionProofPlan(index, start, end), reader, backend);
}

/** SUBTREE_PROOF(start, end, D[size]) as 32-byte hashes. The reader must serve the tree of `size`. */
export function subtreeConsistencyProof(
  start: bigint,
  end: bigint,
  size: bigint,
  reader: NodeReader,
  backend: HashBackend = defaultBackend,
): Uint8Array[] {
  return buildProof(subtreeConsistencyProofPlan(start, end, size), reader, backend);
}

/** MTH(D[start:end]) of a valid subtree (EMPTY_ROOT when start == end). */
export function subtreeHash(start: bigint, end: bigint, reader: NodeReader, backend: HashBackend = defaultBackend): Uint8Array {
  checkUint64(start, 'start');
  checkUint64(end, 'end');
  if (start === end) return EMPTY_ROOT.slice();
  checkSubtree(start, end, MerkleError);
  const ids = rangeNodes(start, end);
  const hashes = readChecked(reader, ids);
  return ids.length === 1 ? (hashes[0] as Uint8Array).slice() : foldRight(hashes, 0, hashes.length, backend);
}


/** Verifies that `leafHash` is leaf `index` of the subtree [start, end) with hash `subtreeRoot`. */
export function verifySubtreeInclusion(
  index: bigint,
  start: bigint,
  end: bigint,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  subtreeRoot: Uint8Array,
  backend: HashBackend = defaultBackend,
): void {
  checkUint64(index, 'index', ProofError);
  checkUint64(start, 'start', ProofError);
  checkUint64(end, 'end', ProofError);
  checkProofHash(leafHash, 'leaf hash');
  checkProofHash(subtreeRoot, 'subtree root');
  checkProof(proof);
  checkSubtree(start, end, ProofError);
  const evidence = { index, start, end };
  if (index < start || index >= end) {
    throw new ProofError('index-out-of-range', `index ${index} is not in [${start}, ${end})`, { evidence });
  }
  const computed = rootFromInclusionProof(index - start, end - start, leafHash, proof, backend);
  if (!bytesEqual(computed, subtreeRoot)) {
    throw new ProofError('root-mismatch', 'subtree inclusion proof does not lead to the subtree root', { evidence: { ...evidence, computed } });
  }
}

/**
 * Verifies that the subtree [start, end) with hash `subtreeRoot` is part of the tree of `size`
 * with root `treeRoot` (end ≤ size). See the module comment for empty subtrees.
 */
export function verifySubtreeConsistency(
  start: bigint,
  end: bigint,
  size: bigint,
  subtreeRoot: Uint8Array,
  treeRoot: Uint8Array,
  proof: readonly Uint8Array[],
  backend: HashBackend = defaultBackend,
): void {
  checkUint64(start, 'start', ProofError);
  checkUint64(end, 'end', ProofError);
  checkUint64(size, 'size', ProofError);
  checkProofHash(subtreeRoot, 'subtree root');
  checkProofHash(treeRoot, 'tree root');
  checkProof(proof);
  const evidence = { start, end, size };
  if (start > end) throw new ProofError('size-order', `subtree start ${start} > end ${end}`, { evidence });
  if (end > size) throw new ProofError('size-order', `subtree end ${end} > tree size ${size}`, { evidence });
  if (start === end) {
    if (proof.length !== 0) throw new ProofError('proof-not-empty', 'an empty subtree needs an empty proof', { evidence });
    if (!bytesEqual(subtreeRoot, EMPTY_ROOT)) throw new ProofError('root-mismatch', 'an empty subtree must have the empty-tree hash', { evidence });
    return;
  }
  checkSubtree(start, end, ProofError);

  const { lo, hi, steps } = descend(start, end, size);
  const innerLength = proof.length - steps.length;
  if (innerLength < 0) throw new ProofError('wrong-proof-size', `subtree consistency proof too short (${proof.length})`, { evidence });
  const m = end - lo;
  const n = hi - lo;
  let r: Uint8Array;
  if (m === n) {
    // The subtree is a node of the tree: only the siblings above it.
    if (innerLength !== 0) {
      const code = steps.length === 0 ? 'proof-not-empty' : 'wrong-proof-size';
      throw new ProofError(code, `subtree consistency proof too long (${proof.length})`, { evidence });
    }
    r = subtreeRoot;
  } else {
    if (innerLength === 0) {
      const code = proof.length === 0 ? 'empty-proof' : 'wrong-proof-size';
      throw new ProofError(code, `subtree consistency proof too short (${proof.length})`, { evidence });
    }
    let roots: ConsistencyRoots;
    try {
      roots = consistencyRoots(m, n, proof.slice(0, innerLength), (m & (m - 1n)) === 0n ? subtreeRoot : undefined, backend);
    } catch (e) {
      if (!(e instanceof ProofError)) throw e;
      throw new ProofError(e.code, `subtree [${start}, ${end}) of ${size}: ${e.message}`, { evidence, cause: e });
    }
    if (!bytesEqual(roots.first, subtreeRoot)) {
      throw new ProofError('root-mismatch', 'subtree consistency proof does not lead to the subtree root', { evidence });
    }
    r = roots.second;
  }
  for (let i = steps.length - 1, j = innerLength; i >= 0; i--, j++) {
    const sibling = proof[j] as Uint8Array;
    r = (steps[i] as Step).left ? nodeHashUnchecked(sibling, r, backend) : nodeHashUnchecked(r, sibling, backend);
  }
  if (!bytesEqual(r, treeRoot)) {
    throw new ProofError('root-mismatch', 'subtree consistency proof does not lead to the tree root', { evidence: { ...evidence, computed: r } });
  }
}

/** Boolean form of {@link verifySubtreeInclusion}: false on any ProofError. */
export function isSubtreeInclusionValid(
  index: bigint,
  start: bigint,
  end: bigint,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  subtreeRoot: Uint8Array,
  backend: HashBackend = defaultBackend,
): boolean {
  return accepts(() => verifySubtreeInclusion(index, start, end, leafHash, proof, subtreeRoot, backend));
}

/** Boolean form of {@link verifySubtreeConsistency}: false on any ProofError. */
export function isSubtreeConsistencyValid(
  start: bigint,
  end: bigint,
  size: bigint,
  subtreeRoot: Uint8Array,
  treeRoot: Uint8Array,
  proof: readonly Uint8Array[],
  backend: HashBackend = defaultBackend,
): boolean {
  return accepts(() => verifySubtreeConsistency(start, end, size, subtreeRoot, treeRoot, proof, backend));
}

function accepts(verify: () => void): boolean {
  try {
    verify();
    return true;
  } catch (e) {
    if (e instanceof ProofError) return false;
    throw e;
  }
}
