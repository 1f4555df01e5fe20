// The validation matrix: for every supported OCSF class, a valid event, then each kind of
// defect (missing, wrong type, wrong enum, oversized, deep nesting, non-canonical numbers,
// duplicate keys) with the error code and JSON path it must produce.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EventError } from './errors.js';
import { canonicalJson, parseEvent, validateEvent } from './event.js';
import type { JsonObject } from './json.js';
import { MAX_EVENT_SIZE } from './limits.js';
import { SUPPORTED_CLASSES } from './validate.js';
import { eventOf, EVENTS, jsonBytes } from './test-fixtures.js';

function rejects(input: unknown, code: string, path: string): void {
  const bytes = input instanceof Uint8Array ? input : jsonBytes(input);
  assert.throws(
    () => parseEvent(bytes),
    (e: unknown) => {
      if (!(e instanceof EventError)) return false;
      assert.equal(`${e.code} ${e.path}`, `${code} ${path}`);
      assert.ok(e.message.startsWith(`${path}: `), e.message);
      return true;
    },
  );
}

/** Sets `value` at a dotted path of a copy of the fixture (undefined deletes). */
function edit(classUid: number, path: string, value: unknown): JsonObject {
  const e = eventOf(classUid);
  const keys = path.split('.');
  let o = e as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) o = o[k] as Record<string, unknown>;
  if (value === undefined) delete o[keys.at(-1)!];
  else o[keys.at(-1)!] = value;
  return e;
}

const REQUIRED: Record<number, string[]> = {
  3002: ['user'],
  3001: ['user'],
  6003: ['actor', 'api', 'src_endpoint', 'api.operation', 'api.request.uid'],
  1007: ['process', 'actor', 'device', 'device.type_id'],
  1008: [], // Event Log Activity makes the system category's actor and device recommended
  2004: ['finding_info', 'finding_info.uid', 'finding_info.analytic.type_id'],
};
const BASE_REQUIRED = ['class_uid', 'category_uid', 'activity_id', 'type_uid', 'severity_id', 'time', 'metadata', 'metadata.version', 'metadata.product'];
const NESTED_STRING: Record<number, string> = {
  3002: 'user.name', 3001: 'actor.user.name', 6003: 'actor.user.name', 1007: 'process.name', 1008: 'actor.user.name', 2004: 'finding_info.title',
};

test('the fixtures cover every supported class, and each validates unchanged', () => {
  assert.deepEqual([...SUPPORTED_CLASSES].sort(), Object.keys(EVENTS).map(Number).sort());
  for (const uid of SUPPORTED_CLASSES) {
    const v = parseEvent(jsonBytes(EVENTS[uid]));
    assert.equal(v.classUid, uid);
    assert.equal(v.time, EVENTS[uid]!['time']);
    assert.deepEqual(v.moved, []);
    assert.deepEqual(v.event, EVENTS[uid]);
    assert.deepEqual(v.canonical, canonicalJson(EVENTS[uid]));
    // Canonical bytes re-validate to themselves.
    assert.deepEqual(parseEvent(v.canonical).canonical, v.canonical);
    assert.deepEqual(validateEvent(EVENTS[uid]).canonical, v.canonical);
  }
});

