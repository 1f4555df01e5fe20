/**
 * The Kubernetes audit webhook's wire format: an `audit.k8s.io/v1` `EventList`, as kube-apiserver
 * POSTs it (`Content-Type: application/json`) to the server of its `--audit-webhook-config-file`.
 *
 * ```
 * {"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[
 *  {"level":"Metadata","auditID":"0f5d1b7c-3c3e-4a1d-9c53-1f1e1c7e2a10","stage":"ResponseComplete",
 *   "requestURI":"/api/v1/namespaces/default/pods?limit=500","verb":"list",
 *   "user":{"username":"alice","groups":["dev","system:authenticated"]},
 *   "sourceIPs":["192.0.2.7"],"userAgent":"kubectl/v1.31.0 (linux/amd64) kubernetes/abc1234",
 *   "objectRef":{"resource":"pods","namespace":"default","apiVersion":"v1"},
 *   "responseStatus":{"metadata":{},"code":200},
 *   "requestReceivedTimestamp":"2026-01-01T09:00:00.123456Z","stageTimestamp":"2026-01-01T09:00:00.130001Z",
 *   "annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""}}]}
 * ```
 *
 * Batches: in the default `batch` mode the apiserver buffers 10,000 events and sends at most
 * `--audit-webhook-batch-max-size` = 400 per request (at most every 30 s, 10 batches/s, burst
 * 15). Truncation is off by default; with `--audit-webhook-truncate-enabled` a batch is split
 * above 10,485,760 bytes and an event above 102,400 bytes loses its request and response bodies
 * (or is dropped). So a batch is bounded by count, not by size, unless truncation is on:
 * {@link DEFAULT_AUDIT_LIMITS} accepts 400 items and 32 MiB, and both are options.
 *
 * Strict where the format is fixed: `kind` and `apiVersion` exactly, no unknown envelope member,
 * every known `Event` member with its type, `level` and `stage` from their closed lists, both
 * timestamps as metav1.MicroTime writes them (RFC 3339, six fraction digits), `auditID` present.
 * An unknown member of an `Event` is kept, not refused: a newer apiserver may add one, and a
 * receiver that refused it would make the apiserver drop every batch after its retries. The
 * whole item stays available to the mapper (`raw`). The JSON itself goes through the events
 * layer's strict parser (no duplicate keys, valid UTF-8, canonical numbers — Go's encoder writes
 * numbers the way ECMAScript does) with the limits below.
 *
 * One batch is all or nothing: the first bad item fails the batch with its path
 * (`$.items[3].stage`), so nothing is acknowledged that was not understood. The one exception is
 * `auditID`, which a client of the apiserver chooses (its `Audit-ID` header): any string parses,
 * and the mapper refuses an item whose auditID is malformed on its own.
 */
import { EventError, parseJsonStrict, childPath, type JsonLimits, type JsonObject, type JsonValue } from '@cairn/events';
import { IngestError } from './errors.js';
import { Fields, opt } from './fields.js';
import { parseRfc3339 } from './timestamp.js';

/** Bounds of one EventList. */
export interface AuditLimits {
  /** Most items in one EventList (the apiserver's `--audit-webhook-batch-max-size`, default 400). */
  readonly maxItems: number;
  /** Largest body, bytes. */
  readonly maxBytes: number;
}

/** The apiserver's default batch size and a body bound that fits 400 events with bodies. */
export const DEFAULT_AUDIT_LIMITS: AuditLimits = Object.freeze({ maxItems: 400, maxBytes: 32 * 1024 * 1024 });

/** JSON bounds inside an EventList: Kubernetes objects are deeper and larger than OCSF events. */
const AUDIT_JSON: Omit<JsonLimits, 'maxBytes'> = Object.freeze({
  maxDepth: 64,
  maxStringLength: 4 * 1024 * 1024,
  maxKeyLength: 1024,
  maxArrayLength: 100_000,
  maxKeys: 100_000,
});

export const AUDIT_API_VERSION = 'audit.k8s.io/v1';
export const AUDIT_LEVELS = ['Metadata', 'Request', 'RequestResponse'] as const;
export const AUDIT_STAGES = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'] as const;
export type AuditLevel = (typeof AUDIT_LEVELS)[number];
export type AuditStage = (typeof AUDIT_STAGES)[number];

