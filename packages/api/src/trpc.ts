/**
 * The sanctioned tRPC builders. Every procedure of this package starts from
 * {@link publicProcedure} (tree reads), {@link authedProcedure} (submissions: writer tokens),
 * {@link readerProcedure} (event bodies and proofs: reader or admin tokens) or
 * {@link adminProcedure} (erasure: admin tokens); all map thrown errors through the one table in
 * errors.ts, so no handler decides a status itself (the HTTP status too: `data.httpStatus` and
 * the response status are the table's, e.g. 410 for `erased`, which tRPC has no code for).
 *
 * Plain JSON on the wire (no transformer): sizes and indices are decimal strings, bytes are
 * base64. Error responses carry `data.cairnCode` (the table code, e.g. `queue-full`) and, for
 * 429/503, `data.retryAfterSeconds`.
 */
import { initTRPC } from '@trpc/server';
import type { ServedEvents, ServedLog, ServedSearch } from './served-log.js';
import type { TokenAuthenticator, TokenRole } from './auth.js';
import type { TailBounds } from './tail-bounds.js';
import { ApiError, ERROR_TABLE, errorCodeOf, loggableError, retryAfterSecondsOf, toTRPCError } from './errors.js';

/** Structured logger (JSON lines in production). */
export interface ApiLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** What every procedure sees. */
export interface ApiContext {
  readonly node: ServedLog;
  /** The log's event store (undefined: the `events` procedures answer `no-event-store`). */
  readonly events?: ServedEvents | undefined;
  /** The event index (undefined: `events.search` answers `no-search-index`). */
  readonly search?: ServedSearch | undefined;
  /** Submission credentials; without them every submission is refused. */
  readonly tokens: TokenAuthenticator | undefined;
  /** The request's `Authorization` header, if any. */
  readonly authorization: string | undefined;
  readonly logger?: ApiLogger | undefined;
  /** Bounds of `events.tail` other than its defaults (`DEFAULT_TAIL_BOUNDS`; the rest keep theirs). */
  readonly tailBounds?: Partial<TailBounds> | undefined;
}

const t = initTRPC.context<ApiContext>().create({
  errorFormatter({ shape, error }) {
    const retryAfterSeconds = retryAfterSecondsOf(error);
    const cairnCode = errorCodeOf(error.cause) ?? errorCodeOf(error);
    return {
      ...shape,
      data: {
        ...shape.data,
        ...(cairnCode !== undefined ? { httpStatus: ERROR_TABLE[cairnCode].status } : {}),
        cairnCode: cairnCode ?? null,
        retryAfterSeconds: retryAfterSeconds ?? null,
        stack: undefined,
      },
    };
  },
});

/** The roles that may read events (and tail them). */
export const READER_ROLES: readonly TokenRole[] = ['reader', 'admin'];

/** Builds routers. */
export const router = t.router;
/** `createCallerFactory(router)(ctx)`: calls procedures without HTTP (tests, in-process use). */
export const createCallerFactory = t.createCallerFactory;

const mapErrors = t.middleware(async ({ next, ctx, path }) => {
  const result = await next();
  if (result.ok) return result;
  const err = toTRPCError(result.error);
  if (err.code === 'INTERNAL_SERVER_ERROR') ctx.logger?.error('procedure failed', { path, error: loggableError(err.cause ?? err) });
  throw err;
});

/** Reads: anyone may call them. */
export const publicProcedure = t.procedure.use(mapErrors);

/** A procedure that needs a token of one of `roles`; `ctx.source`, `ctx.role` and `ctx.tokens` are set. */
function withRole(roles: readonly TokenRole[], what: string) {
  return publicProcedure.use(({ ctx, next }) => {
    if (ctx.tokens === undefined) throw new ApiError('unauthorized', `this server accepts no ${what}: no tokens are configured`);
    const { source, role } = ctx.tokens.authorize(ctx.authorization, roles, what);
    return next({ ctx: { source, role, tokens: ctx.tokens } });
  });
}

/** Submissions: a writer token, which names the source the entries are charged to. */
export const authedProcedure = withRole(['writer'], 'submissions');
/** Reads of event bodies, event proofs and sources: a reader or admin token. */
export const readerProcedure = withRole(READER_ROLES, 'reading events');
/** Erasure: an admin token (its source name is recorded as who asked). */
export const adminProcedure = withRole(['admin'], 'erasing events');
