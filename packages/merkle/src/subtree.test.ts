import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nodeBackend } from './node.js';
import { MerkleError, ProofError } from './errors.js';
import { EMPTY_ROOT, leafHash, nodeHash } from './hash.js';
import type { NodeId, NodeReader } from './nodes.js';
import { rootHash } from './proof.js';
import {
  isSubtreeConsistencyValid,
  isSubtreeInclusionValid,
  isValidSubtree,
  subtreeConsistencyProof,
  subtreeConsistencyProofPlan,
  subtreeHash,
  subtreeInclusionProof,
  subtreeInclusionProofPlan,
  verifySubtreeConsistency,
  verifySubtreeInclusion,
} from './subtree.js';
import { Reference, hex, loadVectors, makeLeaves, refLeaf, unhex } from './test-support.js';

const vectors = loadVectors('subtree_proofs_optional.json');
const hashingVectors = loadVectors('rfc6962_hashing.json');
const STANDARD_LEAVES: Uint8Array[] = hashingVectors.standard_tree.leaf_inputs_hex.map((h: string) => leafHash(unhex(h)));
const STANDARD = new Reference(STANDARD_LEAVES);
const N = 64;
const REF = new Reference(makeLeaves(N));
const OTHER = refLeaf(new TextEncoder().encode('some other 32-byte hash'));
const isProofError = (code?: string) => (e: unknown) => e instanceof ProofError && (code === undefined || e.code === code);
const isMerkleError = (code: string) => (e: unknown) => e instanceof MerkleError && !(e instanceof ProofError) && e.code === code;

// Naive references, straight from the definitions (numbers, not bigints).

/** Smallest power of two ≥ x (x ≥ 1). */
function bitCeil(x: number): number {
  let p = 1;
  while (p < x) p *= 2;
  return p;
}

const naiveValid = (start: number, end: number): boolean => start < end && (start === 0 || start % bitCeil(end - start) === 0);

/** Largest power of two strictly below n (n ≥ 2). */
const split = (n: number): number => bitCeil(n) / 2;

/** SUBTREE_SUBPROOF(start, end, D[lo:hi], b), recursively (absolute leaf positions). */
function naiveSubtreeProof(ref: Reference, start: number, end: number, lo: number, hi: number, b: boolean): Uint8Array[] {
  if (start === lo && end === hi) return b ? [] : [ref.mth(lo, hi)];
  const mid = lo + split(hi - lo);
  if (end <= mid) return [...naiveSubtreeProof(ref, start, end, lo, mid, b), ref.mth(mid, hi)];
  if (start >= mid) return [...naiveSubtreeProof(ref, start, end, mid, hi, b), ref.mth(lo, mid)];
  assert.equal(start, lo, 'a valid subtree only straddles a split at the node start');
  return [...naiveSubtreeProof(ref, mid, end, mid, hi, false), ref.mth(lo, mid)];
}

/** Every valid non-empty subtree [start, end) with end ≤ n. */
function validSubtrees(n: number): [number, number][] {
  const out: [number, number][] = [];
  for (let e = 1; e <= n; e++) for (let s = 0; s < e; s++) if (naiveValid(s, e)) out.push([s, e]);
  return out;
}

const flipBit = (h: Uint8Array, bit: number): Uint8Array => {
  const c = h.slice();
  c[(bit >> 3) % 32]! ^= 1 << (bit & 7);
  return c;
};

test('all 204 subtree inclusion probes verify iff wantErr is false', () => {
  const cases = vectors.subtree_inclusion_probes.cases;
  assert.equal(cases.length, 204);
  let accepted = 0;
  for (const c of cases) {
    const args = [BigInt(c.leafIdx), BigInt(c.start), BigInt(c.end), unhex(c.leafHash_hex), c.proof_hex.map(unhex), unhex(c.root_hex)] as const;
    if (c.wantErr) {
      assert.throws(() => verifySubtreeInclusion(...args), isProofError(), `${c.file}: ${c.desc}`);
      assert.equal(isSubtreeInclusionValid(...args), false);
    } else {
      verifySubtreeInclusion(...args);
      assert.equal(isSubtreeInclusionValid(...args), true, `${c.file}: ${c.desc}`);
      accepted++;
    }
  }
  assert.equal(accepted, 12);
});

