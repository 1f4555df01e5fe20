// Erasure on disk (PGlite): after an event leaves the index and the database is closed, its
// distinctive user name is in no file of the PGlite directory (table, indexes, WAL, anything),
// while another event's name still is. Before the erasure the name is found, so the scan can see
// it. Two ways out: the node's `onErased` hook, and the log's erasure record read by catch-up.
// Without the scrub (`eraseScrub: 'off'`) the name stays on disk: the test would fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventIndex } from './event-index.js';
import { openPglite } from './pglite.js';
import { MemoryStore, T0 } from './test-support.js';

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
    await db.close();

    assert.deepEqual(await filesContaining(dir, user), [], 'the erased name is in no file');
    assert.ok((await filesContaining(dir, others[7]!)).length > 0, "another event's name is still there");
  });
}
