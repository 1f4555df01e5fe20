import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import fc from 'fast-check';
import { parseEvent, type JsonObject } from '@cairn/events';
import { IngestError } from './errors.js';
import { OTLP_PROTO_FILES } from './otlp-schema.js';
import { parseOtlpJson } from './otlp-json.js';
import { encodeOtlpResponse, formatOtlpJsonResponse, parseOtlpProto } from './otlp-proto.js';
import { mapOtlpRecords } from './otlp-map.js';
import { MAX_OTLP_RECORDS } from './otlp-model.js';

const enc = new TextEncoder();
const RECEIVED = Date.UTC(2026, 0, 1, 10);
const root = new protobuf.Root();
for (const [, text] of OTLP_PROTO_FILES) protobuf.parse(text, root, { keepCase: false });
root.resolveAll();
const Request = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');
const Response = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse');

const kv = (key: string, value: JsonObject) => ({ key, value });
/** A request as the Collector's otlphttp exporter sends it, in OTLP/JSON. */
const REQUEST = {
  resourceLogs: [{
    resource: { attributes: [kv('service.name', { stringValue: 'shop' }), kv('service.version', { stringValue: '2.4.1' }), kv('host.name', { stringValue: 'web-1' }), kv('k8s.pod.uid', { stringValue: '0f1e2d3c-4b5a-4968-8776-655443322110' })] },
    schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
    scopeLogs: [{
      scope: { name: 'shop.audit', version: '1.0.0' },
      logRecords: [
        { timeUnixNano: '1767261600123456789', observedTimeUnixNano: '1767261600200000000', severityNumber: 9, severityText: 'INFO',
          body: { stringValue: 'order 42 refunded' },
          attributes: [kv('enduser.id', { stringValue: 'alice' }), kv('order.id', { intValue: '42' }), kv('amount', { doubleValue: 19.5 }), kv('big', { intValue: '9223372036854775807' }),
            kv('flags', { arrayValue: { values: [{ boolValue: true }, { stringValue: 'x' }] } }), kv('ctx', { kvlistValue: { values: [kv('a', { intValue: '-1' })] } }), kv('blob', { bytesValue: 'AQID' }), kv('nan', { doubleValue: 'NaN' })],
          traceId: '5B8EFFF798038103D269B633813FC60C', spanId: 'EEE19B7EC3C1B174', flags: 1 },
        { observedTimeUnixNano: '1767261601000000000', severityNumber: 17, body: { kvlistValue: { values: [kv('error', { stringValue: 'payment declined' })] } }, eventName: 'payment.failed' },
        { timeUnixNano: '1767261602000000000', body: { kvlistValue: { values: [
          kv('class_uid', { intValue: '3002' }), kv('category_uid', { intValue: '3' }), kv('activity_id', { intValue: '1' }), kv('type_uid', { intValue: '300201' }),
          kv('severity_id', { intValue: '1' }), kv('status_id', { intValue: '1' }), kv('time', { intValue: '1767261602000' }),
          kv('metadata', { kvlistValue: { values: [kv('version', { stringValue: '1.3.0' }), kv('product', { kvlistValue: { values: [kv('name', { stringValue: 'shop' })] } })] } }),
          kv('user', { kvlistValue: { values: [kv('name', { stringValue: 'alice' })] } }),
        ] } } },
        {},
      ],
    }],
  }],
};

/** The same request for protobufjs: ids and bytes as bytes. */
function toProtoObject(o: unknown, key = ''): unknown {
  if (Array.isArray(o)) return o.map((x) => toProtoObject(x));
  if (typeof o === 'object' && o !== null) return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, toProtoObject(v, k)]));
  if ((key === 'traceId' || key === 'spanId') && typeof o === 'string') return Buffer.from(o, 'hex');
  if (key === 'bytesValue' && typeof o === 'string') return Buffer.from(o, 'base64');
  if (key === 'doubleValue' && typeof o === 'string') return Number(o);
  return o;
}
const protoBytes = (o: unknown): Uint8Array => Request.encode(Request.fromObject(toProtoObject(o) as Record<string, unknown>)).finish();

test('the embedded definitions are the vendored .proto files, byte for byte', () => {
  const dir = fileURLToPath(new URL('../proto/', import.meta.url));
  for (const [path, text] of OTLP_PROTO_FILES) assert.equal(text, readFileSync(dir + path, 'utf8'), path);
});