// The probes that upstream accepts although a hash is not 32 bytes. We reject every hash that
// is not 32 bytes (PROTOCOLS §7.7, vectors README), as verifyConsistency does for the same
// RFC 6962 probe; each is also re-run below with 32-byte hashes and then accepted.
const LENGTH_DEVIATIONS = [
  'testdata/subtreeconsistency/additional/sizes-are-equal-one-and-proof-is-empty.json',
  'testdata/subtreeconsistency/additional/subtree-is-empty-sizes-are-equal-one-subtree-root-valid-tree-root-random-proof-is-empty.json',
  'testdata/subtreeconsistency/additional/subtree-is-empty-sizes-are-equal-zero-subtree-root-valid-tree-root-random-proof-is-empty.json',
];

test('all 118 subtree consistency probes verify iff wantErr is false (3 documented hash-length deviations)', () => {
  const cases = vectors.subtree_consistency_probes.cases;
  assert.equal(cases.length, 118);
  const deviations: string[] = [];
  let accepted = 0;
  for (const c of cases) {
    const args = [BigInt(c.start), BigInt(c.end), BigInt(c.size), unhex(c.root1_hex), unhex(c.root2_hex), c.proof_hex.map(unhex)] as const;
    const all = [c.root1_hex, c.root2_hex, ...c.proof_hex] as string[];
    if (c.wantErr) {
      assert.throws(() => verifySubtreeConsistency(...args), isProofError(), `${c.file}: ${c.desc}`);
      assert.equal(isSubtreeConsistencyValid(...args), false);
    } else if (all.some((h) => h.length !== 64)) {
      assert.throws(() => verifySubtreeConsistency(...args), isProofError('bad-hash-length'), c.file);
      deviations.push(c.file);
      // Same probe with every odd-length hash replaced by a 32-byte one (equal ones stay equal).
      const fix = (h: string) => (h.length === 64 ? unhex(h) : leafHash(unhex(h)));
      verifySubtreeConsistency(args[0], args[1], args[2], fix(c.root1_hex), fix(c.root2_hex), c.proof_hex.map(fix));
      accepted++;
    } else {
      verifySubtreeConsistency(...args);
      assert.equal(isSubtreeConsistencyValid(...args), true, `${c.file}: ${c.desc}`);
      accepted++;
    }
  }
  assert.deepEqual(deviations, LENGTH_DEVIATIONS);
  assert.equal(accepted, 12);
});

test('the 5 happy-path subtree consistency proofs are regenerated exactly', () => {
  const happy = vectors.subtree_consistency_probes.cases.filter((c: any) => c.file.endsWith('/happy-path.json'));
  assert.equal(happy.length, 5);
  for (const c of happy) {
    const [start, end, size] = [BigInt(c.start), BigInt(c.end), BigInt(c.size)];
    assert.equal(hex(subtreeHash(start, end, STANDARD.reader(c.size))), c.root1_hex, c.file);
    assert.equal(hex(rootHash(size, STANDARD.reader(c.size))), c.root2_hex, c.file);
    assert.deepEqual(subtreeConsistencyProof(start, end, size, STANDARD.reader(c.size)).map(hex), c.proof_hex, c.file);
  }
});

test('the 10 happy-path subtree inclusion proofs are regenerated exactly', () => {
  const happy = vectors.subtree_inclusion_probes.cases.filter((c: any) => /\/happy-path(-subtree)?\.json$/.test(c.file));
  assert.equal(happy.length, 10);
  for (const c of happy) {
    // The probe subtrees hold the standard leaves: put them at [start, end) of a larger tree.
    const leaves = [...makeLeaves(c.start), ...STANDARD_LEAVES.slice(0, c.end - c.start)];
    const ref = new Reference(leaves);
    const [index, start, end] = [BigInt(c.leafIdx), BigInt(c.start), BigInt(c.end)];
    assert.equal(hex(subtreeHash(start, end, ref.reader())), c.root_hex, c.file);
    assert.equal(hex(leaves[c.leafIdx]!), c.leafHash_hex, c.file);
    assert.deepEqual(subtreeInclusionProof(index, start, end, ref.reader()).map(hex), c.proof_hex, c.file);
  }
});

test('the draft figures: [4, 8) and [8, 13) in a tree of 14', () => {
  const m = (lo: number, hi: number) => hex(REF.mth(lo, hi));
  assert.deepEqual(subtreeConsistencyProof(4n, 8n, 14n, REF.reader(14)).map(hex), [m(0, 4), m(8, 14)]);
  assert.deepEqual(subtreeConsistencyProof(8n, 13n, 14n, REF.reader(14)).map(hex), [m(12, 13), m(13, 14), m(8, 12), m(0, 8)]);
});

