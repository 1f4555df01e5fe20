/**
 * Witness-network log lists, format `logs/v0` (witness-network.org/log-list-format;
 * docs/protocols.md §5.9): the logs a witness accepts, with the add-checkpoint rate each may use.
 *
 * ```
 * # comment
 * logs/v0
 *
 * vkey arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f
 * qpd 86400
 * contact google-ct-logs@googlegroups.com
 *
 * vkey log.example.org+0a72cd63+AV2yLmzeBL9B3zFJNqal0JuqxiFve0m/eqmT1+KkLVeC
 * origin example.org/other-origin
 * qpd 24
 * contact ops (at) example.org
 * ```
 *
 * Lines are trimmed (spaces and tabs); blank lines and `#` comment lines are ignored. The first
 * meaningful line is `logs/v0`. Each log is, strictly in this order: `vkey <vkey>` (Ed25519 type
 * 0x01 only), optional `origin <origin>` (defaults to the vkey's key name), `qpd <n>`
 * (add-checkpoint requests per day, canonical decimal 1..2^31−1) and `contact <free text>`.
 * Keywords are followed by exactly one space. The same vkey may not be listed twice.
 *
 * Stricter than the reference validator (transparency-dev/witness-network cmd/validate): no CR,
 * no control characters, canonical decimals. {@link formatLogList} writes the canonical form: the
 * header, then each log after a blank line, with `origin` only when it differs from the key name.
 */
import { trimBlanks } from './blanks.js';
import { parseDecimal, utf8DecodeStrict } from './encoding.js';
import { FormatError, type FormatErrorOptions } from './errors.js';
import { ALG_ED25519, parseVerifierKey } from './keys.js';

/** First meaningful line of a list. */
export const LOG_LIST_HEADER = 'logs/v0';
/** Largest list accepted (the staging lists of ~40k logs are a few MB). */
export const MAX_LOG_LIST_SIZE = 16 * 1024 * 1024;
/** Most logs accepted in one list. */
export const MAX_LOG_LIST_ENTRIES = 100_000;
/** Largest qpd: 2^31 − 1. */
export const MAX_QPD = 0x7fffffff;

/**
 * A log-list error; `line` is the 1-based line concerned (undefined for whole-file problems).
 * Codes: `bad-input`, `too-large`, `bad-utf8`, `bad-char`, `missing-header`, `unexpected-line`,
 * `bad-vkey`, `wrong-key-type`, `duplicate-log`, `bad-origin`, `bad-qpd`, `bad-contact`,
 * `incomplete-log`, `too-many-logs`.
 */
export class LogListError extends FormatError {
  readonly line: number | undefined;
  constructor(code: string, message: string, line?: number, options?: FormatErrorOptions) {
    super('log-list', code, line === undefined ? message : `line ${line}: ${message}`, options);
    this.name = 'LogListError';
    this.line = line;
  }
}

/** One log of the list. */
export interface LogListEntry {
  /** The log's type-0x01 vkey text, as listed. */
  readonly vkey: string;
  /** The checkpoint origin: the `origin` line, or the vkey's key name. */
  readonly origin: string;
  /** Add-checkpoint requests per day the log may send (1..2^31−1). */
  readonly qpd: number;
  /** Free-text contact for humans. */
  readonly contact: string;
}

/** A parsed `logs/v0` list. */
export interface LogList {
  readonly logs: readonly LogListEntry[];
}

// C0 controls other than TAB and LF, and DEL.
const FORBIDDEN_CHAR = /[\u0000-\u0008\u000b-\u001f\u007f]/;

function toText(input: string | Uint8Array): string {
  if (typeof input === 'string') {
    if (input.length > MAX_LOG_LIST_SIZE) throw new LogListError('too-large', `log list exceeds ${MAX_LOG_LIST_SIZE} bytes`);
    if (!input.isWellFormed()) throw new LogListError('bad-utf8', 'log list is not well-formed Unicode');
    if (new TextEncoder().encode(input).length > MAX_LOG_LIST_SIZE) {
      throw new LogListError('too-large', `log list exceeds ${MAX_LOG_LIST_SIZE} bytes`);
    }
    return input;
  }
  if (!(input instanceof Uint8Array)) throw new LogListError('bad-input', 'log list must be a string or bytes');
  if (input.length > MAX_LOG_LIST_SIZE) throw new LogListError('too-large', `log list of ${input.length} bytes exceeds ${MAX_LOG_LIST_SIZE}`);
  try {
    return utf8DecodeStrict(input);
  } catch (cause) {
    throw new LogListError('bad-utf8', 'log list is not valid UTF-8', undefined, { cause });
  }
}

/** Splits `keyword value` (exactly one space); undefined if the line has another keyword. */
function valueOf(line: string, keyword: string): string | undefined {
  if (line === keyword) return '';
  return line.startsWith(`${keyword} `) ? line.slice(keyword.length + 1) : undefined;
}

type State = 'vkey' | 'origin-or-qpd' | 'contact';

