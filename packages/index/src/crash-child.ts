/**
 * Test-only child process of crash.test.ts: indexes a seeded store into the PGlite directory or
 * the PostgreSQL URL given as argv[2], printing `batch <to>` after each commit, until it is killed. Each read from
 * the store yields to the event loop, so the kill lands anywhere: between batches, while reading,
 * or inside a transaction.
 */
import { EventIndex } from './event-index.js';
import { isPostgresUrl } from './pg-url.js';
import { openPglite } from './pglite.js';
import { seededStore } from './test-support.js';

const [dir, count, seed] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];
const store = seededStore(count, seed);
const slow = {
  size: () => store.size(),
  getEvent: async (i: bigint) => {
    await new Promise((r) => setImmediate(r));
    return store.getEvent(i);
  },
};
const db = isPostgresUrl(dir) ? await (await import('./pg.js')).openPostgres(dir) : await openPglite(dir);
const index = await EventIndex.open(db, slow, {
  batchSize: 7,
  hooks: { afterBatch: (_from, to) => void process.stdout.write(`batch ${to}\n`) },
});
process.stdout.write('open\n');
await index.catchUp();
process.stdout.write('done\n');
await new Promise(() => undefined); // wait to be killed
