/**
 * The sanctioned tRPC builders. Every procedure of this package starts from
 * {@link publicProcedure} (reads) or {@link authedProcedure} (submissions); both map thrown
 * errors through the one table in errors.ts, so no handler decides a status itself.
 *
 * Plain JSON on the wire (no transformer): sizes and indices are decimal strings, bytes are
 * base64. Error responses carry `data.cairnCode` (the table code, e.g. `queue-full`) and, for
 * 429/503, `data.retryAfterSeconds`.
 */
import { initTRPC } from '@trpc/server';
import type { ServedLog } from './served-log.js';
import type { TokenAuthenticator } from './auth.js';
import { ApiError, errorCodeOf, retryAfterSecondsOf, toTRPCError } from './errors.js';

/** Structured logger (JSON lines in production). */
export interface ApiLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** What every procedure sees. */
export interface ApiContext {
  readonly node: ServedLog;
  /** Submission credentials; without them every submission is refused. */
  readonly tokens: TokenAuthenticator | undefined;
  /** The request's `Authorization` header, if any. */
  readonly authorization: string | undefined;
  readonly logger?: ApiLogger | undefined;
}

const t = initTRPC.context<ApiContext>().create({
  errorFormatter({ shape, error }) {
    const retryAfterSeconds = retryAfterSecondsOf(error);
    return {
      ...shape,
      data: {
        ...shape.data,
        cairnCode: errorCodeOf(error.cause) ?? errorCodeOf(error) ?? null,
        retryAfterSeconds: retryAfterSeconds ?? null,
        stack: undefined,
      },
    };
  },
});

/** Builds routers. */
export const router = t.router;
/** `createCallerFactory(router)(ctx)`: calls procedures without HTTP (tests, in-process use). */
export const createCallerFactory = t.createCallerFactory;

const mapErrors = t.middleware(async ({ next, ctx, path }) => {
  const result = await next();
  if (result.ok) return result;
  const err = toTRPCError(result.error);
  if (err.code === 'INTERNAL_SERVER_ERROR') ctx.logger?.error('procedure failed', { path, error: String(err.cause ?? err) });
  throw err;
});

/** Reads: anyone may call them. */
export const publicProcedure = t.procedure.use(mapErrors);

/** Submissions: the bearer token must name a source; `ctx.source` and `ctx.tokens` are set. */
export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (ctx.tokens === undefined) throw new ApiError('unauthorized', 'this server accepts no submissions: no tokens are configured');
  const source = ctx.tokens.authenticate(ctx.authorization);
  return next({ ctx: { source, tokens: ctx.tokens } });
});
