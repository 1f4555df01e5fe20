import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseEvent, type JsonObject } from '@cairn/events';
import { IngestError } from './errors.js';
import { auditDedupeKey, parseAuditEventList } from './k8s-audit.js';
import { mapAuditBatch, mapAuditEvent } from './k8s-audit-map.js';
import * as fx from './k8s-fixtures.js';

const enc = new TextEncoder();
const body = (o: unknown): Uint8Array => enc.encode(JSON.stringify(o));
const list = (items: unknown[]): Uint8Array => body({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items });

function refused(f: () => unknown, code: string, at?: string): IngestError {
  let err: unknown;
  assert.throws(f, (e) => {
    err = e;
    return e instanceof IngestError;
  });
  const e = err as IngestError;
  assert.equal(e.format, 'k8s-audit');
  assert.equal(e.code, code, e.message);
  if (at !== undefined) assert.equal(e.at, at);
  return e;
}

test('every fixture parses and maps to an event that passes the events layer, byte for byte', () => {
  const events = parseAuditEventList(fx.eventListBody(fx.ALL_AUDIT_EVENTS));
  assert.equal(events.length, fx.ALL_AUDIT_EVENTS.length);
  for (const e of events) {
    const v = mapAuditEvent(e);
    assert.equal(v.classUid, 6003);
    // The canonical bytes re-parse to the same event: nothing was moved, nothing lost.
    const again = parseEvent(v.canonical);
    assert.deepEqual(again.canonical, v.canonical);
    assert.deepEqual(v.moved, []);
  }
});

test('verbs map to activities; stages, levels and status as the table says', () => {
  const byId = new Map(parseAuditEventList(fx.eventListBody(fx.ALL_AUDIT_EVENTS)).map((e) => [e.auditID, mapAuditEvent(e).event]));
  const get = (o: JsonObject) => byId.get(o.auditID as string)!;
  assert.equal(get(fx.LIST_PODS).activity_id, 2);
  assert.equal(get(fx.LIST_PODS).type_uid, 600302);
  assert.equal(get(fx.CREATE_CM_RECEIVED).activity_id, 1);
  assert.equal(get(fx.PATCH_DEPLOYMENT).activity_id, 3);
  assert.equal(get(fx.IMPERSONATED_DELETE_FORBIDDEN).activity_id, 4);
  assert.equal(get(fx.WATCH_STARTED).activity_id, 2);
  // status: 200 success, 403 failure, no response yet unknown, panic failure + high severity
  assert.equal(get(fx.LIST_PODS).status_id, 1);
  assert.equal(get(fx.LIST_PODS).status_code, '200');
  assert.equal(get(fx.IMPERSONATED_DELETE_FORBIDDEN).status_id, 2);
  assert.equal(get(fx.IMPERSONATED_DELETE_FORBIDDEN).status_code, '403');
  assert.equal(get(fx.CREATE_CM_RECEIVED).status_id, 0);
  assert.equal(get(fx.CREATE_CM_RECEIVED).status_code, undefined);
  const panic = get(fx.EXEC_PANIC);
  assert.equal(panic.status_id, 2);
  assert.equal(panic.severity_id, 4);
  assert.deepEqual(panic.resources, [{ type: 'pods/exec', name: 'web-5d8f', namespace: 'prod', version: 'v1' }]);
  assert.deepEqual((panic.api as JsonObject).response, { code: 500, error: 'InternalError', message: "APIServer panic'd: runtime error: invalid memory address or nil pointer dereference" });
  assert.equal(((get(fx.WATCH_STARTED).unmapped as JsonObject).k8s as JsonObject).stage, 'ResponseStarted');
  assert.equal(((get(fx.PATCH_DEPLOYMENT).unmapped as JsonObject).k8s as JsonObject).level, 'RequestResponse');
});

