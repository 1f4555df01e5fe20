import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { generateSignerKey, originHash } from '@cairn/formats';
import { MemoryWitnessStorage, Witness, WitnessError, WITNESS_ERROR_CODES } from '@cairn/witness';
import { FakeClock, TestLog, testSeed } from '@cairn/witness/testing';
import { answerAddCheckpoint, createWitnessCaller, startWitnessServer, WITNESS_ERROR_TABLE } from '@cairn/api';
import { createWitnessClient } from '@cairn/client';

async function setup(qpd?: number) {
  const log = new TestLog('example.com/server-log', 21);
  const clock = new FakeClock();
  const storage = new MemoryWitnessStorage();
  const witness = new Witness({
    key: generateSignerKey('example.com/witness', testSeed(8)),
    logs: [{ vkey: log.vkey, ...(qpd === undefined ? {} : { qpd }) }],
    storage,
    now: clock.now,
  });
  const server = await startWitnessServer({ witness, listen: { host: '127.0.0.1', port: 0 } });
  const client = createWitnessClient(server.url);
  return { log, clock, storage, witness, server, client };
}

function post(url: string, body: Uint8Array | string, headers: Record<string, string> = {}) {
  return fetch(`${url}/add-checkpoint`, { method: 'POST', body, headers, signal: AbortSignal.timeout(10_000) });
}

test('the table maps every witness error code', () => {
  for (const code of WITNESS_ERROR_CODES) assert.ok(WITNESS_ERROR_TABLE[code], code);
  assert.equal(WITNESS_ERROR_TABLE.fork.status, 422);
  assert.equal(WITNESS_ERROR_TABLE.conflict.status, 409);
  assert.equal(WITNESS_ERROR_TABLE['unknown-log'].status, 404);
});

test('port 0 gives the real port; CORS, OPTIONS, 405 and unknown paths', async () => {
  const { server } = await setup();
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:[1-9][0-9]*$/);
    assert.equal(server.url, `http://127.0.0.1:${server.port}`);
    const opt = await fetch(`${server.url}/add-checkpoint`, { method: 'OPTIONS' });
    assert.equal(opt.status, 204);
    assert.equal(opt.headers.get('access-control-allow-origin'), '*');
    assert.match(opt.headers.get('access-control-allow-methods') ?? '', /POST/);
    const get = await fetch(`${server.url}/add-checkpoint`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST, OPTIONS');
    assert.equal((await fetch(`${server.url}/nope`)).status, 404);
    assert.equal((await fetch(`${server.url}/${'A'.repeat(64)}/checkpoint`)).status, 404);
  } finally {
    await server.close();
  }
});

test('bodies above 128 KiB get 413, declared or streamed', async () => {
  const { server } = await setup();
  try {
    const big = new Uint8Array(128 * 1024 + 1).fill(0x41);
    const declared = await post(server.url, big);
    assert.equal(declared.status, 413);
    assert.equal(await declared.text(), 'invalid input: body exceeds the limit of 131072 bytes\n');
    // Undeclared length (chunked): cut at the cap, with the same answer.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${server.url}/add-checkpoint`, { method: 'POST', headers: { 'Transfer-Encoding': 'chunked' } }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => {
          if (text === 'invalid input: body exceeds the limit of 131072 bytes\n') resolve(res.statusCode ?? 0);
          else reject(new Error(`unexpected 413 body: ${text}`));
        });
      });
      req.on('error', reject);
      req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
      req.write(big.subarray(0, 100_000));
      req.end(big.subarray(100_000));
    });
    assert.equal(status, 413);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /^cairn_http_bodies_too_large_total\{how="declared"\} 1$/m);
    assert.match(metrics, /^cairn_http_bodies_too_large_total\{how="chunked"\} 1$/m);
  } finally {
    await server.close();
  }
});

test('429 with Retry-After when the qpd budget is spent', async () => {
  const { log, server } = await setup(1);
  try {
    assert.equal((await post(server.url, log.body(0n, 1n))).status, 200);
    const r = await post(server.url, log.body(1n, 2n));
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '86400');
  } finally {
    await server.close();
  }
});

