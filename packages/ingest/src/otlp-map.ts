/**
 * OTLP log records → OCSF events, and the per-record outcome the listener turns into
 * `partialSuccess`.
 *
 * Which class:
 * 1. **The body is an OCSF event.** A body that is a key/value list with an integer `class_uid`
 *    is the producer's own OCSF event (an application that logs audit events through the
 *    OpenTelemetry SDK): it is taken as it is, with `unmapped.otel` added (the resource, scope and
 *    record context below), and validated like any event (`unmapped.otel` already present is a
 *    conflict and refuses the record).
 * 2. **Anything else** is an Event Log Activity (1008), activity 99 Other, status 0 Unknown:
 *
 * | OTLP | OCSF |
 * |---|---|
 * | timeUnixNano (0: observedTimeUnixNano; both 0: the time received) | `time` (ms) |
 * | severityNumber 0 / 1–12 TRACE…INFO / 13–16 WARN / 17–20 ERROR / 21–24 FATAL | `severity_id` 0 Unknown / 1 Informational / 3 Medium / 4 High / 6 Fatal |
 * | body (a string) | `message` |
 * | resource `service.name`, `service.version` | `metadata.product.name` (default `opentelemetry`), `.version` |
 * | resource `host.name` | `device.hostname` (`type_id` 0) |
 * | traceId | `metadata.correlation_uid` |
 * | the record and its resource and scope | `unmapped.otel` {resource, scope, attributes, body (when not a string), severity_number, severity_text, event_name, trace_id, span_id, flags, time_unix_nano, observed_time_unix_nano, dropped_attributes_count} |
 *
 * Nothing is dropped silently: a record that does not map or validate (a severity number above
 * 24, an event beyond the events layer's 64 KiB, a repeated attribute key) is refused with its
 * path, counted in `rejected`, and named in `errorMessage` (codes and paths only).
 */
import type { JsonObject, JsonValue, ValidatedEvent } from '@cairn/events';
import { IngestError } from './errors.js';
import { baseAttributes, CLASS, finishEvent, OCSF_VERSION, SEVERITY, STATUS } from './ocsf.js';
import type { OtlpContext, OtlpLogRecord, OtlpRecordResult } from './otlp-model.js';

/** The outcome of one request: per record, in order, and the partial-success summary. */
export interface OtlpMapping {
  readonly results: readonly ({ readonly ok: true; readonly path: string; readonly event: ValidatedEvent } | { readonly ok: false; readonly path: string; readonly error: IngestError })[];
  /** Records refused (`partialSuccess.rejectedLogRecords`). */
  readonly rejected: number;
  /** `partialSuccess.errorMessage`: '' when none was refused; else the first few codes and paths. */
  readonly errorMessage: string;
}

/** Most refusals named in `errorMessage`. */
const MAX_NAMED = 5;

/** OTLP SeverityNumber → OCSF `severity_id`, or undefined when out of range. */
export function otlpSeverity(n: number): number | undefined {
  if (!Number.isInteger(n) || n < 0 || n > 24) return undefined;
  if (n === 0) return SEVERITY.UNKNOWN;
  if (n <= 12) return SEVERITY.INFORMATIONAL;
  if (n <= 16) return SEVERITY.MEDIUM;
  if (n <= 20) return SEVERITY.HIGH;
  return SEVERITY.FATAL;
}

/** Maps the records of a parsed request. `receivedAt` (ms) is used for records without a time. */
export function mapOtlpRecords(records: readonly OtlpRecordResult[], receivedAt: number): OtlpMapping {
  const results: OtlpMapping['results'][number][] = [];
  const named: string[] = [];
  let rejected = 0;
  for (const r of records) {
    let res: OtlpMapping['results'][number];
    if (!r.ok) res = r;
    else {
      try {
        res = { ok: true, path: r.path, event: mapRecord(r.record, r.context, r.path, receivedAt) };
      } catch (e) {
        if (!(e instanceof IngestError)) throw e;
        res = { ok: false, path: r.path, error: e };
      }
    }
    if (!res.ok) {
      rejected++;
      if (named.length < MAX_NAMED) named.push(`${res.error.code} at ${res.error.at}`);
    }
    results.push(res);
  }
  const errorMessage = rejected === 0 ? '' : `${rejected} log record(s) refused: ${named.join('; ')}${rejected > named.length ? '; …' : ''}`;
  return { results, rejected, errorMessage };
}

function mapRecord(r: OtlpLogRecord, ctx: OtlpContext, path: string, receivedAt: number): ValidatedEvent {
  const severity = otlpSeverity(r.severityNumber);
  if (severity === undefined) throw new IngestError('otlp', 'bad-severity', `${path}.severityNumber`, 'expected 0–24');
  const ns = r.timeUnixNano !== 0n ? r.timeUnixNano : r.observedTimeUnixNano;
  const time = ns === 0n ? receivedAt : Number(ns / 1_000_000n);
  const body = r.body;
  const otel: JsonObject = {
    resource: ctx.resource.attributes,
    scope: compactObj({ name: ctx.scope.name || undefined, version: ctx.scope.version || undefined, attributes: Object.keys(ctx.scope.attributes).length === 0 ? undefined : ctx.scope.attributes }),
    attributes: r.attributes,
    ...(body !== undefined && typeof body !== 'string' && !isOcsf(body) ? { body } : {}),
    severity_number: r.severityNumber,
    ...(r.severityText === '' ? {} : { severity_text: r.severityText }),
    ...(r.eventName === '' ? {} : { event_name: r.eventName }),
    ...(r.traceId === '' ? {} : { trace_id: r.traceId }),
    ...(r.spanId === '' ? {} : { span_id: r.spanId }),
    ...(r.flags === 0 ? {} : { flags: r.flags }),
    time_unix_nano: r.timeUnixNano.toString(),
    observed_time_unix_nano: r.observedTimeUnixNano.toString(),
    ...(r.droppedAttributesCount === 0 ? {} : { dropped_attributes_count: r.droppedAttributesCount }),
  };
  if (isOcsf(body)) {
    const unmapped = body.unmapped;
    if (unmapped !== undefined && (typeof unmapped !== 'object' || unmapped === null || Array.isArray(unmapped) || Object.prototype.hasOwnProperty.call(unmapped, 'otel'))) {
      throw new IngestError('otlp', 'unmapped-conflict', `${path}.body`, 'the OCSF body already has unmapped.otel (or a non-object unmapped)');
    }
    return finishEvent('otlp', path, { ...body, unmapped: { ...(unmapped as JsonObject | undefined), otel } });
  }
  const service = ctx.resource.attributes['service.name'];
  const version = ctx.resource.attributes['service.version'];
  const host = ctx.resource.attributes['host.name'];
  return finishEvent('otlp', path, {
    ...baseAttributes(CLASS.EVENT_LOG_ACTIVITY, 99),
    severity_id: severity,
    status_id: STATUS.UNKNOWN,
    time,
    metadata: compactObj({
      version: OCSF_VERSION,
      product: compactObj({ name: typeof service === 'string' && service !== '' ? service : 'opentelemetry', version: typeof version === 'string' ? version : undefined }),
      log_name: 'otlp',
      correlation_uid: r.traceId === '' ? undefined : r.traceId,
    }),
    ...(typeof host === 'string' && host !== '' ? { device: { hostname: host, type_id: 0 } } : {}),
    ...(typeof body === 'string' ? { message: body } : {}),
    unmapped: { otel },
  });
}

function isOcsf(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof v.class_uid === 'number';
}

function compactObj(o: Record<string, JsonValue | undefined>): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}
