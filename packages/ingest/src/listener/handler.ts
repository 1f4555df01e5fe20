/**
 * The ingestion listener's HTTP handler: the producers' endpoints and nothing else (no tRPC, no
 * tiles, no admin). Mount it on its own listener (`cairn log serve --ingest-listen`).
 *
 * | endpoint | body | answer |
 * |---|---|---|
 * | `POST /k8s/audit` | `audit.k8s.io/v1` EventList, `application/json` | 200 `{"accepted":n,"duplicates":d,"refused":r}` (r items stored as records of their refusal) |
 * | `POST /v1/logs` | OTLP ExportLogsServiceRequest, `application/x-protobuf` or `application/json` | 200 ExportLogsServiceResponse (in the request's encoding), `partialSuccess` naming refused records |
 * | `POST /events` | OCSF events: one object or an array (`application/json`), or JSON lines (`application/x-ndjson`) | 200 `{"indices":[…],"seqs":[…],"duplicate":[…]}` |
 *
 * **Who.** Every request names its source by a credential: `Authorization: Bearer <token>` of a
 * `writer` token of the tokens file, or (over TLS with `--ingest-client-ca`) a client certificate
 * the CA issued whose subject the tokens file maps to a source. The source written is the
 * credential's, always: no header, query or body field can name another one. A token and a
 * certificate that name two different sources are refused (403).
 *
 * **When 2xx.** Only after the log's `submitEvents` resolved, i.e. the events are fsync'd. A
 * resent batch is answered with success and adds no leaf: Kubernetes events are keyed by
 * `stage` + HMAC(per-log secret, auditID ‖ mapped event), OTLP records by the HMAC of their mapped
 * event and its occurrence in the request (keys.ts), HTTPS JSON events by the producer's own sequence numbers or idempotency keys
 * (`?firstSeq=`, `?seqs=a,b,…`, `?idempotencyKeys=k1,k2,…`).
 *
 * **Refusals** map to statuses in one table (status.ts): 400 malformed (never retried), 413 too
 * large, 415 wrong content type or encoding, 401/403 credentials, 409 sequence conflicts, 429 with
 * `Retry-After` when the log's queue is full or the source's quota is spent, 503 while stopping.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ValidatedEvent } from '@cairn/events';
import { DEFAULT_AUDIT_LIMITS, parseAuditEventList, type AuditLimits } from '../k8s-audit.js';
import { mapAuditBatch } from '../k8s-audit-map.js';
import { IngestError } from '../errors.js';
import { jsonBodyKind, MAX_JSON_BODY_BYTES, parseJsonEvents, parseSubmitMeta } from '../https-json.js';
import { MAX_OTLP_BODY, type OtlpRecordResult } from '../otlp-model.js';
import { parseOtlpJson } from '../otlp-json.js';
import { encodeOtlpResponse, formatOtlpJsonResponse, parseOtlpProto } from '../otlp-proto.js';
import { mapOtlpRecords } from '../otlp-map.js';
import { mediaType, readBody } from './body.js';
import { WRITER_ROLE, type IngestAuth, type IngestEvent, type IngestLogger, type IngestSink } from './contracts.js';
import { auditIdempotencyKey, checkKeySecret, keyedDigest } from './keys.js';
import { encodeRpcStatus, grpcCode } from './otlp-status.js';
import { certificateSubject } from './subject.js';
import { answerFor, ListenerError, type Answer } from './status.js';

/** The endpoints' paths. */
export const INGEST_PATHS = Object.freeze({ k8sAudit: '/k8s/audit', otlpLogs: '/v1/logs', events: '/events' });