test(`isValidSubtree matches the definition for 0 ≤ start, end ≤ ${2 * N}, and at uint64 edges`, () => {
  for (let e = 0; e <= 2 * N; e++) {
    for (let s = 0; s <= 2 * N; s++) assert.equal(isValidSubtree(BigInt(s), BigInt(e)), naiveValid(s, e), `[${s}, ${e})`);
  }
  const max = (1n << 64n) - 1n;
  assert.equal(isValidSubtree(0n, max), true);
  assert.equal(isValidSubtree(1n << 63n, max), true);
  assert.equal(isValidSubtree(1n, (1n << 63n) + 2n), false);
  assert.equal(isValidSubtree(max - 1n, max), true);
  assert.equal(isValidSubtree(0n, 1n << 64n), false);
  assert.equal(isValidSubtree(-1n, 0n), false);
  assert.equal(isValidSubtree(1 as unknown as bigint, 2n), false);
});

test(`every valid subtree of every size ≤ ${N}: consistency proof equals the naive recursion, verifies, mutations fail`, () => {
  for (let n = 1; n <= N; n++) {
    const size = BigInt(n);
    const root = REF.mth(0, n);
    for (const [s, e] of validSubtrees(n)) {
      const [start, end] = [BigInt(s), BigInt(e)];
      const sub = REF.mth(s, e);
      const where = `[${s}, ${e}) of ${n}`;
      const calls: NodeId[][] = [];
      const proof = subtreeConsistencyProof(start, end, size, REF.reader(n, calls), nodeBackend);
      assert.deepEqual(proof.map(hex), naiveSubtreeProof(REF, s, e, 0, n, true).map(hex), where);
      if (s === 0) assert.deepEqual(proof.map(hex), REF.subproof(e, 0, n, true).map(hex), `PROOF(${e}, ${n})`);
      assert.ok(calls.length <= 1);
      assert.deepEqual(calls[0] ?? [], subtreeConsistencyProofPlan(start, end, size).flat());
      assert.equal(hex(subtreeHash(start, end, REF.reader(n), nodeBackend)), hex(sub));
      verifySubtreeConsistency(start, end, size, sub, root, proof, nodeBackend);

      const fails = (args: Parameters<typeof verifySubtreeConsistency>, what: string) =>
        assert.throws(() => verifySubtreeConsistency(...args), isProofError(), `${where}: ${what}`);
      for (let i = 0; i < proof.length; i++) {
        const bad = proof.slice();
        bad[i] = flipBit(proof[i]!, i * 37 + s + e + n);
        fails([start, end, size, sub, root, bad, nodeBackend], `flip proof[${i}]`);
      }
      fails([start, end, size, flipBit(sub, n), root, proof, nodeBackend], 'flip subtree root');
      fails([start, end, size, sub, flipBit(root, e), proof, nodeBackend], 'flip tree root');
      fails([start, end, size, sub, root, [...proof, root], nodeBackend], 'extra element');
      if (proof.length > 0) fails([start, end, size, sub, root, proof.slice(1), nodeBackend], 'first element dropped');
      if (n < N) fails([start, end, size + 1n, sub, REF.mth(0, n + 1), proof, nodeBackend], 'next size');
    }
  }
});

test(`every leaf of every valid subtree with end ≤ ${N}: inclusion proof equals naive PATH, verifies, mutations fail`, () => {
  for (const [s, e] of validSubtrees(N)) {
    const [start, end] = [BigInt(s), BigInt(e)];
    const sub = REF.mth(s, e);
    for (let i = s; i < e; i++) {
      const index = BigInt(i);
      const where = `leaf ${i} of [${s}, ${e})`;
      const proof = subtreeInclusionProof(index, start, end, REF.reader(e), nodeBackend);
      assert.deepEqual(proof.map(hex), REF.path(i - s, s, e).map(hex), where);
      for (const { level, index: x } of subtreeInclusionProofPlan(index, start, end).flat()) {
        assert.ok(x << BigInt(level) >= start && (x + 1n) << BigInt(level) <= end, `${where}: node inside the subtree`);
      }
      verifySubtreeInclusion(index, start, end, REF.leaves[i]!, proof, sub, nodeBackend);
      for (let j = 0; j < proof.length; j++) {
        const bad = proof.slice();
        bad[j] = flipBit(proof[j]!, j * 41 + i);
        assert.throws(() => verifySubtreeInclusion(index, start, end, REF.leaves[i]!, bad, sub, nodeBackend), isProofError(), where);
      }
      assert.throws(() => verifySubtreeInclusion(index, start, end, flipBit(REF.leaves[i]!, i), proof, sub, nodeBackend), isProofError());
      if (e - s > 1) {
        const other = BigInt(s + ((i - s + 1) % (e - s)));
        assert.throws(() => verifySubtreeInclusion(other, start, end, REF.leaves[i]!, proof, sub, nodeBackend), isProofError(), where);
      }
    }
  }
});

