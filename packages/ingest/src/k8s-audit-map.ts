/**
 * A Kubernetes audit Event → an OCSF API Activity (6003) event.
 *
 * | audit Event | OCSF |
 * |---|---|
 * | verb `create` / `get` `list` `watch` / `update` `patch` / `delete` `deletecollection` | `activity_id` 1 Create / 2 Read / 3 Update / 4 Delete; any other verb 99 Other |
 * | verb | `api.operation` |
 * | auditID | `api.request.uid`, `metadata.correlation_uid` (all stages of one request) |
 * | auditID + stage | `metadata.uid` (the dedupe key, {@link auditDedupeKey}) |
 * | stageTimestamp / requestReceivedTimestamp | `time` / `start_time` (ms); both with µs in `unmapped.k8s` |
 * | user {username, uid, groups} | `actor.user {name, uid, groups[{name}]}` |
 * | impersonatedUser | `unmapped.k8s.impersonated_user` (same shape); `actor.user` stays the authenticated user, who is accountable |
 * | sourceIPs[0], sourceIPs[1…] | `src_endpoint.ip`, `src_endpoint.intermediate_ips` (the whole chain, in order) |
 * | userAgent, requestURI | `http_request.user_agent`, `http_request.url.url_string` |
 * | objectRef {resource, subresource, name, namespace, uid, apiGroup, apiVersion} | `resources[0] {type: resource[/subresource], name, namespace, uid, group.name, version}` |
 * | responseStatus.code | `status_id` 1 Success (< 400) / 2 Failure (≥ 400), `status_code`, `api.response.code` |
 * | responseStatus.reason / message | `api.response.error` / `api.response.message`, `status_detail` |
 * | stage `Panic` | `status_id` 2 Failure, `severity_id` 4 High (otherwise 1 Informational) |
 * | stage without a response (RequestReceived) | `status_id` 0 Unknown |
 * | requestObject / responseObject | `api.request.data` / `api.response.data` |
 * | level, stage, annotations | `unmapped.k8s {level, stage, annotations}` |
 * | the whole item but the two bodies | `raw_data` (compact JSON) |
 *
 * Too big for one event (64 KiB, 16 Ki characters per string, depth 16): first the two bodies go,
 * then `raw_data`; `metadata.is_truncated` says so and `metadata.untruncated_size` gives the size
 * of the item as received (compact JSON bytes). What is left (who, what, where, when, outcome) is
 * always small.
 */
import type { JsonObject, ValidatedEvent } from '@cairn/events';
import { IngestError } from './errors.js';
import { auditDedupeKey, validAuditId, type AuditEvent, type AuditUser } from './k8s-audit.js';
import { CLASS, finishEvent, OCSF_VERSION, SEVERITY, STATUS } from './ocsf.js';

/** API Activity `activity_id` of each Kubernetes verb the apiserver authorizes. */
export const VERB_ACTIVITY: Readonly<Record<string, number>> = Object.freeze({
  create: 1,
  get: 2,
  list: 2,
  watch: 2,
  update: 3,
  patch: 3,
  delete: 4,
  deletecollection: 4,
});
const OTHER = 99;

const encoder = new TextEncoder();

