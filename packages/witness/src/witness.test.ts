import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALG_COSIGNATURE_V1,
  cosignatureTimestamp,
  generateSignerKey,
  openNote,
  parseCosignatureLines,
  parseNote,
  parseVerifierKey,
  signNote,
} from '@cairn/formats';
import { EMPTY_ROOT } from '@cairn/merkle';
import { FakeClock, TestLog, testSeed } from './testing/test-log.js';
import { MemoryWitnessStorage } from './storage/memory.js';
import { Witness, type WitnessTestHooks } from './witness.js';
import { refused } from './test-refused.js';
import type { LogSpec } from './config.js';

const WITNESS_KEY = generateSignerKey('example.com/witness', testSeed(9));

function setup(opts: { qpd?: number; hooks?: WitnessTestHooks; storage?: MemoryWitnessStorage; logs?: LogSpec[] } = {}) {
  const log = new TestLog();
  const clock = new FakeClock();
  const storage = opts.storage ?? new MemoryWitnessStorage();
  const witness = new Witness({
    key: WITNESS_KEY,
    logs: opts.logs ?? [{ vkey: log.vkey, ...(opts.qpd === undefined ? {} : { qpd: opts.qpd }) }],
    storage,
    now: clock.now,
    ...(opts.hooks ? { hooks: opts.hooks } : {}),
  });
  return { log, clock, storage, witness };
}

test('first cosignature: only our line, verifiable, timestamp from the clock, state stored', async () => {
  const { log, clock, storage, witness } = setup();
  const res = await witness.addCheckpoint(log.body(0n, 5n));
  const lines = parseCosignatureLines(res.cosignatures);
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.name, 'example.com/witness');
  const vkey = parseVerifierKey(witness.cosignatureVkey);
  assert.equal(vkey.alg, ALG_COSIGNATURE_V1);
  const opened = openNote(log.note(5n) + res.cosignatures, [vkey]);
  assert.equal(opened.verified.length, 1);
  assert.equal(cosignatureTimestamp(opened.verified[0]!), BigInt(Math.floor(clock.ms / 1000)));
  const stored = await storage.latest(log.origin);
  assert.equal(stored?.size, 5n);
  assert.deepEqual(stored?.rootHash, log.root(5n));
  // The stored note carries the verified log signature and our cosignature.
  const both = openNote(stored!.note, [vkey, parseVerifierKey(log.vkey)]);
  assert.equal(both.verified.length, 2);
  assert.equal(both.unverified.length, 0);
  assert.equal(await witness.checkpointByOriginHash((await import('@cairn/formats')).originHash(log.origin)), stored!.note);
});

test('grow with a proof, refresh at the same size, and 409 carries the known size', async () => {
  const { log, clock, witness } = setup();
  await witness.addCheckpoint(log.body(0n, 3n));
  await witness.addCheckpoint(log.body(3n, 8n));
  clock.advance(5000);
  const again = await witness.addCheckpoint(log.body(8n, 8n));
  assert.equal(again.timestamp, BigInt(Math.floor(clock.ms / 1000)));
  const e = await refused(witness.addCheckpoint(log.body(3n, 9n)), 'conflict');
  assert.equal(e.evidence.knownSize, 8n);
  const e0 = await refused(witness.addCheckpoint(log.body(0n, 9n)), 'conflict');
  assert.equal(e0.evidence.knownSize, 8n);
});

test('malformed input, extension lines and oversized bodies are refused before anything else', async () => {
  const { log, witness } = setup();
  await refused(witness.addCheckpoint(new TextEncoder().encode('old 0\n')), 'bad-request');
  await refused(witness.addCheckpoint(new TextEncoder().encode('old 01\n\n' + log.note(1n))), 'bad-request');
  await refused(witness.addCheckpoint(log.body(0n, 1n, { note: log.text(1n) })), 'bad-request');
  const ext = await refused(witness.addCheckpoint(log.body(0n, 2n, { note: log.note(2n, { extensions: ['ext line'] }) })), 'bad-request');
  assert.match(ext.message, /invalid checkpoint/);
  await refused(witness.addCheckpoint(new Uint8Array(128 * 1024 + 1)), 'too-large');
});

