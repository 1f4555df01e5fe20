// The monitor's per-source sequence check (SequenceCheck) over hand-built entries, and its state
// in the monitor's state file: saved and loaded with the frontier it belongs to, strict on load,
// bounded, and a version-1 file read as "re-read everything".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatLeaf } from '@cairn/events';
import { utf8Encode } from '@cairn/formats';
import { EMPTY_FRONTIER } from '../tail.js';
import { SequenceCheck, MAX_SOURCES, type SourceSequence } from './sequences.js';
import { loadMonitorState, MONITOR_STATE_FILE, MonitorStateError, saveMonitorState, type OriginState } from './state.js';

const leaf = (source: string, seq: bigint) => formatLeaf({ source, seq, time: 1n, classUid: 3002n, commitment: new Uint8Array(32) });

test('contiguous sources interleaved with raw entries: no finding, and the state of each source', () => {
  const c = new SequenceCheck(new Map());
  const entries = [leaf('a', 0n), utf8Encode('raw'), leaf('b', 0n), leaf('a', 1n), utf8Encode('cairn.dev/event-lea'), leaf('b', 1n), leaf('a', 2n)];
  assert.deepEqual(entries.map((e, i) => c.check(BigInt(i), e)), entries.map(() => undefined));
  assert.deepEqual(c.merged(), new Map([['a', { next: 3n, last: 6n }], ['b', { next: 2n, last: 5n }]]));
  assert.equal(c.leaves, 5n);
  assert.equal(c.sources, 2);
});

test('a gap, a repeat, a regression, a new source past 0 and malformed leaves: one finding each', () => {
  const base = new Map<string, SourceSequence>([['a', { next: 5n, last: 40n }]]);
  const c = new SequenceCheck(base);
  assert.deepEqual(c.check(50n, leaf('a', 7n)), { code: 'sequence-gap', index: 50n, source: 'a', seq: 7n, expected: 5n, previousIndex: 40n });
  assert.equal(c.check(51n, leaf('a', 8n)), undefined, 'after a gap the source follows the log');
  assert.deepEqual(c.check(52n, leaf('a', 8n)), { code: 'sequence-repeat', index: 52n, source: 'a', seq: 8n, expected: 9n, previousIndex: 51n });
  assert.deepEqual(c.check(53n, leaf('a', 2n)), { code: 'sequence-repeat', index: 53n, source: 'a', seq: 2n, expected: 9n, previousIndex: 52n });
  assert.equal(c.check(54n, leaf('a', 9n)), undefined, 'after a repeat the source still expects its next seq');
  assert.deepEqual(c.check(55n, leaf('n', 3n)), { code: 'sequence-gap', index: 55n, source: 'n', seq: 3n, expected: 0n });
  for (const [bytes, problem] of [
    ['cairn.dev/event-leaf/v2\nsource a\n', /^bad-header: /],
    ['cairn.dev/event-leaf/v1\nsource a\nseq 01\ntime 1\nclass 1\ncommitment AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n', /^bad-seq: "01" is not a canonical decimal/],
    ['cairn.dev/event-leaf/\u00e9', /^bad-text: /],
  ] as const) {
    assert.match(c.check(60n, utf8Encode(bytes))!.problem!, problem);
  }
  assert.deepEqual(base.get('a'), { next: 5n, last: 40n }, 'the confirmed state is not touched');
  assert.deepEqual(c.changes, new Map([['a', { next: 10n, last: 54n }], ['n', { next: 4n, last: 55n }]]));
});

test('a check resumed from saved changes goes on where it stopped; the first source beyond the bound is a finding, the rest are counted', () => {
  const base = new Map<string, SourceSequence>([['a', { next: 1n, last: 0n }]]);
  const resumed = new SequenceCheck(base, new Map([['b', { next: 1n, last: 1n }]]), 2);
  assert.equal(resumed.sources, 2);
  assert.equal(resumed.check(2n, leaf('b', 1n)), undefined);
  assert.deepEqual(resumed.check(3n, leaf('c', 5n)), { code: 'too-many-sources', index: 3n, source: 'c', seq: 5n, limit: 2n }, 'c is beyond the bound of 2');
  assert.equal(resumed.check(4n, leaf('a', 1n)), undefined);
  assert.equal(resumed.check(5n, leaf('d', 0n)), undefined, 'one finding per log: d is counted');
  assert.equal(resumed.check(6n, leaf('c', 5n)), undefined, 'c is not tracked: its repeat is not seen');
  assert.deepEqual([resumed.leaves, resumed.untracked, resumed.sources, resumed.firstUntracked], [5n, 3n, 2, 3n]);
  assert.deepEqual(resumed.merged(), new Map([['a', { next: 2n, last: 4n }], ['b', { next: 2n, last: 2n }]]));
  const later = new SequenceCheck(resumed.merged(), new Map(), 2, true);
  assert.equal(later.check(7n, leaf('e', 0n)), undefined, 'found before for this log: not again');
  assert.deepEqual([later.untracked, later.firstUntracked], [1n, undefined]);
});

