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
import type { Query } from '@cairn/index/query';

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
  /** With witnesses: the newest cosigned size and the quorum. */
  readonly cosignedSize?: bigint | undefined;
  readonly quorum?: number | undefined;
  /** Per-witness state and recent alarms (empty without witnesses). */
  readonly witnesses?: readonly ServedWitnessState[] | undefined;
  readonly alarms?: readonly ServedAlarm[] | undefined;
}

/** One witness as the log sees it. */
export interface ServedWitnessState {
  readonly url: string;
  readonly name: string;
  readonly knownSize: bigint | undefined;
  readonly lastCosignedSize: bigint | undefined;
  readonly lastSuccessTime: number | undefined;
  readonly lastError: string | undefined;
  readonly consecutiveFailures: number;
  /** Retry backoffs ended early because the witness was seen reachable again. */
  readonly backoffsEnded?: { readonly probe: number; readonly reconnect: number } | undefined;
}

/** A witness alarm (refusal, witness ahead of the log, bad cosignature). */
export interface ServedAlarm {
  readonly time: number;
  readonly url: string;
  readonly name: string;
  readonly kind: string;
  readonly status?: number | undefined;
  readonly message: string;
  readonly checkpointSize: bigint;
  readonly witnessSize?: bigint | undefined;
  /** When a witness refused because it holds proven evidence against this log: its id. */
  readonly evidenceId?: string | undefined;
}

/** The log as served by this package. */
export interface ServedLog {
  readonly origin: string;
  readonly verifierKey: string;
  submit(entries: Uint8Array[], opts?: { wait?: 'none' | 'checkpoint' | 'cosigned'; signal?: AbortSignal }): Promise<ServedSubmitResult>;
  /** The newest checkpoint the log signed (tiles are served up to its size). */
  latestCheckpoint(): ServedCheckpoint | undefined;
  /**
   * What `GET /checkpoint` serves: with witnesses configured, the newest checkpoint that met the
   * quorum (log signature + gathered cosignatures), else the newest signed one.
   */
  servedCheckpoint(): ServedCheckpoint | undefined;
  /** The newest checkpoint that met the witness quorum (undefined without witnesses or before). */
  latestCosignedCheckpoint(): ServedCheckpoint | undefined;
  readTile(level: number, index: bigint, width: number): Promise<Uint8Array | undefined>;
  readEntryBundle(index: bigint, width: number): Promise<Uint8Array | undefined>;
  getEntry(index: bigint): Promise<Uint8Array>;
  getEntries(from: bigint, to: bigint): Promise<Uint8Array[]>;
  inclusionProof(index: bigint, size: bigint): Promise<Uint8Array[]>;
  /** Several inclusion proofs in one tree size (one storage pass for the tiles they share). */
  inclusionProofs(indices: readonly bigint[], size: bigint): Promise<Uint8Array[][]>;
  findLeafIndex(leafHash: Uint8Array): Promise<bigint | undefined>;
  consistencyProof(m: bigint, n: bigint): Promise<Uint8Array[]>;
  status(): ServedStatus;
}

/**
 * The event store of a log (docs/design/event-store-contract.md): what the `events` router
 * calls. `LogNode` satisfies it structurally; tests use a fake. The node validates nothing of the
 * event itself: the router parses every event with `parseEvent` of @cairn/events first.
 *
 * - `submitEvents` is all or nothing, durable (event body and leaf in one fsync'd write) when it
 *   resolves, and throws LogError `seq-regression`, `seq-gap`, `idempotency-conflict`,
 *   `invalid-source` (nothing stored) besides `submit`'s errors; a resend answers the stored
 *   result (`duplicate`);
 * - `getEvent` answers undefined for an index that holds no event or lies beyond the signed tree;
 * - `eraseEvents` throws `not-an-event` for an index that holds no event.
 */
