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
 *
 * Two paths, one behaviour. The exact parser (class `Parser`) checks everything as it builds the
 * value and names the first error. In front of it, a fast path does the same work at native
 * speed for the usual case: a scan without allocation checks what JSON.parse does not (numbers,
 * caps, escaped surrogates) and counts keys, JSON.parse builds the value, and an equal key count
 * proves no key was repeated. Any doubt, any error, goes to the exact parser, so errors are always
 * its own. `fast-path.test.ts` checks on random texts and limits that both paths accept the same
 * inputs with the same values (key order included) and reject the rest with the same error.
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
  return parseJsonDetailed(bytes, limits).value;
}

/** A parsed value, and whether its text was already written the way RFC 8785 writes strings. */
export interface ParsedJson {
  readonly value: JsonValue;
  /**
   * The text has no whitespace and no escape, and took the fast path (so every number is in
   * canonical form): if its objects' keys are also in canonical order, the text IS the RFC 8785
   * text of the value (event.ts then keeps the input bytes instead of serialising again).
   */
  readonly plain: boolean;
}

/** {@link parseJsonStrict}, and what the canonicaliser can skip. Not exported from the package. */
export function parseJsonDetailed(bytes: Uint8Array, limits: JsonLimits): ParsedJson {
  const text = decodeText(bytes, limits);
  // Fast path: a scan that checks, without building anything, every rule JSON.parse does not
  // (canonical numbers, caps, no escaped surrogates) and counts the keys; then the native parser
  // builds the value, and the same key count proves that no object repeated a key. Whatever the
  // scan is unsure of, JSON.parse refuses, or a lost key takes the exact path, which names the
  // error. Both paths accept the same inputs and give the same values (fast-path.test.ts checks
  // the fast path against the exact parser alone on random inputs).
  const scanned = scan(text, limits);
  if (scanned !== undefined) {
    let v: JsonValue | undefined;
    try {
      v = JSON.parse(text) as JsonValue;
    } catch {
      v = undefined; // the exact parser below says what is wrong, and where
    }
    if (v !== undefined && countKeys(v) === scanned.keys) return { value: v, plain: scanned.plain };
  }
  return { value: new Parser(text, limits).parseDocument(), plain: false };
}

/** The exact parser alone (no fast path): the reference the fast path is tested against. */
export function parseJsonExact(bytes: Uint8Array, limits: JsonLimits): JsonValue {
  return new Parser(decodeText(bytes, limits), limits).parseDocument();
}

function decodeText(bytes: Uint8Array, limits: JsonLimits): string {
  if (!(bytes instanceof Uint8Array)) throw new EventError('bad-input', '$', 'the event must be bytes');
  if (bytes.length > limits.maxBytes) throw new EventError('too-large', '$', `event of ${bytes.length} bytes exceeds ${limits.maxBytes}`);
  try {
    return decoder.decode(bytes);
  } catch (cause) {
    throw new EventError('bad-utf8', '$', 'the event is not valid UTF-8', { cause });
  }
}

/** Keys in all objects of a parsed value (an object that repeated a key has one fewer). */
function countKeys(v: JsonValue): number {
  if (typeof v !== 'object' || v === null) return 0;
  let n = 0;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) n += countKeys(v[i]!);
    return n;
  }
  const ks = Object.keys(v);
  for (let i = 0; i < ks.length; i++) n += 1 + countKeys(v[ks[i]!]!);
  return n;
}

const FRAME_OBJECT = 1;
const FRAME_ARRAY = 2;

/**
 * Scans JSON text for what the strict grammar adds to JSON.parse's, building nothing. Returns
 * the number of object keys in the text (and whether it has no whitespace and no escape) when it
 * found nothing wrong, undefined when it found something or was not sure (the exact parser then
 * decides). It checks: depth, key and string lengths (the raw length, never less than the
 * decoded one), array lengths, keys per object, every number in canonical form and a safe
 * integer, no `\u` escape of a surrogate (a pair is declined too: the exact parser accepts it).
 * It does not check the grammar: JSON.parse does, on the same text, and on valid JSON this scan
 * reads every token right.
 */
