/**
 * The one HTTP listener both servers (log and witness) run on: keep-alive, a bound on receiving
 * a request, a catch-all that turns an unexpected handler failure into a logged 500 (never a
 * crash), a real port when asked for port 0, and a graceful close (idle connections at once,
 * in-flight requests get a grace period, then everything is cut).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running HTTP server. */
export interface HttpListener {
  /** `http://host:port` (no trailing slash), with the real port. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface ListenOptions {
  readonly listen: { readonly host: string; readonly port: number };
  readonly handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly closeGraceMs: number;
  readonly logger?: { error(msg: string, fields?: Record<string, unknown>): void } | undefined;
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Starts listening; resolves once bound (rejects with the listen error, e.g. EADDRINUSE). */
export async function listenHttp(opts: ListenOptions): Promise<HttpListener> {
  const server = createServer({ keepAlive: true, requestTimeout: opts.requestTimeoutMs }, (req, res) => {
    opts.handle(req, res).catch((e: unknown) => {
      opts.logger?.error('request failed', { url: req.url, error: String(e) });
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('internal server error\n');
    });
  });
  server.keepAliveTimeout = opts.keepAliveTimeoutMs;
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
    url: `http://${urlHost(opts.listen.host)}:${port}`,
    port,
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
