// The index on each database it runs on (test-databases.ts): PGlite in a temporary directory,
// and a PostgreSQL server when CAIRN_TEST_PG_URL names one (a new database for the run). One
// database per backend for the file (PGlite takes seconds to create one; each test starts from
// empty tables): results equal a brute-force scan on random events and random queries; values
// never reach the SQL text; a crash between the rows and the cursor loses nothing and duplicates
// nothing after reopening; erased events leave; pages stay stable while events arrive; lag and
// store failures. On the server also: two indexers on two connections never both advance, and a
// connection dropped mid-transaction fails that run clearly, after which the follower completes
// the index.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EventIndex, type SqlDatabase } from './event-index.js';
import { IndexError, QueryError } from './errors.js';
import { extractFields } from './fields.js';
import { startFollower } from './follower.js';
import { matches } from './match.js';
import { parseQuery } from './query.js';
import { MemoryStore, eventOf, eventSpec, queryText, type EventSpec } from './test-support.js';
import { TEST_BACKENDS, TEST_PG_URL, type TestDatabase } from './test-databases.js';

const NOW = Date.UTC(2026, 10, 4);

for (const backend of TEST_BACKENDS) {
  describe(`the index on ${backend.name}`, { skip: backend.skip }, () => {
    let tdb: TestDatabase;
    let db: SqlDatabase;

    before(async () => {
      tdb = await backend.create();
      db = await tdb.open();
    });
    after(async () => {
      await db?.close();
      await tdb?.drop();
    });

    /** An index over `store` on empty tables of the shared database. */
    async function fresh(store: MemoryStore, opts: Parameters<typeof EventIndex.open>[2] = {}): Promise<EventIndex> {
      await db.exec('DROP TABLE IF EXISTS search_events; DROP TABLE IF EXISTS search_state;');
      return EventIndex.open(db, store, opts);
    }

    /** Every matching index, newest first, by reading every event of the store. */
    async function bruteForce(store: MemoryStore, query: string): Promise<bigint[]> {
      const q = parseQuery(query, { now: NOW });
      const out: bigint[] = [];
      for (let i = (await store.size()) - 1n; i >= 0n; i--) {
        const e = await store.getEvent(i);
        const f = e === undefined ? undefined : extractFields(e);
        if (f !== undefined && matches(q, f)) out.push(i);
      }
      return out;
    }

    /** Every hit of a query, page by page. */
    async function allHits(index: EventIndex, query: string, limit: number): Promise<bigint[]> {
      const out: bigint[] = [];
      let before: bigint | undefined;
      for (;;) {
        const page = await index.search(query, { now: NOW, limit, ...(before === undefined ? {} : { before }) });
        out.push(...page.hits.map((h) => h.index));
        if (page.next === undefined) return out;
        before = page.next;
      }
    }

    function fill(store: MemoryStore, specs: EventSpec[], raw: boolean[]): void {
      specs.forEach((s, i) => {
        if (raw[i] === true) store.addRaw();
        store.add(s.source, eventOf(s));
      });
    }

    test('results equal a brute-force scan: random events, random queries, random batch sizes and pages', async () => {
      // Queries that match some events and not others are the ones that test something. Counted on
      // stores of 5 events or more: fast-check favours short arrays, and on a store of one or two
      // events few queries can tell any apart (counting those made this check fail ~1 run in 6).
      let queriesRun = 0;
      let discriminating = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(eventSpec, { minLength: 1, maxLength: 60 }),
          fc.array(fc.boolean(), { maxLength: 60 }),
          fc.array(queryText, { minLength: 15, maxLength: 15 }),
          fc.integer({ min: 1, max: 40 }),
          fc.integer({ min: 1, max: 25 }),
          fc.integer({ min: 1, max: 80 }),
          fc.integer({ min: 1, max: 80 }),
          async (specs, raw, queries, batchSize, limit, analyzeAfter, searchWalk) => {
            const store = new MemoryStore();
            fill(store, specs, raw);
            // With and without planner statistics (ANALYZE runs once the cursor passes analyzeAfter),
            // pages found in the first walk, past it, or across both.
            const index = await fresh(store, { batchSize, analyzeAfter, searchWalk });
            await index.catchUp();
            assert.equal(await index.cursor(), await store.size());
            const events = (await bruteForce(store, '*')).length;
            for (const q of queries) {
              const expected = await bruteForce(store, q);
              assert.deepEqual(await allHits(index, q, limit), expected, q);
              if (events < 5) continue;
              queriesRun++;
              if (expected.length > 0 && expected.length < events) discriminating++;
            }
          },
        ),
        { numRuns: 12 },
      );
      assert.ok(discriminating * 4 >= queriesRun, `only ${discriminating} of ${queriesRun} random queries told events apart`);
    });

    test('the hand-picked queries of the brief find what they should', async () => {
      const store = new MemoryStore();
      const base: EventSpec = { source: 'k8s-prod', classUid: 6003, activity: 1, status: 2, severity: 1, dt: 0, actor: { name: 'alice' }, op: 'get', resources: [{ namespace: 'payments' }], message: [] };
      const hit = store.add('k8s-prod', eventOf(base));
      store.add('k8s-prod', eventOf({ ...base, status: 1 }));
      store.add('k8s-prod', eventOf({ ...base, actor: { name: 'bob' } }));
      store.add('k8s-prod', eventOf({ ...base, resources: [{ namespace: 'prod' }] }));
      const index = await fresh(store);
      await index.catchUp();
      const q = 'actor:alice class:api_activity status:failure resource.namespace:payments';
      assert.deepEqual(await allHits(index, q, 10), [hit]);
      assert.deepEqual(await allHits(index, `${q} time>=2026-11-01 time<now`, 10), [hit]);
      assert.deepEqual(await allHits(index, `${q} time<2026-11-01`, 10), []);
    });

    test('values never reach the SQL text: injection attempts are searched for, literally', async () => {
      const hostile = ["x' OR '1'='1", "'); DROP TABLE search_events; --", '$1', '\\', '"', "robert'); delete from search_state; --", '{a,b}', 'NULL'];
      const store = new MemoryStore();
      const indices = hostile.map((name) => store.add('bastion', eventOf({ source: 'bastion', classUid: 6003, activity: 1, severity: 1, dt: 0, actor: { name }, op: name, resources: [{ name }], message: [] })));
      const index = await fresh(store);
      await index.catchUp();
      const quote = (s: string): string => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
      for (const [k, name] of hostile.entries()) {
        assert.deepEqual(await allHits(index, `actor:${quote(name)}`, 50), [indices[k]!], name);
        assert.deepEqual(await allHits(index, `api.operation:${quote(name)}`, 50), [indices[k]!], name);
        assert.deepEqual(await allHits(index, `resource.name:${quote(name)}`, 50), [indices[k]!], name);
        const expected = await bruteForce(store, quote(name + ' x'));
        assert.deepEqual(await allHits(index, quote(name + ' x'), 50), expected);
      }
      await assert.rejects(allHits(index, "'); DROP TABLE search_events; --", 50), (e: unknown) => e instanceof QueryError && e.code === 'bad-value');
      const status = await index.status({ countRows: true });
      assert.equal(status.rows, BigInt(hostile.length), 'the table is still there, whole');
      assert.equal(status.cursor, BigInt(hostile.length));
    });

    test('a crash before the cursor moves rolls the batch back; after reopening, indexing resumes and nothing is missing or doubled', async () => {
      const store = new MemoryStore();
      fc.sample(eventSpec, { numRuns: 50, seed: 7 }).forEach((s, i) => {
        if (i % 7 === 3) store.addRaw();
        store.add(s.source, eventOf(s));
      });
      const size = await store.size();
      // Crash 1: inside the transaction, after the rows of [20, 30) were written, before the cursor.
      let index = await fresh(store, {
        batchSize: 10,
        hooks: { beforeCursor: (from) => { if (from === 20n) throw new Error('crash'); } },
      });
      await assert.rejects(index.catchUp(), (e: unknown) => e instanceof IndexError && e.code === 'database');
      assert.equal(await index.cursor(), 20n);
      const rows = await db.query<{ n: bigint; top: bigint | null }>('SELECT count(*) AS n, max(idx) AS top FROM search_events');
      assert.ok(rows.rows[0]!.top! < 20n, 'no row past the cursor');
      assert.equal(BigInt(rows.rows[0]!.n), BigInt((await bruteForce(store, '*')).filter((i) => i < 20n).length));
      // The process dies: close and reopen the database.
      await db.close();
      db = await tdb.open();
      // Crash 2: after the batch [20, 30) committed.
      index = await EventIndex.open(db, store, { batchSize: 10, hooks: { afterBatch: (from) => { if (from === 20n) throw new Error('crash'); } } });
      assert.equal(await index.cursor(), 20n, 'the cursor survived');
      await assert.rejects(index.catchUp(), /crash/);
      assert.equal(await index.cursor(), 30n);
      await db.close();
      db = await tdb.open();
      index = await EventIndex.open(db, store, { batchSize: 10 });
      const done = await index.catchUp();
      assert.equal(done.cursor, size);
      assert.deepEqual(await allHits(index, '*', 1000), await bruteForce(store, '*'));
      for (const q of fc.sample(queryText, { numRuns: 20, seed: 11 })) assert.deepEqual(await allHits(index, q, 1000), await bruteForce(store, q), q);
    });

    test('a store that fails stops the run with the cursor where it was; the next run goes on', async () => {
      const store = new MemoryStore();
      for (const s of fc.sample(eventSpec, { numRuns: 30, seed: 3 })) store.add(s.source, eventOf(s));
      store.failAt = 17n;
      const index = await fresh(store, { batchSize: 5 });
      await assert.rejects(index.catchUp(), (e: unknown) => e instanceof IndexError && e.code === 'store');
      assert.equal(await index.cursor(), 15n);
      assert.deepEqual(await index.status({ countRows: true }), { cursor: 15n, size: 30n, lag: 15n, rows: 15n, skipped: 0n });
      store.failAt = undefined;
      await index.catchUp();
      assert.deepEqual(await index.status({ countRows: true }), { cursor: 30n, size: 30n, lag: 0n, rows: 30n, skipped: 0n });
    });

    test('erased events leave the index: through the hook, through a recheck, and before they were ever indexed', async () => {
      const store = new MemoryStore();
      for (const s of fc.sample(eventSpec, { numRuns: 20, seed: 5 })) store.add(s.source, eventOf(s));
      const index = await fresh(store);
      await index.catchUp();
      store.erase(2n);
      store.erase(5n);
      assert.equal(await index.onErased([2n, 5n, 99n]), 2);
      store.erase(7n);
      assert.equal(await index.recheck([7n, 8n]), 1, 'only the erased one is removed');
      // Erased before being indexed: never indexed.
      const later = store.add('ci', eventOf(fc.sample(eventSpec, { numRuns: 1, seed: 1 })[0]!));
      store.erase(later);
      await index.catchUp();
      const all = await allHits(index, '*', 1000);
      for (const gone of [2n, 5n, 7n, later]) assert.ok(!all.includes(gone), `${gone} is gone`);
      assert.deepEqual(all, await bruteForce(store, '*'));
      // A rebuild gives the same index.
      await index.rebuild();
      assert.deepEqual(await allHits(index, '*', 1000), all);
    });

    test('paging is stable while new events arrive: no hit twice, none missed', async () => {
      const store = new MemoryStore();
      const specs = fc.sample(eventSpec, { numRuns: 60, seed: 9 });
      for (const s of specs.slice(0, 40)) store.add(s.source, eventOf(s));
      const index = await fresh(store, { searchWalk: 5 });
      await index.catchUp();
      const expected = await bruteForce(store, '*');
      const seen: bigint[] = [];
      let page = await index.search('*', { limit: 7 });
      seen.push(...page.hits.map((h) => h.index));
      let k = 40;
      while (page.next !== undefined) {
        // New events commit and are indexed between pages.
        for (const s of specs.slice(k, k + 5)) store.add(s.source, eventOf(s));
        k += 5;
        await index.catchUp();
        page = await index.search('*', { limit: 7, before: page.next });
        seen.push(...page.hits.map((h) => h.index));
      }
      assert.deepEqual(seen, expected);
      assert.equal(page.indexedTo, await store.size());
    });

    test('lag, bounds and the schema version', async () => {
      const store = new MemoryStore();
      for (const s of fc.sample(eventSpec, { numRuns: 12, seed: 2 })) store.add(s.source, eventOf(s));
      store.addRaw();
      const index = await fresh(store, { batchSize: 4 });
      assert.deepEqual(await index.status({ countRows: true }), { cursor: 0n, size: 13n, lag: 13n, rows: 0n, skipped: 0n });
      await index.catchUp({ maxBatches: 2 });
      assert.deepEqual(await index.status(), { cursor: 8n, size: 13n, lag: 5n, skipped: 0n }, 'no row count unless asked');
      await index.catchUp();
      assert.deepEqual(await index.status({ countRows: true }), { cursor: 13n, size: 13n, lag: 0n, rows: 12n, skipped: 0n });
      await assert.rejects(index.search('*', { limit: 0 }), (e: unknown) => e instanceof IndexError && e.code === 'bad-option');
      await assert.rejects(index.search('*', { limit: 1001 }), (e: unknown) => e instanceof IndexError && e.code === 'bad-option');
      await assert.rejects(index.search('actor:'), (e: unknown) => e instanceof QueryError && e.column === 7);
      await assert.rejects(EventIndex.open(db, store, { batchSize: 0 }), (e: unknown) => e instanceof IndexError && e.code === 'bad-option');
      await db.query('UPDATE search_state SET schema_version = 99');
      await assert.rejects(EventIndex.open(db, store), (e: unknown) => e instanceof IndexError && e.code === 'schema');
      await db.query('UPDATE search_state SET schema_version = 0');
      await assert.rejects(EventIndex.open(db, store), (e: unknown) => e instanceof IndexError && e.code === 'schema');
    });

    test('statistics: ANALYZE runs after analyzeAfter entries, then at 20% growth, and is recorded', async () => {
      const store = new MemoryStore();
      for (const s of fc.sample(eventSpec, { numRuns: 40, seed: 5 })) store.add(s.source, eventOf(s));
      const index = await fresh(store, { batchSize: 4, analyzeAfter: 10 });
      const state = async () => {
        const r = await db.query<{ analyzed_to: bigint; reltuples: number }>(
          `SELECT analyzed_to, (SELECT reltuples FROM pg_class WHERE oid = 'search_events'::regclass) AS reltuples FROM search_state`,
        );
        return { analyzedTo: BigInt(r.rows[0]!.analyzed_to), rows: Number(r.rows[0]!.reltuples) };
      };
      assert.deepEqual(await state(), { analyzedTo: 0n, rows: -1 }, 'never analyzed');
      await index.catchUp({ maxBatches: 2 });
      assert.deepEqual(await state(), { analyzedTo: 0n, rows: -1 }, '8 entries: not yet');
      await index.catchUp({ maxBatches: 1 });
      assert.deepEqual(await state(), { analyzedTo: 12n, rows: 12 }, 'the batch that passed 10 entries');
      await index.catchUp();
      // 12 → 24 → 36 (each 10 or more past the last), then 40 is only 4 past 36.
      assert.deepEqual(await state(), { analyzedTo: 36n, rows: 36 });
      await index.rebuild();
      // The rebuild emptied the table (its scrub counts 0 rows) and analyzed again from 0.
      assert.deepEqual(await state(), { analyzedTo: 36n, rows: 36 }, 'a rebuild starts the schedule again');
      assert.equal(await index.cursor(), 40n);
    });

    test('an index of schema version 1 is migrated in place: same rows, the status index added, results unchanged', async () => {
      const store = new MemoryStore();
      for (const s of fc.sample(eventSpec, { numRuns: 50, seed: 8 })) store.add(s.source, eventOf(s));
      const index = await fresh(store, { batchSize: 7 });
      await index.catchUp();
      // What version 1 wrote: no status index, no analyzed_to.
      await db.exec('DROP INDEX search_events_status; ALTER TABLE search_state DROP COLUMN analyzed_to; UPDATE search_state SET schema_version = 1');
      const reopened = await EventIndex.open(db, store);
      const v = await db.query<{ schema_version: number; analyzed_to: bigint }>('SELECT schema_version, analyzed_to FROM search_state');
      assert.deepEqual(v.rows, [{ schema_version: 2, analyzed_to: 0n }]);
      const ix = await db.query<{ n: bigint }>(`SELECT count(*) AS n FROM pg_indexes WHERE indexname = 'search_events_status'`);
      assert.equal(ix.rows[0]!.n, 1n);
      assert.equal(await reopened.cursor(), 50n);
      for (const q of ['status:failure', 'status:success class:authentication', 'NOT status:1', '*']) {
        const expected = await bruteForce(store, q);
        assert.ok(q === '*' || (expected.length > 0 && expected.length < 50), `${q} tells events apart`);
        assert.deepEqual(await allHits(reopened, q, 9), expected, q);
      }
    });

    const serverOnly = backend.name === 'PGlite' ? 'PGlite: one connection per database, nothing to race or drop' : false;

    test('a search that runs past the search timeout is cancelled with a clear error; the setting stays with that search', { skip: serverOnly }, async () => {
      const store = new MemoryStore();
      for (const s of fc.sample(eventSpec, { numRuns: 20, seed: 29 })) store.add(s.source, eventOf(s));
      await assert.rejects(fresh(store, { searchTimeoutMs: -1 }), (e: unknown) => e instanceof IndexError && e.code === 'bad-option' && /searchTimeoutMs/.test(e.message));
      const index = await fresh(store, { searchTimeoutMs: 300 });
      await index.catchUp();
      // Another connection holds the table: the search waits on it until its timeout cancels it.
      const db2 = await tdb.open();
      let release!: () => void;
      const released = new Promise<void>((r) => { release = r; });
      let locked!: () => void;
      const isLocked = new Promise<void>((r) => { locked = r; });
      const holder = db2.transaction(async (tx) => {
        await tx.query('LOCK TABLE search_events IN ACCESS EXCLUSIVE MODE');
        locked();
        await released;
      });
      try {
        await isLocked;
        const e = await index.search('*').then(() => assert.fail('the search was not cancelled'), (x: unknown) => x);
        assert.ok(e instanceof IndexError && e.code === 'database', String(e));
        assert.equal(e.message, "search stopped: it ran longer than the index's search timeout (300 ms); narrow the query (a source, a time range)");
      } finally {
        release();
        await holder;
        await db2.close();
      }
      assert.deepEqual(await allHits(index, '*', 1000), await bruteForce(store, '*'));
      // SET LOCAL: no connection of the pool keeps the search's timeout.
      const settings = await Promise.all([1, 2, 3, 4].map(() => db.query<{ statement_timeout: string }>('SHOW statement_timeout')));
      assert.deepEqual(settings.map((r) => r.rows[0]!.statement_timeout), ['0', '0', '0', '0']);
    });

    test('two indexers on two connections: only one advances the cursor, the other fails and its batch rolls back', { skip: serverOnly }, async () => {
      const store = new MemoryStore();
      for (const s of fc.sample(eventSpec, { numRuns: 30, seed: 13 })) store.add(s.source, eventOf(s));
      let release!: () => void;
      const released = new Promise<void>((r) => { release = r; });
      let inBatch!: () => void;
      const aInBatch = new Promise<void>((r) => { inBatch = r; });
      // Both open before either writes (creating the schema waits for a writer's table lock).
      const a = await fresh(store, { batchSize: 100, hooks: { beforeCursor: async () => { inBatch(); await released; } } });
      const db2 = await tdb.open();
      try {
        let reading!: () => void;
        const bReading = new Promise<void>((r) => { reading = r; });
        const b = await EventIndex.open(db2, { size: () => store.size(), getEvent: (i) => { reading(); return store.getEvent(i); } }, { batchSize: 100 });
        const aRun = a.catchUp();
        await aInBatch; // A wrote its rows; its cursor has not moved
        // B's failure is taken as it comes (it may come before A's run ends).
        const bRun = b.catchUp().then(() => assert.fail('the second indexer advanced too'), (e: unknown) => e);
        await bReading; // B read the cursor as 0 and is building the same batch
        release();
        assert.deepEqual(await aRun, { indexed: 30, cursor: 30n });
        const e = await bRun;
        assert.ok(e instanceof IndexError && e.code === 'database', String(e));
        assert.equal(await b.cursor(), 30n);
        assert.deepEqual(await allHits(b, '*', 1000), await bruteForce(store, '*'));
        assert.deepEqual(await b.status({ countRows: true }), { cursor: 30n, size: 30n, lag: 0n, rows: 30n, skipped: 0n });
      } finally {
        await db2.close();
      }
    });

    test('a connection dropped inside a batch fails that run clearly, without the password; the follower retries and completes the index', { skip: serverOnly }, async () => {
      const store = new MemoryStore();
      for (const s of fc.sample(eventSpec, { numRuns: 50, seed: 17 })) store.add(s.source, eventOf(s));
      const size = await store.size();
      let dropped = 0;
      const index = await fresh(store, {
        batchSize: 10,
        hooks: {
          beforeCursor: async (from) => {
            if (from !== 20n || dropped > 0) return;
            // The server ends every connection of the index (waiting until they are gone): the
            // rows of [20, 30) are written, the cursor not yet.
            const r = await tdb.admin!(`SELECT pg_terminate_backend(pid, 10000) AS ok FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'cairn-index'`);
            dropped = r.length;
          },
        },
      });
      const errors: IndexError[] = [];
      const follower = startFollower(index, { intervalMs: 10, onError: (e) => errors.push(e) });
      try {
        // This wait's own reads may meet an idle connection the server ended (the pool drops it
        // once its socket says so): such a read counts as not there yet.
        for (let i = 0; i < 1000 && (await index.cursor().catch(() => -1n)) < size; i++) await new Promise((r) => setTimeout(r, 10));
      } finally {
        await follower.stop();
      }
      assert.ok(dropped >= 1, 'the connection in the transaction was ended');
      assert.ok(errors.length >= 1, 'the failed run was reported');
      const password = decodeURIComponent(new URL(TEST_PG_URL!).password);
      for (const e of errors) {
        assert.equal(e.code, 'database');
        assert.match(e.message, /^index database unavailable: PostgreSQL postgres:\/\/\S*\/cairn_test_\w+: /);
        if (password !== '') assert.ok(!e.message.includes(password), 'no password in the message');
      }
      assert.equal(await index.cursor(), size);
      assert.deepEqual(await allHits(index, '*', 1000), await bruteForce(store, '*'));
      for (const q of fc.sample(queryText, { numRuns: 10, seed: 19 })) assert.deepEqual(await allHits(index, q, 1000), await bruteForce(store, q), q);
    });
  });
}
