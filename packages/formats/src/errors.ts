/**
 * Error types of @cairn/formats.
 *
 * Every parser in this package throws only a subclass of {@link FormatError}. Each error carries
 * the wire format it concerns (`format`, e.g. `'note'`) and a stable string `code` (e.g.
 * `'bad-base64'`), so callers map errors to statuses in one table instead of matching messages.
 * Other modules of the package add their own subclasses next to their format.
 */

/** Options accepted by every error constructor. */
export interface FormatErrorOptions {
  readonly cause?: unknown;
}

/** Base class of every error thrown by @cairn/formats. */
export class FormatError extends Error {
  /** Stable machine-readable reason, e.g. `'bad-decimal'`. */
  readonly code: string;
  /** The wire format concerned, e.g. `'note'`, `'checkpoint'`. */
  readonly format: string;

  constructor(format: string, code: string, message: string, options?: FormatErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FormatError';
    this.format = format;
    this.code = code;
  }
}

/** Base64, decimal, hex or UTF-8 encoding errors. */
export class EncodingError extends FormatError {
  constructor(code: string, message: string, options?: FormatErrorOptions) {
    super('encoding', code, message, options);
    this.name = 'EncodingError';
  }
}

/** Verifier key (vkey) and signer key (skey) text errors. */
export class KeyError extends FormatError {
  constructor(code: string, message: string, options?: FormatErrorOptions) {
    super('key', code, message, options);
    this.name = 'KeyError';
  }
}

/** Signed-note syntax and verification errors. */
export class NoteError extends FormatError {
  constructor(code: string, message: string, options?: FormatErrorOptions) {
    super('note', code, message, options);
    this.name = 'NoteError';
  }
}

/** Checkpoint note-text errors. */
export class CheckpointError extends FormatError {
  constructor(code: string, message: string, options?: FormatErrorOptions) {
    super('checkpoint', code, message, options);
    this.name = 'CheckpointError';
  }
}

/** cosignature/v1 payload and message errors. */
export class CosignatureError extends FormatError {
  constructor(code: string, message: string, options?: FormatErrorOptions) {
    super('cosignature', code, message, options);
    this.name = 'CosignatureError';
  }
}
