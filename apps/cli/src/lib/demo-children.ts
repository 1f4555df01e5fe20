/**
 * Child processes of `cairn demo`: each is this CLI run again the way this process runs — the
 * compiled CLI (`node dist/cairn.js <command>`, no loader) or, from sources, `node
 * --conditions=source --import tsx apps/cli/src/main.ts <command>` — its standard output scanned
 * for the lines it prints at start (URL, keys), both streams appended to a log file, and every
 * wait bounded: a child that does not print what is expected in time is killed, and stopping
 * sends SIGTERM, waits, then SIGKILLs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** How to run this CLI again in a child process: node's arguments before the command's, and its cwd. */
export interface CliInvocation {
  readonly args: readonly string[];
  readonly cwd: string | undefined;
}

/**
 * This module runs either from its TypeScript source (tests, `pnpm cairn:dev`) or bundled into
 * `apps/cli/dist/` next to the CLI's entry `cairn.js` (see scripts/build-cli.mjs).
 */
export function cliInvocation(moduleUrl: string = import.meta.url): CliInvocation {
  if (moduleUrl.endsWith('.ts')) {
    // From sources: through tsx, from the repository root so that `--import tsx` resolves.
    return {
      args: ['--conditions=source', '--import', 'tsx', fileURLToPath(new URL('../main.ts', moduleUrl))],
      cwd: fileURLToPath(new URL('../../../../', moduleUrl)),
    };
  }
  return { args: [fileURLToPath(new URL('./cairn.js', moduleUrl))], cwd: undefined };
}
/** Time a child gets to print its start-up lines. */
export const CHILD_START_TIMEOUT_MS = 60_000;
/** Time a child gets to exit after SIGTERM before it is killed. */
export const CHILD_STOP_TIMEOUT_MS = 10_000;

export interface Child {
  readonly name: string;
  readonly proc: ChildProcess;
  /** Resolves when the process exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything printed on standard output so far. */
  stdout(): string;
  /** The last lines of standard error (for error messages). */
  stderrTail(): string;
  /** Resolves with the regexp matches once each matched standard output (bounded). */
  waitFor<K extends string>(patterns: Record<K, RegExp>, timeoutMs?: number): Promise<Record<K, RegExpExecArray>>;
  /** SIGTERM, bounded wait, SIGKILL. */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * How commands printed for the user call this CLI: `pnpm cairn` in the repository (sources or
 * apps/cli/dist), `cairn` where it was installed as a package (`npm i -g`).
 */
export function cliDisplayName(moduleUrl: string = import.meta.url): string {
  return /\/apps\/cli\/(?:src|dist)\//.test(moduleUrl) ? 'pnpm cairn' : 'cairn';
}

/** Runs `cairn ARGS` as a child; output is appended to `logFile`. */
export function spawnCli(name: string, args: readonly string[], logFile: string): Child {
  const self = cliInvocation();
  const proc = spawn(process.execPath, [...self.args, ...args], {
    ...(self.cwd !== undefined ? { cwd: self.cwd } : {}),
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  const log = createWriteStream(logFile, { flags: 'a' });
  log.on('error', () => {});
  log.write(`--- ${new Date().toISOString()} cairn ${args.join(' ')}\n`);
  let out = '';
  let errTail = '';
  const listeners = new Set<() => void>();
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    log.write(d);
    for (const l of listeners) l();
  });
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    errTail = (errTail + d).slice(-4000);
    log.write(d);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('close', (code, signal) => {
      log.end(`--- exited ${code ?? signal}\n`);
      for (const l of listeners) l();
      resolve({ code, signal });
    });
    proc.on('error', (e) => {
      errTail += `\n${e.message}`;
      resolve({ code: null, signal: null });
    });
  });
  let done = false;
  void exited.then(() => { done = true; });

  const child: Child = {
    name, proc, exited,
    stdout: () => out,
    stderrTail: () => errTail.trim().split('\n').slice(-8).join('\n'),
    waitFor<K extends string>(patterns: Record<K, RegExp>, timeoutMs = CHILD_START_TIMEOUT_MS): Promise<Record<K, RegExpExecArray>> {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const got: Record<string, RegExpExecArray> = {};
          for (const [k, re] of Object.entries(patterns) as [string, RegExp][]) {
            const m = re.exec(out);
            if (m === null) {
              if (done) finish(new Error(`${name} exited before it was ready: ${child.stderrTail() || out.trim()}`));
              return;
            }
            got[k] = m;
          }
          finish(undefined, got);
        };
        const timer = setTimeout(() => finish(new Error(`${name} did not start within ${timeoutMs} ms: ${child.stderrTail()}`)), timeoutMs);
        const finish = (e?: Error, got?: Record<string, RegExpExecArray>): void => {
          clearTimeout(timer);
          listeners.delete(check);
          if (e !== undefined) reject(e);
          else resolve(got as Record<K, RegExpExecArray>);
        };
        listeners.add(check);
        check();
      });
    },
    async stop(timeoutMs = CHILD_STOP_TIMEOUT_MS) {
      if (!done) proc.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const killed = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          if (!done) proc.kill('SIGKILL');
          resolve();
        }, timeoutMs);
      });
      await Promise.race([exited, killed]);
      clearTimeout(timer);
      return exited;
    },
  };
  return child;
}

/** Runs `cairn ARGS` to completion (bounded); resolves with its exit code and output. */
export async function runCliChild(name: string, args: readonly string[], logFile: string, timeoutMs = CHILD_START_TIMEOUT_MS): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const c = spawnCli(name, args, logFile);
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => {
    timer = setTimeout(() => { c.proc.kill('SIGKILL'); resolve(); }, timeoutMs);
  });
  await Promise.race([c.exited, bound]);
  clearTimeout(timer);
  const { code } = await c.exited;
  return { code, stdout: c.stdout(), stderr: c.stderrTail() };
}
