/**
 * `pnpm fuzz`: runs every fuzz target (targets.ts) under fast-check, each in its own worker
 * thread, and prints per target the cases run, accepted/rejected counts, the number of distinct
 * outcome codes and the time. On a failure it prints fast-check's report (seed, path,
 * counterexample), writes the full report to a file, and exits 1. A case that runs longer than
 * the per-case timeout is a hang: async ones fail inside fast-check, synchronous ones are caught
 * by a watchdog on the worker's heartbeat, which terminates it and prints the input.
 *
 * ```
 * pnpm fuzz                                   # 100 000 cases per target
 * pnpm fuzz --runs 5000 --target note,policy  # a subset
 * pnpm fuzz --target witness --seed 123 --path 4521:3:0   # replay a counterexample
 * ```
 */
import { Worker } from 'node:worker_threads';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { DEFAULT_CASE_TIMEOUT_MS, DEFAULT_RUNS, inputAt, type TargetReport } from './harness.js';
import { TARGETS, targetByName } from './targets.js';
import type { WorkerJob } from './worker.js';

/** A worker that shows no progress for this long (outside any case, e.g. generating) is stuck. */
const STALL_MS = 60_000;
const POLL_MS = 100;

const HELP = `Usage: pnpm fuzz [options]

Fuzzes every network-reachable parser and endpoint of Cairn with fast-check.

Options:
  --runs N        cases per target (default ${DEFAULT_RUNS})
  --target NAMES  only these targets (comma-separated, or repeat the option)
  --seed S        fast-check seed (default: random; printed so a run can be replayed)
  --path P        replay one counterexample (with --seed and a single --target)
  --timeout MS    per-case time limit; a slower case is reported as a hang (default ${DEFAULT_CASE_TIMEOUT_MS})
  --jobs J        targets run in parallel, one worker thread each (default 1)
  --list          list the targets and exit
  --help          this text

Exit status: 0 when every target passed, 1 on any failure or hang, 2 on a usage error.

Targets:
${TARGETS.map((t) => `  ${t.name.padEnd(18)} ${t.description}`).join('\n')}
`;

interface Options {
  runs: number;
  targets: string[];
  seed: number;
  path: string | undefined;
  timeoutMs: number;
  jobs: number;
}

function usage(message: string): never {
  process.stderr.write(`pnpm fuzz: ${message}\nTry --help.\n`);
  process.exit(2);
}

function positiveInt(name: string, v: string | undefined): number {
  if (v === undefined || !/^[1-9][0-9]*$/.test(v) || !Number.isSafeInteger(Number(v))) usage(`${name} needs a positive integer`);
  return Number(v);
}

function parseArgs(argv: string[]): Options {
  const o: Options = { runs: DEFAULT_RUNS, targets: [], seed: Math.floor(Math.random() * 0x7fffffff), path: undefined, timeoutMs: DEFAULT_CASE_TIMEOUT_MS, jobs: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--help': case '-h': process.stdout.write(HELP); process.exit(0);
      // eslint-disable-next-line no-fallthrough
      case '--list': for (const t of TARGETS) process.stdout.write(`${t.name}\n`); process.exit(0);
      // eslint-disable-next-line no-fallthrough
      case '--runs': o.runs = positiveInt('--runs', value()); break;
      case '--target': o.targets.push(...(value() ?? usage('--target needs a name')).split(',').filter((s) => s !== '')); break;
      case '--seed': {
        const v = value();
        if (v === undefined || !/^-?[0-9]+$/.test(v) || !Number.isSafeInteger(Number(v))) usage('--seed needs an integer');
        o.seed = Number(v);
        break;
      }
      case '--path': o.path = value() ?? usage('--path needs a value'); break;
      case '--timeout': o.timeoutMs = positiveInt('--timeout', value()); break;
      case '--jobs': o.jobs = positiveInt('--jobs', value()); break;
      case '--': break;
      default: usage(`unknown argument ${a}`);
    }
  }
  for (const t of o.targets) if (targetByName(t) === undefined) usage(`unknown target ${t} (see --list)`);
  if (o.targets.length === 0) o.targets = TARGETS.map((t) => t.name);
  if (o.path !== undefined && o.targets.length !== 1) usage('--path replays one target: give exactly one --target');
  return o;
}

