/**
 * Consistency material for the split-view detector from a log's c2sp.org/tlog-tiles hash tiles:
 * for signed checkpoints of sizes m < n, PROOF(m, D[n]) and the root of the first m leaves, both
 * computed from the tiles of the *larger* tree, each tile authenticated against the signed root
 * of size n. The tiles are read by the one tile fetcher of `@cairn/client` (`createTilesFetcher`:
 * C2SP paths, a size cap of one full tile, a partial tile that answers 404 read from the full
 * one, a timeout per request); this module only maps its failures to the detector's
 * {@link TileFetchError} codes. No retries: a transient failure is retried by the next gossip.
 *
 * Errors: {@link TileFetchError} — `http-status` (evidence.status), `network` (fetch failed or
 * timed out), `too-large`, `bad-tile` (wrong shape, or tiles that do not hash to the signed root:
 * the log serves a tree other than the one it signed).
 */
import { createTilesFetcher, FetchError, VerifyError } from '@cairn/client';
import { TileFetchError } from './errors.js';

export const DEFAULT_TILE_TIMEOUT_MS = 5_000;

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

function tileFetchError(e: unknown): unknown {
  if (e instanceof VerifyError) return new TileFetchError('bad-tile', e.message, { cause: e });
  if (!(e instanceof FetchError)) return e;
  const evidence = { url: e.url, ...(e.status !== undefined ? { status: e.status } : {}) };
  switch (e.code) {
    case 'not-found':
    case 'http-status':
      return new TileFetchError('http-status', e.message, { cause: e, evidence });
    case 'too-large':
      return new TileFetchError('too-large', e.message, { cause: e, evidence });
    case 'bad-response':
    case 'bad-input':
      return new TileFetchError('bad-tile', e.message, { cause: e, evidence });
    default: // network, timeout, aborted
      return new TileFetchError('network', e.message, { cause: e, evidence });
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
  try {
    const tiles = createTilesFetcher(logUrl, {
      retries: 0,
      timeoutMs: options.timeoutMs ?? DEFAULT_TILE_TIMEOUT_MS,
      ...(options.fetch !== undefined ? { fetch: options.fetch } : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
    });
    return await tiles.consistencyWithPrefixRoot(m, n, rootN);
  } catch (e) {
    throw tileFetchError(e);
  }
}
