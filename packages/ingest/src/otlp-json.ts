/**
 * OTLP/HTTP logs in JSON (`Content-Type: application/json`): the protobuf JSON mapping of
 * `ExportLogsServiceRequest`, with OTLP's own rules on top (opentelemetry.io/docs/specs/otlp,
 * "JSON Protobuf Encoding"):
 *
 * ```
 * {"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"shop"}}]},
 *   "scopeLogs":[{"scope":{"name":"shop.audit"},"logRecords":[{"timeUnixNano":"1767258000000000000",
 *   "severityNumber":9,"severityText":"INFO","body":{"stringValue":"order 42 refunded"},
 *   "attributes":[{"key":"enduser.id","value":{"stringValue":"alice"}}],
 *   "traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174"}]}]}]}
 * ```
 * - keys are lowerCamelCase; unknown keys are ignored, as OTLP requires of receivers;
 * - 64-bit integers are decimal strings (a JSON number is accepted when it is a safe integer);
 *   32-bit ones numbers (or decimal strings, as the protobuf mapping allows);
 * - `traceId` / `spanId` are hex (not base64 as in plain protobuf JSON): 32 / 16 hex digits, either
 *   case, or empty; other `bytes` (`bytesValue`) are padded standard base64;
 * - enums (`severityNumber`) are integers only;
 * - `doubleValue` is a number or `"NaN"`, `"Infinity"`, `"-Infinity"`; an AnyValue holds at
 *   most one of its members.
 * The JSON itself is parsed by the events layer's strict parser (no duplicate keys, valid UTF-8,
 * numbers as ECMAScript writes them) within {@link MAX_OTLP_BODY}; a structural error refuses
 * the request, a record's bad content only that record (otlp-model.ts).
 */
import { decodeBase64Strict } from '@cairn/formats';
import { EventError, childPath, parseJsonStrict, type JsonObject, type JsonValue } from '@cairn/events';
import { IngestError } from './errors.js';
import { isObject, jsonType } from './fields.js';
import {
  MAX_OTLP_BODY, MAX_OTLP_RECORDS, keyValuesToJson, anyValueToJson,
  type AnyValueIn, type KeyValueIn, type OtlpContext, type OtlpLogRecord, type OtlpRecordResult,
} from './otlp-model.js';

const fail = (code: string, at: string, message: string): never => {
  throw new IngestError('otlp', code, at, message);
};
const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
const UINT64_MAX = (1n << 64n) - 1n;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** Parses an OTLP/JSON logs request. Throws {@link IngestError} for the whole request only. */
export function parseOtlpJson(body: Uint8Array): OtlpRecordResult[] {
  let doc: JsonValue;
  try {
    doc = parseJsonStrict(body, { maxBytes: MAX_OTLP_BODY, maxDepth: 64, maxStringLength: 1024 * 1024, maxKeyLength: 1024, maxArrayLength: 100_000, maxKeys: 10_000 });
  } catch (e) {
    if (e instanceof EventError) throw new IngestError('otlp', e.code === 'too-large' ? 'too-large' : 'bad-json', e.path, e.code === 'too-large' ? `body exceeds ${MAX_OTLP_BODY} bytes` : `not strict JSON (${e.code})`, { cause: e });
    throw e;
  }
  const top = obj(doc, '$');
  const out: OtlpRecordResult[] = [];
  list(top, 'resourceLogs', '$').forEach((rl, i) => {
    const rlPath = childPath('$.resourceLogs', i);
    const rlo = obj(rl, rlPath);
    const res = optObj(rlo, 'resource', rlPath);
    const resPath = childPath(rlPath, 'resource');
    list(rlo, 'scopeLogs', rlPath).forEach((sl, j) => {
      const slPath = childPath(childPath(rlPath, 'scopeLogs'), j);
      const slo = obj(sl, slPath);
      const scope = optObj(slo, 'scope', slPath);
      const scopePath = childPath(slPath, 'scope');
      let context: OtlpContext | IngestError;
      try {
        context = {
          resource: { attributes: keyValuesToJson(keyValues(res, resPath), childPath(resPath, 'attributes')), droppedAttributesCount: uint32(res, 'droppedAttributesCount', resPath), schemaUrl: str(rlo, 'schemaUrl', rlPath) },
          scope: { name: str(scope, 'name', scopePath), version: str(scope, 'version', scopePath), attributes: keyValuesToJson(keyValues(scope, scopePath), childPath(scopePath, 'attributes')), schemaUrl: str(slo, 'schemaUrl', slPath) },
        };
      } catch (e) {
        if (!(e instanceof IngestError)) throw e;
        context = e;
      }
      list(slo, 'logRecords', slPath).forEach((lr, k) => {
        const path = childPath(childPath(slPath, 'logRecords'), k);
        if (out.length === MAX_OTLP_RECORDS) fail('too-many-records', path, `more than ${MAX_OTLP_RECORDS} log records`);
        if (context instanceof IngestError) {
          out.push({ ok: false, path, error: context });
          return;
        }
        try {
          out.push({ ok: true, path, context, record: logRecord(obj(lr, path), path) });
        } catch (e) {
          if (!(e instanceof IngestError)) throw e;
          out.push({ ok: false, path, error: e });
        }
      });
    });
  });
  return out;
}

