/**
 * The witness side of the witness network, without libp2p: blocking after proven evidence (403
 * naming it, checked before the size check), evidence stored once, unproven evidence never
 * blocks, clearing, the fork refusal handed to listeners, and cosignature merging.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addSignatures, cosignatureSigner, cosignatureVerifierKey, generateSignerKey, openNote, originHash, parseVerifierKey } from '@cairn/formats';
import { FakeClock, TestLog, testSeed } from './testing/test-log.js';
import { MemoryWitnessStorage } from './storage/memory.js';
import { Witness } from './witness.js';
import { isWitnessError } from './errors.js';
import type { MisbehaviourRecord } from './storage/types.js';

const KEY = generateSignerKey('example.com/witness', testSeed(9));
const PEER = generateSignerKey('peer.example.com/witness', testSeed(10));
const ID = 'ab'.repeat(32);

function setup() {
  const log = new TestLog();
  const storage = new MemoryWitnessStorage();
  const witness = new Witness({ key: KEY, logs: [{ vkey: log.vkey }], storage, now: new FakeClock().now, cosigners: [cosignatureVerifierKey(PEER)] });
  return { log, storage, witness };
}

const input = (origin: string, proven: boolean, id = ID) => ({ id, origin, kind: 'equivocation', proven, record: '{}\n', conflict: `${origin}\nx` });

test('proven evidence blocks the origin: add-checkpoint is refused as blocked, naming the evidence, until cleared', async () => {
  const { log, storage, witness } = setup();
  await witness.addCheckpoint(log.body(0n, 4n));
  const r = await witness.recordEvidence(input(log.origin, true));
  assert.equal(r.stored, true);
  assert.equal(r.block?.evidenceId, ID);
  assert.equal((await witness.recordEvidence(input(log.origin, true))).stored, false);
  for (const body of [log.body(4n, 6n), log.body(0n, 6n)]) {
    await assert.rejects(witness.addCheckpoint(body), (e: unknown) => isWitnessError(e) && e.code === 'blocked' && e.evidence.evidenceId === ID && e.message.includes(`evidence ${ID}`));
  }
  assert.equal((await witness.status()).logs[0]?.blocked?.evidenceId, ID);
  assert.equal((await witness.evidence()).length, 1);
  assert.equal((await storage.clearBlock(log.origin))?.evidenceId, ID);
  assert.equal((await witness.addCheckpoint(log.body(4n, 6n))).size, 6n);
});

test('unproven evidence, or evidence about an origin not configured, is kept but never blocks', async () => {
  const { log, witness } = setup();
  assert.equal((await witness.recordEvidence(input(log.origin, false))).block, undefined);
  assert.equal((await witness.recordEvidence(input('example.com/other', true, 'cd'.repeat(32)))).block, undefined);
  assert.equal((await witness.evidence()).length, 2);
  assert.equal((await witness.addCheckpoint(log.body(0n, 2n))).size, 2n);
});

test('a fork refused at add-checkpoint reaches onMisbehaviour listeners with both notes', async () => {
  const { log, witness } = setup();
  const seen: MisbehaviourRecord[] = [];
  witness.onMisbehaviour((r) => seen.push(r));
  const cosigned: bigint[] = [];
  witness.onCosigned((r) => cosigned.push(r.size));
  await witness.addCheckpoint(log.body(0n, 3n));
  const fork = log.note(3n, { rootHash: new Uint8Array(32).fill(7) });
  await assert.rejects(witness.addCheckpoint(log.body(3n, 3n, { note: fork })), (e: unknown) => isWitnessError(e) && e.code === 'fork');
  assert.deepEqual(cosigned, [3n]);
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.offeredNote, fork);
  assert.ok(seen[0]!.storedNote?.startsWith(log.text(3n)));
});

test('merging keeps only verified lines of configured cosigners over the held checkpoint; the monitoring read serves them', async () => {
  const { log, witness } = setup();
  await witness.addCheckpoint(log.body(0n, 5n));
  const peerLine = cosignatureSigner(PEER, () => 1_700_000_100n);
  const stranger = cosignatureSigner(generateSignerKey('stranger.example', testSeed(11)), () => 1n);
  const good = addSignatures(log.note(5n), [peerLine, stranger]);
  assert.equal(await witness.mergeCosignatures(log.origin, log.note(5n)), 0, 'no cosigner line');
  assert.equal(await witness.mergeCosignatures(log.origin, addSignatures(log.note(4n), [peerLine])), 0, 'another checkpoint');
  const bad = good.replace(/— peer\.example\.com\/witness (\S)/u, (_, c: string) => `— peer.example.com/witness ${c === 'A' ? 'B' : 'A'}`);
  assert.equal(await witness.mergeCosignatures(log.origin, bad), 0, 'a line that does not verify');
  assert.equal(await witness.mergeCosignatures(log.origin, good), 1);
  assert.equal(await witness.mergeCosignatures(log.origin, good), 0, 'nothing new');
  const served = await witness.checkpointByOriginHash(originHash(log.origin));
  const keys = [parseVerifierKey(log.vkey), parseVerifierKey(witness.cosignatureVkey), parseVerifierKey(cosignatureVerifierKey(PEER))];
  assert.equal(openNote(served, keys).verified.length, 3);
  assert.ok(!served.includes('stranger.example'));
  // After the next cosignature the old foreign lines no longer apply.
  await witness.addCheckpoint(log.body(5n, 6n));
  assert.equal(openNote(await witness.checkpointByOriginHash(originHash(log.origin)), keys).verified.length, 2);
});

test('cosigner keys must be cosignature/v1 keys', () => {
  const log = new TestLog();
  assert.throws(() => new Witness({ key: KEY, logs: [{ vkey: log.vkey }], storage: new MemoryWitnessStorage(), cosigners: [log.vkey] }), (e: unknown) => isWitnessError(e) && e.code === 'config');
});
