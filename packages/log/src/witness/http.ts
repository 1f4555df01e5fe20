/**
 * One tlog-witness add-checkpoint exchange over HTTP, as the log (the client) sees it
 * (c2sp.org/tlog-witness, main text 2026-07; docs/protocols.md §5.2–5.4). The bytes are built and
 * parsed by @cairn/formats; this module only moves them and sorts the answer.
 *
 * Request, `POST <submission prefix>/add-checkpoint` (the spec's example, abridged to one proof
 * line; `old 0` carries no proof lines):
 *
 * ```
 * old 20852014
 * PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=
 *
 * example.com/behind-the-sofa
 * 20852163
 * CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=
 *
 * — example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=
 * ```
 *
 * Answers:
 * - `200`: cosignature lines, `— <witness name> base64(keyID[4] || timestamp[8] || sig[64])\n`
 *   (checked by the caller, client.ts);
 * - `409` with `Content-Type: text/x.tlog.size` (media type compared exactly): the witness's
 *   size, e.g. `20852014\n`;
 * - `400`/`403`/`404`/`422` (and any other 4xx but 408/429): the witness refuses: an alarm;
 * - network errors, timeouts, `408`, `429` and `5xx`: the witness is unavailable: retry later.
 */
import { connect } from 'node:net';
import { MAX_COSIGNATURE_RESPONSE, parseSizeBody, readBounded, TLOG_SIZE_CONTENT_TYPE, FormatError } from '@cairn/formats';
import { MAX_ALARM_BODY_CHARS } from './config.js';

/** How a witness answered one add-checkpoint request. */
export type WitnessReply =
  /** 200: the raw body (cosignature lines, not yet parsed or verified). */
  | { readonly kind: 'cosigned'; readonly body: Uint8Array }
  /** 409 with a well-formed size body: the size the witness last cosigned. */
  | { readonly kind: 'conflict'; readonly size: bigint }
  /** A refusal (4xx other than 408/429), or a 409 without a well-formed size body. */
  | { readonly kind: 'rejected'; readonly status: number; readonly body: string }
  /** The request did not complete (network, timeout, abort) or the witness is overloaded (408/429/5xx). */
  | { readonly kind: 'unavailable'; readonly status?: number; readonly message: string };

/** Options of {@link postAddCheckpoint}. */
export interface PostOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/**
 * Sends one add-checkpoint body to a witness and sorts the answer; never throws. `target` is the
 * witness's configured address: its URL for HTTP ({@link postAddCheckpoint}), its `/p2p/`
 * multiaddr for the libp2p stream (stream.ts).
 */
export type WitnessTransport = (target: string, body: Uint8Array, opts: PostOptions) => Promise<WitnessReply>;

const printable = (b: Uint8Array | undefined): string => {
  if (b === undefined) return '(body too large)';
  // eslint-disable-next-line no-control-regex
  return new TextDecoder().decode(b.subarray(0, MAX_ALARM_BODY_CHARS * 4)).replace(/[\u0000-\u001f\u007f]/gu, ' ').slice(0, MAX_ALARM_BODY_CHARS).trim();
};

function mediaType(header: string | null): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * Sorts a witness answer (status, Content-Type, body capped at MAX_COSIGNATURE_RESPONSE:
 * undefined when it was longer) into a {@link WitnessReply}. Shared by every transport.
 */
export function sortWitnessAnswer(status: number, contentType: string | null, raw: Uint8Array | undefined): WitnessReply {
  if (status === 200) {
    if (raw === undefined) return { kind: 'rejected', status: 200, body: `cosignature body exceeds ${MAX_COSIGNATURE_RESPONSE} bytes` };
    return { kind: 'cosigned', body: raw };
  }
  if (status === 409) {
    if (mediaType(contentType) !== TLOG_SIZE_CONTENT_TYPE || raw === undefined) {
      return { kind: 'rejected', status: 409, body: `409 without a ${TLOG_SIZE_CONTENT_TYPE} body: ${printable(raw)}` };
    }
    try {
      return { kind: 'conflict', size: parseSizeBody(raw) };
    } catch (e) {
      if (!(e instanceof FormatError)) throw e;
      return { kind: 'rejected', status: 409, body: `malformed 409 size body (${e.message}): ${printable(raw)}` };
    }
  }
  if (status === 408 || status === 429 || status >= 500) {
    return { kind: 'unavailable', status, message: `HTTP ${status}: ${printable(raw)}` };
  }
  return { kind: 'rejected', status, body: printable(raw) };
}

