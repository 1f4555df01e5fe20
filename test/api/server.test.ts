import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { TRPCClientError } from '@trpc/client';
import { encodeBase64, openCheckpoint, parseEntryBundle, parseVerifierKey, utf8Encode } from '@cairn/formats';
import { startLogServer, TokenAuthenticator, type LogServer } from '@cairn/api';
import { FakeLog, FakeLogError } from '@cairn/api/testing';
import { createLogClient } from '@cairn/client';

const TOKEN = 'cairn_http-test-token';
const tokens = () =>
  new TokenAuthenticator({
    version: 1,
    tokens: [{ source: 'http-test', sha256: createHash('sha256').update(TOKEN).digest('hex'), quota: { entriesPerMinute: 1_000_000 } }],
  });

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A plain node:http request (no automatic decompression, exact headers). */
function raw(url: string, opts: { method?: string; headers?: Record<string, string>; body?: Buffer } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const entry = (i: number) => utf8Encode(`event ${i}`);

describe('log server over HTTP (fake node)', () => {
  let node: FakeLog;
  let server: LogServer;

  before(async () => {
    node = new FakeLog();
    server = await startLogServer({ node, listen: { host: '127.0.0.1', port: 0 }, tokens: tokens(), maxBodyBytes: 64 * 1024 });
    const client = createLogClient(server.url, { token: TOKEN });
    for (let i = 0; i < 300; i += 100) {
      await client.log.submit.mutate({ entries: Array.from({ length: 100 }, (_, k) => encodeBase64(entry(i + k))) });
    }
  });
  after(() => server.close());

  test('GET /metrics reports the tree in Prometheus text format; other methods are refused', async () => {
    const r = await raw(`${server.url}/metrics`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    const text = r.body.toString('utf8');
    const size = node.status().size;
    assert.match(text, new RegExp(`^cairn_log_size\\{origin="${node.origin.replace(/[.]/g, '\\.')}"\\} ${size}$`, 'm'));
    assert.match(text, /^# TYPE cairn_log_queue_depth gauge$/m);
    assert.match(text, /^cairn_log_halted\{[^}]*\} 0$/m);
    for (const line of text.trimEnd().split('\n').filter((l) => l !== '')) { // blank lines are allowed and ignored
      assert.match(line, /^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? [0-9.]+)$/, `exposition line: ${line}`);
    }
    assert.equal((await raw(`${server.url}/metrics`, { method: 'POST' })).status, 405);
  });

  test('listens on a real port', () => {
    assert.notEqual(server.port, 0);
    assert.equal(server.url, `http://127.0.0.1:${server.port}`);
  });

  test('GET and HEAD /checkpoint', async () => {
    const res = await raw(`${server.url}/checkpoint`);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(res.headers['cache-control'], 'no-cache');
    const { checkpoint } = openCheckpoint(res.body.toString('utf8'), [parseVerifierKey(node.verifierKey)]);
    assert.equal(checkpoint.size, 300n);
    const head = await raw(`${server.url}/checkpoint`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(res.body.length));
    assert.equal(head.body.length, 0);
  });

  test('hash tiles: full immutable, partial short-lived, exact bytes', async () => {
    const full = await raw(`${server.url}/tile/0/000`);
    assert.equal(full.status, 200);
    assert.equal(full.headers['content-type'], 'application/octet-stream');
    assert.equal(full.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.ok(full.body.equals(Buffer.concat(node.leaves.slice(0, 256))));
    const partial = await raw(`${server.url}/tile/0/001.p/44`);
    assert.equal(partial.status, 200);
    assert.equal(partial.body.length, 44 * 32);
    assert.match(String(partial.headers['cache-control']), /max-age=60$/);
    const older = await raw(`${server.url}/tile/0/001.p/10`);
    assert.equal(older.status, 200, 'partial tiles of older sizes are still served');
    assert.equal((await raw(`${server.url}/tile/1/000.p/1`)).body.length, 32);
  });

  test('entry bundles, gzip only when accepted', async () => {
    const plain = await raw(`${server.url}/tile/entries/001.p/44`);
    assert.equal(plain.status, 200);
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.headers['vary'], 'Accept-Encoding');
    const entries = parseEntryBundle(new Uint8Array(plain.body), 44);
    assert.deepEqual(entries[0], entry(256));
    const gz = await raw(`${server.url}/tile/entries/000`, { headers: { 'accept-encoding': 'gzip, identity' } });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gz.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(parseEntryBundle(new Uint8Array(gunzipSync(gz.body)), 256).length, 256);
    const refused = await raw(`${server.url}/tile/entries/000`, { headers: { 'accept-encoding': 'gzip;q=0' } });
    assert.equal(refused.headers['content-encoding'], undefined);
  });

  test('non-canonical tile paths → 400', async () => {
    for (const p of ['tile/0/1', 'tile/0/x001', 'tile/0/001/002', 'tile/0/000.p/0', 'tile/0/000.p/256', 'tile/0/000.p/07',
      'tile/64/000', 'tile/00/000', 'tile/-1/000', 'tile/8/0/000', 'tile/data/000', 'tile/0/%30%30%30', 'tile/', 'tile/0/000/']) {
      const res = await raw(`${server.url}/${p}`);
      assert.equal(res.status, 400, p);
      assert.match(res.body.toString(), /bad tile path/);
    }
  });

  test('tiles beyond the tree → 404, without reading storage', async () => {
    node.resetCalls();
    for (const p of ['tile/0/002', 'tile/0/001', 'tile/0/001.p/45', 'tile/entries/001', 'tile/entries/001.p/45', 'tile/2/000.p/1', 'tile/1/000',
      'tile/63/x018/x446/x744/x073/x709/x551/615']) {
      const res = await raw(`${server.url}/${p}`);
      assert.equal(res.status, 404, p);
    }
    assert.deepEqual(node.calls.filter((c) => c.startsWith('read')), []);
  });

  test('other methods → 405 with Allow; unknown paths → 404', async () => {
    for (const p of ['checkpoint', 'tile/0/000']) {
      const res = await raw(`${server.url}/${p}`, { method: 'POST' });
      assert.equal(res.status, 405);
      assert.equal(res.headers['allow'], 'GET, HEAD');
    }
    assert.equal((await raw(`${server.url}/nothing`)).status, 404);
  });

  test('tRPC reads over HTTP are public; submit needs the token', async () => {
    const anon = createLogClient(server.url);
    assert.equal((await anon.log.status.query()).size, '300');
    await assert.rejects(anon.log.submit.mutate({ entries: ['AA=='] }), (e: unknown) => e instanceof TRPCClientError && e.data?.httpStatus === 401);
    const wrong = createLogClient(server.url, { token: 'cairn_wrong' });
    await assert.rejects(wrong.log.submit.mutate({ entries: ['AA=='] }), (e: unknown) => e instanceof TRPCClientError && e.data?.code === 'UNAUTHORIZED');
    const unauth = await raw(`${server.url}/trpc/log.submit`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.from('{"entries":["AA=="]}') });
    assert.equal(unauth.status, 401);
    assert.equal(unauth.headers['www-authenticate'], 'Bearer realm="cairn"');
    const res = await raw(`${server.url}/trpc/log.entry?input=${encodeURIComponent(JSON.stringify({ index: '01' }))}`);
    assert.equal(res.status, 400);
    assert.match(JSON.parse(res.body.toString()).error.message, /index: must be a canonical decimal/);
    assert.equal((await raw(`${server.url}/trpc/log.entry?input=${encodeURIComponent(JSON.stringify({ index: '300' }))}`)).status, 404);
  });

  test('queue-full → HTTP 429 with Retry-After on the tRPC path', async () => {
    node.failNextSubmit = new FakeLogError('queue-full', 'sequencing queue is full', 1_500);
    const res = await raw(`${server.url}/trpc/log.submit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: Buffer.from(JSON.stringify({ entries: ['AA=='] })),
    });
    assert.equal(res.status, 429);
    assert.equal(res.headers['retry-after'], '2');
    const err = JSON.parse(res.body.toString()).error;
    assert.equal(err.data.cairnCode, 'queue-full');
    assert.equal(err.data.retryAfterSeconds, 2);
  });

  test('oversized bodies → 413 (declared length and chunked)', async () => {
    const big = Buffer.from(JSON.stringify({ entries: [encodeBase64(new Uint8Array(60_000))] }));
    const declared = await raw(`${server.url}/trpc/log.submit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, 'content-length': String(big.length) },
      body: big,
    });
    assert.equal(declared.status, 413);
    const chunked = await raw(`${server.url}/trpc/log.submit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, 'transfer-encoding': 'chunked' },
      body: big,
    });
    assert.equal(chunked.status, 413);
    // Both answers name the limit; both are counted.
    for (const r of [declared, chunked]) {
      const err = JSON.parse(r.body.toString()).error;
      assert.equal(err.message, `request body exceeds the limit of ${64 * 1024} bytes`);
      assert.equal(err.data.cairnCode, 'payload-too-large');
    }
    const metrics = (await raw(`${server.url}/metrics`)).body.toString();
    assert.match(metrics, /^cairn_http_bodies_too_large_total\{how="declared"\} 1$/m);
    assert.match(metrics, /^cairn_http_bodies_too_large_total\{how="chunked"\} 1$/m);
    assert.equal((await createLogClient(server.url).log.status.query()).size, '300');
  });

  test('concurrent submissions get distinct consecutive indices', async () => {
    const client = createLogClient(server.url, { token: TOKEN });
    const batch = createLogClient(server.url, { token: TOKEN, batch: true });
    const before = BigInt((await client.log.status.query()).size);
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? client : batch).log.submit.mutate({ entries: Array.from({ length: 5 }, (_, k) => encodeBase64(entry(1000 + i * 5 + k))) })),
    );
    const all: bigint[] = [];
    for (const r of results) {
      const idx = r.indices.map(BigInt);
      idx.forEach((v, k) => k > 0 && assert.equal(v, idx[k - 1]! + 1n));
      all.push(...idx);
    }
    all.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    assert.deepEqual(all, Array.from({ length: 120 }, (_, i) => before + BigInt(i)));
  });
});

test('prefix: tiles at the prefix only; graceful close', async () => {
  const node = new FakeLog();
  const server = await startLogServer({ node, listen: { host: '127.0.0.1', port: 0 }, prefix: '/log/v1' });
  assert.equal((await raw(`${server.url}/log/v1/checkpoint`)).status, 200);
  assert.equal((await raw(`${server.url}/checkpoint`)).status, 404);
  assert.equal((await raw(`${server.url}/log/v1/tile/0/000.p/1`)).status, 404);
  const client = createLogClient(server.url);
  assert.equal((await client.log.status.query()).size, '0');
  await assert.rejects(client.log.submit.mutate({ entries: ['AA=='] }), /no tokens are configured/);
  await server.close();
  await assert.rejects(raw(`${server.url}/log/v1/checkpoint`));
});

test('close() lets in-flight requests finish, then stops listening', async () => {
  const node = new FakeLog();
  const server = await startLogServer({ node, listen: { host: '127.0.0.1', port: 0 }, tokens: tokens() });
  let release!: () => void;
  node.submitGate = new Promise((r) => (release = r));
  const inFlight = createLogClient(server.url, { token: TOKEN }).log.submit.mutate({ entries: ['AA=='] });
  while (!node.calls.includes('submit')) await new Promise((r) => setTimeout(r, 5));
  const closed = server.close();
  release();
  assert.deepEqual((await inFlight).indices, ['0']);
  await closed;
  await assert.rejects(raw(`${server.url}/checkpoint`));
});

test('a prefix that collides with /trpc is refused', async () => {
  await assert.rejects(startLogServer({ node: new FakeLog(), listen: { host: '127.0.0.1', port: 0 }, prefix: '/trpc' }), /collides/);
  await assert.rejects(startLogServer({ node: new FakeLog(), listen: { host: '127.0.0.1', port: 0 }, prefix: 'log/' }), /prefix/);
});
