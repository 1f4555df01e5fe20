import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  concatBytes, decodeBase64Strict, encodeBase64, formatDecimal, fromHexStrict, MAX_INT63, parseDecimal,
  toHex, utf8DecodeStrict, utf8Encode, utf8EncodeStrict,
} from './encoding.js';
import { EncodingError } from './errors.js';
import { bytesEqual } from './bytes-equal.js';

function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof EncodingError && e.code === code && e.format === 'encoding');
}

test('base64 round-trips against the platform encoder (btoa)', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
    const s = encodeBase64(b);
    assert.equal(s, btoa(String.fromCharCode(...b)));
    assert.deepEqual(decodeBase64Strict(s), b);
    assert.deepEqual(decodeBase64Strict(s, b.length), b);
  }));
});

test('base64 rejects non-canonical forms', () => {
  for (const s of ['YQ', 'YQ=', 'YR==', 'YWI', 'YWJ=', ' YQ==', 'YQ==\n', 'YQ==YQ==', 'Y===', '====', 'Y-_=', 'A', 'AB=C']) {
    throwsCode(() => decodeBase64Strict(s), 'bad-base64');
  }
  assert.deepEqual(decodeBase64Strict(''), new Uint8Array(0));
  throwsCode(() => decodeBase64Strict('YQ==', 2), 'bad-length');
  throwsCode(() => decodeBase64Strict('YWJj', 2), 'bad-length');
  throwsCode(() => decodeBase64Strict('YWI=', 3), 'bad-length');
});

test('decodeBase64Strict never throws anything but EncodingError, and accepted input re-encodes identically', () => {
  fc.assert(fc.property(fc.string({ maxLength: 40, unit: fc.constantFrom(...'AQgw+/=a9 \n-_'.split('')) }), (s) => {
    try {
      assert.equal(encodeBase64(decodeBase64Strict(s)), s);
    } catch (e) {
      assert.ok(e instanceof EncodingError, String(e));
    }
  }), { numRuns: 2000 });
});

test('parseDecimal is canonical and bounded', () => {
  assert.equal(parseDecimal('0'), 0n);
  assert.equal(parseDecimal('9223372036854775807'), MAX_INT63);
  throwsCode(() => parseDecimal('9223372036854775808'), 'out-of-range');
  throwsCode(() => parseDecimal('18446744073709551615'), 'out-of-range');
  throwsCode(() => parseDecimal('3438945738945739845734895735'), 'out-of-range');
  assert.equal(parseDecimal('18446744073709551615', (1n << 64n) - 1n), (1n << 64n) - 1n);
  throwsCode(() => parseDecimal('11', 10n), 'out-of-range');
  for (const s of ['', '01', '00', '-1', '-0', '+1', ' 1', '1 ', '1e3', '0x10', '１', '1_000']) {
    throwsCode(() => parseDecimal(s), 'bad-decimal');
  }
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: MAX_INT63 }), (n) => {
    assert.equal(parseDecimal(formatDecimal(n)), n);
  }));
  throwsCode(() => formatDecimal(-1n), 'out-of-range');
});

test('utf8 strict decoding', () => {
  assert.equal(utf8DecodeStrict(utf8Encode('a—b')), 'a—b');
  assert.equal(utf8DecodeStrict(Uint8Array.of(0xef, 0xbb, 0xbf, 0x61)), '\ufeffa', 'BOM is kept as text');
  for (const b of [[0xff], [0xc0, 0x80], [0xe2, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80]]) {
    throwsCode(() => utf8DecodeStrict(Uint8Array.from(b)), 'bad-utf8');
  }
  throwsCode(() => utf8EncodeStrict('a\ud800'), 'bad-utf8');
});

test('hex, concat, equality', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
    assert.deepEqual(fromHexStrict(toHex(b)), b);
    assert.ok(bytesEqual(concatBytes(b.subarray(0, 3), b.subarray(3)), b));
  }));
  throwsCode(() => fromHexStrict('ABCD'), 'bad-hex');
  throwsCode(() => fromHexStrict('abc'), 'bad-hex');
  throwsCode(() => fromHexStrict('abcd', 1), 'bad-length');
  assert.ok(!bytesEqual(Uint8Array.of(1), Uint8Array.of(1, 2)));
  assert.ok(!bytesEqual(Uint8Array.of(1), Uint8Array.of(2)));
});
