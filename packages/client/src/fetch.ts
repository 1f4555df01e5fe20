/**
 * Fetchers: everything @cairn/client reads from the network, each call with an `AbortSignal`, a
 * timeout per attempt and bounded retries with backoff (http.ts); failures are FetchErrors.
 *
 * - {@link createLogFetcher}: the log's tRPC API (checkpoint, entry, entries, inclusion and
 *   consistency proofs, proof bundle, status);
 * - {@link createTilesFetcher}: the log's tlog-tiles (checkpoint, hash tiles, entry bundles, and
 *   proofs built from tiles checked against a verified root);
 * - {@link fetchWitnessCheckpoint}: a witness's `GET <prefix>/<origin hash>/checkpoint`;
 * - {@link fetchAndVerifyEntry}: fetch a proof bundle and verify it as an offline bundle would be.
 *
 * Nothing fetched is trusted until it went through `@cairn/client/verify`.
 */
import type { Policy } from '@cairn/formats';
import { verifyProofBundle, type VerifiedProofBundle, type VerifyProofBundleOptions } from './bundle.js';
import type { CallOptions } from './http.js';
import type { LogFetcher } from './log-api.js';

export {
  DEFAULT_BACKOFF_MS,
  DEFAULT_RETRIES,
  DEFAULT_TIMEOUT_MS,
  MAX_BACKOFF_MS,
  MAX_RETRIES,
  type CallOptions,
  type FetchOptions,
} from './http.js';
export {
  createLogFetcher,
  LOG_TRPC_PATH,
  MAX_TRPC_RESPONSE_BYTES,
  type FetchedCheckpoint,
  type FetchedInclusionProof,
  type FetchedLogStatus,
  type FetchedProofBundle,
  type LogFetcher,
} from './log-api.js';
export { createTilesFetcher, TILE_FETCH_CONCURRENCY, type TilesFetcher } from './tiles.js';
export { fetchWitnessCheckpoint, witnessCheckpointUrl } from './witness-api.js';

/** A bundle fetched from the log and verified; `entry` is set when it was fetched too. */
export interface FetchedVerifiedEntry extends VerifiedProofBundle {
  /** The bundle bytes as served (save them: they verify offline). */
  readonly bundle: Uint8Array;
  /** The entry bytes, when the caller gave them or they were fetched from the log. */
  readonly entry?: Uint8Array;
  /** Whether the entry bytes came from the log rather than from the caller. */
  readonly entryFromLog: boolean;
}

/**
 * Fetches the proof bundle of entry `index` from the log and verifies it exactly like an offline
 * bundle (verifyProofBundle). Without `entry` or `leafHash` the entry is fetched from the log too
 * (this then proves the log's own entry is in its verified tree, nothing about which bytes you
 * expected). Throws FetchError or VerifyError.
 */
export async function fetchAndVerifyEntry(
  log: LogFetcher,
  index: bigint,
  policy: Policy,
  opts: Omit<VerifyProofBundleOptions, 'index'> & CallOptions,
): Promise<FetchedVerifiedEntry> {
  const call = opts.signal !== undefined ? { signal: opts.signal } : {};
  const needEntry = opts.entry === undefined && opts.leafHash === undefined;
  const [bundle, fetchedEntry] = await Promise.all([log.proofBundle(index, call), needEntry ? log.entry(index, call) : undefined]);
  const entry = opts.entry ?? fetchedEntry;
  const verified = verifyProofBundle(bundle.bundle, policy, { ...opts, ...(entry !== undefined ? { entry } : {}), index });
  return { ...verified, bundle: bundle.bundle, ...(entry !== undefined ? { entry } : {}), entryFromLog: needEntry };
}
