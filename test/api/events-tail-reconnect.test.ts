/**
 * events.tail reconnecting for real: a real LogNode (LevelDB), the real HTTP server on
 * 127.0.0.1:0, and a TCP proxy between it and the client (createLogClient of @cairn/client, whose
 * FetchEventSource reconnects with Last-Event-ID):
 * - the proxy cuts the connection several times at random byte positions (in the headers, in the
 *   middle of a line, between a message's id and its end): the messages delivered are exactly those
 *   of an uninterrupted tail, in the same order;
 * - the server restarts on the same data directory while a tail is connected: it resumes, nothing
 *   lost or repeated;
 * - a gateway answers 503 and 429 on reconnection: the client backs off and resumes;
 * - the token is revoked and the connection cut: the client's reconnection is refused
 *   (unauthorized) and it stops — no further request;
 * - `cairn tail` (a real process) through the proxy cutting it: it prints every event and proof
 *   once, each proof verified; with a revoked token it fails, naming the refusal.
 * The random cut positions come from a seed printed in every failure message (CAIRN_TEST_SEED
 * replays one).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLogServer, TokenAuthenticator, type LogServer } from '@cairn/api';
import { createLogClient, FetchEventSource, type FetchEventSourceInit } from '@cairn/client';
import { generateSignerKey } from '@cairn/formats';
import { LogNode, openLevelStorage, silentLogger } from '@cairn/log';
import { runCli, waitFor } from '../helpers/cli.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { prng } from '../helpers/random.js';
import { ev, READER, sha } from '../helpers/tail-fixtures.js';

const SEED = Number(process.env.CAIRN_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));


/** Reconnects quickly (the defaults wait a second, doubling): the tests wait less, nothing else changes. */
class QuickEventSource extends FetchEventSource {
  constructor(url: string | URL, init: FetchEventSourceInit = {}) {
    super(url, { ...init, reconnectMs: 20, minReconnectMs: 20, maxReconnectMs: 300 });
  }
}

type Msg = { id: string; data: { kind: 'event' | 'proof'; index: string } };
interface Followed {
  readonly msgs: Msg[];
  ended: { code: string | undefined } | undefined;
  stop(): void;
}

function follow(url: string, input: { query: string; from?: string }, token = 'r'): Followed {
  const client = createLogClient(url, { token, EventSource: QuickEventSource });
  const f: Followed = { msgs: [], ended: undefined, stop: () => sub.unsubscribe() };
  const sub = client.events.tail.subscribe(input, {
    onData: (m) => { f.msgs.push(m as Msg); },
    onError: (e) => { f.ended = { code: (e as { data?: { cairnCode?: string } }).data?.cairnCode ?? undefined }; },
  });
  return f;
}

const key = (m: Msg) => `${m.data.kind} ${m.data.index} @${m.id}`;

async function openNode(dir: string) {
  const node = await LogNode.open({
    storage: await openLevelStorage(join(dir, 'log')), signerKey: generateSignerKey('example.com/reconnect', new Uint8Array(32).fill(4)),
    checkpointIntervalMs: 5, logger: silentLogger,
  });
  await node.start();
  return node;
}

