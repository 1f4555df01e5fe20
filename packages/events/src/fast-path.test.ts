// The fast paths of parseEvent against the exact ones they stand in for (json.ts, canonical.ts,
// event.ts). The fast JSON path (a scan + JSON.parse + a key count) must accept and reject
// exactly what the exact parser does, with the same value (key order included) or the same
// error (code, path, message); the fast canonical text (keys inserted in order + JSON.stringify,
// or the input bytes kept when they were canonical already) must be byte-identical to the
// `canonicalize` package's RFC 8785 text; parseEvent as a whole must give what the exact
// pipeline gives (exact parser → validation → `canonicalize`); and validateEvent what the
// general path gives (`canonicalize`, then parseEvent).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import canonicalize from 'canonicalize';
import { EventError } from './errors.js';
import { canonicalJson, parseEvent, validateEvent, type ValidatedEvent } from './event.js';
import { childPath, parseJsonExact, parseJsonStrict, setData, type JsonLimits, type JsonObject, type JsonValue } from './json.js';
import { EVENT_JSON_LIMITS, MAX_EVENT_DEPTH } from './limits.js';
import { canonicalTextOfSorted, sortedCopy, type SortState } from './canonical.js';
import { validateOcsf } from './validate.js';
import { EVENTS } from './test-fixtures.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

type Outcome = { ok: true; text: string } | { ok: false; code: string; path: string; message: string };

/** What a parser did: the value as JSON text (key order shows), or the error's code, path and message. */
function outcome<T>(f: () => T, show: (v: T) => string): Outcome {
  try {
    return { ok: true, text: show(f()) };
  } catch (e) {
    if (!(e instanceof EventError)) throw e;
    return { ok: false, code: e.code, path: e.path, message: e.message };
  }
}

function sameParse(bytes: Uint8Array, limits: JsonLimits): void {
  const show = (v: JsonValue) => JSON.stringify(v);
  assert.deepEqual(outcome(() => parseJsonStrict(bytes, limits), show), outcome(() => parseJsonExact(bytes, limits), show), dec(bytes));
}

const SMALL: JsonLimits = { maxBytes: 400, maxDepth: 4, maxStringLength: 4, maxKeyLength: 3, maxArrayLength: 3, maxKeys: 3 };

// JSON-ish text built token by token, so that it often breaks exactly one rule: keys from a
// small set (duplicates, also through escapes: "a" and "\u0061"), numbers canonical or not,
// strings with escapes and surrogates, random whitespace, and now and then a stray token.
const NUMBERS = [
  '0', '1', '-1', '1.5', '1e+21', '5e-324', '123456789012345', '-123456789012345', '1234567890123456', '9007199254740991',
  '-9007199254740991', '9007199254740992', '0.1', '1e-7', '0.000001', '0.002', '100000000000000000000',
];
const BAD_NUMBERS = ['-0', '1.50', '1e3', '1E3', '1e21', '9007199254740993', '01', '1.', '.5', '1e-6', '2e-3', '-', '00', '1e400', '-0.0'];
const STRINGS = [
  '""', '"x"', '"abcd"', '"abcde"', '"\\ud83d\\ude00"', '"\\uD83D\\uDE00"', '"\\"q\\""', '"\\\\"', '"a\\/b"', '"\\u00e9"', '"é"', '"\\n"',
  '"t\\tb"', '"\\u0041"', '"😀"', '"\u2028"', '"\\u0000"',
];
const BAD_STRINGS = ['"\\ud800"', '"\\udc00x"', '"\\uDBFF"', '"\\x"', '"\\u12"', '"a\nb"', '"\\', '"\u0001"'];
const KEYS = ['"a"', '"b"', '"\\u0061"', '"__proto__"', '"1"', '"10"', '"ab"', '"abcd"', '"é"', '"a b"', '""', '"\\ud83d\\ude00"'];
const WS = fc.constantFrom('', '', '', '', '', ' ', '\n', '\t', '\r\n  ');
const STRAY = fc.constantFrom(',', ']', '}', ':', '"', '\\', 'x', '{', '[', '\u00a0', '\ufeff');
const rarely = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>): fc.Arbitrary<T> => fc.oneof({ arbitrary: good, weight: 30 }, { arbitrary: bad, weight: 1 });

