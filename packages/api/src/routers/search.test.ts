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
import { parseEvent, parseLeaf, verifyEventProof } from '@cairn/events';
import { leafHash, verifyInclusion } from '@cairn/merkle';
import { decodeBase64Strict, parseProofBundle, parsePolicy, utf8Encode, verifyCheckpointUnderPolicy } from '@cairn/formats';
import { EventIndex, extractFields, matches, openPglite, parseQuery, type SqlDatabase } from '@cairn/index';
import { matchesLeaf } from '@cairn/index/query';
import { createApiCaller } from '../router.js';
import { TokenAuthenticator, type TokenRole } from '../auth.js';
import { errorCodeOf } from '../errors.js';
import { FakeEventStore, FakeLog } from '../testing/fake-log.js';
import type { ServedSearch } from '../served-log.js';
import { rejectsWith } from '../testing/rejects-with.js';
import { MAX_COMPLETE_PAGE_BYTES } from './complete.js';

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

/**
 * Two sources interleaved: k8s-prod (the writer's) and bastion (submitted to the store directly).
 * Event i of k8s-prod has seq i, time T0 + i s, actor alice for even i; bastion's events come
 * between them with times that do not move forward.
 */
async function twoSources(n: number) {
  const ctx = await setup();
  for (let i = 0; i < n; i++) {
    await ctx.writer.events.submit({ events: [apiEvent(i, i % 2 === 0 ? 'alice' : 'bob')] });
    await ctx.events.submitEvents('bastion', [{ event: parseEvent(utf8Encode(apiEvent(1000 - i, 'carol'))) }]);
  }
  await ctx.index.catchUp();
  return ctx;
}

type Page = Awaited<ReturnType<Awaited<ReturnType<typeof setup>>['reader']['events']['search']>>;

/** Every page of a completeness answer, each leaf checked as a client would; returns what each seq turned out to be. */
async function proveAll(ctx: Awaited<ReturnType<typeof setup>>, query: string, limit: number): Promise<{ pages: Page[]; seqs: Map<bigint, string> }> {
  const q = parseQuery(query);
  const pages: Page[] = [];
  const seqs = new Map<bigint, string>();
  let before: string | undefined;
  for (;;) {
    const page = await ctx.reader.events.search({ query, limit, complete: true, ...(before === undefined ? {} : { before }) });
    pages.push(page);
    const c = page.complete!;
    for (const h of page.hits) {
      const v = verifyEventProof(utf8Encode(h.proof), { policy: ctx.policy });
      const f = extractFields({ index: v.index, source: v.leaf.source, seq: v.leaf.seq, leaf: v.leafBytes, body: { canonical: v.event.canonical, salt: v.salt } })!;
      assert.ok(matches(q, f) && v.leaf.source === c.source);
      assert.ok(!seqs.has(v.leaf.seq));
      seqs.set(v.leaf.seq, 'hit');
    }
    for (const l of c.leaves) {
      let leafBytes: Uint8Array;
      if (l.kind === 'event') {
        const v = verifyEventProof(utf8Encode(l.proof!), { policy: ctx.policy });
        const f = extractFields({ index: v.index, source: v.leaf.source, seq: v.leaf.seq, leaf: v.leafBytes, body: { canonical: v.event.canonical, salt: v.salt } })!;
        assert.ok(!matches(q, f));
        leafBytes = v.leafBytes;
      } else {
        leafBytes = decodeBase64Strict(l.leaf!);
        const b = parseProofBundle(l.bundle!);
        const cp = verifyCheckpointUnderPolicy(b.checkpoint, ctx.policy).checkpoint;
        verifyInclusion(b.index, cp.size, leafHash(leafBytes), b.proof, cp.rootHash);
        assert.deepEqual([b.index.toString(), cp.size.toString()], [l.index, page.treeSize]);
      }
      const leaf = parseLeaf(leafBytes);
      assert.equal(leaf.seq.toString(), l.seq);
      assert.equal(leaf.source, c.source);
      if (l.kind === 'leaf') assert.equal(matchesLeaf(q, { source: leaf.source, seq: leaf.seq, time: Number(leaf.time), class_uid: Number(leaf.classUid) }), false);
      assert.ok(!seqs.has(leaf.seq));
      seqs.set(leaf.seq, l.kind);
    }
    if (c.span !== null) {
      assert.ok(page.hits.length <= limit);
      assert.equal(page.hits.length + c.leaves.length, Number(BigInt(c.span.to) - BigInt(c.span.from) + 1n), 'every seq of the span, once');
    }
    if (page.next === null) return { pages, seqs };
    before = page.next;
  }
}