export interface ServedEvents {
  /** The verifier key text of `<origin>/receipt`, or undefined when the log has no receipt key. */
  readonly receiptVerifierKey: string | undefined;
  submitEvents(source: string, events: ServedEventInput[], opts?: ServedEventSubmitOptions): Promise<ServedEventSubmitResult>;
  getEvent(index: bigint): Promise<ServedStoredEvent | undefined>;
  eraseEvents(indices: bigint[], why: { reason: string; by: string }, opts?: { signal?: AbortSignal }): Promise<ServedEraseResult>;
  eventSources(): Promise<ServedEventSource[]>;
  /**
   * The log indices of `source`'s events with sequence numbers in [from, to] (to − from below
   * 4,096), ascending by seq; events beyond the latest signed checkpoint are left out. A source's
   * seqs are contiguous from 0 and its indices grow with them, so the answer is every seq of the
   * range up to the source's last signed one. For completeness proofs (`events.search` with
   * `complete`).
   */
  eventIndices(source: string, from: bigint, to: bigint): Promise<readonly { readonly seq: bigint; readonly index: bigint }[]>;
}

/** A validated event (`parseEvent` of @cairn/events) with the source's optional numbering. */
export interface ServedEventInput {
  readonly event: { readonly canonical: Uint8Array; readonly time: number; readonly classUid: number };
  readonly seq?: bigint;
  readonly idempotencyKey?: string;
}

/** Options of {@link ServedEvents.submitEvents}. */
export interface ServedEventSubmitOptions {
  readonly wait?: 'none' | 'checkpoint' | 'cosigned';
  readonly signal?: AbortSignal;
  readonly receipts?: boolean;
}

/** What `submitEvents` answers: per event its index, leaf hash, sequence number, whether it was a resend, and its receipt. */
export interface ServedEventSubmitResult extends ServedSubmitResult {
  readonly seqs: readonly bigint[];
  readonly duplicate: readonly boolean[];
  readonly receipts?: readonly string[] | undefined;
}

/** A stored event: its public leaf, and its body until erased. */
export interface ServedStoredEvent {
  readonly index: bigint;
  readonly source: string;
  readonly seq: bigint;
  readonly leaf: Uint8Array;
  readonly deadline: bigint;
  readonly body?: { readonly canonical: Uint8Array; readonly salt: Uint8Array } | undefined;
  /** Why and by whom come from the erasure record's body: absent once that record was erased too. */
  readonly erased?: { readonly record: bigint; readonly time: number; readonly reason?: string | undefined; readonly by?: string | undefined } | undefined;
}

/** What `eraseEvents` answers. */
export interface ServedEraseResult {
  readonly erased: readonly bigint[];
  readonly alreadyErased: readonly bigint[];
  /** The index of the erasure record (undefined when nothing new was erased). */
  readonly record: bigint | undefined;
}

/** A source's sequence state. */
export interface ServedEventSource {
  readonly source: string;
  readonly nextSeq: bigint;
  readonly lastIndex: bigint | undefined;
}

/**
 * The search index of a log's events (`EventIndex` of @cairn/index satisfies it): where matching
 * events are, newest first, below `before`. Untrusted: the `events.search` procedure re-checks
 * every hit on the event itself and proves it. `recheck` (optional) tells the index to look again
 * at hits whose event turned out erased.
 */
export interface ServedSearch {
  search(query: Query, opts: { limit: number; before?: bigint; signal?: AbortSignal }): Promise<{
    readonly hits: readonly { readonly index: bigint }[];
    readonly next?: bigint | undefined;
    readonly indexedTo: bigint;
  }>;
  recheck?(indices: readonly bigint[]): Promise<unknown>;
  /**
   * The smallest and largest sequence number among the events matching `query` below `before`
   * (no `span`: none). `events.search` with `complete` maps a query's time bounds to a sequence
   * range with it; without it such a query is refused (`not-provable`).
   */
  seqSpan?(query: Query, opts: { before?: bigint; signal?: AbortSignal }): Promise<{ readonly span?: { readonly min: bigint; readonly max: bigint } | undefined; readonly indexedTo: bigint }>;
  /**
   * Where the index stands, for `status`, `/metrics` and `/readyz` (absent: not reported). An
   * index opened in the background is `starting` until it can answer.
   */
  indexState?(): Promise<ServedSearchStatus>;
}

/** The state of a search index: whether it answers yet, and how far behind the log it is. */
export interface ServedSearchStatus {
  readonly state: 'starting' | 'ready' | 'failed';
  /** First log index not yet indexed (ready only). */
  readonly cursor?: bigint;
  /** The log size the lag is measured against (ready only). */
  readonly size?: bigint;
  /** Entries signed but not yet indexed (ready only). */
  readonly lag?: bigint;
  /** Why it failed (failed only; an index error code and message, no event data). */
  readonly error?: string;
}