const { text: jsonText } = fc.letrec<{ text: string; value: string; member: string }>((tie) => ({
  text: fc.tuple(WS, tie('value'), WS, rarely(fc.constant(''), STRAY)).map(([a, v, b, s]) => a + v + b + s),
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    rarely(fc.constantFrom(...NUMBERS), fc.constantFrom(...BAD_NUMBERS)),
    rarely(fc.constantFrom(...STRINGS), fc.constantFrom(...BAD_STRINGS)),
    rarely(fc.constantFrom('true', 'false', 'null'), fc.constantFrom('tru', 'nul', 'True')),
    fc.array(fc.tuple(WS, tie('value'), WS), { maxLength: 5 }).map((xs) => `[${xs.map(([a, v, b]) => a + v + b).join(',')}]`),
    fc.array(tie('member'), { maxLength: 5 }).map((ms) => `{${ms.join(',')}}`),
  ),
  member: fc.tuple(WS, fc.constantFrom(...KEYS), WS, WS, tie('value'), WS).map(([a, k, b, c, v, d]) => `${a}${k}${b}:${c}${v}${d}`),
}));

test('property: the fast JSON path accepts and rejects exactly what the exact parser does, with the same value or error', () => {
  const limits = fc.oneof(
    fc.constant(EVENT_JSON_LIMITS),
    fc.constant(SMALL),
    fc.record({
      maxBytes: fc.integer({ min: 1, max: 500 }), maxDepth: fc.integer({ min: 1, max: 6 }), maxStringLength: fc.integer({ min: 0, max: 8 }),
      maxKeyLength: fc.integer({ min: 0, max: 10 }), maxArrayLength: fc.integer({ min: 0, max: 6 }), maxKeys: fc.integer({ min: 0, max: 6 }),
    }),
  );
  const input = fc.oneof(
    jsonText.map(enc),
    fc.jsonValue({ maxDepth: 5 }).map((v) => enc(JSON.stringify(v) ?? 'null')),
    fc.uint8Array({ maxLength: 64 }),
    fc.string({ unit: 'binary', maxLength: 40 }).map(enc),
  );
  fc.assert(fc.property(input, limits, (bytes, l) => sameParse(bytes, l)), { numRuns: 20_000 });
});

test('the fast JSON path on the edge cases of each rule', () => {
  const cases = [
    '{"a":1,"a":2}', '{"a":1,"\\u0061":2}', '{"__proto__":1,"__proto__":2}', '{"__proto__":{"x":1}}', '{"x":{"a":1,"b":{"a":1,"a":1}}}',
    '[{"a":1},{"a":1}]', '-0', '[-0.0]', '1.0', '1e3', '9007199254740991', '9007199254740992', '-9007199254740993', '123456789012345',
    '"\\ud83d\\ude00"', '{"a":"\\ud800"}', '{"\\udbff":1}', '"\\"\\\\\\/\\b\\f\\n\\r\\t"', ' \t\r\n{ "a" : [ 1 , 2 ] } ', '\ufeff{}',
    '{"a":"x\\"}', '{"a":"x\\\\"}', '[1,]', '{"a":1,}', '[' + '1,'.repeat(1023) + '1]', '[' + '1,'.repeat(1024) + '1]',
    '['.repeat(16) + ']'.repeat(16), '['.repeat(17) + ']'.repeat(17), '['.repeat(15) + '1' + ']'.repeat(15), '['.repeat(16) + '1' + ']'.repeat(16),
    `{"${'k'.repeat(256)}":1}`, `{"${'k'.repeat(257)}":1}`, `"${'s'.repeat(16384)}"`, `"${'s'.repeat(16385)}"`, `"${'s'.repeat(16383)}\\n"`,
    `{${Array.from({ length: 1024 }, (_, i) => `"k${i}":0`).join(',')}}`, `{${Array.from({ length: 1025 }, (_, i) => `"k${i}":0`).join(',')}}`,
  ];
  for (const c of cases) for (const l of [EVENT_JSON_LIMITS, SMALL]) sameParse(enc(c), l);
});

// ------------------------------------------------------------------ canonical text ----------