function logRecord(o: JsonObject, path: string): OtlpLogRecord {
  const body = o.body === undefined || o.body === null ? undefined : anyValueToJson(anyValue(o.body, childPath(path, 'body')), childPath(path, 'body'));
  return {
    timeUnixNano: uint64(o, 'timeUnixNano', path),
    observedTimeUnixNano: uint64(o, 'observedTimeUnixNano', path),
    severityNumber: enumInt(o, 'severityNumber', path),
    severityText: str(o, 'severityText', path),
    ...(body === undefined ? {} : { body }),
    attributes: keyValuesToJson(keyValues(o, path), childPath(path, 'attributes')),
    droppedAttributesCount: uint32(o, 'droppedAttributesCount', path),
    flags: uint32(o, 'flags', path),
    traceId: hexId(o, 'traceId', path, 16),
    spanId: hexId(o, 'spanId', path, 8),
    eventName: str(o, 'eventName', path),
  };
}

function obj(v: JsonValue | undefined, at: string): JsonObject {
  if (!isObject(v)) fail('wrong-type', at, `expected an object, found ${jsonType(v)}`);
  return v as JsonObject;
}
function optObj(o: JsonObject, key: string, path: string): JsonObject {
  const v = has(o, key) ? o[key] : undefined;
  return v === undefined || v === null ? {} : obj(v, childPath(path, key));
}
function list(o: JsonObject, key: string, path: string): JsonValue[] {
  const v = has(o, key) ? o[key] : undefined;
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail('wrong-type', childPath(path, key), `expected an array, found ${jsonType(v)}`);
  return v as JsonValue[];
}
function str(o: JsonObject, key: string, path: string): string {
  const v = has(o, key) ? o[key] : undefined;
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') fail('wrong-type', childPath(path, key), `expected a string, found ${jsonType(v)}`);
  return v as string;
}
function integerText(o: JsonObject, key: string, path: string, signed: boolean): bigint | undefined {
  const v = has(o, key) ? o[key] : undefined;
  if (v === undefined || v === null) return undefined;
  const at = childPath(path, key);
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) fail('wrong-type', at, 'expected an integer (64-bit values as decimal strings)');
    return BigInt(v);
  }
  if (typeof v !== 'string' || !(signed ? /^-?(0|[1-9][0-9]*)$/ : /^(0|[1-9][0-9]*)$/).test(v) || v === '-0' || v.length > 20) fail('wrong-type', at, 'expected a canonical decimal integer');
  return BigInt(v as string);
}
function uint64(o: JsonObject, key: string, path: string): bigint {
  const n = integerText(o, key, path, false) ?? 0n;
  if (n > UINT64_MAX) fail('out-of-range', childPath(path, key), 'beyond 2^64−1');
  return n;
}
function uint32(o: JsonObject, key: string, path: string): number {
  const n = integerText(o, key, path, false) ?? 0n;
  if (n > 0xffffffffn) fail('out-of-range', childPath(path, key), 'beyond 2^32−1');
  return Number(n);
}
function enumInt(o: JsonObject, key: string, path: string): number {
  const v = has(o, key) ? o[key] : undefined;
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail('wrong-type', childPath(path, key), 'expected an integer (OTLP/JSON writes enums as integers)');
  return v as number;
}
function hexId(o: JsonObject, key: string, path: string, bytes: number): string {
  const s = str(o, key, path);
  if (s === '') return '';
  if (s.length !== bytes * 2 || !/^[0-9a-fA-F]+$/.test(s)) fail('bad-id', childPath(path, key), `expected ${bytes * 2} hex digits`);
  return s.toLowerCase();
}
function keyValues(o: JsonObject, path: string): KeyValueIn[] {
  return list(o, 'attributes', path).map((kv, i) => keyValue(kv, childPath(childPath(path, 'attributes'), i)));
}
function keyValue(v: JsonValue, at: string): KeyValueIn {
  const o = obj(v, at);
  const strindex = has(o, 'keyStrindex') && o.keyStrindex !== 0 && o.keyStrindex !== null;
  return { key: str(o, 'key', at), ...(strindex ? { strindex } : {}), ...(o.value === undefined || o.value === null ? {} : { value: anyValue(o.value, childPath(at, 'value')) }) };
}

