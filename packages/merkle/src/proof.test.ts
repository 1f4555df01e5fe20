import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeBackend } from './node.js';
import { MerkleError } from './errors.js';
import { rootNodes, type NodeId } from './nodes.js';
import {
  buildProof,
  inclusionProofPlan,
  consistencyProof,
  consistencyProofNodes,
  inclusionProof,
  inclusionProofNodes,
  rootHash,
} from './proof.js';
import { verifyConsistency, verifyInclusion } from './verify.js';
import { leafHash } from './hash.js';
import { Reference, hex, loadVectors, makeLeaves, unb64, unhex } from './test-support.js';

const inclusionVectors = loadVectors('rfc6962_inclusion.json');
const consistencyVectors = loadVectors('rfc6962_consistency.json');
const hashingVectors = loadVectors('rfc6962_hashing.json');

const STANDARD = new Reference(hashingVectors.standard_tree.leaf_inputs_hex.map((h: string) => leafHash(unhex(h))));
const EXHAUSTIVE = 130;
const REF = new Reference(makeLeaves(EXHAUSTIVE));
const isCode = (code: string) => (e: unknown) => e instanceof MerkleError && e.code === code;

test('generated inclusion proofs from rfc6962_inclusion.json', () => {
  assert.equal(inclusionVectors.generated_proofs.cases.length, 5);
  for (const c of inclusionVectors.generated_proofs.cases) {
    const size = BigInt(c.size);
    const proof = inclusionProof(BigInt(c.index), size, STANDARD.reader(c.size));
    assert.deepEqual(proof.map(hex), c.proof_hex, `index ${c.index} size ${c.size}`);
    assert.equal(hex(rootHash(size, STANDARD.reader(c.size))), c.root_hex);
    verifyInclusion(BigInt(c.index), size, unhex(c.leaf_hash_hex), proof, unhex(c.root_hex));
  }
});

test('generated consistency proofs from rfc6962_consistency.json', () => {
  assert.equal(consistencyVectors.generated_proofs.cases.length, 5);
  for (const c of consistencyVectors.generated_proofs.cases) {
    const proof = consistencyProof(BigInt(c.size1), BigInt(c.size2), STANDARD.reader(c.size2));
    assert.deepEqual(proof.map(hex), c.proof_hex, `${c.size1} → ${c.size2}`);
    verifyConsistency(BigInt(c.size1), BigInt(c.size2), unhex(c.root1_hex), unhex(c.root2_hex), proof);
  }
});

test('custom leaf-hash tree (0x2a||i) consistency proofs and roots', () => {
  const t = consistencyVectors.custom_leaf_hash_tree;
  const ref = new Reference(t.leaf_hashes_base64.map(unb64));
  for (const [size, root] of Object.entries(t.roots_base64)) {
    assert.equal(hex(rootHash(BigInt(size), ref.reader(Number(size)))), hex(unb64(root as string)), `root ${size}`);
  }
  assert.equal(t.proofs.length, 3);
  for (const p of t.proofs) {
    const proof = consistencyProof(BigInt(p.size1), BigInt(p.size2), ref.reader(p.size2));
    assert.deepEqual(proof.map(hex), p.proof_base64.map((b: string) => hex(unb64(b))));
    const r1 = unb64(t.roots_base64[String(p.size1)]);
    const r2 = unb64(t.roots_base64[String(p.size2)]);
    verifyConsistency(BigInt(p.size1), BigInt(p.size2), r1, r2, proof);
  }
});

test(`every root for sizes 0..${EXHAUSTIVE} via rootNodes/rootHash`, () => {
  for (let n = 0; n <= EXHAUSTIVE; n++) {
    assert.equal(hex(rootHash(BigInt(n), REF.reader(n), nodeBackend)), hex(REF.mth(0, n)));
  }
});

test(`every inclusion proof for sizes 1..${EXHAUSTIVE}: equals naive PATH and verifies`, () => {
  for (let n = 1; n <= EXHAUSTIVE; n++) {
    const size = BigInt(n);
    const root = REF.mth(0, n);
    for (let m = 0; m < n; m++) {
      const calls: NodeId[][] = [];
      const proof = inclusionProof(BigInt(m), size, REF.reader(n, calls), nodeBackend);
      assert.deepEqual(proof.map(hex), REF.path(m, 0, n).map(hex), `PATH(${m}, ${n})`);
      assert.ok(calls.length <= 1, 'one readNodes call per proof');
      assert.deepEqual(calls[0] ?? [], inclusionProofNodes(BigInt(m), size));
      verifyInclusion(BigInt(m), size, REF.leaves[m]!, proof, root, nodeBackend);
    }
  }
});

