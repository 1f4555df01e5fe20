/**
 * The HTTP layer under every fetcher: `fetch` with the caller's `AbortSignal`, a timeout per
 * attempt, bounded retries with exponential backoff, capped response bodies, and failures as
 * {@link FetchError}s. Browser-safe (global `fetch`, `AbortSignal.any`, `setTimeout`).
 *
 * Retried: network errors, attempt timeouts, 5xx, 429 (waiting `Retry-After` seconds when the
 * server sends it, capped at {@link MAX_BACKOFF_MS}). Not retried: the caller's abort, 404
 * (`not-found`), other 4xx (`http-status`), oversized bodies (`too-large`).
 */
import { retry, RetryAbortedError } from '@cairn/formats';
import { FetchError } from './errors.js';

/** Time allowed per attempt. */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** Retries after the first attempt. */
export const DEFAULT_RETRIES = 2;
/** First backoff; doubles after each retry. */
export const DEFAULT_BACKOFF_MS = 200;
/** Longest single wait between attempts (also caps Retry-After). */
export const MAX_BACKOFF_MS = 5_000;
/** Bytes of an error response kept in FetchError.body. */
export const MAX_ERROR_BODY = 4096;
/** The response header in which a Cairn server names its error code. */
export const SERVER_CODE_HEADER = 'cairn-error-code';
/** Server codes never retried: the answer would not change. */
const FINAL_SERVER_CODES: ReadonlySet<string> = new Set(['integrity']);

/** Most retries accepted in options. */
export const MAX_RETRIES = 10;

/** Options shared by every fetcher. */
export interface FetchOptions {
  /** Aborts every request of this fetcher. */
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
  readonly retries?: number;
  readonly backoffMs?: number;
  /** The fetch implementation (default: the global one). */
  readonly fetch?: typeof globalThis.fetch;
}

/** Per-call options. */
export interface CallOptions {
  readonly signal?: AbortSignal;
}

/** Resolved options. */
export interface HttpConfig {
  readonly signal: AbortSignal | undefined;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly backoffMs: number;
  readonly fetch: typeof globalThis.fetch;
}

function count(v: number | undefined, def: number, min: number, max: number, what: string): number {
  if (v === undefined) return def;
  if (!Number.isInteger(v) || v < min || v > max) throw new FetchError('bad-input', `${what} must be an integer in ${min}..${max}`, { url: '' });
  return v;
}

export function httpConfig(opts: FetchOptions = {}): HttpConfig {
  const f = opts.fetch ?? globalThis.fetch;
  if (typeof f !== 'function') throw new FetchError('bad-input', 'no fetch implementation available', { url: '' });
  return {
    signal: opts.signal,
    timeoutMs: count(opts.timeoutMs, DEFAULT_TIMEOUT_MS, 1, 600_000, 'timeoutMs'),
    retries: count(opts.retries, DEFAULT_RETRIES, 0, MAX_RETRIES, 'retries'),
    backoffMs: count(opts.backoffMs, DEFAULT_BACKOFF_MS, 0, MAX_BACKOFF_MS, 'backoffMs'),
    fetch: f,
  };
}

/** An HTTP exchange to make: method, headers, body, and the largest body accepted back. */
export interface HttpRequest {
  readonly url: string;
  readonly maxBytes: number;
  readonly accept?: string;
}

/** A successful (2xx) answer. */
export interface HttpResponse {
  readonly status: number;
  readonly contentType: string | null;
  readonly body: Uint8Array;
}

/** A failure the retry loop may try again; carries the server's Retry-After hint. */
class Retryable extends Error {
  constructor(readonly error: FetchError, readonly retryAfterMs?: number) {
    super(error.message);
  }
}

function signals(...s: (AbortSignal | undefined)[]): AbortSignal[] {
  return s.filter((x): x is AbortSignal => x !== undefined);
}