/** POSTs an add-checkpoint body to `<url>/add-checkpoint` and sorts the answer. Never throws. */
export async function postAddCheckpoint(url: string, body: Uint8Array, opts: PostOptions): Promise<WitnessReply> {
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal === undefined ? timeout : AbortSignal.any([timeout, opts.signal]);
  try {
    const res = await fetch(`${url}/add-checkpoint`, { method: 'POST', body, signal, redirect: 'error' });
    const read = await readBounded(res.body, MAX_COSIGNATURE_RESPONSE, { signal });
    const raw = read.ok ? read.bytes : undefined;
    return sortWitnessAnswer(res.status, res.headers.get('content-type'), raw);
  } catch (e) {
    const err = e as Error;
    const why = timeout.aborted ? `timed out after ${opts.timeoutMs} ms` : opts.signal?.aborted ? 'aborted' : describe(err);
    return { kind: 'unavailable', message: why };
  }
}

/** The raw answer of one exchange over a stream transport (the libp2p add-checkpoint protocol). */
export interface StreamAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: Uint8Array;
}

/**
 * One add-checkpoint exchange over a stream transport: `target` is the witness's `/p2p/`
 * multiaddr. Provided by whoever runs the libp2p host (the CLI, with @cairn/gossip
 * `sendAddCheckpoint`); it may throw on transport failure.
 */
export type StreamExchange = (target: string, body: Uint8Array, signal: AbortSignal) => Promise<StreamAnswer>;

/** A {@link WitnessTransport} over a {@link StreamExchange}, sorting answers exactly as HTTP ones. */
export function streamTransport(exchange: StreamExchange): WitnessTransport {
  return async (target, body, opts) => {
    const timeout = AbortSignal.timeout(opts.timeoutMs);
    const signal = opts.signal === undefined ? timeout : AbortSignal.any([timeout, opts.signal]);
    try {
      const a = await exchange(target, body, signal);
      return sortWitnessAnswer(a.status, a.contentType, a.body.length > MAX_COSIGNATURE_RESPONSE ? undefined : a.body);
    } catch (e) {
      const why = timeout.aborted ? `timed out after ${opts.timeoutMs} ms` : opts.signal?.aborted ? 'aborted' : describe(e as Error);
      return { kind: 'unavailable', message: why };
    }
  };
}

/** A short description of a fetch failure (undici hides the socket error in `cause`). */
function describe(err: Error): string {
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return `${err.message}: ${typeof code === 'string' ? `${code} ` : ''}${cause.message}`;
  }
  return err.message;
}

/**
 * A light check that a witness can be reached again (no add-checkpoint exchange): resolves true
 * when a TCP connection to its address opens within the signal's life, false otherwise. Never
 * throws. `target` is a witness URL or a `/…/p2p/<peer ID>` multiaddr.
 */
export type ReachabilityProbe = (target: string, signal: AbortSignal) => Promise<boolean>;

/** `{ host, port }` of a witness URL or of a multiaddr's `/ip4|ip6|dns|dns4|dns6/…/tcp/…` part; undefined when it has none. */
export function tcpAddressOf(target: string): { host: string; port: number } | undefined {
  if (target.startsWith('/')) {
    const m = /^\/(ip4|ip6|dns|dns4|dns6)\/([^/]+)\/tcp\/([0-9]{1,5})(\/|$)/u.exec(target);
    if (m === null) return undefined;
    const port = Number(m[3]);
    return port > 0 && port < 65536 ? { host: m[2]!, port } : undefined;
  }
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return undefined;
  }
  const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return { host: url.hostname.replace(/^\[(.*)\]$/u, '$1'), port };
}

/** The default {@link ReachabilityProbe}: a TCP connect to the witness's address, closed at once. */
export const tcpReachable: ReachabilityProbe = (target, signal) => {
  const addr = tcpAddressOf(target);
  if (addr === undefined || signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const socket = connect({ host: addr.host, port: addr.port });
    const done = (ok: boolean) => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(ok);
    };
    const onAbort = () => done(false);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
};
