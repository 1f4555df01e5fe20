/**
 * The search query language: Lucene/KQL-style text in, a small typed tree out. Pure (no `node:*`,
 * no clock of its own: `now` comes from the caller), so the same parser serves the server, the CLI
 * and a browser.
 *
 * ```
 * query    = or EOF
 * or       = and { "OR" and }
 * and      = unary { ["AND"] unary }            (two terms side by side: AND)
 * unary    = "NOT" unary | primary
 * primary  = "(" or ")" | term
 * term     = FIELD op value | TEXT | QUOTED | "*"
 * op       = ":" | ":>=" | ":>" | ":<=" | ":<" | ">=" | ">" | "<=" | "<"
 * value    = QUOTED | run of characters up to white space, "(", ")" or '"'
 * QUOTED   = '"' { any character but '"' and "\", or "\"" or "\\" } '"'
 * TEXT     = run of characters other than white space and ( ) " : < > =
 * ```
 * `AND`, `OR`, `NOT` are operators only in capitals (`and` is a word to search for); `OR` binds
 * weaker than `AND`. Examples:
 * `actor:alice class:api_activity status:failure resource.namespace:payments`,
 * `time>=2026-11-01 time<now-7d (api.operation:get OR api.operation:list) NOT source:ci`,
 * `"db password" severity>=high`, `src_ip:2001:db8::7`, `alic*`.
 *
 * Fields and their values (a value is compared exactly, case-sensitive, unless said otherwise):
 * | field | value | ranges |
 * |---|---|---|
 * | `time` | `2026-11-01` (that UTC day), `2026-11-01T09:30:00Z` / `…+02:00` / `….123Z` (that instant), milliseconds since the epoch, `now`, `now-7d` (s m h d w) | yes |
 * | `source` | a source id | no |
 * | `seq` | the source's sequence number (leaf record), a decimal up to 2^63−1, exact | yes |
 * | `class` | `authentication` `account_change` `api_activity` `process_activity` `event_log_activity` `detection_finding` or the class_uid | no |
 * | `activity` | activity_id | no |
 * | `status` | `success` `failure` (not Detection Findings), `new` `in_progress` `suppressed` `resolved` `archived` `deleted` (Detection Findings), `unknown` `other`, or status_id | no |
 * | `severity` | `unknown` `informational` `low` `medium` `high` `critical` `fatal` `other` or severity_id | yes, over 0–6 (Other never matches a range) |
 * | `actor` | the acting user's name or uid (`actor.user`; for Authentication also `user`) | no |
 * | `user` | the subject user's name or uid (`user`) | no |
 * | `src_ip` | an IP address (`src_endpoint.ip`; for findings also their evidences'), any spelling | no |
 * | `resource.type` `resource.name` `resource.namespace` | of any entry of `resources` | no |
 * | `api.operation` | `api.operation` | no |
 * A bare word or a quoted phrase searches the full text (text.ts): every string and number value
 * of the event, as words; `alic*` is a word prefix. `*` alone matches every event.
 *
 * Bounds against hostile input: {@link MAX_QUERY_LENGTH} characters, {@link MAX_QUERY_DEPTH}
 * levels of parentheses and NOT, {@link MAX_QUERY_TERMS} terms, {@link MAX_VALUE_LENGTH}
 * characters per value. Every failure is a {@link QueryError} naming the position.
 */
import { MAX_SEQUENCE, SUPPORTED_CLASSES, isValidSourceId } from '@cairn/events';
import { QueryError } from './errors.js';
import { canonicalIp } from './ip.js';
import { words, type TextTerm } from './text.js';

/** Longest query, characters. */
export const MAX_QUERY_LENGTH = 4096;
/** Deepest nesting of parentheses and NOT. */
export const MAX_QUERY_DEPTH = 32;
/** Most terms (field terms and text terms) in one query. */
export const MAX_QUERY_TERMS = 64;
/** Longest value of one term, characters. */
export const MAX_VALUE_LENGTH = 256;

/** Integer columns of the index. */
export type IntColumn = 'time' | 'class_uid' | 'activity_id' | 'status_id' | 'severity_id';
/** Single text columns. */
export type KeywordColumn = 'source' | 'api_operation';
/** Text-array columns (an event may carry several values). */
export type ArrayColumn = 'actors' | 'users' | 'src_ips' | 'resource_types' | 'resource_names' | 'resource_namespaces';
export type CmpOp = '=' | '>=' | '>' | '<=' | '<';

