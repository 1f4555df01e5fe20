/**
 * @cairn/log — the log operator node core: sequencing, integration into C2SP tlog-tiles hash
 * tiles and entry bundles, signed checkpoints, crash recovery, and the public reads (tiles,
 * bundles, entries, proofs). Servers (packages/api) wrap a {@link LogNode}; the contract is
 * docs/design/log-node-contract.md.
 *
 * Guarantees: `submit` resolves only after its entries are fsync'd (one group commit per
 * batch window); a checkpoint is signed only after the new tree was proven consistent with the
 * last signed one, and persisted together with its tiles in one atomic synced batch; on open
 * the store is checked and the node refuses to start (LogError 'integrity') rather than sign
 * over damaged or foreign state.
 *
 * @example
 * ```ts
 * import { LogNode, openLevelStorage } from '@cairn/log';
 * import { generateSignerKey } from '@cairn/formats';
 *
 * const node = await LogNode.open({
 *   storage: await openLevelStorage('/var/lib/cairn/log'),
 *   signerKey: generateSignerKey('example.com/log'),   // keep the key: it is the log's identity
 * });
 * await node.start();
 * const { indices, checkpoint, proofs } = await node.submit([new TextEncoder().encode('hello')], { wait: 'checkpoint' });
 * console.log(indices[0], checkpoint?.size, proofs?.[0]?.length);
 * const tile = await node.readTile(0, 0n, 1);          // tile/0/000.p/1: the leaf hash of 'hello'
 * await node.stop();                                    // flushes, signs what is pending, closes the store
 * ```
 *
 * Audit events (docs/design/event-store-contract.md): the leaf is public, the body stays in the
 * event store, both in one synced write:
 *
 * ```ts
 * import { parseEvent } from '@cairn/events';
 * const node = await LogNode.open({ storage, signerKey, receiptSignerKey });   // key named <origin>/receipt
 * await node.start();
 * const r = await node.submitEvents('bastion', [{ event: parseEvent(bytes), seq: 0n, idempotencyKey: 'req-1' }], { receipts: true });
 * r.indices[0]; r.seqs[0]; r.duplicate[0]; r.receipts?.[0];   // a resend of the same bytes: duplicate true, same answer
 * await node.eraseEvents([r.indices[0]!], { reason: 'GDPR art. 17 request', by: 'admin-1' });  // the leaf and proofs stay
 * ```
 *
 * With witnesses (c2sp.org/tlog-witness), each new checkpoint is sent to every witness and the
 * note gathering a quorum of cosignatures is served instead of the plain signed one:
 *
 * ```ts
 * const node = await LogNode.open({
 *   storage, signerKey,
 *   witnesses: [{ url: 'https://witness-a.example.org', vkey: 'witness-a.example.org+1c1b7b2e+BE4a…' }, …],
 *   quorum: 2,                                          // default: all of them
 * });                                                   // LogError 'rolled-back' if a witness saw a larger tree
 * await node.start();
 * const { checkpoint, proofs } = await node.submit(entries, { wait: 'cosigned' });
 * node.servedCheckpoint();                              // what /checkpoint serves: the latest cosigned note
 * node.status().witnesses;                              // per-witness state; node.status().alarms
 * ```
 */
export { LogNode, DEFAULT_TILE_CACHE_TILES } from './node.js';
export type { LogNodeOptions, SubmitOptions, SubmitResult, LogStatus } from './node.js';
export type { SignedCheckpoint } from './checkpoint.js';
export type { CosignedCheckpoint, Cosigner } from './witness/cosigned.js';
export type { WitnessConfig, WitnessTiming } from './witness/config.js';
export {
  DEFAULT_WITNESS_REQUEST_TIMEOUT_MS,
  DEFAULT_WITNESS_STARTUP_TIMEOUT_MS,
  DEFAULT_WITNESS_INITIAL_BACKOFF_MS,
  DEFAULT_WITNESS_MAX_BACKOFF_MS,
  DEFAULT_WITNESS_PROBE_INTERVAL_MS,
  MAX_WITNESS_CONFLICT_RETRIES,
  MAX_WITNESS_ALARMS,
  MAX_WITNESSES,
} from './witness/config.js';
export type { WitnessAlarm, WitnessAlarmKind, WitnessState } from './witness/client.js';
export { streamTransport, sortWitnessAnswer, tcpReachable } from './witness/http.js';
export type { StreamExchange, StreamAnswer, WitnessTransport, WitnessReply, ReachabilityProbe } from './witness/http.js';
export type {
  EventInput, EventSubmitOptions, EventSubmitResult, StoredEvent, EventSourceState, EraseReason, EraseResult,
} from './events/types.js';
export { RESERVED_SOURCE } from './constants.js';
export { DEFAULT_RECEIPT_MMD_MS } from './events/store.js';
export { IDEMPOTENCY_KEY_PATTERN } from './events/submit.js';
export { MAX_ERASE_INDICES } from './events/erase.js';
export {
  parseRetentionPolicy, checkRetentionPolicy, DEFAULT_RETENTION_INTERVAL_MS, MAX_KEEP_DAYS, MAX_RETENTION_RULES,
} from './events/retention.js';
export type { RetentionPolicy, RetentionRule } from './events/retention.js';
export { LogError, isLogError } from './errors.js';
export type { LogErrorCode, LogErrorOptions } from './errors.js';
export { createLogger, jsonLogger, silentLogger, formatLogLine, formatTextLine, LOG_FORMATS } from './logger.js';
export type { Level, Logger, LogFields, LogFormat, JsonLoggerOptions, LoggerOptions } from './logger.js';
export {
  DEFAULT_CHECKPOINT_INTERVAL_MS,
  DEFAULT_MAX_BATCH_ENTRIES,
  DEFAULT_MAX_QUEUE_ENTRIES,
  DEFAULT_RETRY_AFTER_MS,
  MAX_ENTRY_SIZE,
  MAX_ENTRIES_PER_SUBMIT,
  MAX_RANGE,
  MAX_SEQ_SPAN,
} from './constants.js';
export type { LogStorage, StorageOp, StorageRange, StorageWriteOptions } from './storage/types.js';
export { openLevelStorage } from './storage/level.js';
export { memoryStorage } from './storage/memory.js';
export type { MemoryStorage } from './storage/memory.js';
