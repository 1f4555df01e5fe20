/**
 * A small, independent protobuf writer for OTLP ExportLogsServiceRequest bodies, as the
 * Collector's otlphttp exporter sends them (`application/x-protobuf`): written by hand from the
 * opentelemetry-proto field numbers, so the listener's tests do not build their bodies with the
 * same library the listener parses them with.
 *
 * Field numbers (opentelemetry-proto v1): ExportLogsServiceRequest.resource_logs = 1;
 * ResourceLogs.resource = 1, .scope_logs = 2; Resource.attributes = 1; ScopeLogs.scope = 1,
 * .log_records = 2; InstrumentationScope.name = 1, .version = 2; LogRecord.time_unix_nano = 1
 * (fixed64), .severity_number = 2, .severity_text = 3, .body = 5, .attributes = 6,
 * .observed_time_unix_nano = 11 (fixed64); KeyValue.key = 1, .value = 2; AnyValue.string_value = 1,
 * .int_value = 3.
 */
const te = new TextEncoder();

function varint(n: bigint): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}
const tag = (field: number, wire: number): number[] => varint(BigInt((field << 3) | wire));
const bytesField = (field: number, b: Uint8Array | number[]): number[] => [...tag(field, 2), ...varint(BigInt(b.length)), ...b];
const strField = (field: number, s: string): number[] => bytesField(field, te.encode(s));
function fixed64(field: number, n: bigint): number[] {
  const out = tag(field, 1);
  for (let i = 0; i < 8; i++) out.push(Number((n >> BigInt(8 * i)) & 0xffn));
  return out;
}

/** One attribute: a string or an integer value. */
const keyValue = (key: string, value: string | bigint): number[] =>
  [...strField(1, key), ...bytesField(2, typeof value === 'string' ? strField(1, value) : [...tag(3, 0), ...varint(BigInt.asUintN(64, value))])];

/** A log record of the tests. */
export interface WireRecord {
  timeUnixNano: bigint;
  severityNumber: number;
  severityText?: string;
  body: string;
  attributes?: Record<string, string | bigint>;
}

/** An ExportLogsServiceRequest with one resource and one scope. */
export function otlpRequest(resource: Record<string, string>, records: readonly WireRecord[]): Uint8Array {
  const res = Object.entries(resource).flatMap(([k, v]) => bytesField(1, keyValue(k, v)));
  const recs = records.flatMap((r) => bytesField(2, [
    ...fixed64(1, r.timeUnixNano),
    ...tag(2, 0), ...varint(BigInt(r.severityNumber)),
    ...(r.severityText === undefined ? [] : strField(3, r.severityText)),
    ...bytesField(5, strField(1, r.body)),
    ...Object.entries(r.attributes ?? {}).flatMap(([k, v]) => bytesField(6, keyValue(k, v))),
    ...fixed64(11, r.timeUnixNano + 1_000_000n),
  ]));
  const scope = bytesField(1, [...strField(1, 'cairn.test'), ...strField(2, '1.0.0')]);
  const scopeLogs = bytesField(2, [...scope, ...recs]);
  return Uint8Array.from(bytesField(1, [...bytesField(1, res), ...scopeLogs]));
}

/** The same request in OTLP/JSON. */
export function otlpJsonRequest(resource: Record<string, string>, records: readonly WireRecord[]): string {
  const kv = (k: string, v: string | bigint) => ({ key: k, value: typeof v === 'string' ? { stringValue: v } : { intValue: v.toString() } });
  return JSON.stringify({
    resourceLogs: [{
      resource: { attributes: Object.entries(resource).map(([k, v]) => kv(k, v)) },
      scopeLogs: [{
        scope: { name: 'cairn.test', version: '1.0.0' },
        logRecords: records.map((r) => ({
          timeUnixNano: r.timeUnixNano.toString(),
          observedTimeUnixNano: (r.timeUnixNano + 1_000_000n).toString(),
          severityNumber: r.severityNumber,
          ...(r.severityText === undefined ? {} : { severityText: r.severityText }),
          body: { stringValue: r.body },
          attributes: Object.entries(r.attributes ?? {}).map(([k, v]) => kv(k, v)),
        })),
      }],
    }],
  });
}

/** Reads `ExportLogsServiceResponse.partial_success.rejected_log_records` (0 when absent). */
export function rejectedOf(response: Uint8Array): bigint {
  // partial_success = 1 { rejected_log_records = 1 (int64), error_message = 2 }
  if (response.length === 0) return 0n;
  let i = 0;
  const readVarint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = response[i++]!;
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v;
      shift += 7n;
    }
  };
  if (response[i++] !== 0x0a) throw new Error('expected partial_success');
  const end = Number(readVarint()) + i;
  while (i < end) {
    const t = Number(readVarint());
    if (t === 0x08) return readVarint();
    if ((t & 7) === 2) i += Number(readVarint());
    else readVarint();
  }
  return 0n;
}
