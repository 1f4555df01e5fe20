import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ProofError } from './errors.js';
import { consistencyProof, inclusionProof } from './proof.js';
import { isConsistencyValid, isInclusionValid, rootFromInclusionProof, verifyConsistency, verifyInclusion } from './verify.js';
import { Reference, hex, loadVectors, makeLeaves, unhex } from './test-support.js';

const inclusionVectors = loadVectors('rfc6962_inclusion.json');
const consistencyVectors = loadVectors('rfc6962_consistency.json');
const REF = new Reference(makeLeaves(64));
const isProofError = (code?: string) => (e: unknown) => e instanceof ProofError && (code === undefined || e.code === code);

test('all 98 inclusion probes verify iff wantErr is false', () => {
  const cases = inclusionVectors.probes.cases;
  assert.equal(cases.length, 98);
  for (const c of cases) {
    const args = [BigInt(c.leafIdx), BigInt(c.treeSize), unhex(c.leafHash_hex), c.proof_hex.map(unhex), unhex(c.root_hex)] as const;
    if (c.wantErr) {
      assert.throws(() => verifyInclusion(...args), isProofError(), `${c.file}: ${c.desc}`);
      assert.equal(isInclusionValid(...args), false);
    } else {
      verifyInclusion(...args);
      assert.equal(isInclusionValid(...args), true, `${c.file}: ${c.desc}`);
    }
  }
});

test('all 98 consistency probes verify iff wantErr is false (one documented deviation)', () => {
  const cases = consistencyVectors.probes.cases;
  assert.equal(cases.length, 98);
  const deviations: string[] = [];
  for (const c of cases) {
    const args = [BigInt(c.size1), BigInt(c.size2), unhex(c.root1_hex), unhex(c.root2_hex), c.proof_hex.map(unhex)] as const;
    const all = [c.root1_hex, c.root2_hex, ...c.proof_hex] as string[];
    if (c.wantErr) {
      assert.throws(() => verifyConsistency(...args), isProofError(), `${c.file}: ${c.desc}`);
      assert.equal(isConsistencyValid(...args), false);
    } else if (all.some((h) => h.length !== 64)) {
      // transparency-dev compares equal-size roots bytewise whatever their length; we reject
      // every hash that is not 32 bytes (PROTOCOLS §7.7), so this probe fails on purpose.
      assert.throws(() => verifyConsistency(...args), isProofError('bad-hash-length'), c.file);
      deviations.push(c.file);
    } else {
      verifyConsistency(...args);
      assert.equal(isConsistencyValid(...args), true, `${c.file}: ${c.desc}`);
    }
  }
  assert.deepEqual(deviations, ['testdata/consistency/additional/sizes-are-equal-one-and-proof-is-empty.json']);
  // The same probe with 32-byte equal roots is accepted.
  verifyConsistency(1n, 1n, REF.mth(0, 1), REF.mth(0, 1), []);
});

test('edge semantics and error codes', () => {
  const r = (n: number) => REF.mth(0, n);
  const leaf = REF.leaves[0]!;
  assert.throws(() => verifyInclusion(3n, 3n, leaf, [], r(3)), isProofError('index-out-of-range'));
  assert.throws(() => verifyInclusion(0n, 0n, leaf, [], r(0)), isProofError('index-out-of-range'));
  assert.throws(() => verifyInclusion(-1n, 3n, leaf, [], r(3)), isProofError('invalid-size'));
  assert.throws(() => verifyInclusion(0n, 1n << 64n, leaf, [], r(3)), isProofError('invalid-size'));
  assert.throws(() => verifyInclusion(0n, 1n, new Uint8Array(31), [], r(1)), isProofError('bad-hash-length'));
  assert.throws(() => verifyInclusion(0n, 1n, leaf, [], new Uint8Array(0)), isProofError('bad-hash-length'));
  assert.throws(() => verifyInclusion(0n, 2n, leaf, [new Uint8Array(33)], r(2)), isProofError('bad-hash-length'));
  assert.throws(() => verifyInclusion(0n, 2n, leaf, [], r(2)), isProofError('wrong-proof-size'));
  assert.throws(() => verifyInclusion(0n, 1n, leaf, [leaf], r(1)), isProofError('wrong-proof-size'));
  assert.throws(() => verifyInclusion(0n, 1n, leaf, [], r(2)), isProofError('root-mismatch'));

  assert.throws(() => verifyConsistency(0n, 0n, r(0), r(0), []), isProofError('size1-zero'));
  assert.throws(() => verifyConsistency(0n, 5n, r(0), r(5), []), isProofError('size1-zero'));
  assert.throws(() => verifyConsistency(5n, 4n, r(5), r(4), []), isProofError('size-order'));
  verifyConsistency(5n, 5n, r(5), r(5), []);
  assert.throws(() => verifyConsistency(5n, 5n, r(5), r(4), []), isProofError('root-mismatch'));
  assert.throws(() => verifyConsistency(5n, 5n, r(5), r(5), [r(5)]), isProofError('proof-not-empty'));
  assert.throws(() => verifyConsistency(4n, 5n, r(4), r(5), []), isProofError('empty-proof'));
  assert.throws(() => verifyConsistency(4n, 5n, r(4), new Uint8Array(32 + 1), [r(4)]), isProofError('bad-hash-length'));
  const p = consistencyProof(5n, 9n, REF.reader(9));
  verifyConsistency(5n, 9n, r(5), r(9), p);
  assert.throws(() => verifyConsistency(5n, 9n, r(5), r(9), [...p, r(1)]), isProofError('wrong-proof-size'));
  assert.throws(() => verifyConsistency(5n, 9n, r(5), r(9), p.slice(1)), isProofError());
  assert.throws(() => verifyConsistency(5n, 9n, r(6), r(9), p), isProofError('root-mismatch'));
});

