/**
 * @cairn/client — what auditors, SIEM pipelines and event producers use to check what a Cairn
 * log tells them without trusting its operator: fetch cosigned checkpoints and proofs, verify
 * them under a c2sp.org/tlog-policy (log key + witness quorum), and track checkpoints so the log
 * can only move forward.
 *
 * - `@cairn/client/verify` (also re-exported here): pure, synchronous, offline, browser-safe
 *   verification — verifyCheckpoint, verifyInclusionProof, verifyConsistencyProof,
 *   verifyProofBundle, CheckpointTracker; errors are VerifyError with a string code and evidence,
 *   mapped to exit codes in EXIT_CODES.
 * - the typed tRPC clients of the log's and witness's APIs (api-client.ts): createLogClient
 *   (submit, reads), createWitnessClient (status, evidence);
 * - fetchers (fetch.ts): createLogFetcher (tRPC), createTilesFetcher (tlog-tiles),
 *   fetchWitnessCheckpoint (a witness's monitoring GET), fetchAndVerifyEntry; every call takes an
 *   AbortSignal, times out and retries with backoff; errors are FetchError.
 * - tailing (tail.ts): verifyNewLeaves fetches the entry bundles and hash tiles a verified
 *   checkpoint added since a LeafFrontier and checks them against its root (what a monitor does).
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * import { CheckpointTracker, createLogFetcher, fetchAndVerifyEntry, loadPolicy, verifyCheckpoint } from '@cairn/client';
 *
 * const policy = loadPolicy(await readFile('policy.txt'), 'policy.txt');
 * const log = createLogFetcher('http://127.0.0.1:8080', { timeoutMs: 5_000, retries: 2 });
 * const now = Math.floor(Date.now() / 1000);
 *
 * // One entry, verified exactly as an offline .tlog-proof bundle would be.
 * const ok = await fetchAndVerifyEntry(log, 0n, policy, { entry: new TextEncoder().encode('hello'), now });
 * console.log(`entry ${ok.index} is in ${ok.checkpoint.origin} at size ${ok.checkpoint.size}`);
 *
 * // Follow the log: it may only grow, and only consistently.
 * const tracker = new CheckpointTracker([ok.checkpoint]);
 * const next = verifyCheckpoint((await log.checkpoint()).note, policy, { now });
 * const from = tracker.proofNeeded(next);
 * tracker.update(next, from === undefined ? undefined : await log.consistencyProof(from, next.size));
 * ```
 */
export * from './verify.js';
export * from './fetch.js';
export * from './tail.js';