/** A parsed query: what the SQL compiler (sql.ts) and the reference matcher (match.ts) take. */
export type Query =
  | { readonly kind: 'all' }
  | { readonly kind: 'and'; readonly items: readonly Query[] }
  | { readonly kind: 'or'; readonly items: readonly Query[] }
  | { readonly kind: 'not'; readonly item: Query }
  | { readonly kind: 'int'; readonly column: IntColumn; readonly op: CmpOp; readonly value: number }
  /** The sequence number: a bigint (the leaf allows up to 2^63−1, beyond a double's exact integers). */
  | { readonly kind: 'seq'; readonly op: CmpOp; readonly value: bigint }
  | { readonly kind: 'keyword'; readonly column: KeywordColumn; readonly value: string }
  | { readonly kind: 'member'; readonly column: ArrayColumn; readonly value: string }
  | { readonly kind: 'text'; readonly term: TextTerm };

/** The class names the query takes, and their class_uid. */
export const CLASS_NAMES: Readonly<Record<string, number>> = {
  authentication: 3002, account_change: 3001, api_activity: 6003,
  process_activity: 1007, event_log_activity: 1008, detection_finding: 2004,
};
/** Detection Finding: its status_id list differs from the other classes'. */
const FINDING = 2004;
const STATUS_ANY: Readonly<Record<string, number>> = { unknown: 0, other: 99 };
const STATUS_EVENT: Readonly<Record<string, number>> = { success: 1, failure: 2 };
const STATUS_FINDING: Readonly<Record<string, number>> = { new: 1, in_progress: 2, suppressed: 3, resolved: 4, archived: 5, deleted: 6 };
export const SEVERITY_NAMES: Readonly<Record<string, number>> = {
  unknown: 0, informational: 1, low: 2, medium: 3, high: 4, critical: 5, fatal: 6, other: 99,
};
const SEVERITY_OTHER = 99;

type FieldKind = 'time' | 'source' | 'seq' | 'class' | 'activity' | 'status' | 'severity' | 'ip' | KeywordColumn | ArrayColumn;
/** The query's field names, and what each one is. */
export const FIELDS: Readonly<Record<string, FieldKind>> = {
  time: 'time', source: 'source', seq: 'seq', class: 'class', activity: 'activity', status: 'status', severity: 'severity',
  actor: 'actors', user: 'users', src_ip: 'ip', 'resource.type': 'resource_types', 'resource.name': 'resource_names',
  'resource.namespace': 'resource_namespaces', 'api.operation': 'api_operation',
};

export interface ParseOptions {
  /** The clock for `now` in time values, ms since the epoch; a query using `now` without it is refused. */
  readonly now?: number;
}

/** Parses a query. Throws only {@link QueryError}. */
export function parseQuery(text: string, opts: ParseOptions = {}): Query {
  if (typeof text !== 'string') throw new QueryError('bad-value', 0, 'a query is a string');
  if (text.length > MAX_QUERY_LENGTH) throw new QueryError('too-long', MAX_QUERY_LENGTH, `a query has at most ${MAX_QUERY_LENGTH} characters`);
  const bad = /[\u0000-\u0008\u000a-\u001f\u007f]/.exec(text); // tab is white space, the other controls are refused
  if (bad !== null) throw new QueryError('bad-character', bad.index, 'control character');
  if (!text.isWellFormed()) throw new QueryError('bad-character', /[\ud800-\udfff]/.exec(text)?.index ?? 0, 'lone surrogate');
  return new Parser(text, opts).parse();
}

const SPACE = /[\s]/;
const TEXT_STOP = new Set([' ', '\t', '(', ')', '"', ':', '<', '>', '=']);
const VALUE_STOP = new Set(['(', ')', '"']);
const DAY_MS = 86_400_000;

class Parser {
  private pos = 0;
  private depth = 0;
  private terms = 0;
  constructor(
    private readonly s: string,
    private readonly opts: ParseOptions,
  ) {}

  parse(): Query {
    this.skip();
    if (this.pos >= this.s.length) throw new QueryError('empty', this.pos, 'empty query: give a term, or * for every event');
    const q = this.or();
    this.skip();
    if (this.pos < this.s.length) {
      throw new QueryError('unexpected', this.pos, this.s[this.pos] === ')' ? 'a ")" without its "("' : 'unexpected input');
    }
    return q;
  }

