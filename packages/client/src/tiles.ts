/**
 * Reads a log's C2SP tlog-tiles (https://c2sp.org/tlog-tiles, docs/protocols.md §6) at its URL prefix:
 *
 * | resource | path | checked here |
 * |---|---|---|
 * | checkpoint | `<prefix>/checkpoint` | size cap, UTF-8 (verify it with verifyCheckpoint) |
 * | hash tile | `<prefix>/tile/<L>/<N>[.p/<W>]` | exactly W·32 bytes (8192 when full), else `bad-log-data` |
 * | entry bundle | `<prefix>/tile/entries/<N>[.p/<W>]` | exactly W entries (parseEntryBundle), else `bad-log-data` |
 *
 * Paths come from `formatTilePath` of @cairn/merkle (`tile/0/x001/234.p/7`). A partial tile or
 * bundle that answers 404 is fetched full instead (logs MAY delete partial tiles once the full
 * one exists) and cut to W. `inclusionProof` / `consistencyProof` build proofs from tiles with
 * `tileNodeReader` given the trusted root, so every tile used is checked against the verified
 * checkpoint first: a log serving tiles that disagree with its signed root fails with
 * {@link VerifyError} (`inclusion-failed` / `consistency-failed`), not with a wrong proof. A tile of
 * the wrong size, a bundle that does not parse, or an answer that the log's stored copy failed
 * its integrity check is a {@link VerifyError} `bad-log-data` naming the tile path and the problem.
 */
import {
  FormatError,
  MAX_BUNDLE_SIZE,
  MAX_NOTE_SIZE,
  parseEntryBundle,
  utf8DecodeStrict,
} from '@cairn/formats';
import {
  consistencyProof,
  FULL_TILE_BYTES,
  HASH_SIZE,
  inclusionProof,
  MerkleError,
  rootHash,
  TILE_WIDTH,
  tileNodeReader,
  tileWidth,
  formatTilePath,
  type NodeReader,
  type TileRef,
} from '@cairn/merkle';
import { FetchError, logDataErrorOf, VerifyError } from './errors.js';
import { httpConfig, httpGet, joinUrl, type CallOptions, type FetchOptions, type HttpConfig } from './http.js';

/** Tiles fetched at once. */
export const TILE_FETCH_CONCURRENCY = 8;
/** Rounds of "compute, fetch what was missing" before giving up (a proof needs at most 3). */
const MAX_TILE_ROUNDS = 8;

/** Reads of one tiled log. Methods take `{ signal }`; fetch failures are {@link FetchError}s. */
export interface TilesFetcher {
  readonly prefix: string;
  /** The checkpoint note text, unverified. */
  checkpoint(opts?: CallOptions): Promise<string>;
  /** Hash tile bytes, exactly `ref.width` × 32. */
  tile(ref: TileRef, opts?: CallOptions): Promise<Uint8Array>;
  /** The `width` entries of bundle `index`. */
  entryBundle(index: bigint, width: number, opts?: CallOptions): Promise<Uint8Array[]>;
  /** Entry `index` of the tree of `size` (from its bundle; check it with an inclusion proof). */
  entry(index: bigint, size: bigint, opts?: CallOptions): Promise<Uint8Array>;
  /** PATH(index, size) from tiles checked against `root` (the verified checkpoint's). */
  inclusionProof(index: bigint, size: bigint, root: Uint8Array, opts?: CallOptions): Promise<Uint8Array[]>;
  /** PROOF(m, n) from tiles checked against `root` of size n. */
  consistencyProof(m: bigint, n: bigint, root: Uint8Array, opts?: CallOptions): Promise<Uint8Array[]>;
  /**
   * PROOF(m, n) and MTH of the first m leaves, both from the tiles of the tree of size n checked
   * against its `root` (0 < m < n): what a split-view check compares with a signed root of size m.
   */
  consistencyWithPrefixRoot(m: bigint, n: bigint, root: Uint8Array, opts?: CallOptions): Promise<{ proof: Uint8Array[]; prefixRoot: Uint8Array }>;
}

