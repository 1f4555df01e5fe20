/**
 * `pnpm bench log`: the log node end to end, fsync on.
 *
 * The server is a CHILD PROCESS (this file, forked with an IPC channel): a LevelDB `LogNode`
 * behind `startLogServer` on 127.0.0.1, as `cairn log serve` runs it (but with silent logs).
 * The clients run in this process, so on a 2-core machine the server has one core to itself
 * and the clients the other. Figures:
 *
 * - durable ingestion through tRPC: `--clients` concurrent clients, each sending `submit`
 *   calls of 1,000 entries of 256 bytes (wait 'none': answered once fsync'd); acknowledged
 *   entries/s, and signed entries/s (until a checkpoint covers everything);
 * - submit → included in a signed checkpoint (wait 'checkpoint', 1 entry per call): p50/p99
 *   with no other load, and while the ingestion clients run;
 * - inclusion proofs: through tRPC with `httpBatchLink` (concurrent calls batched into one
 *   request), and `node.inclusionProof` called directly in the server process;
 * - RSS of the server process after `--entries` entries.
 *
 * `CAIRN_BENCH_CPU_PROF=DIR` runs the server under `node --cpu-prof --cpu-prof-dir=DIR`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createToken, loadTokens, startLogServer } from '@cairn/api';
import { createLogClient } from '@cairn/client';
import { encodeBase64, generateSignerKey } from '@cairn/formats';
import { LogNode, openLevelStorage, silentLogger } from '@cairn/log';
import { SOURCE_EXEC_ARGV } from './procs.js';
import { figure, machine, median, percentile } from './report.js';

/** Entry size of the ingestion figure (bytes). */
export const ENTRY_BYTES = 256;
/** Entries per submit call (the API's MAX_SUBMIT_ENTRIES). */
export const BATCH_ENTRIES = 1000;
/** Default concurrent ingestion clients. */
export const DEFAULT_CLIENTS = 4;
/** Default entries ingested (and the log size the RSS figure is taken at). */
export const DEFAULT_LOG_ENTRIES = 200_000;
/** Latency samples per condition. */
const LATENCY_SAMPLES = 200;
/** Measurement time of each proof-rate figure (ms). */
const PROOF_MS = 3000;
/** Calls per httpBatchLink request, and such requests in flight, for the tRPC proof figure. */
const PROOF_BATCH = 100;
const PROOF_CLIENTS = 4;

/** Options of {@link benchLog}. */
export interface LogBenchArgs {
  readonly entries: number;
  readonly clients: number;
  readonly quick: boolean;
  readonly checkpointIntervalMs?: number | undefined;
}

type ToChild = { cmd: 'rss' } | { cmd: 'proofs'; ms: number } | { cmd: 'status' } | { cmd: 'stop' };
type FromChild =
  | { type: 'ready'; url: string; token: string }
  | { type: 'rss'; rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number }
  | { type: 'proofs'; perSecond: number; size: string }
  | { type: 'status'; size: string; sequencedSize: string }
  | { type: 'stopped' };

// ---------------------------------------------------------------- server (child process) ----

async function childMain(): Promise<void> {
  const dir = process.env.CAIRN_BENCH_DIR as string;
  const interval = process.env.CAIRN_BENCH_INTERVAL;
  const send = (m: FromChild) => process.send?.(m);
  const tokensFile = join(dir, 'tokens.json');
  const token = await createToken(tokensFile, 'bench', { quota: { entriesPerMinute: 1e12 } });
  const node = await LogNode.open({
    storage: await openLevelStorage(join(dir, 'data')),
    signerKey: generateSignerKey('bench.example.org/log'),
    logger: silentLogger,
    ...(interval !== undefined ? { checkpointIntervalMs: Number(interval) } : {}),
  });
  await node.start();
  const server = await startLogServer({ node, listen: { host: '127.0.0.1', port: 0 }, tokens: await loadTokens(tokensFile) });
  process.on('message', (m: ToChild) => {
    void (async () => {
      if (m.cmd === 'rss') {
        globalThis.gc?.();
        const u = process.memoryUsage();
        send({ type: 'rss', rss: u.rss, heapUsed: u.heapUsed, heapTotal: u.heapTotal, external: u.external, arrayBuffers: u.arrayBuffers });
      } else if (m.cmd === 'status') {
        const s = node.status();
        send({ type: 'status', size: s.size.toString(), sequencedSize: s.sequencedSize.toString() });
      } else if (m.cmd === 'proofs') {
        const size = node.latestCheckpoint()?.size ?? 0n;
        let n = 0;
        let x = 0x9e3779b9;
        const t0 = performance.now();
        while (performance.now() - t0 < m.ms) {
          const batch: Promise<Uint8Array[]>[] = [];
          for (let i = 0; i < 64; i++) {
            x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
            batch.push(node.inclusionProof(BigInt(x) % size, size));
          }
          await Promise.all(batch);
          n += batch.length;
        }
        send({ type: 'proofs', perSecond: (n * 1000) / (performance.now() - t0), size: size.toString() });
      } else if (m.cmd === 'stop') {
        await server.close();
        await node.stop();
        send({ type: 'stopped' });
        process.disconnect();
      }
    })();
  });
  send({ type: 'ready', url: server.url, token });
}

