// End to end: the real LogNode on a temporary classic-level directory, served over HTTP.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TRPCClientError } from '@trpc/client';
import {
  decodeBase64Strict,
  encodeBase64,
  generateSignerKey,
  openCheckpoint,
  parseEntryBundle,
  parseProofBundle,
  parseVerifierKey,
  utf8Encode,
} from '@cairn/formats';
import { leafHash, verifyConsistency, verifyInclusion } from '@cairn/merkle';
import { LogNode, openLevelStorage, silentLogger } from '@cairn/log';
import { createToken, loadTokens, startLogServer, type LogServer, type ServedLog } from '@cairn/api';
import { createLogClient, type LogClient } from '@cairn/client';

const ORIGIN = 'example.com/cairn-e2e';

describe('end to end with the real LogNode (classic-level)', () => {
  let dir: string;
  let node: LogNode;
  let server: LogServer;
  let client: LogClient;
  let token: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cairn-api-e2e-'));
    node = await LogNode.open({
      storage: await openLevelStorage(join(dir, 'log')),
      signerKey: generateSignerKey(ORIGIN, new Uint8Array(32).fill(42)),
      checkpointIntervalMs: 10,
      logger: silentLogger,
    });
    await node.start();
    token = await createToken(join(dir, 'tokens.json'), 'e2e-source', { quota: { entriesPerMinute: 1_000_000 } });
    const served: ServedLog = node; // the real node satisfies the contract this package serves
    server = await startLogServer({
      node: served,
      listen: { host: '127.0.0.1', port: 0 },
      tokens: await loadTokens(join(dir, 'tokens.json')),
      maxBodyBytes: 256 * 1024,
    });
    client = createLogClient(server.url, { token });
  });

  after(async () => {
    await server.close();
    await node.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('submit with a token, then verify checkpoint, tiles and inclusion proofs', async () => {
    const entries = Array.from({ length: 300 }, (_, i) => utf8Encode(`audit event ${i}`));
    const r = await client.log.submit.mutate({ entries: entries.map(encodeBase64), wait: 'checkpoint' });
    assert.deepEqual(r.indices, entries.map((_, i) => String(i)));
    assert.ok(r.proofs !== undefined && r.checkpoint !== undefined);

    const vk = parseVerifierKey(node.verifierKey);
    const res = await fetch(`${server.url}/checkpoint`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
    const { checkpoint } = openCheckpoint(await res.text(), [vk]);
    assert.equal(checkpoint.origin, ORIGIN);
    assert.ok(checkpoint.size >= 300n);

    // The level-0 tiles hold exactly our leaf hashes.
    const t0 = new Uint8Array(await (await fetch(`${server.url}/tile/0/000`)).arrayBuffer());
    assert.equal(t0.length, 8192);
    for (let i = 0; i < 256; i += 51) assert.deepEqual(t0.subarray(i * 32, i * 32 + 32), leafHash(entries[i]!));
    const bundle = await fetch(`${server.url}/tile/entries/001.p/44`);
    assert.equal(bundle.status, 200);
    assert.deepEqual(parseEntryBundle(new Uint8Array(await bundle.arrayBuffer()), 44)[43], entries[299]);

    // Proofs from submit, and from inclusionProof against the served checkpoint.
    const cpFromSubmit = openCheckpoint(r.checkpoint, [vk]).checkpoint;
    verifyInclusion(7n, cpFromSubmit.size, leafHash(entries[7]!), r.proofs[7]!.map((p) => decodeBase64Strict(p)), cpFromSubmit.rootHash);
    const p = await client.log.inclusionProof.query({ leafHash: encodeBase64(leafHash(entries[123]!)), treeSize: checkpoint.size.toString() });
    assert.equal(p.index, '123');
    verifyInclusion(123n, checkpoint.size, leafHash(entries[123]!), p.proof.map((h) => decodeBase64Strict(h)), checkpoint.rootHash);
    const e = await client.log.entry.query({ index: '299' });
    assert.deepEqual(decodeBase64Strict(e.data), entries[299]);

    const pb = parseProofBundle((await client.log.proofBundle.query({ index: '5' })).bundle);
    const pbcp = openCheckpoint(pb.checkpoint, [vk]).checkpoint;
    verifyInclusion(5n, pbcp.size, leafHash(entries[5]!), pb.proof, pbcp.rootHash);

    await client.log.submit.mutate({ entries: [encodeBase64(utf8Encode('one more'))], wait: 'checkpoint' });
    const latest = openCheckpoint((await client.log.checkpoint.query()).note, [vk]).checkpoint;
    const c = await client.log.consistencyProof.query({ m: checkpoint.size.toString(), n: latest.size.toString() });
    verifyConsistency(checkpoint.size, latest.size, checkpoint.rootHash, latest.rootHash, c.proof.map((h) => decodeBase64Strict(h)));
  });

  test('non-canonical tile paths → 400, beyond the tree → 404, oversized body → 413', async () => {
    for (const path of ['tile/0/1', 'tile/0/000.p/256', 'tile/00/000', 'tile/0/000.p/07']) {
      assert.equal((await fetch(`${server.url}/${path}`)).status, 400, path);
    }
    for (const path of ['tile/0/x001/000', 'tile/3/000.p/1', 'tile/entries/x100/000']) {
      assert.equal((await fetch(`${server.url}/${path}`)).status, 404, path);
    }
    const big = JSON.stringify({ entries: Array.from({ length: 6 }, () => encodeBase64(new Uint8Array(60_000))) });
    const res = await fetch(`${server.url}/trpc/log.submit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: big,
    });
    assert.equal(res.status, 413);
    await assert.rejects(createLogClient(server.url).log.submit.mutate({ entries: ['AA=='] }), (e: unknown) => e instanceof TRPCClientError && e.data?.httpStatus === 401);
  });

  test('concurrent submissions all get distinct consecutive indices', async () => {
    const start = BigInt((await client.log.status.query()).sequencedSize);
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        client.log.submit.mutate({ entries: Array.from({ length: 8 }, (_, k) => encodeBase64(utf8Encode(`c${i}-${k}`))) }),
      ),
    );
    const all = results.flatMap((r) => r.indices.map(BigInt));
    for (const r of results) {
      const idx = r.indices.map(BigInt);
      idx.forEach((v, k) => k > 0 && assert.equal(v, idx[k - 1]! + 1n));
    }
    all.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    assert.deepEqual(all, Array.from({ length: 128 }, (_, i) => start + BigInt(i)));
  });
});
