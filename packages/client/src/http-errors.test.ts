// Fetch failures a person can act on, against real servers on 127.0.0.1: a closed port is
// "connection refused to <url>" after one attempt (no retry loop), and an HTML answer is
// "HTML answer: not a Cairn server".
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { FetchError, createLogFetcher } from './index.js';

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    resolve(`http://127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}`);
  }));
}

async function fetchError(p: Promise<unknown>): Promise<FetchError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof FetchError, String(e));
    return e;
  }
  assert.fail('expected a FetchError');
}

describe('http errors', () => {
  let html: Server;
  let htmlUrl: string;
  let closedUrl: string;

  before(async () => {
    html = createServer((req, res) => {
      res.writeHead(req.url?.includes('entr') ? 404 : 200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!DOCTYPE html><html><body>Welcome</body></html>');
    });
    htmlUrl = await listen(html);
    const closed = createServer();
    closedUrl = await listen(closed);
    await new Promise<void>((r) => closed.close(() => r()));
  });

  after(async () => {
    await new Promise<void>((r) => html.close(() => r()));
  });

  test('connection refused names the URL and is not retried', async () => {
    const e = await fetchError(createLogFetcher(closedUrl, { retries: 5 }).checkpoint());
    assert.equal(e.code, 'network');
    assert.ok(e.message.startsWith(`connection refused to ${closedUrl}/`), e.message);
    assert.equal(e.attempts, 1);
  });

  test('an HTML answer (2xx or 404) is "not a Cairn server"', async () => {
    const ok = await fetchError(createLogFetcher(htmlUrl, { retries: 0 }).checkpoint());
    assert.equal(ok.code, 'bad-response');
    assert.ok(ok.message.startsWith(`HTML answer: not a Cairn server (${htmlUrl}/`), ok.message);
    assert.match(ok.message, /, HTTP 200\)$/);
    const missing = await fetchError(createLogFetcher(htmlUrl, { retries: 0 }).entry(0n));
    assert.match(missing.message, /^HTML answer: not a Cairn server .*, HTTP 404\)$/);
  });
});