const ANY_MEMBERS = ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] as const;

function anyValue(v: JsonValue, at: string, depth = 1): AnyValueIn {
  // Bound the recursion here too: anyValueToJson checks the depth only after this walk.
  if (depth > 64) fail('too-deep', at, 'values nested too deep');
  const o = obj(v, at);
  const present = ANY_MEMBERS.filter((k) => has(o, k) && o[k] !== null);
  if (present.length > 1) fail('oneof', at, 'an AnyValue holds more than one value');
  const k = present[0];
  if (k === undefined) return has(o, 'stringValueStrindex') ? { strindex: true } : {};
  const x = o[k]!;
  const kat = childPath(at, k);
  switch (k) {
    case 'stringValue':
      if (typeof x !== 'string') fail('wrong-type', kat, 'expected a string');
      return { string: x as string };
    case 'boolValue':
      if (typeof x !== 'boolean') fail('wrong-type', kat, 'expected a boolean');
      return { bool: x as boolean };
    case 'intValue': {
      const n = integerText(o, k, at, true)!;
      if (n < INT64_MIN || n > INT64_MAX) fail('out-of-range', kat, 'beyond int64');
      return { int: n.toString() };
    }
    case 'doubleValue':
      if (typeof x === 'number') return { double: x };
      if (x === 'NaN' || x === 'Infinity' || x === '-Infinity') return { double: Number(x) };
      return fail('wrong-type', kat, 'expected a number');
    case 'bytesValue':
      if (typeof x !== 'string') fail('wrong-type', kat, 'expected base64');
      try {
        return { bytes: decodeBase64Strict(x as string) };
      } catch {
        return fail('bad-base64', kat, 'expected padded standard base64');
      }
    case 'arrayValue':
      return { array: list(obj(x, kat), 'values', kat).map((e, i) => anyValue(e, childPath(childPath(kat, 'values'), i), depth + 1)) };
    case 'kvlistValue':
      return { kvlist: list(obj(x, kat), 'values', kat).map((e, i) => {
        const eat = childPath(childPath(kat, 'values'), i);
        const eo = obj(e, eat);
        return { key: str(eo, 'key', eat), ...(eo.value === undefined || eo.value === null ? {} : { value: anyValue(eo.value, childPath(eat, 'value'), depth + 1) }) };
      }) };
  }
}
