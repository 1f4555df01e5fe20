/**
 * The one table of the log's API surface mapping error codes to HTTP statuses and tRPC codes
 * (STYLE habit 7). The witness surface has its own, {@link WITNESS_ERROR_TABLE}, below.
 *
 * Codes come from three places, and share one namespace because equal codes mean equal things:
 * - the log core's `LogError` (every {@link LogErrorCode}: `queue-full`, `not-found`, `integrity`, …);
 * - this package's {@link ApiError} ({@link ApiErrorCode}: `unauthorized`, `beyond-tree`, …);
 * - tile paths: any `TilePathError` from @cairn/merkle counts as `bad-tile-path`.
 * The table's type requires a row for every one of them, so a new code cannot go unmapped.
 *
 * Anything else is an internal error (500), and its message never leaves the server. For
 * statuses ≥ 500 the client sees the table's public message, not the internal one; for
 * `integrity` that message is followed by the tile path and the problem the log found (public
 * data: the log refuses to serve it because it is corrupt), so a client can name what is wrong.
 * `Retry-After` (seconds) goes out with 429s and 503s: from the error when it carries a hint
 * (`retryAfterMs` of a LogError, `retryAfterSeconds` of an ApiError), else from the table.
 * `nothingStored` marks the codes after which a submission stored nothing (its quota is given back).
 */
import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { isLogError, type LogErrorCode } from '@cairn/log';
import { TilePathError } from '@cairn/merkle';
import { isWitnessError, type WitnessErrorCode } from '@cairn/witness';
import { describeIssues, type ValidationIssue } from './schemas.js';

/** A row of the table. */
export interface ErrorRule {
  readonly status: number;
  readonly trpc: TRPC_ERROR_CODE_KEY;
  /** Default Retry-After (seconds) when the error carries no hint. */
  readonly retryAfterSeconds?: number;
  /** Replaces the internal message for server-side failures. */
  readonly publicMessage?: string;
  /** A submission that failed with this code stored nothing. */
  readonly nothingStored?: true;
}

/** Codes raised by this package itself ({@link ApiError}), beside the log core's. */
export type ApiErrorCode =
  | 'quota-exceeded'
  | 'bad-input'
  | 'bad-range'
  | 'bad-tile-path'
  | 'batch-exceeds-quota'
  | 'payload-too-large'
  | 'method-not-allowed'
  | 'beyond-tree'
  | 'no-checkpoint'
  | 'unauthorized'
  | 'forbidden'
  | 'invalid-event'
  | 'no-event-store'
  | 'bad-query'
  | 'not-provable'
  | 'no-search-index'
  | 'search-index-starting'
  | 'search-index-failed'
  | 'too-many-tails'
  | 'tail-overflow'
  | EventStoreErrorCode;

/**
 * The event store's codes (docs/design/event-store-contract.md). The log core raises them as
 * `LogError`s; they are listed here too so that the table has their rows whatever the core's
 * version, and so that this package can raise them itself (e.g. `erased` from `events.prove`).
 */
export type EventStoreErrorCode =
  | 'seq-regression'
  | 'seq-gap'
  | 'idempotency-conflict'
  | 'not-an-event'
  | 'erased'
  | 'invalid-source'
  | 'no-receipt-key';

/** Every code of the log's API surface. */
export type LogApiErrorCode = LogErrorCode | ApiErrorCode;

/** The response header that carries a failed request's table code on the plain-HTTP (tiles) surface. */
export const ERROR_CODE_HEADER = 'Cairn-Error-Code';

/** Retry-After sent with 'queue-full' when the log gives no hint. */
export const DEFAULT_RETRY_AFTER_SECONDS = 1;
/** Retry-After sent while the log is starting or stopping. */
export const LIFECYCLE_RETRY_AFTER_SECONDS = 5;

const BAD_REQUEST: ErrorRule = { status: 400, trpc: 'BAD_REQUEST' };
const REFUSED: ErrorRule = { status: 400, trpc: 'BAD_REQUEST', nothingStored: true };
const NOT_FOUND: ErrorRule = { status: 404, trpc: 'NOT_FOUND' };
const CONFLICT: ErrorRule = { status: 409, trpc: 'CONFLICT', nothingStored: true };

