/**
 * The error type of @cairn/ingest.
 *
 * Every parser and mapper of this package throws only {@link IngestError} for bad input. It says
 * which wire format failed (`format`: `k8s-audit`, `otlp`, `syslog`, `syslog-rules`, `json`), why
 * (`code`, a stable string the listener maps to a status in one table) and where (`at`: a JSON
 * path such as `$.items[3].verb`, or a byte offset such as `byte 17`). Messages never quote the
 * values received: user names, IP addresses and log lines are personal data, and these messages
 * go back to producers and into our own logs. The cause (for instance the {@link EventError} of
 * @cairn/events with its path) is kept for the operator.
 */

/** The wire formats of this package. */
export type IngestFormat = 'k8s-audit' | 'otlp' | 'syslog' | 'syslog-rules' | 'json';

/** A producer's input that does not parse, or that maps to no valid OCSF event. */
export class IngestError extends Error {
  readonly format: IngestFormat;
  /** Stable machine-readable reason, e.g. `'wrong-api-version'`. */
  readonly code: string;
  /** Where: a JSON path (`$.items[3].verb`) or a byte offset (`byte 17`). */
  readonly at: string;

  constructor(format: IngestFormat, code: string, at: string, message: string, options?: { cause?: unknown }) {
    super(`${format} ${at}: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'IngestError';
    this.format = format;
    this.code = code;
    this.at = at;
  }
}

/** The position `byte N` of a binary or text input. */
export const atByte = (offset: number): string => `byte ${offset}`;
