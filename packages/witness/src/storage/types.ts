/**
 * The storage contract of the witness core (owned here, implemented by the drivers in this
 * folder: {@link MemoryWitnessStorage} for tests, `openLevelWitnessStorage` by default).
 *
 * Per origin the store keeps ONE record: the latest checkpoint this witness cosigned. It is
 * never deleted and never lowered (docs/protocols.md §5.5: rollback protection). Misbehaviour records
 * are append-only evidence.
 *
 * Beside it, for the witness network (@cairn/gossip):
 * - split-view **evidence** records (append-only, named by their id, stored once each);
 * - per-origin **blocks**: after proven misbehaviour the witness stops cosigning the origin until
 *   an operator clears the block; a cleared conflict never blocks the origin again;
 * - per-origin **foreign cosignatures**: verified cosignature lines of other witnesses over the
 *   checkpoint this witness holds, served by the monitoring GET next to its own.
 *
 * Contract:
 * - {@link WitnessStorage.compareAndSwap} is atomic with respect to every other call on the same
 *   store: it replaces the record of `next.origin` only if the current record equals `expected`
 *   (same size and root; `undefined` = no record), and only if `next.size` is not below the
 *   current size. It resolves `true` only after the write is durable (fsync'd for the LevelDB
 *   driver); `false` means nothing was written. It rejects only on an I/O failure.
 * - Reads return what the last successful swap stored.
 * - One process per store (LevelDB's LOCK file enforces it for that driver).
 */

/** The latest cosigned checkpoint of one origin. */
export interface StoredCheckpoint {
  readonly origin: string;
  readonly size: bigint;
  readonly rootHash: Uint8Array;
  /**
   * The cosigned note: the checkpoint text, then only the log signature lines that verified,
   * then this witness's own cosignature line(s). Served by the monitoring GET.
   */
  readonly note: string;
  /** The cosignature timestamp (POSIX seconds). */
  readonly cosignedAt: bigint;
}

/** The state a swap expects to replace. */
export interface ExpectedState {
  readonly size: bigint;
  readonly rootHash: Uint8Array;
}

/** The kind of refused request recorded as possible misbehaviour (docs/protocols.md §5.3 checks 4, 6–8). */
export type MisbehaviourKind = 'bad-empty-root' | 'unexpected-proof' | 'inconsistent' | 'fork';

/** Evidence of a refused request from a known log with a valid log signature. */
export interface MisbehaviourRecord {
  readonly kind: MisbehaviourKind;
  readonly origin: string;
  /** When the witness refused it (POSIX seconds). */
  readonly time: bigint;
  /** The old size the request claimed. */
  readonly oldSize: bigint;
  /** The stored cosigned note at that time (undefined if the witness had none). */
  readonly storedNote: string | undefined;
  /** The offered signed checkpoint note, exactly as received. */
  readonly offeredNote: string;
  /** The consistency proof as received. */
  readonly proof: readonly Uint8Array[];
  /** Human-readable reason. */
  readonly reason: string;
}

/** Options of {@link WitnessStorage.listMisbehaviour}. */
export interface ListMisbehaviourOptions {
  /** Only records of this origin. */
  readonly origin?: string;
  /** At most this many, newest first. */
  readonly limit?: number;
}

/** A split-view evidence record as stored (its canonical text is the record itself). */
export interface StoredEvidence {
  /** Lowercase hex SHA-256 of `record` (the evidence id). */
  readonly id: string;
  readonly origin: string;
  /** `equivocation`, `inconsistency` or `unproven-inconsistency`. */
  readonly kind: string;
  /** Whether it verified as proof of misbehaviour under the configured log keys. */
  readonly proven: boolean;
  /** The canonical evidence record (one JSON line ending in LF). */
  readonly record: string;
  /** When this witness stored it (ms since the epoch). */
  readonly recordedAt: number;
}

/** An origin this witness no longer cosigns. */
export interface OriginBlock {
  readonly origin: string;
  /** The proven evidence that caused it. */
  readonly evidenceId: string;
  /** The conflict the evidence is about (origin and both (size, root) pairs). */
  readonly conflict: string;
  /** When it was set (ms since the epoch). */
  readonly since: number;
}

/** Verified cosignature lines of other witnesses over one checkpoint (size, root) of an origin. */
export interface ForeignCosignatures {
  readonly origin: string;
  readonly size: bigint;
  readonly rootHash: Uint8Array;
  /** Signature lines without their LF, one per witness key. */
  readonly lines: readonly string[];
}

/** Options of {@link WitnessStorage.listEvidence}. */
export interface ListEvidenceOptions {
  readonly origin?: string;
  readonly limit?: number;
}

/** The witness's store. See the module comment for the contract. */
export interface WitnessStorage {
  /** A short description, e.g. `level:/var/lib/witness`. */
  readonly name: string;
  /** The latest cosigned checkpoint of `origin`, or undefined if never cosigned. */
  latest(origin: string): Promise<StoredCheckpoint | undefined>;
  /** Every stored record (any order). */
  listLatest(): Promise<StoredCheckpoint[]>;
  /** Atomic, durable compare-and-swap on (origin, size, root). */
  compareAndSwap(expected: ExpectedState | undefined, next: StoredCheckpoint): Promise<boolean>;
  /** Appends a misbehaviour record durably. */
  recordMisbehaviour(record: MisbehaviourRecord): Promise<void>;
  /** Misbehaviour records, newest first. */
  listMisbehaviour(opts?: ListMisbehaviourOptions): Promise<MisbehaviourRecord[]>;
  /**
   * Stores an evidence record durably unless one with its id exists (then resolves false and
   * writes nothing). With `block`, in the same atomic write, blocks `block.origin` unless it is
   * already blocked or `block.conflict` was cleared before.
   */
  addEvidence(evidence: StoredEvidence, block?: OriginBlock): Promise<boolean>;
  /** Evidence records, newest first. */
  listEvidence(opts?: ListEvidenceOptions): Promise<StoredEvidence[]>;
  /** The block of `origin`, if any. */
  block(origin: string): Promise<OriginBlock | undefined>;
  listBlocks(): Promise<OriginBlock[]>;
  /** Removes the block of `origin` (durably) and remembers its conflict as cleared; resolves the removed block. */
  clearBlock(origin: string): Promise<OriginBlock | undefined>;
  /** The foreign cosignatures stored for `origin`. */
  foreignCosignatures(origin: string): Promise<ForeignCosignatures | undefined>;
  /** Replaces the foreign cosignatures of `f.origin` (durably). */
  putForeignCosignatures(f: ForeignCosignatures): Promise<void>;
  close(): Promise<void>;
}

/** Whether `current` is the state a swap expects. */
export function matchesExpected(current: StoredCheckpoint | undefined, expected: ExpectedState | undefined): boolean {
  if (current === undefined || expected === undefined) return current === undefined && expected === undefined;
  if (current.size !== expected.size || current.rootHash.length !== expected.rootHash.length) return false;
  return current.rootHash.every((b, i) => b === expected.rootHash[i]);
}

/** Whether a swap from `current` to `next` keeps the store's invariants (same origin, never lower). */
export function isAllowedSwap(current: StoredCheckpoint | undefined, next: StoredCheckpoint): boolean {
  return current === undefined || (current.origin === next.origin && next.size >= current.size);
}
