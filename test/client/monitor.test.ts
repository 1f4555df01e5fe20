/**
 * `cairn monitor` end to end (in-process through the CLI's parser): a healthy log with three real
 * witnesses (quorum 2) passes --once and its state resumes; adversarial logs (a tiny HTTP server
 * that scripts /checkpoint and proxies tiles to real logs signed with the same key) raise each
 * alarm — fork (same size, other root; larger but inconsistent), rollback, stall, lost quorum —
 * as a JSON line on stderr, a webhook POST and the exit status; an alarm the webhook refused is
 * raised again at the next pass.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addSignatures, cosignatureSigner, cosignatureVerifierKey, formatSignerKey } from '@cairn/formats';
import { EXIT_CODES, loadPolicy } from '@cairn/client';
import { MONITOR_OPTION_NAMES, runMonitor, type MonitorValues } from '../../apps/cli/src/commands/monitor.js';
import { EXIT_STALLED, LogMonitor } from '@cairn/client/monitor';
import { events, LOG_VKEY, monitorOnce, startFakeLog, startRealLog, startWebhook, workDir, type RealLog } from './monitor-fixtures.js';

const NONE_POLICY = `log ${LOG_VKEY}\nquorum none\n`;

/** Monitor options as the CLI parser gives them: every name present, undefined unless set. */
const values = (set: Partial<MonitorValues>): MonitorValues =>
  ({ ...Object.fromEntries(MONITOR_OPTION_NAMES.map((k) => [k, undefined])), ...set }) as MonitorValues;

describe('a healthy log with real witnesses', () => {
  let log: RealLog;
  before(async () => {
    log = await startRealLog(3);
    await log.node.submit(events(300, 'a'), { wait: 'cosigned' });
  });
  after(() => log.close());

  test('--once exits 0, verifies every entry, and a second run resumes without re-verifying', async () => {
    const policy = [
      `log ${LOG_VKEY}`,
      ...log.witnesses.map((w) => `witness ${w.name} ${w.vkey} ${w.server.url}`),
      'group two-of-three 2 w1 w2 w3',
      'quorum two-of-three',
      '',
    ].join('\n');
    const w = await workDir(policy);
    try {
      const args = ['--policy', w.policy, '--url', log.url, '--state', w.state];
      const first = await monitorOnce(args);
      assert.equal(first.code, 0, first.err.join('\n'));
      assert.deepEqual(first.alarms, []);
      const size = BigInt(/^checkpoint \S+ size (\d+) .* cosigned by (\S+, \S+)/m.exec(first.out.join('\n'))![1]!);
      assert.ok(size >= 300n);
      assert.ok(first.out.some((l) => l.startsWith(`entries monitor.example.org/log 0..${size - 1n} verified (${size} new`)), first.out.join('\n'));
      const saved = JSON.parse(await readFile(join(w.state, 'monitor.json'), 'utf8'));
      assert.equal(saved.logs['monitor.example.org/log'].leaves.size, size.toString());

      const again = await monitorOnce(args);
      assert.equal(again.code, 0, again.err.join('\n'));
      assert.deepEqual(again.out, [], 'nothing new: nothing re-verified');

      await log.node.submit(events(200, 'b'), { wait: 'cosigned' });
      const third = await monitorOnce(args);
      assert.equal(third.code, 0, third.err.join('\n'));
      const grown = BigInt(/^checkpoint \S+ size (\d+)/m.exec(third.out.join('\n'))![1]!);
      assert.ok(third.out.some((l) => l.includes(`verified (${grown - size} new`)), third.out.join('\n'));
    } finally {
      await w.cleanup();
    }
  });
});

