import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EventError } from './errors.js';
import { parseJsonStrict, type JsonLimits } from './json.js';
import { canonicalJson } from './event.js';
import { EVENT_JSON_LIMITS } from './limits.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const parse = (s: string | Uint8Array, limits: JsonLimits = EVENT_JSON_LIMITS) => parseJsonStrict(typeof s === 'string' ? enc(s) : s, limits);

function rejects(input: string | Uint8Array, code: string, path?: string, limits?: JsonLimits): void {
  assert.throws(
    () => parse(input, limits),
    (e: unknown) => e instanceof EventError && e.code === code && (path === undefined || e.path === path) && e.message.startsWith(e.path),
    `${typeof input === 'string' ? input : '<bytes>'} should fail with ${code}${path ? ` at ${path}` : ''}`,
  );
}

test('valid JSON parses to the same value as JSON.parse', () => {
  for (const s of ['{}', '[]', 'null', 'true', '"x"', '0', '-1', '1.5', '1e+21', '5e-324', '{"a":[1,{"b":null}],"c":"\\u00e9\\n"}', ' \t\r\n{ "a" : 1 } ']) {
    assert.deepEqual(parse(s), JSON.parse(s), s);
  }
  // "__proto__" is an ordinary key, not the prototype.
  const v = parse('{"__proto__":{"x":1}}') as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.deepEqual(Object.keys(v), ['__proto__']);
});

test('duplicate keys are rejected, naming the key path', () => {
  rejects('{"a":1,"a":2}', 'duplicate-key', '$.a');
  rejects('{"x":{"user name":1,"user name":1}}', 'duplicate-key', '$.x["user name"]');
  rejects('[{"a":1},{"b":1,"b":1}]', 'duplicate-key', '$[1].b');
  // Same key after unescaping is a duplicate too.
  rejects('{"a":1,"\\u0061":2}', 'duplicate-key', '$.a');
});

test('numbers must be written as RFC 8785 writes them; unsafe integers must be strings', () => {
  for (const s of ['1.0', '1e3', '1E3', '4.50', '-0', '0.10', '1E+30', '1e30', '1e400', '-1e400', '2e-3']) rejects(`{"n":${s}}`, 'non-canonical-number', '$.n');
  for (const s of ['9007199254740993', '-9007199254740993', '12345678901234567890']) rejects(`{"n":${s}}`, 'unsafe-integer', '$.n');
  for (const s of ['01', '+1', '.5', '1.', 'NaN', 'Infinity', '-', '0x10']) rejects(`{"n":${s}}`, 'bad-json');
  assert.deepEqual(parse('[9007199254740991,-9007199254740991,1e+30,0.002,1e-27]'), [9007199254740991, -9007199254740991, 1e30, 0.002, 1e-27]);
});

test('invalid UTF-8, a byte-order mark and lone surrogates are rejected', () => {
  rejects(new Uint8Array([0x22, 0xc3, 0x28, 0x22]), 'bad-utf8', '$');
  rejects(new Uint8Array([0x22, 0xed, 0xa0, 0x80, 0x22]), 'bad-utf8', '$'); // CESU surrogate
  rejects(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]), 'bad-json', '$');
  rejects('{"a":"\\ud800"}', 'lone-surrogate', '$.a');
  rejects('{"a":"x\\udc00y"}', 'lone-surrogate', '$.a');
  rejects('{"\\ud800":1}', 'lone-surrogate', '$');
  assert.deepEqual(parse('"\\ud83d\\ude00"'), '😀');
});

test('grammar errors: control characters, bad escapes, trailing data, truncation', () => {
  for (const s of ['{"a":"x\ny"}', '{"a":"\\x"}', '{"a":"\\u12"}', '{"a":1}x', '{"a":1,}', '[1,]', '{"a"', '[', '', '{a:1}', "{'a':1}", '{"a":tru}', '//c\n{}']) {
    rejects(s, 'bad-json');
  }
});

test('caps: size, depth, string, key and array length, keys per object', () => {
  const small: JsonLimits = { maxBytes: 64, maxDepth: 3, maxStringLength: 5, maxKeyLength: 3, maxArrayLength: 2, maxKeys: 2 };
  rejects('"' + 'x'.repeat(70) + '"', 'too-large', '$', small);
  rejects('[[[1]]]', 'too-deep', '$[0][0][0]', small);
  parse('[[1]]', small);
  rejects('{"a":"abcdef"}', 'string-too-long', '$.a', small);
  rejects('{"a":"ab\\ncdef"}', 'string-too-long', '$.a', small);
  rejects('{"abcd":1}', 'key-too-long', '$', small);
  rejects('[1,2,3]', 'array-too-long', '$', small);
  rejects('{"a":1,"b":2,"c":3}', 'too-many-keys', '$', small);
  rejects(enc('[' + '1,'.repeat(40_000) + '1]'), 'too-large', '$');
  rejects('['.repeat(17) + ']'.repeat(17), 'too-deep');
});

test('property: any byte string either parses or throws EventError', () => {
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.string({ maxLength: 64 }).map(enc), fc.jsonValue({ maxDepth: 4 }).map((v) => enc(JSON.stringify(v) ?? 'null'))), (bytes) => {
      try {
        parse(bytes);
      } catch (e) {
        if (!(e instanceof EventError)) throw e;
      }
    }),
    { numRuns: 2000 },
  );
});

test('property: canonical bytes of any JSON value parse back to the same canonical bytes', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 5 }), (v) => {
      const bytes = canonicalJson(v);
      assert.deepEqual(canonicalJson(parse(bytes)), bytes);
    }),
    { numRuns: 500 },
  );
});