test('complete: every leaf of one source\'s seq range, proven, across pages; the other source never shows', async () => {
  const ctx = await twoSources(12);
  const { pages, seqs } = await proveAll(ctx, 'source:k8s-prod seq>=2 seq<10 actor:alice', 2);
  assert.deepEqual([...seqs.keys()].sort((a, b) => Number(a - b)), [2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n]);
  assert.deepEqual([...seqs.entries()].filter(([, k]) => k === 'hit').map(([s]) => s), [8n, 6n, 4n, 2n], 'newest first');
  assert.ok([...seqs.values()].filter((k) => k === 'event').length === 4, 'bob\'s events: the body decides, so it comes with them');
  assert.ok(pages.length >= 2);
  for (const p of pages) assert.deepEqual([p.complete!.low, p.complete!.high, p.complete!.range], ['bound', 'bound', { from: '2', to: '9' }]);
  // The leaf alone decides for a time filter: leaf-only proofs.
  const t = await proveAll(ctx, `source:bastion seq<=5 time>=${Date.UTC(2026, 10, 1) + 997_000}`, 100);
  assert.deepEqual([...t.seqs.entries()].sort((a, b) => Number(a[0] - b[0])).map(([, k]) => k), ['hit', 'hit', 'hit', 'hit', 'leaf', 'leaf']);
  // Open high end: the head, which the client cannot check.
  const h = await proveAll(ctx, 'source:k8s-prod seq>=10', 100);
  assert.deepEqual([h.pages[0]!.complete!.high, h.pages[0]!.complete!.head, h.seqs.size], ['head', '11', 2]);
  const past = await ctx.reader.events.search({ query: 'source:k8s-prod seq>=50', complete: true });
  assert.deepEqual([past.complete!.empty, past.complete!.range, past.hits, past.next], ['no-events', null, [], null]);
  const none = await ctx.reader.events.search({ query: 'source:k8s-prod seq>5 seq<5', complete: true });
  assert.equal(none.complete!.empty, 'bounds');
});

test('complete: a time range is mapped to seqs by the index and widened to the neighbours, whose times lie outside', async () => {
  const ctx = await twoSources(12);
  const T = Date.UTC(2026, 10, 1);
  const from = T + 3000;
  const to = T + 7000;
  const { pages, seqs } = await proveAll(ctx, `source:k8s-prod time>=${from} time<=${to}`, 100);
  const c = pages[0]!.complete!;
  assert.deepEqual([c.low, c.high, c.range], ['neighbour', 'neighbour', { from: '2', to: '8' }]);
  assert.deepEqual([...seqs.entries()].filter(([, k]) => k === 'hit').map(([s]) => s), [7n, 6n, 5n, 4n, 3n]);
  assert.deepEqual([seqs.get(2n), seqs.get(8n)], ['leaf', 'leaf'], 'the neighbours: their leaves rule the match out');
  const open = await proveAll(ctx, `source:k8s-prod time>=${T + 9000}`, 100);
  assert.deepEqual([open.pages[0]!.complete!.low, open.pages[0]!.complete!.high, open.pages[0]!.complete!.range], ['neighbour', 'head', { from: '8', to: '11' }]);
  // Only the side with a time bound is mapped: with an upper time bound alone the range starts at seq 0.
  const upper = await proveAll(ctx, `source:k8s-prod time<=${to}`, 100);
  assert.deepEqual([upper.pages[0]!.complete!.low, upper.pages[0]!.complete!.high, upper.pages[0]!.complete!.range], ['start', 'neighbour', { from: '0', to: '8' }]);
  const nothing = await ctx.reader.events.search({ query: `source:k8s-prod time>=${T + 99_000}`, complete: true });
  assert.equal(nothing.complete!.empty, 'no-time-match');
});

test('complete: an erased event in the range is shown as its leaf, marked erased, with the index of its erasure record', async () => {
  const ctx = await twoSources(5);
  const { record } = await ctx.admin.events.erase({ indices: ['4'], reason: 'request 9' }); // k8s-prod seq 2
  const { seqs, pages } = await proveAll(ctx, 'source:k8s-prod seq<=4 actor:alice', 100);
  assert.deepEqual([...seqs.entries()].sort((a, b) => Number(a[0] - b[0])).map(([, k]) => k), ['hit', 'event', 'erased', 'event', 'hit']);
  const leaf = pages.flatMap((p) => p.complete!.leaves).find((l) => l.kind === 'erased')!;
  assert.deepEqual([leaf.index, leaf.record], ['4', record]);
  assert.equal((await ctx.reader.events.prove({ index: record! })).index, record, 'the record itself is provable');
});