async function withDir(f: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-seq-state-'));
  try {
    await f(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const ORIGIN = 'example.com/log';
const frontier = (size: bigint) => ({ size, rightEdge: [new Uint8Array(32).fill(Number(size % 250n))] });

test('the state keeps the sequences with their frontier, and the catch-up changes with theirs', () => withDir(async (dir) => {
  const st: OriginState = {
    checkpoint: 'note\n', seenAt: 5, leaves: frontier(10n),
    sequences: new Map([['a', { next: 3n, last: 9n }], ['b.x-1_', { next: 9223372036854775808n, last: 0n }]]),
    progress: frontier(20n), progressSequences: new Map([['c', { next: 1n, last: 19n }]]),
  };
  await saveMonitorState(dir, { logs: new Map([[ORIGIN, st]]) });
  const text = await readFile(join(dir, MONITOR_STATE_FILE), 'utf8');
  assert.equal(text.split('\n').length, 2, 'one line');
  assert.equal(JSON.parse(text).logs[ORIGIN].sequences.a.join(), '3,9');
  assert.deepEqual((await loadMonitorState(dir)).logs.get(ORIGIN), st);
}));

test('pending findings and the first untracked leaf are kept with the frontier; a version-2 state has neither', () => withDir(async (dir) => {
  const pending = [
    { code: 'sequence-gap', index: 4n, source: 'k8s', seq: 2n, expected: 1n, previousIndex: 2n },
    { code: 'event-leaf-malformed', index: 5n, problem: 'bad-line: a leaf record has 6 lines, not 3' },
    { code: 'too-many-sources', index: 7n, source: 'z', seq: 0n, limit: 100000n },
  ] as const;
  const st: OriginState = { checkpoint: 'note\n', seenAt: 5, leaves: frontier(10n), sequences: new Map([['k8s', { next: 3n, last: 6n }]]), pending: [...pending], untrackedFrom: 7n };
  await saveMonitorState(dir, { logs: new Map([[ORIGIN, st]]) });
  const saved = JSON.parse(await readFile(join(dir, MONITOR_STATE_FILE), 'utf8'));
  assert.equal(saved.version, 3);
  assert.deepEqual(saved.logs[ORIGIN].pending[0], { code: 'sequence-gap', index: '4', source: 'k8s', seq: '2', expected: '1', previousIndex: '2' });
  assert.equal(saved.logs[ORIGIN].untrackedFrom, '7');
  assert.deepEqual((await loadMonitorState(dir)).logs.get(ORIGIN), st);
  const { pending: _p, untrackedFrom: _u, ...v2 } = saved.logs[ORIGIN];
  await writeFile(join(dir, MONITOR_STATE_FILE), JSON.stringify({ version: 2, logs: { [ORIGIN]: v2 } }));
  const { pending: _sp, untrackedFrom: _su, ...rest } = st;
  assert.deepEqual((await loadMonitorState(dir)).logs.get(ORIGIN), rest);
  await writeFile(join(dir, MONITOR_STATE_FILE), JSON.stringify({ version: 2, logs: { [ORIGIN]: saved.logs[ORIGIN] } }));
  await assert.rejects(loadMonitorState(dir), /logs\.example\.com\/log\.pending: unknown field/, 'a version-2 state has no pending findings');
}));

test('a state with bad pending findings is refused, naming the field', () => withDir(async (dir) => {
  const base = { checkpoint: 'note\n', seenAt: 5, leaves: { size: '10', rightEdge: [] }, sequences: {} };
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ ...base, pending: {} }, /pending: not a list of at most 1000 findings/],
    [{ ...base, pending: [{ code: 'sequence-lie', index: '1' }] }, /pending\.0\.code: not one of/],
    [{ ...base, pending: [{ code: 'sequence-gap' }] }, /pending\.0\.index: missing/],
    [{ ...base, pending: [{ code: 'sequence-gap', index: '10' }] }, /pending\.0\.index: not below the 10 entries/],
    [{ ...base, pending: [{ code: 'sequence-gap', index: '1', seq: '-1' }] }, /pending\.0\.seq: not a canonical decimal/],
    [{ ...base, pending: [{ code: 'sequence-gap', index: '1', source: 'a b' }] }, /pending\.0\.source: not a source id/],
    [{ ...base, pending: [{ code: 'sequence-gap', index: '1', note: 'x' }] }, /pending\.0\.note: unknown field/],
    [{ ...base, untrackedFrom: '10' }, /untrackedFrom: not a canonical decimal below the 10 entries/],
  ];
  for (const [origin, message] of bad) {
    await writeFile(join(dir, MONITOR_STATE_FILE), JSON.stringify({ version: 3, logs: { [ORIGIN]: origin } }));
    await assert.rejects(loadMonitorState(dir), (e: unknown) => e instanceof MonitorStateError && e.code === 'state-invalid' && message.test(e.message), String(message));
  }
}));

