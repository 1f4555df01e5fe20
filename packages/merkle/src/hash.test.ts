import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { EMPTY_ROOT, HASH_SIZE, leafHash, nobleBackend, nodeHash, type HashBackend } from './hash.js';
import { nodeBackend } from './node.js';
import { MerkleError } from './errors.js';
import { treeHash } from './tree.js';
import { hex, loadVectors, refLeaf, refNode, unhex } from './test-support.js';

const hashing = loadVectors('rfc6962_hashing.json');
const backends: HashBackend[] = [nobleBackend, nodeBackend];
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

for (const backend of backends) {
  test(`primitives from rfc6962_hashing.json (${backend.name})`, () => {
    assert.equal(hashing.primitives.length, 5);
    for (const p of hashing.primitives) {
      let got: Uint8Array;
      if (p.op.startsWith('empty_root')) got = EMPTY_ROOT;
      else if (p.op === 'leaf_hash') got = leafHash(p.input_ascii !== undefined ? ascii(p.input_ascii) : unhex(p.input_hex), backend);
      else if (p.op === 'node_hash') {
        // 4-byte children: the raw function SHA-256(0x01||l||r), outside nodeHash's 32-byte contract.
        got = backend.sha256Parts!([new Uint8Array([1]), ascii(p.left_ascii), ascii(p.right_ascii)]);
      } else throw new Error(`unknown op ${p.op}`);
      assert.equal(hex(got), p.want_hex, p.id);
    }
  });

  test(`standard 8-leaf tree nodes and roots (${backend.name})`, () => {
    const st = hashing.standard_tree;
    const leaves = st.leaf_inputs_hex.map((h: string) => leafHash(unhex(h), backend));
    assert.deepEqual(leaves.map(hex), st.node_hashes_hex[0]);
    for (let level = 1; level < st.node_hashes_hex.length; level++) {
      st.node_hashes_hex[level].forEach((want: string, i: number) => {
        const span = 2 ** level;
        assert.equal(hex(treeHash(leaves.slice(i * span, (i + 1) * span), backend)), want, `node ${level}/${i}`);
      });
    }
    st.roots_hex.forEach((want: string, n: number) => assert.equal(hex(treeHash(leaves.slice(0, n), backend)), want, `root ${n}`));
  });

  test(`300-leaf "record %d" tree root (${backend.name})`, () => {
    const lt = hashing.larger_tree;
    const leaves = Array.from({ length: lt.size }, (_, i) => leafHash(ascii(`record ${i}`), backend));
    const root = treeHash(leaves, backend);
    assert.equal(hex(root), lt.root_hex);
    assert.equal(Buffer.from(root).toString('base64'), lt.root_base64);
  });
}

test('EMPTY_ROOT is SHA-256("") and differs from the empty leaf hash', () => {
  assert.equal(hex(EMPTY_ROOT), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.notEqual(hex(leafHash(new Uint8Array(0))), hex(EMPTY_ROOT));
});

test('noble and node backends agree with each other and the reference on random inputs', () => {
  // Sizes straddle the scratch limit (65536) so both leaf paths run.
  const sizes = [0, 1, 31, 32, 33, 64, 65, 1000, 4096, 65535, 65536, 65537, 200000];
  for (let round = 0; round < 3; round++) {
    for (const n of sizes) {
      const entry = new Uint8Array(randomBytes(n));
      const want = hex(refLeaf(entry));
      assert.equal(hex(leafHash(entry, nobleBackend)), want, `noble leaf ${n}`);
      assert.equal(hex(leafHash(entry, nodeBackend)), want, `node leaf ${n}`);
      assert.equal(hex(nobleBackend.sha256(entry)), hex(nodeBackend.sha256(entry)), `sha256 ${n}`);
    }
    for (let i = 0; i < 50; i++) {
      const l = new Uint8Array(randomBytes(32));
      const r = new Uint8Array(randomBytes(32));
      const want = hex(refNode(l, r));
      assert.equal(hex(nodeHash(l, r, nobleBackend)), want);
      assert.equal(hex(nodeHash(l, r, nodeBackend)), want);
    }
  }
});

test('a backend without sha256Parts still hashes large leaves', () => {
  const plain: HashBackend = { name: 'plain', sha256: (d) => nobleBackend.sha256(d) };
  const entry = new Uint8Array(randomBytes(70000));
  assert.equal(hex(leafHash(entry, plain)), hex(refLeaf(entry)));
});

test('digests are fresh plain Uint8Arrays of 32 bytes, not retained scratch', () => {
  for (const backend of backends) {
    const a = leafHash(ascii('a'), backend);
    const b = leafHash(ascii('b'), backend);
    const n1 = nodeHash(a, b, backend);
    const n2 = nodeHash(b, a, backend);
    for (const h of [a, b, n1, n2]) {
      assert.equal(h.length, HASH_SIZE);
      assert.equal(Object.getPrototypeOf(h), Uint8Array.prototype, backend.name);
    }
    assert.equal(hex(a), hex(refLeaf(ascii('a'))));
    assert.notEqual(hex(n1), hex(n2));
    assert.equal(hex(n1), hex(refNode(a, b)));
  }
});

test('nodeHash rejects children that are not 32 bytes', () => {
  const h = new Uint8Array(32);
  for (const bad of [new Uint8Array(0), new Uint8Array(31), new Uint8Array(33)]) {
    assert.throws(() => nodeHash(bad, h), (e: unknown) => e instanceof MerkleError && e.code === 'bad-hash-length');
    assert.throws(() => nodeHash(h, bad), (e: unknown) => e instanceof MerkleError && e.code === 'bad-hash-length');
  }
});
