// The Kubernetes audit endpoint over real HTTP on loopback, against a real LogNode: one item that
// cannot be mapped must not lose the batch (the apiserver has no partial success and would drop
// all of it after its retries), and a client's Audit-ID header (copied into auditID) must not be
// able to make a batch fail or disappear.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonObject } from '@cairn/events';
import { CREATE_CM_RECEIVED, EXEC_PANIC, IMPERSONATED_DELETE_FORBIDDEN, LIST_PODS, WATCH_STARTED, eventListBody } from '../../packages/ingest/src/k8s-fixtures.js';
import { bearer, nextSeqs, post, startIngest, type IngestFixture } from './fixture.js';

const JSON_CT = { 'content-type': 'application/json' };

describe('k8s audit batches', () => {
  let f: IngestFixture;
  before(async () => {
    f = await startIngest();
  });
  after(async () => {
    await f.close();
  });

  const send = (items: JsonObject[], source = 'k8s') => post(f, '/k8s/audit', eventListBody(items), { ...JSON_CT, ...bearer(f, source) });
  const storedAfter = async (source: string, before: bigint) => {
    const out: JsonObject[] = [];
    const state = (await f.node.eventSources()).find((s) => s.source === source)!;
    const count = Number(state.nextSeq - before);
    for (let i = state.lastIndex! - BigInt(count) + 1n; i <= state.lastIndex!; i++) {
      for (let t = 0; t < 200 && (f.node.latestCheckpoint()?.size ?? 0n) <= i; t++) await new Promise((r) => setTimeout(r, 20));
      const ev = await f.node.getEvent(i);
      if (ev?.source === source) out.push(JSON.parse(new TextDecoder().decode(ev.body!.canonical)));
    }
    return out;
  };

  test('one item that cannot be mapped: the others are stored, it becomes a refusal record, 200; a resend dedupes', async () => {
    const huge: JsonObject = { ...IMPERSONATED_DELETE_FORBIDDEN, auditID: 'b1b1b1b1-0000-4000-8000-000000000001', annotations: { 'example.com/note': 'x'.repeat(20_000) } };
    const good1: JsonObject = { ...LIST_PODS, auditID: 'b1b1b1b1-0000-4000-8000-000000000002' };
    const good2: JsonObject = { ...EXEC_PANIC, auditID: 'b1b1b1b1-0000-4000-8000-000000000003' };
    const before = (await nextSeqs(f.node)).k8s ?? 0n;
    const r = await send([good1, huge, good2]);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), { accepted: 3, duplicates: 0, refused: 1 });
    const stored = await storedAfter('k8s', before);
    assert.deepEqual(stored.map((e) => e.class_uid), [6003, 1008, 6003]);
    assert.equal(((stored[1]!.unmapped as JsonObject).k8s as JsonObject).error !== undefined, true);
    assert.ok(!JSON.stringify(stored[1]).includes('xxxx'));
    const again = await send([good1, huge, good2]);
    assert.equal(again.status, 200);
    assert.deepEqual(again.json(), { accepted: 0, duplicates: 3, refused: 1 });
    assert.equal((await nextSeqs(f.node)).k8s, before + 3n);
  });

  test('Audit-ID reuse: a different event under an earlier auditID and stage is stored, not a 409 for the batch', async () => {
    const id = 'c2c2c2c2-0000-4000-8000-000000000001';
    const first: JsonObject = { ...LIST_PODS, auditID: id };
    const other: JsonObject = { ...LIST_PODS, auditID: id, verb: 'get', requestURI: '/api/v1/namespaces/default/pods/web-0' };
    const before = (await nextSeqs(f.node)).k8s ?? 0n;
    assert.deepEqual((await send([first])).json(), { accepted: 1, duplicates: 0, refused: 0 });
    const r = await send([other, { ...EXEC_PANIC, auditID: 'c2c2c2c2-0000-4000-8000-000000000002' }]);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), { accepted: 2, duplicates: 0, refused: 0 });
    // Exact resends still dedupe.
    assert.deepEqual((await send([first, other])).json(), { accepted: 0, duplicates: 2, refused: 0 });
    assert.equal((await nextSeqs(f.node)).k8s, before + 3n);
  });

  test('a malformed or overlong auditID refuses that item alone, as a record without the ID', async () => {
    const long: JsonObject = { ...CREATE_CM_RECEIVED, auditID: 'L'.repeat(101) };
    const spaced: JsonObject = { ...WATCH_STARTED, auditID: 'has space in it' };
    const good: JsonObject = { ...LIST_PODS, auditID: 'd3d3d3d3-0000-4000-8000-000000000001' };
    const before = (await nextSeqs(f.node)).k8s ?? 0n;
    const r = await send([long, good, spaced]);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), { accepted: 3, duplicates: 0, refused: 2 });
    const stored = await storedAfter('k8s', before);
    assert.deepEqual(stored.map((e) => e.class_uid), [1008, 6003, 1008]);
    assert.deepEqual(stored.map((e) => (((e.unmapped as JsonObject).k8s as JsonObject).error as JsonObject | undefined)?.code), ['bad-audit-id', undefined, 'bad-audit-id']);
    assert.ok(!JSON.stringify(stored).includes('LLLL') && !JSON.stringify(stored).includes('has space'));
    assert.deepEqual((await send([long, good, spaced])).json(), { accepted: 0, duplicates: 3, refused: 2 });
  });
});

describe('producer-chosen keys stay out of answers and logs', () => {
  test('a 400 names the position of a bad member, not the key the producer chose; the log line carries codes only', async () => {
    const lines: unknown[] = [];
    const logger = { debug() {}, info() {}, warn: (m: string, x?: unknown) => lines.push([m, x]), error: (m: string, x?: unknown) => lines.push([m, x]) };
    const g = await startIngest({ handler: { logger } });
    try {
      const bad: JsonObject = { ...LIST_PODS, annotations: { 'alice@example.org': 1 } };
      const r = await post(g, '/k8s/audit', eventListBody([bad]), { ...JSON_CT, ...bearer(g, 'k8s') });
      assert.equal(r.status, 400);
      assert.equal(r.json().error.code, 'wrong-type');
      assert.match(r.json().error.message, /\$\.items\[0\]\.annotations\["…"\]/);
      assert.ok(!JSON.stringify(r.json()).includes('alice'));
      assert.ok(lines.length > 0);
      assert.ok(!JSON.stringify(lines).includes('alice'));
    } finally {
      await g.close();
    }
  });
});
