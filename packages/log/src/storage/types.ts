/**
 * The storage contract of the log core (owned here; drivers implement it).
 *
 * A {@link LogStorage} is an ordered byte-key/byte-value store. The core alone decides the key
 * layout (see `keys.ts`); a driver never interprets keys or values. Two drivers exist:
 * `openLevelStorage(dir)` (classic-level / LevelDB, the default) and `memoryStorage()` (unit
 * tests only: nothing survives the process).
 *
 * Contract every driver must honour:
 * - **Ordering.** Keys compare as unsigned bytes, lexicographically (shorter prefix first). The
 *   core encodes numbers as fixed-width big-endian so that byte order is numeric order.
 * - **Atomicity.** {@link LogStorage.write} applies all of its operations or none of them, even
 *   across a crash. Operations in one call apply in order (a later op on the same key wins).
 * - **Durability.** When `write(ops, { sync: true })` resolves, the operations survive a power
 *   cut or `kill -9` (fsync'd). The core acknowledges an entry only after such a write. With
 *   `sync: false` the driver may lose the write on a crash, but never apply part of it.
 * - **Absence.** Reading a missing key yields `undefined`; never an error. `getMany` returns one
 *   slot per key, in order.
 * - **Isolation.** Reads see every write that resolved before they were issued. A read issued
 *   while a write is in flight sees it wholly or not at all, key by key (no cross-key snapshot
 *   is promised; the core is written so that it does not need one).
 * - **Concurrency.** The core issues at most a few writes at once (one sequencer group commit
 *   and one integration step; they touch disjoint keys) and any number of concurrent reads.
 *   A driver is used by one process at a time; LevelDB enforces this with its LOCK file.
 * - **Ownership.** The driver may keep the byte arrays passed to `write` only until the call
 *   resolves; arrays it returns belong to the caller.
 * - **Errors.** Driver failures reject with the driver's own error; the core wraps them.
 * - **Compaction (optional).** `compact(range)` flushes what is buffered in memory and rewrites
 *   the table files overlapping the range, merging old versions of a key into its newest one.
 *   The event store calls it around an erasure: once BEFORE the write that replaces the erased
 *   values (so each old value sits in one table file and nowhere else, not in a write-ahead log
 *   or a buffer shared with its replacement), and once AFTER it. When the second call resolves,
 *   no value replaced or deleted by that write remains in the driver's files, as long as no
 *   iterator opened before the write was still open (an open iterator pins the versions it may
 *   read; they then go at a later compaction). It never changes what reads return. A driver
 *   without it (memory) keeps nothing old anyway.
 * - **Closing.** After `close()` resolves, no method is called again.
 */

/** One operation of an atomic write. */
export type StorageOp =
  | { readonly type: 'put'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: 'del'; readonly key: Uint8Array };

/** A key range: gte ≤ key < lt, in ascending key order, at most `limit` pairs. */
export interface StorageRange {
  readonly gte: Uint8Array;
  readonly lt: Uint8Array;
  readonly limit?: number;
}

/** Options of {@link LogStorage.write}. */
export interface StorageWriteOptions {
  /** Resolve only once the write is durable (fsync). */
  readonly sync: boolean;
}

/** The ordered key-value store the log core runs on. See the module comment for the contract. */
export interface LogStorage {
  /** A human-readable name for logs, e.g. `level:/var/lib/cairn`. */
  readonly name: string;
  /** The value of `key`, or undefined when absent. */
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  /** The values of `keys`, one slot per key (undefined when absent). */
  getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]>;
  /** Applies `ops` atomically; with `sync`, durably. */
  write(ops: readonly StorageOp[], opts: StorageWriteOptions): Promise<void>;
  /** Key/value pairs in the range, ascending. */
  range(range: StorageRange): AsyncIterable<readonly [Uint8Array, Uint8Array]>;
  /** Drops old versions of the keys in [gte, lt) from the files (see the module comment). */
  compact?(range: { readonly gte: Uint8Array; readonly lt: Uint8Array }): Promise<void>;
  /** Releases the store. */
  close(): Promise<void>;
}
