/**
 * Error types of @cairn/events.
 *
 * Every function of this package throws only a subclass of {@link EventsError} for bad input.
 * Each carries the part of the layer it concerns (`format`: `event`, `leaf`, `event-proof`,
 * `receipt`) and a stable string `code`, so callers map errors to statuses in one table instead
 * of matching messages. Event errors also carry the JSON path of the offending value.
 */

/** Options accepted by every error constructor. */
export interface EventsErrorOptions {
  readonly cause?: unknown;
}

/** Base class of every error thrown by @cairn/events. */
export class EventsError extends Error {
  /** Stable machine-readable reason, e.g. `'duplicate-key'`. */
  readonly code: string;
  /** The format concerned: `'event'`, `'leaf'`, `'event-proof'`, `'receipt'`. */
  readonly format: string;

  constructor(format: string, code: string, message: string, options?: EventsErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EventsError';
    this.format = format;
    this.code = code;
  }
}

/**
 * An OCSF event that does not parse or validate. `path` is the JSON path of the offending value
 * (`$` for the whole event, `$.actor.user.name`, `$.resources[2].uid`); the message starts with it.
 */
export class EventError extends EventsError {
  readonly path: string;

  constructor(code: string, path: string, message: string, options?: EventsErrorOptions) {
    super('event', code, `${path}: ${message}`, options);
    this.name = 'EventError';
    this.path = path;
  }
}

/** A public leaf record (or its inputs) that does not parse or validate. */
export class LeafError extends EventsError {
  constructor(code: string, message: string, options?: EventsErrorOptions) {
    super('leaf', code, message, options);
    this.name = 'LeafError';
  }
}

/** An event-proof file that does not parse, or one of its links that does not verify. */
export class EventProofError extends EventsError {
  constructor(code: string, message: string, options?: EventsErrorOptions) {
    super('event-proof', code, message, options);
    this.name = 'EventProofError';
  }
}

/** A receipt that does not parse, sign or verify. */
export class ReceiptError extends EventsError {
  constructor(code: string, message: string, options?: EventsErrorOptions) {
    super('receipt', code, message, options);
    this.name = 'ReceiptError';
  }
}
