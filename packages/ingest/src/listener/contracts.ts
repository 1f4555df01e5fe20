/**
 * What the ingestion listener needs from the rest of Cairn, as small interfaces it owns: where
 * events go (the log node's event store), who a caller is (the tokens file), and where it says
 * what happened. `LogNode` of @cairn/log and `TokenAuthenticator` of @cairn/api satisfy them as
 * they are; this package imports neither (it stands on `events`, never on the cores' servers).
 */

/** One event for the log: validated (OCSF, canonical bytes), with the producer's dedupe handles. */
export interface IngestEvent {
  readonly event: { readonly canonical: Uint8Array; readonly time: number; readonly classUid: number };
  /** The source's own sequence number (HTTPS JSON only). */
  seq?: bigint;
  /** Makes a resend answer the stored event instead of adding a leaf (1–128 printable ASCII). */
  idempotencyKey?: string;
}

/**
 * The event store (`LogNode.submitEvents`, docs/design/event-store-contract.md). It resolves only
 * once every event of the batch is durable (fsync'd group commit); a batch is all or nothing; a
 * resend is answered from the store with `duplicate: true` and no new leaf. It rejects with an
 * error carrying a string `code` (`queue-full` with `retryAfterMs`, `stopping`, `seq-gap`, …).
 */
export interface IngestSink {
  submitEvents(source: string, events: IngestEvent[], opts?: { signal?: AbortSignal }): Promise<{
    readonly indices: readonly bigint[];
    readonly seqs: readonly bigint[];
    readonly duplicate: readonly boolean[];
  }>;
}

/** Who presented a bearer token. */
export interface IngestPrincipal {
  readonly source: string;
  readonly role: string;
}

/**
 * Bearer tokens (the tokens file). `principal` throws (any error; its message goes back to the
 * caller, so it must not quote the token) when the header is missing, malformed or unknown.
 * `chargeQuota` throws an error with `code` `quota-exceeded` (and `retryAfterSeconds`) or
 * `batch-exceeds-quota`; `refundQuota` gives back what the log did not take.
 */
export interface IngestAuth {
  principal(authorization: string | undefined): IngestPrincipal;
  chargeQuota?(source: string, entries: number): void;
  refundQuota?(source: string, entries: number): void;
}

/** Where the listener reports (never event contents, user names or addresses of events). */
export interface IngestLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** The role a token must have to write events. */
export const WRITER_ROLE = 'writer';