const MISSING = Symbol('missing tiles');

async function inBatches<T, R>(items: readonly T[], f: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += TILE_FETCH_CONCURRENCY) out.push(...(await Promise.all(items.slice(i, i + TILE_FETCH_CONCURRENCY).map(f))));
  return out;
}

/** An entry bundle's coordinates, as formatTilePath takes them. */
type EntriesRef = { readonly entries: true; readonly index: bigint; readonly width: number };

async function getWithFullFallback(cfg: HttpConfig, prefix: string, ref: TileRef | EntriesRef, max: number, opts?: CallOptions): Promise<{ body: Uint8Array; full: boolean }> {
  try {
    return { body: (await httpGet(cfg, { url: joinUrl(prefix, formatTilePath(ref)), maxBytes: max }, opts)).body, full: ref.width === TILE_WIDTH };
  } catch (e) {
    if (!(e instanceof FetchError) || e.code !== 'not-found' || ref.width === TILE_WIDTH) throw e;
  }
  const full = { ...ref, width: TILE_WIDTH };
  return { body: (await httpGet(cfg, { url: joinUrl(prefix, formatTilePath(full)), maxBytes: max }, opts)).body, full: true };
}

function checkRef(level: number, index: bigint, width: number, prefix: string): void {
  if (!Number.isInteger(level) || level < 0 || level > 63 || typeof index !== 'bigint' || index < 0n || !Number.isInteger(width) || width < 1 || width > TILE_WIDTH) {
    throw new FetchError('bad-input', `not a tile: level ${String(level)}, index ${String(index)}, width ${String(width)}`, { url: prefix });
  }
}

