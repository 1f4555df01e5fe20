import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cosignatureVerifierKey } from '@cairn/formats';
import { buildTrustedLogs, logSpecsFromLogList, parseLogFlag } from './config.js';
import { RequestBudgets } from './budget.js';
import { KeyedMutex } from './lock.js';
import { TestLog } from './testing/test-log.js';
import { isWitnessError } from './errors.js';

const isConfig = (e: unknown) => isWitnessError(e) && e.code === 'config';

test('--log VKEY[=ORIGIN] splits after the 44-character key material', () => {
  const log = new TestLog('example.com/a=b', 1);
  assert.deepEqual(parseLogFlag(log.vkey), { vkey: log.vkey });
  assert.deepEqual(parseLogFlag(`${log.vkey}=other.example/x=y`), { vkey: log.vkey, origin: 'other.example/x=y' });
  assert.throws(() => parseLogFlag('nonsense'), isConfig);
  assert.throws(() => parseLogFlag(`${log.vkey}=`), isConfig);
  assert.throws(() => parseLogFlag(`${log.vkey}x`), isConfig);
});

test('--log VKEY[=ORIGIN][@URL]: the tiles URL follows the last @http(s)://', () => {
  const log = new TestLog('example.com/a', 1);
  assert.deepEqual(parseLogFlag(`${log.vkey}@http://127.0.0.1:8080/`), { vkey: log.vkey, url: 'http://127.0.0.1:8080' });
  assert.deepEqual(parseLogFlag(`${log.vkey}=o@x/y@https://logs.example/a`), { vkey: log.vkey, origin: 'o@x/y', url: 'https://logs.example/a' });
  assert.throws(() => parseLogFlag(`${log.vkey}@http://[bad`), isConfig);
  assert.throws(() => parseLogFlag(`${log.vkey}@https://x.example/?q=1`), isConfig);
  assert.equal(buildTrustedLogs([parseLogFlag(`${log.vkey}@http://127.0.0.1:1`)]).get('example.com/a')?.url, 'http://127.0.0.1:1');
});

test('specs merge by origin; bad keys, key types and origins are refused', () => {
  const a = new TestLog('example.com/a', 1);
  const a2 = new TestLog('example.com/a', 2);
  const logs = buildTrustedLogs([{ vkey: a.vkey, qpd: 10 }, { vkey: a2.vkey, qpd: 5 }, { vkey: a.vkey }, { vkey: a.vkey, origin: 'example.com/alias' }]);
  assert.deepEqual([...logs.keys()], ['example.com/a', 'example.com/alias']);
  assert.equal(logs.get('example.com/a')?.verifiers.length, 2);
  assert.equal(logs.get('example.com/a')?.qpd, 5);
  assert.equal(logs.get('example.com/alias')?.qpd, undefined);
  assert.throws(() => buildTrustedLogs([{ vkey: 'x+00000000+AAAA' }]), isConfig);
  assert.throws(() => buildTrustedLogs([{ vkey: cosignatureVerifierKey(a.skey) }]), isConfig);
  assert.throws(() => buildTrustedLogs([{ vkey: a.vkey, origin: 'two\nlines' }]), isConfig);
  assert.throws(() => buildTrustedLogs([{ vkey: a.vkey, qpd: 0 }]), isConfig);
});

test('logs/v0 lists give origin and qpd', () => {
  const a = new TestLog('example.com/a', 1);
  const specs = logSpecsFromLogList(`logs/v0\n\nvkey ${a.vkey}\norigin example.com/other\nqpd 24\ncontact ops\n`);
  assert.deepEqual(specs, [{ vkey: a.vkey, origin: 'example.com/other', qpd: 24 }]);
  assert.throws(() => logSpecsFromLogList('logs/v1\n'), isConfig);
});

test('token bucket: qpd tokens, then one per day/qpd', () => {
  let now = 0;
  const b = new RequestBudgets(() => now);
  assert.equal(b.take('o', 3), undefined);
  assert.equal(b.take('o', 3), undefined);
  assert.equal(b.take('o', 3), undefined);
  const wait = b.take('o', 3);
  assert.equal(wait, 28_800);
  assert.equal(b.take('p', 3), undefined, 'origins are independent');
  now += wait! * 1000;
  assert.equal(b.take('o', 3), undefined);
  assert.notEqual(b.take('o', 3), undefined);
});

test('keyed mutex: same key in order, and released after a throw', async () => {
  const m = new KeyedMutex();
  const order: string[] = [];
  let open!: () => void;
  const gate = new Promise<void>((r) => { open = r; });
  const a = m.run('k', async () => { await gate; order.push('a'); throw new Error('boom'); });
  const b = m.run('k', async () => { order.push('b'); });
  const c = m.run('other', async () => { order.push('c'); });
  await c;
  open();
  await assert.rejects(a, /boom/);
  await b;
  assert.deepEqual(order, ['c', 'a', 'b']);
  assert.equal(m.size, 0);
});