test('unknown origin is 404; bad or missing trusted signature is 403', async () => {
  const { log, witness } = setup();
  const other = new TestLog('example.com/other-log', 2);
  await refused(witness.addCheckpoint(other.body(0n, 1n)), 'unknown-log');
  // Same origin, signed by a key the witness doesn't trust: no trusted signature.
  const impostor = new TestLog(log.origin, 3);
  await refused(witness.addCheckpoint(impostor.body(0n, 1n)), 'unverified');
  // A trusted line whose signature fails.
  const good = log.note(1n);
  const tampered = log.note(1n).replace(log.text(1n), log.text(1n, { rootHash: new Uint8Array(32).fill(7) }));
  assert.notEqual(good, tampered);
  await refused(witness.addCheckpoint(log.body(0n, 1n, { note: tampered })), 'invalid-signature');
  // A trusted line with non-canonical base64 (non-zero trailing bits) is a failing signature too.
  const sig = parseNote(good).signatures[0]!.line;
  const last = sig.at(-2)!;
  const mangled = sig.slice(0, -2) + (last === 'x' ? 'y' : 'x') + '=';
  await refused(witness.addCheckpoint(log.body(0n, 1n, { note: good.replace(sig, mangled) })), 'invalid-signature');
});

test('old > new is 400; a size-0 checkpoint needs the empty root (422, recorded)', async () => {
  const { log, storage, witness } = setup();
  await refused(witness.addCheckpoint(log.body(3n, 2n, { proof: [] })), 'old-size-too-large');
  await refused(witness.addCheckpoint(log.body(0n, 0n, { note: log.note(0n, { rootHash: new Uint8Array(32).fill(1) }) })), 'bad-empty-root');
  assert.equal((await storage.listMisbehaviour())[0]?.kind, 'bad-empty-root');
  // The empty tree itself is fine, and growing from it needs no proof.
  const r0 = await witness.addCheckpoint(log.body(0n, 0n, { note: log.note(0n, { rootHash: EMPTY_ROOT }) }));
  assert.equal(r0.size, 0n);
  await refused(witness.addCheckpoint(log.body(0n, 5n, { proof: [new Uint8Array(32)] })), 'unexpected-proof');
  assert.equal((await witness.addCheckpoint(log.body(0n, 5n))).size, 5n);
});

test('failing proofs and forks are 422 and recorded with both notes and the proof', async () => {
  const { log, storage, witness } = setup();
  await witness.addCheckpoint(log.body(0n, 3n));
  const bad = log.proof(3n, 7n);
  bad[0] = new Uint8Array(32).fill(9);
  await refused(witness.addCheckpoint(log.body(3n, 7n, { proof: bad })), 'inconsistent');
  await refused(witness.addCheckpoint(log.body(3n, 7n, { proof: [] })), 'inconsistent');
  const forkNote = log.note(3n, { rootHash: new Uint8Array(32).fill(4) });
  const fork = await refused(witness.addCheckpoint(log.body(3n, 3n, { note: forkNote })), 'fork');
  assert.equal(fork.evidence.offeredNote, forkNote);
  assert.ok(fork.evidence.storedNote?.startsWith(log.text(3n)));
  await refused(witness.addCheckpoint(log.body(3n, 3n, { proof: [new Uint8Array(32)] })), 'inconsistent');
  const records = await witness.misbehaviour();
  assert.deepEqual(records.map((r) => r.kind), ['inconsistent', 'fork', 'inconsistent', 'inconsistent']);
  const f = records[1]!;
  assert.equal(f.origin, log.origin);
  assert.equal(f.offeredNote, forkNote);
  assert.ok(f.storedNote?.startsWith(log.text(3n)));
  assert.deepEqual(records[3]!.proof, bad);
  assert.equal((await storage.latest(log.origin))?.size, 3n);
});

test('a forged line under the witness name is accepted but never stored', async () => {
  const { log, storage, witness } = setup();
  const w = parseNote(signNote(log.text(4n), [{ name: witness.name, keyId: witness.keyId, alg: 4, sign: () => new Uint8Array(72).fill(3) }]));
  const forged = log.note(4n) + w.signatures[0]!.line + '\n';
  const res = await witness.addCheckpoint(log.body(0n, 4n, { note: forged }));
  const stored = (await storage.latest(log.origin))!;
  assert.ok(!stored.note.includes(w.signatures[0]!.line));
  assert.ok(stored.note.endsWith(res.cosignatures));
  // The stored note opens cleanly with our key (a forged line would make it fail).
  openNote(stored.note, [parseVerifierKey(witness.cosignatureVkey)]);
  assert.equal((await witness.addCheckpoint(log.body(4n, 6n))).size, 6n);
});

