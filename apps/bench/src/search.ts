/**
 * `pnpm bench search`: the search target of docs/design/search.md — the first 100 hits of a typical
 * query, each with its proof, p50 ≤ 50 ms over 10M events — and the rate at which the index is
 * built.
 *
 * Phases, each printing progress on long runs (N up to 10M: events are never held in memory;
 * event i is made when it is read, from a PRNG seeded by i, ocsf-events.ts `eventAt`):
 *
 * 1. **fill**: a real log node (LevelDB in a temporary directory, in this process) takes N
 *    realistic OCSF events of six classes through `submitEvents`, 1,000 per call.
 * 2. **index**: an `EventIndex` on PGlite (in the same temporary directory) catches up from
 *    empty, reading the node's event store as the server does (`getEvent`, size of the signed
 *    tree): the index rate in events/s, with its planner statistics and GIN upkeep included.
 * 3. **queries, index only**: `index.search(q, { limit: 100 })` for five typical queries, p50 and
 *    p99 over `runs` runs after one warm-up.
 * 4. **queries with proofs**: the same five through `events.search` (limit 100, the procedure's
 *    maximum) over loopback tRPC against the log server with this node and this index: the
 *    server reads each hit's event, re-checks it against the query and builds its event proof
 *    file (inclusion proof against the served checkpoint). The figure is the client's wall time
 *    per call, response parsed.
 *
 * `--index-only` skips the node (phases 1 and 4): the index reads from a store that makes each
 * event when asked (parse, leaf record with a salt derived from i), for an N the node cannot be
 * filled with in the time; the time spent making events is measured and given apart.
 *
 * Conditions (N, Node, CPUs, load average, date, PGlite) are printed first and on every figure:
 * the machine may be shared.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLogServer, TokenAuthenticator } from '@cairn/api';
import { buildLeaf, parseEvent, validateEvent } from '@cairn/events';
import { generateSignerKey } from '@cairn/formats';
import { LogNode, openLevelStorage, silentLogger } from '@cairn/log';
import { EventIndex, openPglite, type IndexedStore, type StoredEventLike } from '@cairn/index';
import { eventAt } from './ocsf-events.js';
import { figure, machine, percentile } from './report.js';

/** Default events. */
export const DEFAULT_SEARCH_EVENTS = 200_000;
/** Events per `submitEvents` call while filling the node. */
const FILL_CALL = 1000;
/** Progress lines at most this often, ms. */
const PROGRESS_MS = 15_000;
const PGLITE_VERSION = '0.5.16';
const SOURCE = 'bench';
const READER = 'cairn_bench-search-reader';

export interface SearchBenchArgs {
  readonly events: number;
  readonly runs: number;
  /** Index from a generating store, no log node and no tRPC figures. */
  readonly indexOnly: boolean;
}

const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');
const count = (n: number): string => n.toLocaleString('en-US');
const say = (line: string): void => { process.stdout.write(`${line}\n`); };

/** Calls `fn(done)` when PROGRESS_MS passed since the last line. */
function progress(phase: string, total: number): (done: number) => void {
  const t0 = performance.now();
  let last = t0;
  return (done) => {
    const now = performance.now();
    if (now - last < PROGRESS_MS) return;
    last = now;
    const s = (now - t0) / 1000;
    say(`  ${phase}: ${count(done)} / ${count(total)} (${((100 * done) / total).toFixed(1)}%) in ${s.toFixed(0)} s, ${count(Math.round(done / s))}/s, load ${load()}`);
  };
}

/** The five queries: values taken from the generated events, so each finds what it should. */
function typicalQueries(n: number): { q: string; label: string }[] {
  const mid = eventAt(Math.floor(n / 2)).event['time'] as number;
  // An IPv6 logon address (random 80 bits: one event has it) from the second half.
  let ip = '';
  for (let i = Math.floor(n / 2); i < n && ip === ''; i++) {
    const src = (eventAt(i).event['src_endpoint'] as { ip?: unknown } | undefined)?.ip;
    if (typeof src === 'string' && src.includes(':')) ip = src;
  }
  return [
    { q: 'actor:alice.martin@example.com class:api_activity', label: 'actor:alice.martin@example.com class:api_activity' },
    { q: 'status:failure class:authentication', label: 'status:failure class:authentication' },
    { q: `resource.namespace:payments time>=${new Date(mid).toISOString()}`, label: 'resource.namespace:payments time>=<median time>' },
    { q: '"cat /etc/shadow"', label: '"cat /etc/shadow"' },
    { q: `src_ip:${ip}`, label: 'src_ip:<one IPv6 address>' },
  ];
}

/** p50 and p99 of `runs` calls of `fn` after one warm-up; `fn` returns the hits it got. */
async function latency(runs: number, fn: () => Promise<number>): Promise<{ p50: number; p99: number; hits: number }> {
  const hits = await fn();
  const ms: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return { p50: percentile(ms, 50), p99: percentile(ms, 99), hits };
}

