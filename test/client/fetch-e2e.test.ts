// @cairn/client end to end: a real LogNode (memory storage) served by startLogServer on
// 127.0.0.1:0; every fetcher reads it and every answer is verified with @cairn/client/verify.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { addSignatures, cosignatureSigner, cosignatureVerifierKey, generateSignerKey, originHash, utf8Encode } from '@cairn/formats';
import { leafHash } from '@cairn/merkle';
import { LogNode, memoryStorage, silentLogger } from '@cairn/log';
import { startLogServer, type LogServer } from '@cairn/api';
import {
  CheckpointTracker,
  FetchError,
  VerifyError,
  createLogFetcher,
  createTilesFetcher,
  fetchAndVerifyEntry,
  fetchWitnessCheckpoint,
  loadPolicy,
  verifyCheckpoint,
  verifyConsistencyProof,
  verifyInclusionProof,
  verifyProofBundle,
} from '@cairn/client';

const ORIGIN = 'example.com/cairn-client-e2e';
const NOW = Math.floor(Date.now() / 1000);
const WITNESS_SKEY = generateSignerKey('witness.example.org', new Uint8Array(32).fill(7));

describe('fetchers against a real log server', () => {
  let node: LogNode;
  let server: LogServer;
  let firstNote: string;
  const entries = Array.from({ length: 300 }, (_, i) => utf8Encode(`e2e event ${i}`));

  before(async () => {
    node = await LogNode.open({
      storage: memoryStorage(),
      signerKey: generateSignerKey(ORIGIN, new Uint8Array(32).fill(11)),
      checkpointIntervalMs: 10,
      logger: silentLogger,
    });
    await node.start();
    const first = await node.submit(entries.slice(0, 100), { wait: 'checkpoint' });
    firstNote = new TextDecoder().decode(first.checkpoint!.note);
    await node.submit(entries.slice(100), { wait: 'checkpoint' });
    server = await startLogServer({ node, listen: { host: '127.0.0.1', port: 0 } });
  });

  after(async () => {
    await server.close();
    await node.stop();
  });

  const policy = () => loadPolicy(`log ${node.verifierKey}\nquorum none\n`);

  test('tRPC reads verify: checkpoint, inclusion, consistency, entries, bundle, status', async () => {
    const log = createLogFetcher(server.url, { timeoutMs: 5_000 });
    const status = await log.status();
    assert.equal(status.origin, ORIGIN);
    assert.equal(status.size, 300n);
    const fetched = await log.checkpoint();
    const cp = verifyCheckpoint(fetched.note, policy(), { now: NOW });
    assert.equal(cp.size, fetched.size);
    assert.deepEqual(cp.rootHash, fetched.rootHash);

    const byIndex = await log.inclusionProof({ index: 257n });
    assert.equal(byIndex.checkpoint, fetched.note);
    verifyInclusionProof(cp, 257n, leafHash(entries[257]!), byIndex.proof);
    const byLeaf = await log.inclusionProof({ leafHash: leafHash(entries[3]!) }, 300n);
    assert.equal(byLeaf.index, 3n);
    verifyInclusionProof(cp, 3n, leafHash(entries[3]!), byLeaf.proof);

    const old = verifyCheckpoint(firstNote, policy(), { now: NOW });
    const tracker = new CheckpointTracker([old]);
    assert.equal(tracker.proofNeeded(cp), old.size);
    tracker.update(cp, await log.consistencyProof(old.size, cp.size));
    assert.equal(tracker.latest(ORIGIN)!.size, 300n);

    assert.deepEqual(await log.entry(42n), entries[42]);
    assert.deepEqual(await log.entries(250n, 260n), entries.slice(250, 260));

    const bundle = await log.proofBundle(299n);
    const ok = verifyProofBundle(bundle.bundle, policy(), { now: NOW, entry: entries[299]! });
    assert.equal(ok.index, 299n);

    const e = await log.entry(300n).then(() => undefined, (x: unknown) => x);
    assert.ok(e instanceof FetchError && e.code === 'not-found', String(e));
    assert.match((e as FetchError).message, /beyond-tree/);
  });

  test('fetchAndVerifyEntry: with the expected bytes, with the log\'s own bytes, and with wrong bytes', async () => {
    const log = createLogFetcher(server.url);
    const mine = await fetchAndVerifyEntry(log, 7n, policy(), { now: NOW, entry: entries[7]! });
    assert.equal(mine.entryFromLog, false);
    const theirs = await fetchAndVerifyEntry(log, 8n, policy(), { now: NOW });
    assert.equal(theirs.entryFromLog, true);
    assert.deepEqual(theirs.entry, entries[8]);
    const wrong = await fetchAndVerifyEntry(log, 7n, policy(), { now: NOW, entry: entries[6]! }).then(() => undefined, (x: unknown) => x);
    // The log holds other bytes at index 7: the caller's entry is the wrong one.
    assert.ok(wrong instanceof VerifyError && wrong.code === 'entry-mismatch', String(wrong));
  });

  test('tlog-tiles: checkpoint, proofs built from verified tiles, entries from bundles', async () => {
    const tiles = createTilesFetcher(server.url);
    const log = createLogFetcher(server.url);
    const cp = verifyCheckpoint(await tiles.checkpoint(), policy(), { now: NOW });
    assert.equal(cp.size, 300n);
    for (const i of [0n, 255n, 256n, 299n]) {
      const proof = await tiles.inclusionProof(i, cp.size, cp.rootHash);
      verifyInclusionProof(cp, i, leafHash(entries[Number(i)]!), proof);
      assert.deepEqual(proof, (await log.inclusionProof({ index: i })).proof);
      assert.deepEqual(await tiles.entry(i, cp.size), entries[Number(i)]);
    }
    const old = verifyCheckpoint(firstNote, policy(), { now: NOW });
    verifyConsistencyProof(old, cp, await tiles.consistencyProof(old.size, cp.size, cp.rootHash));
    // A root the tiles do not hash to is caught before any proof is returned.
    const lie = await tiles.inclusionProof(1n, cp.size, leafHash(entries[0]!)).then(() => undefined, (x: unknown) => x);
    assert.ok(lie instanceof VerifyError && lie.code === 'inclusion-failed', String(lie));
    const missing = await tiles.tile({ level: 0, index: 5n, width: 256 }).then(() => undefined, (x: unknown) => x);
    assert.ok(missing instanceof FetchError && missing.code === 'not-found');
  });

  test('a bundle whose checkpoint we cosign verifies under a witness quorum', async () => {
    const log = createLogFetcher(server.url);
    const { bundle } = await log.proofBundle(5n);
    const text = new TextDecoder().decode(bundle);
    const cut = text.indexOf('\n\n') + 2;
    const cosigned = text.slice(0, cut) + addSignatures(text.slice(cut), [cosignatureSigner(WITNESS_SKEY, () => BigInt(NOW - 1))]);
    const witnessed = loadPolicy(`log ${node.verifierKey}\nwitness w ${cosignatureVerifierKey(WITNESS_SKEY)}\nquorum w\n`);
    const ok = verifyProofBundle(cosigned, witnessed, { now: NOW, entry: entries[5]! });
    assert.deepEqual(ok.checkpoint.witnesses.map((w) => w.name), ['w']);
    assert.throws(() => verifyProofBundle(bundle, witnessed, { now: NOW, entry: entries[5]! }), (e: unknown) => e instanceof VerifyError && e.code === 'quorum-not-met');
  });
});

describe('witness monitoring endpoint', () => {
  let server: Server;
  let url: string;
  const note = 'example.com/log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\u2014 example.com/log AAAA\n';

  before(async () => {
    server = createServer((req, res) => {
      if (req.url === `/${originHash('example.com/log')}/checkpoint`) res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(note);
      else res.writeHead(404).end('never cosigned\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  test('GET <witness>/<origin hash>/checkpoint, and 404 for a log it never cosigned', async () => {
    assert.equal(await fetchWitnessCheckpoint(url, 'example.com/log'), note);
    const e = await fetchWitnessCheckpoint(url, 'example.com/other').then(() => undefined, (x: unknown) => x);
    assert.ok(e instanceof FetchError && e.code === 'not-found' && e.status === 404);
  });
});