test('the store never lowers a size, and CAS refuses a stale expectation', async () => {
  const { log, storage, witness } = setup();
  await witness.addCheckpoint(log.body(0n, 10n));
  const cur = (await storage.latest(log.origin))!;
  assert.equal(await storage.compareAndSwap({ size: 10n, rootHash: cur.rootHash }, { ...cur, size: 9n }), false);
  assert.equal(await storage.compareAndSwap(undefined, { ...cur, size: 11n }), false);
  assert.equal(await storage.compareAndSwap({ size: 9n, rootHash: cur.rootHash }, { ...cur, size: 11n }), false);
  assert.equal((await storage.latest(log.origin))?.size, 10n);
  await refused(witness.addCheckpoint(log.body(0n, 4n)), 'conflict');
  assert.equal((await storage.latest(log.origin))?.size, 10n);
});

test('per-origin qpd budget: 429 with retry-after, refilled over the day', async () => {
  const { log, clock, witness } = setup({ qpd: 2 });
  await witness.addCheckpoint(log.body(0n, 1n));
  await refused(witness.addCheckpoint(log.body(0n, 2n)), 'conflict');
  const e = await refused(witness.addCheckpoint(log.body(1n, 2n)), 'rate-limited');
  assert.ok(e.evidence.retryAfterSeconds! >= 1 && e.evidence.retryAfterSeconds! <= 43_200);
  // Unsigned junk for the same origin does not spend the log's budget.
  clock.advance(e.evidence.retryAfterSeconds! * 1000);
  await refused(witness.addCheckpoint(new TestLog(log.origin, 5).body(1n, 2n)), 'unverified');
  assert.equal((await witness.addCheckpoint(log.body(1n, 2n))).size, 2n);
});

test('a clock at 0 cosigns nothing', async () => {
  const { log, clock, storage, witness } = setup();
  clock.ms = 999;
  await refused(witness.addCheckpoint(log.body(0n, 1n)), 'config');
  assert.equal(await storage.latest(log.origin), undefined);
});

test('the per-origin mutex serialises check and store: the second request sees the first', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  let stalled!: () => void;
  const reached = new Promise<void>((r) => { stalled = r; });
  let first = true;
  const hooks: WitnessTestHooks = {
    async beforeStore() {
      if (!first) return;
      first = false;
      stalled();
      await gate;
    },
  };
  const { log, witness } = setup({ hooks });
  const a = witness.addCheckpoint(log.body(0n, 5n));
  await reached;
  const b = witness.addCheckpoint(log.body(0n, 7n));
  release();
  assert.equal((await a).size, 5n);
  const e = await refused(b, 'conflict');
  assert.equal(e.evidence.knownSize, 5n);
});

test('the storage CAS alone stops a rollback when two witnesses share a store', async () => {
  const storage = new MemoryWitnessStorage();
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  let stalled!: () => void;
  const reached = new Promise<void>((r) => { stalled = r; });
  const slow = setup({ storage, hooks: { async beforeStore() { stalled(); await gate; } } });
  const fast = setup({ storage });
  const a = slow.witness.addCheckpoint(slow.log.body(0n, 3n));
  await reached; // a has passed every check against "no state"
  assert.equal((await fast.witness.addCheckpoint(fast.log.body(0n, 9n))).size, 9n);
  release();
  const e = await refused(a, 'conflict');
  assert.equal(e.evidence.knownSize, 9n);
  assert.equal((await storage.latest(slow.log.origin))?.size, 9n);
});

test('status lists configured logs and their state', async () => {
  const { log, witness } = setup({ qpd: 100 });
  assert.deepEqual((await witness.status()).logs.map((l) => [l.origin, l.size, l.qpd]), [[log.origin, undefined, 100]]);
  await witness.addCheckpoint(log.body(0n, 2n));
  const s = await witness.status();
  assert.equal(s.name, 'example.com/witness');
  assert.equal(s.logs[0]?.size, 2n);
  assert.ok(s.logs[0]?.cosignedAt! > 0n);
  await refused(witness.checkpointByOriginHash('00'.repeat(32)), 'not-found');
});
