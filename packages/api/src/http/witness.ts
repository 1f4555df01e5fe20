/**
 * The c2sp.org/tlog-witness HTTP surface of a `@cairn/witness` Witness (docs/protocols.md §5). Statuses
 * come from the witness surface's one table, `WITNESS_ERROR_TABLE` in errors.ts (also used by the
 * witness tRPC router).
 *
 * | request | answer |
 * |---|---|
 * | `POST <prefix>/add-checkpoint` | 200 `text/plain; charset=utf-8`: only the witness's `— <name> <base64>\n` line(s) |
 * | | 409 `Content-Type: text/x.tlog.size` (exactly), body `<latest cosigned size>\n`, e.g. `3\n` |
 * | | 400/403/404/413/422/429 and 503 (+ `Retry-After`)/500: `text/plain` reason, e.g. `unknown log: …\n` |
 * | | 403 for a blocked origin names the evidence: `blocked: evidence <64 hex> proves that <origin> misbehaved; …\n` |
 * | `GET <prefix>/<hex sha256(origin)>/checkpoint` | 200 the latest cosigned note (verified log signature(s) + our cosignature), or 404 |
 * | `OPTIONS` either path | 204 with the CORS headers |
 *
 * Every answer carries `Access-Control-Allow-Origin: *` (as Sunlight). Bodies are capped at
 * `MAX_ADD_CHECKPOINT_BODY` (128 KiB): a larger declared `Content-Length` is refused with 413
 * before reading, an undeclared one is cut at the cap.
 *
 * {@link answerAddCheckpoint} gives the same answer as bytes (status, content type, body), for
 * the libp2p stream transport of add-checkpoint (@cairn/gossip stream.ts): one mapping for both.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_ADD_CHECKPOINT_BODY, TLOG_SIZE_CONTENT_TYPE, formatSizeBody, isOriginHash, readBounded } from '@cairn/formats';
import { isWitnessError, type Witness } from '@cairn/witness';
import { witnessErrorRule, witnessPublicMessage } from '../errors.js';

export { WITNESS_ERROR_TABLE, witnessErrorRule, witnessPublicMessage, type WitnessErrorRule } from '../errors.js';

/** Structured logger (JSON lines in production). */
export interface WitnessHttpLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Options of {@link createWitnessHandler}. */
export interface WitnessHandlerOptions {
  readonly witness: Witness;
  /** URL prefix of both the submission and the monitoring paths: `''` (default) or `/a/b`. */
  readonly prefix?: string;
  readonly logger?: WitnessHttpLogger | undefined;
  /** Called on each 413 (for the server's metrics): the body was declared too large, or counted so. */
  readonly onBodyTooLarge?: ((how: 'declared' | 'chunked') => void) | undefined;
}

/** Handles a request if it is one of ours (resolves true), else leaves it alone (false). */
export type WitnessHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/** CORS headers on every answer (Sunlight does the same). */
export const WITNESS_CORS_HEADERS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type',
  'Access-Control-Max-Age': '86400',
};
/** Cache-Control of the monitoring checkpoint (it changes with every cosignature). */
export const WITNESS_CHECKPOINT_CACHE_CONTROL = 'no-cache';

const ADD_CHECKPOINT = '/add-checkpoint';
const MONITOR = /^\/([0-9a-f]{64})\/checkpoint$/;

function send(res: ServerResponse, status: number, contentType: string, body: string, extra: Record<string, string> = {}): void {
  const bytes = Buffer.from(body, 'utf8');
  res.writeHead(status, { ...WITNESS_CORS_HEADERS, 'Content-Type': contentType, 'Content-Length': String(bytes.length), ...extra });
  res.end(bytes);
}

function sendText(res: ServerResponse, status: number, message: string, extra: Record<string, string> = {}): void {
  send(res, status, 'text/plain; charset=utf-8', message.endsWith('\n') ? message : message + '\n', extra);
}


/** An add-checkpoint answer as bytes: what the HTTP endpoint and the libp2p stream both send. */
export interface WitnessAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: Uint8Array;
  /** Extra HTTP headers (`Retry-After`). */
  readonly headers: Readonly<Record<string, string>>;
}

const TEXT = 'text/plain; charset=utf-8';