test('complete: a page of large events ends near MAX_COMPLETE_PAGE_BYTES, and the next page goes on', async () => {
  const ctx = await setup();
  // Three strings of 16,000 characters (an event string holds at most 16 KiB): ~48 KiB per event.
  const text = (c: string) => c.repeat(16_000);
  const big = (i: number) => JSON.stringify({ ...JSON.parse(apiEvent(i, 'bob')) as object, message: text('m'), raw_data: text('r'), status_detail: text('s') });
  const n = Math.ceil((MAX_COMPLETE_PAGE_BYTES * 1.5) / (48 * 1024));
  for (let i = 0; i < n; i += 10) await ctx.writer.events.submit({ events: Array.from({ length: Math.min(10, n - i) }, (_, k) => big(i + k)) });
  await ctx.index.catchUp();
  // A body filter: every leaf comes with its event, so only the byte bound splits the answer.
  const { pages, seqs } = await proveAll(ctx, 'source:k8s-prod seq>=0 actor:nobody', 100);
  assert.equal(seqs.size, n);
  assert.ok([...seqs.values()].every((k) => k === 'event'));
  assert.ok(pages.length >= 2, `${n} events of ~48 KiB in ${pages.length} page(s)`);
  for (const p of pages) {
    const size = JSON.stringify(p).length;
    assert.ok(size < MAX_COMPLETE_PAGE_BYTES + 256 * 1024, `a page of ${size} bytes`);
  }
});

test('complete: a query that does not qualify is not-provable (400); inputs are validated', async () => {
  const ctx = await twoSources(2);
  for (const query of ['actor:alice seq>=1', 'source:k8s-prod', 'source:k8s-prod OR seq>=1', 'source:a source:b seq<3']) {
    const e = await rejectsWith(ctx.reader.events.search({ query, complete: true }), 'BAD_REQUEST', /completeness proof needs/);
    assert.equal(errorCodeOf(e.cause), 'not-provable');
  }
  await rejectsWith(ctx.reader.events.search({ query: 'source:k8s-prod seq>=99999999999999999999', complete: true }), 'BAD_REQUEST', /at most 2\^63-1/);
  await rejectsWith(ctx.reader.events.search({ query: 'source:k8s-prod seq>=0', complete: 'yes' as unknown as boolean }), 'BAD_REQUEST');
  await rejectsWith(ctx.reader.events.search({ query: 'source:k8s-prod seq>=0', complete: true, before: '-1' }), 'BAD_REQUEST');
  await rejectsWith(ctx.reader.events.search({ query: 'source:k8s-prod seq>=0', complete: true, before: '9223372036854775808' }), 'BAD_REQUEST');
  await rejectsWith(ctx.reader.events.search({ query: 'source:k8s-prod seq>=0', now: -1 }), 'BAD_REQUEST');
  await rejectsWith(ctx.reader.events.search({ query: 'source:k8s-prod seq>=0', now: 1.5 }), 'BAD_REQUEST');
  // The caller's clock reads `now` in the query: seq 1 is at T0 + 1 s.
  const T = Date.UTC(2026, 10, 1);
  const mine = await ctx.reader.events.search({ query: 'source:k8s-prod seq<=1 time>=now-1s', complete: true, now: T + 2000 });
  assert.deepEqual(mine.hits.map((h) => h.seq), ['1']);
  const theirs = await ctx.reader.events.search({ query: 'source:k8s-prod seq<=1 time>=now-1s', complete: true });
  assert.deepEqual(theirs.hits, [], 'the server\'s clock is long past November 2026');
  // The largest seqs: an empty answer, bounded work.
  const top = await ctx.reader.events.search({ query: 'source:k8s-prod seq>=9223372036854775000', complete: true, before: '9223372036854775807' });
  assert.equal(top.complete!.empty, 'no-events');
  const all = await ctx.reader.events.search({ query: 'source:k8s-prod seq<=9223372036854775807', complete: true, before: '9223372036854775807' });
  assert.deepEqual([all.complete!.range, all.complete!.high, all.hits.length + all.complete!.leaves.length], [{ from: '0', to: '1' }, 'head', 2]);
});
