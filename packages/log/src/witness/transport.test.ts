/**
 * Witnesses reached over a stream transport (`witnessStream`, the libp2p add-checkpoint protocol
 * in production): `/p2p/` multiaddrs are accepted only with a transport; answers are sorted
 * exactly as HTTP ones; a 403 naming split-view evidence reaches the status alarms with its id.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openNote, parseVerifierKey, verifierKeyFromSigner } from '@cairn/formats';
import { LogNode } from '../node.js';
import { isLogError } from '../errors.js';
import { silentLogger } from '../logger.js';
import { memoryStorage } from '../storage/memory.js';
import { entries, testKey } from '../test-helpers.js';
import { FakeWitness } from './fake-witness.js';
import type { StreamExchange } from './http.js';

const LOG_VKEY = verifierKeyFromSigner(testKey());
const ADDR = '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo';
const TIMING = { requestTimeoutMs: 2_000, startupTimeoutMs: 500, initialBackoffMs: 10, maxBackoffMs: 100 };

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a /p2p/ witness without a stream transport is a configuration error', async () => {
  const w = await FakeWitness.start({ name: 'w.example', logVkey: LOG_VKEY, seed: 50 });
  try {
    await assert.rejects(
      LogNode.open({ storage: memoryStorage(), signerKey: testKey(), logger: silentLogger, witnesses: [{ url: ADDR, vkey: w.vkey }] }),
      (e: unknown) => isLogError(e) && e.code === 'config',
    );
    await assert.rejects(
      LogNode.open({ storage: memoryStorage(), signerKey: testKey(), logger: silentLogger, witnesses: [{ url: '/ip4/1.2.3.4/tcp/1', vkey: w.vkey }], witnessStream: async () => { throw new Error('unused'); } }),
      (e: unknown) => isLogError(e) && e.code === 'config',
    );
  } finally {
    await w.close();
  }
});

test('cosignatures arrive over the stream transport; a refusal naming evidence becomes an alarm with its id', async () => {
  const w = await FakeWitness.start({ name: 'w.example', logVkey: LOG_VKEY, seed: 51 });
  const targets: string[] = [];
  let blocked = false;
  const id = '0123456789abcdef'.repeat(4);
  // The stream carries the same bytes as HTTP: forward to the fake witness unless "blocked".
  const exchange: StreamExchange = async (target, body, signal) => {
    targets.push(target);
    if (blocked) return { status: 403, contentType: 'text/plain; charset=utf-8', body: new TextEncoder().encode(`blocked: evidence ${id} proves that x misbehaved\n`) };
    const r = await fetch(`${w.url}/add-checkpoint`, { method: 'POST', body, signal });
    return { status: r.status, contentType: r.headers.get('content-type') ?? '', body: new Uint8Array(await r.arrayBuffer()) };
  };
  const node = await LogNode.open({
    storage: memoryStorage(), signerKey: testKey(), logger: silentLogger, checkpointIntervalMs: 5,
    witnesses: [{ url: ADDR, vkey: w.vkey }], witnessTiming: TIMING, witnessStream: exchange,
  });
  try {
    await node.start();
    const res = await node.submit(entries(3, 'p2p'), { wait: 'cosigned' });
    const note = node.servedCheckpoint()!.note;
    assert.equal(openNote(note, [parseVerifierKey(w.vkey)]).verified.length, 1);
    assert.ok((res.checkpoint?.size ?? 0n) >= 3n);
    assert.ok(targets.every((t) => t === ADDR));
    blocked = true;
    await node.submit(entries(1, 'more'), { wait: 'checkpoint' });
    await until(() => node.status().alarms.length > 0, 'the alarm');
    const alarm = node.status().alarms[0]!;
    assert.equal(alarm.kind, 'rejected');
    assert.equal(alarm.status, 403);
    assert.equal(alarm.evidenceId, id);
    assert.match(alarm.message, new RegExp(id));
  } finally {
    await node.stop();
    await w.close();
  }
});