async function setup(t: { after: (fn: () => Promise<void>) => void }) {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-tail-reconnect-'));
  const tokens = new TokenAuthenticator({ version: 1, tokens: [READER] });
  const s = { dir, tokens, node: await openNode(dir), server: undefined as unknown as LogServer };
  s.server = await startLogServer({ node: s.node, events: s.node, tokens, listen: { host: '127.0.0.1', port: 0 }, closeGraceMs: 100 });
  const proxy = await startTcpProxy(Number(new URL(s.server.url).port));
  t.after(async () => {
    await proxy.close();
    await s.server.close();
    await s.node.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return { s, proxy };
}

test('cut at random points, several times: the client resumes with Last-Event-ID and gets exactly the uninterrupted stream', async (t) => {
  const { s, proxy } = await setup(t);
  const rand = prng(SEED);
  const why = `seed ${SEED}`;
  await s.node.submitEvents('k8s', Array.from({ length: 90 }, (_, i) => ({ event: ev(i, i % 3 === 0 ? 'alice' : 'bob') })), { wait: 'checkpoint' });
  const alice = 30;

  // The reference: the same tail read directly, uninterrupted.
  const ref = follow(s.server.url, { query: 'actor:alice', from: '0' });
  await waitFor('the uninterrupted tail', () => ref.msgs.length >= 2 * alice);
  ref.stop();
  assert.equal(ref.msgs.length, 2 * alice);

  // Through the proxy, cut 6 times at random byte positions (from inside the response headers to
  // well into the stream).
  proxy.plan(...Array.from({ length: 6 }, () => ({ cutAfterBytes: 1 + Math.floor(rand() * 12_000) })));
  const cut = follow(proxy.url, { query: 'actor:alice', from: '0' });
  await waitFor('the interrupted tail', () => cut.msgs.length >= 2 * alice || cut.ended !== undefined).catch((e: Error) => {
    throw new Error(`${e.message} (${why}): got ${cut.msgs.length}`);
  });
  assert.equal(proxy.planned, 0, `every cut happened (${why})`);
  assert.equal(cut.ended, undefined, why);
  assert.deepEqual(cut.msgs.map(key), ref.msgs.map(key), `the same messages, ids and order (${why})`);

  // Live events while the proxy keeps cutting: each new event and proof exactly once.
  proxy.plan(...Array.from({ length: 4 }, () => ({ cutAfterBytes: 1 + Math.floor(rand() * 3_000) })));
  const live: string[] = [];
  for (let b = 0; b < 8; b++) {
    const r = await s.node.submitEvents('k8s', [0, 1, 2].map((k) => ({ event: ev(1000 + 3 * b + k, k === 0 ? 'alice' : 'bob') })), { wait: 'checkpoint' });
    live.push(r.indices[0]!.toString());
    if (b % 2 === 1) proxy.cutAll();
  }
  await waitFor('the live events', () => cut.msgs.length >= 2 * (alice + live.length) || cut.ended !== undefined).catch((e: Error) => {
    throw new Error(`${e.message} (${why}): got ${cut.msgs.slice(2 * alice).map(key).join(', ')}`);
  });
  cut.stop();
  const rest = cut.msgs.slice(2 * alice);
  assert.deepEqual(rest.filter((m) => m.data.kind === 'event').map((m) => m.data.index), live, `every live event once, in order (${why})`);
  assert.deepEqual(rest.filter((m) => m.data.kind === 'proof').map((m) => m.data.index), live, `every proof once, in order (${why})`);
  for (const m of rest.filter((x) => x.data.kind === 'proof')) {
    assert.ok(rest.findIndex((x) => x.data.kind === 'event' && x.data.index === m.data.index) < rest.indexOf(m), 'each event before its proof');
  }
});

test('the server restarts on the same data while a tail is connected; a gateway answers 503 and 429 meanwhile: the tail resumes, no gap, no duplicate', async (t) => {
  const { s, proxy } = await setup(t);
  await s.node.submitEvents('k8s', [{ event: ev(0, 'alice') }, { event: ev(1, 'bob') }], { wait: 'checkpoint' });
  const tail = follow(proxy.url, { query: 'actor:alice', from: '0' });
  await waitFor('the first event and proof', () => tail.msgs.length >= 2);
  const before = await s.node.submitEvents('k8s', [{ event: ev(2, 'alice') }], { wait: 'checkpoint' });
  await waitFor('the second event and proof', () => tail.msgs.length >= 4);

  // Stop the server and the node; while they are down, the gateway answers 503, then 429.
  proxy.plan(
    { answer: 'HTTP/1.1 503 Service Unavailable\r\nretry-after: 0\r\ncontent-length: 0\r\nconnection: close\r\n\r\n' },
    { answer: 'HTTP/1.1 429 Too Many Requests\r\ncontent-length: 0\r\nconnection: close\r\n\r\n' },
  );
  await s.server.close();
  await s.node.stop();
  s.node = await openNode(s.dir);
  s.server = await startLogServer({ node: s.node, events: s.node, tokens: s.tokens, listen: { host: '127.0.0.1', port: 0 }, closeGraceMs: 100 });
  proxy.retarget(Number(new URL(s.server.url).port));
  const after = await s.node.submitEvents('k8s', [{ event: ev(3, 'bob') }, { event: ev(4, 'alice') }], { wait: 'checkpoint' });
  await waitFor('the event after the restart', () => tail.msgs.length >= 6 || tail.ended !== undefined);
  tail.stop();
  assert.equal(tail.ended, undefined);
  assert.equal(proxy.planned, 0, 'the client met the 503 and the 429 and went on');
  const idx = ['0', before.indices[0]!.toString(), after.indices[1]!.toString()];
  assert.deepEqual(tail.msgs.map((m) => `${m.data.kind} ${m.data.index}`), idx.flatMap((i) => [`event ${i}`, `proof ${i}`]));
});

test('a revoked token: the reconnection is refused (unauthorized) and the client stops instead of looping', async (t) => {
  const { s, proxy } = await setup(t);
  await s.node.submitEvents('k8s', [{ event: ev(0, 'alice') }], { wait: 'checkpoint' });
  const tail = follow(proxy.url, { query: 'actor:alice', from: '0' });
  await waitFor('the first event and proof', () => tail.msgs.length >= 2);
  s.tokens.replace({ version: 1, tokens: [{ ...READER, source: 'other', sha256: sha('r2') }] });
  proxy.cutAll();
  await waitFor('the tail to end', () => tail.ended !== undefined);
  assert.equal(tail.ended!.code, 'unauthorized');
  const requests = proxy.requests;
  // A looping client would call again within a few reconnection delays (20–300 ms here).
  await new Promise((r) => setTimeout(r, 1_500));
  assert.equal(proxy.requests, requests, 'no request after the refusal');
  assert.equal(tail.msgs.length, 2);
});

test('cairn tail through the cuts: every event and proof printed once, verified; a revoked token fails', async (t) => {
  const { s, proxy } = await setup(t);
  const rand = prng(SEED + 1);
  const why = `seed ${SEED + 1}`;
  const policy = join(s.dir, 'policy');
  await writeFile(policy, `log ${s.node.verifierKey}\nquorum none\n`);
  const r = await s.node.submitEvents('k8s', Array.from({ length: 30 }, (_, i) => ({ event: ev(i, i % 3 === 0 ? 'alice' : 'bob') })), { wait: 'checkpoint' });
  const alice = r.indices.filter((_, i) => i % 3 === 0).map(String);
  // Cuts past the first messages, so that each connection makes progress (the CLI reconnects at
  // the default pace: about a second after a cut that followed progress).
  proxy.plan(...Array.from({ length: 3 }, () => ({ cutAfterBytes: 1_500 + Math.floor(rand() * 4_000) })));
  const base = ['tail', '--url', proxy.url, '--token', 'r', '--policy', policy];
  const run = await runCli([...base, '--json', '--count', String(alice.length), '--from', '0', 'actor:alice'], { timeoutMs: 60_000 });
  assert.equal(run.code, 0, `${why}: ${run.stderr}`);
  assert.equal(proxy.planned, 0, `every cut happened (${why})`);
  const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; index: string; verified?: boolean });
  assert.deepEqual(lines.filter((l) => l.kind === 'event').map((l) => l.index), alice, `every event once, in order (${why})`);
  const proofs = lines.filter((l) => l.kind === 'proof');
  assert.deepEqual(proofs.map((l) => l.index).sort(), [...alice].sort(), `every proof once (${why})`);
  assert.ok(proofs.every((p) => p.verified === true));

  s.tokens.replace({ version: 1, tokens: [{ ...READER, source: 'other', sha256: sha('r2') }] });
  const refused = await runCli([...base, '--from', '0', 'actor:alice'], { timeoutMs: 60_000 });
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /unauthorized|revoked/i);
});
