/**
 * The bounds of events.tail over the real HTTP server (127.0.0.1:0) and a real LogNode
 * (LevelDB), with small bounds set through `tailBounds` (the defaults would take minutes to fill):
 * - `too-many-tails`: the tail past `maxTails` is refused, the others keep delivering, and every
 *   way a tail ends (the reader goes away, a server error, an overflow, a revoked token) gives its
 *   slot back — checked by filling every slot again afterwards;
 * - `tail-overflow`: with its witness stalled (a real witness whose add-checkpoint fails), a tail
 *   owing more than `maxPendingProofs` proofs ends with tail-overflow; the client resumes from its
 *   last cursor by itself, and once the witness is back every event and every proof arrives
 *   exactly once, each proof verifying under the policy;
 * - the resume cursor's bound (`maxResumeOwed`, default 100,000 owed entries).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TRPCError } from '@trpc/server';
import { createApiCaller, startLogServer, startWitnessServer, TokenAuthenticator, DEFAULT_TAIL_BOUNDS, type ServedEvents } from '@cairn/api';
import { createLogClient, FetchEventSource, type FetchEventSourceInit } from '@cairn/client';
import { verifyEventProof } from '@cairn/events';
import { generateSignerKey, parsePolicy, utf8Encode, verifierKeyFromSigner } from '@cairn/formats';
import { LogNode, openLevelStorage, silentLogger } from '@cairn/log';
import { MemoryWitnessStorage, Witness } from '@cairn/witness';
import { testSeed } from '@cairn/witness/testing';
import { waitFor } from '../helpers/cli.js';
import { ev, READER, sha } from '../helpers/tail-fixtures.js';


/** Reconnects quickly (the defaults wait a second, doubling): the tests wait less, nothing else changes. */
class QuickEventSource extends FetchEventSource {
  constructor(url: string | URL, init: FetchEventSourceInit = {}) {
    super(url, { ...init, reconnectMs: 20, maxReconnectMs: 300 });
  }
}

type Data = { kind: 'event' | 'proof'; index: string; proof?: string };
interface Followed {
  readonly msgs: { id: string; data: Data }[];
  /** Codes of the errors the subscription reconnected after (retryable, e.g. tail-overflow). */
  readonly retried: string[];
  /** The error that ended the subscription, once it did. */
  ended: { code: string | undefined } | undefined;
  stop(): void;
}

function codeOf(e: unknown): string | undefined {
  return (e as { data?: { cairnCode?: string } } | null)?.data?.cairnCode ?? undefined;
}

/** Follows a tail through createLogClient, recording what it gets. */
function follow(url: string, input: { query: string; from?: string }, token = 'r'): Followed {
  const client = createLogClient(url, { token, EventSource: QuickEventSource });
  const f: Followed = {
    msgs: [], retried: [], ended: undefined,
    stop: () => sub.unsubscribe(),
  };
  const sub = client.events.tail.subscribe(input, {
    onData: (m) => { f.msgs.push(m as Followed['msgs'][number]); },
    onError: (e) => { f.ended = { code: codeOf(e) }; },
    onConnectionStateChange: (s) => {
      if (s.state === 'connecting' && s.error !== null) f.retried.push(codeOf(s.error) ?? 'connection');
    },
  });
  return f;
}

