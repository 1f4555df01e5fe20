/**
 * `cairn monitor`'s per-source sequence check, end to end (in-process through the CLI's parser,
 * real HTTP on 127.0.0.1):
 *
 * - a real LogNode with several interleaved sources and raw entries: no alarm, and the state
 *   holds each source's next seq and last index exactly as the log's own source table says;
 *   a second run after more events resumes from it;
 * - a lying log (the in-memory FakeLog of @cairn/api, which appends whatever it is given and
 *   signs it, served by the real tiles handler): a repeated seq, a skipped seq, a new source
 *   that starts past 0 and a malformed event leaf each raise exactly one `sequence` alarm with
 *   its evidence (JSON line, webhook, exit status), and a restart does not raise them again;
 * - a state of the version before the check makes the monitor re-read every entry once;
 * - a long catch-up cut off by the log (a bundle it stops serving) keeps a resume point with its
 *   sequence state, but none past a finding not yet raised: the next run resumes there, raises
 *   it once and ends with the state a run from scratch would have;
 * - a finding saved with the frontier past it but not raised (the monitor dies in between: an
 *   injected failure where the alarm is printed) is raised by the restarted monitor exactly once;
 *   one the webhook refused stays in the state and is raised again (and delivered) at the next
 *   pass, in the same process or after a restart;
 * - the bound on sources: the first source beyond it is a `too-many-sources` alarm, once per
 *   log (a log that floods sources to get a real one's seqs unchecked is caught at the flood).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startLogServer, type LogServer } from '@cairn/api';
import { FakeLog } from '@cairn/api/testing';
import { formatLeaf, validateEvent } from '@cairn/events';
import { loadPolicy } from '@cairn/client';
import { utf8Encode } from '@cairn/formats';
import { EXIT_SEQUENCE, LogMonitor, MONITOR_STATE_FILE, type Alarm } from '@cairn/client/monitor';
import { events, LOG_VKEY, monitorOnce, startRealLog, startWebhook, workDir, type RealLog } from './monitor-fixtures.js';

const T0 = Date.UTC(2026, 10, 1);
const event = (i: number) => validateEvent({
  class_uid: 3002, category_uid: 3, activity_id: 1, type_uid: 300201, severity_id: 1, status_id: 1, time: T0 + i,
  metadata: { version: '1.3.0', product: { name: 'sshd' } }, user: { name: `user-${i % 5}` }, src_endpoint: { ip: '192.0.2.7' },
});

const leafOf = (source: string, seq: number) => formatLeaf({ source, seq: BigInt(seq), time: BigInt(T0 + seq), classUid: 3002n, commitment: new Uint8Array(32).fill((seq + 1) % 256) });

type Saved = { version: number; logs: Record<string, { leaves: { size: string }; sequences: Record<string, [string, string]> }> };
const saved = async (state: string): Promise<Saved> => JSON.parse(await readFile(join(state, MONITOR_STATE_FILE), 'utf8')) as Saved;

describe('a real log with interleaved sources', () => {
  let log: RealLog;
  before(async () => {
    log = await startRealLog();
  });
  after(() => log.close());

  test('no alarm; the state is the log\'s own source table; a second run resumes', async () => {
    const round = async (n: number, offset: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        await log.node.submitEvents(['bastion', 'k8s', 'web'][i % 3]!, [{ event: event(offset + i) }, ...(i % 4 === 0 ? [{ event: event(offset + i + 1000) }] : [])]);
        if (i % 5 === 0) await log.node.submit(events(2, `raw-${offset}-${i}`));
      }
      await log.node.submitEvents('db', [{ event: event(offset) }], { wait: 'checkpoint' });
    };
    const table = async () => Object.fromEntries((await log.node.eventSources()).map((s) => [s.source, [s.nextSeq.toString(), s.lastIndex!.toString()]]));
    await round(20, 0);
    const w = await workDir(`log ${LOG_VKEY}\nquorum none\n`);
    try {
      const args = ['--policy', w.policy, '--url', log.url, '--state', w.state];
      const first = await monitorOnce(args);
      assert.equal(first.code, 0, first.err.join('\n'));
      assert.deepEqual(first.alarms, []);
      const expected = await table();
      assert.deepEqual(Object.keys(expected).sort(), ['bastion', 'db', 'k8s', 'web']);
      const events1 = Object.values(expected).reduce((n, [next]) => n + Number(next), 0);
      assert.ok(first.out.some((l) => l.includes(`; ${events1} event leaves, 4 sources in all)`)), first.out.join('\n'));
      const s1 = await saved(w.state);
      assert.equal(s1.version, 3);
      assert.deepEqual(s1.logs['monitor.example.org/log']!.sequences, expected);

      await round(7, 100);
      const second = await monitorOnce(args);
      assert.equal(second.code, 0, second.err.join('\n'));
      assert.deepEqual(second.alarms, []);
      const grown = await table();
      const events2 = Object.values(grown).reduce((n, [next]) => n + Number(next), 0);
      assert.ok(second.out.some((l) => l.includes(`; ${events2 - events1} event leaves, 4 sources in all)`)), 'only the new leaves were read: ' + second.out.join('\n'));
      assert.deepEqual((await saved(w.state)).logs['monitor.example.org/log']!.sequences, grown);
    } finally {
      await w.cleanup();
    }
  });
});

describe('a log that lies about sequences', () => {
  let fake: FakeLog;
  let server: LogServer;
  const append = async (entries: Uint8Array[]): Promise<readonly bigint[]> => (await fake.submit(entries)).indices;

  before(async () => {
    fake = new FakeLog();
    server = await startLogServer({ node: fake, listen: { host: '127.0.0.1', port: 0 } });
  });
  after(() => server.close());

  test('a repeated seq, a skipped seq, a source starting past 0 and a malformed leaf: one alarm each, with evidence', async () => {
    // Honest so far: three sources interleaved with raw entries.
    const honest = await append([leafOf('a', 0), leafOf('b', 0), utf8Encode('raw 1'), leafOf('a', 1), leafOf('c', 0), leafOf('b', 1), utf8Encode('raw 2'), leafOf('a', 2), leafOf('c', 1)]);
    const hook = await startWebhook();
    const w = await workDir(`log ${fake.verifierKey}\nquorum none\n`);
    try {
      const args = ['--policy', w.policy, '--url', server.url, '--state', w.state, '--alert-webhook', hook.url];
      const ok = await monitorOnce(args);
      assert.equal(ok.code, 0, ok.err.join('\n'));
      assert.deepEqual(ok.alarms, []);
      assert.deepEqual((await saved(w.state)).logs[fake.origin]!.sequences, {
        a: ['3', honest[7]!.toString()], b: ['2', honest[5]!.toString()], c: ['2', honest[8]!.toString()],
      });

      // The lies, each followed by leaves that are right again (no alarm for those).
      const malformed = utf8Encode('cairn.dev/event-leaf/v1\nsource c\nseq 2\n');
      const [repeat, gap, , malformedAt, , , , fresh] = await append([
        leafOf('a', 2), // repeat: a's next is 3
        leafOf('b', 3), // gap: b's next is 2
        leafOf('a', 3),
        malformed,
        leafOf('b', 4),
        leafOf('c', 2),
        utf8Encode('raw 3'),
        leafOf('d', 1), // a new source starting at 1
        leafOf('d', 2),
      ]);
      const note = await (await fetch(`${server.url}/checkpoint`)).text();
      const r = await monitorOnce(args);
      assert.equal(r.code, EXIT_SEQUENCE, r.err.join('\n'));
      assert.deepEqual(r.alarms.map((a) => [a['alarm'], a['code'], a['exitCode']]), [
        ['sequence', 'sequence-repeat', EXIT_SEQUENCE],
        ['sequence', 'sequence-gap', EXIT_SEQUENCE],
        ['sequence', 'event-leaf-malformed', EXIT_SEQUENCE],
        ['sequence', 'sequence-gap', EXIT_SEQUENCE],
      ]);
      const ev = r.alarms.map((a) => a['evidence'] as Record<string, unknown>);
      for (const e of ev) assert.equal(e['note'], note, 'each alarm names the signed tree');
      assert.deepEqual(ev[0], { note, index: repeat!.toString(), source: 'a', seq: '2', expected: '3', previousIndex: honest[7]!.toString() });
      assert.deepEqual(ev[1], { note, index: gap!.toString(), source: 'b', seq: '3', expected: '2', previousIndex: honest[5]!.toString() });
      assert.equal(ev[2]!['index'], malformedAt!.toString());
      assert.match(String(ev[2]!['problem']), /^bad-line: a leaf record has 6 lines, not 3$/);
      assert.deepEqual(ev[3], { note, index: fresh!.toString(), source: 'd', seq: '1', expected: '0' });
      assert.match(String(r.alarms[1]!['message']), new RegExp(`entry ${gap} carries seq 3, the next seq was 2 \\(previous leaf of the source: entry ${honest[5]}\\)`));
      const byIndex = (xs: Record<string, unknown>[]) => [...xs].sort((x, y) => Number((x['evidence'] as { index: string }).index) - Number((y['evidence'] as { index: string }).index));
      assert.deepEqual(byIndex(hook.alarms), r.alarms, 'each alarm POSTed once to the webhook');
      const after1 = (await saved(w.state)).logs[fake.origin]!;
      assert.deepEqual(after1.sequences['b'], ['5', (gap! + 3n).toString()], 'after the gap, b follows the log (seq 4 was no alarm)');
      assert.deepEqual(after1.sequences['a'], ['4', (repeat! + 2n).toString()], 'after the repeat, a still expects 3');

      // A restart: nothing new, nothing raised again.
      const again = await monitorOnce(args);
      assert.equal(again.code, 0, again.err.join('\n'));
      assert.deepEqual(again.alarms, []);
      assert.equal(hook.alarms.length, 4);

      // A state written before the sequence check: every entry is read again, the lies found again.
      const v1 = JSON.parse(await readFile(join(w.state, MONITOR_STATE_FILE), 'utf8')) as { version: number; logs: Record<string, Record<string, unknown>> };
      v1.version = 1;
      delete v1.logs[fake.origin]!['sequences'];
      await writeFile(join(w.state, MONITOR_STATE_FILE), JSON.stringify(v1));
      const upgraded = await monitorOnce(args);
      assert.equal(upgraded.code, EXIT_SEQUENCE);
      assert.ok(upgraded.err.some((l) => l.includes(`re-reading its ${fake.entries.length} verified entries once`)), upgraded.err.join('\n'));
      assert.deepEqual(upgraded.alarms.map((a) => (a['evidence'] as Record<string, unknown>)['index']), ev.map((e) => e['index']));
      assert.ok(upgraded.out.some((l) => l.startsWith(`entries ${fake.origin} 0..${fake.entries.length - 1} verified (${fake.entries.length} new`)), upgraded.out.join('\n'));
      assert.deepEqual((await saved(w.state)).logs[fake.origin]!.sequences, after1.sequences);
    } finally {
      await hook.close();
      await w.cleanup();
    }
  });
});

describe('a long catch-up cut off mid-way', () => {
  const N = 5_000;
  const LIE = 3_000; // in the second group of bundles (entries 2048..4095)
  const CUT = 18; // bundle 18 (entries 4608..4863) is not served on the first run
  let fake: FakeLog;
  let server: LogServer;
  /** Per source [next, last] as a check from scratch ends, and as it stands after entry 2047. */
  const expected = new Map<string, [number, number]>();
  let at2048 = new Map<string, [number, number]>();
  let lie = { source: '', seq: 0, expected: 0, previousIndex: 0 };
  before(async () => {
    fake = new FakeLog();
    const entries: Uint8Array[] = [];
    for (let i = 0; i < N; i++) {
      if (i === 2048) at2048 = new Map(expected);
      if (i % 10 === 9) {
        entries.push(utf8Encode(`raw ${i}`));
        continue;
      }
      const source = `src-${i % 7}`;
      const [next, last] = expected.get(source) ?? [0, -1];
      const seq = i === LIE ? next + 2 : next; // one gap of two seqs
      if (i === LIE) lie = { source, seq, expected: next, previousIndex: last };
      entries.push(leafOf(source, seq));
      expected.set(source, [seq + 1, i]);
    }
    await fake.submit(entries);
    server = await startLogServer({ node: fake, listen: { host: '127.0.0.1', port: 0 } });
  });
  after(() => server.close());

  const asSaved = (m: Map<string, [number, number]>) => Object.fromEntries([...m].map(([s, [next, last]]) => [s, [String(next), String(last)]]));

  async function open(state: string, o: { cut?: boolean; maxSources?: number; dieOnAlarm?: boolean; webhook?: string } = {}) {
    const out: string[] = [];
    const err: string[] = [];
    let t = Date.UTC(2026, 10, 1);
    const monitor = await LogMonitor.open({
      policy: loadPolicy(`log ${fake.verifierKey}\nquorum none\n`), url: server.url, stateDir: state, stallAfterMs: 3_600_000,
      io: {
        out: (l) => out.push(l),
        err: (l) => {
          if (o.dieOnAlarm === true && l.startsWith('{')) throw new Error('injected: the monitor dies before the alarm is out');
          err.push(l);
        },
      },
      ...(o.webhook !== undefined ? { webhook: o.webhook, webhookOptions: { attempts: 1 } } : {}),
      clock: () => (t += 5_000), // every progress point is due for a save
      ...(o.maxSources !== undefined ? { maxSources: o.maxSources } : {}),
      fetch: async (input, init) => {
        if (o.cut === true && String(input).endsWith(`/tile/entries/0${CUT}`)) return new Response('gone', { status: 404 });
        return globalThis.fetch(input, init);
      },
    });
    return { monitor, out, err };
  }

  test('the resume point stops before the finding; the next run raises it once and ends as a run from scratch', async () => {
    const w = await workDir('');
    try {
      const cut = await open(w.state, { cut: true });
      const r1 = await cut.monitor.pass();
      assert.equal(r1.fetchError?.code, 'not-found', cut.err.join('\n'));
      assert.deepEqual(r1.alarms, [], 'nothing raised before the entries are confirmed');
      type Cut = { logs: Record<string, { leaves: { size: string }; sequences: object; progress: { size: string }; progressSequences: object }> };
      const o1 = (JSON.parse(await readFile(join(w.state, MONITOR_STATE_FILE), 'utf8')) as Cut).logs[fake.origin]!;
      assert.deepEqual([o1.leaves.size, o1.sequences], ['0', {}]);
      assert.equal(o1.progress.size, '2048', 'the point after the second group (4096) is past the finding at 3000: not kept');
      assert.deepEqual(o1.progressSequences, asSaved(at2048));

      const resumed = await open(w.state);
      const r2 = await resumed.monitor.pass();
      assert.equal(r2.fetchError, undefined, resumed.err.join('\n'));
      assert.ok(resumed.out.some((l) => l.includes(`verified (${N - 2048} new`)), 'resumed at 2048: ' + resumed.out.join('\n'));
      assert.deepEqual(r2.alarms.map((a: Alarm) => [a.code, a.evidence]), [['sequence-gap', {
        note: r2.latest!.note, index: String(LIE), source: lie.source, seq: String(lie.seq), expected: String(lie.expected), previousIndex: String(lie.previousIndex),
      }]]);
      assert.deepEqual((await saved(w.state)).logs[fake.origin]!.sequences, asSaved(expected));
      assert.deepEqual((await resumed.monitor.pass()).alarms, [], 'raised once');
    } finally {
      await w.cleanup();
    }
  });

  const lieEvidence = (note: string) => ({
    note, index: String(LIE), source: lie.source, seq: String(lie.seq), expected: String(lie.expected), previousIndex: String(lie.previousIndex),
  });
  type Pending = { logs: Record<string, { leaves: { size: string }; pending?: Record<string, string>[] }> };
  const pendingIn = async (state: string) => (JSON.parse(await readFile(join(state, MONITOR_STATE_FILE), 'utf8')) as Pending).logs[fake.origin]!;

  test('a monitor that dies after saving the frontier past a finding and before raising it raises it after a restart, exactly once', async () => {
    const w = await workDir('');
    try {
      const dying = await open(w.state, { dieOnAlarm: true });
      await assert.rejects(dying.monitor.pass(), /injected/);
      const o1 = await pendingIn(w.state);
      assert.equal(o1.leaves.size, String(N), 'the frontier moved past the finding');
      const { note: _note, ...finding } = lieEvidence('');
      assert.deepEqual(o1.pending, [{ code: 'sequence-gap', ...finding }], 'the finding waits in the state');

      const restarted = await open(w.state);
      const r = await restarted.monitor.pass();
      assert.ok(restarted.out.every((l) => !l.startsWith('entries ')), 'no entry read again: ' + restarted.out.join('\n'));
      assert.deepEqual(r.alarms.map((a: Alarm) => [a.alarm, a.code, a.exitCode, a.evidence]), [['sequence', 'sequence-gap', EXIT_SEQUENCE, lieEvidence(r.latest!.note)]]);
      assert.equal((await pendingIn(w.state)).pending, undefined, 'raised: no longer pending');
      assert.deepEqual((await restarted.monitor.pass()).alarms, [], 'not again in this process');
      assert.deepEqual((await (await open(w.state)).monitor.pass()).alarms, [], 'nor after another restart');
    } finally {
      await w.cleanup();
    }
  });

  test('a sequence alarm the webhook refused stays pending: raised again at the next pass and after a restart until delivered, then never again', async () => {
    const hook = await startWebhook(2);
    const w = await workDir('');
    try {
      const m = await open(w.state, { webhook: hook.url });
      const r1 = await m.monitor.pass();
      assert.deepEqual(r1.alarms.map((a: Alarm) => a.evidence), [lieEvidence(r1.latest!.note)], 'printed and returned at once');
      assert.ok(m.err.some((l) => l === `monitor: webhook ${hook.url} failed after 1 attempts: HTTP 503; the sequence alarm is raised again at the next pass while its cause stands`), m.err.join('\n'));
      assert.equal((await pendingIn(w.state)).pending?.length, 1, 'kept in the state');
      const r2 = await m.monitor.pass();
      assert.deepEqual(r2.alarms.map((a: Alarm) => a.evidence), [lieEvidence(r1.latest!.note)], 'raised again by the same process');
      assert.equal((await pendingIn(w.state)).pending?.length, 1, 'refused again: still kept');

      const restarted = await open(w.state, { webhook: hook.url });
      const r3 = await restarted.monitor.pass();
      assert.deepEqual(r3.alarms.map((a: Alarm) => a.evidence), [lieEvidence(r1.latest!.note)], 'raised by the restarted monitor');
      assert.deepEqual(hook.alarms.map((a) => [a['code'], a['evidence']]), [['sequence-gap', lieEvidence(r1.latest!.note)]], 'delivered once');
      assert.equal((await pendingIn(w.state)).pending, undefined);
      assert.deepEqual((await restarted.monitor.pass()).alarms, []);
      assert.deepEqual((await (await open(w.state, { webhook: hook.url })).monitor.pass()).alarms, []);
      assert.equal(hook.requests, 3);
    } finally {
      await hook.close();
      await w.cleanup();
    }
  });

  test('beyond the bound on sources: the first leaf of a source with no room is a too-many-sources alarm, the later ones are counted and said', async () => {
    const w = await workDir('');
    try {
      const m = await open(w.state, { maxSources: 3 });
      const r = await m.monitor.pass();
      // src-0, src-1, src-2 have entries 0, 1, 2; src-3 first appears at entry 3. The lie is in src-4's leaves: not tracked.
      assert.equal(lie.source, 'src-4');
      assert.deepEqual(r.alarms.map((a: Alarm) => [a.alarm, a.code, a.exitCode, a.evidence]), [
        ['sequence', 'too-many-sources', EXIT_SEQUENCE, { note: r.latest!.note, index: '3', source: 'src-3', seq: '0', limit: '3' }],
      ], m.err.join('\n'));
      assert.match(r.alarms[0]!.message, /^the monitor's state holds no more sources \(3 for this log, the bound of its state directory\): source src-3 at entry 3 and every source first seen after it are not tracked/);
      const untracked = [...expected].filter(([s]) => !['src-0', 'src-1', 'src-2'].includes(s)).reduce((n, [, [next]]) => n + next, 0) - 2;
      assert.ok(m.err.some((l) => l === `monitor: the state tracks at most 3 sources; ${untracked} event leaves of ${fake.origin} belong to sources beyond that, whose sequences are not checked (alarm too-many-sources)`), m.err.join('\n'));
      const s = (await saved(w.state)).logs[fake.origin]! as unknown as { sequences: object; untrackedFrom: string };
      assert.deepEqual([Object.keys(s.sequences).sort(), s.untrackedFrom], [['src-0', 'src-1', 'src-2'], '3']);
    } finally {
      await w.cleanup();
    }
  });
});