test('empty subtrees, bounds and error codes', () => {
  const r = (lo: number, hi: number) => REF.mth(lo, hi);
  // Empty subtrees: accepted iff end ≤ size, proof empty and subtree hash = empty-tree hash.
  verifySubtreeConsistency(3n, 3n, 5n, EMPTY_ROOT, OTHER, []);
  verifySubtreeConsistency(5n, 5n, 5n, EMPTY_ROOT, r(0, 5), []);
  assert.throws(() => verifySubtreeConsistency(6n, 6n, 5n, EMPTY_ROOT, r(0, 5), []), isProofError('size-order'));
  assert.throws(() => verifySubtreeConsistency(3n, 3n, 5n, EMPTY_ROOT, r(0, 5), [EMPTY_ROOT]), isProofError('proof-not-empty'));
  assert.throws(() => verifySubtreeConsistency(3n, 3n, 5n, OTHER, r(0, 5), []), isProofError('root-mismatch'));
  assert.deepEqual(subtreeConsistencyProof(3n, 3n, 5n, REF.reader(5)), []);
  assert.equal(hex(subtreeHash(3n, 3n, REF.reader(5))), hex(EMPTY_ROOT));
  assert.throws(() => verifySubtreeInclusion(3n, 3n, 3n, REF.leaves[3]!, [], EMPTY_ROOT), isProofError('index-out-of-range'));

  // Consistency.
  assert.throws(() => verifySubtreeConsistency(2n, 1n, 5n, r(0, 1), r(0, 5), []), isProofError('size-order'));
  assert.throws(() => verifySubtreeConsistency(4n, 8n, 7n, r(4, 8), r(0, 7), []), isProofError('size-order'));
  assert.throws(() => verifySubtreeConsistency(2n, 5n, 8n, r(2, 5), r(0, 8), []), isProofError('invalid-size'));
  assert.throws(() => verifySubtreeConsistency(0n, 1n, 1n << 64n, r(0, 1), r(0, 1), []), isProofError('invalid-size'));
  assert.throws(() => verifySubtreeConsistency(0n, 1n, 1n, r(0, 1), new Uint8Array(33), []), isProofError('bad-hash-length'));
  assert.throws(() => verifySubtreeConsistency(0n, 1n, 2n, r(0, 1), r(0, 2), [new Uint8Array(31)]), isProofError('bad-hash-length'));
  assert.throws(() => verifySubtreeConsistency(0n, 5n, 5n, r(0, 5), r(0, 5), [r(0, 1)]), isProofError('proof-not-empty'));
  assert.throws(() => verifySubtreeConsistency(0n, 5n, 5n, r(0, 5), r(0, 4), []), isProofError('root-mismatch'));
  assert.throws(() => verifySubtreeConsistency(0n, 5n, 8n, r(0, 5), r(0, 8), []), isProofError('empty-proof'));
  assert.throws(() => verifySubtreeConsistency(4n, 8n, 14n, r(4, 8), r(0, 14), []), isProofError('wrong-proof-size'));
  const p = subtreeConsistencyProof(8n, 13n, 14n, REF.reader(14));
  assert.throws(() => verifySubtreeConsistency(8n, 13n, 14n, r(8, 13), r(0, 14), p.slice(2)), isProofError('wrong-proof-size'));
  assert.throws(() => verifySubtreeConsistency(8n, 13n, 14n, r(8, 12), r(0, 14), p), isProofError('root-mismatch'));
  assert.throws(() => verifySubtreeConsistency(8n, 13n, 14n, r(8, 13), r(0, 13), p), isProofError('root-mismatch'));

  // Inclusion.
  const q = subtreeInclusionProof(9n, 8n, 13n, REF.reader(13));
  verifySubtreeInclusion(9n, 8n, 13n, REF.leaves[9]!, q, r(8, 13));
  assert.throws(() => verifySubtreeInclusion(7n, 8n, 13n, REF.leaves[7]!, q, r(8, 13)), isProofError('index-out-of-range'));
  assert.throws(() => verifySubtreeInclusion(13n, 8n, 13n, REF.leaves[9]!, q, r(8, 13)), isProofError('index-out-of-range'));
  assert.throws(() => verifySubtreeInclusion(3n, 2n, 5n, REF.leaves[3]!, q, r(2, 5)), isProofError('invalid-size'));
  assert.throws(() => verifySubtreeInclusion(0n, 2n, 1n, REF.leaves[0]!, q, r(0, 1)), isProofError('size-order'));
  assert.throws(() => verifySubtreeInclusion(9n, 8n, 13n, REF.leaves[9]!, [...q, r(0, 1)], r(8, 13)), isProofError('wrong-proof-size'));
  assert.throws(() => verifySubtreeInclusion(9n, 8n, 13n, REF.leaves[9]!, q, r(8, 12)), isProofError('root-mismatch'));
  assert.throws(() => verifySubtreeInclusion(9n, 8n, 13n, new Uint8Array(0), q, r(8, 13)), isProofError('bad-hash-length'));

  // Generators throw MerkleError (not ProofError) for bad arguments.
  const reader = REF.reader();
  assert.throws(() => subtreeConsistencyProof(4n, 8n, 7n, reader), isMerkleError('size-order'));
  assert.throws(() => subtreeConsistencyProof(1n, 3n, 8n, reader), isMerkleError('invalid-size'));
  assert.throws(() => subtreeConsistencyProof(3n, 2n, 8n, reader), isMerkleError('size-order'));
  assert.throws(() => subtreeConsistencyProof(-1n, 2n, 8n, reader), isMerkleError('invalid-size'));
  assert.throws(() => subtreeInclusionProof(3n, 4n, 8n, reader), isMerkleError('index-out-of-range'));
  assert.throws(() => subtreeInclusionProof(4n, 4n, 4n, reader), isMerkleError('index-out-of-range'));
  assert.throws(() => subtreeHash(2n, 6n, reader), isMerkleError('invalid-size'));
  assert.throws(() => subtreeConsistencyProof(0n, 5n, 8n, { readNodes: () => [] }), isMerkleError('bad-reader-result'));
});

