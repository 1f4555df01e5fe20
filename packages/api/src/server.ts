/**
 * One Node HTTP server for a log: the C2SP tlog-tiles read path at a prefix and the tRPC API at
 * `/trpc`, on one port.
 *
 * - Bodies: a declared `Content-Length` above the limit gets 413 before any byte is read (the
 *   connection is then closed); an undeclared (chunked) body is read with the bounded reader and
 *   cut at the limit, also with 413. Both answers name the limit.
 * - Bounds of the listener (connections, request arrival time) and `/metrics`: http/listen.ts,
 *   http/metrics.ts; `/healthz` and `/readyz`: http/health.ts.
 * - 429 (`queue-full`, `quota-exceeded`) and 503 answers on `/trpc` carry `Retry-After`.
 * - Keep-alive is on; `close()` stops accepting, lets in-flight requests finish, closes idle
 *   connections, and cuts what is left after a grace period. It does not stop the log node.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBounded } from '@cairn/formats';
import { DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS, listenHttp, type TlsMaterial } from './http/listen.js';
import { createMetricsRegistry, registerListenerMetrics, registerLogMetrics, registerSearchMetrics, serveMetrics, type ListenerMetrics } from './http/metrics.js';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import type { TokenAuthenticator } from './auth.js';
import { httpStatusOf, loggableError, retryAfterSecondsOf } from './errors.js';
import { createTilesHandler, normalizePrefix } from './http/tiles.js';
import { logReadiness, serveHealth } from './http/health.js';
import { apiRouter } from './router.js';
import type { ServedEvents, ServedLog, ServedSearch } from './served-log.js';
import type { ApiContext, ApiLogger } from './trpc.js';
import type { TailBounds } from './tail-bounds.js';

/** Where tRPC is served. */
export const TRPC_PATH = '/trpc';
/** Largest request body (bytes): 1000 entries of ~8 KiB in base64, or a few large ones. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
/** How long an idle keep-alive connection stays open (ms). */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** How long `close()` waits for in-flight requests before cutting connections (ms). */
export const DEFAULT_CLOSE_GRACE_MS = 5_000;
/** Most time to receive a whole request (ms). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

/** Options of {@link startLogServer}. */
export interface LogServerOptions {
  readonly node: ServedLog;
  /** The log's event store (a `LogNode` is one): serves the `events` procedures. */
  readonly events?: ServedEvents | undefined;
  /** The event index (`EventIndex` of @cairn/index): serves `events.search`. */
  readonly search?: ServedSearch | undefined;
  /** Port 0 picks a free port; the returned `url` has the real one. */
  readonly listen: { readonly host: string; readonly port: number };
  /** Serve HTTPS with this PEM certificate chain and key (default: plain HTTP); swap it later with `setTls`. */
  readonly tls?: TlsMaterial | undefined;
  /** Submission credentials; without them `submit` always answers UNAUTHORIZED. */
  readonly tokens?: TokenAuthenticator | undefined;
  /** tlog-tiles prefix: `''` (root, default) or `/a/b`. */
  readonly prefix?: string | undefined;
  readonly maxBodyBytes?: number | undefined;
  readonly keepAliveTimeoutMs?: number | undefined;
  readonly closeGraceMs?: number | undefined;
  /** Bounds of `events.tail` other than its defaults (`DEFAULT_TAIL_BOUNDS` of tail-bounds.ts). */
  readonly tailBounds?: Partial<TailBounds> | undefined;
  /** Most concurrent connections (default {@link DEFAULT_MAX_CONNECTIONS}). */
  readonly maxConnections?: number | undefined;
  /** Most time for a request's headers to arrive (ms, default {@link DEFAULT_HEADERS_TIMEOUT_MS}). */
  readonly headersTimeoutMs?: number | undefined;
  /** Most time for a whole request to arrive (ms, default {@link DEFAULT_REQUEST_TIMEOUT_MS}). */
  readonly requestTimeoutMs?: number | undefined;
  readonly logger?: ApiLogger | undefined;
}

/** A running server. */
export interface LogServer {
  /** `http://host:port` (`https://` with tls) (no trailing slash); tiles live at `url + prefix`, tRPC at `url + '/trpc'`. */
  readonly url: string;
  readonly port: number;
  /** Replaces the TLS certificate and key for new connections (throws, keeping the old, when they are bad). */
  setTls(tls: TlsMaterial): void;
  close(): Promise<void>;
}

