/**
 * The one table from a failure to the HTTP status a producer understands, for every endpoint of
 * the ingestion listener. What matters to a producer is whether to retry:
 *
 * - **retry later** — 429 (the log's queue is full, or the source's quota is spent) and 503 (the
 *   log is stopping), both with `Retry-After`. The OpenTelemetry Collector retries 429/502/503/504
 *   and honours `Retry-After`; kube-apiserver retries any non-2xx a few times with backoff.
 * - **never retry** — 400 (malformed), 401/403 (credentials), 404/405, 409 (a sequence number or
 *   idempotency key that contradicts the log), 413 (too large), 415 (wrong content type or
 *   encoding). OTLP exporters drop a batch on these instead of retrying it forever.
 * - 500 for anything unexpected (logged; the producer retries, which is safe: resends dedupe).
 *
 * The codes come from three places: the listener itself ({@link ListenerError}), the parsers
 * (IngestError of this package) and the log (LogError codes, and the quota codes of the tokens
 * file). Messages sent back name codes and positions, never values of the events.
 */
import { IngestError, redactPathKeys } from '../errors.js';

/** A failure of the listener itself (not of a parser or of the log). */
export class ListenerError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ListenerError';
    this.code = code;
  }
}

/** The listener's own codes and the log's and quota's codes → HTTP status. */
const STATUS: Readonly<Record<string, number>> = Object.freeze({
  // listener
  'not-found': 404,
  'method-not-allowed': 405,
  'unsupported-media-type': 415,
  'unsupported-encoding': 415,
  'body-too-large': 413,
  'bad-encoding': 400,
  'bad-query': 400,
  unauthorized: 401,
  forbidden: 403,
  // the log core (LogError)
  'queue-full': 429,
  stopping: 503,
  'not-started': 503,
  aborted: 503,
  'seq-regression': 409,
  'seq-gap': 409,
  'idempotency-conflict': 409,
  erased: 409,
  'invalid-source': 403,
  'invalid-argument': 400,
  'entry-too-large': 413,
  'too-many-entries': 413,
  // quotas of the tokens file (ApiError)
  'quota-exceeded': 429,
  'batch-exceeds-quota': 413,
});

/** IngestError codes that mean "too large" rather than "malformed". */
const INGEST_TOO_LARGE = new Set(['too-large', 'too-many-items', 'too-many-records', 'too-many-events', 'frame-too-long', 'event-too-large']);

/** How a failure is answered. */
export interface Answer {
  readonly status: number;
  readonly code: string;
  /** Safe to send: codes and positions only. */
  readonly message: string;
  /** Whole seconds for `Retry-After` (429/503). */
  readonly retryAfterSeconds?: number;
  /** The failure was not expected: the listener logs it. */
  readonly unexpected?: boolean;
}

/** Retry-After when the error does not carry one (s). */
export const DEFAULT_RETRY_AFTER_SECONDS = 1;

/** The answer to a failure thrown while handling a request. */
export function answerFor(e: unknown): Answer {
  if (e instanceof IngestError) {
    return { status: INGEST_TOO_LARGE.has(e.code) ? 413 : 400, code: e.code, message: e.message };
  }
  const code = typeof (e as { code?: unknown })?.code === 'string' ? (e as { code: string }).code : undefined;
  const status = code === undefined ? undefined : STATUS[code];
  if (code === undefined || status === undefined) {
    return { status: 500, code: 'internal', message: 'internal error', unexpected: true };
  }
  const err = e as { message?: string; retryAfterMs?: number; retryAfterSeconds?: number };
  let retry: number | undefined;
  if (status === 429 || status === 503) {
    const s = err.retryAfterSeconds ?? (err.retryAfterMs === undefined ? undefined : err.retryAfterMs / 1000);
    retry = Math.max(1, Math.ceil(s ?? DEFAULT_RETRY_AFTER_SECONDS));
  }
  return { status, code, message: safeMessage(code, err.message), ...(retry === undefined ? {} : { retryAfterSeconds: retry }) };
}

/**
 * The message of a log or quota error is ours (sources, counts, positions — never event
 * contents), except that it may be long; it is cut. The listener's own messages are ours too.
 */
function safeMessage(code: string, message: string | undefined): string {
  const m = message === undefined || message === '' ? code : redactPathKeys(message);
  return m.length > 500 ? `${m.slice(0, 500)}…` : m;
}
