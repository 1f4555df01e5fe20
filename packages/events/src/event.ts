/**
 * The event: OCSF 1.x JSON in, canonical bytes (RFC 8785, JSON Canonicalization Scheme) out.
 *
 * ```
 * {"activity_id":1,"category_uid":3,"class_uid":3002,"metadata":{"product":{"name":"sshd"},"version":"1.3.0"},
 * "severity_id":1,"src_endpoint":{"ip":"192.0.2.7"},"status_id":1,"time":1767225600000,"type_uid":300201,
 * "user":{"name":"alice"}}
 * ```
 * (one line, no whitespace: keys sorted by UTF-16 code units, numbers as ECMAScript writes them,
 * strings escaped as `JSON.stringify` does.) The leaf's commitment hashes exactly these bytes.
 *
 * `parseEvent(bytes)` is the only way in for bytes from outside: strict JSON (json.ts: no
 * duplicate keys, canonical numbers, valid UTF-8, caps in limits.ts), then OCSF validation
 * (validate.ts: unknown attributes move to `unmapped`), then the canonical bytes (capped at
 * {@link MAX_EVENT_SIZE} again, since moving can add a little). `validateEvent(object)` does the
 * same for an event built in code. Canonicalisation: validation builds the event with its keys in
 * canonical order, so `JSON.stringify` of it is the RFC 8785 text (canonical.ts), and input bytes
 * that are canonical already are kept as they are; `canonicalJson` (any value, and events with a
 * key starting with a digit) uses the `canonicalize` package. Both are checked against the RFC's
 * examples (canonical.test.ts) and against each other on random values and events
 * (fast-path.test.ts).
 */
import canonicalize from 'canonicalize';
import { utf8Encode } from '@cairn/formats';
import { EventError } from './errors.js';
import { parseJsonDetailed, pathOf, type JsonObject, type JsonValue } from './json.js';
import { EVENT_JSON_LIMITS, MAX_EVENT_DEPTH, MAX_EVENT_SIZE } from './limits.js';
import { validateOcsfSorted } from './validate.js';
import { canonicalTextOfSorted, sortedCopy, type SortState } from './canonical.js';

/** A validated event and its canonical bytes. */
export interface ValidatedEvent {
  /** The normalised event (unknown attributes moved into `unmapped`). */
  readonly event: JsonObject;
  /** RFC 8785 canonical UTF-8 bytes of `event`: what the commitment hashes and the store keeps. */
  readonly canonical: Uint8Array;
  readonly classUid: number;
  readonly activityId: number;
  /** `time`, milliseconds since the Unix epoch. */
  readonly time: number;
  /** Paths (without `$.`) of the attributes moved into `unmapped`. */
  readonly moved: readonly string[];
}

/**
 * RFC 8785 canonical bytes of a JSON value. Throws {@link EventError} `bad-value` for what JSON
 * cannot carry exactly (NaN, ±Infinity, lone surrogates, cycles, bigint) and `too-large` past
 * `maxBytes` (default {@link MAX_EVENT_SIZE}).
 */
export function canonicalJson(value: unknown, maxBytes: number = MAX_EVENT_SIZE): Uint8Array {
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch (cause) {
    throw new EventError('bad-value', '$', `not representable as canonical JSON: ${(cause as Error).message}`, { cause });
  }
  if (text === undefined) throw new EventError('bad-value', '$', 'not representable as JSON');
  return capped(utf8Encode(text), maxBytes);
}

function capped(bytes: Uint8Array, maxBytes: number): Uint8Array {
  if (bytes.length > maxBytes) throw new EventError('too-large', '$', `canonical event of ${bytes.length} bytes exceeds ${maxBytes}`);
  return bytes;
}

/** Parses, validates and canonicalises event bytes from outside. Throws only {@link EventError}. */
export function parseEvent(bytes: Uint8Array): ValidatedEvent {
  const parsed = parseJsonDetailed(bytes, EVENT_JSON_LIMITS);
  return finish(parsed.value, parsed.plain ? bytes : undefined);
}

/**
 * Validates and canonicalises an event built in code (plain objects, arrays, strings, finite
 * numbers, booleans, null). A value JSON would silently drop or change (undefined, a function, a
 * Date, a Map, a class instance) is rejected with `bad-value` rather than lost. Throws only
 * {@link EventError}.
 */
export function validateEvent(value: unknown): ValidatedEvent {
  // Through canonical bytes and the strict parser: one path for every event, whatever its origin.
  // A value whose numbers are finite, whose strings and keys are well-formed and whose keys do
  // not start with a digit gets its canonical text from a key-sorted copy and JSON.stringify
  // (canonical.ts); any other value from the general canonicaliser, which names what JSON cannot
  // carry.
  if (!checkPlain(value, [], 1)) return parseEvent(canonicalJson(value));
  const text = canonicalTextOfSorted(sortedCopy(value as JsonValue, { digitKey: false, reordered: false }));
  return parseEvent(capped(utf8Encode(text), MAX_EVENT_SIZE));
}

/** `plainInput`: the input bytes, when the parser found them free of whitespace and escapes. */
function finish(parsed: JsonValue, plainInput?: Uint8Array): ValidatedEvent {
  const state: SortState = { digitKey: false, reordered: false };
  const r = validateOcsfSorted(parsed, state);
  // Validation built the event in canonical key order: one JSON.stringify is its RFC 8785 text,
  // unless a key starts with a digit (canonical.ts); then the general canonicaliser. And input
  // that was already canonical (no whitespace or escape, keys in order, nothing moved; numbers
  // are canonical or it would not have parsed) is its own canonical text: keep a copy.
  let canonical: Uint8Array;
  if (state.digitKey) canonical = canonicalJson(r.event);
  else if (plainInput !== undefined && !state.reordered && r.moved.length === 0) canonical = plainInput.slice();
  else canonical = capped(utf8Encode(canonicalTextOfSorted(r.event)), MAX_EVENT_SIZE);
  return Object.freeze({ event: r.event, canonical, classUid: r.classUid, activityId: r.activityId, time: r.time, moved: Object.freeze([...r.moved]) });
}

/**
 * Throws `too-deep` or `bad-value` (naming the path) for what is not plain JSON data; returns
 * whether the value is simple: finite numbers, well-formed strings and keys, no key starting with
 * a digit (canonical.ts). Paths are built only for an error.
 */
function checkPlain(v: unknown, keys: (string | number)[], depth: number): boolean {
  if (depth > MAX_EVENT_DEPTH) throw new EventError('too-deep', pathOf(keys), `nesting deeper than ${MAX_EVENT_DEPTH}`);
  if (v === null || typeof v === 'boolean') return true;
  if (typeof v === 'string') return v.isWellFormed();
  if (typeof v === 'number') return Number.isFinite(v);
  let simple = true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      keys.push(i);
      if (!checkPlain(v[i], keys, depth + 1)) simple = false;
      keys.pop();
    }
    return simple;
  }
  if (typeof v === 'object') {
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null) throw new EventError('bad-value', pathOf(keys), 'expected a plain object');
    for (const k of Object.keys(v)) {
      const c = k.charCodeAt(0);
      if ((c >= 0x30 && c <= 0x39) || !k.isWellFormed()) simple = false;
      keys.push(k);
      if (!checkPlain((v as Record<string, unknown>)[k], keys, depth + 1)) simple = false;
      keys.pop();
    }
    return simple;
  }
  throw new EventError('bad-value', pathOf(keys), `a ${typeof v} has no JSON representation`);
}
