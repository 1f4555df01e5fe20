/**
 * Strict JSON (RFC 8259) from bytes, for events received from outside.
 *
 * Stricter than `JSON.parse` in every way that matters for a signed, canonical record:
 * - the input is UTF-8 without a byte-order mark; invalid UTF-8 is rejected (`bad-utf8`), so are
 *   escaped lone surrogates (`"\ud800"`, `lone-surrogate`);
 * - an object may not repeat a key (`duplicate-key`; `JSON.parse` keeps the last one silently);
 * - every number must be written the way RFC 8785 (ECMAScript) writes it: `1` not `1.0`, `1e3`
 *   or `-0` (`non-canonical-number`); an integer beyond ±(2^53−1) cannot be represented exactly
 *   and must travel as a string (`unsafe-integer`);
 * - caps, checked while parsing: input size, nesting depth, string, key and array lengths, keys
 *   per object (`too-large`, `too-deep`, `string-too-long`, `key-too-long`, `array-too-long`,
 *   `too-many-keys`); anything else is `bad-json` with the offset.
 *
 * Errors are {@link EventError} with the JSON path of the value concerned (`$.actor.user`).
 */
import { EventError } from './errors.js';

/** A JSON value as parsed here (objects are plain objects; `__proto__` is an ordinary key). */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
/** A JSON object. */
export interface JsonObject {
  [key: string]: JsonValue;
}

/** Parse limits. */
export interface JsonLimits {
  /** Largest input, bytes. */
  readonly maxBytes: number;
  /** Deepest nesting: the top-level value is depth 1. */
  readonly maxDepth: number;
  /** Longest string value, UTF-16 code units. */
  readonly maxStringLength: number;
  /** Longest object key, UTF-16 code units. */
  readonly maxKeyLength: number;
  /** Most elements in one array. */
  readonly maxArrayLength: number;
  /** Most keys in one object. */
  readonly maxKeys: number;
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const CANONICAL_INTEGER = /^-?(0|[1-9][0-9]*)$/;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The path of `key` under `path`: `$.a`, `$[0]`, or `$["a b"]` when the key is not an identifier. */
export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** Sets an own enumerable data property; `__proto__` becomes an ordinary key, never the prototype. */
export function setData(o: JsonObject, key: string, value: JsonValue): void {
  if (key === '__proto__') Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  else o[key] = value;
}

/** The path of a stack of keys from the root (built only when an error needs it). */
export function pathOf(keys: readonly (string | number)[]): string {
  let p = '$';
  for (const k of keys) p = childPath(p, k);
  return p;
}

/** Parses `bytes` as one strict JSON value. Throws only {@link EventError}. */
export function parseJsonStrict(bytes: Uint8Array, limits: JsonLimits): JsonValue {
  if (!(bytes instanceof Uint8Array)) throw new EventError('bad-input', '$', 'the event must be bytes');
  if (bytes.length > limits.maxBytes) throw new EventError('too-large', '$', `event of ${bytes.length} bytes exceeds ${limits.maxBytes}`);
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch (cause) {
    throw new EventError('bad-utf8', '$', 'the event is not valid UTF-8', { cause });
  }
  return new Parser(text, limits).parseDocument();
}

class Parser {
  private pos = 0;
  /** Keys from the root to the value being parsed; the error path is built from it on failure. */
  private readonly keys: (string | number)[] = [];

  constructor(
    private readonly s: string,
    private readonly limits: JsonLimits,
  ) {}

  parseDocument(): JsonValue {
    this.ws();
    const v = this.value(1);
    this.ws();
    if (this.pos !== this.s.length) this.fail('unexpected data after the JSON value');
    return v;
  }

  private fail(what: string, code = 'bad-json'): never {
    throw new EventError(code, pathOf(this.keys), `${what} (at character ${this.pos})`);
  }

  private ws(): void {
    const s = this.s;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      this.pos++;
    }
  }

