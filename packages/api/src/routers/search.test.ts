// events.search through createApiCaller: a real EventIndex (PGlite in a temporary directory) over
// the fake event store; every hit's event proof verifies offline under a policy; paging; a bad
// query points at its column; roles; a lying index is caught (hits that do not match, raw
// entries, hits outside the asked range), and an erased hit is dropped and rechecked.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyEventProof } from '@cairn/events';
import { parsePolicy, utf8Encode } from '@cairn/formats';
import { EventIndex, extractFields, matches, openPglite, parseQuery, type SqlDatabase } from '@cairn/index';
import { createApiCaller } from '../router.js';
import { TokenAuthenticator, type TokenRole } from '../auth.js';
import { errorCodeOf } from '../errors.js';
import { FakeEventStore, FakeLog } from '../testing/fake-log.js';
import type { ServedSearch } from '../served-log.js';
import { rejectsWith } from '../testing/rejects-with.js';

const sha256hex = (s: string) => createHash('sha256').update(s).digest('hex');
const TOKENS: Record<TokenRole, string> = { writer: 'cairn_writer-token', reader: 'cairn_reader-token', admin: 'cairn_admin-token' };
const NAMES: Record<TokenRole, string> = { writer: 'k8s-prod', reader: 'auditor', admin: 'dpo' };

function apiEvent(i: number, actor: string): string {
  return JSON.stringify({
    class_uid: 6003, category_uid: 6, activity_id: 2, type_uid: 600302, severity_id: 1, status_id: i % 2 === 0 ? 2 : 1,
    time: Date.UTC(2026, 10, 1) + i * 1000, metadata: { version: '1.3.0', product: { name: 'kubernetes' } },
    actor: { user: { name: actor } }, api: { operation: 'get' }, src_endpoint: { ip: '192.0.2.7' },
    resources: [{ type: 'secrets', name: `s-${i}`, namespace: i % 3 === 0 ? 'payments' : 'prod' }],
  });
}