describe('a log that floods sources to get a real one unchecked', () => {
  let fake: FakeLog;
  let server: LogServer;
  before(async () => {
    fake = new FakeLog();
    server = await startLogServer({ node: fake, listen: { host: '127.0.0.1', port: 0 } });
  });
  after(() => server.close());

  const open = async (state: string) => {
    const err: string[] = [];
    const monitor = await LogMonitor.open({
      policy: loadPolicy(`log ${fake.verifierKey}\nquorum none\n`), url: server.url, stateDir: state, stallAfterMs: 3_600_000,
      io: { out: () => {}, err: (l) => err.push(l) }, maxSources: 4,
    });
    return { monitor, err };
  };

  test('the flood is an alarm where the bound is reached (not a warning), raised once for the log', async () => {
    const w = await workDir('');
    try {
      // One honest source, three dummies (the bound is 4), then the target source repeats and skips seqs.
      await fake.submit([leafOf('web', 0), leafOf('dummy-0', 0), leafOf('dummy-1', 0), leafOf('web', 1), leafOf('dummy-2', 0)]);
      const [first] = (await fake.submit([leafOf('bastion', 0), leafOf('bastion', 0), leafOf('bastion', 7)])).indices;
      const m = await open(w.state);
      const r = await m.monitor.pass();
      assert.deepEqual(r.alarms.map((a: Alarm) => [a.alarm, a.code, a.exitCode, a.evidence]), [
        ['sequence', 'too-many-sources', EXIT_SEQUENCE, { note: r.latest!.note, index: first!.toString(), source: 'bastion', seq: '0', limit: '4' }],
      ]);
      // More leaves of untracked sources (and a lie in the tracked one): the lie is an alarm, the flood not again.
      const [lie] = (await fake.submit([leafOf('web', 5), leafOf('bastion', 9), leafOf('other', 3)])).indices;
      const again = await (await open(w.state)).monitor.pass();
      assert.deepEqual(again.alarms.map((a: Alarm) => [a.code, (a.evidence as { index: string }).index]), [['sequence-gap', lie!.toString()]]);
      const s = (await saved(w.state)).logs[fake.origin]! as unknown as { sequences: object; untrackedFrom: string };
      assert.deepEqual([Object.keys(s.sequences).sort(), s.untrackedFrom], [['dummy-0', 'dummy-1', 'dummy-2', 'web'], first!.toString()]);
    } finally {
      await w.cleanup();
    }
  });
});