  private value(depth: number): JsonValue {
    if (depth > this.limits.maxDepth) this.fail(`nesting deeper than ${this.limits.maxDepth}`, 'too-deep');
    const c = this.s[this.pos];
    switch (c) {
      case '{':
        return this.object(depth);
      case '[':
        return this.array(depth);
      case '"':
        return this.string(this.limits.maxStringLength, 'string-too-long');
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
        return this.fail(c === undefined ? 'unexpected end of input' : `unexpected character ${JSON.stringify(c)}`);
    }
  }

  private literal<T>(word: string, v: T): T {
    if (!this.s.startsWith(word, this.pos)) this.fail(`expected ${word}`);
    this.pos += word.length;
    return v;
  }

  private number(): number {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.s);
    if (m === null) return this.fail('bad number');
    const lit = m[0];
    this.pos += lit.length;
    const n = Number(lit);
    if (String(n) === lit) return n;
    if (CANONICAL_INTEGER.test(lit) && !Number.isSafeInteger(n)) {
      return this.fail(`integer ${lit} is beyond ±(2^53−1): send it as a string`, 'unsafe-integer');
    }
    return this.fail(`number ${lit} is not in canonical form (write ${Number.isFinite(n) ? String(n) : 'a finite number'})`, 'non-canonical-number');
  }

  private string(max: number, tooLongCode: string): string {
    const s = this.s;
    this.pos++; // opening quote
    let out = '';
    let start = this.pos;
    for (;;) {
      if (this.pos >= s.length) this.fail('unterminated string');
      const c = s.charCodeAt(this.pos);
      if (c === 0x22) break;
      if (c < 0x20) this.fail('control character in string');
      if (c !== 0x5c) {
        this.pos++;
        continue;
      }
      out += s.slice(start, this.pos);
      const e = s[this.pos + 1];
      this.pos += 2;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const hex = s.slice(this.pos, this.pos + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('bad \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          this.pos += 4;
          break;
        }
        default:
          this.fail('bad escape');
      }
      if (out.length > max) this.fail(`longer than ${max} characters`, tooLongCode);
      start = this.pos;
    }
    out += s.slice(start, this.pos);
    this.pos++; // closing quote
    if (out.length > max) this.fail(`longer than ${max} characters`, tooLongCode);
    if (!out.isWellFormed()) this.fail('string contains a lone surrogate', 'lone-surrogate');
    return out;
  }

  private array(depth: number): JsonValue[] {
    this.pos++;
    const out: JsonValue[] = [];
    this.ws();
    if (this.s[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      if (out.length === this.limits.maxArrayLength) this.fail(`more than ${this.limits.maxArrayLength} elements`, 'array-too-long');
      this.ws();
      this.keys.push(out.length);
      out.push(this.value(depth + 1));
      this.keys.pop();
      this.ws();
      const c = this.s[this.pos++];
      if (c === ']') return out;
      if (c !== ',') this.fail('expected , or ] in array');
    }
  }

  private object(depth: number): JsonObject {
    this.pos++;
    const out: JsonObject = {};
    const seen = new Set<string>();
    this.ws();
    if (this.s[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.pos] !== '"') this.fail('expected a string key');
      const key = this.string(this.limits.maxKeyLength, 'key-too-long');
      this.keys.push(key);
      if (seen.has(key)) this.fail('duplicate key', 'duplicate-key');
      this.keys.pop();
      if (seen.size === this.limits.maxKeys) this.fail(`more than ${this.limits.maxKeys} keys`, 'too-many-keys');
      seen.add(key);
      this.ws();
      this.keys.push(key);
      if (this.s[this.pos++] !== ':') this.fail('expected : after the key');
      this.ws();
      setData(out, key, this.value(depth + 1));
      this.keys.pop();
      this.ws();
      const c = this.s[this.pos++];
      if (c === '}') return out;
      if (c !== ',') this.fail('expected , or } in object');
    }
  }
}
