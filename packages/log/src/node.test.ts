import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leafHash, treeHash, verifyConsistency, verifyInclusion } from '@cairn/merkle';
import { openCheckpoint, parseVerifierKey } from '@cairn/formats';
import { LogNode, type LogNodeOptions } from './node.js';
import type { SignedCheckpoint } from './checkpoint.js';
import { memoryStorage } from './storage/memory.js';
import { bundleKey } from './storage/keys.js';
import { silentLogger, jsonLogger } from './logger.js';
import { backend, enc, entries, leavesOf, ORIGIN, testKey } from './test-helpers.js';

const open = (o: Partial<LogNodeOptions> = {}) =>
  LogNode.open({ storage: memoryStorage(), signerKey: testKey(), logger: silentLogger, checkpointIntervalMs: 5, ...o });

test('a new log signs an empty checkpoint at creation', async () => {
  const node = await open();
  const cp = node.latestCheckpoint() as SignedCheckpoint;
  assert.equal(cp.size, 0n);
  assert.equal(node.origin, ORIGIN);
  openCheckpoint(cp.note, [parseVerifierKey(node.verifierKey)]);
  await assert.rejects(node.submit([enc('x')]), { code: 'not-started' });
  assert.equal(await node.readTile(0, 0n, 1), undefined);
  await assert.rejects(node.getEntry(0n), { code: 'not-found' });
  await node.start();
  await node.stop();
});

test("submit with wait 'checkpoint' returns a covering checkpoint and proofs that verify", async () => {
  const node = await open();
  await node.start();
  const seen: bigint[] = [];
  const off = node.onCheckpoint((c) => seen.push(c.size));
  const results = await Promise.all([0, 1, 2, 3].map((k) => node.submit(entries(3 + k, `w${k}`), { wait: 'checkpoint' })));
  for (const r of results) {
    const cp = r.checkpoint as SignedCheckpoint;
    openCheckpoint(cp.note, [parseVerifierKey(node.verifierKey)]);
    r.indices.forEach((index, i) => verifyInclusion(index, cp.size, r.leafHashes[i]!, r.proofs![i]!, cp.rootHash, backend));
  }
  off();
  assert.ok(seen.length >= 1);
  assert.deepEqual(seen, [...seen].sort((a, b) => (a < b ? -1 : 1)), 'checkpoints only grow');
  const st = node.status();
  assert.equal(st.size, 18n);
  assert.equal(st.sequencedSize, 18n);
  assert.equal(st.queueDepth, 0);
  await node.stop();
  await assert.rejects(node.submit([enc('late')]), { code: 'stopping' });
});

test('reads are bounded by the latest checkpoint and tiles are served as prefixes', async () => {
  const node = await open({ maxBatchEntries: 1 });
  await node.start();
  const es = entries(300, 'r');
  await node.submit(es, { wait: 'checkpoint' });
  const leaves = leavesOf(es);
  const tile1 = await node.readTile(0, 1n, 44);
  assert.equal(tile1?.length, 44 * 32);
  assert.deepEqual((await node.readTile(0, 1n, 10))!, tile1!.slice(0, 320));
  assert.equal(await node.readTile(0, 1n, 45), undefined);
  assert.equal(await node.readTile(0, 2n, 1), undefined);
  assert.deepEqual(await node.getEntry(299n), es[299]);
  assert.deepEqual(await node.getEntries(250n, 260n), es.slice(250, 260));
  await assert.rejects(node.getEntry(300n), { code: 'not-found' });
  await assert.rejects(node.getEntries(0n, 2000n), { code: 'range-too-large' });
  await assert.rejects(node.readTile(0, 0n, 0), { code: 'invalid-argument' });
  assert.equal(await node.findLeafIndex(leaves[7]!), 7n);
  const cp = node.latestCheckpoint()!;
  assert.deepEqual(cp.rootHash, treeHash(leaves, backend));
  const p = await node.consistencyProof(100n, 300n);
  const old = treeHash(leaves.slice(0, 100), backend);
  verifyConsistency(100n, 300n, old, cp.rootHash, p, backend);
  assert.deepEqual(await node.consistencyProof(0n, 300n), []);
  await node.stop();
});

test('entries of a full bundle: one parse for concurrent reads, and each caller gets its own copy', async () => {
  const storage = memoryStorage();
  let bundleGets = 0;
  const bundle0 = Buffer.from(bundleKey(0n)).toString('hex');
  const counting = { ...storage, name: storage.name, get: (key: Uint8Array) => {
    if (Buffer.from(key).toString('hex') === bundle0) bundleGets++;
    return storage.get(key);
  } };
  const node = await open({ storage: counting, maxBatchEntries: 1 });
  await node.start();
  const es = entries(300, 'b');
  await node.submit(es, { wait: 'checkpoint' });
  const before = bundleGets;
  const got = await Promise.all(Array.from({ length: 256 }, (_, i) => node.getEntry(BigInt(i))));
  assert.deepEqual(got, es.slice(0, 256));
  assert.equal(bundleGets - before, 1, 'bundle 0 read and parsed once for 256 concurrent reads');
  got[7]!.fill(0);
  assert.deepEqual(await node.getEntry(7n), es[7], 'a caller changing its entry changes no one else\'s');
  assert.deepEqual(await node.getEntries(250n, 260n), es.slice(250, 260), 'across the end of the full bundle');
  await node.stop();
});

test('stop() integrates and signs everything acknowledged', async () => {
  const node = await open({ checkpointIntervalMs: 60_000, maxBatchEntries: 1_000_000 });
  await node.start();
  await node.submit(entries(10));
  await node.submit(entries(5, 'more'));
  assert.ok(node.status().sequencedSize === 15n);
  await node.stop();
  assert.equal(node.latestCheckpoint()?.size, 15n);
});

test('dedupe through the node returns the earlier index', async () => {
  const node = await open({ dedupe: true });
  await node.start();
  const a = await node.submit([enc('same'), enc('other')], { wait: 'checkpoint' });
  const b = await node.submit([enc('same')]);
  assert.deepEqual(b.indices, [a.indices[0]]);
  assert.deepEqual(b.leafHashes[0], leafHash(enc('same'), backend));
  await node.stop();
});

test('options are validated', async () => {
  await assert.rejects(open({ signerKey: 'PRIVATE+KEY+nope' }), { code: 'config' });
  await assert.rejects(open({ maxQueueEntries: 0 }), { code: 'config' });
  await assert.rejects(open({ checkpointIntervalMs: -1 }), { code: 'config' });
  await assert.rejects(open({ origin: '' }), { code: 'config' });
});

test('the default logger writes JSON lines', () => {
  const lines: string[] = [];
  const log = jsonLogger({ write: (l) => lines.push(l), clock: () => 0 });
  log.info('checkpoint signed', { size: 5n, root: new Uint8Array([1, 2]) });
  log.debug('hidden');
  assert.deepEqual(lines.map((l) => JSON.parse(l)), [
    { time: '1970-01-01T00:00:00.000Z', level: 'info', msg: 'checkpoint signed', size: '5', root: 'AQI=' },
  ]);
});
