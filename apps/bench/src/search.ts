/**
 * `pnpm bench search`: the event index (@cairn/index, EventIndex over PGlite in a temporary
 * directory) built from `--events` realistic OCSF events (ocsf-events.ts), then the latency of
 * typical queries. The index reads its events through its consumer-owned `IndexedStore`; here
 * that store is in memory: StoredEvent-shaped records (canonical bytes, a fresh random 32-byte
 * salt, the leaf record of `buildLeaf`) prepared before the clock starts, so the index rate
 * counts only the index's own work (reading the records, extracting fields, writing rows and its
 * cursor in one transaction per batch).
 *
 * Figures: the index rate (events/s, `catchUp` from empty), then for each query the p50 and p99
 * of `search(q, { limit: 100 })` (the first page, newest first) over repeated runs after one
 * warm-up. The target of docs/design/search.md is measured over 10M events (p50 ≤ 50 ms); the
 * default here is smaller so the suite runs in minutes, and every line says what N was.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { buildLeaf, parseEvent } from '@cairn/events';
import { EventIndex, openPglite, type IndexedStore, type StoredEventLike } from '@cairn/index';
import { generateEvents } from './ocsf-events.js';
import { figure, machine, percentile } from './report.js';

/** Default events indexed. */
export const DEFAULT_SEARCH_EVENTS = 200_000;
/** Events generated per seed (the generator is deterministic per seed). */
const CHUNK = 10_000;
const PGLITE_VERSION = '0.5.16';

interface Prepared { records: StoredEventLike[]; ip: string; midTime: number; meanBytes: number }

/** Generates, validates and builds the leaves of `n` events, as the log would have stored them. */
function prepare(n: number): Prepared {
  const records: StoredEventLike[] = [];
  let ip = '';
  let bytes = 0;
  for (let c = 0; records.length < n; c++) {
    for (const g of generateEvents(Math.min(CHUNK, n - records.length), c + 1)) {
      const i = records.length;
      const ev = parseEvent(new TextEncoder().encode(JSON.stringify(g.event)));
      const salt = randomBytes(32);
      const built = buildLeaf({ source: 'bench', seq: BigInt(i), event: ev, salt });
      records.push({ index: BigInt(i), source: 'bench', seq: BigInt(i), leaf: built.bytes, body: { canonical: ev.canonical, salt } });
      bytes += ev.canonical.length;
      const src = (g.event['src_endpoint'] as { ip?: unknown } | undefined)?.ip;
      if (ip === '' && i >= n / 2 && typeof src === 'string') ip = src;
    }
  }
  const mid = parseEvent(records[Math.floor(n / 2)]!.body!.canonical);
  return { records, ip, midTime: mid.time, meanBytes: bytes / n };
}

export async function benchSearch(args: { events: number; runs: number }): Promise<void> {
  const n = args.events;
  const t0 = performance.now();
  const { records, ip, midTime, meanBytes } = prepare(n);
  const prepS = (performance.now() - t0) / 1000;
  const store: IndexedStore = {
    size: async () => BigInt(records.length),
    getEvent: async (i) => records[Number(i)],
  };
  const dir = await mkdtemp(join(tmpdir(), 'cairn-bench-search-'));
  const cond = () => `N=${n.toLocaleString('en-US')}; ${machine()}; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}; PGlite ${PGLITE_VERSION}`;
  process.stdout.write(`# search: ${n.toLocaleString('en-US')} events of 6 classes, mean ${Math.round(meanBytes)} B canonical (prepared in ${prepS.toFixed(1)} s); ${cpus().length} cpu; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  try {
    const db = await openPglite(join(dir, 'index'));
    const index = await EventIndex.open(db, store);
    try {
      const t1 = performance.now();
      const { indexed } = await index.catchUp();
      const s = (performance.now() - t1) / 1000;
      figure('index: catchUp from empty', indexed / s, 'events/s', `${indexed.toLocaleString('en-US')} events in ${s.toFixed(1)} s, PGlite on disk, batches of 500; ${cond()}`);
      const day = new Date(midTime).toISOString();
      const queries = [
        'actor:alice.martin@example.com class:api_activity',
        'status:failure class:authentication',
        `resource.namespace:payments time>=${day}`,
        '"cat /etc/shadow"',
        `src_ip:${ip}`,
      ];
      for (const q of queries) {
        const first = await index.search(q, { limit: 100, now: Date.now() });
        const ms: number[] = [];
        for (let r = 0; r < args.runs; r++) {
          const t = performance.now();
          await index.search(q, { limit: 100, now: Date.now() });
          ms.push(performance.now() - t);
        }
        const label = q.startsWith('src_ip:') ? 'src_ip:<one address>' : q.startsWith('resource.namespace') ? 'resource.namespace:payments time>=<mid>' : q;
        figure(`search p50 ${label}`, percentile(ms, 50), 'ms', `p99 ${percentile(ms, 99).toFixed(1)} ms, ${args.runs} runs, first page of 100 (${first.hits.length} hits); ${cond()}`);
      }
    } finally {
      await index.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
