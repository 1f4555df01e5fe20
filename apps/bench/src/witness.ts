/**
 * `pnpm bench witness`: the witness node and the log ↔ witness loop, fsync on, over HTTP on
 * 127.0.0.1, every node a real `cairn … serve` child process (LevelDB data directories).
 *
 * - add-checkpoint requests/s with persistence: one witness trusting L logs; L concurrent
 *   clients (one per log: a log's requests are sequential by nature, old = the stored size)
 *   each grow their log by one entry per request, with its real consistency proof. Bodies are
 *   signed before the clock starts. Every answer must be 200.
 * - submit → checkpoint cosigned by 3 witnesses: a log (`--witness` ×3, quorum 3) and three
 *   witnesses; one entry per `submit` with wait 'cosigned'; p50/p99 of the round trip.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogClient } from '@cairn/client';
import { TestLog } from '@cairn/witness/testing';
import { figure, machine, median, percentile } from './report.js';
import { runCli, startCli } from './procs.js';

export interface WitnessBenchArgs {
  readonly quick: boolean;
  readonly logs?: number | undefined;
}

const WITNESS_READY = /^cairn witness listening on (http:\/\/\S+)$/m;
const LOG_READY = /^cairn log listening on (http:\/\/\S+)$/m;

export async function benchWitness(args: WitnessBenchArgs): Promise<void> {
  process.stdout.write(`# bench witness — ${machine()}\n`);
  const dir = await mkdtemp(join(tmpdir(), 'cairn-bench-witness-'));
  try {
    await addCheckpointRate(dir, args);
    await cosignLatency(dir, args);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function addCheckpointRate(dir: string, args: WitnessBenchArgs): Promise<void> {
  const L = args.logs ?? (args.quick ? 8 : 32);
  const steps = args.quick ? 40 : 150;
  const logs = Array.from({ length: L }, (_, i) => new TestLog(`bench.example.org/log${i}`, i + 1));
  process.stderr.write(`preparing ${L * steps} signed add-checkpoint bodies…\n`);
  const bodies = logs.map((log) => {
    const out: Uint8Array[] = [];
    for (let s = 1; s <= steps; s++) out.push(log.body(BigInt(s - 1), BigInt(s)));
    return out;
  });
  await runCli(['keygen', '--name', 'bench-witness.example.org', '--out', join(dir, 'w.key'), '--witness']);
  const w = await startCli(['witness', 'serve', '--log-format', 'text', '--data', join(dir, 'w-data'), '--key', join(dir, 'w.key'),
    '--listen', '127.0.0.1:0', ...logs.flatMap((l) => ['--log', l.vkey])], WITNESS_READY, 30_000, profileArgs());
  const url = w.match[1]!;
  try {
    let ok = 0;
    const t0 = performance.now();
    await Promise.all(bodies.map(async (list) => {
      for (const body of list) {
        const res = await fetch(`${url}/add-checkpoint`, { method: 'POST', body });
        const text = await res.text();
        if (res.status !== 200) throw new Error(`add-checkpoint answered ${res.status}: ${text}`);
        ok++;
      }
    }));
    const secs = (performance.now() - t0) / 1000;
    figure('witness add-checkpoint, persisted', ok / secs, 'req/s', `${L} logs × ${steps} sequential requests, HTTP keep-alive, LevelDB fsync per request`);
  } finally {
    await w.stop();
  }
}

/** `CAIRN_BENCH_CPU_PROF=DIR` profiles the measured witness (node --cpu-prof into DIR). */
function profileArgs(): string[] {
  const dir = process.env['CAIRN_BENCH_CPU_PROF'];
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

async function cosignLatency(dir: string, args: WitnessBenchArgs): Promise<void> {
  const samples = args.quick ? 40 : 200;
  const logKey = join(dir, 'log.key');
  const logVkey = (await runCli(['keygen', '--name', 'bench.example.org/cosigned', '--out', logKey])).trim();
  const witnesses = [];
  try {
    for (let i = 1; i <= 3; i++) {
      const key = join(dir, `w${i}.key`);
      const out = await runCli(['keygen', '--name', `w${i}.bench.example.org`, '--out', key, '--witness']);
      const cosVkey = /^cosignature\/v1 (\S+)$/m.exec(out)![1]!;
      const started = await startCli(['witness', 'serve', '--log-format', 'text', '--data', join(dir, `w${i}-data`), '--key', key,
        '--listen', '127.0.0.1:0', '--log', logVkey], WITNESS_READY);
      witnesses.push({ started, url: started.match[1]!, cosVkey });
    }
    const tokens = join(dir, 'tokens.json');
    const token = (await runCli(['log', 'tokens', 'add', '--tokens', tokens, '--source', 'bench'])).trim();
    const log = await startCli(['log', 'serve', '--log-format', 'text', '--data', join(dir, 'log-data'), '--key', logKey, '--listen', '127.0.0.1:0',
      '--tokens', tokens, '--quorum', '3', ...witnesses.flatMap((w) => ['--witness', `${w.url}=${w.cosVkey}`])], LOG_READY);
    try {
      const client = createLogClient(log.match[1]!, { token });
      const lat: number[] = [];
      for (let i = 0; i < samples + 5; i++) {
        const t = performance.now();
        const r = await client.log.submit.mutate({ entries: [Buffer.from(`event ${i}`).toString('base64')], wait: 'cosigned' });
        if (r.checkpoint === undefined) throw new Error('no cosigned checkpoint returned');
        if (i >= 5) lat.push(performance.now() - t); // the first few warm up connections
      }
      figure('submit → cosigned by 3 witnesses, p50', median(lat), 'ms', `${samples} sequential 1-entry submits, wait cosigned, quorum 3/3, checkpoint interval 100 ms`);
      figure('submit → cosigned by 3 witnesses, p99', percentile(lat, 99), 'ms', `same run`);
    } finally {
      await log.stop();
    }
  } finally {
    for (const w of witnesses) await w.started.stop();
  }
}

