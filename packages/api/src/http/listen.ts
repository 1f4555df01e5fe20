/**
 * The one HTTP listener both servers (log and witness) run on: keep-alive, bounds an operator
 * expects, a catch-all that turns an unexpected handler failure into a logged 500 (never a
 * crash), a real port when asked for port 0, and a graceful close (idle connections at once,
 * in-flight requests get a grace period, then everything is cut).
 *
 * Bounds (each counted in the server's `/metrics` when it triggers, see http/metrics.ts):
 * - `maxConnections`: connections over the cap are closed as soon as they are accepted
 *   (`cairn_http_connections_refused_total`; logged at most once per {@link REFUSAL_LOG_INTERVAL_MS});
 * - `headersTimeoutMs`: the request line and headers must arrive within it, and
 *   `requestTimeoutMs`: the whole request, body included — a slow sender gets `408` and the
 *   connection is closed (`cairn_http_request_timeouts_total{phase="headers"|"body"}`). Time
 *   spent answering (e.g. a submission waiting for its checkpoint) does not count.
 *
 * With `tls` (PEM certificate chain and private key) the listener speaks HTTPS with the same
 * bounds; {@link HttpListener.setTls} swaps the certificate for new connections (e.g. on SIGHUP)
 * while established ones keep theirs.
 *
 * A failed request is logged with its path only (a tRPC GET carries its input, e.g. search
 * text, in the query string) and the error's name and code, not its message (errors.ts
 * `loggableError`): no event values in our own log lines.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createSecureContext } from 'node:tls';
import type { AddressInfo, Socket } from 'node:net';
import type { ListenerMetrics, RequestTimeoutPhase } from './metrics.js';
import { loggableError, requestPath } from '../errors.js';

/** Default cap on concurrent connections per listener. */
export const DEFAULT_MAX_CONNECTIONS = 1024;
/** Default bound on receiving a request's line and headers (ms). */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/** Refused connections and slow senders are logged at most this often (ms); the metrics count every one. */
export const REFUSAL_LOG_INTERVAL_MS = 10_000;
/** How often the request bounds are checked, at most (ms); Node's default (30 s) is too coarse. */
const MAX_CHECK_INTERVAL_MS = 1_000;

/** A running HTTP server. */
export interface HttpListener {
  /** `http://host:port` or `https://host:port` (no trailing slash), with the real port. */
  readonly url: string;
  readonly port: number;
  /**
   * Replaces the certificate and key of an HTTPS listener for new connections. Throws (keeping
   * the current ones) when they do not parse or do not match; throws on a plain HTTP listener.
   */
  setTls(tls: TlsMaterial): void;
  close(): Promise<void>;
}

/** A PEM certificate chain (leaf first) and its PEM private key. */
export interface TlsMaterial {
  readonly cert: string | Uint8Array;
  readonly key: string | Uint8Array;
}

function secureOptions(tls: TlsMaterial, clientCa?: string | Uint8Array): { cert: Buffer; key: Buffer; ca?: Buffer } {
  const o = { cert: Buffer.from(tls.cert), key: Buffer.from(tls.key), ...(clientCa === undefined ? {} : { ca: Buffer.from(clientCa) }) };
  createSecureContext(o); // throws on an unparsable certificate/key or a key that does not match
  return o;
}

export interface ListenOptions {
  readonly listen: { readonly host: string; readonly port: number };
  readonly handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** Most time to receive a whole request, headers and body (ms). */
  readonly requestTimeoutMs: number;
  /** Most time to receive the request line and headers (ms); at most `requestTimeoutMs`. */
  readonly headersTimeoutMs: number;
  /** Most concurrent connections. */
  readonly maxConnections: number;
  readonly keepAliveTimeoutMs: number;
  readonly closeGraceMs: number;
  readonly metrics?: ListenerMetrics | undefined;
  /** Serve HTTPS with this certificate and key (default: plain HTTP). */
  readonly tls?: TlsMaterial | undefined;
  /**
   * With `tls`: ask every client for a certificate and verify it against these PEM CA
   * certificates. A client without one (or with one the CA did not issue) still connects; the
   * handler sees `socket.authorized` and decides (the ingestion listener takes a bearer token
   * instead). Kept across {@link HttpListener.setTls}.
   */
  readonly clientCa?: string | Uint8Array | undefined;
  readonly logger?: {
    error(msg: string, fields?: Record<string, unknown>): void;
    warn?(msg: string, fields?: Record<string, unknown>): void;
  } | undefined;
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Validates the bounds of a listener; throws TypeError naming the option. */
export function checkListenerBounds(o: { requestTimeoutMs: number; headersTimeoutMs: number; maxConnections: number }): void {
  for (const [name, v] of Object.entries(o)) {
    if (!Number.isSafeInteger(v) || v < 1) throw new TypeError(`${name} must be a positive integer, got ${String(v)}`);
  }
  if (o.headersTimeoutMs > o.requestTimeoutMs) {
    throw new TypeError(`headersTimeoutMs (${o.headersTimeoutMs}) must not exceed requestTimeoutMs (${o.requestTimeoutMs})`);
  }
}

/** Calls `log` at most once per `intervalMs`, passing how many calls were suppressed since the last one. */
export function rateLimited<A extends unknown[]>(intervalMs: number, log: (suppressed: number, ...args: A) => void): (...args: A) => void {
  let last = -Infinity;
  let suppressed = 0;
  return (...args) => {
    const now = Date.now();
    if (now - last < intervalMs) {
      suppressed++;
      return;
    }
    last = now;
    log(suppressed, ...args);
    suppressed = 0;
  };
}

function rawAnswer(socket: Socket, status: string, text: string): void {
  // Only when no response has started on this connection (as Node's own default does).
  const current = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && current?.headersSent !== true) {
    const body = text + '\n';
    socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }
  socket.destroy();
}

