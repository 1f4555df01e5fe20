import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLevelWitnessStorage } from './level.js';
import { MemoryWitnessStorage } from './memory.js';
import type { MisbehaviourRecord, StoredCheckpoint, WitnessStorage } from './types.js';

function cp(origin: string, size: bigint, fill = Number(size)): StoredCheckpoint {
  return { origin, size, rootHash: new Uint8Array(32).fill(fill), note: `note ${origin} ${size}\n`, cosignedAt: 1_700_000_000n + size };
}

function rec(origin: string, reason: string): MisbehaviourRecord {
  return {
    kind: 'fork', origin, time: 1_700_000_000n, oldSize: 3n, storedNote: undefined, offeredNote: `offered ${reason}\n`,
    proof: [new Uint8Array(32).fill(1)], reason,
  };
}

/** The compliance suite every driver runs. */
async function compliance(s: WitnessStorage): Promise<void> {
  assert.equal(await s.latest('a'), undefined);
  assert.equal(await s.compareAndSwap({ size: 0n, rootHash: new Uint8Array(32) }, cp('a', 1n)), false, 'expects a record that does not exist');
  assert.equal(await s.compareAndSwap(undefined, cp('a', 1n)), true);
  assert.equal(await s.compareAndSwap(undefined, cp('a', 2n)), false, 'expects no record but one exists');
  assert.equal(await s.compareAndSwap({ size: 1n, rootHash: new Uint8Array(32).fill(9) }, cp('a', 2n)), false, 'root differs');
  assert.equal(await s.compareAndSwap({ size: 1n, rootHash: new Uint8Array(32).fill(1) }, cp('a', 0n)), false, 'never lower');
  assert.equal(await s.compareAndSwap({ size: 1n, rootHash: new Uint8Array(32).fill(1) }, cp('a', 5n)), true);
  assert.deepEqual(await s.latest('a'), cp('a', 5n));
  // Concurrent swaps from the same state: exactly one wins.
  const results = await Promise.all([6n, 7n, 8n, 9n].map((n) => s.compareAndSwap({ size: 5n, rootHash: new Uint8Array(32).fill(5) }, cp('a', n))));
  assert.equal(results.filter(Boolean).length, 1);
  assert.equal(await s.compareAndSwap(undefined, cp('b', 0n)), true);
  assert.deepEqual((await s.listLatest()).map((c) => c.origin).sort(), ['a', 'b']);
  await s.recordMisbehaviour(rec('a', 'one'));
  await s.recordMisbehaviour(rec('b', 'two'));
  await s.recordMisbehaviour(rec('a', 'three'));
  assert.deepEqual((await s.listMisbehaviour()).map((r) => r.reason), ['three', 'two', 'one']);
  assert.deepEqual((await s.listMisbehaviour({ origin: 'a', limit: 1 })).map((r) => r.reason), ['three']);
  assert.deepEqual((await s.listMisbehaviour({ limit: 2 }))[1], rec('b', 'two'));
  await evidenceCompliance(s);
}

function ev(origin: string, n: number, proven = true) {
  return { id: n.toString(16).padStart(64, '0'), origin, kind: 'equivocation', proven, record: `{"n":${n}}\n`, recordedAt: 1_700_000_000_000 + n };
}

/** Evidence, blocks, cleared conflicts and foreign cosignatures. */
async function evidenceCompliance(s: WitnessStorage): Promise<void> {
  const block = (origin: string, n: number, conflict = `conflict ${n}`) => ({ origin, evidenceId: ev(origin, n).id, conflict, since: 5 });
  assert.equal(await s.block('a'), undefined);
  assert.equal(await s.addEvidence(ev('a', 1, false)), true);
  assert.equal(await s.addEvidence(ev('a', 1, false), block('a', 1)), false, 'an id is stored once, and a duplicate does not block');
  assert.equal(await s.block('a'), undefined);
  assert.equal(await s.addEvidence(ev('a', 2), block('a', 2)), true);
  assert.deepEqual(await s.block('a'), block('a', 2));
  assert.equal(await s.addEvidence(ev('a', 3), block('a', 3)), true);
  assert.deepEqual(await s.block('a'), block('a', 2), 'the first block stays');
  await s.addEvidence(ev('b', 4));
  assert.deepEqual((await s.listEvidence()).map((e) => e.recordedAt % 10), [4, 3, 2, 1]);
  assert.deepEqual(await s.listEvidence({ origin: 'a', limit: 1 }), [ev('a', 3)]);
  assert.deepEqual(await s.listBlocks(), [block('a', 2)]);
  assert.deepEqual(await s.clearBlock('a'), block('a', 2));
  assert.equal(await s.clearBlock('a'), undefined);
  assert.equal(await s.addEvidence(ev('a', 5), block('a', 5, 'conflict 2')), true);
  assert.equal(await s.block('a'), undefined, 'a cleared conflict never blocks again');
  assert.equal(await s.addEvidence(ev('a', 6), block('a', 6)), true);
  assert.equal((await s.block('a'))?.evidenceId, ev('a', 6).id, 'another conflict does');
  assert.equal(await s.foreignCosignatures('a'), undefined);
  const f = { origin: 'a', size: 5n, rootHash: new Uint8Array(32).fill(5), lines: ['— w.example AAAA'] };
  await s.putForeignCosignatures(f);
  assert.deepEqual(await s.foreignCosignatures('a'), f);
}

test('memory driver passes the compliance suite', async () => {
  await compliance(new MemoryWitnessStorage());
});

test('LevelDB driver passes the compliance suite and keeps everything across a reopen', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-witness-store-'));
  try {
    const s = await openLevelWitnessStorage(dir);
    await compliance(s);
    const before = await s.latest('a');
    await s.close();
    const again = await openLevelWitnessStorage(dir);
    assert.deepEqual(await again.latest('a'), before);
    await again.recordMisbehaviour(rec('b', 'four'));
    assert.deepEqual((await again.listMisbehaviour()).map((r) => r.reason), ['four', 'three', 'two', 'one']);
    await assert.rejects(openLevelWitnessStorage(dir), (e: Error & { code?: string }) => e.code === 'storage');
    await again.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
