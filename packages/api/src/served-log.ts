/**
 * What the servers need from a log: the subset of `LogNode` (packages/log, see
 * docs/design/log-node-contract.md) that the routers and the tiles handler call. `LogNode`
 * satisfies it structurally; tests use a fake.
 *
 * Contract relied on here:
 * - sizes and indices are bigint; reads are bounded by the latest signed checkpoint and throw
 *   LogError `not-found` beyond it (the API checks first and never calls the node then);
 * - `readTile`/`readEntryBundle` take width 1..256 (256 = full) and return undefined beyond the tree;
 * - `submit` resolves only once the entries are durable, and throws LogError `queue-full`
 *   (with `retryAfterMs`), `entry-too-large`, `too-many-entries` or `stopping` without storing
 *   anything.
 */

/** A signed checkpoint as the log holds it. `note` is the exact signed note text. */
export interface ServedCheckpoint {
  readonly note: Uint8Array;
  readonly size: bigint;
  readonly rootHash: Uint8Array;
  /** When it was signed (ms since the epoch). */
  readonly time: number;
}

/** The result of a submit. `checkpoint` and `proofs` come with `wait: 'checkpoint'`. */
export interface ServedSubmitResult {
  readonly indices: readonly bigint[];
  readonly leafHashes: readonly Uint8Array[];
  readonly checkpoint?: ServedCheckpoint | undefined;
  readonly proofs?: readonly (readonly Uint8Array[])[] | undefined;
}

/** The log status. */
export interface ServedStatus {
  readonly size: bigint;
  readonly sequencedSize: bigint;
  readonly lastCheckpointTime: number | undefined;
  readonly queueDepth: number;
  /** Set when the log halted on an integrity failure (it then serves reads but takes no writes). */
  readonly halted?: string | undefined;
}

/** The log as served by this package. */
export interface ServedLog {
  readonly origin: string;
  readonly verifierKey: string;
  submit(entries: Uint8Array[], opts?: { wait?: 'none' | 'checkpoint'; signal?: AbortSignal }): Promise<ServedSubmitResult>;
  latestCheckpoint(): ServedCheckpoint | undefined;
  readTile(level: number, index: bigint, width: number): Promise<Uint8Array | undefined>;
  readEntryBundle(index: bigint, width: number): Promise<Uint8Array | undefined>;
  getEntry(index: bigint): Promise<Uint8Array>;
  getEntries(from: bigint, to: bigint): Promise<Uint8Array[]>;
  inclusionProof(index: bigint, size: bigint): Promise<Uint8Array[]>;
  findLeafIndex(leafHash: Uint8Array): Promise<bigint | undefined>;
  consistencyProof(m: bigint, n: bigint): Promise<Uint8Array[]>;
  status(): ServedStatus;
}
