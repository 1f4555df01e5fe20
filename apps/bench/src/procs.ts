/**
 * Child processes for benchmarks: runs the `cairn` CLI and waits, bounded, for the line that says
 * it is ready. `pnpm bench` runs compiled (apps/bench/dist), and then so do the children (the
 * CLI bundle apps/cli/dist/cairn.js, as `pnpm cairn` runs it); run from sources through tsx,
 * they run from sources too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Whether this process runs from TypeScript sources (through tsx) rather than compiled. */
export const FROM_SOURCES = import.meta.url.endsWith('.ts');
/** Node's arguments that run the CLI (before the command's own). */
export const CLI_NODE_ARGS: readonly string[] = FROM_SOURCES
  ? ['--conditions=source', '--import', 'tsx', join(REPO_ROOT, 'apps/cli/src/main.ts')]
  : [join(REPO_ROOT, 'apps/cli/dist/cairn.js')];
/** Node's arguments that load TypeScript sources in a child (empty when compiled). */
export const SOURCE_EXEC_ARGV: readonly string[] = FROM_SOURCES ? ['--conditions=source', '--import', 'tsx'] : [];

export interface Started {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly match: RegExpExecArray;
  stop(): Promise<void>;
}

/** Starts `cairn <args>` and resolves once stdout matches `ready` (rejects after `timeoutMs`). */
export function startCli(args: readonly string[], ready: RegExp, timeoutMs = 30_000, nodeArgs: readonly string[] = []): Promise<Started> {
  const child = spawn(process.execPath, [...nodeArgs, ...CLI_NODE_ARGS, ...args], {
    cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { err = (err + d).slice(-8192); });
  const stop = () => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('close', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cairn ${args[0]} ${args[1] ?? ''} not ready within ${timeoutMs} ms; stderr: ${err}`));
    }, timeoutMs);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, stdout: () => out, match: m, stop });
      }
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`cairn ${args.join(' ')} exited with ${code}; stderr: ${err}`));
    });
  });
}

/** Runs `cairn <args>` to completion and returns stdout (rejects on a non-zero exit). */
export function runCli(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CLI_NODE_ARGS, ...args], {
      cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
    child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`cairn ${args.join(' ')}: ${code}: ${err}`))));
  });
}
