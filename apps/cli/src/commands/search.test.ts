// `cairn search` in-process through runCli against a real log node (LevelDB), a real event index
// (PGlite) and the real HTTP server on 127.0.0.1:0: hits newest first, paged, verified under a
// policy; --json, --limit, --since, --no-verify; a bad query and bad flags name their position or
// flag; and an index that lies — faked at the HTTP level by a proxy that rewrites the answers of
// events.search — is caught: an altered event, a hit proven by another log, a hit that does not
// match the query, a proof for another index, a repeated hit. And completeness over one source's
// range: a seq range across pages of leaves, a time range and its neighbours, an erased event,
// --limit stopping the walk; a lying server that drops, repeats, swaps or relabels a leaf, hides a
// hit as a bare leaf or as erased, ends a time range at wrong-side neighbours, or proves with
// another log or checkpoint — each caught, naming the seq; and what stays the server's word listed,
// --complete exiting 38 when it lies within the query's bounds.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLogServer, TokenAuthenticator, type LogServer } from '@cairn/api';
import { EVENT_PROOF_EXIT_CODES, EXIT_CODES } from '@cairn/client';
import { parseEventProof, validateEvent } from '@cairn/events';
import { encodeBase64, generateSignerKey, utf8DecodeStrict, utf8Encode } from '@cairn/formats';
import { EventIndex, openPglite, type SqlDatabase } from '@cairn/index';
import { LogNode, openLevelStorage, silentLogger } from '@cairn/log';
import { runCli } from '../main.js';
import { EXIT_FAIL, EXIT_USAGE } from '../command.js';
import { EXIT_NOT_PROVEN } from '../lib/complete.js';

const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const READER = 'cairn_search-reader';
const WRITER = 'cairn_search-writer';
const T0 = Date.UTC(2026, 10, 1);

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (l) => { out += l + '\n'; }, err: (l) => { err += l + '\n'; } });
  return { code, out, err };
}

function apiEvent(i: number, actor: string, time = T0 + i * 60_000): string {
  return JSON.stringify({
    class_uid: 6003, category_uid: 6, activity_id: 2, type_uid: 600302, severity_id: 1, status_id: i % 2 === 0 ? 2 : 1, time,
    metadata: { version: '1.3.0', product: { name: 'kubernetes' } }, actor: { user: { name: actor } }, api: { operation: 'get' },
    src_endpoint: { ip: '192.0.2.7' }, resources: [{ type: 'secrets', name: `s-${i}`, namespace: i % 3 === 0 ? 'payments' : 'prod' }],
  });
}

interface Log {
  node: LogNode;
  db: SqlDatabase;
  index: EventIndex;
  server: LogServer;
}

async function openLog(dir: string, name: string, seed: number): Promise<Log> {
  const node = await LogNode.open({
    storage: await openLevelStorage(join(dir, name)),
    signerKey: generateSignerKey(`example.com/${name}`, new Uint8Array(32).fill(seed)),
    checkpointIntervalMs: 5,
    logger: silentLogger,
  });
  await node.start();
  const db = await openPglite(join(dir, `${name}-index`));
  const index = await EventIndex.open(db, { size: async () => node.latestCheckpoint()?.size ?? 0n, getEvent: (i) => node.getEvent(i) });
  const tokens = new TokenAuthenticator({
    version: 1,
    tokens: [
      { source: 'k8s-prod', sha256: sha(WRITER), quota: { entriesPerMinute: 1_000_000 } },
      { source: 'auditor', role: 'reader', sha256: sha(READER), quota: { entriesPerMinute: 1_000_000 } },
    ],
  });
  const server = await startLogServer({ node, events: node, search: index, tokens, listen: { host: '127.0.0.1', port: 0 } });
  return { node, db, index, server };
}

async function closeLog(l: Log | undefined): Promise<void> {
  if (l === undefined) return;
  await l.server.close();
  await l.db.close();
  await l.node.stop();
}

type Hit = { index: string; proof: string; [k: string]: unknown };
type Page = { hits: Hit[]; next: string | null; [k: string]: unknown };

