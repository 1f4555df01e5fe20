// Event proofs end to end over a real Merkle tree: leaves built from the fixtures, a checkpoint
// signed by the log and cosigned by witnesses, a c2sp.org/tlog-proof bundle; then every link
// tampered with in turn must fail with its own code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  addSignatures, cosignatureSigner, cosignatureVerifierKey, formatCheckpoint, formatProofBundle, generateSignerKey, parsePolicy,
  parseProofBundle, parseSignerKey, signNote, verifierKeyFromSigner, verifyCheckpointUnderPolicy,
} from '@cairn/formats';
import { inclusionProof, leafHash, treeHash, verifyInclusion, type NodeReader } from '@cairn/merkle';
import { EventProofError } from './errors.js';
import { canonicalJson, parseEvent } from './event.js';
import { buildLeaf, formatLeaf, parseLeaf, type BuiltLeaf } from './leaf.js';
import { formatEventProof, parseEventProof, type EventProof } from './proof.js';
import { verifyEventProof } from './verify-proof.js';
import { EVENTS, jsonBytes } from './test-fixtures.js';

const ORIGIN = 'example.com/audit';
const seed = (n: number): Uint8Array => new Uint8Array(32).fill(n);
const LOG_SKEY = generateSignerKey(ORIGIN, seed(1));
const WITNESSES = [1, 2, 3].map((i) => generateSignerKey(`w${i}.example.org`, seed(10 + i)));
const POLICY = parsePolicy([
  `log ${verifierKeyFromSigner(LOG_SKEY)}`,
  ...WITNESSES.map((w, i) => `witness w${i + 1} ${cosignatureVerifierKey(w)}`),
  'group two 2 w1 w2 w3',
  'quorum two',
  '',
].join('\n'));

// The log: one leaf per fixture, in order.
const events = Object.values(EVENTS).map((e) => parseEvent(jsonBytes(e)));
const salts = events.map((_, i) => Uint8Array.from({ length: 32 }, (_, j) => (i * 37 + j) & 0xff));
const leaves: BuiltLeaf[] = events.map((event, i) => buildLeaf({ source: 'okta-prod', seq: BigInt(i), event, salt: salts[i]! }));
const hashes = leaves.map((l) => l.leafHash);
const SIZE = leaves.length;
const reader: NodeReader = {
  readNodes: (ids) => ids.map(({ level, index }) => treeHash(hashes.slice(Number(index) << level, (Number(index) + 1) << level))),
};

function checkpoint(cosigners: number[], root = treeHash(hashes), size = SIZE, skey = LOG_SKEY): string {
  const text = formatCheckpoint({ origin: ORIGIN, size: BigInt(size), rootHash: root, extensions: [] });
  let note = signNote(text, [parseSignerKey(skey)]);
  for (const w of cosigners) note = addSignatures(note, [cosignatureSigner(WITNESSES[w]!, () => 1_767_225_700n)]);
  return note;
}

function proofFor(i: number, over: Partial<EventProof> = {}, note = checkpoint([0, 2]), index = i): Uint8Array {
  const bundle = formatProofBundle({ index: BigInt(index), proof: inclusionProof(BigInt(i), BigInt(SIZE), reader), checkpoint: note });
  return formatEventProof({ salt: salts[i]!, leaf: leaves[i]!.bytes, event: events[i]!.canonical, bundle, ...over });
}

function fails(file: Uint8Array, code: string, opts: Parameters<typeof verifyEventProof>[1] = { policy: POLICY }): void {
  assert.throws(() => verifyEventProof(file, opts), (e: unknown) => e instanceof EventProofError && e.code === code, code);
}

test('an event proof verifies offline under the policy and says what it proves', () => {
  for (let i = 0; i < SIZE; i++) {
    const ok = verifyEventProof(proofFor(i), { policy: POLICY, origin: ORIGIN });
    assert.equal(ok.index, BigInt(i));
    assert.equal(ok.checkpoint.origin, ORIGIN);
    assert.equal(ok.checkpoint.size, BigInt(SIZE));
    assert.deepEqual(ok.event.canonical, events[i]!.canonical);
    assert.deepEqual(ok.leafHash, leaves[i]!.leafHash);
    assert.equal(ok.leaf.seq, BigInt(i));
  }
});

test('the layout is the documented one and parse/format round-trip', () => {
  const file = proofFor(0);
  const text = new TextDecoder().decode(file);
  const [head] = text.split('\n\n');
  const lines = head!.split('\n');
  assert.equal(lines[0], 'cairn.dev/event-proof/v1');
  assert.equal(lines[1], `salt ${Buffer.from(salts[0]!).toString('base64')}`);
  assert.equal(lines[2], `leaf ${Buffer.from(leaves[0]!.bytes).toString('base64')}`);
  assert.equal(lines[3], `event ${new TextDecoder().decode(events[0]!.canonical)}`);
  assert.ok(text.includes('\n\nc2sp.org/tlog-proof@v1\nindex 0\n'));
  assert.deepEqual(formatEventProof(parseEventProof(file)), file);
});

