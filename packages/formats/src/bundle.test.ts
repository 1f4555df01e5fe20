import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  BundleError,
  MAX_BUNDLE_ENTRIES,
  MAX_BUNDLE_ENTRY_SIZE,
  formatEntryBundle,
  parseEntryBundle,
} from './bundle.js';

const te = new TextEncoder();

function rejects(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof BundleError && e.code === code);
}

test('doc-comment example bytes', () => {
  const b = formatEntryBundle([te.encode('hi'), new Uint8Array(0)]);
  assert.deepEqual([...b], [0x00, 0x02, 0x68, 0x69, 0x00, 0x00]);
  assert.deepEqual(parseEntryBundle(b, 2), [te.encode('hi'), new Uint8Array(0)]);
});

test('round trip of a full bundle with a maximum-size entry', () => {
  const entries = Array.from({ length: MAX_BUNDLE_ENTRIES }, (_, i) => te.encode(`record ${i}`));
  entries[7] = new Uint8Array(MAX_BUNDLE_ENTRY_SIZE).fill(7);
  const b = formatEntryBundle(entries);
  assert.deepEqual(parseEntryBundle(b), entries);
  assert.deepEqual(parseEntryBundle(b, MAX_BUNDLE_ENTRIES), entries);
  assert.deepEqual(formatEntryBundle(parseEntryBundle(b)), b);
});

test('parsed entries are copies, not views of the input', () => {
  const b = formatEntryBundle([te.encode('abc')]);
  const [e] = parseEntryBundle(b);
  b[2] = 0x7a;
  assert.deepEqual(e, te.encode('abc'));
});

test('format rejects bad inputs', () => {
  rejects(() => formatEntryBundle([]), 'empty-bundle');
  rejects(() => formatEntryBundle(new Array(MAX_BUNDLE_ENTRIES + 1).fill(new Uint8Array(1))), 'too-many-entries');
  rejects(() => formatEntryBundle([new Uint8Array(MAX_BUNDLE_ENTRY_SIZE + 1)]), 'entry-too-large');
  rejects(() => formatEntryBundle(['x' as unknown as Uint8Array]), 'bad-input');
});

test('parse rejects malformed bundles', () => {
  const good = formatEntryBundle([te.encode('one'), te.encode('two')]);
  rejects(() => parseEntryBundle(new Uint8Array(0)), 'empty-bundle');
  rejects(() => parseEntryBundle(good.subarray(0, good.length - 1)), 'truncated');
  rejects(() => parseEntryBundle(good.subarray(0, 1)), 'truncated');
  rejects(() => parseEntryBundle(new Uint8Array([...good, 0x00])), 'truncated');
  rejects(() => parseEntryBundle(new Uint8Array([...good, 0x00, 0x00]), 2), 'trailing-data');
  rejects(() => parseEntryBundle(good, 3), 'count-mismatch');
  rejects(() => parseEntryBundle(good, 1), 'trailing-data');
  rejects(() => parseEntryBundle(good, 0), 'bad-count');
  rejects(() => parseEntryBundle(good, 257), 'bad-count');
  rejects(() => parseEntryBundle(good, 1.5), 'bad-count');
  rejects(() => parseEntryBundle('x' as unknown as Uint8Array), 'bad-input');
  // 257 empty entries: more than a bundle can hold.
  rejects(() => parseEntryBundle(new Uint8Array(2 * 257)), 'too-many-entries');
  // Larger than any bundle could be: rejected before reading.
  rejects(() => parseEntryBundle(new Uint8Array(256 * 65537 + 1)), 'too-large');
  rejects(() => parseEntryBundle(new Uint8Array(2 * 65537 + 1), 2), 'too-large');
});

const entryArb = fc.uint8Array({ maxLength: 300 });

test('property: parse(format(x)) == x and format(parse(b)) == b', () => {
  fc.assert(
    fc.property(fc.array(entryArb, { minLength: 1, maxLength: MAX_BUNDLE_ENTRIES }), (entries) => {
      const b = formatEntryBundle(entries);
      const parsed = parseEntryBundle(b, entries.length);
      assert.deepEqual(parsed, entries);
      assert.deepEqual(formatEntryBundle(parsed), b);
    }),
    { numRuns: 150 },
  );
});

function onlyBundleErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof BundleError, `unexpected ${String(e)}`);
  }
}

test('property: random and mutated bytes only ever throw BundleError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), fc.option(fc.integer({ min: -2, max: 300 })), (bytes, count) => {
      onlyBundleErrors(() => parseEntryBundle(bytes, count ?? undefined));
    }),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(
      fc.array(entryArb, { minLength: 1, maxLength: 8 }),
      fc.nat(),
      fc.integer({ min: 0, max: 255 }),
      fc.boolean(),
      (entries, pos, byte, cut) => {
        const b = formatEntryBundle(entries);
        const m = cut ? b.subarray(0, pos % (b.length + 1)) : b.slice();
        if (!cut && m.length > 0) m[pos % m.length] = byte;
        onlyBundleErrors(() => parseEntryBundle(m, entries.length));
        onlyBundleErrors(() => parseEntryBundle(m));
      },
    ),
    { numRuns: 500 },
  );
});