const KEY = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.string({ maxLength: 4 }),
  fc.constantFrom('0', '1', '10', '2', '4294967294', '4294967295', '01', '-1', '1.5', '__proto__', '', '\u20ac', '\r', '\ufb33', '\ud83d\ude00', '\u0080', '\u00f6', '</script>', 'a', 'B'),
);
const { value: jsValue } = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Object.is(x, -0)),
    fc.integer(),
    fc.string({ unit: 'grapheme', maxLength: 8 }),
    fc.string({ unit: fc.constantFrom('"', '\\', '\n', '\u0001', '\u007f', '\u2028', 'é', '😀', '/'), maxLength: 6 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.array(fc.tuple(KEY, tie('value')), { maxLength: 5 }).map((entries) => {
      const o: JsonObject = {};
      for (const [k, v] of entries) setData(o, k, v);
      return o;
    }),
  ),
}));

test('property: keys inserted in order + JSON.stringify is the RFC 8785 text (canonicalize), unless a key starts with a digit', () => {
  fc.assert(
    fc.property(jsValue, (v) => {
      const state: SortState = { digitKey: false, reordered: false };
      const sorted = sortedCopy(v, state);
      assert.deepEqual(sorted, v);
      if (!state.digitKey) assert.equal(canonicalTextOfSorted(sorted), canonicalize(v));
      else assert.ok(/"[0-9]/.test(JSON.stringify(v)), 'digitKey set without a digit key');
      // A text that is already canonical is reported as not reordered.
      const again: SortState = { digitKey: false, reordered: false };
      sortedCopy(JSON.parse(canonicalize(v)!) as JsonValue, again);
      if (!again.digitKey) assert.equal(again.reordered, false);
    }),
    { numRuns: 5000 },
  );
});

// ------------------------------------------------------------------ whole events ------------

/** The exact pipeline: the exact parser, validation, the `canonicalize` package. */
function reference(bytes: Uint8Array): ValidatedEvent {
  const r = validateOcsf(parseJsonExact(bytes, EVENT_JSON_LIMITS));
  const text = canonicalize(r.event);
  if (text === undefined) throw new Error('unreachable');
  const canonical = enc(text);
  if (canonical.length > EVENT_JSON_LIMITS.maxBytes) throw new EventError('too-large', '$', `canonical event of ${canonical.length} bytes exceeds ${EVENT_JSON_LIMITS.maxBytes}`);
  return { event: r.event, canonical, classUid: r.classUid, activityId: r.activityId, time: r.time, moved: r.moved };
}

const showEvent = (v: ValidatedEvent): string =>
  JSON.stringify({ canonical: dec(v.canonical), event: canonicalize(v.event), classUid: v.classUid, activityId: v.activityId, time: v.time, moved: v.moved });

/** A copy of `v` with every object's keys in an order drawn from `rnd`. */
function shuffled(v: JsonValue, rnd: () => number): JsonValue {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map((x) => shuffled(x, rnd));
  const keys = Object.keys(v);
  for (let i = keys.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [keys[i], keys[j]] = [keys[j]!, keys[i]!];
  }
  const o: JsonObject = {};
  for (const k of keys) setData(o, k, shuffled(v[k]!, rnd));
  return o;
}

const PLACES = ['', 'user', 'actor', 'actor.user', 'metadata', 'metadata.product', 'src_endpoint', 'device', 'unmapped', 'process', 'api', 'finding_info'];
const eventInput = fc.record({
  uid: fc.constantFrom(...Object.keys(EVENTS).map(Number)),
  // Unknown (moved), odd (digit, __proto__, unicode) or wrongly typed attributes, here and there.
  extra: fc.array(fc.tuple(fc.constantFrom(...PLACES), KEY, jsValue), { maxLength: 3 }),
  seed: fc.integer(),
  form: fc.constantFrom('canonical', 'shuffled', 'indented', 'stringify'),
});

type EventInput = { uid: number; extra: [string, string, JsonValue][]; seed: number; form: string };

function eventBytes(x: EventInput): Uint8Array {
  const e = structuredClone(EVENTS[x.uid]!) as JsonObject;
  for (const [place, key, value] of x.extra) {
    let o: JsonValue | undefined = e;
    for (const k of place === '' ? [] : place.split('.')) {
      if (typeof o !== 'object' || o === null || Array.isArray(o)) break;
      if (o[k] === undefined) setData(o, k, {});
      o = o[k];
    }
    if (typeof o === 'object' && o !== null && !Array.isArray(o)) setData(o, key, value);
  }
  let a = x.seed >>> 0;
  const rnd = () => ((a = (Math.imul(a, 1664525) + 1013904223) >>> 0) / 4294967296);
  switch (x.form) {
    case 'canonical': return enc(canonicalize(e)!);
    case 'shuffled': return enc(JSON.stringify(shuffled(e, rnd)));
    case 'indented': return enc(JSON.stringify(e, null, 1));
    default: return enc(JSON.stringify(e));
  }
}

test('property: parseEvent gives exactly what the exact pipeline gives, for valid, odd and invalid events in any key order', () => {
  let accepted = 0;
  fc.assert(
    fc.property(eventInput, (x) => {
      const bytes = eventBytes(x);
      const fast = outcome(() => parseEvent(bytes), showEvent);
      assert.deepEqual(fast, outcome(() => reference(bytes), showEvent));
      if (fast.ok) {
        accepted++;
        // The event is built in canonical order: it serialises to its canonical bytes.
        const v = parseEvent(bytes);
        if (!/"[0-9]/.test(dec(v.canonical))) assert.equal(JSON.stringify(v.event), dec(v.canonical));
        // Canonical bytes validate to themselves, through the path that keeps the input bytes.
        assert.deepEqual(parseEvent(v.canonical).canonical, v.canonical);
      }
    }),
    { numRuns: 3000 },
  );
  assert.ok(accepted > 300, `only ${accepted} of 3000 random events were valid`);
});

test('parseEvent keeps a copy of input bytes that are canonical already, never the caller\'s array', () => {
  const bytes = enc(canonicalize(EVENTS[3002])!);
  const v = parseEvent(bytes);
  assert.deepEqual(v.canonical, bytes);
  bytes[0] = 0x20;
  assert.equal(v.canonical[0], 0x7b);
});

// ------------------------------------------------------------------ events built in code ----

/** validateEvent as it was before its fast path: the plain-data check, the canonicalize package, parseEvent. */
function referenceValidate(v: unknown): ValidatedEvent {
  referenceCheckPlain(v, '$', 1);
  return parseEvent(canonicalJson(v));
}

function referenceCheckPlain(v: unknown, path: string, depth: number): void {
  if (depth > MAX_EVENT_DEPTH) throw new EventError('too-deep', path, `nesting deeper than ${MAX_EVENT_DEPTH}`);
  if (v === null || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) referenceCheckPlain(v[i], childPath(path, i), depth + 1);
    return;
  }
  if (typeof v === 'object') {
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null) throw new EventError('bad-value', path, 'expected a plain object');
    for (const k of Object.keys(v)) referenceCheckPlain((v as Record<string, unknown>)[k], childPath(path, k), depth + 1);
    return;
  }
  throw new EventError('bad-value', path, `a ${typeof v} has no JSON representation`);
}