/** The answer for a witness error (409 with the size body, 429 with Retry-After). */
export function witnessErrorAnswer(err: unknown): WitnessAnswer {
  const rule = witnessErrorRule(err);
  if (isWitnessError(err) && err.code === 'conflict' && err.evidence.knownSize !== undefined) {
    return { status: 409, contentType: TLOG_SIZE_CONTENT_TYPE, body: Buffer.from(formatSizeBody(err.evidence.knownSize)), headers: {} };
  }
  const headers: Record<string, string> = {};
  if (isWitnessError(err) && err.evidence.retryAfterSeconds !== undefined) headers['Retry-After'] = String(err.evidence.retryAfterSeconds);
  const message = witnessPublicMessage(err);
  return { status: rule.status, contentType: TEXT, body: Buffer.from(message.endsWith('\n') ? message : message + '\n'), headers };
}

/**
 * Runs add-checkpoint on `witness` and maps the outcome through the table: 200 with the
 * cosignature lines, or the error answer. Never rejects (an internal failure is a 500).
 */
export async function answerAddCheckpoint(witness: Witness, body: Uint8Array, logger?: WitnessHttpLogger): Promise<WitnessAnswer> {
  try {
    const result = await witness.addCheckpoint(body);
    return { status: 200, contentType: TEXT, body: Buffer.from(result.cosignatures), headers: {} };
  } catch (e) {
    const rule = witnessErrorRule(e);
    if (rule.status >= 500) logger?.error('add-checkpoint failed', { error: String(e), cause: String((e as Error).cause ?? '') });
    else logger?.info('add-checkpoint refused', { status: rule.status, code: isWitnessError(e) ? e.code : undefined, reason: (e as Error).message });
    return witnessErrorAnswer(e);
  }
}

function sendAnswer(res: ServerResponse, a: WitnessAnswer): void {
  res.writeHead(a.status, { ...WITNESS_CORS_HEADERS, 'Content-Type': a.contentType, 'Content-Length': String(a.body.length), ...a.headers });
  res.end(a.body);
}

/** Sends the answer for a witness error (409 with the size body, 429 with Retry-After). */
export function sendWitnessError(res: ServerResponse, err: unknown): void {
  sendAnswer(res, witnessErrorAnswer(err));
}

/** Builds the tlog-witness handler. */
export function createWitnessHandler(opts: WitnessHandlerOptions): WitnessHandler {
  const { witness, logger } = opts;
  const prefix = opts.prefix ?? '';
  if (prefix !== '' && !/^(\/[A-Za-z0-9._~-]+)+$/.test(prefix)) {
    throw new TypeError(`prefix ${JSON.stringify(prefix)} must be '' or like '/witness'`);
  }

  async function addCheckpoint(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > MAX_ADD_CHECKPOINT_BODY) {
      opts.onBodyTooLarge?.('declared');
      sendText(res, 413, `invalid input: body exceeds the limit of ${MAX_ADD_CHECKPOINT_BODY} bytes`, { Connection: 'close' });
      return;
    }
    const read = await readBounded(req.iterator({ destroyOnReturn: false }), MAX_ADD_CHECKPOINT_BODY);
    if (!read.ok) {
      opts.onBodyTooLarge?.('chunked');
      req.resume(); // discard the rest (bounded by the request timeout), so the answer is not lost to a reset
      sendText(res, 413, `invalid input: body exceeds the limit of ${MAX_ADD_CHECKPOINT_BODY} bytes`, { Connection: 'close' });
      return;
    }
    sendAnswer(res, await answerAddCheckpoint(witness, read.bytes, logger));
  }

  async function monitor(res: ServerResponse, hash: string): Promise<void> {
    try {
      const note = await witness.checkpointByOriginHash(hash);
      send(res, 200, 'text/plain; charset=utf-8', note, { 'Cache-Control': WITNESS_CHECKPOINT_CACHE_CONTROL });
    } catch (e) {
      sendWitnessError(res, e);
    }
  }

  return async (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    if (!pathname.startsWith(prefix + '/')) return false;
    const rest = pathname.slice(prefix.length);
    const hash = MONITOR.exec(rest)?.[1];
    const isAdd = rest === ADD_CHECKPOINT;
    if (!isAdd && (hash === undefined || !isOriginHash(hash))) return false;
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...WITNESS_CORS_HEADERS, 'Content-Length': '0' });
      res.end();
      return true;
    }
    const allowed = isAdd ? 'POST' : 'GET';
    if (req.method !== allowed && !(req.method === 'HEAD' && !isAdd)) {
      sendText(res, 405, `method ${req.method} not allowed; use ${allowed}`, { Allow: `${allowed}, OPTIONS` });
      return true;
    }
    try {
      if (isAdd) await addCheckpoint(req, res);
      else await monitor(res, hash!);
    } catch (e) {
      logger?.error('witness request failed', { path: pathname, error: String(e) });
      if (res.headersSent) res.destroy();
      else sendWitnessError(res, e);
    }
    return true;
  };
}