let dir: string;
let db: SqlDatabase;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cairn-api-search-'));
  db = await openPglite(join(dir, 'index'));
});
after(async () => {
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

async function setup(opts: { search?: (real: EventIndex) => ServedSearch; noIndex?: boolean } = {}) {
  const node = new FakeLog();
  const events = new FakeEventStore(node);
  const tokens = new TokenAuthenticator({
    version: 1,
    tokens: (['writer', 'reader', 'admin'] as const).map((role) => ({
      source: NAMES[role], sha256: sha256hex(TOKENS[role]), quota: { entriesPerMinute: 100_000 }, ...(role === 'writer' ? {} : { role }),
    })),
  }, { clock: () => 1_000_000 });
  await db.exec('DROP TABLE IF EXISTS search_events; DROP TABLE IF EXISTS search_state;');
  const index = await EventIndex.open(db, { size: async () => node.latestCheckpoint()?.size ?? 0n, getEvent: (i) => events.getEvent(i) });
  const search = opts.search?.(index) ?? index;
  const as = (role: TokenRole) => createApiCaller({ node, tokens, events, ...(opts.noIndex ? {} : { search }), authorization: `Bearer ${TOKENS[role]}` });
  const policy = parsePolicy(`log ${node.verifierKey}\nquorum none\n`);
  return { node, events, index, policy, writer: as('writer'), reader: as('reader'), admin: as('admin') };
}

test('hits come newest first, each with an event proof that verifies offline; pages follow next', async () => {
  const { writer, reader, index, policy, node } = await setup();
  await writer.events.submit({ events: Array.from({ length: 30 }, (_, i) => apiEvent(i, i % 2 === 0 ? 'alice' : 'bob')) });
  await node.submit([utf8Encode('a raw entry')]);
  await index.catchUp();
  const query = 'actor:alice status:failure resource.namespace:payments';
  const q = parseQuery(query);
  const seen: string[] = [];
  let before: string | undefined;
  for (;;) {
    const page = await reader.events.search({ query, limit: 2, ...(before === undefined ? {} : { before }) });
    for (const hit of page.hits) {
      const v = verifyEventProof(utf8Encode(hit.proof), { policy });
      assert.equal(v.index.toString(), hit.index);
      assert.equal(page.treeSize, (await reader.log.checkpoint()).size);
      // The caller re-checks the match on the verified event: nothing taken from the index.
      const f = extractFields({ index: v.index, source: v.leaf.source, seq: v.leaf.seq, leaf: v.leafBytes, body: { canonical: v.event.canonical, salt: v.salt } });
      assert.ok(f !== undefined && matches(q, f));
      seen.push(hit.index);
    }
    if (page.next === null) break;
    before = page.next;
  }
  // i even and divisible by 3: 0, 6, 12, 18, 24 → indices 0, 6, 12, 18, 24 (the raw entry came last).
  assert.deepEqual(seen, ['24', '18', '12', '6', '0']);
});

test('a bad query is bad-query (400) pointing at the column; only readers and admins search; no index is 404', async () => {
  const { reader, writer, admin } = await setup();
  const e = await rejectsWith(reader.events.search({ query: 'actor:alice clas:x' }), 'BAD_REQUEST', /^column 13: unknown field/);
  assert.equal(errorCodeOf(e.cause), 'bad-query');
  assert.match(e.message, /\n  actor:alice clas:x\n {14}\^$/);
  await rejectsWith(reader.events.search({ query: '((((((((((((((((((((((((((((((((((a' }), 'BAD_REQUEST', /nested deeper/);
  await rejectsWith(reader.events.search({ query: 'x'.repeat(5000) }), 'BAD_REQUEST');
  await rejectsWith(reader.events.search({ query: '*', limit: 101 }), 'BAD_REQUEST');
  await rejectsWith(writer.events.search({ query: '*' }), 'FORBIDDEN');
  assert.deepEqual((await admin.events.search({ query: '*' })).hits, []);
  const none = await setup({ noIndex: true });
  const gone = await rejectsWith(none.reader.events.search({ query: '*' }), 'NOT_FOUND');
  assert.equal(errorCodeOf(gone.cause), 'no-search-index');
});

test('a lying index is caught: hits that do not match, raw entries and indices outside the range are left out', async () => {
  const { writer, reader, node, index } = await setup({
    search: (real) => ({
      async search(query, opts) {
        const page = await real.search(query, opts);
        // Adds a non-matching event (index 1: bob), a raw entry (index 4) and an index past `before`.
        return { ...page, hits: [{ index: opts.before! + 5n }, ...page.hits, { index: 1n }, { index: 4n }] };
      },
    }),
  });
  await writer.events.submit({ events: [apiEvent(0, 'alice'), apiEvent(1, 'bob'), apiEvent(2, 'alice'), apiEvent(3, 'bob')] });
  await node.submit([utf8Encode('raw')]);
  await writer.events.submit({ events: [apiEvent(5, 'alice')] });
  await index.catchUp();
  const page = await reader.events.search({ query: 'actor:alice' });
  // The genuine hits stay; everything the liar added is dropped.
  assert.deepEqual(page.hits.map((h) => h.index), ['5', '2', '0']);
});

test('an erased hit is left out and the index is asked to recheck it', async () => {
  const { writer, reader, admin, index } = await setup();
  await writer.events.submit({ events: [apiEvent(0, 'alice'), apiEvent(2, 'alice')] });
  await index.catchUp();
  assert.deepEqual((await reader.events.search({ query: 'actor:alice' })).hits.map((h) => h.index), ['1', '0']);
  await admin.events.erase({ indices: ['1'], reason: 'request 7' });
  // The index has not read the erasure record yet; the server finds the body gone.
  assert.deepEqual((await reader.events.search({ query: 'actor:alice' })).hits.map((h) => h.index), ['0']);
  assert.deepEqual((await index.search('actor:alice')).hits.map((h) => h.index), [0n], 'rechecked: the row is gone');
});