async function setup(t: { after: (fn: () => Promise<void>) => void }, name: string, opts: { witness?: Witness; events?: (node: LogNode) => ServedEvents; tailBounds: Partial<typeof DEFAULT_TAIL_BOUNDS> }) {
  const dir = await mkdtemp(join(tmpdir(), `cairn-tail-${name}-`));
  const signerKey = generateSignerKey(`example.com/${name}`, new Uint8Array(32).fill(3));
  let witnessServer: Awaited<ReturnType<typeof startWitnessServer>> | undefined;
  if (opts.witness !== undefined) witnessServer = await startWitnessServer({ witness: opts.witness, listen: { host: '127.0.0.1', port: 0 }, closeGraceMs: 100 });
  const node = await LogNode.open({
    storage: await openLevelStorage(join(dir, 'log')), signerKey, checkpointIntervalMs: 5, logger: silentLogger,
    ...(witnessServer !== undefined ? {
      witnesses: [{ url: witnessServer.url, vkey: opts.witness!.cosignatureVkey }],
      witnessTiming: { requestTimeoutMs: 2_000, startupTimeoutMs: 5_000, initialBackoffMs: 10, maxBackoffMs: 100 },
    } : {}),
  });
  await node.start();
  const tokens = new TokenAuthenticator({ version: 1, tokens: [READER] });
  const server = await startLogServer({
    node, events: opts.events?.(node) ?? node, tokens, listen: { host: '127.0.0.1', port: 0 }, closeGraceMs: 100, tailBounds: opts.tailBounds,
  });
  t.after(async () => {
    await server.close();
    await node.stop();
    await witnessServer?.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { node, server, tokens, signerKey };
}

/**
 * Gets `n` tails from 0 delivering at once on a log whose first event matches: a tail refused
 * with too-many-tails is opened again (slots of tails that just ended come back when the server
 * sees them end), until all `n` hold a slot. A leaked slot makes this time out. Returns the tails,
 * still running.
 */
async function holdSlots(url: string, n: number): Promise<Followed[]> {
  const tails = Array.from({ length: n }, () => follow(url, { query: '*', from: '0' }));
  await waitFor(`${n} tails delivering at once`, () => {
    for (const [k, f] of tails.entries()) {
      if (f.ended === undefined) continue;
      assert.equal(f.ended.code, 'too-many-tails');
      tails[k] = follow(url, { query: '*', from: '0' });
    }
    return tails.every((f) => f.msgs.length > 0 && f.ended === undefined);
  });
  return tails;
}

test('too-many-tails: the tail past the bound is refused, the others keep going, and every way a tail ends frees its slot', async (t) => {
  const MAX = 3;
  let failAt: bigint | undefined;
  let onFail = () => undefined as void;
  const { node, server, tokens } = await setup(t, 'slots', {
    tailBounds: { maxTails: MAX },
    // The real node, except that reading one chosen index fails (a storage error mid-tail).
    events: (n) => new Proxy(n, {
      get(target, prop) {
        if (prop === 'getEvent') {
          return async (i: bigint) => {
            if (failAt !== undefined && i === failAt) {
              onFail();
              throw new Error('Database is not open');
            }
            return target.getEvent(i);
          };
        }
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    }) as ServedEvents,
  });
  await node.submitEvents('k8s', [{ event: ev(0, 'alice') }], { wait: 'checkpoint' });

  // Each tail holds its slot once it has delivered alice's event 0.
  const tails = Array.from({ length: MAX }, () => follow(server.url, { query: 'actor:alice', from: '0' }));
  await waitFor('every tail delivering', () => tails.every((f) => f.msgs.length > 0));
  const extra = follow(server.url, { query: 'actor:alice', from: '0' });
  await waitFor('the extra tail refused', () => extra.ended !== undefined);
  assert.equal(extra.ended!.code, 'too-many-tails');
  assert.equal(extra.msgs.length, 0);
  // The others keep delivering.
  const before = tails.map((f) => f.msgs.length);
  const size = node.latestCheckpoint()!.size;
  await node.submitEvents('k8s', [{ event: ev(1000, 'alice') }], { wait: 'checkpoint' });
  await waitFor('the next event at every tail', () => tails.every((f, k) => f.msgs.length > before[k]!));
  assert.ok(tails.every((f) => f.msgs.some((m) => m.data.kind === 'event' && m.data.index === size.toString())));
  assert.ok(tails.every((f) => f.ended === undefined));

  // The readers go away: their slots come back.
  for (const f of tails) f.stop();
  for (const f of await holdSlots(server.url, MAX)) f.stop();

  // A server error (retried by the client, which reconnects): every failed attempt gives its slot back.
  let failures = 0;
  failAt = 0n;
  onFail = () => { failures++; };
  const failing = Array.from({ length: MAX }, () => follow(server.url, { query: '*', from: '0' }));
  await waitFor('the tails failing again and again', () => {
    // A slot of the tails stopped just above comes back when the server sees them go: try again.
    for (const [k, f] of failing.entries()) if (f.ended?.code === 'too-many-tails') failing[k] = follow(server.url, { query: '*', from: '0' });
    return failures >= 3 * MAX;
  }).catch((e: Error) => {
    throw new Error(`${e.message}: ${failures} failures; ${failing.map((f) => `${f.msgs.length}/${f.ended?.code}/${f.retried.join('+')}`).join(' ')}`);
  });
  for (const f of failing) f.stop();
  assert.ok(failing.every((f) => f.msgs.length === 0));
  failAt = undefined;
  for (const f of await holdSlots(server.url, MAX)) f.stop();

  // A token revoked while its tails run: they end with unauthorized at their next step, and free their slots.
  const revoked = await holdSlots(server.url, MAX);
  tokens.replace({ version: 1, tokens: [{ ...READER, source: 'other', sha256: sha('r2') }] });
  await node.submitEvents('k8s', [{ event: ev(2000, 'alice') }], { wait: 'checkpoint' });
  await waitFor('the revoked tails ended', () => revoked.every((f) => f.ended !== undefined));
  assert.deepEqual(revoked.map((f) => f.ended!.code), Array(MAX).fill('unauthorized'));
  tokens.replace({ version: 1, tokens: [READER] });
  for (const f of await holdSlots(server.url, MAX)) f.stop();
});

test('tail-overflow: with the witness stalled the tail ends past the bound, resumes from its cursor, and once the witness is back gets everything exactly once', async (t) => {
  const MAX_PENDING = 3;
  let stalled = false;
  const signerKey = generateSignerKey('example.com/overflow', new Uint8Array(32).fill(3));
  const witness = new Witness({ key: generateSignerKey('example.com/overflow-witness', testSeed(4)), logs: [{ vkey: verifierKeyFromSigner(signerKey) }], storage: new MemoryWitnessStorage() });
  const addCheckpoint = witness.addCheckpoint.bind(witness);
  witness.addCheckpoint = async (body) => {
    if (stalled) throw new Error('witness stalled');
    return addCheckpoint(body);
  };
  const { node, server } = await setup(t, 'overflow', { witness, tailBounds: { maxPendingProofs: MAX_PENDING } });
  assert.equal(node.verifierKey, verifierKeyFromSigner(signerKey));
  const policy = parsePolicy(`log ${node.verifierKey}\nwitness w ${witness.cosignatureVkey}\nquorum w\n`);
  await node.submitEvents('k8s', [{ event: ev(0, 'bob') }], { wait: 'cosigned' });

  stalled = true;
  const start = node.latestCheckpoint()!.size;
  const tail = follow(server.url, { query: 'actor:alice', from: start.toString() });
  // Twice the bound of alice's events (with bob's between), none of them cosigned.
  const alice: string[] = [];
  for (let i = 1; i <= 2 * MAX_PENDING + 1; i++) {
    const r = await node.submitEvents('k8s', [{ event: ev(i, 'alice') }, { event: ev(100 + i, 'bob') }], { wait: 'checkpoint' });
    alice.push(r.indices[0]!.toString());
  }
  await waitFor('the tail to overflow', () => tail.retried.includes('tail-overflow'));
  assert.equal(tail.ended, undefined, 'tail-overflow is retried, not final');
  const eventsSoFar = tail.msgs.filter((m) => m.data.kind === 'event').map((m) => m.data.index);
  assert.deepEqual(eventsSoFar, alice.slice(0, MAX_PENDING), 'exactly the bound was delivered before the overflow');
  assert.equal(tail.msgs.filter((m) => m.data.kind === 'proof').length, 0, 'nothing is cosigned');

  stalled = false;
  await node.submitEvents('k8s', [{ event: ev(50, 'bob') }], { wait: 'cosigned' });
  await waitFor('every event and proof', () => tail.msgs.length >= 2 * alice.length).catch((e: Error) => {
    throw new Error(`${e.message}: got ${tail.msgs.map((m) => `${m.data.kind} ${m.data.index}`).join(', ')}; retried after ${tail.retried.join(', ')}; ended ${JSON.stringify(tail.ended)}`);
  });
  tail.stop();
  const events = tail.msgs.filter((m) => m.data.kind === 'event').map((m) => m.data.index);
  const proofs = tail.msgs.filter((m) => m.data.kind === 'proof');
  assert.deepEqual(events, alice, 'every event once, in order: no gap, no duplicate');
  assert.deepEqual(proofs.map((m) => m.data.index).sort(), [...alice].sort(), 'every proof once');
  for (const p of proofs) {
    assert.equal(verifyEventProof(utf8Encode(p.data.proof!), { policy }).index.toString(), p.data.index);
    const k = tail.msgs.indexOf(p);
    assert.ok(tail.msgs.findIndex((m) => m.data.kind === 'event' && m.data.index === p.data.index) < k, 'the event came before its proof');
  }
});

test('resume cursor: at most maxResumeOwed owed entries (default 100,000)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-tail-owed-'));
  const node = await LogNode.open({ storage: await openLevelStorage(join(dir, 'log')), signerKey: generateSignerKey('example.com/owed', new Uint8Array(32).fill(9)), checkpointIntervalMs: 5, logger: silentLogger });
  await node.start();
  t.after(async () => {
    await node.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const tokens = new TokenAuthenticator({ version: 1, tokens: [READER] });
  await node.submitEvents('k8s', Array.from({ length: 8 }, (_, i) => ({ event: ev(i, 'alice') })), { wait: 'checkpoint' });
  const first = async (sub: AsyncIterable<unknown>) => {
    for await (const m of sub) return m;
    return undefined;
  };
  const refused = (bound: number) => (e: unknown) => e instanceof TRPCError && e.code === 'BAD_REQUEST' && e.message.includes(`more than ${bound} entries`);

  assert.equal(DEFAULT_TAIL_BOUNDS.maxResumeOwed, 100_000);
  const dflt = createApiCaller({ node, events: node, tokens, authorization: 'Bearer r' });
  await assert.rejects(async () => first(await dflt.events.tail({ query: '*', cursor: '100001:0' })), refused(100_000));

  const small = createApiCaller({ node, events: node, tokens, authorization: 'Bearer r', tailBounds: { maxResumeOwed: 5 } });
  await assert.rejects(async () => first(await small.events.tail({ query: '*', cursor: '8:2' })), refused(5));
  // At the bound: accepted; the proofs owed from 3 come (the events below 8 are not sent again).
  const m = (await first(await small.events.tail({ query: '*', cursor: '8:3' }))) as [string, Data];
  assert.deepEqual([m[1].kind, m[1].index], ['proof', '3']);
});
