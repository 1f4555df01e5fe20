import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { MAX_COSIGNATURE_RESPONSE, TLOG_SIZE_CONTENT_TYPE } from '@cairn/formats';
import { backoffDelay } from './config.js';
import { postAddCheckpoint, type WitnessReply } from './http.js';

/** A server that answers every request with `reply`; returns its URL and a closer. */
async function serve(reply: (res: ServerResponse) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => reply(res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: () => {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      return closed;
    },
  };
}

async function answer(reply: (res: ServerResponse) => void, timeoutMs = 2_000): Promise<WitnessReply> {
  const s = await serve(reply);
  try {
    return await postAddCheckpoint(s.url, new TextEncoder().encode('old 0\n\nx\n'), { timeoutMs });
  } finally {
    await s.close();
  }
}

test('a 409 is a conflict only with the text/x.tlog.size type and a canonical size body', async () => {
  assert.deepEqual(await answer((res) => res.writeHead(409, { 'content-type': TLOG_SIZE_CONTENT_TYPE }).end('42\n')), { kind: 'conflict', size: 42n });
  assert.deepEqual(await answer((res) => res.writeHead(409, { 'content-type': 'Text/X.TLog.Size; charset=utf-8' }).end('0\n')), { kind: 'conflict', size: 0n });
  for (const [type, body] of [['text/plain', '42\n'], [TLOG_SIZE_CONTENT_TYPE, '042\n'], [TLOG_SIZE_CONTENT_TYPE, '42'], [TLOG_SIZE_CONTENT_TYPE, '-1\n']] as const) {
    const r = await answer((res) => res.writeHead(409, { 'content-type': type }).end(body));
    assert.equal(r.kind, 'rejected', `${type} ${JSON.stringify(body)}`);
    assert.equal((r as { status: number }).status, 409);
  }
});

test('refusals are rejected with their (sanitised, capped) body; overload and 5xx are unavailable', async () => {
  for (const status of [400, 403, 404, 422]) {
    const r = await answer((res) => res.writeHead(status).end(`reason ${status}\u0000\n${'x'.repeat(2000)}`));
    assert.equal(r.kind, 'rejected');
    const rej = r as { status: number; body: string };
    assert.equal(rej.status, status);
    assert.match(rej.body, new RegExp(`^reason ${status} `, 'u'));
    assert.ok(rej.body.length <= 512);
  }
  for (const status of [408, 429, 500, 503]) {
    const r = await answer((res) => res.writeHead(status).end('busy'));
    assert.deepEqual(r, { kind: 'unavailable', status, message: `HTTP ${status}: busy` });
  }
});

test('a 200 body is returned raw, but not past the size cap', async () => {
  const ok = await answer((res) => res.writeHead(200).end('— w AAAA\n'));
  assert.equal(ok.kind, 'cosigned');
  assert.equal(new TextDecoder().decode((ok as { body: Uint8Array }).body), '— w AAAA\n');
  const big = await answer((res) => res.writeHead(200).end('a'.repeat(MAX_COSIGNATURE_RESPONSE + 1)));
  assert.equal(big.kind, 'rejected');
});

test('network failures and timeouts are unavailable, never thrown', async () => {
  const s = await serve(() => undefined); // never answers
  try {
    const r = await postAddCheckpoint(s.url, new Uint8Array([1]), { timeoutMs: 50 });
    assert.deepEqual(r, { kind: 'unavailable', message: 'timed out after 50 ms' });
    const ac = new AbortController();
    const p = postAddCheckpoint(s.url, new Uint8Array([1]), { timeoutMs: 5_000, signal: ac.signal });
    ac.abort();
    assert.deepEqual(await p, { kind: 'unavailable', message: 'aborted' });
  } finally {
    await s.close();
  }
  const refused = await postAddCheckpoint(s.url, new Uint8Array([1]), { timeoutMs: 1_000 });
  assert.equal(refused.kind, 'unavailable');
  assert.match((refused as { message: string }).message, /ECONNREFUSED/u);
});

test('backoff delays grow exponentially, stay within [d/2, d] and never exceed the cap', () => {
  const timing = { requestTimeoutMs: 1, startupTimeoutMs: 1, initialBackoffMs: 100, maxBackoffMs: 30_000, probeIntervalMs: 1_000 };
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 200 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (failures, r) => {
      const d = Math.min(timing.maxBackoffMs, timing.initialBackoffMs * 2 ** (failures - 1));
      const got = backoffDelay(failures, timing, () => r);
      return got >= d / 2 && got <= d && got <= timing.maxBackoffMs;
    }),
  );
});