/** The 413 answer (tRPC error shape), naming the limit; the connection is closed after it. */
function tooLarge(res: ServerResponse, limit: number): void {
  const body = JSON.stringify({
    error: {
      message: `request body exceeds the limit of ${limit} bytes`,
      code: TRPC_ERROR_CODES_BY_KEY.PAYLOAD_TOO_LARGE,
      data: { code: 'PAYLOAD_TOO_LARGE', httpStatus: 413, cairnCode: 'payload-too-large', retryAfterSeconds: null },
    },
  });
  res.writeHead(413, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), Connection: 'close' });
  res.end(body);
}

function notFound(res: ServerResponse, path: string): void {
  const body = `no such resource: ${path}\n`;
  res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(body);
}


/** Starts the server; resolves once it listens. */
export async function startLogServer(opts: LogServerOptions): Promise<LogServer> {
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isSafeInteger(maxBody) || maxBody < 1) throw new TypeError('maxBodyBytes must be a positive integer');
  const prefix = normalizePrefix(opts.prefix);
  if (prefix === TRPC_PATH || prefix.startsWith(TRPC_PATH + '/')) throw new TypeError(`prefix ${prefix} collides with the tRPC path ${TRPC_PATH}`);
  const tiles = createTilesHandler({ node: opts.node, prefix, logger: opts.logger });
  const bounds = {
    maxConnections: opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    headersTimeoutMs: opts.headersTimeoutMs ?? Math.min(DEFAULT_HEADERS_TIMEOUT_MS, opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS),
    requestTimeoutMs: opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  };
  const registry = createMetricsRegistry();
  registerLogMetrics(registry, opts.node);
  if (opts.search !== undefined) registerSearchMetrics(registry, opts.node.origin, opts.search);
  const metrics: ListenerMetrics = registerListenerMetrics(registry, bounds);

  const trpc = createHTTPHandler({
    router: apiRouter,
    basePath: TRPC_PATH + '/',
    maxBodySize: maxBody,
    createContext: ({ req }): ApiContext => ({
      node: opts.node,
      events: opts.events,
      search: opts.search,
      tokens: opts.tokens,
      authorization: req.headers.authorization,
      logger: opts.logger,
      tailBounds: opts.tailBounds,
    }),
    responseMeta({ errors }) {
      let retryAfter: number | undefined;
      for (const e of errors) {
        const s = retryAfterSecondsOf(e);
        if (s !== undefined) retryAfter = Math.max(retryAfter ?? 0, s);
      }
      const headers = new Headers();
      if (retryAfter !== undefined) headers.set('Retry-After', String(retryAfter));
      if (errors.some((e) => e.code === 'UNAUTHORIZED')) headers.set('WWW-Authenticate', 'Bearer realm="cairn"');
      // One error: the table's status (it differs from tRPC's own only where tRPC has no code, e.g. 410).
      if (errors.length === 1 && errors[0]!.cause !== undefined) {
        const status = httpStatusOf(errors[0]!.cause);
        if (status !== 500) return { headers, status };
      }
      return { headers };
    },
    onError({ error, path }) {
      if (error.code === 'INTERNAL_SERVER_ERROR') opts.logger?.error('trpc error', { path, error: loggableError(error.cause ?? error) });
    },
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    if (pathname === TRPC_PATH || pathname.startsWith(TRPC_PATH + '/')) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        const declared = req.headers['content-length'];
        if (declared !== undefined && Number(declared) > maxBody) {
          metrics.bodyTooLarge('declared');
          tooLarge(res, maxBody);
          return;
        }
        if (declared === undefined) {
          // Undeclared (chunked): read here, bounded, so a body over the limit gets the same answer.
          // A declared body within the limit cannot grow past it (HTTP framing) and streams to tRPC.
          const read = await readBounded(req.iterator({ destroyOnReturn: false }), maxBody);
          if (!read.ok) {
            metrics.bodyTooLarge('chunked');
            req.resume(); // discard the rest (bounded by the request timeout), so the answer is not lost to a reset
            tooLarge(res, maxBody);
            return;
          }
          (req as IncomingMessage & { body?: string }).body = new TextDecoder().decode(read.bytes);
        }
      }
      trpc(req, res);
      return;
    }
    if (await serveMetrics(registry, req, res, pathname)) return;
    if (await serveHealth(req, res, pathname, () => logReadiness(opts.node, undefined, opts.search))) return;
    if (await tiles(req, res)) return;
    notFound(res, pathname);
  };

  const listener = await listenHttp({
    listen: opts.listen, handle, logger: opts.logger, metrics, tls: opts.tls, ...bounds,
    keepAliveTimeoutMs: opts.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS, closeGraceMs: opts.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS,
  });
  const url = listener.url;
  opts.logger?.info('log server listening', { url, trpc: url + TRPC_PATH, tiles: url + prefix });
  return listener;
}
