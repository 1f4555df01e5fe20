// A real crash: a child process indexing into a PGlite directory (or a PostgreSQL server's
// database, when CAIRN_TEST_PG_URL is set) is killed with SIGKILL in the middle of its run; the
// parent reopens the database and finds the rows consistent with the cursor (every event below it
// indexed, none at or past it), then catches up to a complete index.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { EventIndex } from './event-index.js';
import { extractFields } from './fields.js';
import { seededStore } from './test-support.js';
import { TEST_BACKENDS } from './test-databases.js';

const COUNT = 1000;
const SEED = 42;

for (const backend of TEST_BACKENDS) {
  test(`SIGKILL mid-indexing on ${backend.name}: after reopening, rows match the cursor exactly, and catching up completes the index`, { skip: backend.skip }, async (t) => {
    const tdb = await backend.create();
    t.after(() => tdb.drop());
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', fileURLToPath(new URL('./crash-child.ts', import.meta.url)), tdb.target, String(COUNT), String(SEED)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    // Kill after a few committed batches, at a moment the child does not choose.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the child did not index in time')), 120_000);
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if ((out.match(/^batch /gm) ?? []).length >= 5) {
          clearTimeout(timer);
          setTimeout(() => { child.kill('SIGKILL'); resolve(); }, 3);
        }
      });
    });
    assert.equal(await exited, 'SIGKILL');

    const store = seededStore(COUNT, SEED);
    const size = await store.size();
    const db = await tdb.open();
    try {
      const index = await EventIndex.open(db, store, { batchSize: 50 });
      const cursor = await index.cursor();
      assert.ok(cursor >= 35n && cursor < size, `killed mid-run (cursor ${cursor} of ${size})`);
      const rows = (await db.query<{ idx: bigint }>('SELECT idx FROM search_events ORDER BY idx')).rows.map((r) => r.idx);
      const expected: bigint[] = [];
      for (let i = 0n; i < cursor; i++) {
        const e = await store.getEvent(i);
        if (e !== undefined && extractFields(e) !== undefined) expected.push(i);
      }
      assert.deepEqual(rows, expected, 'exactly the events below the cursor');
      await index.catchUp();
      const all = (await db.query<{ idx: bigint }>('SELECT idx FROM search_events ORDER BY idx')).rows.map((r) => r.idx);
      assert.equal(all.length, COUNT);
      assert.equal(await index.cursor(), size);
    } finally {
      await db.close();
    }
  });
}