test('every link, tampered with, fails with its own code', () => {
  const i = 2;
  const p = parseEventProof(proofFor(i));
  // envelope
  const text = new TextDecoder().decode(proofFor(i));
  fails(new TextEncoder().encode(text.replace('cairn.dev/event-proof/v1', 'cairn.dev/event-proof/v2')), 'malformed');
  fails(new TextEncoder().encode(text.replace('\nsalt ', '\nsalt  ')), 'malformed');
  // event → valid OCSF, canonical
  fails(proofFor(i, { event: canonicalJson({ hello: 'world' }) }), 'event-invalid');
  fails(proofFor(i, { event: jsonBytes(EVENTS[6003]) }), 'event-not-canonical');
  // leaf record parses
  fails(proofFor(i, { leaf: new TextEncoder().encode('cairn.dev/event-leaf/v1\n') }), 'leaf-malformed');
  // salt + event → commitment
  const salt = p.salt.slice();
  salt[5] = salt[5]! ^ 0x80;
  fails(proofFor(i, { salt }), 'commitment-mismatch');
  const otherEvent = parseEvent(jsonBytes({ ...EVENTS[6003], message: 'edited after the fact' })).canonical;
  fails(proofFor(i, { event: otherEvent }), 'commitment-mismatch');
  // leaf ↔ event fields
  const leaf = parseLeaf(p.leaf);
  fails(proofFor(i, { leaf: formatLeaf({ ...leaf, time: leaf.time + 1n }) }), 'leaf-mismatch');
  fails(proofFor(i, { leaf: formatLeaf({ ...leaf, classUid: 3001n }) }), 'leaf-mismatch');
  // bundle parses
  fails(proofFor(i, { bundle: new TextEncoder().encode('c2sp.org/tlog-proof@v1\nindex x\n\n') }), 'bundle-malformed');
  // checkpoint: signed by the policy's log key, for the expected origin
  const impostor = generateSignerKey(ORIGIN, seed(99));
  fails(proofFor(i, {}, checkpoint([0, 1], undefined, undefined, impostor)), 'checkpoint-invalid');
  fails(proofFor(i), 'checkpoint-invalid', { policy: POLICY, origin: 'example.com/other' });
  // quorum
  fails(proofFor(i, {}, checkpoint([1])), 'policy-not-met');
  fails(proofFor(i, {}, checkpoint([])), 'policy-not-met');
  // leaf hash under the root: another sequence number changes the leaf hash; so does another index or root
  fails(proofFor(i, { leaf: formatLeaf({ ...leaf, seq: leaf.seq + 1n }) }), 'inclusion-failed');
  fails(proofFor(i, {}, checkpoint([0, 1]), i + 1), 'inclusion-failed');
  fails(proofFor(i, {}, checkpoint([0, 1], treeHash(hashes.slice(0, SIZE - 1)))), 'inclusion-failed');
});

test('a caller-supplied checkpoint verifier (e.g. with clock rules) replaces the policy path', () => {
  const file = proofFor(1);
  let seen = '';
  const ok = verifyEventProof(file, {
    verifyCheckpoint: (note) => {
      seen = note;
      return { origin: ORIGIN, size: BigInt(SIZE), rootHash: treeHash(hashes) };
    },
  });
  assert.equal(ok.checkpointNote, seen);
  const quorum = Object.assign(new Error('quorum not met'), { code: 'quorum-not-met' });
  fails(file, 'policy-not-met', { verifyCheckpoint: () => { throw quorum; } });
  fails(file, 'checkpoint-invalid', { verifyCheckpoint: () => { throw Object.assign(new Error('future'), { code: 'cosignature-in-future' }); } });
  fails(file, 'bad-input', { verifyCheckpoint: () => ({ origin: ORIGIN }) as never });
  fails(file, 'bad-input', {});
  fails(file, 'bad-input', { policy: POLICY, verifyCheckpoint: () => ({ origin: ORIGIN, size: 1n, rootHash: new Uint8Array(32) }) });
});

test('after erasure the leaf is still provably in the log (the tlog-proof alone, without event and salt)', () => {
  // The event store deletes event and salt; the leaf record (public, in the tiles) and its
  // tlog-proof still verify: the proof never depended on the event's bytes.
  const bundle = parseProofBundle(parseEventProof(proofFor(3)).bundle);
  const cp = verifyCheckpointUnderPolicy(bundle.checkpoint, POLICY);
  assert.ok(cp.quorum.satisfied);
  verifyInclusion(bundle.index, cp.checkpoint.size, leafHash(leaves[3]!.bytes), bundle.proof, cp.checkpoint.rootHash);
  assert.equal(bundle.index, 3n);
});

test('property: mutated event proofs fail only with EventProofError', () => {
  const file = proofFor(4);
  fc.assert(fc.property(fc.nat({ max: file.length - 1 }), fc.integer({ min: 0, max: 255 }), (at, byte) => {
    const m = file.slice();
    m[at] = byte;
    try {
      const ok = verifyEventProof(m, { policy: POLICY });
      // A mutation that still verifies cannot have changed anything signed or hashed.
      assert.deepEqual([ok.event.canonical, ok.leafBytes, ok.salt, ok.index], [events[4]!.canonical, leaves[4]!.bytes, salts[4], 4n]);
    } catch (e) {
      if (!(e instanceof EventProofError)) throw e;
    }
  }), { numRuns: 400 });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
    try {
      assert.deepEqual(formatEventProof(parseEventProof(bytes)), bytes);
    } catch (e) {
      if (!(e instanceof EventProofError)) throw e;
    }
  }), { numRuns: 1000 });
});
