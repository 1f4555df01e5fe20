import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEvent } from '@cairn/events';
import { LogNode } from '../node.js';
import { memoryStorage } from '../storage/memory.js';
import { silentLogger } from '../logger.js';
import { authEvent, T0, testKey } from '../test-helpers.js';
import { checkRetentionPolicy, parseRetentionPolicy, ruleFor, type RetentionPolicy } from './retention.js';

const DAY = 86_400_000;

test('retention policy files: parsed strictly, errors name the field', () => {
  const p = parseRetentionPolicy('{"rules":[{"source":"bastion","class":3002,"keepDays":30},{"class":4001,"keepDays":7},{"keepDays":365}]}');
  assert.deepEqual(p, { rules: [{ source: 'bastion', class: 3002, keepDays: 30 }, { class: 4001, keepDays: 7 }, { keepDays: 365 }] });
  assert.deepEqual(parseRetentionPolicy('{"rules":[]}'), { rules: [] });
  const bad: [string, RegExp][] = [
    ['{"rules":[{"keepDays":1},{"keepDays":2},{"keepDays":0}]}', /^retention policy: rules\[2\]\.keepDays: must be an integer from 1 to 36500$/],
    ['{"rules":[{"keepDays":1.5}]}', /rules\[0\]\.keepDays: must be an integer/],
    ['{"rules":[{"keepDays":"30"}]}', /rules\[0\]\.keepDays: must be an integer/],
    ['{"rules":[{}]}', /rules\[0\]\.keepDays: must be an integer/],
    ['{"rules":[{"keepDays":99999}]}', /rules\[0\]\.keepDays: must be an integer from 1 to 36500/],
    ['{"rules":[{"keepDays":1,"source":"a b"}]}', /rules\[0\]\.source: must be a source id/],
    ['{"rules":[{"keepDays":1,"class":-1}]}', /rules\[0\]\.class: must be an integer from 0 to 999999/],
    ['{"rules":[{"keepDays":1,"days":3}]}', /rules\[0\]: unknown field days/],
    ['{"rule":[]}', /retention policy: \(top level\): unknown field rule|rules/],
    ['{"rules":{}}', /retention policy: rules: /],
    ['[1', /retention policy: not valid JSON/],
  ];
  for (const [text, re] of bad) {
    assert.throws(() => parseRetentionPolicy(text), (e: any) => e.code === 'config' && re.test(e.message), text);
  }
  assert.throws(() => checkRetentionPolicy({ rules: Array.from({ length: 1001 }, () => ({ keepDays: 1 })) }), /at most 1000 rules/);
});

test('the first matching rule governs; rules without a source never match cairn', () => {
  const p: RetentionPolicy = { rules: [{ source: 'bastion', class: 3002, keepDays: 30 }, { source: 'bastion', keepDays: 60 }, { class: 3002, keepDays: 5 }, { keepDays: 365 }] };
  assert.equal(ruleFor(p, 'bastion', 3002)?.keepDays, 30);
  assert.equal(ruleFor(p, 'bastion', 1007)?.keepDays, 60);
  assert.equal(ruleFor(p, 'k8s', 3002)?.keepDays, 5);
  assert.equal(ruleFor(p, 'k8s', 1007)?.keepDays, 365);
  assert.equal(ruleFor(p, 'cairn', 1008), undefined);
  assert.equal(ruleFor({ rules: [{ source: 'cairn', keepDays: 3 }] }, 'cairn', 1008)?.keepDays, 3);
  assert.equal(ruleFor({ rules: [] }, 'x', 1), undefined);
});

async function openWith(policy: RetentionPolicy, intervalMs: number) {
  let now = T0;
  const node = await LogNode.open({
    storage: memoryStorage(), signerKey: testKey(), logger: silentLogger, checkpointIntervalMs: 0, clock: () => now,
    retention: policy, retentionIntervalMs: intervalMs,
  });
  await node.start();
  const signed = async (i: bigint) => {
    while ((node.latestCheckpoint()?.size ?? 0n) <= i) await new Promise((r) => setTimeout(r, 2));
  };
  return { node, signed, setNow: (t: number) => (now = t) };
}

const POLICY = parseRetentionPolicy('{"rules":[{"source":"short","keepDays":1},{"source":"long","keepDays":10}]}');

test('a retention run erases the expired events through the erase path and records them once', async () => {
  const { node, signed, setNow } = await openWith(POLICY, 3_600_000);
  try {
    const s = await node.submitEvents('short', [{ event: authEvent('a') }, { event: authEvent('b') }]);
    const l = await node.submitEvents('long', [{ event: authEvent('c') }]);
    setNow(T0 + DAY / 2);
    assert.equal(await node.runRetention(), undefined, 'nothing expired yet');
    const s2 = await node.submitEvents('short', [{ event: authEvent('e') }]);
    setNow(T0 + DAY + 1);
    const run = (await node.runRetention())!;
    assert.deepEqual(run.erased, s.indices, 'only the short events accepted more than a day ago');
    await signed(run.record!);
    const record = (await node.getEvent(run.record!))!;
    assert.equal(record.source, 'cairn');
    const o = parseEvent(record.body!.canonical).event as any;
    assert.equal(o.actor.user.name, 'retention');
    assert.deepEqual(o.unmapped.erased_indices, s.indices.map(String));
    assert.equal((await node.getEvent(s.indices[0]!))!.erased?.by, 'retention');
    assert.ok((await node.getEvent(s2.indices[0]!))!.body !== undefined);
    assert.ok((await node.getEvent(l.indices[0]!))!.body !== undefined);
    assert.equal(await node.runRetention(), undefined, 'erased events leave the retention index');
  } finally {
    await node.stop();
  }
});

test('retention runs on its schedule; a source no rule names is kept; tiles and leaves stay', async () => {
  const { node, signed, setNow } = await openWith(POLICY, 5);
  try {
    const s = await node.submitEvents('short', [{ event: authEvent('a') }]);
    const l = await node.submitEvents('long', [{ event: authEvent('c') }]);
    const k = await node.submitEvents('kept', [{ event: authEvent('d') }]);
    await signed(k.indices[0]!);
    const leaves = await Promise.all([s, l, k].map((r) => node.getEntry(r.indices[0]!)));
    setNow(T0 + 11 * DAY);
    for (let i = 0; i < 2000 && (await node.getEvent(l.indices[0]!))?.body !== undefined; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal((await node.getEvent(l.indices[0]!))?.erased?.by, 'retention');
    assert.equal((await node.getEvent(s.indices[0]!))?.erased?.by, 'retention');
    assert.ok((await node.getEvent(k.indices[0]!))?.body !== undefined, 'a source no rule names is kept');
    assert.deepEqual(await Promise.all([s, l, k].map((r) => node.getEntry(r.indices[0]!))), leaves);
    // Later runs find nothing more: exactly one record.
    await new Promise((r) => setTimeout(r, 50));
    const cairn = (await node.eventSources()).find((x) => x.source === 'cairn')!;
    assert.equal(cairn.nextSeq, 1n, 'one record for the run that erased, none for runs that found nothing');
  } finally {
    await node.stop();
  }
});