const deep = (n: number): unknown => (n === 0 ? 1 : [deep(n - 1)]);
const ODD: fc.Arbitrary<unknown> = fc.oneof(
  jsValue,
  fc.constantFrom<unknown>(Number.NaN, Infinity, -Infinity, -0, '\ud800', 'x\udc00', undefined, new Date(0), [1, , 3], Object.create(null), 10n, deep(16), deep(20)),
  fc.string({ unit: 'binary', maxLength: 4 }),
);
const oddKey = fc.oneof(KEY, fc.constantFrom('\ud800', 'a\udfff', '7', '00'));

test('property: validateEvent gives exactly what parseEvent(canonicalJson(value)) gives, for odd values too', () => {
  let accepted = 0;
  fc.assert(
    fc.property(fc.constantFrom(...Object.keys(EVENTS).map(Number)), fc.array(fc.tuple(fc.constantFrom(...PLACES), oddKey, ODD), { maxLength: 3 }), (uid, extra) => {
      const e = structuredClone(EVENTS[uid]!) as Record<string, unknown>;
      for (const [place, key, value] of extra) {
        let o: unknown = e;
        for (const k of place === '' ? [] : place.split('.')) {
          if (typeof o !== 'object' || o === null || Array.isArray(o)) break;
          const r = o as Record<string, unknown>;
          if (r[k] === undefined) setData(r as JsonObject, k, {});
          o = r[k];
        }
        if (typeof o === 'object' && o !== null && !Array.isArray(o)) Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
      }
      const fast = outcome(() => validateEvent(e), showEvent);
      assert.deepEqual(fast, outcome(() => referenceValidate(e), showEvent));
      if (fast.ok) accepted++;
    }),
    { numRuns: 3000 },
  );
  assert.ok(accepted > 300, `only ${accepted} of 3000 random events were valid`);
});