for (const uid of Object.keys(EVENTS).map(Number)) {
  test(`class ${uid}: missing required attributes`, () => {
    for (const path of [...BASE_REQUIRED, ...REQUIRED[uid]!]) {
      if (path === 'class_uid') continue;
      rejects(edit(uid, path, undefined), 'missing', `$.${path}`);
    }
    rejects(edit(uid, 'class_uid', undefined), 'missing', '$.class_uid');
  });

  test(`class ${uid}: wrong types`, () => {
    rejects(edit(uid, 'time', '2026-01-01T00:00:00Z'), 'wrong-type', '$.time');
    rejects(edit(uid, 'time', 1767225600000.5), 'wrong-type', '$.time');
    rejects(edit(uid, 'severity_id', '1'), 'wrong-type', '$.severity_id');
    rejects(edit(uid, 'metadata', 'okta'), 'wrong-type', '$.metadata');
    rejects(edit(uid, 'metadata.version', 1.3), 'wrong-type', '$.metadata.version');
    rejects(edit(uid, NESTED_STRING[uid]!, 42), 'wrong-type', `$.${NESTED_STRING[uid]!}`);
    rejects(edit(uid, 'message', ['a']), 'wrong-type', '$.message');
    rejects(edit(uid, 'observables', {}), 'wrong-type', '$.observables');
    rejects(edit(uid, 'count', 2 ** 53), 'unsafe-integer', '$.count');
    rejects([EVENTS[uid]], 'wrong-type', '$');
  });

  test(`class ${uid}: enums, category, type_uid, time, version`, () => {
    rejects(edit(uid, 'activity_id', 50), 'bad-enum', '$.activity_id');
    rejects(edit(uid, 'severity_id', 7), 'bad-enum', '$.severity_id');
    rejects(edit(uid, 'status_id', uid === 2004 ? 7 : 3), 'bad-enum', '$.status_id');
    rejects(edit(uid, 'category_uid', 5), 'bad-category', '$.category_uid');
    rejects(edit(uid, 'type_uid', uid * 100 + 98), 'bad-type-uid', '$.type_uid');
    rejects(edit(uid, 'time', 1767225600), 'time-not-ms', '$.time');
    rejects(edit(uid, 'time', 253402300800000), 'bad-time', '$.time');
    rejects(edit(uid, 'metadata.version', '2.0.0'), 'bad-version', '$.metadata.version');
    rejects(edit(uid, 'metadata.version', '1.3'), 'bad-version', '$.metadata.version');
    // 0 Unknown and 99 Other are valid activities of every class, with the matching type_uid.
    for (const a of [0, 99]) {
      const e = edit(uid, 'activity_id', a);
      e['type_uid'] = uid * 100 + a;
      assert.equal(parseEvent(jsonBytes(e)).activityId, a);
    }
  });

  test(`class ${uid}: oversized, too deep, non-canonical numbers, duplicate keys`, () => {
    rejects(edit(uid, 'message', 'x'.repeat(20_000)), 'string-too-long', '$.message');
    const big = eventOf(uid);
    big['unmapped'] = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`k${i}`, 'y'.repeat(9000)]));
    rejects(big, 'too-large', '$');
    let deep: unknown = 'bottom';
    for (let i = 0; i < 16; i++) deep = { d: deep };
    rejects(edit(uid, 'unmapped', deep), 'too-deep', `$.unmapped${'.d'.repeat(15)}`);
    rejects(edit(uid, 'observables', Array.from({ length: 1025 }, () => ({}))), 'array-too-long', '$.observables');
    const text = JSON.stringify(EVENTS[uid]);
    rejects(new TextEncoder().encode(text.replace(`"time":${EVENTS[uid]!['time']}`, `"time":${EVENTS[uid]!['time']}.0`)), 'non-canonical-number', '$.time');
    rejects(new TextEncoder().encode(text.replace('"severity_id":', '"severity_id":1e0,"x":')), 'non-canonical-number', '$.severity_id');
    rejects(new TextEncoder().encode(text.replace('"time":', '"time":9007199254740993,"z":')), 'unsafe-integer', '$.time');
    rejects(new TextEncoder().encode(text.replace('{', `{"class_uid":${uid},`)), 'duplicate-key', '$.class_uid');
    const nested = NESTED_STRING[uid]!.split('.');
    const leaf = nested.reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], EVENTS[uid]);
    const pair = `"${nested.at(-1)}":${JSON.stringify(leaf)}`;
    assert.equal(text.indexOf(pair), text.lastIndexOf(pair));
    const inner = text.replace(pair, `"${nested.at(-1)}":"dup",${pair}`);
    rejects(new TextEncoder().encode(inner), 'duplicate-key', `$.${NESTED_STRING[uid]!}`);
  });
}

