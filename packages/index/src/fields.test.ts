// Field extraction per class: what the index keeps of one event of each supported class, from a
// realistic event; the leaf (not the event) gives source, seq, time and class; erased events and
// non-event leaves give nothing; values PostgreSQL could not store are left out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildLeaf, validateEvent, type JsonObject } from '@cairn/events';
import { extractFields, type EventFields, type StoredEventLike } from './fields.js';

const T = Date.UTC(2026, 0, 1);
const meta = { version: '1.3.0', product: { name: 'p', vendor_name: 'Example Corp' } };

function stored(event: JsonObject, index = 5n, source = 'src-a', seq = 3n): StoredEventLike {
  const v = validateEvent(event);
  const salt = new Uint8Array(32).fill(1);
  return { index, source, seq, leaf: buildLeaf({ source, seq, event: v, salt }).bytes, body: { canonical: v.canonical, salt } };
}

function columns(f: EventFields | undefined): Omit<EventFields, 'text'> {
  assert.ok(f !== undefined);
  const { text: _t, ...rest } = f;
  return rest;
}

const base = { index: 5n, source: 'src-a', seq: 3n, api_operation: '', actors: [], users: [], src_ips: [], resource_types: [], resource_names: [], resource_namespaces: [], erases: [] };

test('Authentication: the user who logs on is the actor', () => {
  const f = extractFields(stored({
    class_uid: 3002, category_uid: 3, activity_id: 1, type_uid: 300201, severity_id: 1, status_id: 2, time: T, metadata: meta,
    user: { name: 'alice.martin', uid: 'u-1001' }, src_endpoint: { ip: '2001:DB8::7', port: 51514 }, message: 'Logon failed: bad password',
  }));
  assert.deepEqual(columns(f), { ...base, time: T, class_uid: 3002, activity_id: 1, status_id: 2, severity_id: 1,
    actors: ['alice.martin', 'u-1001'], users: ['alice.martin', 'u-1001'], src_ips: ['2001:0db8:0000:0000:0000:0000:0000:0007'] });
  assert.deepEqual(f!.text.get('password'), f!.text.get('password')); // present
  assert.ok(f!.text.has('logon') && f!.text.has('alice') && f!.text.has('51514') && f!.text.has('example'));
});

test('Account Change: actor and target user are kept apart; no status_id is -1', () => {
  const f = extractFields(stored({
    class_uid: 3001, category_uid: 3, activity_id: 7, type_uid: 300107, severity_id: 3, time: T + 1, metadata: meta,
    user: { name: 'bob' }, actor: { user: { name: 'alice', uid: 'u-1' } }, src_endpoint: { ip: '198.51.100.23' },
  }));
  assert.deepEqual(columns(f), { ...base, time: T + 1, class_uid: 3001, activity_id: 7, status_id: -1, severity_id: 3,
    actors: ['alice', 'u-1'], users: ['bob'], src_ips: ['198.51.100.23'] });
});

test('API Activity: operation and resources', () => {
  const f = extractFields(stored({
    class_uid: 6003, category_uid: 6, activity_id: 2, type_uid: 600302, severity_id: 1, status_id: 1, time: T + 2, metadata: meta,
    actor: { user: { name: 'alice' } }, api: { operation: 'get', service: { name: 'secrets' } }, src_endpoint: { ip: '198.51.100.23' },
    resources: [{ type: 'secret', name: 'db-password', namespace: 'prod' }, { type: 'secret', name: 'api-key', namespace: 'prod' }],
  }));
  assert.deepEqual(columns(f), { ...base, time: T + 2, class_uid: 6003, activity_id: 2, status_id: 1, severity_id: 1, api_operation: 'get',
    actors: ['alice'], src_ips: ['198.51.100.23'], resource_types: ['secret'], resource_names: ['db-password', 'api-key'], resource_namespaces: ['prod'] });
});