function scan(s: string, limits: JsonLimits): { keys: number; plain: boolean } | undefined {
  const n = s.length;
  const maxDepth = limits.maxDepth;
  // The scan counts commas, so it cannot see a first element or key beyond a cap of 0.
  if (limits.maxArrayLength < 1 || limits.maxKeys < 1) return undefined;
  const kinds = new Uint8Array(maxDepth + 1);
  const counts = new Uint32Array(maxDepth + 1);
  let depth = 0; // open containers
  let keys = 0;
  let expectKey = false; // the next string is a key
  let backslash = s.indexOf('\\');
  let space = false;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    switch (c) {
      case 0x3a: // ':'
        i++;
        continue;
      case 0x20: case 0x0a: case 0x0d: case 0x09:
        space = true;
        i++;
        continue;
      case 0x2c: // ','
        if (depth === 0) return undefined;
        if (kinds[depth] === FRAME_OBJECT) {
          if (++counts[depth]! >= limits.maxKeys) return undefined;
          expectKey = true;
        } else if (++counts[depth]! >= limits.maxArrayLength) return undefined;
        i++;
        continue;
      case 0x7b: // '{'
      case 0x5b: // '['
        if (depth + 1 > maxDepth) return undefined;
        depth++;
        kinds[depth] = c === 0x7b ? FRAME_OBJECT : FRAME_ARRAY;
        counts[depth] = 0;
        expectKey = c === 0x7b;
        i++;
        continue;
      case 0x7d: // '}'
      case 0x5d: // ']'
        if (depth === 0) return undefined;
        depth--;
        expectKey = false;
        i++;
        continue;
      case 0x22: { // '"'
        const start = i + 1;
        let j = start;
        for (;;) {
          const q = s.indexOf('"', j);
          if (q < 0) return undefined;
          if (backslash < 0 || backslash > q) {
            j = q;
            break;
          }
          // An escape before the quote: skip it (an escaped quote does not end the string).
          const e = s.charCodeAt(backslash + 1);
          if (e === 0x75) { // \uXXXX: refuse a surrogate, D800–DFFF (|0x20 lowercases a letter, keeps a digit)
            const h1 = s.charCodeAt(backslash + 2) | 0x20;
            const h2 = s.charCodeAt(backslash + 3) | 0x20;
            if (h1 === 0x64 && (h2 === 0x38 || h2 === 0x39 || (h2 >= 0x61 && h2 <= 0x66))) return undefined;
            j = backslash + 6;
          } else {
            j = backslash + 2;
          }
          backslash = s.indexOf('\\', j);
        }
        const len = j - start; // raw length ≥ decoded length
        if (expectKey) {
          if (len > limits.maxKeyLength) return undefined;
          keys++;
          expectKey = false;
        } else {
          if (depth + 1 > maxDepth || len > limits.maxStringLength) return undefined;
        }
        i = j + 1;
        continue;
      }
      case 0x74: case 0x66: case 0x6e: // true, false, null (JSON.parse checks the letters)
        if (depth + 1 > maxDepth) return undefined;
        i += c === 0x66 ? 5 : 4;
        continue;
      default: {
        if (c !== 0x2d && (c < 0x30 || c > 0x39)) return undefined;
        if (depth + 1 > maxDepth) return undefined;
        const start = i;
        if (c === 0x2d) i++;
        const first = s.charCodeAt(i);
        let d = i;
        while (d < n) {
          const x = s.charCodeAt(d);
          if (x < 0x30 || x > 0x39) break;
          d++;
        }
        const digits = d - i;
        const next = d < n ? s.charCodeAt(d) : 0;
        if (next === 0x2e || next === 0x65 || next === 0x45 || digits === 0 || digits > 15 || (first === 0x30 && (digits > 1 || c === 0x2d))) {
          // A fraction, an exponent, a long integer, -0 or a leading zero: the exact rule.
          NUMBER.lastIndex = start;
          const m = NUMBER.exec(s);
          if (m === null) return undefined;
          const lit = m[0];
          if (String(Number(lit)) !== lit) return undefined;
          i = start + lit.length;
        } else {
          i = d;
        }
      }
    }
  }
  return depth === 0 ? { keys, plain: !space && s.indexOf('\\') < 0 } : undefined;
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
