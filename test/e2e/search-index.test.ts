/**
 * `cairn log serve --search-index DIR|URL` end to end, with a real process, on PGlite (a
 * directory) and on a PostgreSQL server (a new database of CAIRN_TEST_PG_URL's server; skipped
 * without it, saying why): events submitted through
 * tRPC `events.submit` are indexed in the background (the log's `status` shows the lag reach 0,
 * /metrics and /readyz report the index), `events.search` with a reader token answers the hits
 * with event proofs that verify offline; after a restart the index resumes from its cursor — the
 * old events are found once each, new ones too (no duplicate, no gap). On the server, the
 * start-up lines name it without the password, and no line of the log's output holds it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createLogClient, type LogClient } from '@cairn/client';
import { verifyEventProof } from '@cairn/events';
import { parsePolicy } from '@cairn/formats';
import { TEST_BACKENDS, TEST_PG_URL, type TestDatabase } from '../../packages/index/src/test-databases.js';
import { cli, makeCluster, policyText, until, type Cluster } from './harness.js';

const ORIGIN = 'e2e.example/search-index';
/** How long log serve may take to open its index and print that it is ready. */
const INDEX_READY_BOUND_MS = 120_000;

function logon(i: number, user: string): string {
  return JSON.stringify({
    class_uid: 3002, category_uid: 3, activity_id: 1, type_uid: 300201, severity_id: 1, status_id: 1,
    time: Date.now() - 60_000 + i, metadata: { version: '1.3.0', product: { name: 'sshd' } }, user: { name: user },
  });
}

test('--search-index-scrub takes full or off, and only with --search-index', async () => {
  const base = ['log', 'serve', '--data', 'unused-data', '--key', 'unused.key', '--listen', '127.0.0.1:0'];
  const bad = await cli([...base, '--search-index', 'unused-index', '--search-index-scrub', 'sometimes']);
  assert.equal(bad.code, 2);
  assert.match(bad.err.join('\n'), /--search-index-scrub: full or off, not \\*"sometimes/);
  const alone = await cli([...base, '--search-index-scrub', 'off']);
  assert.equal(alone.code, 2);
  assert.match(alone.err.join('\n'), /--search-index-scrub needs --search-index/);
});

for (const backend of TEST_BACKENDS) {
  describe(`log serve --search-index on ${backend.name}`, { skip: backend.skip }, () => {
    let c: Cluster;
    let reader: LogClient;
    let target = '';
    let readerToken = '';
    let tdb: TestDatabase | undefined;

    before(async () => {
      c = await makeCluster(ORIGIN, 0);
      const r = await cli(['log', 'tokens', 'add', '--tokens', c.log.tokensFile, '--source', 'auditor', '--role', 'reader']);
      assert.equal(r.code, 0, r.err.join('\n'));
      readerToken = r.out[0]!;
      if (backend.name === 'PGlite') {
        target = join(c.dir, 'search-index');
      } else {
        tdb = await backend.create();
        target = tdb.url!;
      }
      await startLog();
    });
    after(async () => {
      await c?.close();
      await tdb?.drop();
    });

    async function startLog(): Promise<void> {
      await c.log.start({ extra: ['--search-index', target] });
      reader = createLogClient(c.log.url, { token: readerToken });
    }

    /** Waits until the index answers and has looked at every signed entry. */
    async function caughtUp(): Promise<{ cursor: string; size: string }> {
      let last: { state: string; cursor: string | null; size: string | null; lag: string | null } | null = null;
      await until('the search index catches up', async () => {
        last = (await c.log.status()).searchIndex;
        return last !== null && last.state === 'ready' && last.lag === '0';
      });
      return { cursor: last!.cursor!, size: last!.size! };
    }

    async function searchAll(query: string): Promise<string[]> {
      const out: string[] = [];
      let before: string | undefined;
      for (;;) {
        const page = await reader.events.search.query({ query, limit: 3, ...(before === undefined ? {} : { before }) });
        const policy = parsePolicy(policyText(c.log.vkey, [], 0));
        for (const h of page.hits) {
          const v = verifyEventProof(new TextEncoder().encode(h.proof), { policy });
          assert.equal(v.index.toString(), h.index, 'the proof is for the hit');
          out.push(h.index);
        }
        if (page.next === null) return out;
        before = page.next;
      }
    }

    test('events are indexed in the background, searched with proofs, and the index resumes after a restart', async () => {
      const at = backend.name === 'PGlite' ? 'PGlite in \\S+' : 'PostgreSQL postgres://[^:@/]+@[^/]+/cairn_test_\\w+';
      // Opening PGlite (compiling PostgreSQL's WASM, initdb on first use) is the heaviest start-up
      // step: on a loaded machine it can take longer than a server's usual bound.
      await c.log.proc!.line(new RegExp(`^search index ready: ${at} \\(indexed to \\d+ of \\d+, lag \\d+\\)$`), INDEX_READY_BOUND_MS);
      const writer = c.log.client();
      const first = await writer.events.submit.mutate({ events: [0, 1, 2, 3, 4].map((i) => logon(i, i % 2 === 0 ? 'alice' : 'bob')), wait: 'checkpoint' });
      const s1 = await caughtUp();
      assert.equal(BigInt(s1.cursor) >= 5n, true);

      const alice1 = await searchAll('user:alice');
      assert.deepEqual(alice1, [first.indices[4], first.indices[2], first.indices[0]]);

      const metrics = await (await fetch(`${c.log.url}/metrics`)).text();
      assert.match(metrics, /^cairn_search_index_ready\{origin="e2e\.example\/search-index"\} 1$/m);
      assert.match(metrics, /^cairn_search_index_lag_entries\{origin="e2e\.example\/search-index"\} 0$/m);
      assert.match(metrics, new RegExp(`^cairn_search_index_cursor\\{origin="e2e\\.example/search-index"\\} ${s1.cursor}$`, 'm'));
      const ready = await fetch(`${c.log.url}/readyz`);
      assert.equal(ready.status, 200);
      assert.equal(((await ready.json()) as { searchIndex: { state: string } }).searchIndex.state, 'ready');

      const human = await cli(['status', '--url', c.log.url]);
      assert.equal(human.code, 0, human.err.join('\n'));
      assert.match(human.out.join('\n'), new RegExp(`^search index\\s+indexed to ${s1.cursor} of ${s1.size} \\(lag 0\\)$`, 'm'));

      // Restart: the index reopens from its cursor; events submitted since are found, the old ones once.
      const stopped = await c.log.stop('SIGTERM');
      assert.equal(stopped.code, 0);
      await startLog();
      const second = await c.log.client().events.submit.mutate({ events: [5, 6].map((i) => logon(i, 'alice')), wait: 'checkpoint' });
      await caughtUp();
      const alice2 = await searchAll('user:alice');
      assert.deepEqual(alice2, [second.indices[1], second.indices[0], first.indices[4], first.indices[2], first.indices[0]]);
      assert.deepEqual(await searchAll('user:bob'), [first.indices[3], first.indices[1]]);
      if (backend.name === 'PostgreSQL') {
        const password = decodeURIComponent(new URL(TEST_PG_URL!).password);
        const output = [...c.log.proc!.stdout, ...c.log.proc!.stderr].join('\n');
        assert.match(output, /^search index PostgreSQL postgres:\/\/\S+ opening in the background/m);
        if (password !== '') assert.ok(!output.includes(password), 'the password is in no line of the output');
      }
    });
  });
}
