/**
 * Fetchers: everything @cairn/client reads from the network, each call with an `AbortSignal`, a
 * timeout per attempt and bounded retries with backoff (http.ts); failures are FetchErrors.
 *
 * - {@link createLogClient} / {@link createWitnessClient}: the typed tRPC clients of the log's and
 *   the witness's APIs (submit, evidence, …; answers are the server's claim, plain fetch);
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
import { bytesEqual } from '@cairn/merkle';
import { verifyProofBundle, type VerifiedProofBundle, type VerifyProofBundleOptions } from './bundle.js';
import { FetchError, logDataErrorOf, SERVER_CODE_BEYOND_TREE, VerifyError } from './errors.js';
import type { CallOptions } from './http.js';
import type { FetchedProofBundle, LogFetcher } from './log-api.js';

export {
  certificateProblem,
  DEFAULT_BACKOFF_MS,
  DEFAULT_RETRIES,
  DEFAULT_TIMEOUT_MS,
  MAX_BACKOFF_MS,
  MAX_RETRIES,
  systemErrorCode,
  type CallOptions,
  type FetchOptions,
} from './http.js';
export {
  createLogClient,
  createWitnessClient,
  LOG_TRPC_PATH,
  WITNESS_TRPC_PATH,
  type ApiClientOptions,
  type LogClient,
  type WitnessClient,
} from './api-client.js';
export { FetchEventSource, type FetchEventSourceInit } from './event-source.js';
export {
  createLogFetcher,
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
 * expected; an entry its own proof does not prove is `bad-log-data`, as is the log answering that
 * its stored data failed its integrity check). Throws FetchError or VerifyError.
 */
export async function fetchAndVerifyEntry(
  log: LogFetcher,
  index: bigint,
  policy: Policy,
  opts: Omit<VerifyProofBundleOptions, 'index'> & CallOptions,
): Promise<FetchedVerifiedEntry> {
  const call = opts.signal !== undefined ? { signal: opts.signal } : {};
  const needEntry = opts.entry === undefined && opts.leafHash === undefined;
  let bundle: FetchedProofBundle;
  let fetchedEntry: Uint8Array | undefined;
  try {
    [bundle, fetchedEntry] = await Promise.all([log.proofBundle(index, call), needEntry ? log.entry(index, call) : undefined]);
  } catch (e) {
    throw logDataErrorOf(e) ?? (await notYetCosigned(log, index, e, call)) ?? e;
  }
  const entry = opts.entry ?? fetchedEntry;
  let verified: VerifiedProofBundle;
  try {
    verified = verifyProofBundle(bundle.bundle, policy, { ...opts, ...(entry !== undefined ? { entry } : {}), index });
  } catch (e) {
    // The entry and its proof both came from the log, under a checkpoint that verified: if they
    // do not agree, the log's data is wrong (nothing is known about which bytes were logged).
    // The caller's entry is not proven: if the log holds other bytes at that index and the same
    // verified proof proves those, the caller has the wrong entry (entry-mismatch), which says
    // nothing against the log. A log whose own entry is not proven either keeps the failure.
    if (!needEntry && opts.entry !== undefined && e instanceof VerifyError && e.code === 'inclusion-failed') {
      let logged: Uint8Array | undefined;
      try {
        logged = await log.entry(index, call);
        verifyProofBundle(bundle.bundle, policy, { ...opts, entry: logged, index });
      } catch {
        logged = undefined; // keep the inclusion failure
      }
      if (logged !== undefined && !bytesEqual(logged, opts.entry)) {
        throw new VerifyError('entry-mismatch', `the entry given differs from the entry logged at index ${index}`, {
          ...e.evidence, index, url: log.url,
        }, { cause: e });
      }
    }
    if (needEntry && e instanceof VerifyError && e.code === 'inclusion-failed') {
      throw new VerifyError('bad-log-data', `the log's data is wrong: the entry it serves at index ${index} is not proven by the proof it serves (${e.message})`, {
        ...e.evidence, problem: e.message, url: log.url,
      }, { cause: e });
    }
    throw e;
  }
  return { ...verified, bundle: bundle.bundle, ...(entry !== undefined ? { entry } : {}), entryFromLog: needEntry };
}

/**
 * A proof bundle refused as beyond the served tree for an entry the log does hold: the entry is
 * logged, but the cosigned checkpoint the log serves does not cover it yet (its witnesses are
 * slow or unreachable). That is `quorum-not-met` in words a person can act on; anything else is
 * undefined (the original error stands).
 */
async function notYetCosigned(log: LogFetcher, index: bigint, e: unknown, call: CallOptions): Promise<VerifyError | undefined> {
  if (!(e instanceof FetchError) || e.serverCode !== SERVER_CODE_BEYOND_TREE) return undefined;
  try {
    await log.entry(index, call);
  } catch {
    return undefined; // not logged at all: "not in the tree" is the truth
  }
  return new VerifyError('quorum-not-met', `logged at index ${index} but not yet cosigned (witnesses unreachable?): the log's cosigned checkpoint does not cover it yet`, {
    index, url: log.url,
  }, { cause: e });
}
