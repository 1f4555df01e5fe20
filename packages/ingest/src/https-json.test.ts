import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseEvent } from '@cairn/events';
import { IngestError } from './errors.js';
import { jsonBodyKind, MAX_JSON_BODY_EVENTS, parseJsonEvents, parseSubmitMeta } from './https-json.js';

const enc = new TextEncoder();
const LOGON = { class_uid: 3002, category_uid: 3, activity_id: 1, type_uid: 300201, severity_id: 1, status_id: 1, time: 1767225600000, metadata: { version: '1.3.0', product: { name: 'sshd' } }, user: { name: 'alice' }, src_endpoint: { ip: '192.0.2.7' } };
const API = { class_uid: 6003, category_uid: 6, activity_id: 2, type_uid: 600302, severity_id: 1, time: 1767225601000, metadata: { version: '1.3.0', product: { name: 'app' } }, actor: { user: { name: 'bob' } }, api: { operation: 'GET /orders' }, src_endpoint: { ip: '2001:db8::1' } };

function refused(f: () => unknown, code: string, at: string): IngestError {
  let err: unknown;
  assert.throws(f, (e) => ((err = e), e instanceof IngestError));
  const e = err as IngestError;
  assert.equal(e.format, 'json');
  assert.equal(e.code, code, e.message);
  assert.equal(e.at, at);
  return e;
}

test('content types: JSON, JSON lines; anything else is null (415)', () => {
  assert.equal(jsonBodyKind('application/json'), 'json');
  assert.equal(jsonBodyKind('Application/JSON; charset=utf-8'), 'json');
  assert.equal(jsonBodyKind('application/x-ndjson'), 'json-lines');
  assert.equal(jsonBodyKind('application/jsonl'), 'json-lines');
  assert.equal(jsonBodyKind('application/json; charset=latin1'), null);
  assert.equal(jsonBodyKind('text/plain'), null);
  assert.equal(jsonBodyKind(undefined), null);
});

test('one object, an array, and JSON lines give the same validated events', () => {
  const one = parseJsonEvents(enc.encode(JSON.stringify(LOGON)), 'json');
  assert.equal(one.length, 1);
  assert.deepEqual(one[0]!.canonical, parseEvent(enc.encode(JSON.stringify(LOGON))).canonical);
  const arr = parseJsonEvents(enc.encode(JSON.stringify([LOGON, API])), 'json');
  const lines = parseJsonEvents(enc.encode(`${JSON.stringify(LOGON)}\r\n${JSON.stringify(API)}`), 'json-lines');
  const lines2 = parseJsonEvents(enc.encode(`${JSON.stringify(LOGON)}\n${JSON.stringify(API)}\n`), 'json-lines');
  assert.deepEqual(arr.map((e) => e.canonical), lines.map((e) => e.canonical));
  assert.deepEqual(arr.map((e) => e.canonical), lines2.map((e) => e.canonical));
  assert.deepEqual(arr.map((e) => e.classUid), [3002, 6003]);
});

test('bad bodies name the event and the member', () => {
  refused(() => parseJsonEvents(enc.encode(JSON.stringify([LOGON, { ...API, time: 1767225601 }])), 'json'), 'time-not-ms', '$[1].time');
  refused(() => parseJsonEvents(enc.encode(JSON.stringify([LOGON, 5])), 'json'), 'wrong-type', '$[1]');
  refused(() => parseJsonEvents(enc.encode('[]'), 'json'), 'empty', '$');
  refused(() => parseJsonEvents(enc.encode(JSON.stringify(LOGON).replace('"time"', '"time":1,"time"')), 'json'), 'duplicate-key', '$.time');
  refused(() => parseJsonEvents(enc.encode(`${JSON.stringify(LOGON)}\n\n${JSON.stringify(API)}`), 'json-lines'), 'blank-line', 'line 2');
  refused(() => parseJsonEvents(enc.encode(`${JSON.stringify(LOGON)}\n${JSON.stringify({ ...API, actor: { user: { name: 7 } } })}`), 'json-lines'), 'wrong-type', 'line 2: $.actor.user.name');
  refused(() => parseJsonEvents(enc.encode(`${JSON.stringify(LOGON)}\n[1]`), 'json-lines'), 'wrong-type', 'line 2: $');
  refused(() => parseJsonEvents(new Uint8Array(0), 'json-lines'), 'empty', 'line 1');
  refused(() => parseJsonEvents(enc.encode(JSON.stringify(Array.from({ length: MAX_JSON_BODY_EVENTS + 1 }, () => LOGON))), 'json'), 'too-many-events', '$');
  refused(() => parseJsonEvents(new Uint8Array(4 * 1024 * 1024 + 1), 'json'), 'too-large', '$');
  const e = refused(() => parseJsonEvents(enc.encode(JSON.stringify({ ...LOGON, src_endpoint: { ip: 'alice-laptop' } })), 'json'), 'bad-ip', '$.src_endpoint.ip');
  assert.ok(!e.message.includes('alice-laptop'));
});

test('submission metadata: sequence numbers and idempotency keys, one per event', () => {
  assert.deepEqual(parseSubmitMeta(3, { firstSeq: '7' }).seqs, [7n, 8n, 9n]);
  assert.deepEqual(parseSubmitMeta(2, { seqs: '0,1', idempotencyKeys: 'a-1,a-2' }), { seqs: [0n, 1n], idempotencyKeys: ['a-1', 'a-2'] });
  assert.throws(() => parseSubmitMeta(2, { seqs: '01,2' }), (e) => e instanceof IngestError && e.code === 'bad-seq' && e.at === 'seqs[0]');
  assert.throws(() => parseSubmitMeta(2, { seqs: '1' }), (e) => e instanceof IngestError && e.code === 'count-mismatch');
  assert.throws(() => parseSubmitMeta(1, { firstSeq: '9223372036854775808' }), (e) => e instanceof IngestError && e.code === 'bad-seq');
  assert.throws(() => parseSubmitMeta(2, { firstSeq: '9223372036854775807' }), (e) => e instanceof IngestError && e.code === 'bad-seq');
  assert.throws(() => parseSubmitMeta(1, { idempotencyKeys: 'has space' }), (e) => e instanceof IngestError && e.code === 'bad-idempotency-key');
});

test('property: no body makes the parser throw anything but IngestError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom('json' as const, 'json-lines' as const), (bytes, kind) => {
      try {
        parseJsonEvents(bytes, kind);
      } catch (e) {
        if (!(e instanceof IngestError)) throw e;
      }
    }),
    { numRuns: 1000 },
  );
});
