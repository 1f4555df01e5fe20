import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ProofError } from './errors.js';
import { consistencyProof } from './proof.js';
import { consistencyRoots } from './consistency-roots.js';
import { isConsistencyValid } from './verify.js';
import { Reference, hex, makeLeaves, refLeaf } from './test-support.js';

const N = 40;
const REF = new Reference(makeLeaves(N));
const isPow2 = (m: number): boolean => (m & (m - 1)) === 0;
const isProofError = (code: string) => (e: unknown) => e instanceof ProofError && e.code === code;

test('for every 0 < m < n ≤ 40 the roots of an honest proof are MTH(D[m]) and MTH(D[n])', () => {
  for (let n = 2; n <= N; n++) {
    const reader = REF.reader(n);
    for (let m = 1; m < n; m++) {
      const proof = consistencyProof(BigInt(m), BigInt(n), reader);
      const prefix = isPow2(m) ? REF.mth(0, m) : undefined;
      const { first, second } = consistencyRoots(BigInt(m), BigInt(n), proof, prefix);
      assert.equal(hex(first), hex(REF.mth(0, m)), `first ${m}/${n}`);
      assert.equal(hex(second), hex(REF.mth(0, n)), `second ${m}/${n}`);
    }
  }
});

test('a proof from a forked tree binds to the fork: second is the fork root, first is not the original prefix', () => {
  const fork = new Reference([...makeLeaves(5), ...Array.from({ length: N - 5 }, (_, i) => refLeaf(new TextEncoder().encode(`fork ${i}`)))]);
  for (let n = 7; n <= 24; n++) {
    for (let m = 6; m < n; m++) {
      const proof = consistencyProof(BigInt(m), BigInt(n), fork.reader(n));
      const prefix = isPow2(m) ? fork.mth(0, m) : undefined;
      const { first, second } = consistencyRoots(BigInt(m), BigInt(n), proof, prefix);
      assert.equal(hex(second), hex(fork.mth(0, n)));
      assert.equal(hex(first), hex(fork.mth(0, m)));
      assert.notEqual(hex(first), hex(REF.mth(0, m)));
    }
  }
});

test('agrees with verifyConsistency on arbitrary proofs (property)', () => {
  const hash = fc.uint8Array({ minLength: 32, maxLength: 32 });
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 70 }), fc.array(hash, { maxLength: 9 }), hash, (a, b, proof, prefix) => {
      const [m, n] = a < b ? [a, b] : [b, a + 1];
      let roots;
      try {
        roots = consistencyRoots(BigInt(m), BigInt(n), proof, isPow2(m) ? prefix : undefined);
      } catch (e) {
        assert.ok(e instanceof ProofError);
        assert.equal(isConsistencyValid(BigInt(m), BigInt(n), prefix, prefix, proof), false);
        return;
      }
      const root1 = isPow2(m) ? prefix : roots.first;
      assert.equal(hex(roots.first), hex(root1));
      assert.equal(isConsistencyValid(BigInt(m), BigInt(n), roots.first, roots.second, proof), true);
    }),
  );
});

test('edge cases throw ProofError with the documented codes', () => {
  const h = new Uint8Array(32);
  assert.throws(() => consistencyRoots(3n, 3n, [h]), isProofError('size-order'));
  assert.throws(() => consistencyRoots(4n, 3n, [h]), isProofError('size-order'));
  assert.throws(() => consistencyRoots(0n, 3n, [h]), isProofError('size1-zero'));
  assert.throws(() => consistencyRoots(3n, 5n, []), isProofError('empty-proof'));
  assert.throws(() => consistencyRoots(3n, 5n, [new Uint8Array(31)]), isProofError('bad-hash-length'));
  assert.throws(() => consistencyRoots(4n, 5n, [h]), isProofError('bad-hash-length'));
  assert.throws(() => consistencyRoots(3n, 5n, [h, h, h], h), isProofError('wrong-proof-size'));
  assert.throws(() => consistencyRoots(3n, 5n, Array(9).fill(h)), isProofError('wrong-proof-size'));
  assert.throws(() => consistencyRoots(-1n, 5n, [h]), isProofError('invalid-size'));
});