/** The table. Keys are error codes; see the module comment. */
export const ERROR_TABLE: Readonly<Record<LogApiErrorCode, ErrorRule>> = {
  // Back-pressure and quotas.
  'queue-full': { status: 429, trpc: 'TOO_MANY_REQUESTS', retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS, nothingStored: true },
  'quota-exceeded': { status: 429, trpc: 'TOO_MANY_REQUESTS', retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS },
  // Bad input.
  'bad-input': BAD_REQUEST,
  'bad-range': BAD_REQUEST,
  'bad-tile-path': BAD_REQUEST,
  'batch-exceeds-quota': BAD_REQUEST,
  'entry-too-large': REFUSED,
  'too-many-entries': REFUSED,
  'invalid-entry': REFUSED,
  // A raw entry shaped as an event leaf (prefix cairn.dev/event-leaf/): only the event store appends those.
  'reserved-entry': REFUSED,
  'invalid-argument': BAD_REQUEST,
  // An event that is not a valid OCSF event (the message names its position and JSON path, never a value).
  'invalid-event': REFUSED,
  'invalid-source': REFUSED,
  // Sequence numbers and idempotency keys: the batch was refused as a whole.
  'seq-regression': CONFLICT,
  'seq-gap': CONFLICT,
  'idempotency-conflict': CONFLICT,
  'range-too-large': BAD_REQUEST,
  'payload-too-large': { status: 413, trpc: 'PAYLOAD_TOO_LARGE' },
  'method-not-allowed': { status: 405, trpc: 'METHOD_NOT_SUPPORTED' },
  // Beyond what the log has signed.
  'not-found': NOT_FOUND,
  'beyond-tree': NOT_FOUND,
  'no-checkpoint': NOT_FOUND,
  // Events: an index that holds a raw entry, an event whose body was erased, a log without events.
  'not-an-event': NOT_FOUND,
  erased: { status: 410, trpc: 'NOT_FOUND' },
  'no-event-store': NOT_FOUND,
  // Search: a query that does not parse (the message points at the column), a log without an index.
  'bad-query': BAD_REQUEST,
  // events.search with `complete` for a query whose answer cannot be proven complete (not one source and a range).
  'not-provable': BAD_REQUEST,
  'too-many-tails': { status: 429, trpc: 'TOO_MANY_REQUESTS', retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS },
  'tail-overflow': { status: 503, trpc: 'SERVICE_UNAVAILABLE' },
  'no-search-index': NOT_FOUND,
  // An index opened in the background (`log serve --search-index`) that cannot answer yet, or at all.
  'search-index-starting': { status: 503, trpc: 'SERVICE_UNAVAILABLE', retryAfterSeconds: LIFECYCLE_RETRY_AFTER_SECONDS },
  'search-index-failed': { status: 503, trpc: 'SERVICE_UNAVAILABLE', publicMessage: 'the search index failed to open; the log serves everything else' },
  'no-receipt-key': { status: 503, trpc: 'SERVICE_UNAVAILABLE', publicMessage: 'the log has no receipt key' },
  // Authentication and roles.
  unauthorized: { status: 401, trpc: 'UNAUTHORIZED' },
  forbidden: { status: 403, trpc: 'FORBIDDEN' },
  // The log's life cycle.
  aborted: { status: 499, trpc: 'CLIENT_CLOSED_REQUEST', nothingStored: true },
  stopping: { status: 503, trpc: 'SERVICE_UNAVAILABLE', retryAfterSeconds: LIFECYCLE_RETRY_AFTER_SECONDS, publicMessage: 'the log is shutting down; retry later', nothingStored: true },
  'not-started': { status: 503, trpc: 'SERVICE_UNAVAILABLE', retryAfterSeconds: LIFECYCLE_RETRY_AFTER_SECONDS, publicMessage: 'the log is not running yet; retry later', nothingStored: true },
  // Server-side failures.
  integrity: { status: 500, trpc: 'INTERNAL_SERVER_ERROR', publicMessage: 'the log\'s stored data failed an integrity check and the log refuses to serve it' },
  storage: { status: 500, trpc: 'INTERNAL_SERVER_ERROR', publicMessage: 'the log failed to read or write its storage' },
  config: { status: 500, trpc: 'INTERNAL_SERVER_ERROR', publicMessage: 'the log is misconfigured' },
  'rolled-back': { status: 500, trpc: 'INTERNAL_SERVER_ERROR', publicMessage: 'the log\'s storage is older than what its witnesses cosigned; it refuses to run' },
};