/** Parses a `logs/v0` list. Throws only {@link LogListError}. */
export function parseLogList(input: string | Uint8Array): LogList {
  const text = toText(input);
  const logs: LogListEntry[] = [];
  const seen = new Set<string>();
  let header = false;
  let state: State = 'vkey';
  let cur: { vkey: string; name: string; origin?: string; qpd?: number; line: number } | undefined;
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const n = i + 1;
    if (FORBIDDEN_CHAR.test(raw)) throw new LogListError('bad-char', 'control character (only TAB and LF are allowed)', n);
    const line = trimBlanks(raw);
    if (line === '' || line.startsWith('#')) continue;
    if (!header) {
      if (line !== LOG_LIST_HEADER) throw new LogListError('missing-header', `first line must be "${LOG_LIST_HEADER}"`, n);
      header = true;
      continue;
    }
    if (state === 'vkey') {
      const vkey = valueOf(line, 'vkey');
      if (vkey === undefined) throw new LogListError('unexpected-line', 'expected "vkey <vkey>"', n);
      if (logs.length === MAX_LOG_LIST_ENTRIES) throw new LogListError('too-many-logs', `more than ${MAX_LOG_LIST_ENTRIES} logs`, n);
      let alg: number;
      let name: string;
      try {
        ({ alg, name } = parseVerifierKey(vkey));
      } catch (cause) {
        const why = cause instanceof Error ? cause.message : String(cause);
        throw new LogListError('bad-vkey', `invalid vkey: ${why}`, n, { cause });
      }
      if (alg !== ALG_ED25519) throw new LogListError('wrong-key-type', 'log vkeys must be Ed25519 note keys (type 0x01)', n);
      if (seen.has(vkey)) throw new LogListError('duplicate-log', 'this vkey is already listed', n);
      seen.add(vkey);
      cur = { vkey, name, line: n };
      state = 'origin-or-qpd';
      continue;
    }
    if (state === 'origin-or-qpd') {
      const origin = valueOf(line, 'origin');
      if (origin !== undefined) {
        if (cur!.origin !== undefined) throw new LogListError('unexpected-line', 'origin given twice', n);
        if (origin === '' || /^[ \t]/.test(origin)) throw new LogListError('bad-origin', 'origin must be non-empty', n);
        cur!.origin = origin;
        continue;
      }
      const qpd = valueOf(line, 'qpd');
      if (qpd === undefined) throw new LogListError('unexpected-line', 'expected "origin <origin>" or "qpd <n>"', n);
      let v: bigint;
      try {
        v = parseDecimal(qpd, BigInt(MAX_QPD));
      } catch (cause) {
        throw new LogListError('bad-qpd', `qpd must be a canonical decimal in 1..${MAX_QPD}`, n, { cause });
      }
      if (v === 0n) throw new LogListError('bad-qpd', `qpd must be a canonical decimal in 1..${MAX_QPD}`, n);
      cur!.qpd = Number(v);
      state = 'contact';
      continue;
    }
    const contact = valueOf(line, 'contact');
    if (contact === undefined) throw new LogListError('unexpected-line', 'expected "contact <text>"', n);
    if (contact === '' || /^[ \t]/.test(contact)) throw new LogListError('bad-contact', 'contact must be non-empty', n);
    logs.push({ vkey: cur!.vkey, origin: cur!.origin ?? cur!.name, qpd: cur!.qpd!, contact });
    cur = undefined;
    state = 'vkey';
  }
  if (!header) throw new LogListError('missing-header', `log list must start with "${LOG_LIST_HEADER}"`);
  if (cur !== undefined) throw new LogListError('incomplete-log', 'the last log has no qpd or contact line', cur.line);
  return { logs };
}

function oneLine(s: unknown, what: string): string {
  if (typeof s !== 'string' || s.length === 0 || s !== trimBlanks(s) || s.includes('\n') ||
    FORBIDDEN_CHAR.test(s) || !s.isWellFormed()) {
    throw new LogListError('bad-input', `${what} must be a non-empty single line without surrounding white space`);
  }
  return s;
}

/** Formats a list canonically and checks it by parsing the result. Throws {@link LogListError}. */
export function formatLogList(list: LogList): string {
  if (typeof list !== 'object' || list === null || !Array.isArray(list.logs)) throw new LogListError('bad-input', 'list must have logs');
  let out = `${LOG_LIST_HEADER}\n`;
  for (const l of list.logs) {
    const vkey = oneLine(l.vkey, 'vkey');
    let name: string;
    try {
      name = parseVerifierKey(vkey).name;
    } catch (cause) {
      throw new LogListError('bad-vkey', 'invalid vkey', undefined, { cause });
    }
    out += `\nvkey ${vkey}\n`;
    if (oneLine(l.origin, 'origin') !== name) out += `origin ${l.origin}\n`;
    if (!Number.isSafeInteger(l.qpd)) throw new LogListError('bad-qpd', `qpd must be an integer in 1..${MAX_QPD}`);
    out += `qpd ${l.qpd}\ncontact ${oneLine(l.contact, 'contact')}\n`;
  }
  parseLogList(out);
  return out;
}