/** An HTTP proxy in front of `target` that rewrites the answers of events.search with `rewrite`. */
async function lyingProxy(target: string, rewrite: (page: Page) => Promise<Page> | Page): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      const upstream = await fetch(target + req.url, { headers: { authorization: req.headers.authorization ?? '' } });
      let body = await upstream.text();
      if (req.url?.startsWith('/trpc/events.search') && upstream.ok) {
        const json = JSON.parse(body) as { result: { data: Page } };
        json.result.data = await rewrite(json.result.data);
        body = JSON.stringify(json);
      }
      res.writeHead(upstream.status, { 'content-type': 'application/json' });
      res.end(body);
    })().catch((e: unknown) => {
      res.writeHead(500);
      res.end(String(e));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

describe('cairn search', () => {
  let dir: string;
  let log: Log;
  let other: Log;
  let policy: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cairn-search-cli-'));
    log = await openLog(dir, 'log', 7);
    other = await openLog(dir, 'other', 9);
    const actors = ['alice', 'bob', 'carol'];
    await log.node.submitEvents('k8s-prod', Array.from({ length: 30 }, (_, i) => ({ event: validateEvent(JSON.parse(apiEvent(i, actors[i % 3]!))) })), { wait: 'checkpoint' });
    await log.node.submit([utf8Encode('a raw entry')], { wait: 'checkpoint' });
    await log.index.catchUp();
    await other.node.submitEvents('k8s-prod', Array.from({ length: 5 }, (_, i) => ({ event: validateEvent(JSON.parse(apiEvent(i * 3, 'alice'))) })), { wait: 'checkpoint' });
    await other.index.catchUp();
    policy = join(dir, 'policy');
    await writeFile(policy, `log ${log.node.verifierKey}\nquorum none\n`);
  });
  after(async () => {
    await closeLog(log);
    await closeLog(other);
    await rm(dir, { recursive: true, force: true });
  });

  const base = () => ['search', '--url', log.server.url, '--token', READER, '--policy', policy];

  test('hits newest first, each verified; a table by default; short pages are followed through next', async () => {
    const r = await run([...base(), 'actor:alice']);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trim().split('\n');
    assert.match(lines[0]!, /^INDEX\tTIME\tSOURCE\tCLASS\tACTIVITY\tSTATUS\tACTOR\tSUMMARY$/);
    // alice: i ≡ 0 (mod 3) → indices 27, 24, …, 0.
    assert.deepEqual(lines.slice(1).map((l) => l.split('\t')[0]), ['27', '24', '21', '18', '15', '12', '9', '6', '3', '0']);
    const row = lines[1]!.split('\t');
    assert.deepEqual(row.slice(1), [new Date(T0 + 27 * 60_000).toISOString(), 'k8s-prod', 'api_activity', '2', 'success', 'alice', 'get secrets/payments/s-27']);
    assert.match(r.err, /10 hits, each verified under the policy/);
    // A server that answers two hits a page (as when it drops hits it could not prove): the client follows `next`.
    const proxy = await lyingProxy(log.server.url, (p) => ({ ...p, hits: p.hits.slice(0, 2), next: p.hits.length > 2 ? p.hits[1]!.index : p.next }));
    try {
      const paged = await run(['search', '--url', proxy.url, '--token', READER, '--policy', policy, 'actor:alice']);
      assert.equal(paged.code, 0, paged.err);
      assert.equal(paged.out, r.out);
    } finally {
      await proxy.close();
    }
  });

  test('--json lines, --limit across pages, --since', async () => {
    const r = await run([...base(), '--json', '--limit', '4', 'resource.namespace:payments OR actor:bob']);
    assert.equal(r.code, 0, r.err);
    const hits = r.out.trim().split('\n').map((l) => JSON.parse(l) as { index: string; verified: boolean; event: { actor: { user: { name: string } } } });
    assert.deepEqual(hits.map((h) => h.index), ['28', '27', '25', '24']);
    assert.ok(hits.every((h) => h.verified));
    assert.equal(hits[1]!.event.actor.user.name, 'alice');
    // Every event is from November 2026, long before now: --since 7d leaves none.
    const none = await run([...base(), '--since', '7d', '*']);
    assert.equal(none.code, 0, none.err);
    assert.equal(none.out, '');
    assert.match(none.err, /0 hits/);
    const all = await run([...base(), '--json', '--limit', '100000', '*']);
    assert.equal(all.out.trim().split('\n').length, 30, 'every event, no raw entry');
  });

  test('--no-verify says so; bad queries and flags name their column or flag', async () => {
    const nv = await run(['search', '--url', log.server.url, '--token', READER, '--no-verify', '--json', 'actor:carol']);
    assert.equal(nv.code, 0, nv.err);
    assert.match(nv.err, /NOT verified/);
    assert.ok(nv.out.trim().split('\n').every((l) => (JSON.parse(l) as { verified: boolean }).verified === false));
    const bad = await run([...base(), 'actor:alice clas:x']);
    assert.equal(bad.code, EXIT_USAGE);
    assert.match(bad.err, /column 13: unknown field/);
    for (const [args, re] of [
      [['--limit', '0'], /--limit must be an integer/],
      [['--since', '7 days'], /--since must be a count and a unit/],
      [['--no-verify'], /--policy FILE or --no-verify, not both/],
    ] as const) {
      const r = await run([...base(), ...args, '*']);
      assert.equal(r.code, EXIT_USAGE, r.err);
      assert.match(r.err, re);
    }
    const noPolicy = await run(['search', '--url', log.server.url, '--token', READER, '*']);
    assert.equal(noPolicy.code, EXIT_USAGE);
    assert.match(noPolicy.err, /--policy FILE is required/);
  });

  test('an index that lies is caught, naming the hit', async () => {
    const otherHit = (await (await fetch(`${other.server.url}/trpc/events.search?input=${encodeURIComponent(JSON.stringify({ query: 'actor:alice', limit: 1 }))}`, {
      headers: { authorization: `Bearer ${READER}` },
    })).json() as { result: { data: Page } }).result.data.hits[0]!;
    const cases: { name: string; rewrite: (p: Page) => Page; code: number; re: RegExp }[] = [
      {
        name: 'an altered event',
        rewrite: (p) => ({ ...p, hits: p.hits.map((h, i) => (i === 1 ? { ...h, proof: h.proof.replace('"name":"alice"', '"name":"alicf"') } : h)) }),
        code: EVENT_PROOF_EXIT_CODES['commitment-mismatch']!,
        re: /hit 24: its event proof does not verify \(commitment-mismatch\)/,
      },
      {
        name: 'a hit from another log',
        rewrite: (p) => ({ ...p, hits: [p.hits[0]!, { ...otherHit, index: otherHit.index }] }),
        code: EXIT_CODES['unknown-log'],
        re: new RegExp(`hit ${otherHit.index}: its event proof does not verify`),
      },
      {
        name: 'a proof for another index',
        rewrite: (p) => ({ ...p, hits: [{ ...p.hits[1]!, index: '27' }] }),
        code: EXIT_FAIL,
        re: /hit 27: its event proof is for index 24/,
      },
      {
        name: 'a repeated hit',
        rewrite: (p) => ({ ...p, hits: [p.hits[0]!, p.hits[0]!] }),
        code: EXIT_FAIL,
        re: /hit 27: not below the hit before it/,
      },
    ];
    for (const c of cases) {
      const proxy = await lyingProxy(log.server.url, c.rewrite);
      try {
        const r = await run(['search', '--url', proxy.url, '--token', READER, '--policy', policy, 'actor:alice']);
        assert.equal(r.code, c.code, `${c.name}: ${r.err}`);
        assert.match(r.err, c.re, c.name);
      } finally {
        await proxy.close();
      }
    }
    // A hit of this log, proven, that does not match the query: the matcher on the verified event catches it.
    const bobHit = (await (await fetch(`${log.server.url}/trpc/events.search?input=${encodeURIComponent(JSON.stringify({ query: 'actor:bob', limit: 1 }))}`, {
      headers: { authorization: `Bearer ${READER}` },
    })).json() as { result: { data: Page } }).result.data.hits[0]!;
    const proxy = await lyingProxy(log.server.url, (p) => ({ ...p, hits: [p.hits[0]!, bobHit] }));
    try {
      const r = await run(['search', '--url', proxy.url, '--token', READER, '--policy', policy, 'actor:alice']);
      assert.equal(r.code, EXIT_FAIL, r.err);
      assert.match(r.err, new RegExp(`hit ${bobHit.index}: the event does not match the query`));
    } finally {
      await proxy.close();
    }
  });
});