test('rootFromInclusionProof gives the root and leaves inputs untouched', () => {
  const proof = inclusionProof(3n, 10n, REF.reader(10));
  const before = proof.map(hex);
  assert.equal(hex(rootFromInclusionProof(3n, 10n, REF.leaves[3]!, proof)), hex(REF.mth(0, 10)));
  assert.deepEqual(proof.map(hex), before);
  const single = rootFromInclusionProof(0n, 1n, REF.leaves[0]!, []);
  assert.notEqual(single, REF.leaves[0]);
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

function mutate(proof: Uint8Array[], m: Mutation): Uint8Array[] | undefined {
  const p = proof.map((h) => h.slice());
  if (m.kind === 'insert') {
    p.splice(m.at % (p.length + 1), 0, m.bytes);
    return p;
  }
  if (p.length === 0) return undefined;
  const i = m.at % p.length;
  if (m.kind === 'flip') p[i]![m.bit >> 3]! ^= 1 << (m.bit & 7);
  else if (m.kind === 'drop') p.splice(i, 1);
  else if (m.kind === 'truncate') p[i] = p[i]!.subarray(0, m.len);
  else {
    const j = (i + 1) % p.length;
    if (hex(p[i]!) === hex(p[j]!)) return undefined;
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

test('property: mutated inclusion proofs fail with ProofError only', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 64 }), fc.nat(), mutation, fc.boolean(), (n, mi, mut, shiftIndex) => {
      const m = mi % n;
      const proof = inclusionProof(BigInt(m), BigInt(n), REF.reader(n));
      const bad = mutate(proof, mut);
      if (bad === undefined) return;
      const index = shiftIndex ? BigInt((m + 1) % n) : BigInt(m);
      try {
        verifyInclusion(index, BigInt(n), REF.leaves[m]!, bad, REF.mth(0, n));
      } catch (e) {
        assert.ok(e instanceof ProofError, String(e));
        return;
      }
      assert.fail(`mutated proof verified: ${JSON.stringify(mut)}`);
    }),
    { numRuns: 400 },
  );
});

test('property: mutated consistency proofs (or swapped roots/sizes) fail with ProofError only', () => {
  const variant = fc.constantFrom('proof' as const, 'swap-roots' as const, 'swap-sizes' as const, 'old-root' as const);
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 64 }), mutation, variant, (a, b, mut, how) => {
      const m = Math.min(a, b);
      const n = Math.max(a, b);
      const proof = consistencyProof(BigInt(m), BigInt(n), REF.reader(n));
      let args: [bigint, bigint, Uint8Array, Uint8Array, Uint8Array[]] = [BigInt(m), BigInt(n), REF.mth(0, m), REF.mth(0, n), proof];
      if (how === 'proof') {
        const bad = mutate(proof, mut);
        if (bad === undefined) return;
        args[4] = bad;
      } else if (how === 'swap-roots') {
        if (m === n) return;
        args = [args[0], args[1], args[3], args[2], proof];
      } else if (how === 'swap-sizes') {
        if (m === n) return;
        args = [args[1], args[0], args[2], args[3], proof];
      } else {
        if (m === 1) return;
        args[2] = REF.mth(0, m - 1);
      }
      try {
        verifyConsistency(...args);
      } catch (e) {
        assert.ok(e instanceof ProofError, String(e));
        return;
      }
      assert.fail(`mutated proof verified: ${m}→${n} ${how} ${JSON.stringify(mut)}`);
    }),
    { numRuns: 400 },
  );
});

test('property: random garbage never throws anything but ProofError', () => {
  const hashish = fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 40 }));
  fc.assert(
    fc.property(
      fc.bigInt({ min: -2n, max: (1n << 64n) + 2n }),
      fc.bigInt({ min: -2n, max: (1n << 64n) + 2n }),
      hashish,
      hashish,
      fc.array(hashish, { maxLength: 70 }),
      (x, y, h1, h2, proof) => {
        for (const f of [() => verifyInclusion(x, y, h1, proof, h2), () => verifyConsistency(x, y, h1, h2, proof)]) {
          try {
            f();
          } catch (e) {
            assert.ok(e instanceof ProofError, String(e));
          }
        }
      },
    ),
    { numRuns: 300 },
  );
});
