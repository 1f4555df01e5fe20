// RFC 8785 (JSON Canonicalization Scheme) known answers, run against `canonicalJson` (the
// `canonicalize` package). Sources: RFC 8785 §3.2.2 (the example of the whole transformation),
// §3.2.3 (sorting of properties) and Appendix B (number serialization samples, IEEE 754 bits
// → canonical text); the same values are the cyberphone/json-canonicalization test data
// (testdata/input/values.json → testdata/output/values.json, weird.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson } from './event.js';
import { EventError } from './errors.js';
import { parseJsonStrict } from './json.js';
import { EVENT_JSON_LIMITS } from './limits.js';

const text = (v: unknown): string => new TextDecoder().decode(canonicalJson(v));

// RFC 8785 Appendix B: [IEEE 754 binary64 bits, canonical text].
const APPENDIX_B: readonly (readonly [string, string])[] = [
  ['0000000000000000', '0'],
  ['8000000000000000', '0'], // minus zero
  ['0000000000000001', '5e-324'],
  ['8000000000000001', '-5e-324'],
  ['7fefffffffffffff', '1.7976931348623157e+308'],
  ['ffefffffffffffff', '-1.7976931348623157e+308'],
  ['4340000000000000', '9007199254740992'],
  ['c340000000000000', '-9007199254740992'],
  ['4430000000000000', '295147905179352830000'],
  ['44b52d02c7e14af5', '9.999999999999997e+22'],
  ['44b52d02c7e14af6', '1e+23'],
  ['44b52d02c7e14af7', '1.0000000000000001e+23'],
  ['444b1ae4d6e2ef4e', '999999999999999700000'],
  ['444b1ae4d6e2ef4f', '999999999999999900000'],
  ['444b1ae4d6e2ef50', '1e+21'],
  ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
  ['3eb0c6f7a0b5ed8d', '0.000001'],
  ['41b3de4355555553', '333333333.3333332'],
  ['41b3de4355555554', '333333333.33333325'],
  ['41b3de4355555555', '333333333.3333333'],
  ['41b3de4355555556', '333333333.3333334'],
  ['41b3de4355555557', '333333333.33333343'],
  ['becbf647612f3696', '-0.0000033333333333333333'],
  ['43143ff3c1cb0959', '1424953923781206.2'], // round to even
];

function double(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

test('RFC 8785 Appendix B: every number sample serialises as the RFC says', () => {
  assert.equal(APPENDIX_B.length, 24);
  for (const [hex, want] of APPENDIX_B) assert.equal(text(double(hex)), want, hex);
});

test('RFC 8785 Appendix B: NaN and Infinity have no canonical form', () => {
  for (const hex of ['7fffffffffffffff', '7ff0000000000000', 'fff0000000000000']) {
    assert.throws(() => canonicalJson(double(hex)), (e: unknown) => e instanceof EventError && e.code === 'bad-value');
  }
});

test('RFC 8785 §3.2.2: the example of the whole transformation', () => {
  const input = '{\n  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n' +
    '  "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",\n  "literals": [null, true, false]\n}';
  const want = '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}';
  assert.equal(text(JSON.parse(input)), want);
  // Our strict parser refuses the non-canonical numbers of this input, and accepts the output.
  assert.throws(() => parseJsonStrict(new TextEncoder().encode(input), EVENT_JSON_LIMITS), (e: unknown) => e instanceof EventError && e.code === 'non-canonical-number');
  assert.equal(text(parseJsonStrict(new TextEncoder().encode(want), EVENT_JSON_LIMITS)), want);
});

test('RFC 8785 §3.2.3: properties sort by UTF-16 code units', () => {
  const input = '{\n  "\\u20ac": "Euro Sign",\n  "\\r": "Carriage Return",\n  "\\ufb33": "Hebrew Letter Dalet With Dagesh",\n' +
    '  "1": "One",\n  "\\ud83d\\ude00": "Emoji: Grinning Face",\n  "\\u0080": "Control",\n' +
    '  "\\u00f6": "Latin Small Letter O With Diaeresis"\n}';
  assert.equal(
    text(JSON.parse(input)),
    '{"\\r":"Carriage Return","1":"One","\u0080":"Control","ö":"Latin Small Letter O With Diaeresis","€":"Euro Sign","😀":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
  );
});

test('cyberphone weird.json: unicode keys, escapes and "</script>"', () => {
  const input = '{\n  "\\u20ac": "Euro Sign",\n  "1": "One",\n  "\\u0080": "Control\\u007f",\n  "\\ud83d\\ude02": "Smiley",\n' +
    '  "\\u00f6": "Latin Small Letter O With Diaeresis",\n  "\\ufb33": "Hebrew Letter Dalet With Dagesh",\n  "</script>": "Browser Challenge"\n}\n';
  assert.equal(
    text(JSON.parse(input)),
    '{"1":"One","</script>":"Browser Challenge","\u0080":"Control\u007f","ö":"Latin Small Letter O With Diaeresis","€":"Euro Sign","😂":"Smiley","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
  );
});

test('lone surrogates have no canonical form', () => {
  assert.throws(() => canonicalJson({ a: '\ud800' }), (e: unknown) => e instanceof EventError && e.code === 'bad-value');
});
