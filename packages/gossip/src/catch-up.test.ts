import './polyfill.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAddCheckpointRequest, generateSignerKey, utf8Encode } from '@cairn/formats';
import { consistencyProof, formatTilePath, tilesForAppend } from '@cairn/merkle';
import { MemoryWitnessStorage, Witness, isWitnessError } from '@cairn/witness';
import { CatchUp } from './catch-up.js';
import { startWitnessNetwork } from './witness-network.js';
import { ORIGIN, forkLeaves, logKey, readerOf, signedCheckpoint, startTileServer, tempDir, waitFor } from './test-support.js';

const KEY = logKey();
const A = forkLeaves('A', 5, 40);
const B = forkLeaves('B', 5, 40);
const PEER = '12D3KooWCatchUpTestPeer';
const WITNESS_KEY = generateSignerKey('witness.example', new Uint8Array(32).fill(33));

function body(leaves: Uint8Array[], old: number, size: number): Uint8Array {
  const proof = old === 0 ? [] : consistencyProof(BigInt(old), BigInt(size), readerOf(leaves));
  return formatAddCheckpointRequest({ oldSize: BigInt(old), proof, checkpoint: signedCheckpoint(KEY, leaves, size) });
}

/** add-checkpoint's answer as the api table gives it: 200, 409 with the size body, or another status. */
async function answerAddCheckpoint(witness: Witness, b: Uint8Array): Promise<{ status: number; body: Uint8Array }> {
  const statuses: Record<string, number> = { conflict: 409, inconsistent: 422, fork: 422, blocked: 403, syncing: 503 };
  try {
    await witness.addCheckpoint(b);
    return { status: 200, body: new Uint8Array() };
  } catch (e) {
    if (!isWitnessError(e)) throw e;
    return { status: statuses[e.code] ?? 400, body: utf8Encode(e.code === 'conflict' ? `${e.evidence.knownSize}\n` : e.message) };
  }
}

function witnessAt(url: string | undefined): { witness: Witness; storage: MemoryWitnessStorage } {
  const storage = new MemoryWitnessStorage();
  const witness = new Witness({ key: WITNESS_KEY, logs: [{ vkey: KEY.vkey, ...(url === undefined ? {} : { url }) }], storage });
  return { witness, storage };
}

test('the proof comes from the log\'s tiles; the learned checkpoint becomes the stored one, and a fork below it gets 409', async () => {
  const tiles = await startTileServer(A.slice(0, 30));
  try {
    const { witness, storage } = witnessAt(tiles.url);
    await witness.addCheckpoint(body(A, 0, 10)); // restored at 10
    const c = new CatchUp({ witness });
    assert.equal((await c.learn(utf8Encode(signedCheckpoint(KEY, A, 30)), PEER)).action, 'learned');
    const out = await c.attempt(ORIGIN);
    assert.deepEqual(out, { action: 'caught-up', size: 30n, from: PEER });
    assert.ok(tiles.requests.length > 0, 'tiles were read');
    assert.equal((await storage.latest(ORIGIN))?.size, 30n);
    assert.deepEqual(c.stats, { learned: 1, caughtUp: 1, failedAttempts: 0, inconsistent: 0 });
    // A log-signed fork at 20 that extends 10 (not 30): never 200.
    const fork = await answerAddCheckpoint(witness, body([...A.slice(0, 10), ...forkLeaves('C', 0, 10)], 10, 20));
    assert.equal(fork.status, 409);
    assert.equal(new TextDecoder().decode(fork.body), '30\n');
    c.stop();
  } finally {
    await tiles.close();
  }
});

test('unreachable tiles: never 200 below the learned checkpoint (409 naming it); the catch-up is retried until the tiles answer', async () => {
  const tiles = await startTileServer(A.slice(0, 30));
  let reachable = false;
  const fetchGate: typeof fetch = async (input, init) => {
    if (!reachable) throw new TypeError('fetch failed (test: the log is unreachable)');
    return fetch(input, init);
  };
  try {
    const { witness, storage } = witnessAt(tiles.url);
    await witness.addCheckpoint(body(A, 0, 10));
    const c = new CatchUp({ witness, fetch: fetchGate, retryMinMs: 20, retryMaxMs: 100 });
    await c.learn(utf8Encode(signedCheckpoint(KEY, A, 30)), PEER);
    await waitFor(() => c.stats.failedAttempts >= 2, 'failed attempts');
    assert.match(c.lastError(ORIGIN) ?? '', /^network: /);
    for (const b of [body(A, 10, 20), body(A, 10, 35), body([...A.slice(0, 10), ...forkLeaves('D', 0, 10)], 10, 20)]) {
      const a = await answerAddCheckpoint(witness, b);
      assert.equal(a.status, 409);
      assert.equal(new TextDecoder().decode(a.body), '30\n');
    }
    assert.equal((await storage.latest(ORIGIN))?.size, 10n);
    reachable = true;
    await waitFor(() => c.stats.caughtUp === 1, 'the retried catch-up');
    assert.equal((await storage.latest(ORIGIN))?.size, 30n);
    assert.equal((await answerAddCheckpoint(witness, body(A, 30, 35))).status, 200);
    c.stop();
  } finally {
    await tiles.close();
  }
});

