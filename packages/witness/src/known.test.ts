/**
 * Checkpoints learned from peers: the floor of add-checkpoint and the catch-up through the same
 * checks, mutex and compare-and-swap (known.ts, Witness.learnCheckpoint / catchUp / hold).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAddCheckpointRequest, formatCheckpoint, generateSignerKey, parseSignerKey, signNote } from '@cairn/formats';
import { consistencyProof, leafHash, treeHash, type NodeReader } from '@cairn/merkle';
import { FakeClock, TestLog, testSeed } from './testing/test-log.js';
import { MemoryWitnessStorage } from './storage/memory.js';
import { Witness, SYNCING_RETRY_AFTER_SECONDS, type WitnessTestHooks } from './witness.js';
import { refused } from './test-refused.js';

const WITNESS_KEY = generateSignerKey('example.com/witness', testSeed(9));
const PEER = '12D3KooWPeerForTests';
/** Configuration only: the core never fetches (the catch-up driver in @cairn/gossip does). */
const LOG_URL = 'http://127.0.0.1:9/log';

function setup(hooks?: WitnessTestHooks) {
  const log = new TestLog();
  const clock = new FakeClock();
  const storage = new MemoryWitnessStorage();
  const witness = new Witness({ key: WITNESS_KEY, logs: [{ vkey: log.vkey, url: LOG_URL }], storage, now: clock.now, ...(hooks ? { hooks } : {}) });
  return { log, clock, storage, witness };
}

function readerOf(leaves: readonly Uint8Array[]): NodeReader {
  return { readNodes: (ids) => ids.map(({ level, index }) => treeHash(leaves.slice(Number(index) << level, (Number(index) << level) + (1 << level)))) };
}

/** A log-signed fork: TestLog's first `shared` leaves, then `extra` others; body from `shared`. */
function fork(log: TestLog, shared: bigint, extra: number) {
  const leaves = [
    ...Array.from({ length: Number(shared) }, (_, i) => leafHash(new TextEncoder().encode(`entry ${i}`))),
    ...Array.from({ length: extra }, (_, i) => leafHash(new TextEncoder().encode(`forged ${i}`))),
  ];
  const size = BigInt(leaves.length);
  const root = treeHash(leaves);
  const note = signNote(formatCheckpoint({ origin: log.origin, size, rootHash: root, extensions: [] }), [parseSignerKey(log.skey)]);
  return { size, root, note, body: formatAddCheckpointRequest({ oldSize: shared, proof: consistencyProof(shared, size, readerOf(leaves)), checkpoint: note }) };
}

test('the restored-witness fork: a larger checkpoint learned from a peer makes the fork a 409 naming it, before and after the catch-up', async () => {
  const { log, witness, storage } = setup();
  await witness.addCheckpoint(log.body(0n, 20n)); // the state of the old backup
  const f = fork(log, 20n, 20);
  assert.equal(f.size, 40n);

  const learned = await witness.learnCheckpoint(log.note(60n), PEER);
  assert.equal(learned.action, 'learned');
  // Not yet proven consistent: everything but the learned checkpoint itself is a 409 naming it.
  for (const body of [f.body, log.body(20n, 70n), log.body(60n, 70n), log.body(20n, 30n)]) {
    const e = await refused(witness.addCheckpoint(body), 'conflict');
    assert.equal(e.evidence.knownSize, 60n);
  }
  assert.equal((await storage.latest(log.origin))?.size, 20n, 'nothing stored');
  const st = (await witness.status()).logs[0]!;
  assert.equal(st.known?.size, 60n);
  assert.equal(st.known?.from, PEER);

  // The catch-up: a proof 20 → 60 (from the log's tiles in production) advances the state.
  const r = await witness.catchUp(log.origin, 20n, log.proof(20n, 60n));
  assert.equal(r?.size, 60n);
  assert.equal((await storage.latest(log.origin))?.size, 60n);
  const after = (await witness.status()).logs[0]!;
  assert.equal(after.known, undefined, 'no floor once it is held');
  assert.deepEqual([after.caughtUp?.fromSize, after.caughtUp?.size, after.caughtUp?.from], [20n, 60n, PEER]);
  assert.equal(await witness.catchUp(log.origin, 60n, []), undefined, 'nothing left to catch up with');

  // From now on the fork is refused whatever old size it claims; the honest log proves from 60.
  assert.equal((await refused(witness.addCheckpoint(f.body), 'conflict')).evidence.knownSize, 60n);
  await refused(witness.addCheckpoint(formatAddCheckpointRequest({ oldSize: 60n, proof: [], checkpoint: f.note })), 'old-size-too-large');
  assert.equal((await witness.addCheckpoint(log.body(60n, 70n))).size, 70n);
});

