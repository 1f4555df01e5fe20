/**
 * The one table mapping error codes to HTTP statuses and tRPC codes (STYLE habit 7).
 *
 * Codes come from three places, and share one namespace because equal codes mean equal things:
 * - the log core's `LogError` (`queue-full`, `entry-too-large`, `not-found`, `integrity`, …);
 * - this package's {@link ApiError} (`unauthorized`, `quota-exceeded`, `beyond-tree`, …);
 * - tile paths: any `TilePathError` from @cairn/merkle counts as `bad-tile-path`.
 *
 * Anything else is an internal error (500), and its message never leaves the server. For
 * statuses ≥ 500 the client sees the table's public message, not the internal one.
 * `Retry-After` (seconds) goes out with 429s and 503s: from the error when it carries a hint
 * (`retryAfterMs` of a LogError, `retryAfterSeconds` of an ApiError), else from the table.
 */
import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { isLogError } from '@cairn/log';
import { TilePathError } from '@cairn/merkle';
import { describeIssues, type ValidationIssue } from './schemas.js';

/** A row of the table. */
export interface ErrorRule {
  readonly status: number;
  readonly trpc: TRPC_ERROR_CODE_KEY;
  /** Default Retry-After (seconds) when the error carries no hint. */
  readonly retryAfterSeconds?: number;
  /** Replaces the internal message for server-side failures. */
  readonly publicMessage?: string;
}

/** Retry-After sent with 'queue-full' when the log gives no hint. */
export const DEFAULT_RETRY_AFTER_SECONDS = 1;

const BAD_REQUEST: ErrorRule = { status: 400, trpc: 'BAD_REQUEST' };
const NOT_FOUND: ErrorRule = { status: 404, trpc: 'NOT_FOUND' };

/** The table. Keys are error codes; see the module comment. */
export const ERROR_TABLE: Readonly<Record<string, ErrorRule>> = {
  // Back-pressure and quotas.
  'queue-full': { status: 429, trpc: 'TOO_MANY_REQUESTS', retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS },
  'quota-exceeded': { status: 429, trpc: 'TOO_MANY_REQUESTS', retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS },
  // Bad input.
  'bad-input': BAD_REQUEST,
  'bad-range': BAD_REQUEST,
  'bad-tile-path': BAD_REQUEST,
  'batch-exceeds-quota': BAD_REQUEST,
  'entry-too-large': BAD_REQUEST,
  'too-many-entries': BAD_REQUEST,
  'invalid-entry': BAD_REQUEST,
  'invalid-argument': BAD_REQUEST,
  'range-too-large': BAD_REQUEST,
  'payload-too-large': { status: 413, trpc: 'PAYLOAD_TOO_LARGE' },
  'method-not-allowed': { status: 405, trpc: 'METHOD_NOT_SUPPORTED' },
  // Beyond what the log has signed.
  'not-found': NOT_FOUND,
  'beyond-tree': NOT_FOUND,
  'no-checkpoint': NOT_FOUND,
  // Authentication.
  unauthorized: { status: 401, trpc: 'UNAUTHORIZED' },
  // The log's life cycle.
  aborted: { status: 499, trpc: 'CLIENT_CLOSED_REQUEST' },
  stopping: { status: 503, trpc: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 5, publicMessage: 'the log is shutting down; retry later' },
  'not-started': { status: 503, trpc: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 5, publicMessage: 'the log is not running yet; retry later' },
  // Server-side failures.
  integrity: { status: 500, trpc: 'INTERNAL_SERVER_ERROR', publicMessage: 'the log found an integrity failure in its storage and refuses to serve; its operator has the details' },
  storage: { status: 500, trpc: 'INTERNAL_SERVER_ERROR', publicMessage: 'the log failed to read or write its storage' },
  config: { status: 500, trpc: 'INTERNAL_SERVER_ERROR', publicMessage: 'the log is misconfigured' },
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
  readonly code: string;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: string, message: string, options?: ApiErrorOptions) {
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
export function errorCodeOf(err: unknown): string | undefined {
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
  if (rule.publicMessage !== undefined) return rule.publicMessage;
  return err instanceof Error ? err.message : 'internal server error';
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