test('no log URL: the catch-up cannot run and says why; the learned checkpoint still bounds add-checkpoint', async () => {
  const { witness } = witnessAt(undefined);
  await witness.addCheckpoint(body(A, 0, 10));
  const c = new CatchUp({ witness });
  await c.learn(utf8Encode(signedCheckpoint(KEY, A, 30)), PEER);
  const out = await c.attempt(ORIGIN);
  assert.equal(out.action, 'retry');
  assert.match((out as { reason: string }).reason, /no log URL/);
  const refused = await answerAddCheckpoint(witness, body(A, 10, 20));
  assert.equal(refused.status, 409);
  assert.equal(new TextDecoder().decode(refused.body), '10\n', 'names the stored size: the log can still bring it to 30');
  // The log itself can still bring it to exactly that checkpoint, with the proof from 10.
  assert.equal((await answerAddCheckpoint(witness, body(A, 10, 30))).status, 200);
  assert.deepEqual(await c.attempt(ORIGIN), { action: 'none' });
  c.stop();
});

test('concurrent add-checkpoint during the tile fetch: the catch-up never writes a stale proof, proves again from the new size, never lowers', async () => {
  // The log's tiles at sizes 30 and 40 (partial tiles of both), behind a fetch that can be held.
  const tiles = new Map<string, Uint8Array>();
  for (const n of [30, 40]) for (const t of tilesForAppend(0n, A.slice(0, n), () => [])) tiles.set(formatTilePath(t.tile), t.data);
  let hold: Promise<void> | undefined;
  let fetched!: () => void;
  const fetching = new Promise<void>((r) => { fetched = r; });
  const slowFetch: typeof fetch = async (input) => {
    fetched();
    await hold;
    const data = tiles.get(String(input).replace(/^http:\/\/log\.test\//, ''));
    return data === undefined ? new Response('not found', { status: 404 }) : new Response(data);
  };
  const { witness, storage } = witnessAt('http://log.test');
  await witness.addCheckpoint(body(A, 0, 10));
  const c = new CatchUp({ witness, fetch: slowFetch });
  let release!: () => void;
  hold = new Promise<void>((r) => { release = r; });
  await witness.learnCheckpoint(signedCheckpoint(KEY, A, 30), PEER);
  const attempt = c.attempt(ORIGIN);
  await fetching;
  // Meanwhile: a request for 20 is a 409 naming 30; the log's own request for exactly 30 is
  // cosigned; and a peer tells of 40.
  assert.equal((await answerAddCheckpoint(witness, body(A, 10, 20))).status, 409);
  assert.equal((await answerAddCheckpoint(witness, body(A, 10, 30))).status, 200);
  await witness.learnCheckpoint(signedCheckpoint(KEY, A, 40), PEER);
  const swapsBefore = storage.swaps;
  hold = undefined;
  release();
  // The proof 10 → 30 is stale: the swap is refused (conflict), and the catch-up proves 30 → 40.
  assert.deepEqual(await attempt, { action: 'caught-up', size: 40n, from: PEER });
  assert.equal((await storage.latest(ORIGIN))?.size, 40n);
  assert.equal(storage.swaps, swapsBefore + 1);
  assert.deepEqual(await c.attempt(ORIGIN), { action: 'none' });
  c.stop();
});

test('a peer\'s checkpoint inconsistent with the stored one becomes evidence, not the witness\'s state (network wiring)', async () => {
  const tiles = await startTileServer(B.slice(0, 30)); // the log shows the peer history B
  const dir = await tempDir();
  const { witness, storage } = witnessAt(tiles.url);
  const net = await startWitnessNetwork({ witness, dataDir: dir.path, listen: ['/ip4/127.0.0.1/tcp/0'], tileTimeoutMs: 3000 });
  try {
    assert.equal((await net.initialSync).state, 'off');
    assert.equal((await answerAddCheckpoint(witness, body(A, 0, 10))).status, 200);
    await net.catchUp.learn(utf8Encode(signedCheckpoint(KEY, B, 30)), PEER);
    await waitFor(() => net.catchUp.stats.inconsistent + net.metrics.evidenceRecorded > 0, 'the inconsistency to be handled');
    await waitFor(() => net.metrics.evidenceRecorded > 0, 'evidence recorded', 15_000);
    const ev = await witness.evidence({ origin: ORIGIN });
    assert.ok(ev.some((e) => e.proven && e.kind === 'inconsistency'), JSON.stringify(ev.map((e) => [e.kind, e.proven])));
    assert.equal((await storage.latest(ORIGIN))?.size, 10n, 'never adopted');
    const a = await answerAddCheckpoint(witness, formatAddCheckpointRequest({ oldSize: 10n, proof: [], checkpoint: signedCheckpoint(KEY, B, 30) }));
    assert.notEqual(a.status, 200);
    assert.ok(a.status === 403 || a.status === 409 || a.status === 422, String(a.status));
  } finally {
    await net.stop();
    await tiles.close();
    await dir.remove();
  }
});
