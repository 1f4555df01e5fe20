/** `/healthz` and `/readyz` on the log and the witness HTTP servers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateSignerKey } from '@cairn/formats';
import { MemoryWitnessStorage, Witness } from '@cairn/witness';
import { TestLog, testSeed } from '@cairn/witness/testing';
import { startLogServer, startWitnessServer, type LogServer, type WitnessServer } from '@cairn/api';
import { FakeLog } from '@cairn/api/testing';
import type { ServedStatus } from '@cairn/api';

/** The parts of a log's /readyz body these tests read. */
interface ReadyBody {
  ready: boolean;
  storage: { ok: boolean; error: string | null };
  halted: string | null;
  witnessesReachable: number;
  witnesses: { name: string; reachable: boolean; lastError: string | null }[];
}

const get = (url: string, method = 'GET') => fetch(url, { method, signal: AbortSignal.timeout(10_000) });

async function withLog(node: FakeLog, fn: (s: LogServer) => Promise<void>): Promise<void> {
  const server = await startLogServer({ node, listen: { host: '127.0.0.1', port: 0 } });
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

async function withWitness(witness: Witness, fn: (s: WitnessServer) => Promise<void>): Promise<void> {
  const server = await startWitnessServer({ witness, listen: { host: '127.0.0.1', port: 0 } });
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

test('log: /healthz is alive, /readyz ready while storage answers; other methods 405', async () => {
  await withLog(new FakeLog(), async (server) => {
    const h = await get(`${server.url}/healthz`);
    assert.equal(h.status, 200);
    assert.equal(h.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await h.json(), { status: 'alive' });
    const r = await get(`${server.url}/readyz`);
    assert.equal(r.status, 200);
    const body = (await r.json()) as ReadyBody;
    assert.equal(body.ready, true);
    assert.deepEqual(body.storage, { ok: true, error: null });
    assert.equal(body.halted, null);
    assert.deepEqual(body.witnesses, []);
    const head = await get(`${server.url}/readyz`, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
    const post = await get(`${server.url}/healthz`, 'POST');
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
  });
});

test('log: /readyz is 503 when storage fails or integration halted, and lists witnesses', async () => {
  const node = new FakeLog();
  let failing = true;
  const findLeafIndex = node.findLeafIndex.bind(node);
  node.findLeafIndex = async (h) => {
    if (failing) throw new Error('Database is not open');
    return findLeafIndex(h);
  };
  const status = node.status.bind(node);
  let extra: Partial<ServedStatus> = {};
  node.status = () => ({ ...status(), ...extra });
  await withLog(node, async (server) => {
    let r = await get(`${server.url}/readyz`);
    assert.equal(r.status, 503);
    let body = (await r.json()) as ReadyBody;
    assert.equal(body.ready, false);
    assert.deepEqual(body.storage, { ok: false, error: 'Database is not open' });
    assert.equal((await get(`${server.url}/healthz`)).status, 200, 'still alive');

    failing = false;
    extra = {
      halted: 'root mismatch at size 7',
      quorum: 1,
      witnesses: [
        { url: 'http://127.0.0.1:1', name: 'w-up', knownSize: 3n, lastCosignedSize: 3n, lastSuccessTime: 1000, lastError: undefined, consecutiveFailures: 0 },
        { url: 'http://127.0.0.1:2', name: 'w-down', knownSize: undefined, lastCosignedSize: undefined, lastSuccessTime: undefined, lastError: 'ECONNREFUSED', consecutiveFailures: 4 },
      ],
    };
    r = await get(`${server.url}/readyz`);
    assert.equal(r.status, 503);
    body = (await r.json()) as ReadyBody;
    assert.equal(body.storage.ok, true);
    assert.equal(body.halted, 'root mismatch at size 7');
    assert.equal(body.witnessesReachable, 1);
    assert.deepEqual(body.witnesses.map((w) => [w.name, w.reachable, w.lastError]),
      [['w-up', true, null], ['w-down', false, 'ECONNREFUSED']]);

    // Unreachable witnesses alone do not make the log unready: it still accepts and serves entries.
    extra = { ...extra, halted: undefined };
    r = await get(`${server.url}/readyz`);
    assert.equal(r.status, 200);
    assert.equal(((await r.json()) as { ready: boolean }).ready, true);
  });
});

function makeWitness(): Witness {
  const log = new TestLog('example.com/health-log', 31);
  return new Witness({ key: generateSignerKey('example.com/witness', testSeed(9)), logs: [{ vkey: log.vkey }], storage: new MemoryWitnessStorage() });
}

test('witness: /healthz alive, /readyz ready while storage answers, 503 when it fails', async () => {
  const witness = makeWitness();
  await withWitness(witness, async (server) => {
    const h = await get(`${server.url}/healthz`);
    assert.equal(h.status, 200);
    assert.equal(h.headers.get('access-control-allow-origin'), '*');
    assert.deepEqual(await h.json(), { status: 'alive' });
    let r = await get(`${server.url}/readyz`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { ready: true, storage: { ok: true, error: null }, held: null, peers: null });

    witness.status = async () => { throw new Error('storage closed'); };
    r = await get(`${server.url}/readyz`);
    assert.equal(r.status, 503);
    assert.deepEqual(await r.json(), { ready: false, storage: { ok: false, error: 'storage closed' }, held: null, peers: null });
    assert.equal((await get(`${server.url}/readyz`, 'DELETE')).status, 405);
  });
});