test('a state from before the sequence check is read as entries to re-read', () => withDir(async (dir) => {
  const v1 = { version: 1, logs: { [ORIGIN]: { checkpoint: 'note\n', seenAt: 5, leaves: { size: '10', rightEdge: [] }, progress: { size: '12', rightEdge: [] } } } };
  await writeFile(join(dir, MONITOR_STATE_FILE), JSON.stringify(v1));
  assert.deepEqual((await loadMonitorState(dir)).logs.get(ORIGIN), { checkpoint: 'note\n', seenAt: 5, leaves: EMPTY_FRONTIER, sequences: new Map(), reverify: 10n });
}));

test('a state with bad sequences is refused, naming the field', () => withDir(async (dir) => {
  const base = { checkpoint: 'note\n', seenAt: 5, leaves: { size: '10', rightEdge: [] }, sequences: {} as Record<string, unknown> };
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ ...base, sequences: { '-a': ['1', '0'] } }, /sequences: "-a" is not a source id/],
    [{ ...base, sequences: { a: ['0', '0'] } }, /sequences\.a: next seq 0 out of range/],
    [{ ...base, sequences: { a: ['9223372036854775809', '0'] } }, /sequences\.a: next seq .* out of range/],
    [{ ...base, sequences: { a: ['1', '10'] } }, /sequences\.a: last index 10 is not below the 10 entries/],
    [{ ...base, sequences: { a: ['1', 0] } }, /sequences\.a: not \[next seq, last index\]/],
    [{ ...base, sequences: { a: ['01', '0'] } }, /sequences\.a: not \[next seq, last index\]/],
    [{ ...base, sequences: undefined }, /sequences: missing/],
    [{ ...base, progress: { size: '12', rightEdge: [] } }, /progress and progressSequences come together/],
    [{ ...base, progress: { size: '12', rightEdge: [] }, progressSequences: { a: ['1', '12'] } }, /progressSequences\.a: last index 12/],
  ];
  for (const [origin, message] of bad) {
    await writeFile(join(dir, MONITOR_STATE_FILE), JSON.stringify({ version: 2, logs: { [ORIGIN]: origin } }));
    await assert.rejects(loadMonitorState(dir), (e: unknown) => e instanceof MonitorStateError && e.code === 'state-invalid' && message.test(e.message), String(message));
  }
}));

test('more sources than MAX_SOURCES in a state file are refused', () => withDir(async (dir) => {
  const half = (from: number) => Object.fromEntries(Array.from({ length: MAX_SOURCES / 2 + 1 }, (_, i) => [`s${from + i}`, ['1', '0']]));
  const origin = (sequences: Record<string, unknown>) => ({ checkpoint: 'note\n', seenAt: 5, leaves: { size: '1', rightEdge: [] }, sequences });
  await writeFile(join(dir, MONITOR_STATE_FILE), JSON.stringify({ version: 2, logs: { [ORIGIN]: origin(half(0)), 'example.com/other': origin(half(MAX_SOURCES)) } }));
  await assert.rejects(loadMonitorState(dir), (e: unknown) => e instanceof MonitorStateError && new RegExp(`more than ${MAX_SOURCES} sources`).test(e.message));
}));
