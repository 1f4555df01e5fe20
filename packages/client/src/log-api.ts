/**
 * Reads from a Cairn log's tRPC API (`<url>/trpc`, packages/api routers/log.ts) through the typed
 * client of api-client.ts, whose requests go through http.ts (retries, timeouts, caps). The wire is tRPC 11's HTTP link without
 * a transformer: `GET <url>/trpc/log.inclusionProof?input=<URI-encoded JSON>` answers
 * `{"result":{"data":{"index":"5","treeSize":"9","proof":["<base64>",…],"checkpoint":"…"}}}`;
 * errors answer `{"error":{"message":…,"data":{"httpStatus":404,"cairnCode":"beyond-tree",…}}}`.
 *
 * Every answer is validated strictly before it is returned (canonical decimals, canonical base64
 * of the right length, bounded arrays); anything else is a {@link FetchError} `bad-response`.
 * Nothing fetched is trusted: verify notes and proofs with `@cairn/client/verify`.
 */
import { decodeBase64Strict, encodeBase64, FormatError, MAX_INT63, MAX_NOTE_SIZE, MAX_PROOF_BUNDLE_SIZE, parseDecimal, utf8DecodeStrict, utf8Encode } from '@cairn/formats';
import { FetchError } from './errors.js';
import { TRPCClientError } from '@trpc/client';
import { createLogClient, LOG_TRPC_PATH } from './api-client.js';
import { boundedFetch, httpConfig, joinUrl, type CallOptions, type FetchOptions } from './http.js';

/** Largest tRPC answer accepted (256 base64 entries of 64 KiB, plus JSON). */
export const MAX_TRPC_RESPONSE_BYTES = 24 * 1024 * 1024;
/** Most proof hashes accepted in an answer. */
const MAX_PROOF_HASHES = 64;
/** Longest base64 entry: 65,535 bytes (the tlog-tiles entry limit) is 87,380 characters. */
const MAX_ENTRY_BASE64 = 87_380;
/** Most entries accepted in one `entries` answer (the server's MAX_ENTRIES_RANGE). */
const MAX_ENTRIES = 256;

/** The log's latest checkpoint as served. `note` is exact; size and root are the server's claim. */
export interface FetchedCheckpoint {
  readonly note: string;
  readonly size: bigint;
  readonly rootHash: Uint8Array;
  /** When the log signed it, ms since the epoch (the server's claim). */
  readonly time: number;
}

/** An inclusion proof as served. `checkpoint` is set when no tree size was asked for. */
export interface FetchedInclusionProof {
  readonly index: bigint;
  readonly treeSize: bigint;
  readonly proof: Uint8Array[];
  readonly checkpoint?: string;
}

/** A tlog-proof bundle as served. */
export interface FetchedProofBundle {
  readonly index: bigint;
  readonly treeSize: bigint;
  readonly bundle: Uint8Array;
}

/** The log's status. */
export interface FetchedLogStatus {
  readonly origin: string;
  readonly verifierKey: string;
  readonly size: bigint;
  readonly sequencedSize: bigint;
  readonly lastCheckpointTime: number | null;
  readonly queueDepth: number;
  readonly halted: string | null;
}

/** Reads of one log. Every method takes `{ signal }` and throws only {@link FetchError}. */
export interface LogFetcher {
  readonly url: string;
  checkpoint(opts?: CallOptions): Promise<FetchedCheckpoint>;
  entry(index: bigint, opts?: CallOptions): Promise<Uint8Array>;
  entries(from: bigint, to: bigint, opts?: CallOptions): Promise<Uint8Array[]>;
  inclusionProof(by: { index: bigint } | { leafHash: Uint8Array }, treeSize?: bigint, opts?: CallOptions): Promise<FetchedInclusionProof>;
  consistencyProof(m: bigint, n: bigint, opts?: CallOptions): Promise<Uint8Array[]>;
  proofBundle(index: bigint, opts?: CallOptions): Promise<FetchedProofBundle>;
  status(opts?: CallOptions): Promise<FetchedLogStatus>;
}

type Json = Record<string, unknown>;

