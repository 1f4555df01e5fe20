import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leafHash } from '@cairn/merkle';
import { LogError } from './errors.js';
import { MAX_ENTRIES_PER_SUBMIT, MAX_ENTRY_SIZE } from './constants.js';
import { memoryStorage } from './storage/memory.js';
import { entryKey, KEY_NEXT, getU64 } from './storage/keys.js';
import { backend, entries, enc, makeCore } from './test-helpers.js';

test('concurrent submits get consecutive, disjoint indices and share group commits', async () => {
  const storage = memoryStorage();
  const { sequencer } = await makeCore(storage);
  const writesBefore = storage.writes;
  const calls = Array.from({ length: 50 }, (_, c) => sequencer.submit(entries(1 + (c % 7), `c${c}`)));
  const results = await Promise.all(calls);
  const all = results.flatMap((r) => r.indices).sort((a, b) => (a < b ? -1 : 1));
  assert.deepEqual(all, Array.from({ length: all.length }, (_, i) => BigInt(i)));
  for (const r of results) {
    for (let i = 1; i < r.indices.length; i++) assert.equal(r.indices[i], (r.indices[i - 1] as bigint) + 1n);
  }
  assert.equal(sequencer.sequencedSize, BigInt(all.length));
  assert.ok(storage.writes - writesBefore < calls.length, 'several calls shared one commit');
  const next = await storage.get(KEY_NEXT);
  assert.equal(getU64(next as Uint8Array, 0), BigInt(all.length));
  // Every entry is stored at its index, and the leaf hashes match.
  for (let c = 0; c < results.length; c++) {
    const r = results[c]!;
    const es = entries(1 + (c % 7), `c${c}`);
    for (let i = 0; i < es.length; i++) {
      assert.deepEqual(await storage.get(entryKey(r.indices[i]!)), es[i]);
      assert.deepEqual(r.leafHashes[i], leafHash(es[i]!, backend));
    }
  }
});

test('a group accumulates while a write is in flight, and nobody is answered before the write', async () => {
  const storage = memoryStorage();
  const { sequencer } = await makeCore(storage);
  const release = storage.holdWrites();
  let answered = 0;
  const first = sequencer.submit([enc('a')]).then((r) => (answered++, r));
  await new Promise((r) => setImmediate(r)); // the first group is now in flight, held
  const rest = [sequencer.submit([enc('b')]), sequencer.submit([enc('c')])].map((p) => p.then((r) => (answered++, r)));
  await new Promise((r) => setImmediate(r));
  assert.equal(answered, 0);
  assert.equal(sequencer.queueDepth, 3);
  const writes = storage.writes;
  release();
  await Promise.all([first, ...rest]);
  assert.equal(storage.writes - writes, 2, 'one commit for the first call, one for the two that queued behind it');
});

test('back-pressure: a full queue refuses at once, with a retry hint, and stores nothing of the refused call', async () => {
  const storage = memoryStorage();
  const { sequencer } = await makeCore(storage, { maxQueueEntries: 10 });
  const release = storage.holdWrites();
  const accepted = sequencer.submit(entries(8, 'ok'));
  await assert.rejects(sequencer.submit(entries(3, 'refused')), (e: unknown) => {
    assert.ok(e instanceof LogError);
    assert.equal(e.code, 'queue-full');
    assert.ok((e.retryAfterMs ?? 0) > 0);
    return true;
  });
  release();
  const r = await accepted;
  assert.deepEqual(r.indices, Array.from({ length: 8 }, (_, i) => BigInt(i)));
  assert.equal(sequencer.sequencedSize, 8n);
  assert.equal(await storage.get(entryKey(8n)), undefined);
  // The durable-but-unintegrated backlog counts too: 8 waiting + 3 > 10.
  await assert.rejects(sequencer.submit(entries(3, 'x')), { code: 'queue-full' });
  await sequencer.submit(entries(2, 'fits'));
});

test('validation happens before anything is stored', async () => {
  const storage = memoryStorage();
  const { sequencer } = await makeCore(storage);
  const writes = storage.writes;
  await assert.rejects(sequencer.submit([enc('fine'), new Uint8Array(MAX_ENTRY_SIZE + 1)]), { code: 'entry-too-large' });
  await assert.rejects(sequencer.submit(Array.from({ length: MAX_ENTRIES_PER_SUBMIT + 1 }, () => enc('x'))), { code: 'too-many-entries' });
  await assert.rejects(sequencer.submit(['nope' as unknown as Uint8Array]), { code: 'invalid-entry' });
  assert.equal(storage.writes, writes);
  assert.equal(sequencer.sequencedSize, 0n);
  // The limits themselves are accepted: an empty entry and a maximal one.
  const r = await sequencer.submit([new Uint8Array(0), new Uint8Array(MAX_ENTRY_SIZE)]);
  assert.deepEqual(r.indices, [0n, 1n]);
});