const INTERNAL: ErrorRule = { status: 500, trpc: 'INTERNAL_SERVER_ERROR', publicMessage: 'internal server error' };

/** Options of {@link ApiError}. */
export interface ApiErrorOptions {
  readonly cause?: unknown;
  /** For 429s: when the caller may retry. */
  readonly retryAfterSeconds?: number;
}

/** An error raised by this package. `code` is a key of {@link ERROR_TABLE}. */
export class ApiError extends Error {
  readonly code: LogApiErrorCode;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: LogApiErrorCode, message: string, options?: ApiErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApiError';
    this.code = code;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

/** The issues of a schema validation failure (zod or any Standard Schema), else undefined. */
export function validationIssuesOf(cause: unknown): readonly ValidationIssue[] | undefined {
  if (typeof cause !== 'object' || cause === null || !('issues' in cause)) return undefined;
  const issues = (cause as { issues: unknown }).issues;
  return Array.isArray(issues) ? (issues as ValidationIssue[]) : undefined;
}

/** The table code of a known error, or undefined for anything else (an internal error). */
export function errorCodeOf(err: unknown): LogApiErrorCode | undefined {
  if (err instanceof ApiError) return err.code;
  if (err instanceof TRPCError && err.code === 'BAD_REQUEST' && validationIssuesOf(err.cause) !== undefined) return 'bad-input';
  if (isLogError(err)) return err.code;
  if (err instanceof TilePathError) return 'bad-tile-path';
  return undefined;
}

/** The table row for any error (internal errors get a 500 row). */
export function ruleOf(err: unknown): ErrorRule {
  const code = errorCodeOf(err);
  return (code !== undefined ? ERROR_TABLE[code] : undefined) ?? INTERNAL;
}

/** The HTTP status for any error. */
export function httpStatusOf(err: unknown): number {
  return ruleOf(err).status;
}

/** The message a client may see. */
export function publicMessageOf(err: unknown): string {
  const rule = ruleOf(err);
  if (rule.publicMessage !== undefined) return rule.publicMessage + integrityEvidence(err);
  return err instanceof Error ? err.message : 'internal server error';
}

/** For an integrity failure: `: <tile path> (<part>): <problem>` from its details, else ''. */
function integrityEvidence(err: unknown): string {
  if (!isLogError(err, 'integrity') || err.details === undefined) return '';
  const { tile, part, problem } = err.details;
  if (typeof tile !== 'string') return '';
  return `: ${tile}${typeof part === 'string' ? ` (${part})` : ''}${typeof problem === 'string' ? `: ${problem}` : ''}`;
}

/** Whether a submission that failed with `err` stored nothing (so its quota can be given back). */
export function storedNothing(err: unknown): boolean {
  const code = errorCodeOf(err);
  return code !== undefined && ERROR_TABLE[code].nothingStored === true;
}

/** Retry-After in whole seconds (≥ 1) for errors that have one, else undefined. */
export function retryAfterSecondsOf(err: unknown): number | undefined {
  const target = err instanceof TRPCError && err.cause !== undefined ? err.cause : err;
  let seconds: number | undefined;
  if (target instanceof ApiError) seconds = target.retryAfterSeconds;
  else if (isLogError(target) && target.retryAfterMs !== undefined) seconds = target.retryAfterMs / 1000;
  if (errorCodeOf(target) === undefined) return undefined;
  seconds ??= ruleOf(target).retryAfterSeconds;
  if (seconds === undefined || !Number.isFinite(seconds)) return undefined;
  return Math.max(1, Math.ceil(seconds));
}

/**
 * Turns anything a procedure threw into a TRPCError with the table's code. Input validation
 * failures stay BAD_REQUEST with a message listing `path: problem`; other TRPCErrors raised by
 * tRPC itself (unknown procedure, wrong method) pass through unchanged.
 */
export function toTRPCError(err: unknown): TRPCError {
  if (err instanceof TRPCError) {
    if (err.code === 'INTERNAL_SERVER_ERROR' && errorCodeOf(err.cause) !== undefined) return toTRPCError(err.cause);
    const issues = err.code === 'BAD_REQUEST' ? validationIssuesOf(err.cause) : undefined;
    if (issues !== undefined) return new TRPCError({ code: 'BAD_REQUEST', message: `invalid input: ${describeIssues(issues)}`, cause: err.cause });
    return err;
  }
  const rule = ruleOf(err);
  return new TRPCError({ code: rule.trpc, message: publicMessageOf(err), cause: err });
}

// The witness API surface (tlog-witness HTTP and the witness tRPC router).

/** A row of {@link WITNESS_ERROR_TABLE}. */
export interface WitnessErrorRule {
  readonly status: number;
  readonly trpc: TRPC_ERROR_CODE_KEY;
  /** Replaces the internal message for server-side failures. */
  readonly publicMessage?: string;
}

/** The table: witness error code → HTTP status and tRPC code (tlog-witness main, 2026-07). */
export const WITNESS_ERROR_TABLE: Readonly<Record<WitnessErrorCode, WitnessErrorRule>> = {
  'bad-request': { status: 400, trpc: 'BAD_REQUEST' },
  'old-size-too-large': { status: 400, trpc: 'BAD_REQUEST' },
  'too-large': { status: 413, trpc: 'PAYLOAD_TOO_LARGE' },
  'unknown-log': { status: 404, trpc: 'NOT_FOUND' },
  'not-found': { status: 404, trpc: 'NOT_FOUND' },
  'invalid-signature': { status: 403, trpc: 'FORBIDDEN' },
  unverified: { status: 403, trpc: 'FORBIDDEN' },
  conflict: { status: 409, trpc: 'CONFLICT' },
  'bad-empty-root': { status: 422, trpc: 'UNPROCESSABLE_CONTENT' },
  'unexpected-proof': { status: 422, trpc: 'UNPROCESSABLE_CONTENT' },
  inconsistent: { status: 422, trpc: 'UNPROCESSABLE_CONTENT' },
  fork: { status: 422, trpc: 'UNPROCESSABLE_CONTENT' },
  'rate-limited': { status: 429, trpc: 'TOO_MANY_REQUESTS' },
  syncing: { status: 503, trpc: 'SERVICE_UNAVAILABLE' },
  blocked: { status: 403, trpc: 'FORBIDDEN' },
  storage: { status: 500, trpc: 'INTERNAL_SERVER_ERROR', publicMessage: 'the witness failed to store its state; nothing was cosigned' },
  config: { status: 500, trpc: 'INTERNAL_SERVER_ERROR', publicMessage: 'the witness is misconfigured; nothing was cosigned' },
};

const WITNESS_INTERNAL: WitnessErrorRule = { status: 500, trpc: 'INTERNAL_SERVER_ERROR', publicMessage: 'internal server error' };

/** The table row of any error (anything but a WitnessError is internal). */
export function witnessErrorRule(err: unknown): WitnessErrorRule {
  return isWitnessError(err) ? WITNESS_ERROR_TABLE[err.code] : WITNESS_INTERNAL;
}

/** The message a client may see for any error. */
export function witnessPublicMessage(err: unknown): string {
  const rule = witnessErrorRule(err);
  if (rule.publicMessage !== undefined) return rule.publicMessage;
  return err instanceof Error ? err.message : 'internal server error';
}

/** What our own log lines say about an error (see {@link loggableError}). */
export interface LoggedError {
  readonly name: string;
  readonly code?: string;
  readonly cause?: LoggedError;
}

/**
 * An error for our own log lines: its name and code (and its cause's), never its message. A
 * message may quote a value of an event (a user name, an IP, search text: a database error
 * quoting a row, a parser quoting its input), and personal data stays out of our logs.
 */
export function loggableError(e: unknown, depth = 0): LoggedError {
  if (!(e instanceof Error)) return { name: typeof e };
  const code = (e as { code?: unknown }).code;
  const cause = depth < 3 && e.cause !== undefined ? loggableError(e.cause, depth + 1) : undefined;
  return { name: e.name, ...(typeof code === 'string' || typeof code === 'number' ? { code: String(code) } : {}), ...(cause === undefined ? {} : { cause }) };
}

/** The path of a request URL without its query string (a tRPC GET carries its input there). */
export function requestPath(url: string | undefined): string {
  const u = url ?? '/';
  const q = u.search(/[?#]/);
  return q < 0 ? u : u.slice(0, q);
}