  private skip(): void {
    while (this.pos < this.s.length && SPACE.test(this.s[this.pos]!)) this.pos++;
  }

  /** The operator keyword at the current position (followed by a separator), or undefined. */
  private keyword(): 'AND' | 'OR' | 'NOT' | undefined {
    for (const k of ['AND', 'OR', 'NOT'] as const) {
      if (this.s.startsWith(k, this.pos)) {
        const next = this.s[this.pos + k.length];
        if (next === undefined || SPACE.test(next) || next === '(' || next === ')' || next === '"') return k;
      }
    }
    return undefined;
  }

  private atEnd(): boolean {
    return this.pos >= this.s.length || this.s[this.pos] === ')';
  }

  private or(): Query {
    const items = [this.and()];
    for (;;) {
      this.skip();
      if (this.keyword() !== 'OR') break;
      this.pos += 2;
      this.skip();
      this.expectTerm('OR');
      items.push(this.and());
    }
    return items.length === 1 ? items[0]! : { kind: 'or', items };
  }

  private and(): Query {
    const items = [this.unary()];
    for (;;) {
      this.skip();
      if (this.atEnd()) break;
      const k = this.keyword();
      if (k === 'OR') break;
      if (k === 'AND') {
        this.pos += 3;
        this.skip();
        this.expectTerm('AND');
      }
      items.push(this.unary());
    }
    return items.length === 1 ? items[0]! : { kind: 'and', items: flattenAnd(items) };
  }

  private expectTerm(after: string): void {
    if (this.atEnd()) throw new QueryError('unexpected', this.pos, `expected a term after ${after}`);
    const k = this.keyword();
    if (k === 'AND' || k === 'OR') throw new QueryError('unexpected', this.pos, `expected a term after ${after}, not ${k}`);
  }

  private enter(at: number): void {
    if (++this.depth > MAX_QUERY_DEPTH) throw new QueryError('too-deep', at, `nested deeper than ${MAX_QUERY_DEPTH}`);
  }

  private unary(): Query {
    this.skip();
    if (this.keyword() === 'NOT') {
      const at = this.pos;
      this.enter(at);
      this.pos += 3;
      this.skip();
      this.expectTerm('NOT');
      const item = this.unary();
      this.depth--;
      return { kind: 'not', item };
    }
    return this.primary();
  }

  private primary(): Query {
    const at = this.pos;
    const c = this.s[at];
    if (c === undefined) throw new QueryError('unexpected', at, 'expected a term');
    const k = this.keyword();
    if (k === 'AND' || k === 'OR') throw new QueryError('unexpected', at, `expected a term, not ${k}`);
    if (c === '(') {
      this.enter(at);
      this.pos++;
      this.skip();
      if (this.s[this.pos] === ')') throw new QueryError('unexpected', this.pos, 'empty parentheses');
      if (this.pos >= this.s.length) throw new QueryError('unterminated', at, 'a "(" without its ")"');
      const q = this.or();
      this.skip();
      if (this.s[this.pos] !== ')') throw new QueryError('unterminated', at, 'a "(" without its ")"');
      this.pos++;
      this.depth--;
      return q;
    }
    if (c === ')') throw new QueryError('unexpected', at, 'a ")" without its "("');
    this.count(at);
    if (c === '"') {
      const v = this.quoted();
      return textTerm(v, at + 1, false);
    }
    if (c === ':' || c === '<' || c === '>' || c === '=') throw new QueryError('unexpected', at, 'expected a field name or a word before this');
    let end = at;
    while (end < this.s.length && !TEXT_STOP.has(this.s[end]!) && !SPACE.test(this.s[end]!)) end++;
    const word = this.s.slice(at, end);
    this.pos = end;
    const next = this.s[end];
    if (next === ':' || next === '<' || next === '>') return this.fieldTerm(word, at);
    if (next === '=') throw new QueryError('unexpected', end, 'use ":" for equality');
    if (word === '*') return { kind: 'all' };
    if (word.length > MAX_VALUE_LENGTH) throw new QueryError('bad-value', at, `a word has at most ${MAX_VALUE_LENGTH} characters`);
    const prefix = /^[\p{L}\p{N}]+\*$/u.test(word);
    return textTerm(prefix ? word.slice(0, -1) : word, at, prefix);
  }