/** Maps one parsed audit Event to a validated OCSF event. Throws only {@link IngestError}. */
export function mapAuditEvent(e: AuditEvent): ValidatedEvent {
  if (!validAuditId(e.auditID)) throw new IngestError('k8s-audit', 'bad-audit-id', `${e.path}.auditID`, 'expected 1–100 printable ASCII characters');
  const activity = Object.prototype.hasOwnProperty.call(VERB_ACTIVITY, e.verb) ? VERB_ACTIVITY[e.verb]! : OTHER;
  const code = e.responseStatus?.code;
  const status = e.stage === 'Panic' ? STATUS.FAILURE : code === undefined ? STATUS.UNKNOWN : code >= 400 ? STATUS.FAILURE : STATUS.SUCCESS;
  const rest: JsonObject = {};
  for (const k of Object.keys(e.raw)) {
    if (k === 'requestObject' || k === 'responseObject') continue;
    // A `__proto__` member of the received JSON stays an ordinary member (defineProperty).
    if (k === '__proto__') Object.defineProperty(rest, k, { value: e.raw[k]!, enumerable: true, writable: true, configurable: true });
    else rest[k] = e.raw[k]!;
  }
  const rawData = JSON.stringify(rest);
  const ref = e.objectRef;
  // Built by assignment, not spread and compacted: this runs for every audit event.
  const build = (bodies: boolean, raw: boolean): JsonObject => {
    const truncated = (!bodies && (e.requestObject !== undefined || e.responseObject !== undefined)) || !raw;
    const metadata: JsonObject = {
      version: OCSF_VERSION,
      product: { name: 'kube-apiserver', vendor_name: 'Kubernetes' },
      log_name: 'audit.k8s.io/v1',
      uid: auditDedupeKey(e),
      correlation_uid: e.auditID,
    };
    if (truncated) {
      metadata.is_truncated = true;
      metadata.untruncated_size = encoder.encode(JSON.stringify(e.raw)).length;
    }
    const request: JsonObject = { uid: e.auditID };
    if (bodies && e.requestObject !== undefined) request.data = e.requestObject;
    const api: JsonObject = { operation: e.verb, service: { name: 'kube-apiserver' }, request };
    const rs = e.responseStatus;
    if (rs !== undefined || (bodies && e.responseObject !== undefined)) {
      const response: JsonObject = {};
      if (code !== undefined) response.code = code;
      if (rs?.reason !== undefined) response.error = rs.reason;
      if (rs?.message !== undefined) response.message = rs.message;
      if (bodies && e.responseObject !== undefined) response.data = e.responseObject;
      api.response = response;
    }
    const src: JsonObject = {};
    if (e.sourceIPs.length > 0) src.ip = e.sourceIPs[0]!;
    if (e.sourceIPs.length > 1) src.intermediate_ips = e.sourceIPs.slice(1);
    const http: JsonObject = {};
    if (e.userAgent !== undefined) http.user_agent = e.userAgent;
    if (e.requestURI !== '') http.url = { url_string: e.requestURI };
    const k8s: JsonObject = { level: e.level, stage: e.stage, request_received_timestamp_us: e.requestReceivedMicros, stage_timestamp_us: e.stageMicros };
    if (e.impersonatedUser !== undefined) k8s.impersonated_user = user(e.impersonatedUser);
    if (e.annotations !== undefined) k8s.annotations = e.annotations;
    const ev: JsonObject = {
      class_uid: CLASS.API_ACTIVITY,
      category_uid: Math.floor(CLASS.API_ACTIVITY / 1000),
      activity_id: activity,
      type_uid: CLASS.API_ACTIVITY * 100 + activity,
      severity_id: e.stage === 'Panic' ? SEVERITY.HIGH : SEVERITY.INFORMATIONAL,
      status_id: status,
      time: Math.floor(e.stageMicros / 1000),
      start_time: Math.floor(e.requestReceivedMicros / 1000),
      metadata,
      actor: { user: user(e.user) },
      api,
      src_endpoint: src,
      http_request: http,
      unmapped: { k8s },
    };
    if (code !== undefined) ev.status_code = String(code);
    if (rs?.message !== undefined) ev.status_detail = rs.message;
    if (ref !== undefined) {
      const res: JsonObject = {};
      if (ref.resource !== undefined) res.type = ref.subresource ? `${ref.resource}/${ref.subresource}` : ref.resource;
      if (ref.name !== undefined) res.name = ref.name;
      if (ref.namespace !== undefined) res.namespace = ref.namespace;
      if (ref.uid !== undefined) res.uid = ref.uid;
      if (ref.apiGroup) res.group = { name: ref.apiGroup };
      if (ref.apiVersion !== undefined) res.version = ref.apiVersion;
      ev.resources = [res];
    }
    if (raw) ev.raw_data = rawData;
    return ev;
  };
  return finishEvent('k8s-audit', e.path, build(true, true), () => build(false, true), () => build(false, false));
}

function user(u: AuditUser): JsonObject {
  const out: JsonObject = {};
  if (u.username !== undefined) out.name = u.username;
  if (u.uid !== undefined) out.uid = u.uid;
  if (u.groups !== undefined && u.groups.length > 0) out.groups = u.groups.map((name) => ({ name }));
  return out;
}


/** One item of a batch, mapped: its event (or the record of its refusal) and its dedupe key. */
export interface MappedAuditItem {
  readonly key: string;
  readonly event: ValidatedEvent;
  /** Set when the item could not be mapped: `event` is then the refusal record. */
  readonly refused?: IngestError;
}

/**
 * Maps a parsed batch item by item. The apiserver has no partial success: refusing a batch for one
 * item it cannot fix would make it drop all 400 after its retries. So an item that parses but does
 * not map (an event too large even without bodies and raw data, a value the events layer refuses)
 * is replaced by a record of its refusal, under the same dedupe key: an Event Log Activity (1008),
 * activity 99 Other, status 2 Failure, time = the item's stage time, with the auditID, stage and
 * the error's code and path (never its values) in `unmapped.k8s`. The batch is acknowledged and
 * the loss is on record, in the log itself.
 */
export function mapAuditBatch(events: readonly AuditEvent[]): MappedAuditItem[] {
  return events.map((e) => {
    const key = auditDedupeKey(e);
    try {
      return { key, event: mapAuditEvent(e) };
    } catch (err) {
      if (!(err instanceof IngestError)) throw err;
      const record: JsonObject = {
        class_uid: CLASS.EVENT_LOG_ACTIVITY,
        category_uid: Math.floor(CLASS.EVENT_LOG_ACTIVITY / 1000),
        activity_id: OTHER,
        type_uid: CLASS.EVENT_LOG_ACTIVITY * 100 + OTHER,
        severity_id: SEVERITY.MEDIUM,
        status_id: STATUS.FAILURE,
        status_code: err.code,
        status_detail: 'a Kubernetes audit event was received but could not be mapped to OCSF',
        time: Math.floor(e.stageMicros / 1000),
        metadata: { version: OCSF_VERSION, product: { name: 'kube-apiserver', vendor_name: 'Kubernetes' }, log_name: 'audit.k8s.io/v1' },
        unmapped: { k8s: { stage: e.stage, verb: e.verb, error: { code: err.code, at: err.at } } },
      };
      // A malformed auditID (the client's Audit-ID header) is left out of the record.
      if (validAuditId(e.auditID)) {
        Object.assign(record.metadata as JsonObject, { uid: key, correlation_uid: e.auditID });
        Object.assign((record.unmapped as { k8s: JsonObject }).k8s, { audit_id: e.auditID });
      }
      return { key, event: finishEvent('k8s-audit', e.path, record), refused: err };
    }
  });
}
