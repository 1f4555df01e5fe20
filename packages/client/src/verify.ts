/**
 * `@cairn/client/verify` — the verification path of Cairn's client: pure, synchronous, offline
 * and browser-safe (no `node:*` import, no `Buffer`; a test walks this module's import graph to
 * keep it so). Every function throws only {@link VerifyError}, whose `code` names the cause and
 * whose `evidence` keeps the notes and proofs involved.
 *
 * ```ts
 * import { loadPolicy, verifyProofBundle, CheckpointTracker, verifyCheckpoint } from '@cairn/client/verify';
 *
 * const policy = loadPolicy(policyText);                       // c2sp.org/tlog-policy
 * const now = Math.floor(Date.now() / 1000);                   // the caller owns the clock
 * const ok = verifyProofBundle(bundleBytes, policy, { entry, now });
 * console.log(`entry ${ok.index} is in ${ok.checkpoint.origin} at size ${ok.checkpoint.size}`);
 *
 * const tracker = new CheckpointTracker();
 * tracker.update(verifyCheckpoint(note1, policy, { now }));
 * tracker.update(verifyCheckpoint(note2, policy, { now }), consistencyProof); // from size 1 to 2
 * ```
 */
export * from './errors.js';
export { loadPolicy, policyVerifiers, type Policy } from './policy.js';
export {
  checkCosignatureTimestamp,
  DEFAULT_MAX_FUTURE_SKEW_SECONDS,
  MILLISECOND_TIMESTAMP_THRESHOLD,
} from './timestamps.js';
export {
  isVerifiedCheckpoint,
  verifyCheckpoint,
  type VerifiedCheckpoint,
  type VerifyCheckpointOptions,
  type WitnessCosignature,
} from './checkpoint.js';
export { entryLeafHash, verifyConsistencyProof, verifyInclusionProof, type CheckpointLike } from './proofs.js';
export { verifyProofBundle, type VerifiedProofBundle, type VerifyProofBundleOptions } from './bundle.js';
export { CheckpointTracker, type TrackerUpdate } from './tracker.js';