  private count(at: number): void {
    if (++this.terms > MAX_QUERY_TERMS) throw new QueryError('too-many-terms', at, `at most ${MAX_QUERY_TERMS} terms`);
  }

  /** A quoted string at the current position; returns its value. */
  private quoted(): string {
    const open = this.pos;
    let out = '';
    let i = open + 1;
    for (;;) {
      const c = this.s[i];
      if (c === undefined) throw new QueryError('unterminated', open, 'a quote without its closing quote');
      if (c === '"') break;
      if (c === '\\') {
        const e = this.s[i + 1];
        if (e !== '"' && e !== '\\') throw new QueryError('bad-value', i, 'in quotes, "\\" escapes only " and \\');
        out += e;
        i += 2;
        continue;
      }
      out += c;
      i++;
    }
    this.pos = i + 1;
    if (out.length > MAX_VALUE_LENGTH) throw new QueryError('bad-value', open, `a value has at most ${MAX_VALUE_LENGTH} characters`);
    return out;
  }

  private fieldTerm(name: string, at: number): Query {
    const kind = FIELDS[name];
    if (kind === undefined) throw new QueryError('unknown-field', at, `unknown field; fields: ${Object.keys(FIELDS).join(' ')}`);
    let op: CmpOp = '=';
    const s = this.s;
    if (s[this.pos] === ':') this.pos++;
    if (s[this.pos] === '<' || s[this.pos] === '>') {
      const c = s[this.pos]!;
      this.pos++;
      if (s[this.pos] === '=') {
        this.pos++;
        op = c === '<' ? '<=' : '>=';
      } else op = c === '<' ? '<' : '>';
    }
    const vat = this.pos;
    let value: string;
    if (s[vat] === '"') value = this.quoted();
    else {
      let end = vat;
      while (end < s.length && !VALUE_STOP.has(s[end]!) && !SPACE.test(s[end]!)) end++;
      value = s.slice(vat, end);
      this.pos = end;
      if (value.length > MAX_VALUE_LENGTH) throw new QueryError('bad-value', vat, `a value has at most ${MAX_VALUE_LENGTH} characters`);
    }
    if (value === '') throw new QueryError('bad-value', vat, `expected a value for ${name}`);
    if (op !== '=' && kind !== 'time' && kind !== 'seq' && kind !== 'severity') throw new QueryError('no-range', at, `${name} takes no comparison, only ":"`);
    return fieldQuery(kind, name, op, value, vat, this.opts);
  }
}

function flattenAnd(items: Query[]): Query[] {
  return items.flatMap((q) => (q.kind === 'and' ? q.items : [q]));
}

function textTerm(v: string, at: number, prefix: boolean): Query {
  const ws = words(v);
  if (ws.length === 0) throw new QueryError('bad-value', at, 'full text needs a letter or a digit');
  return { kind: 'text', term: { words: ws, prefix: prefix && ws.length === 1 } };
}

const INT = /^(0|[1-9][0-9]{0,5})$/;
const SEQ = /^(0|[1-9][0-9]*)$/; // at most MAX_VALUE_LENGTH digits: BigInt is cheap

