/**
 * OTLP/HTTP logs in binary protobuf (`Content-Type: application/x-protobuf`): an
 * `ExportLogsServiceRequest` of opentelemetry-proto `collector/logs/v1`, decoded by protobufjs
 * from the vendored definitions (otlp-schema.ts; proto/README.md says where they come from),
 * and the `ExportLogsServiceResponse` the listener answers with.
 *
 * Before protobufjs sees the body, a small scan of the wire format walks the three outer levels
 * (request → ResourceLogs → ScopeLogs → LogRecord): every tag, wire type and length must be well
 * formed and inside its parent, and the records are counted, so a body of millions of empty
 * records is refused ({@link MAX_OTLP_RECORDS}) before any object is built. protobufjs then
 * decodes (unknown fields skipped, as protobuf requires); its errors (truncated data, a bad wire
 * type, a stack exhausted by nesting) become `malformed`. 64-bit integers are decoded exactly
 * (the `long` package), ids are checked for their 16 / 8 bytes. Values then go through the same
 * model as OTLP/JSON (otlp-model.ts), so both encodings of one request give the same events.
 * (protobufjs does not check that `string` fields are valid UTF-8; it substitutes U+FFFD.)
 */
import protobuf from 'protobufjs';
import Long from 'long';
import { childPath } from '@cairn/events';
import { toHex } from '@cairn/formats';
import { IngestError, atByte } from './errors.js';
import { OTLP_PROTO_FILES } from './otlp-schema.js';
import {
  MAX_OTLP_BODY, MAX_OTLP_RECORDS, keyValuesToJson, anyValueToJson,
  type AnyValueIn, type KeyValueIn, type OtlpContext, type OtlpLogRecord, type OtlpRecordResult,
} from './otlp-model.js';

// Exact 64-bit integers: protobufjs uses Long when it is configured, else lossy numbers.
if (protobuf.util.Long !== Long) {
  protobuf.util.Long = Long;
  protobuf.configure();
}

const root = new protobuf.Root();
for (const [, text] of OTLP_PROTO_FILES) protobuf.parse(text, root, { keepCase: false });
root.resolveAll();
const RequestType = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');
const ResponseType = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse');

/** The decoded shapes this module reads (protobufjs message instances, camelCase fields). */
interface PbKeyValue { key: string; value?: PbAnyValue | null; keyStrindex: number }
interface PbAnyValue {
  value?: string;
  stringValue: string; boolValue: boolean; intValue: Long | number; doubleValue: number;
  arrayValue: { values: PbAnyValue[] }; kvlistValue: { values: PbKeyValue[] }; bytesValue: Uint8Array;
}
interface PbLogRecord {
  timeUnixNano: Long | number; observedTimeUnixNano: Long | number; severityNumber: number; severityText: string;
  body?: PbAnyValue | null; attributes: PbKeyValue[]; droppedAttributesCount: number; flags: number;
  traceId: Uint8Array; spanId: Uint8Array; eventName: string;
}
interface PbRequest {
  resourceLogs: {
    resource?: { attributes: PbKeyValue[]; droppedAttributesCount: number } | null; schemaUrl: string;
    scopeLogs: { scope?: { name: string; version: string; attributes: PbKeyValue[] } | null; schemaUrl: string; logRecords: PbLogRecord[] }[];
  }[];
}

/** Parses an OTLP protobuf logs request. Throws {@link IngestError} for the whole request only. */
export function parseOtlpProto(body: Uint8Array): OtlpRecordResult[] {
  if (body.length > MAX_OTLP_BODY) throw new IngestError('otlp', 'too-large', atByte(0), `body exceeds ${MAX_OTLP_BODY} bytes`);
  scan(body, 0, body.length, 0);
  let req: PbRequest;
  try {
    req = RequestType.decode(body) as unknown as PbRequest;
  } catch (cause) {
    throw new IngestError('otlp', 'malformed', atByte(0), 'not a valid ExportLogsServiceRequest', { cause });
  }
  const out: OtlpRecordResult[] = [];
  req.resourceLogs.forEach((rl, i) => {
    const rlPath = childPath('$.resourceLogs', i);
    rl.scopeLogs.forEach((sl, j) => {
      const slPath = childPath(childPath(rlPath, 'scopeLogs'), j);
      let context: OtlpContext | IngestError;
      try {
        context = {
          resource: { attributes: keyValuesToJson((rl.resource?.attributes ?? []).map(kv), childPath(rlPath, 'resource.attributes')), droppedAttributesCount: rl.resource?.droppedAttributesCount ?? 0, schemaUrl: rl.schemaUrl },
          scope: { name: sl.scope?.name ?? '', version: sl.scope?.version ?? '', attributes: keyValuesToJson((sl.scope?.attributes ?? []).map(kv), childPath(slPath, 'scope.attributes')), schemaUrl: sl.schemaUrl },
        };
      } catch (e) {
        if (!(e instanceof IngestError)) throw e;
        context = e;
      }
      sl.logRecords.forEach((lr, k) => {
        const path = childPath(childPath(slPath, 'logRecords'), k);
        if (context instanceof IngestError) {
          out.push({ ok: false, path, error: context });
          return;
        }
        try {
          out.push({ ok: true, path, context, record: logRecord(lr, path) });
        } catch (e) {
          if (!(e instanceof IngestError)) throw e;
          out.push({ ok: false, path, error: e });
        }
      });
    });
  });
  return out;
}

