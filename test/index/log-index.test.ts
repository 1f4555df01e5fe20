// The search index over a real log node (LevelDB): events from several sources and raw entries
// are indexed from the node's event store; every hit is then proven without trusting the index
// (the event opens the leaf's commitment, the leaf is included in the signed tree, and the
// reference matcher agrees on the verified event); an erasure leaves the index through the
// log's own erasure record, with no hook called.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commitEvent, parseLeaf, validateEvent } from '@cairn/events';
import { generateSignerKey, utf8Encode } from '@cairn/formats';
import { bytesEqual, leafHash, verifyInclusion } from '@cairn/merkle';
import { LogNode, openLevelStorage, silentLogger } from '@cairn/log';
import { EventIndex, extractFields, matches, openPglite, parseQuery } from '@cairn/index';

const ORIGIN = 'example.com/search-test';
const T0 = Date.UTC(2026, 10, 1);

function apiEvent(actor: string, op: string, namespace: string, status: number, i: number) {
  return validateEvent({
    class_uid: 6003, category_uid: 6, activity_id: 2, type_uid: 600302, severity_id: 1, status_id: status, time: T0 + i * 60_000,
    metadata: { version: '1.3.0', product: { name: 'kubernetes' } }, actor: { user: { name: actor } }, api: { operation: op },
    src_endpoint: { ip: '192.0.2.7' }, resources: [{ type: 'secrets', name: `s-${i}`, namespace }],
  });
}
function logon(user: string, status: number, i: number) {
  return validateEvent({
    class_uid: 3002, category_uid: 3, activity_id: 1, type_uid: 300201, severity_id: 1, status_id: status, time: T0 + i * 60_000,
    metadata: { version: '1.3.0', product: { name: 'sshd' } }, user: { name: user }, src_endpoint: { ip: '198.51.100.23' }, message: 'ssh logon',
  });
}

test('a real node: hits are proven against the signed tree, and an erasure leaves the index by itself', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-search-'));
  const node = await LogNode.open({
    storage: await openLevelStorage(join(dir, 'log')),
    signerKey: generateSignerKey(ORIGIN, new Uint8Array(32).fill(7)),
    checkpointIntervalMs: 5,
    logger: silentLogger,
  });
  await node.start();
  const db = await openPglite(join(dir, 'index'));
  t.after(async () => {
    await db.close();
    await node.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const actors = ['alice', 'bob', 'carol'];
  const n = 30;
  // alice, failure, payments: i ≡ 0 (mod 12).
  await node.submitEvents('k8s-prod', Array.from({ length: n }, (_, i) => ({ event: apiEvent(actors[i % 3]!, i % 2 === 0 ? 'get' : 'list', i % 4 === 0 ? 'payments' : 'prod', 2 - (i % 2), i) })));
  await node.submit(Array.from({ length: 5 }, (_, i) => utf8Encode(`raw entry ${i}`)));
  await node.submitEvents('bastion', Array.from({ length: n }, (_, i) => ({ event: logon(actors[(i + 1) % 3]!, 1 + (i % 2), i) })), { wait: 'checkpoint' });
  const store = { size: async () => node.latestCheckpoint()?.size ?? 0n, getEvent: (i: bigint) => node.getEvent(i) };
  const index = await EventIndex.open(db, store, { batchSize: 16 });
  await index.catchUp();
  const status = await index.status({ countRows: true });
  assert.equal(status.lag, 0n);
  assert.equal(status.rows, 60n, 'every event, no raw entry');

  const query = 'actor:alice class:api_activity status:failure resource.namespace:payments';
  const page = await index.search(query, { limit: 100 });
  assert.equal(page.hits.length, 3);
  const cp = node.latestCheckpoint()!;
  const q = parseQuery(query);
  for (const hit of page.hits) {
    // What a server does for each hit, and a client checks: nothing taken from the index.
    const e = (await node.getEvent(hit.index))!;
    const leaf = parseLeaf(e.leaf);
    assert.ok(bytesEqual(commitEvent(e.body!.salt, e.body!.canonical), leaf.commitment), 'the event opens the commitment');
    const [proof] = await node.inclusionProofs([hit.index], cp.size);
    verifyInclusion(hit.index, cp.size, leafHash(e.leaf), proof!, cp.rootHash);
    assert.ok(matches(q, extractFields(e)!), 'the verified event matches the query');
  }
  // And the index found all of them: the same matcher over every event of the log.
  const all: bigint[] = [];
  for (let i = cp.size - 1n; i >= 0n; i--) {
    const e = await node.getEvent(i);
    const f = e === undefined ? undefined : extractFields(e);
    if (f !== undefined && matches(q, f)) all.push(i);
  }
  assert.deepEqual(page.hits.map((h) => h.index), all);

  // Erase the newest hit: the erasure record (source cairn) removes it when indexed.
  const gone = page.hits[0]!.index;
  const r = await node.eraseEvents([gone], { reason: 'data subject request', by: 'admin' });
  const deadline = Date.now() + 30_000;
  while ((node.latestCheckpoint()?.size ?? 0n) <= r.record!) {
    assert.ok(Date.now() < deadline, 'the erasure record is signed in time');
    await new Promise((res) => setTimeout(res, 5));
  }
  await index.catchUp();
  const after = await index.search(query, { limit: 100 });
  assert.deepEqual(after.hits.map((h) => h.index), all.slice(1));
  const records = await index.search('source:cairn class:event_log_activity activity:2', { limit: 10 });
  assert.deepEqual(records.hits.map((h) => h.index), [r.record]);
});
