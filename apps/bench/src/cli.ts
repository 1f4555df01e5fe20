/**
 * `pnpm bench cli`: how fast the compiled `cairn` command starts, and what its daemons weigh.
 *
 * - `cairn --help`: wall time of `./node_modules/.bin/cairn --help` (the command `pnpm install`
 *   links), median of {@link HELP_RUNS} runs after one warm-up run; and, for comparison, the
 *   same through tsx from sources (`pnpm cairn:dev --help`, as every command ran before the CLI
 *   was compiled), median of {@link SOURCE_HELP_RUNS}.
 * - RSS at start of `log serve`, `witness serve` (with libp2p) and `demo` (the demo process and
 *   its four children): read from /proc once the process printed its ready line and
 *   {@link SETTLE_MS} passed, compiled and, for the two servers, from sources for comparison.
 *
 * Every child is bounded (killed after its timeout) and stopped with SIGTERM at the end.
 */
import { spawn } from 'node:child_process';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FROM_SOURCES, REPO_ROOT, runCli } from './procs.js';
import { figure, machine, median } from './report.js';

/** Runs of the compiled `cairn --help` (the figure is their median). */
export const HELP_RUNS = 10;
/** Runs of `cairn --help` from sources (slow; for comparison only). */
export const SOURCE_HELP_RUNS = 3;
/** Pause after a daemon's ready line before its RSS is read (start-up garbage settles). */
export const SETTLE_MS = 1000;
/** Bound on one `--help` run and on a daemon's start. */
const HELP_TIMEOUT_MS = 30_000;
const START_TIMEOUT_MS = 60_000;

const COMPILED_BIN = join(REPO_ROOT, 'node_modules/.bin/cairn');
const COMPILED_ARGS = [join(REPO_ROOT, 'apps/cli/dist/cairn.js')];
const SOURCE_ARGS = ['--conditions=source', '--import', 'tsx', join(REPO_ROOT, 'apps/cli/src/main.ts')];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wall time of one run of `file args` to completion, in ms (rejects on a non-zero exit or after the bound). */
function timeRun(file: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(file, args, { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), HELP_TIMEOUT_MS);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      const ms = performance.now() - t0;
      if (code === 0) resolve(ms);
      else reject(new Error(`${file} ${args.join(' ')} exited with ${code}: ${err.trim()}`));
    });
  });
}

async function medianOf(runs: number, file: string, args: readonly string[]): Promise<{ median: number; min: number; max: number }> {
  await timeRun(file, args); // warm-up: the file system cache
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) ms.push(await timeRun(file, args));
  return { median: median(ms), min: Math.min(...ms), max: Math.max(...ms) };
}

/** Resident set size of a process in bytes (Linux /proc). */
async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (m === null) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) * 1024;
}

/** The process IDs of the direct children of `pid` (Linux /proc). */
async function childrenOf(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text.trim().split(/\s+/).filter(Boolean).map(Number);
}

interface Daemon {
  readonly pid: number;
  stop(): Promise<void>;
}