test('a Metadata-level event maps every field the table names', () => {
  const [e] = parseAuditEventList(list([fx.LIST_PODS]));
  const ev = mapAuditEvent(e!).event;
  assert.equal(ev.time, Date.UTC(2026, 0, 1, 9, 0, 0, 130));
  assert.equal(ev.start_time, Date.UTC(2026, 0, 1, 9, 0, 0, 123));
  assert.deepEqual(ev.actor, { user: { name: 'kubernetes-admin', groups: [{ name: 'kubeadm:cluster-admins' }, { name: 'system:authenticated' }] } });
  assert.deepEqual(ev.api, { operation: 'list', service: { name: 'kube-apiserver' }, request: { uid: fx.LIST_PODS.auditID }, response: { code: 200 } });
  assert.deepEqual(ev.src_endpoint, { ip: '192.0.2.10' });
  assert.deepEqual(ev.http_request, { user_agent: fx.LIST_PODS.userAgent, url: { url_string: '/api/v1/namespaces/default/pods?limit=500' } });
  assert.deepEqual(ev.resources, [{ type: 'pods', namespace: 'default', version: 'v1' }]);
  const md = ev.metadata as JsonObject;
  assert.equal(md.uid, `k8s/ResponseComplete/${fx.LIST_PODS.auditID}`);
  assert.equal(md.correlation_uid, fx.LIST_PODS.auditID);
  assert.equal(md.is_truncated, undefined);
  const k8s = (ev.unmapped as JsonObject).k8s as JsonObject;
  assert.equal(k8s.request_received_timestamp_us, Date.UTC(2026, 0, 1, 9, 0, 0) * 1000 + 123456);
  assert.equal(k8s.stage_timestamp_us, Date.UTC(2026, 0, 1, 9, 0, 0) * 1000 + 130891);
  assert.deepEqual(k8s.annotations, fx.LIST_PODS.annotations);
  // raw_data is the item itself (compact JSON), so nothing of the record is lost.
  assert.deepEqual(JSON.parse(ev.raw_data as string), fx.LIST_PODS);
});

test('RequestResponse bodies land in api.request.data / api.response.data; raw_data holds the rest', () => {
  const [e] = parseAuditEventList(list([fx.PATCH_DEPLOYMENT]));
  const ev = mapAuditEvent(e!).event;
  const api = ev.api as JsonObject;
  assert.deepEqual((api.request as JsonObject).data, fx.PATCH_DEPLOYMENT.requestObject);
  assert.deepEqual((api.response as JsonObject).data, fx.PATCH_DEPLOYMENT.responseObject);
  const raw = JSON.parse(ev.raw_data as string) as JsonObject;
  assert.equal(raw.requestObject, undefined);
  assert.deepEqual({ ...raw, requestObject: fx.PATCH_DEPLOYMENT.requestObject, responseObject: fx.PATCH_DEPLOYMENT.responseObject }, { ...fx.PATCH_DEPLOYMENT });
  assert.deepEqual((ev.actor as JsonObject).user, { name: 'system:serviceaccount:ci:deployer', uid: '4f6e2d1c-0b9a-4877-a6b5-c4d3e2f1a0b9', groups: [{ name: 'system:serviceaccounts' }, { name: 'system:serviceaccounts:ci' }, { name: 'system:authenticated' }] });
  assert.deepEqual(ev.resources, [{ type: 'deployments', name: 'web', namespace: 'prod', group: { name: 'apps' }, version: 'v1' }]);
});

test('impersonation: the authenticated user stays the actor, the impersonated one is kept; the source IP chain is kept in order', () => {
  const [e] = parseAuditEventList(list([fx.IMPERSONATED_DELETE_FORBIDDEN]));
  const ev = mapAuditEvent(e!).event;
  assert.equal(((ev.actor as JsonObject).user as JsonObject).name, 'kubernetes-admin');
  assert.deepEqual(((ev.unmapped as JsonObject).k8s as JsonObject).impersonated_user, { name: 'bob@example.com', groups: [{ name: 'dev' }] });
  assert.deepEqual(ev.src_endpoint, { ip: '203.0.113.9', intermediate_ips: ['10.0.0.2', '10.0.0.1'] });
});

test('missing optional members: no sourceIPs, objectRef, userAgent still give a valid event', () => {
  const [e] = parseAuditEventList(list([fx.NON_RESOURCE]));
  const ev = mapAuditEvent(e!).event;
  assert.deepEqual(ev.src_endpoint, {});
  assert.equal(ev.resources, undefined);
  assert.deepEqual(ev.http_request, { url: { url_string: '/healthz' } });
});

test('items with kind/apiVersion (as the log backend writes them) parse too; items: null is an empty batch', () => {
  const events = parseAuditEventList(list([{ kind: 'Event', apiVersion: 'audit.k8s.io/v1', ...fx.LIST_PODS }]));
  assert.equal(events.length, 1);
  assert.deepEqual(parseAuditEventList(body({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items: null })), []);
  refused(() => parseAuditEventList(list([{ kind: 'Event', apiVersion: 'audit.k8s.io/v1beta1', ...fx.LIST_PODS }])), 'wrong-api-version', '$.items[0].apiVersion');
});

