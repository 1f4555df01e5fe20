/**
 * `--log-format text|json` and the one place the long-running commands (`log serve`, `witness
 * serve`, `monitor`) get their output from, so every line they print has one shape.
 *
 * - Log records go to standard error through @cairn/log's `createLogger`: json = one JSON object
 *   per line (`time`, `level`, `msg`, fields), text = `TIME LEVEL msg key=value …`; the time is
 *   always ISO 8601 UTC with milliseconds (`2026-12-02T09:41:07.123Z`).
 * - Start-up lines ("cairn log listening on URL", the keys, the limits …) go to standard output,
 *   where scripts read them: in text mode exactly as written, for people; in json mode as records
 *   whose `msg` is that same line (plus fields such as `url`), so a process supervisor that
 *   merges both streams sees JSON only.
 * - A command that fails after its options were read reports the failure as an error record in
 *   json mode (main.ts).
 *
 * Default: text when standard error is a terminal, json otherwise (a service manager, a pipe, a
 * test) — the servers wrote JSON log lines before this flag existed, and tests rely on that.
 */
import { createLogger, formatLogLine, LOG_FORMATS, type LogFields, type LogFormat, type Logger } from '@cairn/log';
import { UsageError, type Io } from '../command.js';

/** The `--log-format` option. */
export const logFormatOption = {
  'log-format': {
    type: 'string', value: 'text|json',
    description: 'log lines as text (for people) or json (one object per line); default text when standard error is a terminal, json otherwise',
  },
} as const;

/** The format from the flag, or the default for where standard error goes. */
export function parseLogFormat(value: string | undefined, stderrIsTty: boolean = process.stderr.isTTY === true): LogFormat {
  if (value === undefined) return stderrIsTty ? 'text' : 'json';
  if (!(LOG_FORMATS as readonly string[]).includes(value)) {
    throw new UsageError(`--log-format must be one of ${LOG_FORMATS.join(', ')}, got "${value}"`);
  }
  return value as LogFormat;
}

/** What a long-running command prints through. */
export interface CommandOutput {
  readonly format: LogFormat;
  /** Log records, to standard error. */
  readonly logger: Logger;
  /** A start-up line, to standard output: as is (text) or as a record with `msg` = the line (json). */
  say(line: string, fields?: LogFields, level?: 'info' | 'warn'): void;
}

/** Builds the output of a command from its `--log-format` value. */
export function commandOutput(format: LogFormat, io: Io, clock: () => number = Date.now): CommandOutput {
  return {
    format,
    logger: createLogger({ format, write: (l) => io.err(l), clock }),
    say: format === 'text' ? (line) => io.out(line) : (line, fields, level = 'info') => io.out(formatLogLine(level, line, fields, clock())),
  };
}

/** A failure message as a json record (what main.ts prints when a command in json mode fails). */
export function failureRecord(message: string, exitCode: number, now: number = Date.now()): string {
  return formatLogLine('error', message, { exitCode }, now);
}

/** The `--help` paragraph on --log-format. */
export const LOG_FORMAT_HELP = `Log output: --log-format json writes one JSON object per line ({"time":"2026-12-02T09:41:07.123Z",
"level":"info","msg":…, fields}); text writes "2026-12-02T09:41:07.123Z INFO msg key=value …".
The default is text when standard error is a terminal, json otherwise.`;

/** The servers' `--help` paragraph on their output. */
export const LOG_OUTPUT_HELP = `${LOG_FORMAT_HELP} Log records go to standard
error; the start-up lines go to standard output, as written in text mode and as records whose
msg is the line in json mode, so no plain-text line is mixed into JSON output.`;
