/**
 * `pnpm bench events`: audit events, from the pure layer to the log node and its API.
 *
 * Events are realistic OCSF events of the six classes, ~1 KB each (ocsf-events.ts), encoded the
 * way producers send them (`JSON.stringify`, keys in the producer's order) and, for comparison,
 * as canonical RFC 8785 bytes. Phases (`CAIRN_BENCH_PHASES`, default all):
 *
 * - `cpu`: the events layer on one core, no I/O — `parseEvent` (strict JSON, OCSF validation,
 *   canonical bytes), next to `JSON.parse` of the same text (the floor); `validateEvent` of the
 *   same events as objects (what the ingest adapters call); `buildLeaf` (fresh salt,
 *   commitment, leaf record, leaf hash) with each hash backend; `signReceipt` (node Ed25519); and
 *   all three per event. Cases run interleaved in rounds, so load drift on a shared machine hits
 *   all alike; each line gives the median and the range of the rounds.
 * - `node`: the log core in this process (LevelDB in a temp dir, fsync'd group commits):
 *   `LogNode.submit` of raw entries of the events' canonical bytes (the cost of events against raw
 *   entries of the same size), then `LogNode.submitEvents` of the same events parsed with
 *   `parseEvent`, without and with receipts.
 * - `trpc`: the log server in a child process (one core for it, one for the clients), over
 *   loopback HTTP: `log.submit` of the same bytes as raw entries, then `events.submit` without
 *   and with receipts (the API's default).
 *
 * `CAIRN_BENCH_CPU_PROF=DIR` runs the tRPC server under `node --cpu-prof`.
 */
import { fork } from 'node:child_process';
import { generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createToken, loadTokens, startLogServer } from '@cairn/api';
import { createLogClient } from '@cairn/client';
import { buildLeaf, parseEvent, receiptKeyName, signReceipt, validateEvent, type ValidatedEvent } from '@cairn/events';
import { encodeBase64, generateSignerKey, parseSignerKey } from '@cairn/formats';
import { nodeEd25519 } from '@cairn/formats/node';
import { nobleBackend } from '@cairn/merkle';
import { nodeBackend } from '@cairn/merkle/node';
import { LogNode, openLevelStorage, silentLogger } from '@cairn/log';
import { generateEvents } from './ocsf-events.js';
import { SOURCE_EXEC_ARGV } from './procs.js';
import { figure, fmt, machine, median } from './report.js';

/** Default events per figure. */
export const DEFAULT_EVENTS = 30_000;
/** Events (or raw entries) per submit call. */
export const EVENTS_PER_CALL = 500;
/** Concurrent submitters in the node and tRPC phases. */
export const EVENT_CLIENTS = 4;
const ORIGIN = 'bench.example.org/log';

/** Options of {@link benchEvents}. */
export interface EventsBenchArgs {
  readonly events: number;
  readonly quick: boolean;
}

const loadAverage = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');

/** The generated events as producer bytes and as canonical bytes. */
function corpus(n: number): { objects: Record<string, unknown>[]; producer: Uint8Array[]; canonical: Uint8Array[]; meanBytes: number } {
  const enc = new TextEncoder();
  const objects = generateEvents(n).map((g) => g.event);
  const producer = objects.map((o) => enc.encode(JSON.stringify(o)));
  const canonical = producer.map((b) => parseEvent(b).canonical);
  const meanBytes = canonical.reduce((s, b) => s + b.length, 0) / n;
  return { objects, producer, canonical, meanBytes };
}

export async function benchEvents(args: EventsBenchArgs): Promise<void> {
  const phases = new Set((process.env.CAIRN_BENCH_PHASES ?? 'cpu,node,trpc').split(','));
  const { objects, producer, canonical, meanBytes } = corpus(args.events);
  const size = `${args.events.toLocaleString('en-US')} events of 6 classes, mean ${Math.round(meanBytes)} B canonical`;
  process.stdout.write(`# bench events — ${machine()}\n# ${size}; load average ${loadAverage()} at start\n`);
  if (phases.has('cpu')) cpuPhase(objects, producer, canonical, args.quick);
  if (phases.has('node')) await nodePhase(producer, canonical, args.quick);
  if (phases.has('trpc')) await trpcPhase(producer, canonical, args.quick);
  process.stdout.write(`# load average ${loadAverage()} at end\n`);
}

// ------------------------------------------------------------------------ cpu phase ----------