test('the dedupe key is auditID + stage: one request gives one key per stage, a resent batch the same keys', () => {
  const received = { ...fx.LIST_PODS, stage: 'RequestReceived' };
  const a = parseAuditEventList(list([received, fx.LIST_PODS]));
  const b = parseAuditEventList(list([received, fx.LIST_PODS]));
  assert.notEqual(auditDedupeKey(a[0]!), auditDedupeKey(a[1]!));
  assert.deepEqual(a.map(auditDedupeKey), b.map(auditDedupeKey));
  assert.deepEqual(a.map((e) => mapAuditEvent(e).canonical), b.map((e) => mapAuditEvent(e).canonical));
  // Within the event store's idempotency keys: 1–128 printable ASCII.
  const longest = auditDedupeKey({ stage: 'RequestReceived', auditID: 'a'.repeat(100) });
  assert.ok(longest.length <= 128 && /^[\x21-\x7e]+$/.test(longest));
});

test('huge bodies are shed, said so, and the event still passes', () => {
  const big = 'x'.repeat(20_000);
  const item = { ...fx.PATCH_DEPLOYMENT, requestObject: { kind: 'ConfigMap', data: { blob: big } } };
  const [e] = parseAuditEventList(list([item]));
  const ev = mapAuditEvent(e!).event;
  const md = ev.metadata as JsonObject;
  assert.equal(md.is_truncated, true);
  assert.equal(md.untruncated_size, enc.encode(JSON.stringify(item)).length);
  assert.equal(((ev.api as JsonObject).request as JsonObject).data, undefined);
  assert.equal(typeof ev.raw_data, 'string');
  // An annotation too long for raw_data: raw_data goes as well, the who/what/where stays.
  const item2 = { ...fx.LIST_PODS, annotations: { 'example.com/note': big } };
  const [e2] = parseAuditEventList(list([item2]));
  refused(() => mapAuditEvent(e2!), 'event-too-large', '$.items[0]');
});

test('a body nested deeper than an event may be is shed like a large one', () => {
  let deep: unknown = { leaf: true };
  for (let i = 0; i < 30; i++) deep = { spec: deep };
  const [e] = parseAuditEventList(list([{ ...fx.PATCH_DEPLOYMENT, responseObject: deep }]));
  const ev = mapAuditEvent(e!).event;
  assert.equal((ev.metadata as JsonObject).is_truncated, true);
  assert.equal(((ev.api as JsonObject).response as JsonObject).data, undefined);
  assert.equal(((ev.api as JsonObject).response as JsonObject).code, 200);
});