// ---------------------------------------------------------------- clients (this process) ----

class Child {
  readonly #proc: ChildProcess;
  readonly #waiting: ((m: FromChild) => void)[] = [];
  constructor(proc: ChildProcess) {
    this.#proc = proc;
    proc.on('message', (m: FromChild) => this.#waiting.shift()?.(m));
  }
  next<T extends FromChild['type']>(type: T): Promise<Extract<FromChild, { type: T }>> {
    return new Promise((resolve, reject) => {
      this.#waiting.push((m) => (m.type === type ? resolve(m as Extract<FromChild, { type: T }>) : reject(new Error(`expected ${type}, got ${m.type}`))));
    });
  }
  ask<T extends FromChild['type']>(msg: ToChild, type: T): Promise<Extract<FromChild, { type: T }>> {
    const p = this.next(type);
    this.#proc.send(msg);
    return p;
  }
  exited(): Promise<void> {
    return new Promise((resolve) => (this.#proc.exitCode !== null ? resolve() : this.#proc.once('exit', () => resolve())));
  }
}

function startChild(dir: string, interval: number | undefined): Child {
  const prof = process.env.CAIRN_BENCH_CPU_PROF;
  const proc = fork(fileURLToPath(import.meta.url), [], {
    execArgv: [...SOURCE_EXEC_ARGV, '--expose-gc', ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [])],
    env: { ...process.env, CAIRN_BENCH_LOG_CHILD: '1', CAIRN_BENCH_DIR: dir, ...(interval !== undefined ? { CAIRN_BENCH_INTERVAL: String(interval) } : {}) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Child(proc);
}

/** A batch of `n` distinct 256-byte entries in base64 (a counter in the first 8 bytes). */
function makeBatch(counter: { next: number }, n: number): string[] {
  const b = new Uint8Array(ENTRY_BYTES);
  const dv = new DataView(b.buffer);
  for (let i = 8; i < ENTRY_BYTES; i++) b[i] = (i * 131) & 0xff;
  const out: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    dv.setFloat64(0, counter.next++);
    out[i] = encodeBase64(b);
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `clients` ingestion loops until `total` entries are acknowledged (or `stop()` is true). */
async function ingest(url: string, token: string, clients: number, total: number, counter: { next: number }, stop?: () => boolean, rate?: number): Promise<{ acked: number; seconds: number; queueFull: number }> {
  let acked = 0;
  let issued = 0;
  let queueFull = 0;
  const t0 = performance.now();
  const loop = async () => {
    const client = createLogClient(url, { token });
    while (issued < total && !(stop?.() ?? false)) {
      const n = Math.min(BATCH_ENTRIES, total - issued);
      if (rate !== undefined) {
        const due = t0 + (issued / rate) * 1000 - performance.now();
        issued += n;
        if (due > 0) await sleep(due);
      } else {
        issued += n;
      }
      const entries = makeBatch(counter, n);
      for (;;) {
        try {
          await client.log.submit.mutate({ entries, wait: 'none' });
          acked += n;
          break;
        } catch (e) {
          const code = (e as { data?: { cairnCode?: string } }).data?.cairnCode;
          if (code !== 'queue-full') throw e;
          queueFull++;
          await sleep(5);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  return { acked, seconds: (performance.now() - t0) / 1000, queueFull };
}

async function waitSigned(child: Child, size: number): Promise<void> {
  for (;;) {
    const s = await child.ask({ cmd: 'status' }, 'status');
    if (BigInt(s.size) >= BigInt(size)) return;
    await sleep(5);
  }
}

let queueFull = 0;

/**
 * Open-loop latency: `samples` events arrive at random times (exponential gaps, mean `gapMs`),
 * independently of the log's checkpoint schedule as real audit events do; each is its own submit
 * with wait 'checkpoint', and several may be in flight. A closed loop (next submit right after
 * the previous answer) instead synchronises with the schedule and measures its worst case.
 */
async function openLoopLatency(url: string, token: string, samples: number, gapMs: number): Promise<number[]> {
  const client = createLogClient(url, { token });
  const counter = { next: 2e15 + Math.random() * 1e12 };
  let seed = 987654321;
  const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  const out: number[] = [];
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < samples; i++) {
    await sleep(-Math.log(random()) * gapMs);
    const entries = makeBatch(counter, 1);
    const t0 = performance.now();
    inflight.push(client.log.submit.mutate({ entries, wait: 'checkpoint' }).then(() => { out.push(performance.now() - t0); }));
  }
  await Promise.all(inflight);
  return out;
}

async function latency(url: string, token: string, samples: number): Promise<number[]> {
  const client = createLogClient(url, { token });
  const counter = { next: 1e15 + Math.random() * 1e12 };
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const entries = makeBatch(counter, 1);
    const t0 = performance.now();
    for (;;) {
      try {
        await client.log.submit.mutate({ entries, wait: 'checkpoint' });
        break;
      } catch (e) {
        if ((e as { data?: { cairnCode?: string } }).data?.cairnCode !== 'queue-full') throw e;
        queueFull++;
        await sleep(5);
      }
    }
    out.push(performance.now() - t0);
    if (process.env.CAIRN_BENCH_VERBOSE) process.stderr.write(`latency sample ${i}: ${(performance.now() - t0).toFixed(1)} ms\n`);
  }
  return out;
}

/**
 * tRPC inclusion proofs with httpBatchLink: PROOF_CLIENTS clients, each issuing rounds of
 * PROOF_BATCH concurrent calls (one HTTP request per round; a round of 100 keeps the GET URL
 * under Node's 16 KiB header limit).
 */
async function trpcProofs(url: string, size: bigint, ms: number): Promise<number> {
  let n = 0;
  let x = 12345;
  const t0 = performance.now();
  const worker = async () => {
    const client = createLogClient(url, { batch: true });
    while (performance.now() - t0 < ms) {
      const round = Array.from({ length: PROOF_BATCH }, () => {
        x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
        return client.log.inclusionProof.query({ index: (BigInt(x) % size).toString(), treeSize: size.toString() });
      });
      await Promise.all(round);
      n += round.length;
    }
  };
  await Promise.all(Array.from({ length: PROOF_CLIENTS }, worker));
  return (n * 1000) / (performance.now() - t0);
}

/** Indices per `inclusionProofs` call in the multi-proof figure. */
const MULTI_PROOF_INDICES = 500;

/** tRPC `inclusionProofs`: PROOF_CLIENTS clients, each asking MULTI_PROOF_INDICES proofs per call. */
async function trpcMultiProofs(url: string, size: bigint, ms: number): Promise<number> {
  let n = 0;
  let x = 54321;
  const t0 = performance.now();
  const worker = async () => {
    const client = createLogClient(url);
    while (performance.now() - t0 < ms) {
      const indices = Array.from({ length: MULTI_PROOF_INDICES }, () => {
        x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
        return (BigInt(x) % size).toString();
      });
      const r = await client.log.inclusionProofs.query({ indices, treeSize: size.toString() });
      n += r.proofs.length;
    }
  };
  await Promise.all(Array.from({ length: PROOF_CLIENTS }, worker));
  return (n * 1000) / (performance.now() - t0);
}

export async function benchLog(args: LogBenchArgs): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-bench-log-'));
  const child = startChild(dir, args.checkpointIntervalMs);
  const interval = args.checkpointIntervalMs ?? 100;
  const cond = `fsync on, LevelDB, server in a child process, checkpoint interval ${interval} ms`;
  try {
    const { url, token } = await child.next('ready');
    process.stdout.write(`# bench log — ${machine()}\n# ${cond}; data in ${dir}\n`);
    const phases = new Set((process.env.CAIRN_BENCH_PHASES ?? 'light,ingest,load,proofs').split(','));
    const samples = args.quick ? 40 : LATENCY_SAMPLES;

    // Latency with no other load (the log is empty but for these entries).
    if (phases.has('light')) {
      const light = await latency(url, token, samples);
      figure('submit → signed checkpoint p50 (light)', median(light), 'ms', `1 entry/call, sequential, ${samples} calls`);
      figure('submit → signed checkpoint p99 (light)', percentile(light, 99), 'ms', `1 entry/call, sequential, ${samples} calls`);
      const open = await openLoopLatency(url, token, samples, 50);
      figure('submit → signed checkpoint p50 (open loop)', median(open), 'ms', `1 entry/call, random arrivals ~20/s, ${samples} calls`);
      figure('submit → signed checkpoint p99 (open loop)', percentile(open, 99), 'ms', `1 entry/call, random arrivals ~20/s, ${samples} calls`);
    }

    // Durable ingestion of --entries entries.
    const counter = { next: 0 };
    const rss0 = await child.ask({ cmd: 'rss' }, 'rss');
    const t0 = performance.now();
    // RSS along the way (comment lines), for the growth per million entries.
    let sampling = true;
    const sampler = (async () => {
      const every = args.entries >= 2_000_000 ? 30_000 : 10_000;
      while (sampling) {
        for (let waited = 0; waited < every && sampling; waited += 250) await sleep(250);
        if (!sampling) break;
        const [r, st] = [await child.ask({ cmd: 'rss' }, 'rss'), await child.ask({ cmd: 'status' }, 'status')];
        process.stdout.write(`# rss ${(r.rss / 2 ** 20).toFixed(0)} MB at size ${BigInt(st.size).toLocaleString('en-US')} (heap ${(r.heapTotal / 2 ** 20).toFixed(0)} MB, external ${(r.external / 2 ** 20).toFixed(0)} MB), ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
      }
    })();
    const ing = await ingest(url, token, args.clients, args.entries, counter);
    sampling = false;
    await sampler;
    await waitSigned(child, args.entries + (phases.has('light') ? 2 * samples : 0));
    const tSigned = (performance.now() - t0) / 1000;
    figure('durable ingestion via tRPC (acknowledged)', ing.acked / ing.seconds, 'entries/s',
      `${ing.acked.toLocaleString('en-US')} × ${ENTRY_BYTES} B, ${BATCH_ENTRIES}/call, ${args.clients} clients, ${ing.queueFull} queue-full retries`);
    figure('ingestion until signed (integrated)', ing.acked / tSigned, 'entries/s',
      `same run, until a signed checkpoint covers every entry (${tSigned.toFixed(1)} s)`);

    const rss = await child.ask({ cmd: 'rss' }, 'rss');
    const mb = (b: number) => b / 2 ** 20;
    figure('server RSS after ingestion', mb(rss.rss), 'MB', `log size ${(args.entries + (phases.has('light') ? 2 * samples : 0)).toLocaleString('en-US')}, heap ${mb(rss.heapUsed).toFixed(0)}/${mb(rss.heapTotal).toFixed(0)} MB, external ${mb(rss.external).toFixed(0)} MB, RSS at start ${mb(rss0.rss).toFixed(0)} MB`);

    // Latency under load: the same probe while ingestion clients keep submitting, first at half
    // the ingestion rate just measured (paced), then unpaced (saturated: the server CPU is full).
    if (phases.has('load')) {
      const capacity = ing.acked / ing.seconds;
      for (const [label, rate] of [['half load', capacity / 2], ['saturated', undefined]] as const) {
        let stop = false;
        const bg = ingest(url, token, args.clients, Number.MAX_SAFE_INTEGER, counter, () => stop, rate);
        await sleep(500);
        const loaded = await latency(url, token, samples);
        stop = true;
        const bgr = await bg;
        const cond = `1 entry/call while ${args.clients} clients ingest ${Math.round(bgr.acked / bgr.seconds).toLocaleString('en-US')} entries/s${rate === undefined ? ' (unpaced)' : ' (paced)'}`;
        figure(`submit → signed checkpoint p50 (${label})`, median(loaded), 'ms', cond);
        figure(`submit → signed checkpoint p99 (${label})`, percentile(loaded, 99), 'ms', `${samples} calls`);
      }
    }

    if (!phases.has('proofs')) return;
    // Inclusion proofs.
    const st = await child.ask({ cmd: 'status' }, 'status');
    await waitSigned(child, Number(st.sequencedSize));
    const size = BigInt((await child.ask({ cmd: 'status' }, 'status')).size);
    const ms = args.quick ? 1000 : PROOF_MS;
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    const viaTrpc = await trpcProofs(url, size, ms);
    const cpu = process.cpuUsage(cpu0);
    const clientCpu = (cpu.user + cpu.system) / 1000 / (performance.now() - w0);
    figure('inclusion proofs via tRPC (httpBatchLink)', viaTrpc, 'proofs/s', `${PROOF_CLIENTS} clients × ${PROOF_BATCH} calls per batched request, random index, tree ${size.toLocaleString('en-US')}, client process CPU ${(clientCpu * 100).toFixed(0)}%`);
    const multi = await trpcMultiProofs(url, size, ms);
    figure('inclusion proofs via tRPC inclusionProofs', multi, 'proofs/s', `${PROOF_CLIENTS} clients × ${MULTI_PROOF_INDICES} random indices per call, tree ${size.toLocaleString('en-US')}`);
    const direct = await child.ask({ cmd: 'proofs', ms }, 'proofs');
    figure('inclusion proofs, node.inclusionProof direct', direct.perSecond, 'proofs/s', `in the server process, 64 concurrent, tree ${BigInt(direct.size).toLocaleString('en-US')}`);
  } finally {
    await child.ask({ cmd: 'stop' }, 'stopped').catch(() => undefined);
    await child.exited();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.env.CAIRN_BENCH_LOG_CHILD === '1' && process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  childMain().catch((e: unknown) => {
    process.stderr.write(`bench log server: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
