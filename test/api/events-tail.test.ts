/**
 * events.tail over a real LogNode (LevelDB), through the caller: new matching events arrive with
 * their salt and leaf (they open the leaf's commitment), then their proofs, which verify under a
 * policy; non-matching events are skipped; a tail resumed from any message's cursor delivers the
 * rest with no gap and no duplicate; a bad query is bad-query; only readers and admins tail.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TRPCError } from '@trpc/server';
import { createApiCaller, startLogServer, TokenAuthenticator } from '@cairn/api';
import { createLogClient } from '@cairn/client';
import { commitEvent, parseLeaf, validateEvent, verifyEventProof } from '@cairn/events';
import { decodeBase64Strict, generateSignerKey, parsePolicy, utf8Encode } from '@cairn/formats';
import { bytesEqual } from '@cairn/merkle';
import { LogNode, openLevelStorage, silentLogger } from '@cairn/log';

const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const T0 = Date.UTC(2026, 10, 1);
const ev = (i: number, actor: string) => validateEvent({
  class_uid: 6003, category_uid: 6, activity_id: 2, type_uid: 600302, severity_id: 1, status_id: 1, time: T0 + i,
  metadata: { version: '1.3.0', product: { name: 'kubernetes' } }, actor: { user: { name: actor } }, api: { operation: 'get' }, src_endpoint: { ip: '192.0.2.7' },
  resources: [{ type: 'secrets', name: `s-${i}`, namespace: 'prod' }],
});

type Msg = { id: string; data: { kind: 'event' | 'proof'; index: string; event?: string; salt?: string; leaf?: string; proof?: string } };

/** Reads `n` messages from a subscription, then stops it (bounded: fails after 20 s). */
async function take(sub: AsyncIterable<unknown>, n: number): Promise<Msg[]> {
  const out: Msg[] = [];
  const timer = setTimeout(() => assert.fail(`only ${out.length} of ${n} messages arrived`), 20_000);
  try {
    for await (const m of sub) {
      // In-process, a tracked message is tRPC's envelope [id, data, symbol]; over SSE it is {id, data}.
      out.push(Array.isArray(m) ? { id: m[0] as string, data: m[1] as Msg['data'] } : (m as Msg));
      if (out.length === n) break;
    }
  } finally {
    clearTimeout(timer);
  }
  return out;
}