test('tRPC status and misbehaviour over HTTP; the monitoring GET', async () => {
  const { log, clock, server, client } = await setup();
  try {
    const before = await client.status.query();
    assert.deepEqual(before.logs, [{ origin: log.origin, configured: true, qpd: null, size: null, rootHash: null, cosignedAt: null, blocked: null, known: null, caughtUp: null }]);
    assert.equal(before.held, null);
    assert.equal((await post(server.url, log.body(0n, 3n))).status, 200);
    const after = await client.status.query();
    assert.equal(after.name, 'example.com/witness');
    assert.equal(after.logs[0]?.size, '3');
    assert.equal(after.logs[0]?.rootHash, Buffer.from(log.root(3n)).toString('base64'));
    assert.equal(after.logs[0]?.cosignedAt, String(Math.floor(clock.ms / 1000)));
    const forkNote = log.note(3n, { rootHash: new Uint8Array(32).fill(5) });
    assert.equal((await post(server.url, log.body(3n, 3n, { note: forkNote }))).status, 422);
    const records = await client.misbehaviour.query({ origin: log.origin, limit: 10 });
    assert.equal(records.length, 1);
    assert.equal(records[0]?.kind, 'fork');
    assert.equal(records[0]?.offeredNote, forkNote);
    assert.ok(records[0]?.storedNote?.startsWith(log.text(3n)));
    await assert.rejects(client.misbehaviour.query({ limit: 0 }), /BAD_REQUEST|too small|>=1/i);
    const m = await fetch(`${server.url}/${originHash(log.origin)}/checkpoint`);
    assert.equal(m.status, 200);
    assert.ok((await m.text()).startsWith(log.text(3n) + '\n'));
  } finally {
    await server.close();
  }
});

test('in-process caller maps witness errors through the table and hides internal messages', async () => {
  class BrokenStorage extends MemoryWitnessStorage {
    override async listLatest(): Promise<never> {
      throw new WitnessError('storage', 'disk /secret/path failed');
    }
  }
  const log = new TestLog();
  const witness = new Witness({ key: generateSignerKey('example.com/w', testSeed(3)), logs: [{ vkey: log.vkey }], storage: new BrokenStorage() });
  const caller = createWitnessCaller({ witness });
  await assert.rejects(caller.status(), (e: { code?: string; message?: string }) =>
    e.code === 'INTERNAL_SERVER_ERROR' && e.message === WITNESS_ERROR_TABLE.storage.publicMessage);
  assert.deepEqual(await caller.misbehaviour(), []);
});

test('a blocked origin: HTTP 403 naming the evidence, the same bytes from answerAddCheckpoint; tRPC evidence and status.blocked', async () => {
  const { log, witness, server, client } = await setup();
  try {
    assert.equal((await post(server.url, log.body(0n, 2n))).status, 200);
    const id = 'ef'.repeat(32);
    await witness.recordEvidence({ id, origin: log.origin, kind: 'equivocation', proven: true, record: '{"x":1}\n', conflict: 'c' });
    const r = await post(server.url, log.body(2n, 3n));
    assert.equal(r.status, 403);
    const text = await r.text();
    assert.match(text, new RegExp(`^blocked: evidence ${id} `));
    const direct = await answerAddCheckpoint(witness, log.body(2n, 3n));
    assert.deepEqual([direct.status, direct.contentType, Buffer.from(direct.body).toString()], [403, 'text/plain; charset=utf-8', text]);
    const conflict = await answerAddCheckpoint(new Witness({ key: generateSignerKey('w2.example', testSeed(4)), logs: [{ vkey: log.vkey }], storage: new MemoryWitnessStorage() }), log.body(1n, 2n));
    assert.deepEqual([conflict.status, conflict.contentType, Buffer.from(conflict.body).toString()], [409, 'text/x.tlog.size', '0\n']);
    const listed = await client.evidence.query({ origin: log.origin });
    assert.deepEqual(listed.map((e) => [e.id, e.proven, e.record]), [[id, true, '{"x":1}\n']]);
    assert.deepEqual((await createWitnessClient(server.url).evidence.query()).map((e) => e.id), [id]);
    const s = await client.status.query();
    assert.equal(s.logs[0]?.blocked?.evidenceId, id);
    assert.equal(s.p2p, null);
  } finally {
    await server.close();
  }
});
