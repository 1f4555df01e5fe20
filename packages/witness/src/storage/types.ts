/**
 * The storage contract of the witness core (owned here, implemented by the drivers in this
 * folder: {@link MemoryWitnessStorage} for tests, `openLevelWitnessStorage` by default).
 *
 * Per origin the store keeps ONE record: the latest checkpoint this witness cosigned. It is
 * never deleted and never lowered (PROTOCOLS.md §5.5: rollback protection). Misbehaviour records
 * are append-only evidence.
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

/** The kind of refused request recorded as possible misbehaviour (PROTOCOLS.md §5.3 checks 4, 6–8). */
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
