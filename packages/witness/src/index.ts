/**
 * @cairn/witness — a c2sp.org/tlog-witness witness: verifies add-checkpoint requests from trusted
 * logs (docs/protocols.md §5.3, spec main 2026-07), checks consistency with the latest checkpoint it
 * cosigned, stores the new one with a durable compare-and-swap and returns its cosignature/v1
 * line. HTTP and tRPC surfaces live in @cairn/api; `cairn witness serve` wires them.
 *
 * ```ts
 * import { Witness, openLevelWitnessStorage, isWitnessError } from '@cairn/witness';
 * import { nodeEd25519 } from '@cairn/formats/node';
 *
 * const witness = new Witness({
 *   key: skeyText,                                   // from `pnpm cairn keygen --witness`
 *   logs: [{ vkey: 'example.com/log+1234abcd+A…' }], // origin defaults to the key name
 *   storage: await openLevelWitnessStorage('./witness-data'),
 *   ed25519: nodeEd25519,
 * });
 * try {
 *   const { cosignatures } = await witness.addCheckpoint(body); // "— <name> <base64>\n"
 * } catch (e) {
 *   if (isWitnessError(e) && e.code === 'conflict') console.log(e.evidence.knownSize);
 * }
 * ```
 */
export {
  WitnessError,
  WITNESS_ERROR_CODES,
  isWitnessError,
  type WitnessErrorCode,
  type WitnessErrorOptions,
  type WitnessEvidence,
} from './errors.js';
export {
  buildTrustedLogs,
  logSpecsFromLogList,
  parseLogFlag,
  parseLogUrl,
  MAX_ORIGIN_LENGTH,
  type LogSpec,
  type TrustedLog,
} from './config.js';
export { RequestBudgets, BUDGET_PERIOD_MS } from './budget.js';
export { KeyedMutex } from './lock.js';
export { KnownCheckpoints, type KnownCheckpoint, type LearnOutcome } from './known.js';
export { verifyRequest, type VerifiedRequest } from './request.js';
export {
  Witness,
  MAX_COSIGNERS,
  SYNCING_RETRY_AFTER_SECONDS,
  type AddCheckpointResult,
  type CaughtUp,
  type EvidenceInput,
  type RecordEvidenceResult,
  type LogStatus,
  type WitnessLogger,
  type WitnessOptions,
  type WitnessStatus,
  type WitnessTestHooks,
} from './witness.js';
export {
  matchesExpected,
  isAllowedSwap,
  type ExpectedState,
  type ForeignCosignatures,
  type ListEvidenceOptions,
  type OriginBlock,
  type StoredEvidence,
  type ListMisbehaviourOptions,
  type MisbehaviourKind,
  type MisbehaviourRecord,
  type StoredCheckpoint,
  type WitnessStorage,
} from './storage/types.js';
export { MemoryWitnessStorage } from './storage/memory.js';
export { openLevelWitnessStorage } from './storage/level.js';
