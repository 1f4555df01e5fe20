/**
 * Process helpers for cross-package tests: run the `cairn` CLI as a real child process (the way
 * `pnpm cairn` does: `node --conditions=source --import tsx apps/cli/src/main.ts …`), start
 * `cairn log serve` on 127.0.0.1 with a free port and parse its URL, and kill it.
 *
 * Every wait is bounded: a helper that waits for a process rejects after its timeout and kills
 * what it started, so a stuck child never outlives the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is test/helpers/cli.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The CLI entry point. */
export const CLI_MAIN = join(REPO_ROOT, 'apps/cli/src/main.ts');
/** Default bound on one short CLI command (keygen, tokens add, a refused serve). */
export const DEFAULT_CLI_TIMEOUT_MS = 30_000;
/** Default bound on `log serve` printing its listening line. */
export const DEFAULT_SERVE_START_TIMEOUT_MS = 30_000;
/** Bytes of a child's stderr kept for diagnostics. */
const STDERR_TAIL_BYTES = 16 * 1024;

const LISTENING = /^cairn log listening on (http:\/\/\S+)$/m;
const START_SIZE = /^checkpoint \S+ \(size (\d+)\)$/m;

/**
 * A server's start-up line as text: in `--log-format json` (the default when standard error is
 * not a terminal, as here) each start-up line on stdout is a record whose `msg` is the line.
 */
export function startupText(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const msg = (JSON.parse(line) as { msg?: unknown }).msg;
    return typeof msg === 'string' ? msg : line;
  } catch {
    return line;
  }
}

/** The argv prefix that runs the CLI through tsx from sources. */
export function cliArgs(args: readonly string[]): string[] {
  return ['--conditions=source', '--import', 'tsx', CLI_MAIN, ...args];
}

/** How a CLI run ended. */
export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs one CLI command to completion (killed with SIGKILL after `timeoutMs`). */
export function runCli(args: readonly string[], opts: { timeoutMs?: number } = {}): Promise<CliResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_CLI_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cliArgs(args), { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-STDERR_TAIL_BYTES)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cairn ${args.join(' ')} did not finish within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Runs a CLI command that must succeed; returns its stdout. */
export async function runCliOk(args: readonly string[], opts: { timeoutMs?: number } = {}): Promise<string> {
  const r = await runCli(args, opts);
  if (r.code !== 0) throw new Error(`cairn ${args.join(' ')} exited with ${r.code ?? r.signal}: ${r.stderr}`);
  return r.stdout;
}