test('Process Activity and Event Log Activity: actor.user', () => {
  const p = extractFields(stored({
    class_uid: 1007, category_uid: 1, activity_id: 1, type_uid: 100701, severity_id: 4, status_id: 1, time: T + 3, metadata: meta,
    process: { pid: 4242, name: 'bash', cmd_line: 'cat /etc/shadow', user: { name: 'bob' } }, actor: { user: { name: 'alice' } }, device: { type_id: 1 },
  }));
  assert.deepEqual(columns(p), { ...base, time: T + 3, class_uid: 1007, activity_id: 1, status_id: 1, severity_id: 4, actors: ['alice'] });
  assert.ok(p!.text.has('shadow'));
  const l = extractFields(stored({
    class_uid: 1008, category_uid: 1, activity_id: 2, type_uid: 100802, severity_id: 1, status_id: 1, time: T + 4, metadata: meta,
    actor: { user: { name: 'carol', uid: 'admin-3' } }, log_name: 'example.com/log',
  }));
  assert.deepEqual(columns(l), { ...base, time: T + 4, class_uid: 1008, activity_id: 2, status_id: 1, severity_id: 1, actors: ['carol', 'admin-3'] });
});

test('Detection Finding: evidence addresses and resources', () => {
  const f = extractFields(stored({
    class_uid: 2004, category_uid: 2, activity_id: 1, type_uid: 200401, severity_id: 4, status_id: 1, time: T + 5, metadata: meta,
    finding_info: { uid: 'f-77', title: 'Brute force' }, evidences: [{ src_endpoint: { ip: '203.0.113.9' } }, { src_endpoint: { ip: '203.0.113.9' } }],
    resources: [{ type: 'host', name: 'bastion' }],
  }));
  assert.deepEqual(columns(f), { ...base, time: T + 5, class_uid: 2004, activity_id: 1, status_id: 1, severity_id: 4,
    src_ips: ['203.0.113.9'], resource_types: ['host'], resource_names: ['bastion'] });
});

test('the leaf gives source, seq, time and class; erased events and non-event leaves give nothing', () => {
  const s = stored({ class_uid: 1008, category_uid: 1, activity_id: 2, type_uid: 100802, severity_id: 1, time: T, metadata: meta }, 9n, 'other', 41n);
  const f = extractFields(s)!;
  assert.deepEqual([f.index, f.source, f.seq, f.time, f.class_uid], [9n, 'other', 41n, T, 1008]);
  assert.equal(extractFields({ index: s.index, source: s.source, seq: s.seq, leaf: s.leaf, erased: {} }), undefined);
  assert.equal(extractFields({ ...s, leaf: new TextEncoder().encode('not a leaf\n') }), undefined);
  // An unreadable body keeps the leaf's fields.
  const broken = extractFields({ ...s, body: { canonical: new Uint8Array([0xff]), salt: new Uint8Array(32) } })!;
  assert.deepEqual([broken.time, broken.class_uid, broken.activity_id, broken.text.size], [T, 1008, -1, 0]);
});

test('values PostgreSQL text cannot hold are left out of the columns', () => {
  const event = {
    class_uid: 3002, category_uid: 3, activity_id: 1, type_uid: 300201, severity_id: 1, time: T, metadata: meta,
    user: { name: 'nul\u0000name', uid: '' },
  };
  const s = stored(event);
  // The store holds validated events; this body is not one (an address the validator would refuse).
  const canonical = new TextEncoder().encode(JSON.stringify({ ...event, src_endpoint: { ip: 'not-an-ip' } }));
  const f = extractFields({ ...s, body: { canonical, salt: new Uint8Array(32) } })!;
  assert.deepEqual([f.actors, f.users, f.src_ips], [[], [], []]);
});

test('an erasure record of the log names the indices it erases; the same event from another source names none', () => {
  const record = {
    class_uid: 1008, category_uid: 1, activity_id: 2, type_uid: 100802, severity_id: 1, status_id: 1, time: T, metadata: meta,
    actor: { user: { name: 'admin' } }, unmapped: { erased_indices: ['3', '07', '12', 'x', '40', '9223372036854775808'] },
  };
  assert.deepEqual(extractFields(stored(record, 40n, 'cairn', 0n))!.erases, [3n, 12n]);
  assert.deepEqual(extractFields(stored(record, 40n, 'bastion', 0n))!.erases, []);
  assert.deepEqual(extractFields(stored({ ...record, activity_id: 1, type_uid: 100801 }, 40n, 'cairn', 0n))!.erases, []);
});
