/**
 * The one error type of @cairn/log.
 *
 * Every failure the log core reports to a caller is a {@link LogError} with a stable string
 * `code`. The mapping from code to an HTTP or tRPC status lives in packages/api, never here.
 * Errors keep their evidence: `retryAfterMs` for back-pressure, `details` for integrity
 * failures (which tile, stored versus recomputed root), and the underlying `cause`.
 */

/** Every code a {@link LogError} can carry. */
export type LogErrorCode =
  /** The sequencing queue is full; retry after `retryAfterMs`. */
  | 'queue-full'
  /** An entry is longer than 65535 bytes (the tlog-tiles entry bundle limit). */
  | 'entry-too-large'
  /** A submit call carries more than MAX_ENTRIES_PER_SUBMIT entries. */
  | 'too-many-entries'
  /** An entry is not a Uint8Array. */
  | 'invalid-entry'
  /**
   * A raw entry begins with `cairn.dev/event-leaf/`, the prefix reserved for the event leaves the
   * log's event store appends (details: entry): accepting it would forge an event.
   */
  | 'reserved-entry'
  /** The node is stopping or stopped and accepts no more work. */
  | 'stopping'
  /** The node was opened but not started. */
  | 'not-started'
  /** The caller aborted (AbortSignal) before the entries were taken for sequencing. */
  | 'aborted'
  /** An index, size or range lies beyond the latest signed checkpoint. */
  | 'not-found'
  /** A malformed argument (width out of 1..256, from > to, m > n, …). */
  | 'invalid-argument'
  /** A range read asks for more than MAX_RANGE entries. */
  | 'range-too-large'
  /** Stored state is corrupt, missing, or belongs to another log; the node refuses to run. */
  | 'integrity'
  /** Invalid options (bad signer key, origin mismatch with the key, bad numbers). */
  | 'config'
  /** An unexpected storage failure. */
  | 'storage'
  /**
   * At start-up a witness holds a larger cosigned size than the log's latest signed checkpoint:
   * the data directory was restored or rolled back. The node refuses to start (details: sizes, witnesses).
   */
  | 'rolled-back'
  /** An event's `seq` is below the source's next one and the stored event there differs (details: event, source, expected). */
  | 'seq-regression'
  /** An event's `seq` is above the source's next one (details: event, source, expected). */
  | 'seq-gap'
  /** An idempotency key was used before for another event (details: event, source, index). */
  | 'idempotency-conflict'
  /** An index does not hold an event (a raw entry, or nothing stored there). */
  | 'not-an-event'
  /** The event was erased: its body is gone (a resend of it cannot be compared). */
  | 'erased'
  /** A source id is malformed, or the reserved `cairn`. */
  | 'invalid-source'
  /** Receipts were asked for but the node has no receipt key. */
  | 'no-receipt-key';

/** Options of the {@link LogError} constructor. */
export interface LogErrorOptions {
  readonly cause?: unknown;
  /** For 'queue-full': how long the caller should wait before retrying. */
  readonly retryAfterMs?: number;
  /** Evidence: structured facts about the failure (JSON-friendly; bigints allowed). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** An error of the log core, with a stable string code. */
export class LogError extends Error {
  readonly code: LogErrorCode;
  readonly retryAfterMs: number | undefined;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: LogErrorCode, message: string, options?: LogErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LogError';
    this.code = code;
    this.retryAfterMs = options?.retryAfterMs;
    this.details = options?.details;
  }
}

/** True when `e` is a {@link LogError}, optionally with the given code. */
export function isLogError(e: unknown, code?: LogErrorCode): e is LogError {
  return e instanceof LogError && (code === undefined || e.code === code);
}
