/**
 * @cairn/ingest — the wire formats of the producers an organisation already runs, turned into
 * OCSF events for the log: the Kubernetes audit webhook (`audit.k8s.io/v1` EventList), OTLP logs
 * (ExportLogsServiceRequest in protobuf and JSON), syslog (RFC 5424 with RFC 6587 octet
 * counting, mapped by rules) and plain HTTPS JSON. Pure: strict parsers and mappers over
 * `Uint8Array`, no `node:*`, no I/O; the listener that serves them sits around this package.
 * Every event produced has passed `validateEvent` of @cairn/events; every failure is an
 * {@link IngestError} with a code and a position, never quoting the values received.
 * Design and mapping tables: docs/design/ingest.md.
 *
 * ```ts
 * import { parseAuditEventList, mapAuditBatch, parseSyslog, mapSyslog, DEFAULT_SYSLOG_RULES } from '@cairn/ingest';
 *
 * // POST /k8s/audit from kube-apiserver (IngestError → 400 for the whole batch):
 * for (const { key, event, refused } of mapAuditBatch(parseAuditEventList(body))) {
 *   // event: OCSF API Activity 6003 (or, if `refused`, the record of the refusal);
 *   // key = auditDedupeKey(item), the idempotency key: a resent batch adds nothing.
 *   // … submit event.canonical under `key` …
 * }
 *
 * // One RFC 5424 frame from a syslog connection (OctetCountingDecoder cuts the stream):
 * const r = mapSyslog(parseSyslog(frame), DEFAULT_SYSLOG_RULES, Date.now());
 * if (r.kind === 'event') { … r.event.canonical … } else { … count r.app as unmatched … }
 * ```
 */
export * from './errors.js';
export { OCSF_VERSION } from './ocsf.js';
export { parseRfc3339, type Timestamp } from './timestamp.js';
export * from './k8s-audit.js';
export * from './k8s-audit-map.js';
export * from './https-json.js';
export * from './syslog.js';
export * from './octet-framing.js';
export * from './syslog-rules.js';
export * from './syslog-map.js';
export {
  MAX_ANY_VALUE_DEPTH, MAX_OTLP_BODY, MAX_OTLP_RECORDS,
  type OtlpContext, type OtlpLogRecord, type OtlpRecordResult,
} from './otlp-model.js';
export { parseOtlpJson } from './otlp-json.js';
export { parseOtlpProto, encodeOtlpResponse, formatOtlpJsonResponse } from './otlp-proto.js';
export * from './otlp-map.js';