test('both encodings of one request give the same events, and every event passes the events layer', () => {
  const fromJson = mapOtlpRecords(parseOtlpJson(enc.encode(JSON.stringify(REQUEST))), RECEIVED);
  const fromProto = mapOtlpRecords(parseOtlpProto(protoBytes(REQUEST)), RECEIVED);
  assert.equal(fromJson.rejected, 0, fromJson.errorMessage);
  assert.equal(fromJson.results.length, 4);
  const bytes = (m: typeof fromJson) => m.results.map((r) => (r.ok ? new TextDecoder().decode(r.event.canonical) : r.error.code));
  assert.deepEqual(bytes(fromProto), bytes(fromJson));
  for (const r of fromJson.results) if (r.ok) assert.deepEqual(parseEvent(r.event.canonical).canonical, r.event.canonical);
});

test('a plain log record: Event Log Activity with its context kept in unmapped.otel', () => {
  const m = mapOtlpRecords(parseOtlpJson(enc.encode(JSON.stringify(REQUEST))), RECEIVED);
  const [a, b, c, d] = m.results.map((r) => (r.ok ? r.event.event : assert.fail(r.error.message)));
  assert.equal(a!.class_uid, 1008);
  assert.equal(a!.activity_id, 99);
  assert.equal(a!.time, 1767261600123);
  assert.equal(a!.severity_id, 1);
  assert.equal(a!.message, 'order 42 refunded');
  assert.deepEqual(a!.metadata, { version: '1.3.0', product: { name: 'shop', version: '2.4.1' }, log_name: 'otlp', correlation_uid: '5b8efff798038103d269b633813fc60c' });
  assert.deepEqual(a!.device, { hostname: 'web-1', type_id: 0 });
  const otel = (a!.unmapped as JsonObject).otel as JsonObject;
  assert.deepEqual(otel.attributes, { 'enduser.id': 'alice', 'order.id': 42, amount: 19.5, big: '9223372036854775807', flags: [true, 'x'], ctx: { a: -1 }, blob: 'AQID', nan: 'NaN' });
  assert.equal(otel.span_id, 'eee19b7ec3c1b174');
  assert.equal(otel.time_unix_nano, '1767261600123456789');
  assert.deepEqual(otel.scope, { name: 'shop.audit', version: '1.0.0' });
  assert.equal((otel.resource as JsonObject)['k8s.pod.uid'], '0f1e2d3c-4b5a-4968-8776-655443322110');
  // no time: observed time; a structured body kept; ERROR → High
  assert.equal(b!.time, 1767261601000);
  assert.equal(b!.severity_id, 4);
  assert.deepEqual(((b!.unmapped as JsonObject).otel as JsonObject).body, { error: 'payment declined' });
  assert.equal(((b!.unmapped as JsonObject).otel as JsonObject).event_name, 'payment.failed');
  // an OCSF body is the event itself
  assert.equal(c!.class_uid, 3002);
  assert.deepEqual(c!.user, { name: 'alice' });
  assert.equal((((c!.unmapped as JsonObject).otel as JsonObject).resource as JsonObject)['service.name'], 'shop');
  // an empty record: the time received
  assert.equal(d!.time, RECEIVED);
  assert.equal(d!.severity_id, 0);
});

test('bad records are refused alone, with partialSuccess counts; the others map', () => {
  const req = structuredClone(REQUEST);
  const recs = req.resourceLogs[0]!.scopeLogs[0]!.logRecords as JsonObject[];
  recs.push({ severityNumber: 25 });
  recs.push({ attributes: [kv('a', { stringValue: 'x' }), kv('a', { stringValue: 'y' })] });
  const badTrace = { traceId: 'abc' };
  recs.push(badTrace);
  recs.push({ body: { kvlistValue: { values: [kv('class_uid', { intValue: '3002' })] } } });
  for (const bytes of [enc.encode(JSON.stringify(req)), protoBytes({ ...req, resourceLogs: [{ ...req.resourceLogs[0], scopeLogs: [{ ...req.resourceLogs[0]!.scopeLogs[0], logRecords: recs.filter((r) => r !== badTrace) }] }] })]) {
    const parse = bytes[0] === 0x7b ? parseOtlpJson : parseOtlpProto;
    const m = mapOtlpRecords(parse(bytes), RECEIVED);
    const codes = m.results.map((r) => (r.ok ? 'ok' : r.error.code));
    const expected = ['ok', 'ok', 'ok', 'ok', 'bad-severity', 'duplicate-key', ...(parse === parseOtlpJson ? ['bad-id'] : []), 'event-invalid'];
    assert.deepEqual(codes, expected);
    assert.equal(m.rejected, expected.filter((c) => c !== 'ok').length);
    assert.match(m.errorMessage, /^\d+ log record\(s\) refused: bad-severity at \$\.resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[4\]\.severityNumber; duplicate-key at /);
    assert.ok(!m.errorMessage.includes('alice'));
  }
});