describe('adversarial logs', () => {
  let a: RealLog; // the history the monitor sees first
  let b: RealLog; // a forked history, same key and origin
  let a5: string; // a's checkpoint at size 5
  before(async () => {
    [a, b] = await Promise.all([startRealLog(), startRealLog()]);
    await a.node.submit(events(5, 'a'), { wait: 'checkpoint' });
    a5 = await a.note();
    await a.node.submit(events(5, 'a2'), { wait: 'checkpoint' });
    await b.node.submit(events(10, 'b'), { wait: 'checkpoint' });
  });
  after(async () => {
    await a.close();
    await b.close();
  });

  /** Runs the monitor once on `fake` while it shows A, then again with `change()` applied. */
  async function scenario(change: (fake: Awaited<ReturnType<typeof startFakeLog>>) => Promise<void> | void, policy = NONE_POLICY, firstNote?: () => string) {
    const [aNote] = [await a.note()];
    const fake = await startFakeLog(() => a.url, firstNote ?? (() => aNote));
    const hook = await startWebhook(1);
    const w = await workDir(policy);
    try {
      const args = ['--policy', w.policy, '--url', fake.url, '--state', w.state, '--alert-webhook', hook.url];
      const ok = await monitorOnce(args);
      assert.equal(ok.code, 0, ok.err.join('\n'));
      await change(fake);
      const r = await monitorOnce(args);
      const evidence = await readdir(join(w.state, 'evidence')).catch(() => []);
      return { r, hook: { alarms: hook.alarms, requests: hook.requests }, evidence, aNote };
    } finally {
      await fake.close();
      await hook.close();
      await w.cleanup();
    }
  }

  test('fork: same size, different root (both notes as evidence)', async () => {
    const bNote = await b.note();
    const { r, hook, evidence, aNote } = await scenario((fake) => {
      fake.checkpoint = () => bNote;
      fake.target = () => b.url;
    });
    assert.equal(r.code, EXIT_CODES.equivocation);
    assert.equal(r.alarms.length, 1);
    const alarm = r.alarms[0]!;
    assert.equal(alarm['alarm'], 'fork');
    assert.equal(alarm['code'], 'equivocation');
    const ev = alarm['evidence'] as Record<string, string>;
    assert.equal(ev['note'], bNote);
    assert.equal(ev['knownNote'], aNote);
    assert.deepEqual(hook.alarms, [alarm], 'delivered once, after a 503 retry');
    assert.equal(hook.requests, 2);
    assert.equal(evidence.length, 1);
  });

  test('a fork alarm the webhook refused is raised again at the next pass (delivered once; its evidence kept once)', async () => {
    const aNote = await a.note();
    const bNote = await b.note();
    const fake = await startFakeLog(() => a.url, () => aNote);
    const hook = await startWebhook(1);
    const w = await workDir(NONE_POLICY);
    try {
      const err: string[] = [];
      const monitor = await LogMonitor.open({
        policy: loadPolicy(NONE_POLICY), url: fake.url, stateDir: w.state, stallAfterMs: 3_600_000, webhook: hook.url,
        webhookOptions: { attempts: 1 }, io: { out: () => {}, err: (l) => err.push(l) },
      });
      assert.deepEqual((await monitor.pass()).alarms, []);
      fake.checkpoint = () => bNote;
      fake.target = () => b.url;
      const refused = await monitor.pass();
      assert.deepEqual(refused.alarms.map((x) => [x.alarm, x.code]), [['fork', 'equivocation']]);
      assert.ok(err.includes(`monitor: webhook ${hook.url} failed after 1 attempts: HTTP 503; the fork alarm is raised again at the next pass while its cause stands`), err.join('\n'));
      const again = await monitor.pass();
      assert.deepEqual(again.alarms.map((x) => [x.alarm, x.code, x.evidence]), refused.alarms.map((x) => [x.alarm, x.code, x.evidence]));
      assert.deepEqual((await monitor.pass()).alarms, [], 'delivered: not raised again');
      assert.deepEqual(hook.alarms.map((x) => x['code']), ['equivocation']);
      assert.equal(hook.requests, 2);
      assert.equal((await readdir(join(w.state, 'evidence'))).length, 1);
    } finally {
      await fake.close();
      await hook.close();
      await w.cleanup();
    }
  });

  test('fork: a larger checkpoint that does not extend the one seen', async () => {
    await b.node.submit(events(7, 'b2'), { wait: 'checkpoint' });
    const bNote = await b.note();
    const { r, hook } = await scenario((fake) => {
      fake.checkpoint = () => bNote;
      fake.target = () => b.url;
    });
    assert.equal(r.code, EXIT_CODES['consistency-failed'], r.err.join('\n'));
    assert.equal(r.alarms[0]!['alarm'], 'fork');
    assert.equal((r.alarms[0]!['evidence'] as Record<string, string>)['note'], bNote);
    assert.ok(((r.alarms[0]!['evidence'] as Record<string, string>)['knownNote'] ?? '').length > 0);
    assert.equal(hook.alarms[0]!['alarm'], 'fork');
  });

  test('rollback: a smaller checkpoint after a larger one', async () => {
    const { r, hook, evidence, aNote } = await scenario((fake) => {
      fake.checkpoint = () => a5;
    });
    assert.equal(r.code, EXIT_CODES['stale-checkpoint']);
    const alarm = r.alarms[0]!;
    assert.equal(alarm['alarm'], 'rollback');
    assert.deepEqual([(alarm['evidence'] as Record<string, string>)['note'], (alarm['evidence'] as Record<string, string>)['knownNote']], [a5, aNote]);
    assert.equal(hook.alarms[0]!['alarm'], 'rollback');
    assert.equal(evidence.length, 1);
  });

  test('lost quorum: the log serves a checkpoint cosigned by fewer witnesses than the policy needs', async () => {
    const ws = [1, 2, 3].map((i) => formatSignerKey(`lq${i}.example.org`, new Uint8Array(32).fill(80 + i)));
    const policy = [`log ${LOG_VKEY}`, ...ws.map((k, i) => `witness lq${i + 1} ${cosignatureVerifierKey(k)}`), 'group q 2 lq1 lq2 lq3', 'quorum q', ''].join('\n');
    const now = BigInt(Math.floor(Date.now() / 1000));
    const plain = await a.note();
    const cosign = (keys: string[]) => addSignatures(plain, keys.map((k) => cosignatureSigner(k, () => now - 1n)));
    const two = cosign([ws[0]!, ws[1]!]);
    const one = cosign([ws[2]!]);
    const { r, hook } = await scenario((fake) => { fake.checkpoint = () => one; }, policy, () => two);
    assert.equal(r.code, EXIT_CODES['quorum-not-met'], r.err.join('\n'));
    const alarm = r.alarms[0]!;
    assert.equal(alarm['alarm'], 'lost-quorum');
    const ev = alarm['evidence'] as Record<string, unknown>;
    assert.equal(ev['note'], one);
    assert.equal(ev['knownNote'], two);
    assert.deepEqual(ev['verified'], ['lq3']);
    assert.equal(hook.alarms[0]!['alarm'], 'lost-quorum');
  });

  test('stall: --once after --stall-after, and the following monitor exiting on the alarm', async () => {
    const note = await a.note();
    const fake = await startFakeLog(() => a.url, () => note);
    const hook = await startWebhook();
    const w = await workDir(NONE_POLICY);
    try {
      let t = Date.now();
      const clock = () => t;
      const base = { policy: w.policy, url: fake.url, state: w.state, 'alert-webhook': hook.url, 'stall-after': '60' } as const;
      const io = () => { const err: string[] = []; return { err, io: { out: () => {}, err: (l: string) => err.push(l) } }; };
      const never = () => new Promise<string>(() => {});
      const first = io();
      assert.equal(await runMonitor(values({ ...base, once: true }), first.io, never, { clock }), 0, first.err.join('\n'));
      t += 61_000;
      const second = io();
      assert.equal(await runMonitor(values({ ...base, once: true }), second.io, never, { clock }), EXIT_STALLED);
      const alarm = second.err.map((l) => JSON.parse(l) as Record<string, unknown>).find((r) => 'alarm' in r)!; // --log-format json: every line a record
      assert.equal(alarm['alarm'], 'stall');
      assert.equal((alarm['evidence'] as Record<string, unknown>)['note'], note);
      // Following (no --once): the clock moves on while nothing new arrives; --exit-on-alarm ends it.
      const follow = io();
      let polls = 0;
      const moving = () => (polls++, t + polls * 30_000);
      const code = await runMonitor(values({ ...base, interval: '10', 'exit-on-alarm': true, 'stall-after': '100' }), follow.io, never, { clock: moving });
      assert.equal(code, EXIT_STALLED, follow.err.join('\n'));
      assert.deepEqual(hook.alarms.map((x) => x['alarm']), ['stall', 'stall']);
    } finally {
      await fake.close();
      await hook.close();
      await w.cleanup();
    }
  });
});
