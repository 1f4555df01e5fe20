/**
 * `startSearchIndex` when the index cannot open (DIR is a regular file): the failure is reported
 * once, `events.search` would answer `search-index-failed`, and the log it runs beside is not
 * affected — it keeps signing what it is given. The same for a PostgreSQL server that is not
 * there, whose failure names the server and never the URL's password. (The paths that open are
 * tested end to end in test/e2e/search-index.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ApiError } from '@cairn/api';
import { generateSignerKey } from '@cairn/formats';
import { parseQuery } from '@cairn/index/query';
import { LogNode, openLevelStorage, silentLogger } from '@cairn/log';
import { describeSearchIndex, startSearchIndex } from './search-index.js';

test('an index that cannot open is reported as failed and leaves the log running', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-search-index-'));
  const node = await LogNode.open({
    storage: await openLevelStorage(join(dir, 'data')),
    signerKey: generateSignerKey('example.com/search-index', new Uint8Array(32).fill(3)),
    checkpointIntervalMs: 5,
    logger: silentLogger,
  });
  await node.start();
  try {
    const notADir = join(dir, 'index-is-a-file');
    await writeFile(notADir, 'not a directory');
    const failures: string[] = [];
    let readies = 0;
    const running = startSearchIndex(notADir, node, {
      ready: () => { readies++; },
      failed: (m) => failures.push(m),
      behind: () => assert.fail('no catch-up runs without an index'),
    });
    await running.opened;
    assert.equal(readies, 0);
    assert.equal(failures.length, 1);
    const state = await running.served.indexState();
    assert.equal(state.state, 'failed');
    const e = await running.served.search(parseQuery('*'), { limit: 1 }).then(() => assert.fail('expected a refusal'), (x: unknown) => x);
    assert.ok(e instanceof ApiError);
    assert.equal(e.code, 'search-index-failed');

    const r = await node.submit([new TextEncoder().encode('still logging')], { wait: 'checkpoint' });
    assert.equal(r.indices.length, 1);
    await running.stop();
  } finally {
    await node.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a PostgreSQL server that is not there: reported as failed, naming the server and not the password', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-search-index-'));
  const node = await LogNode.open({
    storage: await openLevelStorage(join(dir, 'data')),
    signerKey: generateSignerKey('example.com/search-index', new Uint8Array(32).fill(4)),
    checkpointIntervalMs: 5,
    logger: silentLogger,
  });
  await node.start();
  try {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const url = `postgresql://audit:hunter2@127.0.0.1:${port}/cairn?sslmode=disable`;
    assert.equal(describeSearchIndex(url), `PostgreSQL postgres://audit@127.0.0.1:${port}/cairn`);
    assert.equal(describeSearchIndex('postgres://audit:hunter2@[x/cairn'), 'PostgreSQL (a URL that does not parse)');
    assert.equal(describeSearchIndex('/var/lib/cairn/index'), 'PGlite in /var/lib/cairn/index');
    const failures: string[] = [];
    const running = startSearchIndex(url, node, {
      ready: () => assert.fail('no server to be ready on'),
      failed: (m) => failures.push(m),
      behind: () => assert.fail('no catch-up runs without an index'),
    });
    await running.opened;
    assert.equal(failures.length, 1);
    assert.match(failures[0]!, new RegExp(`^PostgreSQL postgres://audit@127\\.0\\.0\\.1:${port}/cairn: cannot connect: `));
    assert.ok(!failures[0]!.includes('hunter2'));
    assert.equal((await running.served.indexState()).state, 'failed');
    await running.stop();

    // A password in the query: refused before any connection; no line or state quotes it.
    const inQuery = `postgres://audit@127.0.0.1:${port}/cairn?password=q-secret-77`;
    assert.ok(!describeSearchIndex(inQuery).includes('q-secret-77'));
    const refusals: string[] = [];
    const refused = startSearchIndex(inQuery, node, {
      ready: () => assert.fail('refused URL'),
      failed: (m) => refusals.push(m),
      behind: () => assert.fail('no catch-up runs without an index'),
    });
    await refused.opened;
    assert.equal(refusals.length, 1);
    assert.match(refusals[0]!, /password= in its query/);
    const state = await refused.served.indexState();
    assert.equal(state.state, 'failed');
    assert.ok(!JSON.stringify(state).includes('q-secret-77') && !refusals[0]!.includes('q-secret-77'));
    await refused.stop();
  } finally {
    await node.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