test(`every consistency proof for 1 ≤ m ≤ n ≤ ${EXHAUSTIVE}: equals naive SUBPROOF and verifies`, () => {
  for (let n = 1; n <= EXHAUSTIVE; n++) {
    const root2 = REF.mth(0, n);
    for (let m = 1; m <= n; m++) {
      const calls: NodeId[][] = [];
      const proof = consistencyProof(BigInt(m), BigInt(n), REF.reader(n, calls), nodeBackend);
      assert.deepEqual(proof.map(hex), REF.subproof(m, 0, n, true).map(hex), `PROOF(${m}, ${n})`);
      assert.deepEqual(calls[0] ?? [], consistencyProofNodes(BigInt(m), BigInt(n)));
      verifyConsistency(BigInt(m), BigInt(n), REF.mth(0, m), root2, proof, nodeBackend);
    }
  }
});

test('planned nodes are complete, distinct, and within the tree', () => {
  for (let n = 1; n <= 70; n++) {
    const lists: NodeId[][] = [rootNodes(BigInt(n))];
    for (let m = 0; m < n; m++) lists.push(inclusionProofNodes(BigInt(m), BigInt(n)));
    for (let m = 1; m <= n; m++) lists.push(consistencyProofNodes(BigInt(m), BigInt(n)));
    for (const ids of lists) {
      const keys = new Set(ids.map((id) => `${id.level}/${id.index}`));
      assert.equal(keys.size, ids.length);
      for (const { level, index } of ids) assert.ok((index + 1n) << BigInt(level) <= BigInt(n));
    }
  }
});

test('planning works at uint64 scale without a reader', () => {
  const size = (1n << 63n) + 12345n;
  const ids = inclusionProofNodes(size - 1n, size);
  assert.ok(ids.length > 0 && ids.length <= 64 + 8);
  for (const { level, index } of ids) assert.ok((index + 1n) << BigInt(level) <= size);
  const c = consistencyProofNodes(1000n, size);
  for (const { level, index } of c) assert.ok((index + 1n) << BigInt(level) <= size);
  assert.equal(rootNodes((1n << 64n) - 1n).length, 64);
});

test('range errors throw MerkleError with codes', () => {
  const r = REF.reader();
  assert.throws(() => inclusionProof(0n, 0n, r), isCode('index-out-of-range'));
  assert.throws(() => inclusionProof(5n, 5n, r), isCode('index-out-of-range'));
  assert.throws(() => inclusionProof(-1n, 5n, r), isCode('invalid-size'));
  assert.throws(() => inclusionProofNodes(0n, 1n << 64n), isCode('invalid-size'));
  assert.throws(() => consistencyProof(6n, 5n, r), isCode('size-order'));
  assert.throws(() => consistencyProof(0n, 5n, r), isCode('size1-zero'));
  assert.throws(() => consistencyProof(0n, 0n, r), isCode('size1-zero'));
  assert.deepEqual(consistencyProof(5n, 5n, r), []);
  assert.equal(hex(rootHash(0n, r)), hex(REF.mth(0, 0)));
  assert.deepEqual(rootNodes(0n), []);
});

test('a misbehaving reader is reported as bad-reader-result', () => {
  assert.throws(() => inclusionProof(0n, 8n, { readNodes: () => [] }), isCode('bad-reader-result'));
  assert.throws(() => rootHash(3n, { readNodes: (ids) => ids.map(() => new Uint8Array(31)) }), isCode('bad-reader-result'));
});

test('buildProof with a shared fold memo gives the same proofs as without, for every index of several sizes', () => {
  for (const n of [7, 100, 129, 255, 300].filter((x) => x <= EXHAUSTIVE)) {
    const size = BigInt(n);
    const folds = new Map<string, Uint8Array>();
    for (let m = 0; m < n; m++) {
      const plan = inclusionProofPlan(BigInt(m), size);
      const plain = buildProof(plan, REF.reader(n), nodeBackend);
      const memo = buildProof(plan, REF.reader(n), nodeBackend, folds);
      assert.deepEqual(memo.map(hex), plain.map(hex), `size ${n} index ${m}`);
      memo[0]?.fill(0); // returned hashes are copies: mutating one does not poison the memo
    }
    // With three or more right-edge subtrees, some proof elements are folds of several nodes.
    const popcount = n.toString(2).replace(/0/g, '').length;
    if (popcount >= 3) assert.ok(folds.size > 0, `size ${n} has right-edge folds to share`);
  }
});