test('the log itself may send exactly the learned checkpoint with the proof from the stored size (200); a second root at that size is a fork (422)', async () => {
  const { log, witness, storage } = setup();
  await witness.addCheckpoint(log.body(0n, 8n));
  await witness.learnCheckpoint(log.note(16n), PEER);
  const other = signNote(formatCheckpoint({ origin: log.origin, size: 16n, rootHash: new Uint8Array(32).fill(7), extensions: [] }), [log.signer]);
  await refused(witness.addCheckpoint(formatAddCheckpointRequest({ oldSize: 8n, proof: log.proof(8n, 16n), checkpoint: other })), 'fork');
  const mis = await witness.misbehaviour();
  assert.equal(mis[0]?.kind, 'fork');
  assert.match(mis[0]!.storedNote!, /^example\.com\/test-log\n16\n/, 'the evidence names the learned checkpoint');
  assert.equal((await witness.addCheckpoint(log.body(8n, 16n))).size, 16n);
  assert.equal((await storage.latest(log.origin))?.size, 16n);
  assert.equal((await witness.addCheckpoint(log.body(16n, 20n))).size, 20n);
});

test('learning: only notes that verify under the log keys, only above what is stored and known', async () => {
  const { log, witness } = setup();
  await witness.addCheckpoint(log.body(0n, 10n));
  const stranger = new TestLog(log.origin, 2); // same origin, another key
  assert.equal((await witness.learnCheckpoint(stranger.note(50n), PEER)).action, 'ignored');
  assert.equal((await witness.learnCheckpoint('not a note', PEER)).action, 'ignored');
  assert.equal((await witness.learnCheckpoint(new TestLog('other.example/log').note(50n), PEER)).action, 'ignored');
  assert.equal((await witness.learnCheckpoint(log.note(10n), PEER)).action, 'not-newer');
  assert.equal((await witness.learnCheckpoint(log.note(4n), PEER)).action, 'not-newer');
  assert.equal((await witness.learnCheckpoint(log.note(30n, { extensions: ['ext'] }), PEER)).action, 'ignored');
  assert.equal((await witness.learnCheckpoint(log.note(30n), PEER)).action, 'learned');
  assert.equal((await witness.learnCheckpoint(log.note(20n), 'other')).action, 'not-newer');
  const equivocation = signNote(formatCheckpoint({ origin: log.origin, size: 30n, rootHash: new Uint8Array(32), extensions: [] }), [log.signer]);
  assert.equal((await witness.learnCheckpoint(equivocation, 'other')).action, 'ignored');
  const k = await witness.knownAbove(log.origin);
  assert.equal(k?.known.size, 30n);
  assert.equal(k?.known.from, PEER);
  assert.equal(k?.storedSize, 10n);
  // Only the verified log signature line is kept (a cosignature riding along is dropped).
  assert.equal(k!.known.note, log.note(30n));
  assert.equal((await witness.learnCheckpoint(log.note(40n), 'third')).action, 'learned');
  assert.equal((await witness.knownAbove(log.origin))?.known.from, 'third');
});

test('a learned checkpoint inconsistent with the stored one is never adopted: recorded as misbehaviour, 409 naming it stays', async () => {
  const { log, witness, storage } = setup();
  await witness.addCheckpoint(log.body(0n, 20n));
  const f = fork(log, 10n, 50); // size 60, consistent with 10 but not with 20
  assert.equal((await witness.learnCheckpoint(f.note, PEER)).action, 'learned');
  const seen: string[] = [];
  witness.onMisbehaviour((m) => seen.push(m.kind));
  // Whatever proof the tiles give, it cannot verify from our root at 20.
  await refused(witness.catchUp(log.origin, 20n, log.proof(20n, 60n)), 'inconsistent');
  assert.deepEqual(seen, ['inconsistent'], 'handed to the misbehaviour listeners (the split-view detector)');
  assert.equal((await storage.latest(log.origin))?.size, 20n);
  assert.equal((await refused(witness.addCheckpoint(log.body(20n, 30n)), 'conflict')).evidence.knownSize, 60n, 'never 200 below a known checkpoint');
});

