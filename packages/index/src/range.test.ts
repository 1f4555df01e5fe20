// provableRange: which queries can be answered with a completeness proof, and over what range.
// Only the top-level conjunction counts; bounds are intersected and made inclusive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { extractFields } from './fields.js';
import { matches, matchesLeaf } from './match.js';
import { parseQuery } from './query.js';
import { MemoryStore, eventOf, eventSpec, queryText } from './test-support.js';
import { inTimeRange, provableRange, type ProvableRange } from './range.js';

const NOW = Date.UTC(2026, 11, 2);
const range = (q: string): ProvableRange => {
  const r = provableRange(parseQuery(q, { now: NOW }));
  assert.ok(r.ok, `${q} qualifies`);
  return r.range;
};
const reason = (q: string): string => {
  const r = provableRange(parseQuery(q, { now: NOW }));
  assert.ok(!r.ok, `${q} does not qualify`);
  return r.reason;
};

test('one source and seq bounds: intersected, inclusive', () => {
  assert.deepEqual(range('source:ci seq>=10 seq<20'), { source: 'ci', seq: { from: 10n, to: 19n } });
  assert.deepEqual(range('seq:15 AND source:ci'), { source: 'ci', seq: { from: 15n, to: 15n } });
  assert.deepEqual(range('source:ci seq>3 seq>=2 seq<=8 seq<100 actor:alice'), { source: 'ci', seq: { from: 4n, to: 8n } });
  assert.deepEqual(range('source:ci seq<0'), { source: 'ci', seq: { to: -1n } }); // empty: from 0 to -1
  assert.deepEqual(range('source:ci (seq>=5)'), { source: 'ci', seq: { from: 5n } });
});

test('time bounds: kept inclusive; a day is its 24 hours', () => {
  const day = Date.UTC(2026, 10, 1);
  assert.deepEqual(range('source:ci time:2026-11-01'), { source: 'ci', seq: {}, time: { from: day, to: day + 86_400_000 - 1 } });
  assert.deepEqual(range('source:ci time>1000 time<=2000 seq>=4'), { source: 'ci', seq: { from: 4n }, time: { from: 1001, to: 2000 } });
  assert.deepEqual(range('source:ci time>=now-1d'), { source: 'ci', seq: {}, time: { from: NOW - 86_400_000 } });
  assert.ok(inTimeRange(1001, { from: 1001, to: 2000 }) && inTimeRange(2000, { from: 1001 }) && !inTimeRange(2001, { to: 2000 }) && !inTimeRange(1000, { from: 1001 }));
});

test('does not qualify: no source, two sources, no bound, bounds not at the top level', () => {
  assert.match(reason('seq>=1'), /no source: term/);
  assert.match(reason('source:a source:b seq>=1'), /2 source: terms/);
  assert.match(reason('source:ci'), /no seq or time bound/);
  assert.match(reason('source:ci actor:alice'), /no seq or time bound/);
  assert.match(reason('source:ci OR seq>=1'), /no source: term/);
  assert.match(reason('source:ci (seq>=1 OR actor:x)'), /no seq or time bound/);
  assert.match(reason('source:ci NOT seq>=1'), /no seq or time bound/);
  assert.match(reason('(source:ci seq>=1) OR (source:ci seq<1)'), /no source: term/);
  assert.match(reason('NOT source:ci seq>=1'), /no source: term/);
});

test('matchesLeaf: when the leaf decides, it agrees with the reference matcher on the whole event', () => {
  let decided = 0;
  fc.assert(
    fc.property(eventSpec, queryText, (spec, text) => {
      const store = new MemoryStore();
      for (let i = 0; i < spec.dt % 5; i++) store.add(spec.source, eventOf(spec)); // seqs other than 0
      const f = extractFields(store.entries[Number(store.add(spec.source, eventOf(spec)))]!)!;
      const q = parseQuery(text, { now: NOW });
      const leaf = matchesLeaf(q, { source: f.source, seq: f.seq, time: f.time, class_uid: f.class_uid });
      if (leaf !== undefined) {
        decided++;
        assert.equal(leaf, matches(q, f), text);
      }
    }),
    { numRuns: 1500 },
  );
  assert.ok(decided > 300, `the leaf decided ${decided} of 1500`);
});