test('responses: empty on success, partialSuccess otherwise, in both encodings', () => {
  assert.equal(formatOtlpJsonResponse(0, ''), '{}');
  assert.deepEqual(JSON.parse(formatOtlpJsonResponse(2, 'x')), { partialSuccess: { rejectedLogRecords: '2', errorMessage: 'x' } });
  assert.equal(encodeOtlpResponse(0, '').length, 0);
  const decoded = Response.toObject(Response.decode(encodeOtlpResponse(3, 'bad')), { longs: String });
  assert.deepEqual(decoded, { partialSuccess: { rejectedLogRecords: '3', errorMessage: 'bad' } });
});

test('a hand-encoded protobuf request decodes (known answer)', () => {
  // LogRecord: time_unix_nano (field 1, fixed64) = 1767261600000000000, body (5) = AnyValue{string_value (1) "hi"}
  const t = 1767261600000000000n;
  const fixed = Array.from({ length: 8 }, (_, i) => Number((t >> BigInt(8 * i)) & 0xffn));
  const record = [0x09, ...fixed, 0x2a, 0x04, 0x0a, 0x02, 0x68, 0x69];
  const scopeLogs = [0x12, record.length, ...record];
  const resourceLogs = [0x12, scopeLogs.length, ...scopeLogs];
  const body = new Uint8Array([0x0a, resourceLogs.length, ...resourceLogs]);
  const [r] = parseOtlpProto(body);
  assert.ok(r?.ok);
  if (r?.ok) {
    assert.equal(r.record.timeUnixNano, t);
    assert.equal(r.record.body, 'hi');
  }
});

test('malformed protobuf and wrong JSON types refuse the request with a code and a position', () => {
  const refused = (f: () => unknown, code: string, at?: string) =>
    assert.throws(f, (e) => e instanceof IngestError && e.format === 'otlp' && e.code === code && (at === undefined || e.at === at));
  const good = protoBytes(REQUEST);
  refused(() => parseOtlpProto(good.subarray(0, good.length - 3)), 'malformed');
  refused(() => parseOtlpProto(new Uint8Array([0x0a, 0x05, 0x12])), 'malformed', 'byte 0');
  refused(() => parseOtlpProto(new Uint8Array([0x08, 0x01])), 'malformed', 'byte 0'); // resource_logs as a varint
  refused(() => parseOtlpProto(new Uint8Array([0x0b])), 'malformed', 'byte 0'); // group wire type
  refused(() => parseOtlpProto(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])), 'malformed');
  // millions of empty records are counted before anything is decoded
  const many = new Uint8Array(2 * (MAX_OTLP_RECORDS + 1)).map((_, i) => (i % 2 === 0 ? 0x12 : 0));
  const sl = new Uint8Array([0x12, ...varint(many.length), ...many]);
  const rl = new Uint8Array([0x0a, ...varint(sl.length), ...sl]);
  refused(() => parseOtlpProto(rl), 'too-many-records');
  refused(() => parseOtlpProto(new Uint8Array(8 * 1024 * 1024 + 1)), 'too-large');
  refused(() => parseOtlpJson(enc.encode('{"resourceLogs":{}}')), 'wrong-type', '$.resourceLogs');
  refused(() => parseOtlpJson(enc.encode('{"resourceLogs":[{"scopeLogs":{}}]}')), 'wrong-type', '$.resourceLogs[0].scopeLogs');
  refused(() => parseOtlpJson(enc.encode('[]')), 'wrong-type', '$');
  refused(() => parseOtlpJson(enc.encode('{"resourceLogs":[],"resourceLogs":[]}')), 'bad-json');
  // wrong field types inside a record refuse the record only
  const rec = (o: JsonObject) => parseOtlpJson(enc.encode(JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [o] }] }] })))[0]!;
  const code = (o: JsonObject) => {
    const r = rec(o);
    return r.ok ? 'ok' : r.error.code;
  };
  assert.equal(code(1 as unknown as JsonObject), 'wrong-type');
  assert.equal(code({ timeUnixNano: 1.5 }), 'wrong-type');
  assert.equal(code({ timeUnixNano: '01' }), 'wrong-type');
  assert.equal(code({ timeUnixNano: '18446744073709551616' }), 'out-of-range');
  assert.equal(code({ timeUnixNano: 1767261600000000 }), 'ok');
  assert.equal(code({ severityNumber: 'SEVERITY_NUMBER_INFO' }), 'wrong-type');
  assert.equal(code({ body: { stringValue: 'a', intValue: '1' } }), 'oneof');
  assert.equal(code({ body: { bytesValue: 'AQI' } }), 'bad-base64');
  assert.equal(code({ body: { stringValueStrindex: 3 } }), 'strindex');
  assert.equal(code({ attributes: [{ key: 'k', keyStrindex: 2 }] }), 'strindex');
  assert.equal(code({ spanId: 'zz' }), 'bad-id');
  assert.equal(code({ unknownField: 1 }), 'ok');
  let deep: JsonObject = { stringValue: 'x' };
  for (let i = 0; i < 10; i++) deep = { arrayValue: { values: [deep] } };
  assert.equal(code({ body: deep }), 'too-deep');
});

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