const tsxApi = import.meta.resolve('tsx/esm/api');
const workerUrl = new URL('./worker.ts', import.meta.url).href;
// Workers do not inherit the tsx loader: register it before importing the TypeScript worker.
const BOOTSTRAP = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(workerUrl)}); });`;

interface Outcome {
  readonly name: string;
  readonly report?: TargetReport;
  /** Set for a hang or a crashed worker. */
  readonly problem?: string;
}

function progressLine(name: string, done: number, runs: number, ms: number): void {
  const line = `[${name}] ${done}/${runs} cases, ${(ms / 1000).toFixed(1)} s`;
  if (process.stderr.isTTY) process.stderr.write(`\r${line}\x1b[K`);
  else if (done % Math.max(10_000, Math.floor(runs / 10)) === 0) process.stderr.write(`${line}\n`);
}

function runInWorker(name: string, o: Options): Promise<Outcome> {
  const heartbeat = new SharedArrayBuffer(8);
  const beat = new Int32Array(heartbeat);
  const job: WorkerJob = { target: name, runs: o.runs, seed: o.seed, timeoutMs: o.timeoutMs, heartbeat, ...(o.path !== undefined ? { path: o.path } : {}) };
  const started = performance.now();
  return new Promise((resolve) => {
    const worker = new Worker(BOOTSTRAP, { eval: true, workerData: job });
    let settled = false;
    let lastCount = -1;
    let lastChange = performance.now();
    const finish = (out: Outcome): void => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
      resolve(out);
    };
    const timer = setInterval(() => {
      const count = Atomics.load(beat, 0);
      const now = performance.now();
      if (count !== lastCount) {
        lastCount = count;
        lastChange = now;
        return;
      }
      const inCase = Atomics.load(beat, 1) === 1;
      // Async cases get fast-check's own timeout first (and a failure report): wait a little longer.
      const limit = inCase ? o.timeoutMs + 1_000 : STALL_MS;
      if (now - lastChange < limit) return;
      void worker.terminate();
      const caseNo = count;
      let input = '(not recovered)';
      if (inCase && o.path === undefined) {
        try {
          input = fc.stringify(inputAt(targetByName(name)!.arbitrary, o.seed, String(caseNo - 1)));
        } catch (e) {
          input = `(could not regenerate: ${(e as Error).message})`;
        }
      }
      finish({
        name,
        problem: inCase
          ? `HANG: case ${caseNo} ran for more than ${o.timeoutMs} ms (seed ${o.seed}, path ${caseNo - 1} if no failure came before)\ninput: ${input}`
          : `STALL: no case started for ${STALL_MS / 1000} s after case ${caseNo} (seed ${o.seed}): generation or shrinking hangs`,
      });
    }, POLL_MS);
    worker.on('message', (m: { type: string; done?: number; report?: TargetReport }) => {
      if (m.type === 'progress') progressLine(name, m.done!, o.runs, performance.now() - started);
      else if (m.type === 'result') {
        finish({ name, report: m.report! });
        void worker.terminate();
      }
    });
    worker.on('error', (e) => finish({ name, problem: `worker crashed: ${e.stack ?? e.message}` }));
    worker.on('exit', (code) => finish({ name, problem: `worker exited (code ${code}) without a result` }));
  });
}

function summary(r: TargetReport): string {
  const status = r.failure === undefined ? 'ok' : 'FAILED';
  return `${r.name.padEnd(18)} ${String(r.cases).padStart(7)} cases  accepted ${String(r.accepted).padStart(6)}  rejected ${String(r.rejected).padStart(7)}  codes ${String(r.codes.length).padStart(3)}  ${(r.ms / 1000).toFixed(1).padStart(6)} s  ${status}`;
}

function failureText(r: TargetReport, o: Options): string {
  const f = r.failure!;
  const replay = `pnpm fuzz --target ${r.name} --seed ${f.seed}${f.path === null ? '' : ` --path ${f.path}`}`;
  return [
    `--- ${r.name} FAILED: ${f.error}`,
    f.report,
    `counterexample: ${f.counterexample}`,
    `replay: ${replay}${o.timeoutMs !== DEFAULT_CASE_TIMEOUT_MS ? ` --timeout ${o.timeoutMs}` : ''}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  process.stdout.write(`cairn fuzz: ${o.targets.length} target(s), ${o.runs} cases each, seed ${o.seed}, per-case timeout ${o.timeoutMs} ms\n`);
  const queue = [...o.targets];
  const outcomes: Outcome[] = [];
  const started = performance.now();
  let failed = false;
  const lane = async (): Promise<void> => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      const out = await runInWorker(name, o);
      outcomes.push(out);
      if (out.report !== undefined) {
        process.stdout.write(`${summary(out.report)}\n`);
        if (out.report.failure !== undefined) {
          failed = true;
          const text = failureText(out.report, o);
          const file = join(tmpdir(), `cairn-fuzz-${name}-${out.report.seed}.txt`);
          writeFileSync(file, `${text}\n`);
          const shown = text.length > 6_000 ? `${text.slice(0, 6_000)}\n… (${text.length} characters; full report in ${file})` : `${text}\n(report saved to ${file})`;
          process.stdout.write(`${shown}\n`);
        }
      } else {
        failed = true;
        const file = join(tmpdir(), `cairn-fuzz-${name}-${o.seed}.txt`);
        writeFileSync(file, `${out.problem}\n`);
        const shown = out.problem!.length > 2_000 ? `${out.problem!.slice(0, 2_000)}… (${out.problem!.length} characters)` : out.problem!;
        process.stdout.write(`${name.padEnd(18)} ${shown}\n(report saved to ${file})\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.jobs, o.targets.length) }, lane));
  const total = outcomes.reduce((n, x) => n + (x.report?.cases ?? 0), 0);
  process.stdout.write(`${failed ? 'FAILED' : 'ok'}: ${total} cases in ${((performance.now() - started) / 1000).toFixed(1)} s (seed ${o.seed})\n`);
  process.exit(failed ? 1 : 0);
}

await main();
