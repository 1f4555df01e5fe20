/**
 * Structured logging for the log core: one JSON object per line.
 *
 * The core only calls the {@link Logger} interface; the default writes JSON lines to stderr, and
 * tests or servers inject their own. Field values may be bigints (written as decimal strings) or
 * Uint8Arrays (written as base64).
 *
 * Example line: `{"time":"2026-01-02T03:04:05.000Z","level":"info","msg":"checkpoint signed","size":"42"}`
 */

/** Fields attached to a log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/** A structured logger. Implementations must not throw. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

type Level = 'debug' | 'info' | 'warn' | 'error';

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: value.message, ...(code === undefined ? {} : { code }) };
  }
  return value;
}

/** Formats one JSON log line (without the newline). */
export function formatLogLine(level: Level, msg: string, fields: LogFields | undefined, now: number): string {
  try {
    return JSON.stringify({ time: new Date(now).toISOString(), level, msg, ...fields }, replacer);
  } catch {
    return JSON.stringify({ time: new Date(now).toISOString(), level, msg, fieldsError: 'unserialisable' });
  }
}

/** Options of {@link jsonLogger}. */
export interface JsonLoggerOptions {
  /** Where lines go; default process.stderr. */
  readonly write?: (line: string) => void;
  /** Lowest level written; default 'info'. */
  readonly level?: Level;
  readonly clock?: () => number;
}

const ORDER: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** A logger that writes JSON lines (default: to stderr, level info and above). */
export function jsonLogger(opts: JsonLoggerOptions = {}): Logger {
  const write = opts.write ?? ((line: string) => void process.stderr.write(line + '\n'));
  const min = ORDER[opts.level ?? 'info'];
  const clock = opts.clock ?? Date.now;
  const at = (level: Level) => (msg: string, fields?: LogFields) => {
    if (ORDER[level] >= min) write(formatLogLine(level, msg, fields, clock()));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A logger that drops everything (for tests). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