function fieldQuery(kind: FieldKind, name: string, op: CmpOp, v: string, at: number, opts: ParseOptions): Query {
  const bad = (why: string): QueryError => new QueryError('bad-value', at, `${name}: ${why}`);
  const int = (column: IntColumn, value: number, o: CmpOp = '='): Query => ({ kind: 'int', column, op: o, value });
  switch (kind) {
    case 'time': {
      const t = parseTime(v, opts, at, name);
      if (t.day && op === '=') return { kind: 'and', items: [int('time', t.ms, '>='), int('time', t.ms + DAY_MS, '<')] };
      return int('time', t.ms, op);
    }
    case 'source':
      if (!isValidSourceId(v)) throw bad('not a source id');
      return { kind: 'keyword', column: 'source', value: v };
    case 'seq': {
      if (!SEQ.test(v)) throw bad('expected a sequence number (a decimal without leading zeros)');
      const seq = BigInt(v);
      if (seq > MAX_SEQUENCE) throw bad('a sequence number is at most 2^63-1');
      return { kind: 'seq', op, value: seq };
    }
    case 'class': {
      const uid = CLASS_NAMES[v] ?? (INT.test(v) ? Number(v) : undefined);
      if (uid === undefined || !SUPPORTED_CLASSES.includes(uid)) throw bad(`expected one of ${Object.keys(CLASS_NAMES).join(' ')} or a class_uid of them`);
      return int('class_uid', uid);
    }
    case 'activity':
      if (!INT.test(v)) throw bad('expected an activity_id (a decimal number)');
      return int('activity_id', Number(v));
    case 'status': {
      if (INT.test(v)) return int('status_id', Number(v));
      const any = STATUS_ANY[v];
      if (any !== undefined) return int('status_id', any);
      const ev = STATUS_EVENT[v];
      if (ev !== undefined) return { kind: 'and', items: [int('status_id', ev), { kind: 'not', item: int('class_uid', FINDING) }] };
      const fi = STATUS_FINDING[v];
      if (fi !== undefined) return { kind: 'and', items: [int('status_id', fi), int('class_uid', FINDING)] };
      throw bad(`expected a status_id or one of ${[...Object.keys(STATUS_EVENT), ...Object.keys(STATUS_FINDING), ...Object.keys(STATUS_ANY)].join(' ')}`);
    }
    case 'severity': {
      const id = SEVERITY_NAMES[v] ?? (INT.test(v) ? Number(v) : undefined);
      if (id === undefined) throw bad(`expected a severity_id or one of ${Object.keys(SEVERITY_NAMES).join(' ')}`);
      if (op === '=') return int('severity_id', id);
      if (id === SEVERITY_OTHER) throw bad('other has no order');
      return { kind: 'and', items: [int('severity_id', id, op), { kind: 'not', item: int('severity_id', SEVERITY_OTHER) }] };
    }
    case 'ip': {
      const ip = canonicalIp(v);
      if (ip === undefined) throw bad('not an IP address');
      return { kind: 'member', column: 'src_ips', value: ip };
    }
    case 'api_operation':
      return { kind: 'keyword', column: 'api_operation', value: v };
    default:
      return { kind: 'member', column: kind, value: v };
  }
}

const DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;
const DATETIME = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,3}))?)?(Z|[+-][0-9]{2}:[0-9]{2})$/;
const RELATIVE = /^now(?:-(0|[1-9][0-9]{0,5})([smhdw]))?$/;
const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS };
const MS = /^(0|[1-9][0-9]{0,15})$/;

/** A time value: ms since the epoch; `day` when it names a whole UTC day. */
export function parseTime(v: string, opts: ParseOptions, at: number, name = 'time'): { ms: number; day: boolean } {
  const bad = (why: string): QueryError => new QueryError('bad-value', at, `${name}: ${why}`);
  const rel = RELATIVE.exec(v);
  if (rel !== null) {
    if (opts.now === undefined || !Number.isSafeInteger(opts.now)) throw bad('"now" needs the caller\'s clock');
    return { ms: opts.now - (rel[1] === undefined ? 0 : Number(rel[1]) * UNIT_MS[rel[2]!]!), day: false };
  }
  if (MS.test(v)) {
    const ms = Number(v);
    if (!Number.isSafeInteger(ms)) throw bad('milliseconds beyond 2^53-1');
    return { ms, day: false };
  }
  const d = DATE.exec(v);
  const dt = d === null ? DATETIME.exec(v) : null;
  const m = d ?? dt;
  if (m === null) throw bad('expected YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS[.fff]](Z|±HH:MM), milliseconds, now or now-N(s|m|h|d|w)');
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1970) throw bad('year before 1970');
  if (month < 1 || month > 12) throw bad('no such month');
  const dim = [31, year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  if (day < 1 || day > dim) throw bad('no such day');
  const midnight = Date.UTC(year, month - 1, day);
  if (dt === null) return { ms: midnight, day: true };
  const [hh, mm, ss] = [Number(m[4]), Number(m[5]), m[6] === undefined ? 0 : Number(m[6])];
  if (hh > 23 || mm > 59 || ss > 59) throw bad('no such time of day');
  const frac = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0'));
  let offset = 0;
  const z = m[8]!;
  if (z !== 'Z') {
    const oh = Number(z.slice(1, 3));
    const om = Number(z.slice(4, 6));
    if (oh > 23 || om > 59) throw bad('no such offset');
    offset = (z[0] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  return { ms: midnight + ((hh * 60 + mm) * 60 + ss) * 1000 + frac - offset, day: false };
}
