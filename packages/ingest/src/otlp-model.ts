/**
 * One model of an OTLP `ExportLogsServiceRequest` for both encodings (otlp-json.ts, otlp-proto.ts),
 * so that the same request gives the same events whichever way it travelled.
 *
 * Attribute values (`AnyValue`) become JSON here, once, by one rule: string, bool as themselves;
 * `intValue` a number when it is a safe integer, else its decimal string; `doubleValue` a number,
 * or `"NaN"`, `"Infinity"`, `"-Infinity"`; `bytesValue` padded standard base64; `arrayValue` an
 * array; `kvlistValue` an object. Key/value lists become objects, so a repeated key (which OTLP
 * forbids) refuses the record it is in (`duplicate-key`). Nesting is bounded
 * ({@link MAX_ANY_VALUE_DEPTH}). The dictionary references of the profiles signal
 * (`string_value_strindex`, `key_strindex`) have no dictionary in a logs request and refuse
 * their record (`strindex`).
 *
 * A request is refused whole only when its structure is wrong (a non-list where a list is due);
 * a record whose content is wrong is refused alone, so that the listener can answer
 * `partialSuccess` with the others stored.
 */
import { encodeBase64 } from '@cairn/formats';
import { childPath, type JsonObject, type JsonValue } from '@cairn/events';
import { IngestError } from './errors.js';

/** Deepest AnyValue nesting accepted (a kvlist in an array in a kvlist … counts each level). */
export const MAX_ANY_VALUE_DEPTH = 8;
/** Largest request body, bytes (either encoding). */
export const MAX_OTLP_BODY = 8 * 1024 * 1024;
/** Most log records in one request (the Collector's batches are 8,192 by default). */
export const MAX_OTLP_RECORDS = 10_000;

/** A LogRecord, in the shared model. Absent proto3 fields have their zero values. */
export interface OtlpLogRecord {
  readonly timeUnixNano: bigint;
  readonly observedTimeUnixNano: bigint;
  readonly severityNumber: number;
  readonly severityText: string;
  /** The body as JSON (see the module comment), or undefined when unset. */
  readonly body?: JsonValue;
  readonly attributes: JsonObject;
  readonly droppedAttributesCount: number;
  readonly flags: number;
  /** Lower-case hex, '' when unset. */
  readonly traceId: string;
  readonly spanId: string;
  readonly eventName: string;
}

/** Resource and scope of a record. */
export interface OtlpContext {
  readonly resource: { readonly attributes: JsonObject; readonly droppedAttributesCount: number; readonly schemaUrl: string };
  readonly scope: { readonly name: string; readonly version: string; readonly attributes: JsonObject; readonly schemaUrl: string };
}

/** One record of a request, in order: parsed, or refused with its error. */
export type OtlpRecordResult =
  | { readonly ok: true; readonly path: string; readonly context: OtlpContext; readonly record: OtlpLogRecord }
  | { readonly ok: false; readonly path: string; readonly error: IngestError };

/** An AnyValue as each decoder sees it: exactly one of these members (or none: empty). */
export interface AnyValueIn {
  string?: string;
  bool?: boolean;
  /** Decimal text of an int64. */
  int?: string;
  double?: number;
  array?: readonly AnyValueIn[];
  kvlist?: readonly KeyValueIn[];
  bytes?: Uint8Array;
  strindex?: boolean;
}
/** A KeyValue as each decoder sees it. */
export interface KeyValueIn {
  key: string;
  value?: AnyValueIn;
  strindex?: boolean;
}

/** An AnyValue → JSON (null for an empty AnyValue). Throws {@link IngestError} at `path`. */
export function anyValueToJson(v: AnyValueIn, path: string, depth = 1): JsonValue {
  if (depth > MAX_ANY_VALUE_DEPTH) throw new IngestError('otlp', 'too-deep', path, `values nested deeper than ${MAX_ANY_VALUE_DEPTH}`);
  if (v.strindex) throw new IngestError('otlp', 'strindex', path, 'a string table reference has no dictionary in a logs request');
  if (v.string !== undefined) return v.string;
  if (v.bool !== undefined) return v.bool;
  if (v.int !== undefined) {
    const n = Number(v.int);
    return Number.isSafeInteger(n) ? n : v.int;
  }
  if (v.double !== undefined) return Number.isFinite(v.double) ? (Object.is(v.double, -0) ? 0 : v.double) : String(v.double);
  if (v.bytes !== undefined) return encodeBase64(v.bytes);
  if (v.array !== undefined) return v.array.map((x, i) => anyValueToJson(x, childPath(path, i), depth + 1));
  if (v.kvlist !== undefined) return keyValuesToJson(v.kvlist, path, depth + 1);
  return null;
}

/** A KeyValue list → a JSON object. Throws {@link IngestError} (`duplicate-key`) at `path`. */
export function keyValuesToJson(list: readonly KeyValueIn[], path: string, depth = 1): JsonObject {
  const out: JsonObject = {};
  list.forEach((kv, i) => {
    const at = childPath(path, i);
    if (kv.strindex) throw new IngestError('otlp', 'strindex', at, 'a string table reference has no dictionary in a logs request');
    if (Object.prototype.hasOwnProperty.call(out, kv.key)) throw new IngestError('otlp', 'duplicate-key', at, 'an attribute key appears twice');
    Object.defineProperty(out, kv.key, { value: kv.value === undefined ? null : anyValueToJson(kv.value, childPath(at, 'value'), depth), enumerable: true, writable: true, configurable: true });
  });
  return out;
}
