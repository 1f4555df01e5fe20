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
    // The path and message go back to the producer, into our logs and into refusal records: a
    // key the producer chose (`$.annotations["alice@example.org"]`) may be personal data.
    // (The syslog rules file is the operator's own: its paths stay whole.)
    const own = format === 'syslog-rules';
    const where = own ? at : redactPathKeys(at);
    super(`${format} ${where}: ${own ? message : redactPathKeys(message)}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'IngestError';
    this.format = format;
    this.code = code;
    this.at = where;
  }
}

/**
 * Replaces every bracketed string member of a JSON path (`["example.com/note"]`: a key the
 * producer chose, which may be personal data) with `["…"]`; array positions (`[3]`) stay.
 */
export function redactPathKeys(s: string): string {
  return s.replace(/\["(?:[^"\\]|\\.)*"\]/g, '["…"]');
}

/** The position `byte N` of a binary or text input. */
export const atByte = (offset: number): string => `byte ${offset}`;
