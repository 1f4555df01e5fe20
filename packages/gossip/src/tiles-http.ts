/**
 * Consistency material from a log's c2sp.org/tlog-tiles hash tiles over HTTP: for signed
 * checkpoints of sizes m < n, PROOF(m, D[n]) and the root of the first m leaves, both computed
 * from the tiles of the *larger* tree, each tile authenticated against the signed root of size n
 * (@cairn/merkle `tileNodeReader(n, readTiles, { root })`). Used by the split-view detector.
 *
 * The merkle reader is synchronous, so this runs it in rounds: a round reads tiles from a local
 * cache and records the ones missing; they are fetched (in parallel, `GET <logUrl>/tile/<L>/<N>
 * [.p/<W>]`, each with a timeout and a size cap of one full tile; a 404 for a partial tile falls
 * back to the full tile, which logs may serve instead once it exists) and the round repeats.
 * A proof needs at most a few rounds (partial tiles, then full tiles up their parent chains).
 *
 * Errors: {@link TileFetchError} — `http-status` (evidence.status), `network` (fetch failed or
 * timed out), `too-large`, `bad-tile` (wrong shape, or tiles that do not hash to the signed root:
 * the log serves a tree other than the one it signed), `too-many-rounds`.
 */
import { FULL_TILE_BYTES, MerkleError, TILE_WIDTH, consistencyProof, formatTilePath, rootHash, tileNodeReader, type TileRef } from '@cairn/merkle';
import { TileFetchError } from './errors.js';

export const DEFAULT_TILE_TIMEOUT_MS = 5_000;
const MAX_ROUNDS = 8;

export interface TileFetchOptions {
  readonly fetch?: typeof fetch;
  readonly signal?: AbortSignal;
  /** Per-request timeout. */
  readonly timeoutMs?: number;
}

export interface TileConsistency {
  readonly proof: Uint8Array[];
  /** MTH of the first m leaves of the log's tree at size n. */
  readonly prefixRoot: Uint8Array;
}

const MISSING = Symbol('missing tiles');

async function readCapped(res: Response, cap: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > cap) throw new TileFetchError('too-large', `tile body of ${declared} bytes`);
  if (res.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    total += chunk.length;
    if (total > cap) throw new TileFetchError('too-large', `tile body larger than ${cap} bytes`);
    chunks.push(chunk);
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

async function getTile(base: string, ref: TileRef, options: TileFetchOptions): Promise<Uint8Array> {
  const doFetch = options.fetch ?? fetch;
  const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TILE_TIMEOUT_MS);
  const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
  const url = `${base}/${formatTilePath(ref)}`;
  let res: Response;
  try {
    res = await doFetch(url, { signal });
  } catch (cause) {
    throw new TileFetchError('network', `GET ${url} failed`, { cause, evidence: { url } });
  }
  if (res.status === 404 && ref.width < TILE_WIDTH) {
    await res.body?.cancel();
    return getTile(base, { ...ref, width: TILE_WIDTH }, options);
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new TileFetchError('http-status', `GET ${url} answered ${res.status}`, { evidence: { url, status: res.status } });
  }
  try {
    return await readCapped(res, FULL_TILE_BYTES);
  } catch (cause) {
    if (cause instanceof TileFetchError) throw cause;
    throw new TileFetchError('network', `reading ${url} failed`, { cause, evidence: { url } });
  }
}

/**
 * PROOF(m, D[n]) and MTH(D[0:m]) from the log at `logUrl` (its tlog-tiles prefix), whose
 * tiles must hash to `rootN`, the signed root of size n. Requires 0 < m < n.
 */
export async function consistencyFromTiles(
  logUrl: string,
  m: bigint,
  n: bigint,
  rootN: Uint8Array,
  options: TileFetchOptions = {},
): Promise<TileConsistency> {
  const base = logUrl.replace(/\/+$/, '');
  const cache = new Map<string, Uint8Array>();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const missing = new Map<string, TileRef>();
    const reader = tileNodeReader(
      n,
      (refs) => {
        const out: Uint8Array[] = [];
        for (const ref of refs) {
          const k = formatTilePath(ref);
          const data = cache.get(k);
          if (data === undefined) missing.set(k, ref);
          else out.push(data);
        }
        if (missing.size > 0) throw MISSING;
        return out;
      },
      { root: rootN },
    );
    try {
      return { proof: consistencyProof(m, n, reader), prefixRoot: rootHash(m, reader) };
    } catch (e) {
      if (e !== MISSING) {
        if (e instanceof MerkleError) throw new TileFetchError('bad-tile', `the log's tiles for size ${n}: ${e.message}`, { cause: e });
        throw e;
      }
    }
    options.signal?.throwIfAborted();
    const fetched = await Promise.all([...missing].map(async ([k, ref]) => [k, await getTile(base, ref, options)] as const));
    for (const [k, data] of fetched) cache.set(k, data);
  }
  throw new TileFetchError('too-many-rounds', `tiles for a proof ${m}→${n} still incomplete after ${MAX_ROUNDS} rounds`);
}
