/**
 * One Node HTTP server for a witness: the tlog-witness paths (`POST /add-checkpoint`, the
 * monitoring `GET /<origin hash>/checkpoint`, CORS and OPTIONS; http/witness.ts) and the
 * read-only tRPC `witness` router at `/trpc` (routers/witness.ts).
 *
 * Keep-alive is on (tlog-witness: witnesses SHOULD support it). `close()` stops accepting, lets
 * in-flight requests finish (a cosignature being stored is never cut short by us), closes idle
 * connections and cuts what is left after a grace period. It does not close the witness storage.
 *
 * `GET /metrics` (Prometheus, http/metrics.ts): the listener's bounds and how often they
 * triggered (http/listen.ts), plus whatever `registerMetrics` adds (the witness network's
 * counters when the witness is on libp2p). `GET /healthz` and `GET /readyz`: http/health.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS, listenHttp, type TlsMaterial } from './http/listen.js';
import { createMetricsRegistry, registerListenerMetrics, serveMetrics } from './http/metrics.js';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import type { Witness } from '@cairn/witness';
import { serveHealth, witnessReadiness } from './http/health.js';
import { createWitnessHandler, type WitnessHttpLogger } from './http/witness.js';
import { witnessRouter, type WitnessApiContext, type WitnessP2pStatus } from './routers/witness.js';

/** Where the witness tRPC router is served. */
export const WITNESS_TRPC_PATH = '/trpc';
/** Largest tRPC request body (the router only has small queries). */
export const WITNESS_TRPC_MAX_BODY = 64 * 1024;
/** How long an idle keep-alive connection stays open (ms). */
export const WITNESS_KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** How long `close()` waits for in-flight requests before cutting connections (ms). */
export const WITNESS_CLOSE_GRACE_MS = 5_000;
/** Most time to receive a whole request (ms). */
export const WITNESS_REQUEST_TIMEOUT_MS = 30_000;

/** Options of {@link startWitnessServer}. */
export interface WitnessServerOptions {
  readonly witness: Witness;
  /** Port 0 picks a free port; the returned `url` has the real one. */
  readonly listen: { readonly host: string; readonly port: number };
  /** Serve HTTPS with this PEM certificate chain and key (default: plain HTTP); swap it later with `setTls`. */
  readonly tls?: TlsMaterial | undefined;
  /** Prefix of the tlog-witness paths: `''` (default) or `/witness`. */
  readonly prefix?: string;
  readonly closeGraceMs?: number;
  readonly logger?: WitnessHttpLogger | undefined;
  /** The witness-network status for tRPC `status` (when the witness is on libp2p). */
  readonly p2p?: (() => WitnessP2pStatus) | undefined;
  /** Most concurrent connections (default {@link DEFAULT_MAX_CONNECTIONS}). */
  readonly maxConnections?: number | undefined;
  /** Most time for a request's headers to arrive (ms, default {@link DEFAULT_HEADERS_TIMEOUT_MS}). */
  readonly headersTimeoutMs?: number | undefined;
  /** Most time for a whole request to arrive (ms, default {@link WITNESS_REQUEST_TIMEOUT_MS}). */
  readonly requestTimeoutMs?: number | undefined;
  /** Adds further metrics to the server's `/metrics` registry (e.g. the witness network's). */
  readonly registerMetrics?: ((registry: Registry) => void) | undefined;
}

/** A running witness server. */
export interface WitnessServer {
  /** `http://host:port` (`https://` with tls) (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** Replaces the TLS certificate and key for new connections (throws, keeping the old, when they are bad). */
  setTls(tls: TlsMaterial): void;
  close(): Promise<void>;
}


/** Starts the server; resolves once it listens. */
export async function startWitnessServer(opts: WitnessServerOptions): Promise<WitnessServer> {
  const bounds = {
    maxConnections: opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    headersTimeoutMs: opts.headersTimeoutMs ?? Math.min(DEFAULT_HEADERS_TIMEOUT_MS, opts.requestTimeoutMs ?? WITNESS_REQUEST_TIMEOUT_MS),
    requestTimeoutMs: opts.requestTimeoutMs ?? WITNESS_REQUEST_TIMEOUT_MS,
  };
  const registry = createMetricsRegistry();
  const metrics = registerListenerMetrics(registry, bounds);
  opts.registerMetrics?.(registry);
  const witnessHandler = createWitnessHandler({
    witness: opts.witness, prefix: opts.prefix ?? '', logger: opts.logger, onBodyTooLarge: (how) => metrics.bodyTooLarge(how),
  });
  const trpc = createHTTPHandler({
    router: witnessRouter,
    basePath: WITNESS_TRPC_PATH + '/',
    maxBodySize: WITNESS_TRPC_MAX_BODY,
    createContext: (): WitnessApiContext => ({ witness: opts.witness, p2p: opts.p2p }),
    onError({ error, path }) {
      if (error.code === 'INTERNAL_SERVER_ERROR') opts.logger?.error('trpc error', { path, error: String(error.cause ?? error) });
    },
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    if (pathname === WITNESS_TRPC_PATH || pathname.startsWith(WITNESS_TRPC_PATH + '/')) {
      trpc(req, res);
      return;
    }
    if (await serveMetrics(registry, req, res, pathname)) return;
    if (await serveHealth(req, res, pathname, () => witnessReadiness(opts.witness, opts.p2p), { 'Access-Control-Allow-Origin': '*' })) return;
    if (await witnessHandler(req, res)) return;
    const body = `no such resource: ${pathname}\n`;
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)), 'Access-Control-Allow-Origin': '*' });
    res.end(body);
  };

  const listener = await listenHttp({
    listen: opts.listen, handle, logger: opts.logger, metrics, tls: opts.tls, ...bounds,
    keepAliveTimeoutMs: WITNESS_KEEP_ALIVE_TIMEOUT_MS, closeGraceMs: opts.closeGraceMs ?? WITNESS_CLOSE_GRACE_MS,
  });
  return listener;
}