/** A temporary directory removed by `cleanup()`. */
export async function tempDir(prefix = 'cairn-test-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A log key and a submission token, made with `cairn keygen` and `cairn log tokens add`. */
export interface LogFixture {
  readonly dir: string;
  readonly keyFile: string;
  readonly tokensFile: string;
  /** The log's verifier key text. */
  readonly vkey: string;
  readonly token: string;
}

/** Creates a key and a token (quota high enough not to interfere) in `dir`. */
export async function makeLogFixture(dir: string, name = 'crash.example.org/log'): Promise<LogFixture> {
  const keyFile = join(dir, 'log.key');
  const tokensFile = join(dir, 'tokens.json');
  const vkey = (await runCliOk(['keygen', '--name', name, '--out', keyFile])).trim();
  const token = (await runCliOk(['log', 'tokens', 'add', '--tokens', tokensFile, '--source', 'crash-test',
    '--entries-per-minute', '1000000000'])).trim();
  return { dir, keyFile, tokensFile, vkey, token };
}

/** A running `cairn log serve`. */
export interface ServeProcess {
  readonly child: ChildProcess;
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** The checkpoint size the server printed at start. */
  readonly startSize: bigint;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last bytes of its stderr (JSON log lines). */
  stderrTail(): string;
  /** Sends `signal` and waits (bounded) for the exit. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Options of {@link startLogServe}. */
export interface ServeOptions {
  readonly data: string;
  readonly keyFile: string;
  readonly tokensFile?: string;
  readonly checkpointIntervalMs?: number;
  readonly timeoutMs?: number;
}

/** Starts `cairn log serve` on 127.0.0.1:0 and resolves once it printed its URL. */
export function startLogServe(o: ServeOptions): Promise<ServeProcess> {
  const args = ['log', 'serve', '--data', o.data, '--key', o.keyFile, '--listen', '127.0.0.1:0'];
  if (o.tokensFile !== undefined) args.push('--tokens', o.tokensFile);
  if (o.checkpointIntervalMs !== undefined) args.push('--checkpoint-interval', String(o.checkpointIntervalMs));
  const timeoutMs = o.timeoutMs ?? DEFAULT_SERVE_START_TIMEOUT_MS;
  const child = spawn(process.execPath, cliArgs(args), { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-STDERR_TAIL_BYTES)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  const stop = async (signal: NodeJS.Signals = 'SIGKILL', stopTimeoutMs = 20_000) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`log serve (pid ${child.pid}) did not exit within ${stopTimeoutMs} ms of ${signal}`));
      }, stopTimeoutMs);
    });
    try {
      return await Promise.race([exited, bound]);
    } finally {
      clearTimeout(timer);
    }
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`log serve did not print its URL within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      const parts = (partial + d).split('\n');
      partial = parts.pop()!;
      for (const p of parts) stdout += startupText(p) + '\n';
      const m = LISTENING.exec(stdout);
      const s = START_SIZE.exec(stdout);
      if (m === null || s === null) return;
      clearTimeout(timer);
      resolve({ child, url: m[1] as string, startSize: BigInt(s[1] as string), exited, stderrTail: () => stderr, stop });
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`log serve exited (${code ?? signal}) before listening; stderr: ${stderr}`));
    });
  });
}

/** Bound on waiting for a daemon's line or exit (a bound, not a speed assertion). */
export const DAEMON_BOUND_MS = 45_000;
/** stdout/stderr lines kept per daemon. */
const KEEP_LINES = 4000;

/** A long-running `cairn … serve` child whose output lines are collected. */
export interface Daemon {
  readonly child: ChildProcess;
  /** Its stdout lines, as text (see {@link startupText}). */
  readonly stdout: string[];
  readonly stderr: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The first stdout line matching `re` (bounded wait; rejects if the child exits first). */
  line(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Sends `signal` (default SIGTERM) and waits, bounded, for the exit (SIGKILL after the bound). */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running(): boolean;
  /** The last stderr lines, for messages. */
  tail(n?: number): string;
}

/** Spawns `cairn ARGS` as a child process (through tsx, as `pnpm cairn` does). */
export function spawnDaemon(args: readonly string[]): Daemon {
  const child = spawn(process.execPath, cliArgs(args), { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const wake = new Set<() => void>();
  const feed = (into: string[]) => {
    let partial = '';
    return (d: Buffer) => {
      const parts = (partial + d.toString('utf8')).split('\n');
      partial = parts.pop()!;
      into.push(...(into === stdout ? parts.map(startupText) : parts));
      if (into.length > KEEP_LINES) into.splice(0, into.length - KEEP_LINES);
      for (const w of [...wake]) w();
    };
  };
  child.stdout!.on('data', feed(stdout));
  child.stderr!.on('data', feed(stderr));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      for (const w of [...wake]) w();
      resolve({ code, signal });
    });
  });
  const running = () => child.exitCode === null && child.signalCode === null;
  const tail = (n = 30) => stderr.slice(-n).join('\n');
  return {
    child, stdout, stderr, exited, running, tail,
    line(re, timeoutMs = DAEMON_BOUND_MS) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          for (const l of stdout) {
            const m = re.exec(l);
            if (m !== null) {
              done();
              resolve(m);
              return;
            }
          }
          if (!running()) {
            done();
            reject(new Error(`cairn ${args.slice(0, 2).join(' ')} exited (${child.exitCode ?? child.signalCode}) before printing ${re}:\n${tail()}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out waiting for ${re} from cairn ${args.slice(0, 2).join(' ')}:\n${tail()}`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          wake.delete(check);
        };
        wake.add(check);
        check();
      });
    },
    async stop(signal = 'SIGTERM') {
      if (running()) {
        if (child.signalCode === null && signal !== 'SIGKILL') child.kill('SIGCONT'); // a paused child cannot handle SIGTERM
        child.kill(signal);
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Polls `cond` every 50 ms until it holds; throws after {@link DAEMON_BOUND_MS} naming `what`. */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + DAEMON_BOUND_MS;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The lines of a daemon's output that are JSON objects (structured log lines). */
export function jsonLines(lines: readonly string[]): Record<string, unknown>[] {
  return lines.flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}
