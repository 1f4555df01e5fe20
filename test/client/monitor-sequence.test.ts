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
 * - a state of the version before the check makes the monitor re-read every entry once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startLogServer, type LogServer } from '@cairn/api';
import { FakeLog } from '@cairn/api/testing';
import { formatLeaf, validateEvent } from '@cairn/events';
import { utf8Encode } from '@cairn/formats';
import { EXIT_SEQUENCE, MONITOR_STATE_FILE } from '@cairn/client/monitor';
import { events, LOG_VKEY, monitorOnce, startRealLog, startWebhook, workDir, type RealLog } from './monitor-fixtures.js';

const T0 = Date.UTC(2026, 10, 1);
const event = (i: number) => validateEvent({
  class_uid: 3002, category_uid: 3, activity_id: 1, type_uid: 300201, severity_id: 1, status_id: 1, time: T0 + i,
  metadata: { version: '1.3.0', product: { name: 'sshd' } }, user: { name: `user-${i % 5}` }, src_endpoint: { ip: '192.0.2.7' },
});

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
      assert.equal(s1.version, 2);
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
  /** The leaf of `source` at `seq`, as the log would build it (the commitment is arbitrary). */
  const leafOf = (source: string, seq: number) => formatLeaf({ source, seq: BigInt(seq), time: BigInt(T0 + seq), classUid: 3002n, commitment: new Uint8Array(32).fill(seq + 1) });
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