function cpuPhase(objects: Record<string, unknown>[], producer: Uint8Array[], canonical: Uint8Array[], quick: boolean): void {
  const n = producer.length;
  const decoder = new TextDecoder();
  const parsed: ValidatedEvent[] = producer.map((b) => parseEvent(b));
  const signer = parseSignerKey(generateSignerKey(receiptKeyName(ORIGIN)), { ed25519: nodeEd25519 });
  const salt = () => crypto.getRandomValues(new Uint8Array(32));
  const leafOf = (e: ValidatedEvent, i: number, backend = nodeBackend) => buildLeaf({ source: 'bench', seq: BigInt(i), event: e, salt: salt(), backend });
  const receipt = (leafHash: Uint8Array, i: number) =>
    signReceipt({ origin: ORIGIN, index: BigInt(i), leafHash, source: 'bench', seq: BigInt(i), deadline: 1767225660n }, signer);
  const receiptText = new TextEncoder().encode(`cairn.dev/receipt/v1\norigin ${ORIGIN}\nindex 123456\nleaf ${'A'.repeat(43)}=\nsource bench\nseq 123456\ndeadline 1767225660\n`);
  const rawKey = generateKeyPairSync('ed25519').privateKey;
  const cases: [string, (i: number) => void, string][] = [
    ['JSON.parse of the same bytes (floor)', (i) => JSON.parse(decoder.decode(producer[i]!)), 'TextDecoder + JSON.parse, no checks'],
    ['parseEvent (producer key order)', (i) => parseEvent(producer[i]!), 'strict JSON + OCSF validation + RFC 8785 bytes'],
    ['parseEvent (canonical input)', (i) => parseEvent(canonical[i]!), 'input already RFC 8785: bytes kept'],
    ['validateEvent (event built in code)', (i) => validateEvent(objects[i]!), 'what the ingest adapters call per event'],
    ['buildLeaf (node SHA-256)', (i) => leafOf(parsed[i]!, i), 'fresh 32-byte salt, commitment, leaf record, leaf hash'],
    ['buildLeaf (noble SHA-256)', (i) => leafOf(parsed[i]!, i, nobleBackend), 'same, portable hashes'],
    ['signReceipt (node Ed25519)', (i) => receipt(parsed[i]!.canonical.subarray(0, 32), i), 'format + sign one receipt note'],
    ['Ed25519 sign, raw node:crypto (ceiling)', () => cryptoSign(null, receiptText, rawKey), 'a receipt-sized message, cached KeyObject'],
    ['parse + leaf, per event (no receipt)', (i) => leafOf(parseEvent(producer[i]!), i), 'the events layer\'s CPU per event without a receipt (ingest adapters)'],
    ['parse + leaf + receipt, per event', (i) => receipt(leafOf(parseEvent(producer[i]!), i).leafHash, i), 'the events layer\'s CPU per submitted event, one core'],
  ];
  const rounds = quick ? 3 : 7;
  const rates = cases.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    cases.forEach(([, f], k) => {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) f(i);
      rates[k]!.push((n * 1000) / (performance.now() - t0));
    });
  }
  cases.forEach(([name, , cond], k) => {
    const rs = rates[k]!;
    figure(name, median(rs), 'events/s', `${cond}; median of ${rounds} rounds (${fmt(Math.min(...rs))}–${fmt(Math.max(...rs))})`);
  });
}

// ------------------------------------------------------------------------ node phase ---------

async function openNode(dir: string): Promise<LogNode> {
  const node = await LogNode.open({
    storage: await openLevelStorage(join(dir, 'data')),
    signerKey: generateSignerKey(ORIGIN),
    receiptSignerKey: generateSignerKey(receiptKeyName(ORIGIN)),
    logger: silentLogger,
  });
  await node.start();
  return node;
}

/** Runs `clients` loops that each take the next `perCall` items and await `send` until all are sent. */
async function drive(total: number, perCall: number, clients: number, send: (from: number, to: number, client: number) => Promise<void>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    while (next < total) {
      const from = next;
      next = Math.min(total, next + perCall);
      await send(from, next, c);
    }
  }));
  return (total * 1000) / (performance.now() - t0);
}

