// Erasure on disk (PGlite): after an event leaves the index and the database is closed, its
// distinctive user name is in no file of the PGlite directory (table, indexes, WAL, anything),
// while another event's name still is. Before the erasure the name is found, so the scan can see
// it. Two ways out: the node's `onErased` hook, and the log's erasure record read by catch-up.
// Without the scrub (`eraseScrub: 'off'`) the name stays on disk: the test would fail.
// On a PostgreSQL server (CAIRN_TEST_PG_URL, a superuser: it reads the server's files through
// pg_ls_dir and pg_read_binary_file) the same for every file of the test's database directory,
// and with `eraseScrub: 'off'` the name is shown to stay there (the server's operator's job).
// The scrub's session setting (`wal_recycle = off`) is gone afterwards from every connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventIndex } from './event-index.js';
import { openPglite } from './pglite.js';
import { MemoryStore, T0 } from './test-support.js';
import { TEST_BACKENDS, type TestDatabase } from './test-databases.js';

const randomName = (): string => `u-${Buffer.from(crypto.getRandomValues(new Uint8Array(12))).toString('hex')}`;

/** Every file under `dir` (recursively) whose bytes contain `needle`. */
async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const b = Buffer.from(needle);
  const hits: string[] = [];
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath, e.name);
    if ((await readFile(p)).indexOf(b) >= 0) hits.push(p.slice(dir.length));
  }
  return hits;
}

function logon(user: string, i: number) {
  return {
    class_uid: 3002, category_uid: 3, activity_id: 1, type_uid: 300201, severity_id: 1, status_id: 1, time: T0 + i,
    metadata: { version: '1.3.0', product: { name: 'sshd' } }, user: { name: user }, src_endpoint: { ip: '192.0.2.7' },
    message: `logon of ${user}`,
  };
}

for (const how of ['the onErased hook', 'the erasure record']) {
  test(`an erased event's user name leaves every file of the PGlite directory: through ${how}`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'cairn-index-erase-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const store = new MemoryStore();
    const user = randomName();
    const others = Array.from({ length: 200 }, randomName);
    const target = store.add('bastion', logon(user, 0));
    others.forEach((n, i) => store.add('bastion', logon(n, i + 1)));

    let db = await openPglite(dir);
    let index = await EventIndex.open(db, store);
    await index.catchUp();
    await db.close();
    assert.ok((await filesContaining(dir, user)).length > 0, 'before erasure the name is on disk (the scan can see it)');

    db = await openPglite(dir);
    index = await EventIndex.open(db, store);
    store.erase(target);
    if (how === 'the onErased hook') {
      assert.equal(await index.onErased([target]), 1);
    } else {
      store.add('cairn', {
        class_uid: 1008, category_uid: 1, activity_id: 2, type_uid: 100802, severity_id: 1, status_id: 1, time: T0 + 999,
        metadata: { version: '1.3.0', product: { name: 'cairn' } }, unmapped: { erased_indices: [String(target)] },
      });
      await index.catchUp();
    }
    assert.deepEqual((await index.search(`user:${user}`)).hits, []);
    // The scrub's `wal_recycle = off` ended with it: the connection is back as it was.
    assert.deepEqual((await db.query('SHOW wal_recycle')).rows, [{ wal_recycle: 'on' }]);
    await db.close();

    assert.deepEqual(await filesContaining(dir, user), [], 'the erased name is in no file');
    assert.ok((await filesContaining(dir, others[7]!)).length > 0, "another event's name is still there");
  });
}

/** Every file of the test database's directory on the server whose bytes contain `needle`. */
async function serverFilesContaining(tdb: TestDatabase, needle: string): Promise<string[]> {
  await tdb.admin!('CHECKPOINT'); // what is in shared buffers, to the files
  const rows = await tdb.admin!(
    `SELECT f FROM (SELECT 'base/' || d.oid || '/' || pg_ls_dir('base/' || d.oid) AS f FROM pg_database d WHERE d.datname = current_database()) files
     WHERE position(convert_to($1, 'UTF8') IN coalesce(pg_read_binary_file(f, 0, coalesce((pg_stat_file(f, true)).size, 0), true), ''::bytea)) > 0`,
    [needle],
  );
  return rows.map((r) => (r as { f: string }).f);
}

const server = TEST_BACKENDS.find((b) => b.name === 'PostgreSQL')!;
for (const scrub of ['full', 'off'] as const) {
  const what = scrub === 'full' ? "leaves every file of the server's database directory" : 'stays in the files: the operator scrubs';
  test(`on a PostgreSQL server, eraseScrub '${scrub}': an erased event's user name ${what}`, { skip: server.skip }, async (t) => {
    const tdb = await server.create();
    t.after(() => tdb.drop());
    const su = await tdb.admin!('SELECT rolsuper FROM pg_roles WHERE rolname = current_user');
    if ((su[0] as { rolsuper: boolean }).rolsuper !== true) {
      t.skip("the CAIRN_TEST_PG_URL role is not a superuser: the test cannot read the server's files");
      return;
    }
    const store = new MemoryStore();
    const user = randomName();
    const others = Array.from({ length: 200 }, randomName);
    const target = store.add('bastion', logon(user, 0));
    others.forEach((n, i) => store.add('bastion', logon(n, i + 1)));
    const db = await tdb.open();
    try {
      const index = await EventIndex.open(db, store, { eraseScrub: scrub });
      await index.catchUp();
      assert.ok((await serverFilesContaining(tdb, user)).length > 0, 'before erasure the name is on disk (the scan can see it)');
      store.erase(target);
      assert.equal(await index.onErased([target]), 1);
      assert.deepEqual((await index.search(`user:${user}`)).hits, []);
      // Every pooled connection (four queries at once hold all four) has `wal_recycle` as it was:
      // the scrub's setting ended with it, on the one connection it ran on.
      const settings = await Promise.all([1, 2, 3, 4].map(() => db.query<{ wal_recycle: string }>('SHOW wal_recycle')));
      assert.deepEqual(settings.map((r) => r.rows[0]!.wal_recycle), ['on', 'on', 'on', 'on']);
      if (scrub === 'full') assert.deepEqual(await serverFilesContaining(tdb, user), [], 'the erased name is in no file');
      else assert.ok((await serverFilesContaining(tdb, user)).length > 0, "'off' leaves the bytes where they were");
      assert.ok((await serverFilesContaining(tdb, others[7]!)).length > 0, "another event's name is still there");
    } finally {
      await db.close();
    }
  });
}