/** Reads at most `max` bytes: more is `too-large`, or (with `truncate`) cut off silently. */
async function readCapped(res: Response, max: number, url: string, truncate = false): Promise<Uint8Array> {
  const declared = res.headers.get('content-length');
  if (!truncate && declared !== null && /^[0-9]+$/.test(declared) && Number(declared) > max) {
    void res.body?.cancel().catch(() => {});
    throw new FetchError('too-large', `response of ${declared} bytes exceeds ${max}`, { url, status: res.status });
  }
  if (res.body === null) return new Uint8Array(0);
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (truncate && total + value.length > max) {
      parts.push(value.subarray(0, max - total));
      total = max;
      void reader.cancel().catch(() => {}); // not awaited: a tee'd body only settles when both sides cancel
      break;
    }
    total += value.length;
    if (total > max) {
      void reader.cancel().catch(() => {}); // not awaited: a tee'd body only settles when both sides cancel
      throw new FetchError('too-large', `response exceeds ${max} bytes`, { url, status: res.status });
    }
    parts.push(value);
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const isHtml = (contentType: string | null): boolean => contentType !== null && /^\s*(text\/html|application\/xhtml\+xml)\b/i.test(contentType);

/** The first system error code (ECONNREFUSED, ENOTFOUND, …) in an error's cause chain. */
export function systemErrorCode(e: unknown): string | undefined {
  for (let c: unknown = e, depth = 0; c !== undefined && c !== null && depth < 8; depth++) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
    // AggregateError (several addresses tried) keeps its causes in `errors`.
    const errors = (c as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) return systemErrorCode(errors[0]);
    c = (c as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A transport failure in words: the system code when there is one (fetch's own message is "fetch failed"). */
function describeCause(cause: unknown): string {
  const code = systemErrorCode(cause);
  const msg = (cause as Error)?.message ?? String(cause);
  return code !== undefined && !msg.includes(code) ? `${msg} (${code})` : msg;
}

function retryAfterMs(res: Response): number | undefined {
  const h = res.headers.get('retry-after');
  return h !== null && /^[0-9]{1,6}$/.test(h) ? Number(h) * 1000 : undefined;
}

async function attempt(cfg: HttpConfig, req: HttpRequest, call: AbortSignal | undefined): Promise<HttpResponse> {
  // Our own timer rather than AbortSignal.timeout(), whose unref'd timer lets Node exit mid-wait.
  const timer = new AbortController();
  const t = setTimeout(() => timer.abort(new DOMException(`no answer within ${cfg.timeoutMs} ms`, 'TimeoutError')), cfg.timeoutMs);
  try {
    return await attemptWith(cfg, req, call, timer.signal);
  } finally {
    clearTimeout(t);
  }
}

async function attemptWith(cfg: HttpConfig, req: HttpRequest, call: AbortSignal | undefined, timeout: AbortSignal): Promise<HttpResponse> {
  const signal = AbortSignal.any(signals(cfg.signal, call, timeout));
  if (signal.aborted) throw new FetchError('aborted', 'request aborted', { url: req.url, cause: signal.reason });
  let res: Response;
  try {
    res = await cfg.fetch(req.url, { method: 'GET', signal, headers: req.accept !== undefined ? { accept: req.accept } : {} });
  } catch (cause) {
    if (timeout.aborted && !cfg.signal?.aborted && !call?.aborted) {
      throw new Retryable(new FetchError('timeout', `no answer within ${cfg.timeoutMs} ms`, { url: req.url, cause }));
    }
    if (signal.aborted) throw new FetchError('aborted', 'request aborted', { url: req.url, cause });
    const tls = certificateProblem(cause);
    if (tls !== undefined) throw new FetchError('network', `${tls} (${req.url})`, { url: req.url, cause }); // retrying would not change it
    // Nothing listens there: the answer will not change within a retry loop, so give up at once.
    if (systemErrorCode(cause) === 'ECONNREFUSED') throw new FetchError('network', `connection refused to ${req.url}`, { url: req.url, cause });
    throw new Retryable(new FetchError('network', `request to ${req.url} failed: ${describeCause(cause)}`, { url: req.url, cause }));
  }
  const ok = res.status >= 200 && res.status < 300;
  let body: Uint8Array;
  try {
    body = await readCapped(res, ok ? req.maxBytes : MAX_ERROR_BODY, req.url, !ok);
  } catch (cause) {
    if (cause instanceof FetchError) throw cause;
    if (timeout.aborted && !cfg.signal?.aborted && !call?.aborted) {
      throw new Retryable(new FetchError('timeout', `response not complete within ${cfg.timeoutMs} ms`, { url: req.url, cause }));
    }
    if (signal.aborted) throw new FetchError('aborted', 'request aborted', { url: req.url, cause });
    throw new Retryable(new FetchError('network', `reading the response failed: ${(cause as Error)?.message ?? String(cause)}`, { url: req.url, cause }));
  }
  const contentType = res.headers.get('content-type');
  // No Cairn endpoint answers HTML: a web page here means the URL points at something else.
  if (isHtml(contentType) && !isHtml(req.accept ?? null)) {
    throw new FetchError('bad-response', `HTML answer: not a Cairn server (${req.url}, HTTP ${res.status})`, { url: req.url, status: res.status, body });
  }
  if (ok) return { status: res.status, contentType, body };
  const reason = new TextDecoder().decode(body.subarray(0, 300)).trim();
  const header = res.headers.get(SERVER_CODE_HEADER);
  const serverCode = header !== null && /^[a-z][a-z0-9-]{0,39}$/.test(header) ? header : undefined;
  const info = { url: req.url, status: res.status, body, ...(serverCode !== undefined ? { serverCode } : {}) };
  const msg = `HTTP ${res.status}${serverCode !== undefined ? ` (${serverCode})` : ''}${reason ? `: ${reason}` : ''}`;
  if (res.status === 404) throw new FetchError('not-found', msg, info);
  const err = new FetchError('http-status', msg, info);
  if ((res.status >= 500 || res.status === 429) && (serverCode === undefined || !FINAL_SERVER_CODES.has(serverCode))) throw new Retryable(err, retryAfterMs(res));
  throw err;
}

/**
 * GETs `req.url` with retries. Resolves with a 2xx answer; rejects with {@link FetchError}
 * (`attempts` says how many were made; `body` holds the start of a refused response).
 */
export async function httpGet(cfg: HttpConfig, req: HttpRequest, call: CallOptions = {}): Promise<HttpResponse> {
  let n = 0;
  try {
    return await retry(
      (a) => {
        n = a;
        return attempt(cfg, req, call.signal);
      },
      {
        // Doubling from backoffMs without jitter; a server's Retry-After replaces the step (both capped).
        policy: { initialMs: cfg.backoffMs, maxMs: MAX_BACKOFF_MS, jitter: false },
        retries: cfg.retries,
        delayOf: (e) => (e instanceof Retryable ? e.retryAfterMs : false),
        signal: AbortSignal.any(signals(cfg.signal, call.signal)),
      },
    );
  } catch (e) {
    if (e instanceof RetryAbortedError) throw new FetchError('aborted', 'request aborted while waiting to retry', { url: req.url, attempts: n, cause: e.cause });
    if (e instanceof Retryable) throw withAttempts(e.error, n);
    if (e instanceof FetchError) throw withAttempts(e, n);
    throw e;
  }
}

function withAttempts(e: FetchError, attempts: number): FetchError {
  return new FetchError(e.code, attempts > 1 ? `${e.message} (after ${attempts} attempts)` : e.message, {
    url: e.url,
    ...(e.status !== undefined ? { status: e.status } : {}),
    ...(e.body !== undefined ? { body: e.body } : {}),
    ...(e.serverCode !== undefined ? { serverCode: e.serverCode } : {}),
    attempts,
    ...(e.cause !== undefined ? { cause: e.cause } : {}),
  });
}

/**
 * A `fetch` for a library that makes its own GET requests (the tRPC link of the log fetcher):
 * each request goes through {@link httpGet} — timeout per attempt, retries, a body capped at
 * `maxBytes` — and resolves with the 2xx answer; every failure rejects with the FetchError.
 */
export function boundedFetch(cfg: HttpConfig, maxBytes: number, accept: string): typeof globalThis.fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if ((init?.method ?? 'GET') !== 'GET') throw new FetchError('bad-input', `only GET is supported, not ${init?.method}`, { url });
    const res = await httpGet(cfg, { url, maxBytes, accept }, init?.signal ? { signal: init.signal } : {});
    return new Response(res.body, { status: res.status, headers: res.contentType !== null ? { 'content-type': res.contentType } : {} });
  }) as typeof globalThis.fetch;
}

/** Error codes of a server certificate the client does not accept (Node's TLS / OpenSSL names). */
const CERTIFICATE_ERROR_CODES: ReadonlySet<string> = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED', 'CERT_REVOKED', 'CERT_SIGNATURE_FAILURE', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * "server certificate not accepted: <reason> (<CODE>)" when `e` (or an error in its `cause`
 * chain) is the refusal of a server's TLS certificate; undefined otherwise.
 */
export function certificateProblem(e: unknown): string | undefined {
  for (let c: unknown = e, depth = 0; c instanceof Error && depth < 8; c = c.cause, depth++) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'string' && CERTIFICATE_ERROR_CODES.has(code)) return `server certificate not accepted: ${c.message} (${code})`;
  }
  return undefined;
}

/** Joins a base URL and a path with exactly one slash. */
export function joinUrl(base: string, path: string): string {
  if (typeof base !== 'string' || !/^https?:\/\//.test(base)) throw new FetchError('bad-input', `not an http(s) URL: ${String(base)}`, { url: String(base) });
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}