test('hostile envelopes are refused with a code and a path, never the value', () => {
  refused(() => parseAuditEventList(body({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1beta1', items: [] })), 'wrong-api-version', '$.apiVersion');
  refused(() => parseAuditEventList(body({ kind: 'PodList', apiVersion: 'audit.k8s.io/v1', items: [] })), 'wrong-kind', '$.kind');
  refused(() => parseAuditEventList(body({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [], extra: 1 })), 'unknown-field', '$.extra');
  refused(() => parseAuditEventList(body([fx.LIST_PODS])), 'wrong-type', '$');
  refused(() => parseAuditEventList(body({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: {} })), 'wrong-type', '$.items');
  refused(() => parseAuditEventList(list(Array.from({ length: 401 }, () => fx.LIST_PODS))), 'too-many-items', '$.items');
  assert.equal(parseAuditEventList(list(Array.from({ length: 401 }, () => fx.LIST_PODS)), { maxItems: 401, maxBytes: 1 << 25 }).length, 401);
  refused(() => parseAuditEventList(list([fx.LIST_PODS]), { maxItems: 400, maxBytes: 100 }), 'too-large');
  refused(() => parseAuditEventList(enc.encode('{"kind":"EventList","kind":"EventList"}')), 'bad-json');
  refused(() => parseAuditEventList(new Uint8Array([0x7b, 0xff, 0x7d])), 'bad-json');
  let deep = '1';
  for (let i = 0; i < 100; i++) deep = `[${deep}]`;
  refused(() => parseAuditEventList(enc.encode(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"requestObject":${deep}}]}`)), 'bad-json');
});

test('hostile events are refused with the path of the member', () => {
  const bad = (patch: JsonObject, code: string, at: string) => {
    const e = refused(() => parseAuditEventList(list([fx.LIST_PODS, { ...fx.IMPERSONATED_DELETE_FORBIDDEN, ...patch }])), code, at);
    for (const v of Object.values(patch)) if (typeof v === 'string' && v.length > 3) assert.ok(!e.message.includes(v), 'the message quotes no value');
  };
  bad({ stage: 'Done' }, 'bad-stage', '$.items[1].stage');
  bad({ level: 'None' }, 'bad-level', '$.items[1].level');
  bad({ auditID: 7 }, 'wrong-type', '$.items[1].auditID');
  bad({ verb: null }, 'missing', '$.items[1].verb');
  bad({ user: 'alice-the-admin' }, 'wrong-type', '$.items[1].user');
  bad({ user: { username: 'alice', groups: 'admins-group' } }, 'wrong-type', '$.items[1].user.groups');
  bad({ sourceIPs: ['203.0.113.9', 5] }, 'wrong-type', '$.items[1].sourceIPs[1]');
  bad({ stageTimestamp: '2026-01-01T09:00:03Z' }, 'bad-timestamp', '$.items[1].stageTimestamp');
  bad({ stageTimestamp: '2026-02-30T09:00:03.000000Z' }, 'bad-timestamp', '$.items[1].stageTimestamp');
  bad({ responseStatus: { code: '403' } }, 'wrong-type', '$.items[1].responseStatus.code');
  bad({ responseStatus: { code: 1000 } }, 'bad-code', '$.items[1].responseStatus.code');
  bad({ annotations: { a: 1 } }, 'wrong-type', '$.items[1].annotations.a');
  bad({ objectRef: { name: 42 } }, 'wrong-type', '$.items[1].objectRef.name');
});

test('a batch maps item by item: an item that cannot be mapped becomes the record of its refusal, under its key', () => {
  const huge: JsonObject = { ...fx.IMPERSONATED_DELETE_FORBIDDEN, annotations: { 'example.com/note': 'x'.repeat(20_000) } };
  const items = mapAuditBatch(parseAuditEventList(list([fx.LIST_PODS, huge, fx.EXEC_PANIC])));
  assert.deepEqual(items.map((i) => i.refused?.code), [undefined, 'event-too-large', undefined]);
  assert.deepEqual(items.map((i) => i.key), [fx.LIST_PODS, huge, fx.EXEC_PANIC].map((o) => `k8s/${o.stage}/${o.auditID}`));
  const r = items[1]!.event;
  assert.equal(r.classUid, 1008);
  assert.equal(r.event.status_id, 2);
  assert.deepEqual(((r.event.unmapped as JsonObject).k8s as JsonObject).error, { code: 'event-too-large', at: '$.items[1]' });
  assert.ok(!new TextDecoder().decode(r.canonical).includes('xxxx'), 'the refusal record quotes nothing of the item');
  assert.ok(!new TextDecoder().decode(r.canonical).includes('kubernetes-admin'));
  assert.equal(items[0]!.event.classUid, 6003);
});

test('a malformed auditID (the Audit-ID header of a client) parses and refuses only its own item', () => {
  const items = mapAuditBatch(parseAuditEventList(list([{ ...fx.LIST_PODS, auditID: '' }, { ...fx.EXEC_PANIC, auditID: 'a'.repeat(101) }, { ...fx.WATCH_STARTED, auditID: 'has space' }, fx.NON_RESOURCE])));
  assert.deepEqual(items.map((i) => i.refused?.code), ['bad-audit-id', 'bad-audit-id', 'bad-audit-id', undefined]);
  assert.deepEqual(items.map((i) => i.refused?.at), ['$.items[0].auditID', '$.items[1].auditID', '$.items[2].auditID', undefined]);
  const text = new TextDecoder().decode(items[1]!.event.canonical);
  assert.ok(!text.includes('aaaa') && !new TextDecoder().decode(items[2]!.event.canonical).includes('has space'));
});

test('a source IP that is not an IP address fails the mapping, not silently', () => {
  const [e] = parseAuditEventList(list([{ ...fx.LIST_PODS, sourceIPs: ['not-an-ip'] }]));
  const err = refused(() => mapAuditEvent(e!), 'event-invalid', '$.items[0]');
  assert.ok(!err.message.includes('not-an-ip'));
});

test('property: any mutation of a good batch parses and maps, or fails with IngestError only', () => {
  const good = JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items: fx.ALL_AUDIT_EVENTS });
  fc.assert(
    fc.property(fc.nat(good.length - 1), fc.nat(good.length), fc.string({ maxLength: 8 }), (at, len, insert) => {
      const text = good.slice(0, at) + insert + good.slice(Math.min(good.length, at + (len % 16)));
      try {
        for (const e of parseAuditEventList(enc.encode(text))) mapAuditEvent(e);
      } catch (e) {
        if (!(e instanceof IngestError)) throw e;
      }
    }),
    { numRuns: 500 },
  );
});