function bad(url: string, what: string, cause?: unknown): FetchError {
  return new FetchError('bad-response', `unexpected answer from ${url}: ${what}`, { url, ...(cause !== undefined ? { cause } : {}) });
}

/** Field readers that throw `bad-response`. */
class Reader {
  constructor(readonly url: string, readonly obj: Json) {}
  str(k: string, max = MAX_NOTE_SIZE): string {
    const v = this.obj[k];
    if (typeof v !== 'string' || v.length > max) throw bad(this.url, `"${k}" is not a string of at most ${max} characters`);
    return v;
  }
  dec(k: string): bigint {
    try {
      return parseDecimal(this.str(k, 20), MAX_INT63);
    } catch (e) {
      throw e instanceof FetchError ? e : bad(this.url, `"${k}" is not a canonical decimal`, e);
    }
  }
  b64(k: string, len?: number, max = MAX_NOTE_SIZE): Uint8Array {
    return b64(this.url, this.str(k, max), k, len);
  }
  hashes(k: string, maxCount = MAX_PROOF_HASHES): Uint8Array[] {
    const v = this.obj[k];
    if (!Array.isArray(v) || v.length > maxCount) throw bad(this.url, `"${k}" is not a list of at most ${maxCount} hashes`);
    return v.map((h, i) => b64(this.url, typeof h === 'string' && h.length === 44 ? h : '', `${k}[${i}]`, 32));
  }
  num(k: string): number {
    const v = this.obj[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw bad(this.url, `"${k}" is not a non-negative integer`);
    return v;
  }
  nullable<T>(k: string, read: () => T): T | null {
    return this.obj[k] === null || this.obj[k] === undefined ? null : read();
  }
}

function b64(url: string, s: string, what: string, len?: number): Uint8Array {
  try {
    return decodeBase64Strict(s, len);
  } catch (e) {
    if (e instanceof FormatError) throw bad(url, `"${what}" is not canonical base64${len !== undefined ? ` of ${len} bytes` : ''}`, e);
    throw e;
  }
}

function dec(n: bigint): string {
  if (typeof n !== 'bigint' || n < 0n || n > MAX_INT63) throw new FetchError('bad-input', `${String(n)} is not a bigint in 0..2^63−1`, { url: '' });
  return n.toString();
}

/** Runs one typed tRPC query and wraps its `data` for the field readers. */
async function call(base: string, proc: string, run: () => Promise<unknown>): Promise<Reader> {
  const url = `${base}${LOG_TRPC_PATH}/${proc}`;
  let data: unknown;
  try {
    data = await run();
  } catch (e) {
    const cause = e instanceof TRPCClientError ? e.cause : e;
    if (cause instanceof FetchError) throw withServerMessage(cause, proc);
    throw bad(url, e instanceof TRPCClientError ? e.message : 'no tRPC answer', e);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw bad(url, 'no result.data object');
  return new Reader(url, data as Json);
}

/** Replaces "HTTP 404: {json}" by the server's message and Cairn error code. */
function withServerMessage(e: FetchError, proc: string): FetchError {
  if (e.body === undefined || e.status === undefined) return e;
  let message: string | undefined;
  let code: string | undefined;
  try {
    const doc = JSON.parse(utf8DecodeStrict(e.body)) as { error?: { message?: unknown; data?: { cairnCode?: unknown } } };
    if (typeof doc.error?.message === 'string') message = doc.error.message.slice(0, 300);
    if (typeof doc.error?.data?.cairnCode === 'string') code = doc.error.data.cairnCode.slice(0, 40);
  } catch {
    return e;
  }
  if (message === undefined) return e;
  return new FetchError(e.code, `${proc}: ${message} (HTTP ${e.status}${code !== undefined ? `, ${code}` : ''})`, {
    url: e.url,
    status: e.status,
    attempts: e.attempts,
    body: e.body,
    ...(code !== undefined ? { serverCode: code } : {}),
    cause: e,
  });
}

/**
 * A fetcher for the log at `url` (the server root, e.g. `http://127.0.0.1:8080`; tRPC lives at
 * `/trpc` below it).
 */
export function createLogFetcher(url: string, options: FetchOptions = {}): LogFetcher {
  const cfg = httpConfig(options);
  joinUrl(url, ''); // validates the URL
  const base = url.replace(/\/+$/, '');
  const api = createLogClient(base, { fetch: boundedFetch(cfg, MAX_TRPC_RESPONSE_BYTES, 'application/json') }).log;
  const sig = (opts: CallOptions | undefined) => (opts?.signal !== undefined ? { signal: opts.signal } : {});
  return {
    url: base,
    async checkpoint(opts) {
      const r = await call(base, 'log.checkpoint', () => api.checkpoint.query(undefined, sig(opts)));
      return { note: r.str('note'), size: r.dec('size'), rootHash: r.b64('rootHash', 32), time: r.num('time') };
    },
    async entry(index, opts) {
      const r = await call(base, 'log.entry', () => api.entry.query({ index: dec(index) }, sig(opts)));
      if (r.dec('index') !== index) throw bad(r.url, 'answer is for another index');
      return r.b64('data', undefined, MAX_ENTRY_BASE64);
    },
    async entries(from, to, opts) {
      const r = await call(base, 'log.entries', () => api.entries.query({ from: dec(from), to: dec(to) }, sig(opts)));
      const list = r.obj['entries'];
      if (r.dec('from') !== from || !Array.isArray(list) || list.length > MAX_ENTRIES || BigInt(list.length) !== to - from) {
        throw bad(r.url, `not the ${to - from} entries asked for`);
      }
      return list.map((s, i) => b64(r.url, typeof s === 'string' && s.length <= MAX_ENTRY_BASE64 ? s : '', `entries[${i}]`));
    },
    async inclusionProof(by, treeSize, opts) {
      let input: { index: string; treeSize?: string } | { leafHash: string; treeSize?: string };
      if ('index' in by) input = { index: dec(by.index) };
      else if (by.leafHash instanceof Uint8Array && by.leafHash.length === 32) input = { leafHash: encodeBase64(by.leafHash) };
      else throw new FetchError('bad-input', 'leafHash must be 32 bytes', { url: base });
      if (treeSize !== undefined) input = { ...input, treeSize: dec(treeSize) };
      const r = await call(base, 'log.inclusionProof', () => api.inclusionProof.query(input, sig(opts)));
      const out = { index: r.dec('index'), treeSize: r.dec('treeSize'), proof: r.hashes('proof') };
      if ('index' in by && out.index !== by.index) throw bad(r.url, 'answer is for another index');
      if (treeSize !== undefined && out.treeSize !== treeSize) throw bad(r.url, 'answer is for another tree size');
      const checkpoint = r.nullable('checkpoint', () => r.str('checkpoint'));
      return checkpoint === null ? out : { ...out, checkpoint };
    },
    async consistencyProof(m, n, opts) {
      const r = await call(base, 'log.consistencyProof', () => api.consistencyProof.query({ m: dec(m), n: dec(n) }, sig(opts)));
      if (r.dec('m') !== m || r.dec('n') !== n) throw bad(r.url, 'answer is for other sizes');
      return r.hashes('proof');
    },
    async proofBundle(index, opts) {
      const r = await call(base, 'log.proofBundle', () => api.proofBundle.query({ index: dec(index) }, sig(opts)));
      if (r.dec('index') !== index) throw bad(r.url, 'answer is for another index');
      return { index, treeSize: r.dec('treeSize'), bundle: utf8Encode(r.str('bundle', MAX_PROOF_BUNDLE_SIZE)) };
    },
    async status(opts) {
      const r = await call(base, 'log.status', () => api.status.query(undefined, sig(opts)));
      return {
        origin: r.str('origin', 4096),
        verifierKey: r.str('verifierKey', 4096),
        size: r.dec('size'),
        sequencedSize: r.dec('sequencedSize'),
        lastCheckpointTime: r.nullable('lastCheckpointTime', () => r.num('lastCheckpointTime')),
        queueDepth: r.num('queueDepth'),
        halted: r.nullable('halted', () => r.str('halted', 4096)),
      };
    },
  };
}
