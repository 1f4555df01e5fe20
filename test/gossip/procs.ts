/**
 * Child processes for the cross-process witness-network tests: a `cairn …serve` process whose
 * stdout lines are collected, with bounded waits for lines, and a bounded stop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cliArgs, REPO_ROOT } from '../helpers/cli.js';

const STEP_TIMEOUT_MS = 30_000;

export interface Proc {
  readonly child: ChildProcess;
  readonly stdout: string[];
  readonly stderr: string[];
  /** The first stdout line matching `re` (waits for it, bounded). */
  line(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Spawns `pnpm cairn <args>` (through tsx, as the package script does). */
export function spawnCli(args: readonly string[]): Proc {
  const child = spawn(process.execPath, cliArgs(args), { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const wake = new Set<() => void>();
  const feed = (into: string[]) => {
    let partial = '';
    return (d: Buffer) => {
      const parts = (partial + d.toString('utf8')).split('\n');
      partial = parts.pop()!;
      into.push(...parts);
      if (into.length > 5000) into.splice(0, into.length - 5000);
      for (const w of wake) w();
    };
  };
  child.stdout!.on('data', feed(stdout));
  child.stderr!.on('data', feed(stderr));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => {
    for (const w of wake) w();
    resolve(code);
  }));
  return {
    child,
    stdout,
    stderr,
    line(re, timeoutMs = STEP_TIMEOUT_MS) {
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
          if (child.exitCode !== null) {
            done();
            reject(new Error(`cairn ${args.join(' ')} exited (${child.exitCode}) before printing ${re}:\n${stderr.slice(-30).join('\n')}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out waiting for ${re} from cairn ${args.join(' ')}:\n${stderr.slice(-30).join('\n')}`));
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
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