test('unknown attributes move to unmapped under their path, never dropped', () => {
  const e = eventOf(3002);
  e['risk_team_note'] = 'check';
  (e['user'] as JsonObject)['nickname'] = 'ally';
  (e['src_endpoint'] as JsonObject)['geo hash'] = 'u09tv';
  e['unmapped'] = { original_vendor_field: 1 };
  const v = parseEvent(jsonBytes(e));
  assert.deepEqual(v.moved, ['user.nickname', 'src_endpoint["geo hash"]', 'risk_team_note']);
  assert.deepEqual(v.event['unmapped'], { original_vendor_field: 1, 'user.nickname': 'ally', 'src_endpoint["geo hash"]': 'u09tv', risk_team_note: 'check' });
  assert.equal((v.event['user'] as JsonObject)['nickname'], undefined);
  assert.equal(v.event['risk_team_note'], undefined);
  // Validating the result again moves nothing and changes no byte.
  const again = parseEvent(v.canonical);
  assert.deepEqual(again.moved, []);
  assert.deepEqual(again.canonical, v.canonical);
  // Inside arrays of known objects too.
  const a = eventOf(6003);
  ((a['resources'] as JsonObject[])[0] as JsonObject)['owner_team'] = 'payments';
  assert.deepEqual(parseEvent(jsonBytes(a)).moved, ['resources[0].owner_team']);
  // A moved attribute may not overwrite an unmapped value.
  const c = eventOf(3002);
  c['foo'] = 1;
  c['unmapped'] = { foo: 2 };
  rejects(c, 'unmapped-conflict', '$.unmapped.foo');
  rejects(edit(3002, 'unmapped', [1]), 'wrong-type', '$.unmapped');
});

test('IP addresses and ports', () => {
  for (const ip of ['192.0.2.1', '0.0.0.0', '255.255.255.255', '::', '::1', '2001:db8::7', 'fe80::1:2:3:4', '1:2:3:4:5:6:7:8', '::ffff:192.0.2.1', '1::', '1:2:3:4:5:6::7']) {
    parseEvent(jsonBytes(edit(3002, 'src_endpoint.ip', ip)));
  }
  for (const ip of ['256.0.0.1', '01.2.3.4', '1.2.3', 'host.example', '1:2:3:4:5:6:7:8:9', '1::2::3', ':::', '12345::', '1:2:3:4:5:6:7::8', ' 192.0.2.1', '']) {
    rejects(edit(3002, 'src_endpoint.ip', ip), 'bad-ip', '$.src_endpoint.ip');
  }
  rejects(edit(3002, 'src_endpoint.port', 65536), 'bad-port', '$.src_endpoint.port');
  rejects(edit(3002, 'src_endpoint.port', -1), 'bad-port', '$.src_endpoint.port');
  rejects(edit(3002, 'src_endpoint.port', '443'), 'wrong-type', '$.src_endpoint.port');
});

test('unsupported classes are named', () => {
  rejects({ ...EVENTS[3002], class_uid: 4001 }, 'unsupported-class', '$.class_uid');
  rejects({ ...EVENTS[3002], class_uid: '3002' }, 'wrong-type', '$.class_uid');
});

test('validateEvent refuses what JSON would silently drop or change', () => {
  const withUndefined = { ...EVENTS[3002], message: undefined };
  assert.throws(() => validateEvent(withUndefined), (e: unknown) => e instanceof EventError && e.code === 'bad-value' && e.path === '$.message');
  assert.throws(() => validateEvent({ ...EVENTS[3002], metadata: { ...EVENTS[3002]!['metadata'] as object, when: new Date(0) } }), (e: unknown) => e instanceof EventError && e.code === 'bad-value' && e.path === '$.metadata.when');
  assert.throws(() => validateEvent({ ...EVENTS[3002], count: NaN }), (e: unknown) => e instanceof EventError && e.code === 'bad-value');
  assert.throws(() => validateEvent({ ...EVENTS[3002], count: 1n }), (e: unknown) => e instanceof EventError && e.code === 'bad-value');
  assert.equal(MAX_EVENT_SIZE, 65536);
});

test('property: arbitrary edits of valid events either validate or throw EventError', () => {
  const keys = ['user', 'actor', 'time', 'metadata', 'api', 'unmapped', 'device', 'src_endpoint', 'resources', 'process', 'finding_info', 'x'];
  fc.assert(
    fc.property(fc.constantFrom(...SUPPORTED_CLASSES), fc.constantFrom(...keys), fc.jsonValue({ maxDepth: 3 }), (uid, key, value) => {
      const e = eventOf(uid);
      e[key] = value as JsonObject;
      try {
        const v = parseEvent(jsonBytes(e));
        assert.deepEqual(parseEvent(v.canonical).canonical, v.canonical);
      } catch (err) {
        if (!(err instanceof EventError)) throw err;
      }
    }),
    { numRuns: 1000 },
  );
});
