/**
 * Structured logging: one record per line, in one of two formats with one time format (ISO 8601
 * UTC with milliseconds, `Date.prototype.toISOString`).
 *
 * - `json` (for machines): one JSON object per line, `time`, `level`, `msg`, then the fields:
 *   `{"time":"2026-01-02T03:04:05.000Z","level":"info","msg":"checkpoint signed","size":"42"}`
 * - `text` (for people): `2026-01-02T03:04:05.000Z INFO checkpoint signed size=42`; a value with
 *   a space, `"`, `=` or a control character, and every object, is written as JSON.
 *
 * The core only calls the {@link Logger} interface; the default writes JSON lines to stderr, and
 * tests or servers inject their own ({@link createLogger} picks the format). Field values may be
 * bigints (written as decimal strings) or Uint8Arrays (written as base64).
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

/** The four levels, lowest first. */
export type Level = 'debug' | 'info' | 'warn' | 'error';

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: value.message, ...(code === undefined ? {} : { code }) };
  }
  return value;
}

/** The record's own keys in a JSON line: a field of one of these names is written as `field.<name>`. */
const HEADER_KEYS = new Set(['time', 'level', 'msg']);

/** The fields with any named like a header key renamed, so no field can replace the record's time, level or message. */
function ownFields(fields: LogFields | undefined): LogFields | undefined {
  if (fields === undefined || !Object.keys(fields).some((k) => HEADER_KEYS.has(k))) return fields;
  // Object.fromEntries defines own data properties: a key `__proto__` stays a plain field.
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [HEADER_KEYS.has(k) ? `field.${k}` : k, v]));
}

/**
 * Formats one JSON log line (without the newline). A field named `time`, `level` or `msg` is
 * written as `field.time`, `field.level` or `field.msg`: the record's own keys always win.
 */
export function formatLogLine(level: Level, msg: string, fields: LogFields | undefined, now: number): string {
  try {
    return JSON.stringify({ time: new Date(now).toISOString(), level, msg, ...ownFields(fields) }, replacer);
  } catch {
    return JSON.stringify({ time: new Date(now).toISOString(), level, msg, fieldsError: 'unserialisable' });
  }
}

/** The two line formats. */
export type LogFormat = 'text' | 'json';
/** Every log format, for validating a flag. */
export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];

/** Formats one text log line (without the newline): `TIME LEVEL msg key=value …` (fields renamed as in JSON). */
export function formatTextLine(level: Level, msg: string, fields: LogFields | undefined, now: number): string {
  let line = `${new Date(now).toISOString()} ${level.toUpperCase()} ${oneLine(msg)}`;
  for (const [k, v] of Object.entries(ownFields(fields) ?? {})) {
    if (v === undefined) continue;
    line += ` ${oneLine(k)}=${textValue(v)}`;
  }
  return line;
}

/** Control characters (newlines above all) would split a record: escape them. */
function oneLine(s: string): string {
  return /[\u0000-\u001f\u007f]/.test(s) ? JSON.stringify(s).slice(1, -1) : s;
}

function textValue(v: unknown): string {
  const r = replacer('', v);
  if (typeof r === 'string') {
    return r === '' || /[\s"=\u0000-\u001f\u007f]/.test(r) ? JSON.stringify(r) : r;
  }
  if (typeof r === 'number' || typeof r === 'boolean' || r === null) return String(r);
  try {
    return JSON.stringify(r, replacer) ?? 'undefined';
  } catch {
    return '"(unserialisable)"';
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
  return createLogger({ ...opts, format: 'json' });
}

/** Options of {@link createLogger}. */
export interface LoggerOptions extends JsonLoggerOptions {
  readonly format: LogFormat;
}

/** The one logger factory: records in `format`, one per line (default: to stderr, info and above). */
export function createLogger(opts: LoggerOptions): Logger {
  const write = opts.write ?? ((line: string) => void process.stderr.write(line + '\n'));
  const min = ORDER[opts.level ?? 'info'];
  const clock = opts.clock ?? Date.now;
  const format = opts.format === 'text' ? formatTextLine : formatLogLine;
  const at = (level: Level) => (msg: string, fields?: LogFields) => {
    if (ORDER[level] >= min) write(format(level, msg, fields, clock()));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A logger that drops everything (for tests). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