test('uint64 scale: a tree of identical leaves, where every node of a level has the same hash', () => {
  // MTH of 2^l identical leaves is H[l]; any range's hash folds these, so proofs can be
  // generated and checked for sizes near 2^64 through the real reader interface.
  const H: Uint8Array[] = [REF.leaves[0]!];
  for (let l = 1; l <= 63; l++) H.push(nodeHash(H[l - 1]!, H[l - 1]!));
  const reader: NodeReader = { readNodes: (ids) => ids.map(({ level }) => H[level]!) };
  const max = (1n << 64n) - 1n;
  const cases: [bigint, bigint, bigint][] = [
    [0n, max, max],
    [0n, (1n << 63n) + 3n, max],
    [1n << 63n, (1n << 63n) + (1n << 62n), max],
    [(1n << 63n) + (1n << 62n), (1n << 63n) + (1n << 62n) + 5n, max - 7n],
    [max - 1n, max, max],
    [1n << 62n, 1n << 63n, (1n << 63n) + 1n],
  ];
  for (const [start, end, size] of cases) {
    const sub = subtreeHash(start, end, reader);
    const root = rootHash(size, reader);
    const proof = subtreeConsistencyProof(start, end, size, reader);
    assert.ok(proof.length <= 130);
    verifySubtreeConsistency(start, end, size, sub, root, proof);
    assert.throws(() => verifySubtreeConsistency(start, end, size, flipBit(sub, 3), root, proof), isProofError());
    if (proof.length > 0) {
      assert.throws(() => verifySubtreeConsistency(start, end, size, sub, root, [flipBit(proof[0]!, 5), ...proof.slice(1)]), isProofError());
    }
    const index = end - 1n;
    verifySubtreeInclusion(index, start, end, H[0]!, subtreeInclusionProof(index, start, end, reader), sub);
  }
});