async function nodePhase(producer: Uint8Array[], canonical: Uint8Array[], quick: boolean): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-bench-events-'));
  const node = await openNode(dir);
  const cond = `fsync'd, LevelDB, in process, ${EVENTS_PER_CALL}/call, ${EVENT_CLIENTS} concurrent`;
  try {
    const n = quick ? Math.min(canonical.length, 6000) : canonical.length;
    const raw = await drive(n, EVENTS_PER_CALL, EVENT_CLIENTS, async (from, to) => {
      await node.submit(canonical.slice(from, to));
    });
    figure('LogNode.submit, raw entries of the same bytes', raw, 'entries/s', `${n.toLocaleString('en-US')} entries, ${cond}`);
    for (const receipts of [false, true]) {
      const events = await drive(n, EVENTS_PER_CALL, EVENT_CLIENTS, async (from, to, c) => {
        const batch = producer.slice(from, to).map((b) => ({ event: parseEvent(b) }));
        await node.submitEvents(`bench-${c}`, batch, { receipts });
      });
      figure(`LogNode.submitEvents (parseEvent${receipts ? ' + receipts' : ', no receipts'})`, events, 'events/s',
        `${n.toLocaleString('en-US')} events, ${cond}; ${(events / raw).toFixed(2)}× the raw rate`);
    }
  } finally {
    await node.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------ trpc phase ---------

type FromChild = { type: 'ready'; url: string; token: string } | { type: 'stopped' };

async function childMain(): Promise<void> {
  const dir = process.env.CAIRN_BENCH_DIR as string;
  const tokensFile = join(dir, 'tokens.json');
  const token = await createToken(tokensFile, 'bench', { quota: { entriesPerMinute: 1e12 } });
  const node = await openNode(dir);
  const server = await startLogServer({ node, events: node, listen: { host: '127.0.0.1', port: 0 }, tokens: await loadTokens(tokensFile) });
  process.on('message', (m: { cmd: 'stop' }) => {
    if (m.cmd !== 'stop') return;
    void (async () => {
      await server.close();
      await node.stop();
      process.send?.({ type: 'stopped' } satisfies FromChild);
      process.disconnect();
    })();
  });
  process.send?.({ type: 'ready', url: server.url, token } satisfies FromChild);
}

async function trpcPhase(producer: Uint8Array[], canonical: Uint8Array[], quick: boolean): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-bench-events-trpc-'));
  const prof = process.env.CAIRN_BENCH_CPU_PROF;
  const proc = fork(fileURLToPath(import.meta.url), [], {
    execArgv: [...SOURCE_EXEC_ARGV, ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [])],
    env: { ...process.env, CAIRN_BENCH_EVENTS_CHILD: '1', CAIRN_BENCH_DIR: dir },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = <T extends FromChild['type']>(type: T) =>
    new Promise<void>((resolve, reject) => {
      proc.once('message', (m: FromChild) => (m.type === type ? resolve() : reject(new Error(`expected ${type}, got ${m.type}`))));
    });
  const ready = new Promise<{ url: string; token: string }>((resolve) => proc.once('message', (m: FromChild) => m.type === 'ready' && resolve(m)));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const cond = `fsync'd, server in a child process, loopback HTTP, ${EVENTS_PER_CALL}/call, ${EVENT_CLIENTS} clients`;
  try {
    const { url, token } = await ready;
    const n = quick ? Math.min(canonical.length, 6000) : canonical.length;
    const clients = Array.from({ length: EVENT_CLIENTS }, () => createLogClient(url, { token }));
    const b64 = canonical.map((b) => encodeBase64(b));
    const raw = await drive(n, EVENTS_PER_CALL, EVENT_CLIENTS, async (from, to, c) => {
      await clients[c]!.log.submit.mutate({ entries: b64.slice(from, to), wait: 'none' });
    });
    figure('tRPC log.submit, raw entries of the same bytes', raw, 'entries/s', `${n.toLocaleString('en-US')} entries (base64), ${cond}`);
    const decoder = new TextDecoder();
    const texts = producer.map((b) => decoder.decode(b));
    for (const receipts of [false, true]) {
      const rate = await drive(n, EVENTS_PER_CALL, EVENT_CLIENTS, async (from, to, c) => {
        await clients[c]!.events.submit.mutate({ events: texts.slice(from, to), wait: 'none', receipts });
      });
      figure(`tRPC events.submit (${receipts ? 'receipts' : 'no receipts'})`, rate, 'events/s',
        `${n.toLocaleString('en-US')} events as JSON text, ${cond}; ${(rate / raw).toFixed(2)}× the raw rate`);
    }
  } finally {
    const stopped = next('stopped');
    proc.send({ cmd: 'stop' });
    await Promise.race([stopped, exited]).catch(() => undefined);
    await exited;
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.env.CAIRN_BENCH_EVENTS_CHILD === '1' && process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  childMain().catch((e: unknown) => {
    process.stderr.write(`bench events server: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
