// The ingestion listener over real HTTP on loopback, against a real LogNode on LevelDB: each
// endpoint with its producer's wire format, refusals with the status the producer understands,
// resends that add no leaf, and a source that cannot write as another.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { ALL_AUDIT_EVENTS, EXEC_PANIC, LIST_PODS, eventListBody } from '../../packages/ingest/src/k8s-fixtures.js';
import { eventOf } from '../../packages/events/src/test-fixtures.js';
import { bearer, nextSeqs, post, startIngest, type IngestFixture } from './fixture.js';
import { otlpJsonRequest, otlpRequest, rejectedOf, type WireRecord } from './otlp-wire.js';

const JSON_CT = { 'content-type': 'application/json' };
const PROTO_CT = { 'content-type': 'application/x-protobuf' };
const RECORDS: WireRecord[] = [
  { timeUnixNano: 1_767_261_600_123_456_789n, severityNumber: 9, severityText: 'INFO', body: 'order 42 refunded', attributes: { 'order.id': 42n } },
  { timeUnixNano: 1_767_261_601_000_000_000n, severityNumber: 17, body: 'payment declined' },
  { timeUnixNano: 1_767_261_601_000_000_000n, severityNumber: 17, body: 'payment declined' }, // a true repeat: two events
];

describe('ingestion listener', () => {
  let f: IngestFixture;
  before(async () => {
    f = await startIngest();
  });
  after(async () => {
    await f.close();
  });

  test('POST /k8s/audit: an apiserver EventList is stored once; the resent batch is 200 with no new leaf', async () => {
    const body = eventListBody(ALL_AUDIT_EVENTS);
    const r = await post(f, '/k8s/audit', body, { ...JSON_CT, ...bearer(f, 'k8s') });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), { accepted: ALL_AUDIT_EVENTS.length, duplicates: 0, refused: 0 });
    // Durable when answered: the log's per-source state already counts them.
    assert.equal((await nextSeqs(f.node)).k8s, BigInt(ALL_AUDIT_EVENTS.length));
    const again = await post(f, '/k8s/audit', body, { ...JSON_CT, ...bearer(f, 'k8s') });
    assert.equal(again.status, 200);
    assert.deepEqual(again.json(), { accepted: 0, duplicates: ALL_AUDIT_EVENTS.length, refused: 0 });
    assert.equal((await nextSeqs(f.node)).k8s, BigInt(ALL_AUDIT_EVENTS.length));
    // A batch that overlaps an earlier one stores only what is new.
    const mixed = await post(f, '/k8s/audit', eventListBody([LIST_PODS, { ...EXEC_PANIC, auditID: 'a5a5a5a5-0000-4000-8000-000000000001' }]), { ...JSON_CT, ...bearer(f, 'k8s') });
    assert.deepEqual(mixed.json(), { accepted: 1, duplicates: 1, refused: 0 });
    // The stored event is the mapped API Activity, under the token's source.
    const last = (await f.node.eventSources()).find((s) => s.source === 'k8s')!.lastIndex!;
    await waitSigned(f, last);
    const stored = await f.node.getEvent(last);
    assert.equal(stored?.source, 'k8s');
    const ev = JSON.parse(new TextDecoder().decode(stored!.body!.canonical));
    assert.equal(ev.class_uid, 6003);
    assert.equal(ev.metadata.uid, 'k8s/Panic/a5a5a5a5-0000-4000-8000-000000000001');
  });

  test('POST /k8s/audit refusals: wrong content type 415, malformed 400 naming the path, empty list 200', async () => {
    const h = { ...bearer(f, 'k8s') };
    const ct = await post(f, '/k8s/audit', eventListBody([LIST_PODS]), { 'content-type': 'text/plain', ...h });
    assert.equal(ct.status, 415);
    assert.equal(ct.json().error.code, 'unsupported-media-type');
    const bad = await post(f, '/k8s/audit', eventListBody([LIST_PODS, { ...LIST_PODS, stage: 'Sideways' }]), { ...JSON_CT, ...h });
    assert.equal(bad.status, 400);
    assert.equal(bad.json().error.code, 'bad-stage');
    assert.match(bad.json().error.message, /\$\.items\[1\]\.stage/);
    assert.doesNotMatch(bad.json().error.message, /Sideways/);
    const notJson = await post(f, '/k8s/audit', '{"kind":"EventList",', { ...JSON_CT, ...h });
    assert.equal(notJson.status, 400);
    const empty = await post(f, '/k8s/audit', '{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":null}', { ...JSON_CT, ...h });
    assert.equal(empty.status, 200);
    assert.deepEqual(empty.json(), { accepted: 0, duplicates: 0, refused: 0 });
  });

  test('POST /v1/logs protobuf: 200 ExportLogsServiceResponse; the retry of the request adds nothing; gzip works', async () => {
    const before = (await nextSeqs(f.node)).otel ?? 0n;
    const body = otlpRequest({ 'service.name': 'shop', 'host.name': 'web-1' }, RECORDS);
    const r = await post(f, '/v1/logs', body, { ...PROTO_CT, ...bearer(f, 'otel') });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/x-protobuf');
    assert.equal(rejectedOf(r.body), 0n);
    assert.equal((await nextSeqs(f.node)).otel, before + 3n, 'the two identical records are two events');
    const gz = await post(f, '/v1/logs', gzipSync(body), { ...PROTO_CT, 'content-encoding': 'gzip', ...bearer(f, 'otel') });
    assert.equal(gz.status, 200);
    // The same request in OTLP/JSON maps to the same events: a resend too.
    const js = await post(f, '/v1/logs', otlpJsonRequest({ 'service.name': 'shop', 'host.name': 'web-1' }, RECORDS), { ...JSON_CT, ...bearer(f, 'otel') });
    assert.equal(js.status, 200);
    assert.equal(js.headers.get('content-type'), 'application/json');
    assert.deepEqual(js.json(), {});
    assert.equal((await nextSeqs(f.node)).otel, before + 3n);
  });

  test('POST /v1/logs: a refused record is partialSuccess, the others stored; malformed 400; wrong type 415; unknown encoding 415', async () => {
    const before = (await nextSeqs(f.node)).otel ?? 0n;
    const records = [{ ...RECORDS[0]!, body: 'fine', timeUnixNano: 1_767_261_700_000_000_000n }, { ...RECORDS[1]!, severityNumber: 25 }];
    const r = await post(f, '/v1/logs', otlpRequest({ 'service.name': 'shop' }, records), { ...PROTO_CT, ...bearer(f, 'otel') });
    assert.equal(r.status, 200);
    assert.equal(rejectedOf(r.body), 1n);
    assert.equal((await nextSeqs(f.node)).otel, before + 1n);
    const j = await post(f, '/v1/logs', otlpJsonRequest({ 'service.name': 'shop' }, records), { ...JSON_CT, ...bearer(f, 'otel') });
    assert.equal(j.json().partialSuccess.rejectedLogRecords, '1');
    assert.match(j.json().partialSuccess.errorMessage, /bad-severity/);
    const bad = await post(f, '/v1/logs', Uint8Array.of(0x0a, 0x05, 0x01), { ...PROTO_CT, ...bearer(f, 'otel') });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('content-type'), 'application/x-protobuf');
    const ct = await post(f, '/v1/logs', '{}', { 'content-type': 'text/plain', ...bearer(f, 'otel') });
    assert.equal(ct.status, 415);
    const enc = await post(f, '/v1/logs', '{}', { ...JSON_CT, 'content-encoding': 'br', ...bearer(f, 'otel') });
    assert.equal(enc.status, 415);
    const broken = await post(f, '/v1/logs', Uint8Array.of(0x1f, 0x8b, 1, 2, 3), { ...JSON_CT, 'content-encoding': 'gzip', ...bearer(f, 'otel') });
    assert.equal(broken.status, 400);
  });

  test('POST /events: an object, an array, JSON lines; producer seqs and idempotency keys make resends harmless', async () => {
    const h = bearer(f, 'app');
    const one = await post(f, '/events', JSON.stringify(eventOf(3002)), { ...JSON_CT, ...h });
    assert.equal(one.status, 200);
    assert.deepEqual(one.json().seqs, ['0']);
    const arr = [eventOf(3001), eventOf(6003)];
    const r = await post(f, '/events?firstSeq=1', JSON.stringify(arr), { ...JSON_CT, ...h });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json().seqs, ['1', '2']);
    assert.deepEqual(r.json().duplicate, [false, false]);
    const again = await post(f, '/events?firstSeq=1', JSON.stringify(arr), { ...JSON_CT, ...h });
    assert.deepEqual(again.json().duplicate, [true, true]);
    assert.deepEqual(again.json().indices, r.json().indices);
    const lines = `${JSON.stringify(eventOf(1007))}\r\n${JSON.stringify(eventOf(3002))}\n`;
    const jl = await post(f, '/events?idempotencyKeys=req-1,req-2', lines, { 'content-type': 'application/x-ndjson', ...h });
    assert.equal(jl.status, 200);
    const jl2 = await post(f, '/events?idempotencyKeys=req-1,req-2', lines, { 'content-type': 'application/x-ndjson', ...h });
    assert.deepEqual(jl2.json().duplicate, [true, true]);
    assert.equal((await nextSeqs(f.node)).app, 5n);
    // A gap in the producer's sequence: 409, nothing stored.
    const gap = await post(f, '/events?firstSeq=9', JSON.stringify(eventOf(3002)), { ...JSON_CT, ...h });
    assert.equal(gap.status, 409);
    assert.equal(gap.json().error.code, 'seq-gap');
    const badEvent = await post(f, '/events', JSON.stringify([eventOf(3002), { ...eventOf(3002), time: 'yesterday' }]), { ...JSON_CT, ...h });
    assert.equal(badEvent.status, 400);
    assert.match(badEvent.json().error.message, /\$\[1\]\.time/);
    assert.equal((await post(f, '/events', '{}', { 'content-type': 'text/csv', ...h })).status, 415);
    assert.equal((await post(f, '/events?source=k8s', JSON.stringify(eventOf(3002)), { ...JSON_CT, ...h })).status, 400);
    assert.equal((await nextSeqs(f.node)).app, 5n);
  });

  test('credentials: none 401, unknown 401, a reader token 403; a source only ever writes as itself', async () => {
    const body = JSON.stringify(eventOf(3002));
    const none = await post(f, '/events', body, JSON_CT);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /Bearer/);
    assert.equal((await post(f, '/events', body, { ...JSON_CT, authorization: 'Bearer cairn_nope' })).status, 401);
    assert.equal((await post(f, '/events', body, { ...JSON_CT, ...bearer(f, 'auditor') })).status, 403);
    // `app` sends k8s's events with k8s's audit IDs: they land under `app`, k8s's stay untouched.
    const seqs = await nextSeqs(f.node);
    const r = await post(f, '/k8s/audit', eventListBody([LIST_PODS]), { ...JSON_CT, ...bearer(f, 'app') });
    assert.deepEqual(r.json(), { accepted: 1, duplicates: 0, refused: 0 });
    const after = await nextSeqs(f.node);
    assert.equal(after.k8s, seqs.k8s);
    assert.equal(after.app, seqs.app! + 1n);
    assert.equal(after.auditor, undefined);
  });

  test('only the adapters: tRPC, tiles, metrics and admin paths are 404; GET is 405', async () => {
    for (const path of ['/trpc/log.submit', '/trpc/events.erase', '/checkpoint', '/tile/0/000', '/metrics', '/readyz', '/']) {
      const r = await post(f, path, '{}', { ...JSON_CT, ...bearer(f, 'app') });
      assert.equal(r.status, 404, path);
      const g = await fetch(f.listener.url + path);
      assert.equal(g.status, 404, path);
      await g.arrayBuffer();
    }
    const get = await fetch(f.listener.url + '/k8s/audit');
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    await get.arrayBuffer();
  });
});

