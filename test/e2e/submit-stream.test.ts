// `cairn submit` streaming from a pipe held open, against a real `cairn log serve` process: each
// index is printed while standard input is still open (the linger sends a partial batch), more
// lines follow, --json prints JSON lines, and a reader that closes standard output ends the run
// quietly.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cliArgs, makeLogFixture, REPO_ROOT, startLogServe, tempDir, type LogFixture, type ServeProcess } from '../helpers/cli.js';

/** Bound on any one wait for the child (a bound, not a speed assertion). */
const WAIT_MS = 30_000;

/** A `cairn submit` child with stdin and stdout piped; `lines` collects its stdout lines. */
function spawnSubmit(args: readonly string[]) {
  const child = spawn(process.execPath, cliArgs(['submit', ...args]), { cwd: REPO_ROOT, stdio: 'pipe' }) as ChildProcessWithoutNullStreams;
  const lines: string[] = [];
  let stderr = '';
  let partial = '';
  const waiters = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    const parts = (partial + d).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    for (const w of [...waiters]) w();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => { for (const w of [...waiters]) w(); resolve(code); }));
  /** Resolves once `n` stdout lines arrived (rejects on exit or after WAIT_MS). */
  const until = (n: number) => new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`waited for ${n} lines, got ${lines.length}; stderr: ${stderr}`)); }, WAIT_MS);
    const check = () => {
      if (lines.length >= n) { clearTimeout(timer); waiters.delete(check); resolve(); return; }
      if (child.exitCode !== null || child.signalCode !== null) { clearTimeout(timer); waiters.delete(check); reject(new Error(`submit exited (${child.exitCode}) after ${lines.length} lines; stderr: ${stderr}`)); }
    };
    waiters.add(check);
    check();
  });
  const bounded = async () => {
    const timer = setTimeout(() => child.kill('SIGKILL'), WAIT_MS);
    try { return await exited; } finally { clearTimeout(timer); }
  };
  return { child, lines, until, exit: bounded, stderr: () => stderr };
}

describe('cairn submit from a pipe held open', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let fx: LogFixture;
  let log: ServeProcess;

  before(async () => {
    tmp = await tempDir('cairn-submit-stream-');
    fx = await makeLogFixture(tmp.dir, 'stream.example.org/log');
    log = await startLogServe({ data: join(tmp.dir, 'data'), keyFile: fx.keyFile, tokensFile: fx.tokensFile, checkpointIntervalMs: 20 });
  });

  after(async () => {
    await log?.stop('SIGTERM');
    await tmp?.cleanup();
  });

  test('each index is printed before standard input closes; then more lines', async () => {
    const s = spawnSubmit(['--url', log.url, '--token', fx.token, '--wait', 'cosigned']);
    try {
      s.child.stdin.write('first\n');
      await s.until(1);
      assert.deepEqual(s.lines, ['0']);
      assert.equal(s.child.exitCode, null, 'still running: stdin is open');
      s.child.stdin.write('second\nthird\n');
      await s.until(3);
      assert.deepEqual(s.lines, ['0', '1', '2']);
      s.child.stdin.end('fourth\n');
      assert.equal(await s.exit(), 0, s.stderr());
      assert.deepEqual(s.lines, ['0', '1', '2', '3'], 'nothing lost or sent twice');
    } finally {
      s.child.kill('SIGKILL');
    }
  });

  test('--json prints one JSON line per entry with its input line; --linger 0 is accepted', async () => {
    const s = spawnSubmit(['--url', log.url, '--token', fx.token, '--json', '--linger', '0']);
    try {
      s.child.stdin.write('fifth\n');
      await s.until(1);
      assert.deepEqual(JSON.parse(s.lines[0]!), { index: '4', line: 1 });
      s.child.stdin.end('sixth\n');
      assert.equal(await s.exit(), 0, s.stderr());
      assert.deepEqual(s.lines.map((l) => JSON.parse(l)), [{ index: '4', line: 1 }, { index: '5', line: 2 }]);
    } finally {
      s.child.kill('SIGKILL');
    }
  });

  test('a reader that closes standard output (| head -1) ends the run quietly', async () => {
    const input = join(tmp.dir, 'many.txt');
    await writeFile(input, Array.from({ length: 50 }, (_, i) => `line ${i}\n`).join(''));
    const s = spawnSubmit(['--url', log.url, '--token', fx.token, '--file', input, '--batch', '1']);
    try {
      await s.until(1);
      s.child.stdout.destroy(); // as `head -1` does after its line
      const code = await s.exit();
      assert.equal(code, 0, s.stderr());
      assert.doesNotMatch(s.stderr(), /EPIPE|Error:|at .*\.ts:/);
    } finally {
      s.child.kill('SIGKILL');
    }
  });
});