/** Options of {@link createIngestHandler}. */
export interface IngestHandlerOptions {
  readonly sink: IngestSink;
  /**
   * The per-log secret (≥ 32 bytes) the derived idempotency keys are keyed with
   * (`loadOrCreateKeySecret` of keys.ts): keys must not fingerprint erased contents.
   */
  readonly keySecret: Uint8Array;
  /** Bearer tokens; without it only client certificates authenticate. */
  readonly auth?: IngestAuth | undefined;
  /**
   * The source of a verified client certificate's subject (`CN=…,O=…`, see {@link certificateSubject}),
   * or undefined when none is mapped to it.
   */
  readonly certificateSource?: ((subject: string) => string | undefined) | undefined;
  readonly logger?: IngestLogger | undefined;
  /** Milliseconds; the time of records that carry none. Default `Date.now`. */
  readonly clock?: () => number;
  /** Bounds of a Kubernetes EventList (default: 400 items, 32 MiB). */
  readonly auditLimits?: AuditLimits;
}

/** Counters of what the handler did (for metrics and tests). */
export interface IngestCounters {
  accepted: number;
  duplicates: number;
  refused: number;
}

/** The handler, and its counters. */
export interface IngestHandler {
  (req: IncomingMessage, res: ServerResponse): Promise<void>;
  readonly counters: Readonly<IngestCounters>;
}

