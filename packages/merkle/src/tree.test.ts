import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TreeBuilder, treeHash } from './tree.js';
import { nobleBackend } from './hash.js';
import { nodeBackend } from './node.js';
import { MerkleError } from './errors.js';
import { rootNodes } from './nodes.js';
import { Reference, hex, makeLeaves } from './test-support.js';

const LEAVES = makeLeaves(300);
const REF = new Reference(LEAVES);

test('treeHash equals the naive recursive MTH for every size 0..300 (both backends)', () => {
  for (let n = 0; n <= 300; n++) {
    const want = hex(REF.mth(0, n));
    assert.equal(hex(treeHash(LEAVES.slice(0, n), nobleBackend)), want, `size ${n}`);
    assert.equal(hex(treeHash(LEAVES.slice(0, n), nodeBackend)), want, `size ${n}`);
  }
});

test('TreeBuilder root equals the naive MTH after every append, and its right edge is rootNodes', () => {
  const b = new TreeBuilder({ backend: nodeBackend });
  assert.equal(hex(b.root()), hex(REF.mth(0, 0)));
  for (let n = 1; n <= 300; n++) {
    b.append(LEAVES[n - 1]!);
    assert.equal(b.size, BigInt(n));
    assert.equal(hex(b.root()), hex(REF.mth(0, n)), `size ${n}`);
    const edge = rootNodes(BigInt(n)).map(({ level, index }) => {
      const lo = Number(index) * 2 ** level;
      return hex(REF.mth(lo, lo + 2 ** level));
    });
    assert.deepEqual(b.rightEdge().map(hex), edge);
  }
});

test('TreeBuilder reports every complete node exactly once with the right hash', () => {
  const seen = new Map<string, string>();
  const b = new TreeBuilder({
    onNode: (level, index, hash) => {
      const key = `${level}/${index}`;
      assert.ok(!seen.has(key), `duplicate ${key}`);
      seen.set(key, hex(hash));
    },
  });
  b.appendAll(LEAVES.slice(0, 100));
  let count = 0;
  for (let level = 0; 2 ** level <= 100; level++) {
    for (let i = 0; (i + 1) * 2 ** level <= 100; i++) {
      count++;
      assert.equal(seen.get(`${level}/${i}`), hex(REF.mth(i * 2 ** level, (i + 1) * 2 ** level)));
    }
  }
  assert.equal(seen.size, count);
});

test('TreeBuilder.resume continues from a stored right edge', () => {
  for (const n of [0, 1, 2, 7, 64, 100, 255]) {
    const a = new TreeBuilder();
    a.appendAll(LEAVES.slice(0, n));
    const b = TreeBuilder.resume(BigInt(n), a.rightEdge());
    b.appendAll(LEAVES.slice(n, 300));
    assert.equal(hex(b.root()), hex(REF.mth(0, 300)));
  }
  assert.throws(() => TreeBuilder.resume(3n, [LEAVES[0]!]), (e: unknown) => e instanceof MerkleError && e.code === 'bad-reader-result');
  assert.throws(() => TreeBuilder.resume(-1n, []), (e: unknown) => e instanceof MerkleError && e.code === 'invalid-size');
});

test('treeHash and TreeBuilder reject hashes that are not 32 bytes', () => {
  assert.throws(() => treeHash([LEAVES[0]!, new Uint8Array(31)]), (e: unknown) => e instanceof MerkleError && e.code === 'bad-hash-length');
  assert.throws(() => new TreeBuilder().append(new Uint8Array(33)), (e: unknown) => e instanceof MerkleError && e.code === 'bad-hash-length');
});

test('treeHash results do not alias their inputs', () => {
  const one = treeHash([LEAVES[0]!]);
  one[0]! ^= 1;
  assert.notEqual(hex(one), hex(LEAVES[0]!));
});

test('property: TreeBuilder root == treeHash for random leaf lists', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 80 }), (leaves) => {
      const b = new TreeBuilder();
      b.appendAll(leaves);
      assert.equal(hex(b.root()), hex(treeHash(leaves)));
    }),
    { numRuns: 100 },
  );
});