test('property: no bytes make the protobuf or JSON parser throw anything but IngestError', () => {
  const good = protoBytes(REQUEST);
  const goodJson = enc.encode(JSON.stringify(REQUEST));
  fc.assert(
    fc.property(fc.nat(good.length - 1), fc.uint8Array({ maxLength: 4 }), fc.nat(3), fc.boolean(), (at, ins, del, json) => {
      const src = json ? goodJson : good;
      const p = at % src.length;
      const bytes = new Uint8Array([...src.subarray(0, p), ...ins, ...src.subarray(p + del)]);
      try {
        mapOtlpRecords((json ? parseOtlpJson : parseOtlpProto)(bytes), RECEIVED);
      } catch (e) {
        if (!(e instanceof IngestError)) throw e;
      }
    }),
    { numRuns: 2000 },
  );
});

test('property: random attribute values give the same events in JSON and in protobuf', () => {
  const leaf: fc.Arbitrary<JsonObject> = fc.oneof(
    fc.string({ maxLength: 12 }).map((v) => ({ stringValue: v })),
    fc.boolean().map((v) => ({ boolValue: v })),
    fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }).map((v) => ({ intValue: v.toString() })),
    fc.double().map((v) => ({ doubleValue: Number.isFinite(v) ? v : String(v) })),
    fc.uint8Array({ maxLength: 8 }).map((v) => ({ bytesValue: Buffer.from(v).toString('base64') })),
    fc.constant({}),
  );
  const { value } = fc.letrec<{ value: JsonObject }>((tie) => ({
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.array(tie('value'), { maxLength: 3 }).map((values) => ({ arrayValue: { values } })),
      fc.uniqueArray(fc.tuple(fc.string({ maxLength: 6 }), tie('value')), { selector: (t) => t[0], maxLength: 3 })
        .map((kvs) => ({ kvlistValue: { values: kvs.map(([key, v]) => ({ key, value: v })) } }))),
  }));
  fc.assert(
    fc.property(fc.uniqueArray(fc.tuple(fc.string({ maxLength: 8 }), value), { selector: (t) => t[0], maxLength: 4 }), fc.option(value, { nil: undefined }), (attrs, body) => {
      const req = { resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: '1767261600000000000', attributes: attrs.map(([key, v]) => ({ key, value: v })), ...(body === undefined ? {} : { body }) }] }] }] };
      const a = mapOtlpRecords(parseOtlpJson(enc.encode(JSON.stringify(req))), RECEIVED).results[0]!;
      const b = mapOtlpRecords(parseOtlpProto(protoBytes(req)), RECEIVED).results[0]!;
      if (a.ok && b.ok) assert.equal(new TextDecoder().decode(b.event.canonical), new TextDecoder().decode(a.event.canonical));
      else assert.deepEqual([a.ok, a.ok ? '' : a.error.code], [b.ok, b.ok ? '' : b.error.code]);
    }),
    { numRuns: 300 },
  );
});
