/**
 * The listener's bounds over real HTTP on 127.0.0.1: a connection over the cap is closed at
 * once and counted; a sender that trickles its headers, or its body, is answered 408 and cut
 * off once the bound passes, and counted by phase. Every wait is bounded; no timing is asserted.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { startLogServer, type LogServer } from '../server.js';
import { listenHttp } from './listen.js';
import { FakeLog } from '../testing/fake-log.js';

/** Bound on any single wait in this file (never reached when things work). */
const BOUND_MS = 10_000;
const MAX_CONNECTIONS = 3;
const HEADERS_TIMEOUT_MS = 400;
const REQUEST_TIMEOUT_MS = 800;

/** A raw TCP connection that collects what the server sends until it closes. */
function open(port: number): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let data = '';
    socket.setEncoding('utf8').on('data', (d: string) => (data += d));
    socket.on('error', () => undefined); // a reset is one way to be closed
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.once('connect', () => resolve({ socket, received: () => data, closed }));
    socket.once('error', reject);
  });
}

function bounded<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), BOUND_MS);
  });
  return Promise.race([p, bound]).finally(() => clearTimeout(timer));
}

/** Writes `parts` one by one, `gapMs` apart, while the socket is open. */
async function trickle(socket: Socket, parts: string[], gapMs: number): Promise<void> {
  for (const p of parts) {
    if (socket.destroyed || !socket.writable) return;
    socket.write(p);
    await new Promise((r) => setTimeout(r, gapMs));
  }
}

/** GET /metrics on a fresh connection that is closed after the answer (so it never counts toward the cap later). */
function metrics(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/metrics`, { agent: false, headers: { Connection: 'close' }, timeout: BOUND_MS }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve(text));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('metrics: timed out')));
    req.on('error', reject);
    req.end();
  });
}

describe('listener bounds (log server, real HTTP on loopback)', () => {
  let server: LogServer;
  const warnings: { msg: string; fields?: Record<string, unknown> }[] = [];

  before(async () => {
    server = await startLogServer({
      node: new FakeLog(), listen: { host: '127.0.0.1', port: 0 },
      maxConnections: MAX_CONNECTIONS, headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS,
      logger: { info: () => undefined, error: () => undefined, warn: (msg, fields) => warnings.push({ msg, ...(fields ? { fields } : {}) }) },
    });
  });
  after(() => server.close());

  test('the limits are in /metrics', async () => {
    const text = await metrics(server.url);
    assert.match(text, new RegExp(`^cairn_http_max_connections ${MAX_CONNECTIONS}$`, 'm'));
    assert.match(text, new RegExp(`^cairn_http_headers_timeout_seconds ${HEADERS_TIMEOUT_MS / 1000}$`, 'm'));
    assert.match(text, new RegExp(`^cairn_http_request_timeout_seconds ${REQUEST_TIMEOUT_MS / 1000}$`, 'm'));
    assert.match(text, /^cairn_http_connections_refused_total 0$/m);
  });

  test('a connection over the cap is closed at once and counted', async () => {
    const held = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => open(server.port)));
    // Each held connection is live: it gets an answer (keep-alive keeps it open).
    for (const h of held) h.socket.write('GET /checkpoint HTTP/1.1\r\nHost: x\r\n\r\n');
    await bounded(Promise.all(held.map(async (h) => {
      while (!h.received().startsWith('HTTP/1.1 ')) await new Promise((r) => setTimeout(r, 10));
    })), 'answers on the held connections');
    const extra = await open(server.port);
    extra.socket.write('GET /checkpoint HTTP/1.1\r\nHost: x\r\n\r\n');
    await bounded(extra.closed, 'the extra connection to be closed');
    assert.equal(extra.received(), '', 'the extra connection got no answer');
    for (const h of held) h.socket.destroy();
    await Promise.all(held.map((h) => h.closed));
    // The server notices the closes on its next turn; retry the scrape until it is let in.
    let text = '';
    await bounded((async () => {
      for (;;) {
        try {
          text = await metrics(server.url);
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    })(), 'a scrape once the held connections are gone');
    assert.match(text, /^cairn_http_connections_refused_total [1-9]\d*$/m);
    assert.ok(warnings.some((w) => w.msg.includes('connection cap') && w.fields?.maxConnections === MAX_CONNECTIONS), 'the refusal is logged');
  });

  test('headers trickled past the bound: 408, connection closed, counted as headers', async () => {
    const c = await open(server.port);
    const parts = ['GET /checkpoint HTTP/1.1\r\n', ...Array.from({ length: 200 }, (_, i) => `X-Slow-${i}: a\r\n`)];
    void trickle(c.socket, parts, 50);
    await bounded(c.closed, 'the slow-headers connection to be closed');
    assert.match(c.received(), /^HTTP\/1\.1 408 /);
    assert.match(c.received(), new RegExp(`headers within ${HEADERS_TIMEOUT_MS} ms`));
    assert.match(await metrics(server.url), /^cairn_http_request_timeouts_total\{phase="headers"\} [1-9]\d*$/m);
  });

  test('a body trickled past the bound: 408, connection closed, counted as body', async () => {
    const c = await open(server.port);
    // Chunked, so the server reads the body itself before any answer (a declared body streams to
    // tRPC, which may answer — e.g. 401 — before the body is in; the bound then still cuts it off).
    const body = JSON.stringify({ entries: ['AAAA'] }).padEnd(400, ' ');
    c.socket.write('POST /trpc/log.submit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
    void trickle(c.socket, body.split('').map((ch) => `1\r\n${ch}\r\n`), 50);
    await bounded(c.closed, 'the slow-body connection to be closed');
    assert.match(c.received(), /^HTTP\/1\.1 408 /);
    assert.match(c.received(), new RegExp(`whole request within ${REQUEST_TIMEOUT_MS} ms`));
    assert.match(await metrics(server.url), /^cairn_http_request_timeouts_total\{phase="body"\} [1-9]\d*$/m);
    assert.ok(warnings.some((w) => w.msg.startsWith('slow sender') && w.fields?.phase !== undefined), 'the slow sender is logged');
  });
});

test('a failed request is logged with its path and error code only: no query string, no message', async () => {
  const logged: { msg: string; fields?: Record<string, unknown> }[] = [];
  const listener = await listenHttp({
    listen: { host: '127.0.0.1', port: 0 },
    handle: async () => {
      throw Object.assign(new Error('no row for user alice-secret from 192.0.2.77'), { code: 'XX000' });
    },
    requestTimeoutMs: 5_000, headersTimeoutMs: 5_000, maxConnections: 10, keepAliveTimeoutMs: 1_000, closeGraceMs: 100,
    logger: { error: (msg, fields) => logged.push({ msg, ...(fields ? { fields } : {}) }) },
  });
  try {
    const input = encodeURIComponent(JSON.stringify({ query: 'user:alice-secret src_ip:192.0.2.77' }));
    const res = await bounded(fetch(`${listener.url}/trpc/events.search?input=${input}`), 'the answer');
    assert.equal(res.status, 500);
    assert.equal(await res.text(), 'internal server error\n');
    assert.equal(logged.length, 1);
    assert.deepEqual(logged[0], { msg: 'request failed', fields: { path: '/trpc/events.search', error: { name: 'Error', code: 'XX000' } } });
    assert.doesNotMatch(JSON.stringify(logged), /alice|192\.0\.2/);
  } finally {
    await listener.close();
  }
});
