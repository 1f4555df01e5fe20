/**
 * The C2SP tlog-tiles read path (https://c2sp.org/tlog-tiles, docs/protocols.md §6) as a plain Node
 * HTTP handler, served at a prefix (default: the root).
 *
 * | path | content type | caching |
 * |---|---|---|
 * | `<prefix>/checkpoint` | `text/plain; charset=utf-8` | `no-cache` |
 * | `<prefix>/tile/<L>/<N>` | `application/octet-stream` | `public, max-age=31536000, immutable` |
 * | `<prefix>/tile/<L>/<N>.p/<W>` | `application/octet-stream` | `public, max-age=60` |
 * | `<prefix>/tile/entries/<N>[.p/<W>]` | `application/octet-stream` (gzip when accepted) | as above |
 *
 * Example: in a tree of 300 entries, `GET /tile/0/001.p/44` answers the 44 × 32 = 1408 bytes of
 * leaf hashes 256..299, and `GET /tile/entries/000` the full bundle of entries 0..255 (each
 * prefixed by its big-endian uint16 length: `00 02 68 69` for the entry "hi").
 *
 * Paths are parsed strictly by `parseTilePath` of @cairn/merkle: non-canonical ones
 * (`tile/0/1`, `tile/0/000.p/256`, `tile/00/000`, …) get 400. A tile that the latest signed
 * checkpoint does not imply gets 404 without a storage read (so do tiles the log no longer has).
 * GET and HEAD only (405 otherwise, with `Allow`). Errors are `text/plain` with a reason and, for
 * a known error, its code in the `Cairn-Error-Code` header: a stored tile or bundle that fails the
 * log's own integrity check answers 500 with `Cairn-Error-Code: integrity` and the tile path and
 * problem in the body (errors.ts), never the corrupt bytes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { isEntryBundleRef, parseTilePath, tileWidth, TILE_WIDTH, TilePathError, type EntryBundleRef, type TileRef } from '@cairn/merkle';
import type { ServedLog } from '../served-log.js';
import type { ApiLogger } from '../trpc.js';
import { ERROR_CODE_HEADER, errorCodeOf, httpStatusOf, loggableError, publicMessageOf } from '../errors.js';

const gzip = promisify(gzipCb);

/** Cache-Control of the checkpoint: it changes every few hundred milliseconds. */
export const CHECKPOINT_CACHE_CONTROL = 'no-cache';
/** Cache-Control of full tiles and bundles: they never change. */
export const FULL_TILE_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/** Cache-Control of partial tiles and bundles: superseded once the tile fills. */
export const PARTIAL_TILE_CACHE_CONTROL = 'public, max-age=60';
/** Longest request path considered (a canonical tile path is far shorter). */
export const MAX_TILE_PATH_LENGTH = 256;

/** Options of {@link createTilesHandler}. */
export interface TilesHandlerOptions {
  readonly node: ServedLog;
  /** URL path prefix, `''` (the root, default) or `/a/b` (leading slash, no trailing slash). */
  readonly prefix?: string;
  /** Gets server-side failures (5xx). */
  readonly logger?: ApiLogger | undefined;
}

/** Handles a request if it is one of ours (resolves true), else leaves it alone (false). */
export type TilesHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/** Checks a URL path prefix: `''` or `/seg[/seg…]` without a trailing slash. */
export function normalizePrefix(prefix: string | undefined): string {
  const p = prefix ?? '';
  if (p === '' || p === '/') return '';
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(p)) {
    throw new TypeError(`prefix ${JSON.stringify(p)} must be '' or like '/log' (leading slash, no trailing slash, plain segments)`);
  }
  return p;
}

function send(req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string>, body: Uint8Array | string): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, { ...headers, 'Content-Length': String(bytes.length) });
  if (req.method === 'HEAD') res.end();
  else res.end(bytes);
}

function sendText(req: IncomingMessage, res: ServerResponse, status: number, message: string, extra: Record<string, string> = {}): void {
  send(req, res, status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...extra }, message + '\n');
}

function acceptsGzip(req: IncomingMessage): boolean {
  const h = req.headers['accept-encoding'];
  if (typeof h !== 'string') return false;
  return h.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== '*') return false;
    const q = params.map((x) => x.trim()).find((x) => x.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

function parseOrNull(path: string): TileRef | EntryBundleRef | TilePathError {
  try {
    return parseTilePath(path);
  } catch (e) {
    if (e instanceof TilePathError) return e;
    throw e;
  }
}

/** Builds the tiles handler. */
export function createTilesHandler(opts: TilesHandlerOptions): TilesHandler {
  const { node } = opts;
  const prefix = normalizePrefix(opts.prefix);

  async function serveTile(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const ref = parseOrNull(path);
    if (ref instanceof TilePathError) return sendText(req, res, 400, `bad tile path: ${ref.message}`);
    const latest = node.latestCheckpoint();
    const size = latest?.size ?? 0n;
    const bundle = isEntryBundleRef(ref);
    const level = isEntryBundleRef(ref) ? 0 : ref.level;
    if (ref.width > tileWidth(size, level, ref.index)) {
      return sendText(req, res, 404, `${path} is beyond the tree of size ${size}`);
    }
    const data = bundle ? await node.readEntryBundle(ref.index, ref.width) : await node.readTile(level, ref.index, ref.width);
    if (data === undefined) return sendText(req, res, 404, `${path} is not available`);
    const headers: Record<string, string> = {
      'Content-Type': 'application/octet-stream',
      'Cache-Control': ref.width === TILE_WIDTH ? FULL_TILE_CACHE_CONTROL : PARTIAL_TILE_CACHE_CONTROL,
    };
    if (bundle) {
      headers['Vary'] = 'Accept-Encoding';
      if (acceptsGzip(req)) {
        headers['Content-Encoding'] = 'gzip';
        return send(req, res, 200, headers, await gzip(data));
      }
    }
    send(req, res, 200, headers, data);
  }

  function serveCheckpoint(req: IncomingMessage, res: ServerResponse): void {
    const c = node.servedCheckpoint();
    if (c === undefined) {
      const why = node.latestCheckpoint() === undefined
        ? 'the log has not signed a checkpoint yet'
        : 'no checkpoint has met the witness quorum yet';
      return sendText(req, res, 404, why);
    }
    send(req, res, 200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': CHECKPOINT_CACHE_CONTROL }, c.note);
  }

  return async (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    if (!pathname.startsWith(prefix + '/')) return false;
    const rest = pathname.slice(prefix.length + 1);
    const isCheckpoint = rest === 'checkpoint';
    if (!isCheckpoint && !rest.startsWith('tile/')) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendText(req, res, 405, `method ${req.method} not allowed; use GET or HEAD`, { Allow: 'GET, HEAD' });
      return true;
    }
    try {
      if (isCheckpoint) serveCheckpoint(req, res);
      else if (rest.length > MAX_TILE_PATH_LENGTH) sendText(req, res, 400, 'bad tile path: too long');
      else await serveTile(req, res, rest);
    } catch (e) {
      const status = httpStatusOf(e);
      if (status >= 500) opts.logger?.error('tiles request failed', { path: pathname, error: loggableError(e) });
      const code = errorCodeOf(e);
      if (res.headersSent) res.destroy();
      else sendText(req, res, status, publicMessageOf(e), code !== undefined ? { [ERROR_CODE_HEADER]: code } : {});
    }
    return true;
  };
}