/** Builds the handler. */
export function createIngestHandler(opts: IngestHandlerOptions): IngestHandler {
  const clock = opts.clock ?? Date.now;
  checkKeySecret(opts.keySecret);
  const secret = opts.keySecret;
  const auditLimits = opts.auditLimits ?? DEFAULT_AUDIT_LIMITS;
  const counters: IngestCounters = { accepted: 0, duplicates: 0, refused: 0 };
  const lastLogged = new Map<string, number>();
  const noteRefusal = (source: string | undefined, path: string, a: Answer, e: unknown): void => {
    counters.refused++;
    if (a.unexpected) {
      // Codes only: a message may quote what the producer sent.
      opts.logger?.error('ingest request failed', { path, source, error: errorCode(e) });
      return;
    }
    // Refusals are the producer's business; one line per source, path and code every 10 s.
    const key = `${source ?? ''} ${path} ${a.code}`;
    const now = Date.now();
    if ((lastLogged.get(key) ?? -Infinity) + 10_000 > now) return;
    if (lastLogged.size > 10_000) lastLogged.clear();
    lastLogged.set(key, now);
    opts.logger?.warn('ingest request refused', { path, source, status: a.status, code: a.code, ...(e instanceof IngestError ? { at: e.at } : {}) });
  };

  const whoIs = (req: IncomingMessage): string => {
    const authorization = req.headers.authorization;
    const subject = opts.certificateSource === undefined ? undefined : certificateSubject(req.socket);
    const bySubject = subject === undefined ? undefined : opts.certificateSource!(subject);
    if (authorization === undefined) {
      if (bySubject !== undefined) return bySubject;
      if (subject !== undefined) throw new ListenerError('forbidden', 'the client certificate is not mapped to a source');
      throw new ListenerError('unauthorized', "missing credentials: send 'Authorization: Bearer <token>' or a client certificate");
    }
    if (opts.auth === undefined) throw new ListenerError('unauthorized', 'this listener takes no bearer tokens');
    let p;
    try {
      p = opts.auth.principal(authorization);
    } catch (e) {
      throw new ListenerError('unauthorized', (e as Error).message);
    }
    if (p.role !== WRITER_ROLE) throw new ListenerError('forbidden', `sending events needs a writer token; the token of ${p.source} is a ${p.role} token`);
    if (bySubject !== undefined && bySubject !== p.source) throw new ListenerError('forbidden', 'the token and the client certificate name different sources');
    return p.source;
  };

  const submit = async (source: string, events: IngestEvent[]): Promise<{ indices: readonly bigint[]; seqs: readonly bigint[]; duplicate: readonly boolean[] }> => {
    const n = events.length;
    opts.auth?.chargeQuota?.(source, n);
    let r;
    try {
      r = await opts.sink.submitEvents(source, events);
    } catch (e) {
      opts.auth?.refundQuota?.(source, n);
      throw e;
    }
    const dups = r.duplicate.filter((d) => d).length;
    if (dups > 0) opts.auth?.refundQuota?.(source, dups);
    counters.accepted += n - dups;
    counters.duplicates += dups;
    return r;
  };

  const k8sAudit = async (req: IncomingMessage, res: ServerResponse, source: string): Promise<void> => {
    if (mediaType(req) !== 'application/json') throw new ListenerError('unsupported-media-type', 'Content-Type must be application/json (an audit.k8s.io/v1 EventList)');
    const body = await readBody(req, auditLimits.maxBytes);
    const items = parseAuditEventList(body, auditLimits);
    if (items.length === 0) return sendJson(res, 200, { accepted: 0, duplicates: 0, refused: 0 });
    // Item by item: one item that cannot be mapped is stored as the record of its refusal, so
    // the batch is never refused for it (the apiserver would drop all of it after its retries).
    const mapped = mapAuditBatch(items);
    // Keyed by auditID and the event's own bytes: a client chooses the auditID (Audit-ID header),
    // so it alone must neither make two events collide nor fail the batch. A refusal record is
    // keyed by the item as received.
    const events = mapped.map((m, i): IngestEvent => {
      const item = items[i]!;
      const bytes = m.refused === undefined ? m.event.canonical : new TextEncoder().encode(JSON.stringify(item.raw));
      return { event: m.event, idempotencyKey: auditIdempotencyKey(secret, item.stage, item.auditID, bytes) };
    });
    const r = await submit(source, events);
    const dups = r.duplicate.filter((d) => d).length;
    sendJson(res, 200, { accepted: events.length - dups, duplicates: dups, refused: mapped.filter((m) => m.refused !== undefined).length });
  };

  const otlpLogs = async (req: IncomingMessage, res: ServerResponse, source: string, proto: boolean): Promise<void> => {
    const body = await readBody(req, MAX_OTLP_BODY);
    const records: OtlpRecordResult[] = proto ? parseOtlpProto(body) : parseOtlpJson(body);
    const mapping = mapOtlpRecords(records, clock());
    const events: IngestEvent[] = [];
    const seen = new Map<string, number>();
    for (const r of mapping.results) {
      if (!r.ok) continue;
      events.push({ event: r.event, idempotencyKey: otlpKey(secret, r.event, seen) });
    }
    if (events.length > 0) await submit(source, events);
    const type = proto ? 'application/x-protobuf' : 'application/json';
    const out = proto ? encodeOtlpResponse(mapping.rejected, mapping.errorMessage) : new TextEncoder().encode(formatOtlpJsonResponse(mapping.rejected, mapping.errorMessage));
    send(res, 200, type, out);
  };

  const jsonEvents = async (req: IncomingMessage, res: ServerResponse, source: string, query: URLSearchParams): Promise<void> => {
    const kind = jsonBodyKind(req.headers['content-type']);
    if (kind === null) throw new ListenerError('unsupported-media-type', 'Content-Type must be application/json or application/x-ndjson (JSON lines), charset utf-8');
    for (const k of query.keys()) {
      if (k !== 'seqs' && k !== 'firstSeq' && k !== 'idempotencyKeys') throw new ListenerError('bad-query', `unknown query parameter ${JSON.stringify(k.slice(0, 40))}: expected seqs, firstSeq or idempotencyKeys`);
      if (query.getAll(k).length > 1) throw new ListenerError('bad-query', `query parameter ${k} given twice`);
    }
    const body = await readBody(req, MAX_JSON_BODY_BYTES);
    const parsed: ValidatedEvent[] = parseJsonEvents(body, kind);
    const raw: { seqs?: string; firstSeq?: string; idempotencyKeys?: string } = {};
    for (const k of ['seqs', 'firstSeq', 'idempotencyKeys'] as const) {
      const v = query.get(k);
      if (v !== null) raw[k] = v;
    }
    const meta = parseSubmitMeta(parsed.length, raw);
    const events = parsed.map((event, i): IngestEvent => ({
      event,
      ...(meta.seqs === undefined ? {} : { seq: meta.seqs[i]! }),
      ...(meta.idempotencyKeys === undefined ? {} : { idempotencyKey: meta.idempotencyKeys[i]! }),
    }));
    const r = await submit(source, events);
    sendJson(res, 200, { indices: r.indices.map(String), seqs: r.seqs.map(String), duplicate: r.duplicate });
  };

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let path = '';
    let source: string | undefined;
    let otlpProto: boolean | undefined;
    try {
      const url = new URL(req.url ?? '/', 'http://ingest.invalid');
      path = url.pathname;
      const route = path === INGEST_PATHS.k8sAudit || path === INGEST_PATHS.otlpLogs || path === INGEST_PATHS.events ? path : undefined;
      if (route === undefined) throw new ListenerError('not-found', 'no such endpoint: this listener serves POST /k8s/audit, /v1/logs and /events');
      if (route === INGEST_PATHS.otlpLogs) {
        const t = mediaType(req);
        if (t === 'application/x-protobuf') otlpProto = true;
        else if (t === 'application/json') otlpProto = false;
      }
      if (req.method !== 'POST') {
        res.setHeader('Allow', 'POST');
        throw new ListenerError('method-not-allowed', `${route} takes POST only`);
      }
      source = whoIs(req);
      if (route === INGEST_PATHS.k8sAudit) await k8sAudit(req, res, source);
      else if (route === INGEST_PATHS.events) await jsonEvents(req, res, source, url.searchParams);
      else {
        if (otlpProto === undefined) throw new ListenerError('unsupported-media-type', 'Content-Type must be application/x-protobuf or application/json');
        await otlpLogs(req, res, source, otlpProto);
      }
    } catch (e) {
      const a = answerFor(e);
      noteRefusal(source, path, a, e);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const headers: Record<string, string> = {};
      if (a.retryAfterSeconds !== undefined) headers['Retry-After'] = String(a.retryAfterSeconds);
      if (a.status === 401) headers['WWW-Authenticate'] = 'Bearer realm="cairn-ingest"';
      // The rest of an unread body is not worth reading: close after answering.
      if (!req.complete) headers.Connection = 'close';
      if (otlpProto !== undefined) {
        const msg = `${a.code}: ${a.message}`;
        if (otlpProto) send(res, a.status, 'application/x-protobuf', encodeRpcStatus(grpcCode(a.status), msg), headers);
        else sendJson(res, a.status, { code: grpcCode(a.status), message: msg }, headers);
      } else {
        sendJson(res, a.status, { error: { code: a.code, message: a.message, ...(a.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: a.retryAfterSeconds }) } }, headers);
      }
    }
  };
  return Object.assign(handler, { counters });
}

/**
 * The idempotency key of an OTLP record: `otlp/` + keyed digest (keys.ts) of its canonical event +
 * `/` + how many identical events came before it in the request. A collector's retry of the
 * request gives the same keys; two identical records in one request stay two events.
 */
export function otlpKey(secret: Uint8Array, event: { canonical: Uint8Array }, seen: Map<string, number>): string {
  const h = keyedDigest(secret, 'otlp', event.canonical);
  const n = seen.get(h) ?? 0;
  seen.set(h, n + 1);
  return `otlp/${h}/${n}`;
}

/** What an unexpected error is, without its message: its code, else its class name. */
function errorCode(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code.slice(0, 64);
  return e instanceof Error ? e.name : typeof e;
}

function send(res: ServerResponse, status: number, type: string, body: Uint8Array, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'Content-Type': type, 'Content-Length': String(body.length) });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  send(res, status, 'application/json', new TextEncoder().encode(JSON.stringify(value) + '\n'), headers);
}