test('an aborted call that is still queued is dropped', async () => {
  const storage = memoryStorage();
  const { sequencer } = await makeCore(storage);
  const release = storage.holdWrites();
  const first = sequencer.submit([enc('a')]);
  await new Promise((r) => setImmediate(r));
  const ac = new AbortController();
  const second = sequencer.submit([enc('b')], ac.signal);
  ac.abort();
  await assert.rejects(second, { code: 'aborted' });
  release();
  assert.deepEqual((await first).indices, [0n]);
  await sequencer.close();
  assert.equal(sequencer.sequencedSize, 1n);
});

test('a failed write rejects the group and leaves the sequenced size unchanged', async () => {
  const storage = memoryStorage();
  const { sequencer } = await makeCore(storage);
  storage.failNextWrite(new Error('disk on fire'));
  await assert.rejects(sequencer.submit([enc('a')]), { code: 'storage' });
  assert.equal(sequencer.sequencedSize, 0n);
  assert.deepEqual((await sequencer.submit([enc('b')])).indices, [0n]);
});

test('dedupe: identical entries in the window or already integrated get the earlier index', async () => {
  const storage = memoryStorage();
  const { sequencer, integrate } = await makeCore(storage, { dedupe: true });
  const a = await sequencer.submit([enc('x'), enc('y'), enc('x')]);
  assert.deepEqual(a.indices, [0n, 1n, 0n]);
  const b = await sequencer.submit([enc('y'), enc('z')]); // y from the window
  assert.deepEqual(b.indices, [1n, 2n]);
  await integrate();
  const c = await sequencer.submit([enc('z'), enc('w'), enc('x')]); // from the H index
  assert.deepEqual(c.indices, [2n, 3n, 0n]);
  assert.equal(sequencer.sequencedSize, 4n);
});

test('without dedupe identical entries get new indices', async () => {
  const { sequencer } = await makeCore(memoryStorage());
  const a = await sequencer.submit([enc('x'), enc('x')]);
  assert.deepEqual(a.indices, [0n, 1n]);
});

test('close() refuses new calls and flushes queued ones', async () => {
  const { sequencer } = await makeCore(memoryStorage());
  const p = sequencer.submit(entries(5));
  const closing = sequencer.close();
  await assert.rejects(sequencer.submit([enc('late')]), { code: 'stopping' });
  await closing;
  assert.equal((await p).indices.length, 5);
  assert.equal(sequencer.sequencedSize, 5n);
});

test('builders: called in queue order with their start index, ops in the same write, a throwing builder refuses only itself', async () => {
  const storage = memoryStorage();
  const { sequencer } = await makeCore(storage);
  const release = storage.holdWrites();
  const writes = storage.writes;
  const raw = sequencer.submit(entries(2, 'raw'));
  const seen: { start: bigint; before: unknown }[] = [];
  const built = (tag: string, n: number) =>
    sequencer.submitBuilt(async (ctx) => {
      seen.push({ start: ctx.start, before: ctx.group.get('tags') });
      const tags = [...((ctx.group.get('tags') as string[] | undefined) ?? []), tag];
      ctx.group.set('tags', tags);
      return { entries: entries(n, tag), ops: [{ type: 'put', key: enc(`X${tag}`), value: enc(tag) }], result: { tag, start: ctx.start } };
    }, n);
  const a = built('a', 3);
  const bad = sequencer.submitBuilt(() => {
    throw new LogError('seq-gap', 'refused');
  }, 1);
  const b = built('b', 1);
  const empty = sequencer.submitBuilt(() => ({ entries: [], result: 'nothing' }), 1);
  const badDone = bad.then(() => 'ok', (e) => e.code);
  await new Promise((r) => setTimeout(r, 10));
  release();
  assert.deepEqual(await raw.then((r) => r.indices), [0n, 1n]);
  assert.deepEqual(await a, { tag: 'a', start: 2n });
  assert.equal(await badDone, 'seq-gap');
  assert.deepEqual(await b, { tag: 'b', start: 5n });
  assert.equal(await empty, 'nothing');
  assert.deepEqual(seen, [{ start: 2n, before: undefined }, { start: 5n, before: ['a'] }]);
  assert.equal(storage.writes - writes, 1, 'one group commit');
  assert.equal(sequencer.sequencedSize, 6n);
  assert.deepEqual(await storage.get(entryKey(2n)), enc('a-0'));
  assert.deepEqual(await storage.get(entryKey(5n)), enc('b-0'));
  assert.deepEqual(await storage.get(enc('Xa')), enc('a'));
  assert.deepEqual(await storage.get(enc('Xb')), enc('b'));
  // The next group starts with empty scratch state.
  const c = await sequencer.submitBuilt((ctx) => ({ entries: [], result: ctx.group.get('tags') }), 0);
  assert.equal(c, undefined);
});
