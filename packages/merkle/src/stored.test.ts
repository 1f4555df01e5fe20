import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { splitStoredHashIndex, storedHashCount, storedHashIndex } from './stored.js';
import { MerkleError } from './errors.js';

/** The stored-hash sequence by simulation: each leaf n stores (0,n) then every subtree it completes. */
function simulate(leaves: number): string[] {
  const seq: string[] = [];
  for (let n = 0; n < leaves; n++) {
    seq.push(`0/${n}`);
    for (let level = 1, k = n + 1; k % 2 === 0; level++, k /= 2) seq.push(`${level}/${k / 2 - 1}`);
  }
  return seq;
}

test('indices match a simulated append sequence (1024 leaves)', () => {
  const seq = simulate(1024);
  seq.forEach((key, i) => {
    const [level, n] = key.split('/').map(Number) as [number, number];
    assert.equal(storedHashIndex(level, BigInt(n)), BigInt(i), key);
    assert.deepEqual(splitStoredHashIndex(BigInt(i)), { level, index: BigInt(n) });
  });
  for (let n = 0; n <= 1024; n++) assert.equal(storedHashCount(BigInt(n)), BigInt(simulate(n).length));
});

test('known values from the sumdb layout', () => {
  // Leaves 0..3 store (0,0) (0,1) (1,0) (0,2) (0,3) (1,1) (2,0).
  assert.equal(storedHashIndex(2, 0n), 6n);
  assert.equal(storedHashIndex(0, 2n), 3n);
  assert.equal(storedHashCount(4n), 7n);
  assert.equal(storedHashCount(0n), 0n);
});

test('property: split inverts index at uint64 scale', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 62 }), fc.bigInt({ min: 0n, max: (1n << 62n) - 1n }), (level, n) => {
      const idx = n >> BigInt(level);
      const i = storedHashIndex(level, idx);
      assert.deepEqual(splitStoredHashIndex(i), { level, index: idx });
    }),
    { numRuns: 300 },
  );
});

test('out-of-range arguments throw MerkleError', () => {
  const isErr = (e: unknown) => e instanceof MerkleError;
  assert.throws(() => storedHashIndex(64, 0n), isErr);
  assert.throws(() => storedHashIndex(0, -1n), isErr);
  assert.throws(() => storedHashIndex(63, 2n), isErr);
  assert.throws(() => splitStoredHashIndex(-1n), isErr);
  assert.throws(() => storedHashCount(1n << 64n), isErr);
});