test('events.tail: live matching events, then their proofs; resume without gap or duplicate', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-tail-'));
  const node = await LogNode.open({
    storage: await openLevelStorage(join(dir, 'log')), signerKey: generateSignerKey('example.com/tail', new Uint8Array(32).fill(5)),
    checkpointIntervalMs: 5, logger: silentLogger,
  });
  await node.start();
  t.after(async () => {
    await node.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const tokens = new TokenAuthenticator({
    version: 1,
    tokens: [
      { source: 'k8s', sha256: sha('w'), quota: { entriesPerMinute: 1_000_000 } },
      { source: 'auditor', role: 'reader', sha256: sha('r'), quota: { entriesPerMinute: 1 } },
    ],
  });
  const reader = createApiCaller({ node, events: node, tokens, authorization: 'Bearer r' });
  const writer = createApiCaller({ node, events: node, tokens, authorization: 'Bearer w' });
  const policy = parsePolicy(`log ${node.verifierKey}\nquorum none\n`);

  // Events before the tail starts are not delivered (it starts at the signed size).
  await node.submitEvents('k8s', [{ event: ev(0, 'alice') }], { wait: 'checkpoint' });
  await node.submit([utf8Encode('raw')], { wait: 'checkpoint' });
  const sub = await reader.events.tail({ query: 'actor:alice' });
  const got = take(sub, 6);
  await node.submitEvents('k8s', [1, 2, 3, 4, 5].map((i) => ({ event: ev(i, i % 2 === 0 ? 'bob' : 'alice') })), { wait: 'checkpoint' });
  await node.submitEvents('k8s', [{ event: ev(6, 'alice') }], { wait: 'checkpoint' });
  const msgs = await got;
  // alice at i = 1, 3, 5, 6 → indices 2, 4, 6, 7; each event before its proof.
  const eventsSeen = msgs.filter((m) => m.data.kind === 'event').map((m) => m.data.index);
  assert.deepEqual(eventsSeen.slice(0, 3), ['2', '4', '6']);
  for (const m of msgs) {
    if (m.data.kind === 'event') {
      const leaf = parseLeaf(decodeBase64Strict(m.data.leaf!));
      assert.ok(bytesEqual(commitEvent(decodeBase64Strict(m.data.salt!), utf8Encode(m.data.event!)), leaf.commitment));
      assert.match(m.data.event!, /"alice"/);
    } else {
      const v = verifyEventProof(utf8Encode(m.data.proof!), { policy });
      assert.equal(v.index.toString(), m.data.index);
      const i = msgs.findIndex((x) => x.data.kind === 'event' && x.data.index === m.data.index);
      assert.ok(i >= 0 && i < msgs.indexOf(m), 'the event came before its proof');
    }
  }

  // The whole stream from index 0, read at once, is the reference; resuming from each message's
  // cursor must give exactly the rest of it.
  const all = await take(await reader.events.tail({ query: 'actor:alice', from: '0' }), 10);
  const key = (m: Msg) => `${m.data.kind} ${m.data.index}`;
  assert.deepEqual(all.filter((m) => m.data.kind === 'event').map((m) => m.data.index), ['0', '2', '4', '6', '7']);
  assert.equal(new Set(all.map(key)).size, 10, 'no duplicate');
  for (let k = 0; k < all.length - 1; k++) {
    const rest = await take(await reader.events.tail({ query: 'actor:alice', cursor: all[k]!.id }), all.length - 1 - k);
    assert.deepEqual(rest.map(key).sort(), all.slice(k + 1).map(key).sort(), `resumed after message ${k}`);
    // tRPC's reconnection sends the last id as lastEventId: the same resume.
    const again = await take(await reader.events.tail({ query: 'actor:alice', lastEventId: all[k]!.id }), all.length - 1 - k);
    assert.deepEqual(again.map(key), rest.map(key));
  }

  await assert.rejects(async () => take(await reader.events.tail({ query: 'clas:x' }), 1), (e: unknown) => e instanceof TRPCError && e.code === 'BAD_REQUEST' && /column 1/.test(e.message));
  await assert.rejects(async () => take(await writer.events.tail({ query: '*' }), 1), (e: unknown) => e instanceof TRPCError && e.code === 'FORBIDDEN');
  await assert.rejects(async () => take(await reader.events.tail({ query: '*', cursor: '3:5' }), 1), (e: unknown) => e instanceof TRPCError && e.code === 'BAD_REQUEST');
});

test('events.tail over HTTP: the client subscribes through server-sent events, the token in a header', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-tail-http-'));
  const node = await LogNode.open({
    storage: await openLevelStorage(join(dir, 'log')), signerKey: generateSignerKey('example.com/tail-http', new Uint8Array(32).fill(8)),
    checkpointIntervalMs: 5, logger: silentLogger,
  });
  await node.start();
  const tokens = new TokenAuthenticator({ version: 1, tokens: [{ source: 'auditor', role: 'reader', sha256: sha('r'), quota: { entriesPerMinute: 1_000_000 } }] });
  const server = await startLogServer({ node, events: node, tokens, listen: { host: '127.0.0.1', port: 0 } });
  t.after(async () => {
    await server.close();
    await node.stop();
    await rm(dir, { recursive: true, force: true });
  });
  await node.submitEvents('k8s', [{ event: ev(0, 'bob') }, { event: ev(1, 'alice') }], { wait: 'checkpoint' });
  const client = createLogClient(server.url, { token: 'r' });
  const got: { id: string; data: { kind: string; index: string } }[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { sub.unsubscribe(); reject(new Error(`only ${got.length} messages`)); }, 20_000);
    const sub = client.events.tail.subscribe({ query: 'actor:alice', from: '0' }, {
      onData: (m) => {
        got.push(m as (typeof got)[number]);
        if (got.length === 2) {
          clearTimeout(timer);
          sub.unsubscribe();
          resolve();
        }
      },
      onError: (e) => { clearTimeout(timer); reject(e); },
    });
  });
  assert.deepEqual(got.map((m) => `${m.data.kind} ${m.data.index}`), ['event 1', 'proof 1']);
  assert.deepEqual(got.map((m) => m.id), ['2:1', '2:2']);
});