/** The protobuf `ExportLogsServiceResponse`: empty on full success, else `partialSuccess`. */
export function encodeOtlpResponse(rejectedLogRecords: number, errorMessage: string): Uint8Array {
  const message = rejectedLogRecords === 0 && errorMessage === '' ? {} : { partialSuccess: { rejectedLogRecords: Long.fromNumber(rejectedLogRecords), errorMessage } };
  return ResponseType.encode(ResponseType.fromObject(message)).finish();
}

/** The OTLP/JSON `ExportLogsServiceResponse` (int64 as a decimal string). */
export function formatOtlpJsonResponse(rejectedLogRecords: number, errorMessage: string): string {
  return rejectedLogRecords === 0 && errorMessage === '' ? '{}' : JSON.stringify({ partialSuccess: { rejectedLogRecords: String(rejectedLogRecords), errorMessage } });
}

function logRecord(r: PbLogRecord, path: string): OtlpLogRecord {
  const id = (b: Uint8Array, n: number, key: string): string => {
    if (b.length !== 0 && b.length !== n) throw new IngestError('otlp', 'bad-id', childPath(path, key), `expected ${n} bytes`);
    return toHex(b);
  };
  const body = r.body == null ? undefined : anyValueToJson(anyIn(r.body), childPath(path, 'body'));
  return {
    timeUnixNano: big(r.timeUnixNano),
    observedTimeUnixNano: big(r.observedTimeUnixNano),
    severityNumber: r.severityNumber,
    severityText: r.severityText,
    ...(body === undefined ? {} : { body }),
    attributes: keyValuesToJson(r.attributes.map(kv), childPath(path, 'attributes')),
    droppedAttributesCount: r.droppedAttributesCount,
    flags: r.flags,
    traceId: id(r.traceId, 16, 'traceId'),
    spanId: id(r.spanId, 8, 'spanId'),
    eventName: r.eventName,
  };
}

const big = (v: Long | number): bigint => BigInt(typeof v === 'number' ? v : v.toString());

function kv(p: PbKeyValue): KeyValueIn {
  return { key: p.key, ...(p.keyStrindex !== 0 ? { strindex: true } : {}), ...(p.value == null ? {} : { value: anyIn(p.value) }) };
}

function anyIn(v: PbAnyValue): AnyValueIn {
  switch (v.value) {
    case 'stringValue': return { string: v.stringValue };
    case 'boolValue': return { bool: v.boolValue };
    case 'intValue': return { int: typeof v.intValue === 'number' ? String(v.intValue) : v.intValue.toString() };
    case 'doubleValue': return { double: v.doubleValue };
    case 'bytesValue': return { bytes: new Uint8Array(v.bytesValue) };
    case 'arrayValue': return { array: (v.arrayValue.values ?? []).map(anyIn) };
    case 'kvlistValue': return { kvlist: (v.kvlistValue.values ?? []).map(kv) };
    case 'stringValueStrindex': return { strindex: true };
    default: return {};
  }
}

/**
 * Walks the wire format of the outer levels: level 0 the request (field 1 ResourceLogs), level 1
 * ResourceLogs (field 2 ScopeLogs), level 2 ScopeLogs (field 2 LogRecord, counted). Every field is
 * checked for a valid tag, wire type and in-bounds length; deeper messages are left to protobufjs.
 */
function scan(b: Uint8Array, start: number, end: number, level: number, count = { n: 0 }): number {
  let p = start;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (p >= end) throw new IngestError('otlp', 'malformed', atByte(p), 'truncated varint');
      const x = b[p++]!;
      v += (x & 0x7f) * mul;
      mul *= 128;
      if ((x & 0x80) === 0) return v;
    }
    throw new IngestError('otlp', 'malformed', atByte(p), 'varint longer than 10 bytes');
  };
  while (p < end) {
    const tagAt = p;
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (field === 0) throw new IngestError('otlp', 'malformed', atByte(tagAt), 'field number 0');
    // Every field these three messages define is length-delimited (a message or a string).
    const known = level === 0 ? field === 1 : field >= 1 && field <= 3;
    if (known && wire !== 2) throw new IngestError('otlp', 'malformed', atByte(tagAt), 'a known field with the wrong wire type');
    switch (wire) {
      case 0: varint(); break;
      case 1: p += 8; break;
      case 5: p += 4; break;
      case 2: {
        const len = varint();
        if (len > end - p) throw new IngestError('otlp', 'malformed', atByte(tagAt), 'a length runs past its message');
        const inner = (level === 0 && field === 1) || (level === 1 && field === 2) || (level === 2 && field === 2);
        if (level === 2 && field === 2 && ++count.n > MAX_OTLP_RECORDS) throw new IngestError('otlp', 'too-many-records', atByte(tagAt), `more than ${MAX_OTLP_RECORDS} log records`);
        if (inner && level < 2) scan(b, p, p + len, level + 1, count);
        p += len;
        break;
      }
      default:
        throw new IngestError('otlp', 'malformed', atByte(tagAt), 'unsupported wire type (groups or reserved)');
    }
    if (p > end) throw new IngestError('otlp', 'malformed', atByte(tagAt), 'a field runs past its message');
  }
  return count.n;
}
