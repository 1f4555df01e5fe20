/**
 * The option and result types of `LogNode` in node.ts (the contract is docs/design/log-node-contract.md).
 */
import type { HashBackend } from '@cairn/merkle';
import type { Ed25519Backend } from '@cairn/formats';
import type { SignedCheckpoint } from './checkpoint.js';
import type { Logger } from './logger.js';
import type { LogStorage } from './storage/types.js';
import type { WitnessConfig, WitnessTiming } from './witness/config.js';
import type { StreamExchange } from './witness/http.js';
import type { WitnessAlarm, WitnessState } from './witness/client.js';
import type { RetentionPolicy } from './events/retention.js';

/** Options of `LogNode.open`. */
export interface LogNodeOptions {
  /** The store: `await openLevelStorage(dir)` in production, `memoryStorage()` in unit tests. */
  readonly storage: LogStorage;
  /** `PRIVATE+KEY+<name>+<id>+<b64>` (Ed25519, type 0x01). */
  readonly signerKey: string;
  /** Default: the key's name. Fixed at creation and checked on every open. */
  readonly origin?: string;
  readonly checkpointIntervalMs?: number;
  readonly maxBatchEntries?: number;
  readonly maxQueueEntries?: number;
  /** Identical entries (same leaf hash) get the earlier index instead of a new one. */
  readonly dedupe?: boolean;
  /** Milliseconds since the epoch; injected for tests. */
  readonly clock?: () => number;
  readonly logger?: Logger;
  /** The hint carried by 'queue-full' errors. */
  readonly retryAfterMs?: number;
  /** Hash and signature backends (default node:crypto for both). */
  readonly hashBackend?: HashBackend;
  readonly ed25519?: Ed25519Backend;
  readonly tileCacheTiles?: number;
  /** Witnesses to collect cosignatures from (none: the signed checkpoint is served as is). */
  readonly witnesses?: readonly WitnessConfig[];
  /** Distinct witnesses that must cosign a checkpoint before it is served; default all of them (0 allowed). */
  readonly quorum?: number;
  /** Timeouts and backoff of the witness exchange (defaults: DEFAULT_WITNESS_*). */
  readonly witnessTiming?: Partial<WitnessTiming>;
  /**
   * The add-checkpoint exchange over libp2p, for witnesses whose `url` is a `/p2p/` multiaddr
   * (the caller runs the libp2p host, e.g. with @cairn/gossip `sendAddCheckpoint`).
   */
  readonly witnessStream?: StreamExchange;
  /**
   * The receipt key: `PRIVATE+KEY+<origin>/receipt+…` (Ed25519). A key with another name is
   * refused (LogError 'config'). Without it, submitEvents with `receipts: true` fails with
   * 'no-receipt-key'.
   */
  readonly receiptSignerKey?: string;
  /** Receipt deadline = ⌊(commit time + receiptMmdMs) / 1000⌋ s; default DEFAULT_RECEIPT_MMD_MS. */
  readonly receiptMmdMs?: number;
  /** Retention rules applied every `retentionIntervalMs` (none: events are kept until erased). */
  readonly retention?: RetentionPolicy;
  /** How often retention runs, ms; default DEFAULT_RETENTION_INTERVAL_MS (1 h). */
  readonly retentionIntervalMs?: number;
  /** Fills its argument with random bytes (the event salts); default crypto.getRandomValues. */
  readonly random?: (buf: Uint8Array) => Uint8Array;
}

/** Options of `LogNode.submit`. */
export interface SubmitOptions {
  /**
   * 'none' (default): resolve once durable. 'checkpoint': once a signed checkpoint covers the
   * entries. 'cosigned': once a cosigned checkpoint covers them (without witnesses configured,
   * the same as 'checkpoint').
   */
  readonly wait?: 'none' | 'checkpoint' | 'cosigned';
  readonly signal?: AbortSignal;
}

/** The answer to `LogNode.submit`. */
export interface SubmitResult {
  readonly indices: bigint[];
  readonly leafHashes: Uint8Array[];
  /** With wait 'checkpoint' or 'cosigned': the checkpoint the proofs are for (a {@link CosignedCheckpoint} for 'cosigned'). */
  readonly checkpoint?: SignedCheckpoint;
  /** With wait 'checkpoint' or 'cosigned': one inclusion proof per entry, against `checkpoint`. */
  readonly proofs?: Uint8Array[][];
}

/** What `LogNode.status` reports. */
export interface LogStatus {
  /** The latest signed (integrated) size. */
  readonly size: bigint;
  /** The durable sequenced size (≥ size). */
  readonly sequencedSize: bigint;
  readonly lastCheckpointTime: number | undefined;
  /** Entries queued in memory or being written. */
  readonly queueDepth: number;
  /** Set when integration halted on an integrity failure. */
  readonly halted?: string;
  /** With witnesses: the size of the latest cosigned checkpoint (absent until one exists). */
  readonly cosignedSize?: bigint;
  /** With witnesses: the quorum. */
  readonly quorum?: number;
  /** One entry per configured witness (empty without witnesses). */
  readonly witnesses: WitnessState[];
  /** Recent witness alarms, oldest first (empty without witnesses). */
  readonly alarms: WitnessAlarm[];
}