/** A fetcher for the tiled log at `prefix` (e.g. `http://127.0.0.1:8080` or `https://log.example/tevere`). */
export function createTilesFetcher(prefix: string, options: FetchOptions = {}): TilesFetcher {
  const cfg = httpConfig(options);
  joinUrl(prefix, '');
  const base = prefix.replace(/\/+$/, '');

  /** GETs a tile or bundle; the log answering that its stored copy is corrupt is `bad-log-data`. */
  const get = async (ref: TileRef | EntriesRef, max: number, opts?: CallOptions): Promise<{ body: Uint8Array; full: boolean }> => {
    try {
      return await getWithFullFallback(cfg, base, ref, max, opts);
    } catch (e) {
      throw logDataErrorOf(e, formatTilePath(ref)) ?? e;
    }
  };

  const tile = async (ref: TileRef, opts?: CallOptions): Promise<Uint8Array> => {
    checkRef(ref.level, ref.index, ref.width, base);
    const { body, full } = await get(ref, FULL_TILE_BYTES, opts);
    const want = (full ? TILE_WIDTH : ref.width) * HASH_SIZE;
    if (body.length !== want) throw badData(ref, `it has ${body.length} bytes, a tile of width ${want / HASH_SIZE} has ${want}`);
    return body.subarray(0, ref.width * HASH_SIZE);
  };

  const entryBundle = async (index: bigint, width: number, opts?: CallOptions): Promise<Uint8Array[]> => {
    checkRef(0, index, width, base);
    const ref = { entries: true as const, index, width };
    const { body, full } = await get(ref, MAX_BUNDLE_SIZE, opts);
    try {
      return parseEntryBundle(body, full ? TILE_WIDTH : width).slice(0, width);
    } catch (e) {
      if (e instanceof FormatError) throw badData(full ? { ...ref, width: TILE_WIDTH } : ref, e.message, e);
      throw e;
    }
  };

  /** The log served a malformed tile or bundle (a 2xx answer): its data is wrong. */
  const badData = (ref: TileRef | EntriesRef, problem: string, cause?: unknown): VerifyError => {
    const path = formatTilePath(ref);
    return new VerifyError('bad-log-data', `the log's data is wrong: it served ${path} malformed: ${problem}`, {
      tile: path, problem, url: joinUrl(base, path),
    }, cause === undefined ? undefined : { cause });
  };

  /** Runs a synchronous proof computation, fetching the tiles it turns out to need. */
  const withTiles = async <T>(size: bigint, root: Uint8Array, compute: (r: NodeReader) => T, code: 'inclusion-failed' | 'consistency-failed', opts?: CallOptions): Promise<T> => {
    const have = new Map<string, Uint8Array>();
    const key = (r: TileRef): string => `${r.level}/${r.index}/${r.width}`;
    for (let round = 0; round < MAX_TILE_ROUNDS; round++) {
      const missing: TileRef[] = [];
      const reader = tileNodeReader(size, (refs) => {
        for (const r of refs) if (!have.has(key(r))) missing.push(r);
        if (missing.length > 0) throw MISSING;
        return refs.map((r) => have.get(key(r))!);
      }, { root });
      try {
        return compute(reader);
      } catch (e) {
        if (e !== MISSING) {
          if (e instanceof MerkleError) {
            throw new VerifyError(code, `the log's tiles do not match the verified root of size ${size}: ${e.message} (${e.code})`, { size }, { cause: e });
          }
          throw e;
        }
      }
      const got = await inBatches(missing, (r) => tile(r, opts));
      missing.forEach((r, i) => have.set(key(r), got[i]!));
    }
    throw new FetchError('bad-response', `proof needs more than ${MAX_TILE_ROUNDS} rounds of tiles`, { url: base });
  };

  return {
    prefix: base,
    async checkpoint(opts) {
      const url = joinUrl(base, 'checkpoint');
      const { body } = await httpGet(cfg, { url, maxBytes: MAX_NOTE_SIZE, accept: 'text/plain' }, opts);
      try {
        return utf8DecodeStrict(body);
      } catch (e) {
        throw new FetchError('bad-response', 'checkpoint is not UTF-8', { url, cause: e });
      }
    },
    tile,
    entryBundle,
    async entry(index, size, opts) {
      if (typeof index !== 'bigint' || typeof size !== 'bigint' || index < 0n || index >= size) {
        throw new FetchError('bad-input', `entry ${String(index)} is not in a tree of size ${String(size)}`, { url: base });
      }
      const bundle = index >> 8n;
      const entries = await entryBundle(bundle, tileWidth(size, 0, bundle), opts);
      return entries[Number(index & 255n)]!;
    },
    inclusionProof(index, size, root, opts) {
      if (typeof index !== 'bigint' || typeof size !== 'bigint' || index < 0n || index >= size) {
        return Promise.reject(new FetchError('bad-input', `entry ${String(index)} is not in a tree of size ${String(size)}`, { url: base }));
      }
      return withTiles(size, root, (r) => inclusionProof(index, size, r), 'inclusion-failed', opts);
    },
    consistencyProof(m, n, root, opts) {
      if (typeof m !== 'bigint' || typeof n !== 'bigint' || m < 0n || m > n) {
        return Promise.reject(new FetchError('bad-input', `no consistency proof from ${String(m)} to ${String(n)}`, { url: base }));
      }
      if (m === 0n || m === n) return Promise.resolve([]);
      return withTiles(n, root, (r) => consistencyProof(m, n, r), 'consistency-failed', opts);
    },
    consistencyWithPrefixRoot(m, n, root, opts) {
      if (typeof m !== 'bigint' || typeof n !== 'bigint' || m <= 0n || m >= n) {
        return Promise.reject(new FetchError('bad-input', `no prefix proof from ${String(m)} to ${String(n)} (0 < m < n)`, { url: base }));
      }
      return withTiles(n, root, (r) => ({ proof: consistencyProof(m, n, r), prefixRoot: rootHash(m, r) }), 'consistency-failed', opts);
    },
  };
}
