/**
 * The two roots a consistency proof commits to (RFC 9162 §2.1.4.2 steps 1–6), without
 * comparing them to anything.
 *
 * `verifyConsistency(m, n, root1, root2, proof)` succeeds exactly when
 * `consistencyRoots(m, n, proof, root1)` returns `{ first: root1, second: root2 }`. Returning the
 * roots instead of a verdict lets a caller tell *which* side fails: split-view evidence
 * (@cairn/gossip) shows that a proof reproduces the log's signed root at size n (`second`) while
 * its prefix at size m (`first`) differs from the root the log signed at size m.
 *
 * When m is a power of two the RFC puts root1 in front of the proof (the old tree is one
 * complete subtree, so the proof omits it): the caller supplies that hash as `prefixRoot`, and
 * `first` is then `prefixRoot` itself. For any other m, `prefixRoot` must be absent.
 *
 * Errors (ProofError, nothing else): sizes not uint64 'invalid-size'; m > n or m == n
 * 'size-order' (the RFC algorithm needs 0 < m < n); m == 0 'size1-zero'; an empty proof
 * 'empty-proof'; a hash that is not 32 bytes, or `prefixRoot` missing when m is a power of two
 * 'bad-hash-length'; `prefixRoot` given otherwise, or a proof too short/long 'wrong-proof-size'.
 */
import { checkUint64 } from './bits.js';
import { HASH_SIZE, defaultBackend, nodeHashUnchecked, type HashBackend } from './hash.js';
import { ProofError } from './errors.js';
import { checkProofHash } from './proof-checks.js';

/** The roots of the trees of size m (`first`) and n (`second`) a consistency proof implies. */
export interface ConsistencyRoots {
  readonly first: Uint8Array;
  readonly second: Uint8Array;
}


/** Runs RFC 9162 §2.1.4.2 steps 1–6 for 0 < m < n and returns (fr, sr). */
export function consistencyRoots(
  m: bigint,
  n: bigint,
  proof: readonly Uint8Array[],
  prefixRoot?: Uint8Array,
  backend: HashBackend = defaultBackend,
): ConsistencyRoots {
  checkUint64(m, 'size1', ProofError);
  checkUint64(n, 'size2', ProofError);
  const evidence = { size1: m, size2: n };
  if (m >= n) throw new ProofError('size-order', `consistency roots need size1 < size2, got ${m} and ${n}`, { evidence });
  if (m === 0n) throw new ProofError('size1-zero', 'a consistency proof from the empty tree is meaningless', { evidence });
  if (!Array.isArray(proof)) throw new ProofError('wrong-proof-size', 'proof must be an array of hashes', { evidence });
  if (proof.length === 0) throw new ProofError('empty-proof', 'consistency proof is empty', { evidence });
  for (let i = 0; i < proof.length; i++) checkProofHash(proof[i], `proof[${i}]`);

  const powerOfTwo = (m & (m - 1n)) === 0n;
  let path: readonly Uint8Array[] = proof;
  if (powerOfTwo) {
    checkProofHash(prefixRoot, 'prefix root (size1 is a power of two)');
    path = [prefixRoot, ...proof];
  } else if (prefixRoot !== undefined) {
    throw new ProofError('wrong-proof-size', 'a prefix root is only used when size1 is a power of two', { evidence });
  }

  let fn = m - 1n;
  let sn = n - 1n;
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = path[0] as Uint8Array;
  let sr = fr;
  for (let i = 1; i < path.length; i++) {
    const c = path[i] as Uint8Array;
    if (sn === 0n) throw new ProofError('wrong-proof-size', `consistency proof too long (${proof.length})`, { evidence });
    if ((fn & 1n) === 1n || fn === sn) {
      fr = nodeHashUnchecked(c, fr, backend);
      sr = nodeHashUnchecked(c, sr, backend);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      sr = nodeHashUnchecked(sr, c, backend);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new ProofError('wrong-proof-size', `consistency proof too short (${proof.length})`, { evidence });
  return { first: fr.slice(), second: sr.slice() };
}