/** `authentication.k8s.io/v1` UserInfo. */
export interface AuditUser {
  readonly username?: string;
  readonly uid?: string;
  readonly groups?: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/** The object of a request. */
export interface AuditObjectRef {
  readonly resource?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly uid?: string;
  readonly apiGroup?: string;
  readonly apiVersion?: string;
  readonly resourceVersion?: string;
  readonly subresource?: string;
}

/** The metav1.Status of the response (only the members the mapping reads). */
export interface AuditResponseStatus {
  readonly code?: number;
  readonly status?: string;
  readonly reason?: string;
  readonly message?: string;
}

/** One `audit.k8s.io/v1` Event. */
export interface AuditEvent {
  readonly level: AuditLevel;
  readonly auditID: string;
  readonly stage: AuditStage;
  readonly requestURI: string;
  readonly verb: string;
  readonly user: AuditUser;
  readonly impersonatedUser?: AuditUser;
  readonly sourceIPs: readonly string[];
  readonly userAgent?: string;
  readonly objectRef?: AuditObjectRef;
  readonly responseStatus?: AuditResponseStatus;
  /** The request body (an object, or an array for a JSON patch), as received. */
  readonly requestObject?: JsonValue;
  readonly responseObject?: JsonValue;
  /** Microseconds since the epoch. */
  readonly requestReceivedMicros: number;
  readonly stageMicros: number;
  readonly annotations?: Readonly<Record<string, string>>;
  /** The item as received (every member, known or not). */
  readonly raw: JsonObject;
  /** Its JSON path in the EventList, `$.items[3]`. */
  readonly path: string;
}

const ENVELOPE = new Set(['kind', 'apiVersion', 'metadata', 'items']);
/**
 * Longest auditID. The apiserver takes a client's `Audit-ID` header when there is one, so it is
 * not always a UUID (36 characters); 1–100 printable ASCII characters keep the dedupe key
 * ({@link auditDedupeKey}) within the event store's 128-character idempotency keys.
 */
export const MAX_AUDIT_ID_LENGTH = 100;
const AUDIT_ID = /^[\x21-\x7e]+$/;

/** Whether an auditID is 1–{@link MAX_AUDIT_ID_LENGTH} printable ASCII characters. */
export function validAuditId(id: string): boolean {
  return id.length <= MAX_AUDIT_ID_LENGTH && AUDIT_ID.test(id);
}

/** Parses an EventList body. Throws only {@link IngestError} (format `k8s-audit`). */
export function parseAuditEventList(body: Uint8Array, limits: AuditLimits = DEFAULT_AUDIT_LIMITS): AuditEvent[] {
  let doc: JsonValue;
  try {
    doc = parseJsonStrict(body, { ...AUDIT_JSON, maxBytes: limits.maxBytes });
  } catch (e) {
    if (e instanceof EventError) throw new IngestError('k8s-audit', e.code === 'too-large' ? 'too-large' : 'bad-json', e.path, e.code === 'too-large' ? `body exceeds ${limits.maxBytes} bytes` : `not strict JSON (${e.code})`, { cause: e });
    throw e;
  }
  const top = Fields.of('k8s-audit', doc, '$');
  const extra = top.unknownKeys(ENVELOPE);
  if (extra.length > 0) top.fail('unknown-field', extra[0], 'not a member of an EventList');
  if (top.string('kind') !== 'EventList') top.fail('wrong-kind', 'kind', 'expected EventList');
  if (top.string('apiVersion') !== AUDIT_API_VERSION) top.fail('wrong-api-version', 'apiVersion', `expected ${AUDIT_API_VERSION} (set --audit-webhook-version)`);
  top.optObject('metadata');
  // Go writes a nil slice as null.
  const items = top.optArray('items') ?? [];
  if (items.length > limits.maxItems) top.fail('too-many-items', 'items', `more than ${limits.maxItems} events in one batch`);
  return items.map((item, i) => parseAuditEvent(item, childPath('$.items', i)));
}

/** Parses one Event (an item of an EventList) found at `path`. Throws only {@link IngestError}. */
export function parseAuditEvent(item: JsonValue, path: string): AuditEvent {
  const f = Fields.of('k8s-audit', item, path);
  const kind = f.optString('kind');
  if (kind !== undefined && kind !== 'Event') f.fail('wrong-kind', 'kind', 'expected Event');
  const apiVersion = f.optString('apiVersion');
  if (apiVersion !== undefined && apiVersion !== AUDIT_API_VERSION) f.fail('wrong-api-version', 'apiVersion', `expected ${AUDIT_API_VERSION}`);
  const level = f.string('level');
  if (!(AUDIT_LEVELS as readonly string[]).includes(level)) f.fail('bad-level', 'level', `expected one of ${AUDIT_LEVELS.join(', ')}`);
  const stage = f.string('stage');
  if (!(AUDIT_STAGES as readonly string[]).includes(stage)) f.fail('bad-stage', 'stage', `expected one of ${AUDIT_STAGES.join(', ')}`);
  // Any string: the apiserver copies a client's Audit-ID header here, so a malformed or overlong
  // one is the client's doing, not the apiserver's; the mapper refuses that item alone
  // (validAuditId), the batch stands.
  const auditID = f.string('auditID');
  const verb = f.string('verb', 64);
  const requestURI = f.optString('requestURI') ?? '';
  const sourceIPs = f.optStrings('sourceIPs', 64) ?? [];
  const objectRef = f.optObject('objectRef');
  const status = f.optObject('responseStatus');
  const code = status?.optInteger('code');
  if (code !== undefined && (code < 0 || code > 999)) status!.fail('bad-code', 'code', 'expected an HTTP status code');
  const requestObject = f.raw('requestObject');
  const responseObject = f.raw('responseObject');
  return {
    level: level as AuditLevel,
    auditID,
    stage: stage as AuditStage,
    requestURI,
    verb,
    user: user(f.object('user')),
    ...opt('impersonatedUser', mapOpt(f.optObject('impersonatedUser'), user)),
    sourceIPs,
    ...opt('userAgent', f.optString('userAgent')),
    ...opt('objectRef', mapOpt(objectRef, objectReference)),
    ...opt('responseStatus', status === undefined ? undefined : {
      ...opt('code', code),
      ...opt('status', status.optString('status')),
      ...opt('reason', status.optString('reason')),
      ...opt('message', status.optString('message')),
    }),
    ...opt('requestObject', requestObject),
    ...opt('responseObject', responseObject),
    requestReceivedMicros: micro(f, 'requestReceivedTimestamp'),
    stageMicros: micro(f, 'stageTimestamp'),
    ...opt('annotations', f.optStringMap('annotations')),
    raw: f.obj,
    path,
  };
}

/**
 * The uid of an audit event, `k8s/<stage>/<auditID>` (at most 120 printable ASCII characters for
 * a valid auditID): `metadata.uid` of the mapped event. It is not the idempotency key: a client
 * chooses the auditID (its `Audit-ID` header), so two different events can share it; the listener
 * keys events by a keyed hash of their bytes instead (docs/design/ingest.md, "Resends").
 */
export function auditDedupeKey(e: Pick<AuditEvent, 'auditID' | 'stage'>): string {
  return `k8s/${e.stage}/${e.auditID}`;
}

function user(f: Fields): AuditUser {
  const extra = f.optObject('extra');
  if (extra !== undefined) for (const k of Object.keys(extra.obj)) extra.optStrings(k);
  return {
    ...opt('username', f.optString('username')),
    ...opt('uid', f.optString('uid')),
    ...opt('groups', f.optStrings('groups')),
    ...opt('extra', extra?.obj as Record<string, string[]> | undefined),
  };
}

const OBJECT_REF = ['resource', 'namespace', 'name', 'uid', 'apiGroup', 'apiVersion', 'resourceVersion', 'subresource'] as const;

function objectReference(f: Fields): AuditObjectRef {
  const out: Record<string, string> = {};
  for (const k of OBJECT_REF) {
    const v = f.optString(k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function micro(f: Fields, key: string): number {
  const s = f.string(key);
  const t = parseRfc3339(s);
  if (t === null || t.fractionDigits !== 6) f.fail('bad-timestamp', key, 'expected RFC 3339 with six fraction digits (metav1.MicroTime)');
  return t.micros;
}

function mapOpt<T>(f: Fields | undefined, fn: (f: Fields) => T): T | undefined {
  return f === undefined ? undefined : fn(f);
}