/** Starts listening; resolves once bound (rejects with the listen error, e.g. EADDRINUSE). */
export async function listenHttp(opts: ListenOptions): Promise<HttpListener> {
  checkListenerBounds({ requestTimeoutMs: opts.requestTimeoutMs, headersTimeoutMs: opts.headersTimeoutMs, maxConnections: opts.maxConnections });
  /** Sockets whose current request's headers arrived but whose body has not. */
  const receiving = new WeakSet<Socket>();
  const httpOptions = {
    keepAlive: true,
    requestTimeout: opts.requestTimeoutMs,
    headersTimeout: opts.headersTimeoutMs,
    connectionsCheckingInterval: Math.max(50, Math.min(MAX_CHECK_INTERVAL_MS, Math.floor(opts.headersTimeoutMs / 4))),
  };
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    // Headers are in: until the body has arrived, a timeout is the body's.
    if (!req.complete) {
      receiving.add(req.socket);
      req.once('end', () => receiving.delete(req.socket));
      req.once('close', () => receiving.delete(req.socket));
    }
    opts.handle(req, res).catch((e: unknown) => {
      opts.logger?.error('request failed', { path: requestPath(req.url), error: loggableError(e) });
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('internal server error\n');
    });
  };
  if (opts.clientCa !== undefined && opts.tls === undefined) throw new TypeError('clientCa needs tls');
  const clientAuth = opts.clientCa === undefined ? {} : { requestCert: true, rejectUnauthorized: false };
  const https = opts.tls === undefined ? undefined : createHttpsServer({ ...httpOptions, ...clientAuth, ...secureOptions(opts.tls, opts.clientCa) }, onRequest);
  const server = https ?? createServer(httpOptions, onRequest);
  // A failed TLS handshake (e.g. a client that does not trust the certificate) only closes that connection.
  https?.on('tlsClientError', (_err, socket) => socket.destroy());
  server.keepAliveTimeout = opts.keepAliveTimeoutMs;
  server.maxConnections = opts.maxConnections;
  const warn = (msg: string, fields: Record<string, unknown>) => (opts.logger?.warn ?? opts.logger?.error)?.call(opts.logger, msg, fields);
  const logRefused = rateLimited(REFUSAL_LOG_INTERVAL_MS, (suppressed, remote: string | undefined) =>
    warn('connection refused: the listener is at its connection cap', { maxConnections: opts.maxConnections, remote, suppressedSinceLast: suppressed }));
  const logSlow = rateLimited(REFUSAL_LOG_INTERVAL_MS, (suppressed, phase: RequestTimeoutPhase, remote: string | undefined) =>
    warn('slow sender: request not received in time, connection closed', {
      phase, headersTimeoutMs: opts.headersTimeoutMs, requestTimeoutMs: opts.requestTimeoutMs, remote, suppressedSinceLast: suppressed,
    }));
  server.on('drop', (data?: { remoteAddress?: string; remotePort?: number }) => {
    opts.metrics?.connectionRefused();
    logRefused(data?.remoteAddress === undefined ? undefined : `${data.remoteAddress}:${data.remotePort ?? ''}`);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      const phase: RequestTimeoutPhase = receiving.has(socket) ? 'body' : 'headers';
      opts.metrics?.requestTimedOut(phase);
      logSlow(phase, socket.remoteAddress === undefined ? undefined : `${socket.remoteAddress}:${socket.remotePort ?? ''}`);
      const limit = phase === 'headers' ? `headers within ${opts.headersTimeoutMs} ms` : `the whole request within ${opts.requestTimeoutMs} ms`;
      rawAnswer(socket, '408 Request Timeout', `request timeout: ${limit}`);
      return;
    }
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    if (err.code === 'HPE_HEADER_OVERFLOW') rawAnswer(socket, '431 Request Header Fields Too Large', 'request headers too large');
    else rawAnswer(socket, '400 Bad Request', 'malformed HTTP request');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.listen.port, opts.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `${https === undefined ? 'http' : 'https'}://${urlHost(opts.listen.host)}:${port}`,
    port,
    setTls(tls) {
      if (https === undefined) throw new TypeError('this listener serves plain HTTP: start it with tls to reload a certificate');
      https.setSecureContext(secureOptions(tls, opts.clientCa));
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        const grace = setTimeout(() => server.closeAllConnections(), opts.closeGraceMs);
        const idle = setInterval(() => server.closeIdleConnections(), 50);
        server.close(() => {
          clearTimeout(grace);
          clearInterval(idle);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