/** A store that makes event i when it is read, as the log would have stored it. */
function generatingStore(n: number): { store: IndexedStore; makingMs: () => number } {
  let making = 0;
  const enc = new TextEncoder();
  const store: IndexedStore = {
    size: async () => BigInt(n),
    getEvent: async (index): Promise<StoredEventLike> => {
      const t = performance.now();
      const i = Number(index);
      const ev = parseEvent(enc.encode(JSON.stringify(eventAt(i).event)));
      const salt = createHash('sha256').update(`salt ${i}`).digest();
      const leaf = buildLeaf({ source: SOURCE, seq: index, event: ev, salt }).bytes;
      making += performance.now() - t;
      return { index, source: SOURCE, seq: index, leaf, body: { canonical: ev.canonical, salt } };
    },
  };
  return { store, makingMs: () => making };
}

export async function benchSearch(args: SearchBenchArgs): Promise<void> {
  const n = args.events;
  const dir = await mkdtemp(join(tmpdir(), 'cairn-bench-search-'));
  const cond = () => `N=${count(n)}; load ${load()}`;
  say(`# search: N=${count(n)} events of 6 OCSF classes; ${args.indexOnly ? 'index only (events made when read, no log node)' : 'real log node (LevelDB) + index + events.search over loopback tRPC'}`);
  say(`# ${machine()}; PGlite ${PGLITE_VERSION}; ${new Date().toISOString()}; load ${load()}`);
  let node: LogNode | undefined;
  let server: Awaited<ReturnType<typeof startLogServer>> | undefined;
  let index: EventIndex | undefined;
  try {
    let store: IndexedStore;
    let makingMs = (): number => 0;
    if (args.indexOnly) {
      ({ store, makingMs } = generatingStore(n));
    } else {
      const live = await LogNode.open({
        storage: await openLevelStorage(join(dir, 'log')),
        signerKey: generateSignerKey('bench.example.org/search', new Uint8Array(32).fill(9)),
        checkpointIntervalMs: 100,
        logger: silentLogger,
      });
      node = live;
      await live.start();
      const tick = progress('fill', n);
      const t0 = performance.now();
      for (let from = 0; from < n; from += FILL_CALL) {
        const to = Math.min(n, from + FILL_CALL);
        const batch = Array.from({ length: to - from }, (_, k) => ({ event: validateEvent(eventAt(from + k).event) }));
        await live.submitEvents(SOURCE, batch, to === n ? { wait: 'checkpoint' } : {});
        tick(to);
      }
      const s = (performance.now() - t0) / 1000;
      figure('fill: LogNode.submitEvents (LevelDB)', n / s, 'events/s', `${count(n)} in ${s.toFixed(0)} s, ${FILL_CALL} per call, in process; ${cond()}`);
      store = { size: async () => live.latestCheckpoint()?.size ?? 0n, getEvent: (i) => live.getEvent(i) };
    }

    const db = await openPglite(join(dir, 'index'));
    index = await EventIndex.open(db, store);
    const tick = progress('index', n);
    const t1 = performance.now();
    let done = 0n;
    for (;;) {
      const r = await index.catchUp({ maxBatches: 20 });
      tick(Number(r.cursor));
      if (r.cursor === done || Number(r.cursor) >= n) break;
      done = r.cursor;
    }
    const s = (performance.now() - t1) / 1000;
    const made = makingMs() / 1000;
    figure('index: catchUp from empty', n / s, 'events/s', `${count(n)} in ${s.toFixed(0)} s, batches of 500, PGlite on disk, from ${args.indexOnly ? 'a generating store' : 'the node\'s LevelDB store'}; ${cond()}`);
    if (args.indexOnly) figure('index: catchUp, less making the events', n / (s - made), 'events/s', `${made.toFixed(0)} s of the ${s.toFixed(0)} s went to making events (parse, leaf)`);

    const queries = typicalQueries(n);
    for (const { q, label } of queries) {
      const idx = index;
      const r = await latency(args.runs, async () => (await idx.search(q, { limit: 100, now: Date.now() })).hits.length);
      figure(`index.search p50 ${label}`, r.p50, 'ms', `p99 ${r.p99.toFixed(1)} ms; ${args.runs} runs; first 100 (${r.hits} hits), no proofs; ${cond()}`);
    }

    if (node !== undefined) {
      const sha = (t: string): string => createHash('sha256').update(t).digest('hex');
      const tokens = new TokenAuthenticator({ version: 1, tokens: [{ source: 'auditor', role: 'reader', sha256: sha(READER), quota: { entriesPerMinute: 1_000_000 } }] });
      server = await startLogServer({ node, events: node, search: index, tokens, listen: { host: '127.0.0.1', port: 0 } });
      const url = server.url;
      for (const { q, label } of queries) {
        const call = async (): Promise<number> => {
          const res = await fetch(`${url}/trpc/events.search?input=${encodeURIComponent(JSON.stringify({ query: q, limit: 100 }))}`, { headers: { authorization: `Bearer ${READER}` } });
          if (!res.ok) throw new Error(`events.search: HTTP ${res.status}`);
          const body = (await res.json()) as { result: { data: { hits: { proof: string }[] } } };
          const hits = body.result.data.hits;
          if (hits.some((h) => typeof h.proof !== 'string' || h.proof.length === 0)) throw new Error('a hit without its proof');
          return hits.length;
        };
        const r = await latency(args.runs, call);
        figure(`events.search p50 ${label}`, r.p50, 'ms', `p99 ${r.p99.toFixed(1)} ms; ${args.runs} runs; first 100 with proofs (${r.hits} hits), loopback tRPC; ${cond()}`);
      }
    }
  } finally {
    await server?.close();
    await index?.close();
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