// Mutations of valid proofs must fail with ProofError and nothing else.
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(255) }),
  fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 0, maxLength: 40 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(), len: fc.nat(31) }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(proof: readonly Uint8Array[], m: Mutation): Uint8Array[] | undefined {
  const p: Uint8Array[] = proof.map((h) => h.slice());
  if (m.kind === 'insert') {
    p.splice(m.at % (p.length + 1), 0, m.bytes);
    return p;
  }
  if (p.length === 0) return undefined;
  const i = m.at % p.length;
  if (m.kind === 'flip') p[i] = flipBit(p[i]!, m.bit);
  else if (m.kind === 'drop') p.splice(i, 1);
  else if (m.kind === 'truncate') p[i] = p[i]!.subarray(0, m.len);
  else {
    const j = (i + 1) % p.length;
    if (hex(p[i]!) === hex(p[j]!)) return undefined;
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

const SUBTREES_BY_SIZE = Array.from({ length: N + 1 }, (_, n) => validSubtrees(n));
const subtreeInTree = fc
  .integer({ min: 1, max: N })
  .chain((n) => fc.constantFrom(...SUBTREES_BY_SIZE[n]!).map(([s, e]) => ({ n, s, e })));

function mustFailWithProofError(f: () => void, what: string): void {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof ProofError, String(e));
    return;
  }
  assert.fail(`mutated proof verified: ${what}`);
}

test('property: mutated subtree consistency proofs (or shifted subtrees/sizes) fail with ProofError only', () => {
  const variant = fc.constantFrom('proof' as const, 'next-size' as const, 'shift-subtree' as const);
  fc.assert(
    fc.property(subtreeInTree, mutation, variant, ({ n, s, e }, mut, how) => {
      const proof = subtreeConsistencyProof(BigInt(s), BigInt(e), BigInt(n), REF.reader(n), nodeBackend);
      let args: Parameters<typeof verifySubtreeConsistency> = [BigInt(s), BigInt(e), BigInt(n), REF.mth(s, e), REF.mth(0, n), proof, nodeBackend];
      if (how === 'proof') {
        const bad = mutate(proof, mut);
        if (bad === undefined) return;
        args[5] = bad;
      } else if (how === 'next-size') {
        if (n === N) return;
        args[2] = BigInt(n + 1);
        args[4] = REF.mth(0, n + 1);
      } else {
        // The same proof and hash claimed for the next subtree of the same length.
        const len = e - s;
        args = [BigInt(s + bitCeil(len)), BigInt(e + bitCeil(len)), BigInt(N), REF.mth(s, e), REF.mth(0, N), proof, nodeBackend];
        if (e + bitCeil(len) > N) return;
      }
      mustFailWithProofError(() => verifySubtreeConsistency(...args), `[${s}, ${e}) of ${n} ${how} ${JSON.stringify(mut)}`);
    }),
    { numRuns: 400 },
  );
});

test('property: mutated subtree inclusion proofs fail with ProofError only', () => {
  fc.assert(
    fc.property(subtreeInTree, fc.nat(), mutation, ({ s, e }, at, mut) => {
      const i = s + (at % (e - s));
      const proof = subtreeInclusionProof(BigInt(i), BigInt(s), BigInt(e), REF.reader(e), nodeBackend);
      const bad = mutate(proof, mut);
      if (bad === undefined) return;
      mustFailWithProofError(
        () => verifySubtreeInclusion(BigInt(i), BigInt(s), BigInt(e), REF.leaves[i]!, bad, REF.mth(s, e), nodeBackend),
        `leaf ${i} of [${s}, ${e}) ${JSON.stringify(mut)}`,
      );
    }),
    { numRuns: 400 },
  );
});

test('property: random garbage never throws anything but ProofError', () => {
  const hashish = fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 40 }), fc.constant(EMPTY_ROOT));
  const size = fc.oneof(fc.bigInt({ min: -2n, max: 70n }), fc.bigInt({ min: -2n, max: (1n << 64n) + 2n }));
  fc.assert(
    fc.property(size, size, size, hashish, hashish, fc.array(hashish, { maxLength: 70 }), (x, y, z, h1, h2, proof) => {
      for (const f of [() => verifySubtreeInclusion(x, y, z, h1, proof, h2), () => verifySubtreeConsistency(x, y, z, h1, h2, proof)]) {
        try {
          f();
        } catch (e) {
          assert.ok(e instanceof ProofError, String(e));
        }
      }
      assert.equal(typeof isValidSubtree(x, y), 'boolean');
    }),
    { numRuns: 400 },
  );
});