test('a witness that never cosigned adopts a learned checkpoint with the empty proof', async () => {
  const { log, witness, storage } = setup();
  await witness.learnCheckpoint(log.note(12n), PEER);
  await refused(witness.addCheckpoint(log.body(0n, 5n)), 'conflict');
  assert.equal((await witness.catchUp(log.origin, 0n, []))?.size, 12n);
  assert.equal((await storage.latest(log.origin))?.size, 12n);
});

test('concurrency: add-checkpoint during a catch-up waits for the origin mutex; a stale catch-up proof is a conflict, never a lowering', async () => {
  let stall: Promise<void> | undefined;
  let entered!: () => void;
  const inStore = new Promise<void>((r) => { entered = r; });
  const { log, witness, storage } = setup({
    beforeStore: async () => {
      if (stall === undefined) return;
      entered();
      await stall;
    },
  });
  await witness.addCheckpoint(log.body(0n, 20n));
  await witness.learnCheckpoint(log.note(60n), PEER);
  let release!: () => void;
  stall = new Promise<void>((r) => { release = r; });
  const catching = witness.catchUp(log.origin, 20n, log.proof(20n, 60n));
  await inStore;
  // The log's own request for exactly the learned checkpoint (old 20) and a fork: both queue.
  const direct = witness.addCheckpoint(log.body(20n, 60n));
  const forked = witness.addCheckpoint(fork(log, 20n, 20).body);
  release();
  stall = undefined;
  assert.equal((await catching)?.size, 60n);
  assert.equal((await refused(direct, 'conflict')).evidence.knownSize, 60n);
  assert.equal((await refused(forked, 'conflict')).evidence.knownSize, 60n);
  assert.equal(storage.swaps, 2);

  // A catch-up whose proof was fetched for a size the state has left is refused as a conflict.
  await witness.learnCheckpoint(log.note(90n), PEER);
  await witness.addCheckpoint(log.body(60n, 90n)); // the log was faster
  assert.equal(await witness.catchUp(log.origin, 60n, log.proof(60n, 90n)), undefined, 'nothing left: the floor is held');
  await witness.learnCheckpoint(log.note(120n), PEER);
  await refused(witness.catchUp(log.origin, 60n, log.proof(60n, 120n)), 'conflict');
  assert.equal((await storage.latest(log.origin))?.size, 90n);
});

test('hold: add-checkpoint answers syncing (retry) until released; status says why', async () => {
  const { log, witness } = setup();
  const release = witness.hold('asking 2 peer witness(es) what they know');
  const e = await refused(witness.addCheckpoint(log.body(0n, 3n)), 'syncing');
  assert.equal(e.evidence.retryAfterSeconds, SYNCING_RETRY_AFTER_SECONDS);
  assert.match(e.message, /asking 2 peer witness/);
  assert.match((await witness.status()).held ?? '', /asking 2 peer/);
  release();
  release();
  assert.equal((await witness.status()).held, undefined);
  assert.equal((await witness.addCheckpoint(log.body(0n, 3n))).size, 3n);
});

test('without a log URL the 409 names the stored size: only the log can bring the witness to the learned checkpoint, exactly', async () => {
  const log = new TestLog();
  const witness = new Witness({ key: WITNESS_KEY, logs: [{ vkey: log.vkey }], storage: new MemoryWitnessStorage() });
  await witness.addCheckpoint(log.body(0n, 20n));
  await witness.learnCheckpoint(log.note(60n), PEER);
  const f = fork(log, 20n, 20);
  for (const body of [f.body, log.body(20n, 70n), log.body(20n, 30n)]) {
    assert.equal((await refused(witness.addCheckpoint(body), 'conflict')).evidence.knownSize, 20n);
  }
  assert.equal((await witness.addCheckpoint(log.body(20n, 60n))).size, 60n);
  assert.equal((await witness.addCheckpoint(log.body(60n, 70n))).size, 70n);
});