/** Starts `node <nodeArgs> <args>` and resolves once stdout matches `ready` (bounded). */
function startDaemon(nodeArgs: readonly string[], args: readonly string[], ready: RegExp): Promise<Daemon> {
  const child = spawn(process.execPath, [...nodeArgs, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => { err = (err + d).slice(-8192); });
  const stop = () => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('close', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cairn ${args.slice(0, 2).join(' ')} not ready within ${START_TIMEOUT_MS} ms; stderr: ${err}`));
    }, START_TIMEOUT_MS);
    const onClose = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`cairn ${args.slice(0, 2).join(' ')} exited with ${code}; stderr: ${err}`));
    };
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (ready.test(out)) {
        clearTimeout(timer);
        child.off('close', onClose);
        resolve({ pid: child.pid!, stop });
      }
    });
    child.once('close', onClose);
  });
}

/** RSS in bytes of a daemon (and, with `tree`, of its children too) once ready and settled. */
async function rssAtStart(nodeArgs: readonly string[], args: readonly string[], ready: RegExp, tree = false): Promise<{ self: number; total: number }> {
  const d = await startDaemon(nodeArgs, args, ready);
  try {
    await sleep(SETTLE_MS);
    const self = await rssOf(d.pid);
    let total = self;
    if (tree) for (const c of await childrenOf(d.pid)) total += await rssOf(c).catch(() => 0);
    return { self, total };
  } finally {
    await d.stop();
  }
}

const MB = (b: number) => b / 1e6;

export async function benchCli(opts: { quick: boolean }): Promise<void> {
  process.stdout.write(`# cli: ${machine()}${FROM_SOURCES ? ' — run from sources: figures are for `pnpm bench cli` (compiled)' : ''}\n`);
  const help = await medianOf(opts.quick ? 3 : HELP_RUNS, COMPILED_BIN, ['--help']);
  figure('cairn --help, compiled (wall)', help.median, 'ms', `median of ${opts.quick ? 3 : HELP_RUNS} runs (min ${help.min.toFixed(0)}, max ${help.max.toFixed(0)}); ./node_modules/.bin/cairn --help`);
  if (!opts.quick) {
    const src = await medianOf(SOURCE_HELP_RUNS, process.execPath, [...SOURCE_ARGS, '--help']);
    figure('cairn --help, from sources through tsx (wall)', src.median, 'ms', `median of ${SOURCE_HELP_RUNS} runs; node --import tsx apps/cli/src/main.ts --help`);
  }

  const dir = await mkdtemp(join(tmpdir(), 'cairn-bench-cli-'));
  try {
    const logKey = join(dir, 'log.key');
    const logVkey = (await runCli(['keygen', '--name', 'bench.example.org/cli', '--out', logKey])).trim().replace(/^vkey /, '').split('\n')[0]!;
    const tokens = join(dir, 'tokens.json');
    await runCli(['log', 'tokens', 'add', '--tokens', tokens, '--source', 'bench']);
    const wKey = join(dir, 'w.key');
    await runCli(['keygen', '--name', 'w.bench.example.org', '--out', wKey, '--witness']);

    const variants: [string, readonly string[]][] = [['compiled', COMPILED_ARGS]];
    if (!opts.quick) variants.push(['from sources (tsx)', SOURCE_ARGS]);
    for (const [how, nodeArgs] of variants) {
      const tag = how === 'compiled' ? 'c' : 's';
      const log = await rssAtStart(nodeArgs, ['log', 'serve', '--log-format', 'text', '--data', join(dir, `log-${tag}`), '--key', logKey, '--listen', '127.0.0.1:0', '--tokens', tokens],
        /^cairn log listening on /m);
      figure(`RSS at start: log serve, ${how}`, MB(log.self), 'MB', 'LevelDB store, no witnesses, after the listening line + 1 s');
      const w = await rssAtStart(nodeArgs, ['witness', 'serve', '--log-format', 'text', '--data', join(dir, `w-${tag}`), '--key', wKey, '--listen', '127.0.0.1:0', '--log', logVkey,
        '--p2p-listen', '/ip4/127.0.0.1/tcp/0'], /^cairn witness listening on /m);
      figure(`RSS at start: witness serve, ${how}`, MB(w.self), 'MB', 'LevelDB store, libp2p on 127.0.0.1, after the listening line + 1 s');
    }
    const demo = await rssAtStart(COMPILED_ARGS,
      ['demo', '--dir', join(dir, 'demo')], /^demo: ready/m, true);
    figure('RSS at start: demo, compiled (the demo process)', MB(demo.self), 'MB', 'after its ready line + 1 s');
    figure('RSS at start: demo, compiled (with its 4 children)', MB(demo.total), 'MB', 'the demo + 3 witness serve + log serve');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