type Leaf = { seq: string; index: string; kind: string; proof?: string; leaf?: string; bundle?: string; record?: string };
type CHit = { index: string; seq: string; proof: string; [k: string]: unknown };
type CPage = { hits: CHit[]; next: string | null; [k: string]: unknown; complete: { leaves: Leaf[]; span: { from: string; to: string } | null; [k: string]: unknown } };

/** A hit's event proof file as a leaf shown alone: its leaf record and its tlog-proof bundle. */
function leafOnly(h: { seq: string; index: string; proof: string }): Leaf {
  const p = parseEventProof(utf8Encode(h.proof));
  return { seq: h.seq, index: h.index, kind: 'leaf', leaf: encodeBase64(p.leaf), bundle: utf8DecodeStrict(p.bundle) };
}

/** The first page of an honest completeness answer of `l` to `query`. */
async function fetchPage(l: Log, query: string): Promise<CPage> {
  const res = await fetch(`${l.server.url}/trpc/events.search?input=${encodeURIComponent(JSON.stringify({ query, complete: true }))}`, {
    headers: { authorization: `Bearer ${READER}` },
  });
  return (await res.json() as { result: { data: CPage } }).result.data;
}

describe('cairn search: completeness over one source\'s range', () => {
  let dir: string;
  let log: Log;
  let other: Log;
  let policy: string;
  const N = 1200; // bastion's events: more than one page of leaves (1,000)

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cairn-search-complete-'));
    log = await openLog(dir, 'log', 7);
    other = await openLog(dir, 'other', 9);
    // Interleaved: k8s-prod seq i at time T0 + i min; bastion's times run backwards (out of order with seq is allowed).
    for (let i = 0; i < 12; i++) {
      await log.node.submitEvents('k8s-prod', [{ event: validateEvent(JSON.parse(apiEvent(i, i % 2 === 0 ? 'alice' : 'bob'))) }]);
      await log.node.submitEvents('bastion', Array.from({ length: N / 12 }, (_, j) => ({ event: validateEvent(JSON.parse(apiEvent(i * 100 + j, j % 7 === 0 ? 'dave' : 'erin', T0 - (i * 100 + j) * 1000))) })));
    }
    await log.node.submitEvents('k8s-prod', [{ event: validateEvent(JSON.parse(apiEvent(12, 'alice'))) }], { wait: 'checkpoint' });
    await log.node.eraseEvents([(await log.node.eventIndices('k8s-prod', 4n, 4n))[0]!.index], { reason: 'test', by: 'dpo' });
    await log.node.submit([utf8Encode('settle')], { wait: 'checkpoint' });
    await log.index.catchUp();
    await other.node.submitEvents('k8s-prod', Array.from({ length: 12 }, (_, i) => ({ event: validateEvent(JSON.parse(apiEvent(i, 'alice'))) })), { wait: 'checkpoint' });
    await other.index.catchUp();
    policy = join(dir, 'policy');
    await writeFile(policy, `log ${log.node.verifierKey}\nquorum none\n`);
  });
  after(async () => {
    await closeLog(log);
    await closeLog(other);
    await rm(dir, { recursive: true, force: true });
  });

  const args = (url = log.server.url) => ['search', '--url', url, '--token', READER, '--policy', policy];

  test('a seq range with a filter: every leaf checked, the hits printed, what was proven said (and the erased event)', async () => {
    const r = await run([...args(), 'source:k8s-prod seq>=2 seq<10 actor:alice']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.out.trim().split('\n').slice(1).map((l) => l.split('\t')[2]), ['k8s-prod', 'k8s-prod', 'k8s-prod']);
    assert.match(r.err, /complete: every event of source k8s-prod with seq 2\.\.9 was shown with its inclusion proof .* 3 hit\(s\), 4 not matching, 1 erased/);
    assert.match(r.err, /1 erased event\(s\) could not be checked/);
    assert.doesNotMatch(r.err, /only by the server's word/, 'a bounded range has no head caveat');
    const j = await run([...args(), '--json', 'source:k8s-prod seq>=10']);
    assert.equal(j.code, 0, j.err);
    const lines = j.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const c = lines.at(-1)!['complete'] as { range: unknown; high: string; hits: number; statement: string[] };
    assert.deepEqual([c.range, c.high, c.hits, lines.length - 1], [{ from: '10', to: '12' }, 'head', 3, 3]);
    assert.match(c.statement.join(' '), /seq 12 is the last of source k8s-prod below size \d+ only by the server's word/);
  });

  test('more than a page of leaves, and a time range mapped to seqs with its neighbours', async () => {
    const r = await run([...args(), '--json', '--limit', '100000', 'source:bastion seq>=50 seq<1150 actor:dave']);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const c = lines.at(-1)!['complete'] as { checked: unknown; hits: number; nonMatching: number };
    const dave = Array.from({ length: 1100 }, (_, k) => k + 50).filter((s) => (s % 100) % 7 === 0).length;
    assert.deepEqual([c.checked, c.hits, c.nonMatching, lines.length - 1], [{ from: '50', to: '1149' }, dave, 1100 - dave, dave]);
    const from = T0 + 3 * 60_000;
    const t = await run([...args(), `source:k8s-prod time>=${from} time<${T0 + 8 * 60_000}`]);
    assert.equal(t.code, 0, t.err);
    assert.match(t.err, /seq 2\.\.8 /);
    assert.match(t.err, /neighbouring leaves \(seq 2 and seq 8\) have times outside it/);
    // --limit stops the walk: what was checked is said, and --complete then fails as not proven.
    const lim = await run([...args(), '--limit', '2', 'source:bastion seq<1200 actor:dave']);
    assert.equal(lim.code, 0, lim.err);
    assert.match(lim.err, /stopped at --limit: seqs 0\.\.\d+ were not checked/);
    assert.match(lim.err, /NOT proven within the query's bounds/);
    const limComplete = await run([...args(), '--complete', '--limit', '2', 'source:bastion seq<1200 actor:dave']);
    assert.equal(limComplete.code, EXIT_NOT_PROVEN, limComplete.err);
  });

  test('--complete needs a query that qualifies, and a policy', async () => {
    const r = await run([...args(), '--complete', 'actor:alice seq>=1']);
    assert.equal(r.code, EXIT_USAGE);
    assert.match(r.err, /--complete: a completeness proof needs .* no source: term/);
    const nv = await run(['search', '--url', log.server.url, '--token', READER, '--no-verify', '--complete', 'source:k8s-prod seq>=1']);
    assert.equal(nv.code, EXIT_USAGE);
    assert.match(nv.err, /--complete needs --policy/);
  });

  test('a lying server is caught, naming the seq: gap, repeat, another source, wrong seq, a hidden hit, another log', async () => {
    const bastion = await fetchPage(log, 'source:bastion seq>=5 seq<=6');
    const otherLog = await fetchPage(other, 'source:k8s-prod seq>=8 seq<=8');
    const query = 'source:k8s-prod seq>=5 seq<=9 actor:alice'; // 5: bob (event), 6 alice (hit), 7 bob, 8 alice, 9 bob
    const cases: { name: string; rewrite: (p: CPage) => CPage; code: number; re: RegExp }[] = [
      { name: 'a dropped leaf', rewrite: (p) => ({ ...p, complete: { ...p.complete, leaves: p.complete.leaves.filter((l) => l.seq !== '7') } }), code: EXIT_FAIL, re: /gap: seq 7 of source k8s-prod is missing/ },
      { name: 'a repeated leaf', rewrite: (p) => ({ ...p, complete: { ...p.complete, leaves: [...p.complete.leaves, p.complete.leaves[0]!] } }), code: EXIT_FAIL, re: /seq 9 \(index \d+\): shown twice/ },
      {
        name: 'another source\'s leaf',
        rewrite: (p) => ({ ...p, complete: { ...p.complete, leaves: p.complete.leaves.map((l) => (l.seq === '7' ? { ...leafOnly(bastion.hits.find((b) => b.seq === '5')!), seq: '7' } : l)) } }),
        code: EXIT_FAIL, re: /seq 7: the leaf is of source "bastion"/,
      },
      {
        name: 'a wrong seq',
        rewrite: (p) => ({ ...p, complete: { ...p.complete, leaves: p.complete.leaves.map((l) => (l.seq === '7' ? { ...p.complete.leaves.find((x) => x.seq === '9')!, seq: '7' } : l)) } }),
        code: EXIT_FAIL, re: /seq 7: the leaf has seq 9/,
      },
      {
        name: 'a matching event hidden as a bare leaf',
        rewrite: (p) => ({ ...p, hits: p.hits.filter((h) => h.seq !== '8'), complete: { ...p.complete, leaves: [...p.complete.leaves, leafOnly(p.hits.find((h) => h.seq === '8')!)] } }),
        code: EXIT_FAIL, re: /seq 8 \(index \d+\): shown as its leaf alone, but the leaf does not rule out a match/,
      },
      {
        name: 'a hit proven by another log',
        rewrite: (p) => ({ ...p, hits: p.hits.map((h) => (h.seq === '8' ? otherLog.hits[0]! : h)) }),
        code: EXIT_CODES['unknown-log'], re: /seq 8 \(index \d+\): its event proof does not verify/,
      },
      { name: 'a hit dropped from the hits', rewrite: (p) => ({ ...p, hits: p.hits.filter((h) => h.seq !== '6') }), code: EXIT_FAIL, re: /gap: seq 6 of source k8s-prod is missing/ },
      { name: 'a range cut short', rewrite: (p) => ({ ...p, complete: { ...p.complete, range: { from: '5', to: '8' } } }), code: EXIT_FAIL, re: /range does not follow from the query: it ends at seq 8 \("bound"\), the query at 9/ },
    ];
    assert.equal(otherLog.hits.length, 1);
    for (const c of cases) {
      const proxy = await lyingProxy(log.server.url, c.rewrite as unknown as (p: Page) => Page);
      try {
        const r = await run([...args(proxy.url), query]);
        assert.equal(r.code, c.code, `${c.name}: ${r.err}`);
        assert.match(r.err, c.re, c.name);
      } finally {
        await proxy.close();
      }
    }
    // A policy that trusts both logs: each proof verifies, but seq 8's leaf is the other log's.
    const both = join(dir, 'policy-both');
    await writeFile(both, `log ${log.node.verifierKey}\nlog ${other.node.verifierKey}\nquorum none\n`);
    const mixed = await lyingProxy(log.server.url, (p) => ({ ...p, hits: (p as unknown as CPage).hits.map((h) => (h.seq === '8' ? otherLog.hits[0]! : h)) }) as unknown as Page);
    try {
      const r = await run(['search', '--url', mixed.url, '--token', READER, '--policy', both, query]);
      assert.equal(r.code, EXIT_FAIL, r.err);
      assert.match(r.err, /seq 8 \(index \d+\): proven in the log "example\.com\/other", not "example\.com\/log"/);
    } finally {
      await mixed.close();
    }
    const honest = await run([...args(), query]);
    assert.equal(honest.code, 0, honest.err);
  });

  test('a lying server is caught: time-range neighbours on the wrong side, or where the query has no time bound on that side', async () => {
    // k8s-prod seq i has time T0 + i min: the honest answer to T3..T5 is seqs 2..6, neighbours 2 and 6.
    const [t3, t5] = [T0 + 3 * 60_000, T0 + 5 * 60_000];
    const both = `source:k8s-prod time>=${t3} time<=${t5}`;
    const honest = await run([...args(), both]);
    assert.equal(honest.code, 0, honest.err);
    assert.match(honest.err, /seq 2\.\.6 /);
    // Each lie: the leaves lo..hi (an honest page of a query none of them matches) relabelled as the whole range.
    const cases: { name: string; query: string; lo: number; hi: number; low: string; high: string; re: RegExp }[] = [
      { name: 'both neighbours after the range', query: both, lo: 7, hi: 8, low: 'neighbour', high: 'neighbour', re: /seq 7: shown as the low neighbour of the time range, but its time \S+ is not before/ },
      { name: 'a low neighbour after the range, high the head', query: both, lo: 12, hi: 12, low: 'neighbour', high: 'head', re: /seq 12: shown as the low neighbour of the time range, but its time \S+ is not before/ },
      { name: 'time<= only: a low neighbour', query: `source:k8s-prod time<=${t5}`, lo: 9, hi: 12, low: 'neighbour', high: 'head', re: /its low end is "neighbour", but the query has no lower time bound/ },
      { name: 'time>= only: a high neighbour before the range', query: `source:k8s-prod time>=${t3}`, lo: 0, hi: 1, low: 'start', high: 'neighbour', re: /its high end is "neighbour", but the query has no upper time bound/ },
    ];
    for (const c of cases) {
      const proxy = await lyingProxy(log.server.url, async () => {
        const p = await fetchPage(log, `source:k8s-prod seq>=${c.lo} seq<=${c.hi} actor:nobody`);
        assert.equal(p.next, null);
        return { ...p, complete: { ...p.complete, range: { from: String(c.lo), to: String(c.hi) }, low: c.low, high: c.high } } as CPage;
      });
      try {
        const r = await run([...args(proxy.url), '--complete', c.query]);
        assert.equal(r.code, EXIT_FAIL, `${c.name}: ${r.err}`);
        assert.match(r.err, c.re, c.name);
      } finally {
        await proxy.close();
      }
    }
    // The honest server maps only the side that has a time bound: time<= starts at seq 0, time>= ends at the head.
    const upper = await run([...args(), '--json', `source:k8s-prod time<=${t5}`]);
    const lower = await run([...args(), '--json', `source:k8s-prod time>=${t3}`]);
    const summary = (out: string) => JSON.parse(out.trim().split('\n').at(-1)!).complete as { range: unknown; low: string; high: string };
    assert.equal(upper.code, 0, upper.err);
    assert.equal(lower.code, 0, lower.err);
    assert.deepEqual([summary(upper.out).range, summary(upper.out).low, summary(upper.out).high], [{ from: '0', to: '6' }, 'start', 'neighbour']);
    assert.deepEqual([summary(lower.out).range, summary(lower.out).low, summary(lower.out).high], [{ from: '2', to: '12' }, 'neighbour', 'head']);
  });
  test('an erased leaf needs its erasure record, proven and naming it; a hit cannot hide as erased', async () => {
    const query = 'source:k8s-prod seq>=2 seq<10 actor:alice'; // 2, 6, 8: hits; 4: erased
    const erased = (await fetchPage(log, 'source:k8s-prod seq>=4 seq<=4')).complete.leaves[0]!;
    const five = (await fetchPage(log, 'source:k8s-prod seq>=5 seq<=5')).hits[0]!;
    assert.equal(erased.kind, 'erased');
    assert.match(String(erased.record), /^[1-9][0-9]*$/);
    /** Hit seq 8 shown as erased (its leaf and bundle, which verify), with `record` as given. */
    const hide = (record: string | undefined) => (p: CPage): CPage => {
      const h = p.hits.find((x) => x.seq === '8')!;
      return { ...p, hits: p.hits.filter((x) => x !== h), complete: { ...p.complete, leaves: [...p.complete.leaves, { ...leafOnly(h), kind: 'erased', ...(record === undefined ? {} : { record }) }] } };
    };
    const withRecord = (record: string) => (p: CPage): CPage => ({ ...p, complete: { ...p.complete, leaves: p.complete.leaves.map((l) => (l.seq === '4' ? { ...l, record } : l)) } });
    const cases: { name: string; rewrite: (p: CPage) => CPage; re: RegExp }[] = [
      { name: 'a hit as erased, no record', rewrite: hide(undefined), re: /seq 8 \(index \d+\): shown as erased, without the index of its erasure record/ },
      { name: 'a hit as erased, another event\'s record', rewrite: hide(erased.record), re: new RegExp(`seq 8 \\(index \\d+\\): shown as erased, but the erasure record at index ${erased.record} is not one of the log's erasure records naming it`) },
      { name: 'an erased leaf whose record is an ordinary event', rewrite: withRecord(five.index), re: new RegExp(`seq 4 \\(index \\d+\\): shown as erased, but the erasure record at index ${five.index} is not one`) },
      { name: 'an erased leaf whose record is erased itself', rewrite: withRecord(erased.index), re: new RegExp(`seq 4 \\(index \\d+\\): shown as erased, but the erasure record at index ${erased.index} cannot be shown proven: .*erased`) },
    ];
    for (const c of cases) {
      const proxy = await lyingProxy(log.server.url, c.rewrite as unknown as (p: Page) => Page);
      try {
        const r = await run([...args(proxy.url), '--complete', query]);
        assert.equal(r.code, EXIT_FAIL, `${c.name}: ${r.err}`);
        assert.match(r.err, c.re, c.name);
      } finally {
        await proxy.close();
      }
    }
    // The honest answer: the record is proven, but the erased event's content is unknown — not proven within the bounds.
    const honest = await run([...args(), '--complete', '--json', query]);
    assert.equal(honest.code, EXIT_NOT_PROVEN, honest.err);
    const c = JSON.parse(honest.out.trim().split('\n').at(-1)!).complete as { proven: boolean; provenToBounds: boolean; unproven: string[]; erased: number };
    assert.deepEqual([c.proven, c.provenToBounds, c.erased], [false, false, 1]);
    assert.match(c.unproven.join(' '), /1 erased event\(s\) could not be checked/);
  });

  test('the unproven parts are listed, and --complete fails on those within the query\'s bounds', async () => {
    const query = 'source:k8s-prod seq>=5 seq<=11 actor:alice';
    const summary = (out: string) => JSON.parse(out.trim().split('\n').at(-1)!).complete as { proven: boolean; provenToBounds: boolean; unproven: string[]; treeSize: string };
    // Everything proven: exit 0.
    const honest = await run([...args(), '--complete', '--json', query]);
    assert.equal(honest.code, 0, honest.err);
    assert.deepEqual([summary(honest.out).proven, summary(honest.out).unproven], [true, []]);
    // An open high end: complete up to the head, which is said, not an error.
    const open = await run([...args(), '--complete', '--json', 'source:k8s-prod seq>=10']);
    assert.equal(open.code, 0, open.err);
    assert.deepEqual([summary(open.out).proven, summary(open.out).provenToBounds], [false, true]);
    assert.match(summary(open.out).unproven[0]!, /seq 12 is the last of source k8s-prod below size \d+ only by the server's word/);
    const lies: { name: string; rewrite: (p: CPage) => Promise<CPage> | CPage; code: number; re: RegExp }[] = [
      {
        name: 'the explicit upper bound lowered to a head',
        rewrite: async () => {
          const p = await fetchPage(log, 'source:k8s-prod seq>=5 seq<=7 actor:alice');
          return { ...p, complete: { ...p.complete, high: 'head', head: '7' } };
        },
        code: EXIT_NOT_PROVEN, re: /seq 7 is the last of source k8s-prod below size \d+ only by the server's word \(the query asked up to seq 11\)/,
      },
      {
        name: 'no events, with both seq bounds',
        rewrite: (p) => ({ ...p, hits: [], next: null, complete: { ...p.complete, range: null, empty: 'no-events', span: null, leaves: [] } }),
        code: EXIT_NOT_PROVEN, re: /the server says source k8s-prod has no event in the range/,
      },
      {
        name: 'no time match, with both seq bounds',
        rewrite: (p) => ({ ...p, hits: [], next: null, complete: { ...p.complete, range: null, empty: 'no-time-match', span: null, leaves: [] } }),
        code: EXIT_FAIL, re: /both seq bounds are given/,
      },
    ];
    for (const c of lies) {
      const proxy = await lyingProxy(log.server.url, c.rewrite as unknown as (p: Page) => Page);
      try {
        const r = await run([...args(proxy.url), '--complete', `${query} time>=${T0}`]);
        assert.equal(r.code, c.code, `${c.name}: ${r.err}`);
        assert.match(r.err, c.re, c.name);
        if (c.code === EXIT_NOT_PROVEN) assert.match(r.err, /complete: NOT proven within the query's bounds/);
        // Without --complete the same answer is shown, its unproven parts said, and the exit is 0.
        if (c.code === EXIT_NOT_PROVEN) assert.equal((await run([...args(proxy.url), `${query} time>=${T0}`])).code, 0);
      } finally {
        await proxy.close();
      }
    }
  });

  test('the tree size is the verified checkpoint\'s, never the server\'s word; every proof of a page is against its checkpoint', async () => {
    const query = 'source:k8s-prod seq>=5 seq<=11 actor:alice';
    const stale = (await fetchPage(log, query)) as CPage & { checkpoint: string; treeSize: string };
    const forged = await lyingProxy(log.server.url, (p) => ({ ...p, treeSize: '123456789\ncomplete: forged line' }));
    try {
      const r = await run([...args(forged.url), '--complete', query]);
      assert.equal(r.code, 0, r.err);
      assert.doesNotMatch(r.err, /123456789|forged/);
      assert.match(r.err, new RegExp(`cosigned checkpoint of size ${stale.treeSize}\\b`));
    } finally {
      await forged.close();
    }
    // The log grows: a page naming the newer checkpoint while its proofs are against the older one is caught.
    await log.node.submit([utf8Encode('grow')], { wait: 'checkpoint' });
    const fresh = (await fetchPage(log, query)) as CPage & { checkpoint: string };
    assert.notEqual(fresh.checkpoint, stale.checkpoint);
    const mixed = await lyingProxy(log.server.url, () => ({ ...stale, checkpoint: fresh.checkpoint }) as unknown as Page);
    try {
      const r = await run([...args(mixed.url), '--complete', query]);
      assert.equal(r.code, EXIT_FAIL, r.err);
      assert.match(r.err, /seq 11 \(index \d+\): proven against another checkpoint than the page's/);
    } finally {
      await mixed.close();
    }
  });
});