describe('ingestion listener bounds', () => {
  test('413 for a declared or counted body over the cap, and for a gzip body that inflates past it', async () => {
    const f = await startIngest({ handler: { auditLimits: { maxItems: 400, maxBytes: 4096 } } });
    try {
      const big = eventListBody(Array.from({ length: 10 }, (_, i) => ({ ...LIST_PODS, auditID: `id-${i}` })));
      assert.ok(big.length > 4096);
      const declared = await post(f, '/k8s/audit', big, { ...JSON_CT, ...bearer(f, 'k8s') });
      assert.equal(declared.status, 413);
      assert.equal(declared.json().error.code, 'body-too-large');
      // Chunked (no Content-Length): counted and cut.
      const stream = new ReadableStream({ start(c) { c.enqueue(big); c.close(); } });
      const chunked = await fetch(f.listener.url + '/k8s/audit', { method: 'POST', body: stream, duplex: 'half', headers: { ...JSON_CT, ...bearer(f, 'k8s') } } as RequestInit);
      assert.equal(chunked.status, 413);
      await chunked.arrayBuffer();
      const bomb = gzipSync(new Uint8Array(1 << 20).fill(0x20));
      assert.ok(bomb.length < 4096);
      const inflated = await post(f, '/k8s/audit', bomb, { ...JSON_CT, 'content-encoding': 'gzip', ...bearer(f, 'k8s') });
      assert.equal(inflated.status, 413);
      const items = await post(f, '/k8s/audit', eventListBody([LIST_PODS]), { ...JSON_CT, ...bearer(f, 'k8s') });
      assert.equal(items.status, 200, 'the listener still serves after refusals');
    } finally {
      await f.close();
    }
  });

  test('a full log queue is 429 with Retry-After (retryable); nothing of the batch is stored', async () => {
    const f = await startIngest({ node: { maxQueueEntries: 3, retryAfterMs: 2500 } });
    try {
      const r = await post(f, '/k8s/audit', eventListBody(ALL_AUDIT_EVENTS), { ...JSON_CT, ...bearer(f, 'k8s') });
      assert.equal(r.status, 429);
      assert.equal(r.headers.get('retry-after'), '3');
      assert.equal(r.json().error.code, 'queue-full');
      const o = await post(f, '/v1/logs', otlpRequest({}, RECORDS.concat(RECORDS)), { ...PROTO_CT, ...bearer(f, 'otel') });
      assert.equal(o.status, 429);
      assert.ok(Number(o.headers.get('retry-after')) >= 1);
      assert.deepEqual(await nextSeqs(f.node), {});
    } finally {
      await f.close();
    }
  });

  test('a slow sender gets 408 and its connection closed within the request timeout; a stopping log is 503', async () => {
    const f = await startIngest({ requestTimeoutMs: 400, headersTimeoutMs: 200 });
    try {
      const answer = await new Promise<string>((resolve, reject) => {
        const s = connect(f.listener.port, '127.0.0.1');
        let text = '';
        const guard = setTimeout(() => { s.destroy(); reject(new Error('the slow sender was not cut off')); }, 10_000);
        s.setEncoding('utf8');
        s.on('data', (d: string) => (text += d));
        s.on('close', () => { clearTimeout(guard); resolve(text); });
        s.on('error', () => {});
        s.write(`POST /k8s/audit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${f.tokens.k8s}\r\nContent-Length: 1000\r\n\r\n{"kind":`);
      });
      assert.match(answer, /^HTTP\/1\.1 408 /);
      await f.node.stop();
      const r = await post(f, '/k8s/audit', eventListBody([LIST_PODS]), { ...JSON_CT, ...bearer(f, 'k8s') });
      assert.equal(r.status, 503);
      assert.ok(r.headers.get('retry-after') !== null);
    } finally {
      await f.close();
    }
  });
});

async function waitSigned(f: IngestFixture, index: bigint): Promise<void> {
  for (let i = 0; i < 200 && (f.node.latestCheckpoint()?.size ?? 0n) <= index; i++) await new Promise((r) => setTimeout(r, 20));
}
