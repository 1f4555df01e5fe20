/**
 * `cairn demo` with its ports busy: the default log port is held before it starts (it says so
 * and takes a free one), and the port it took is then grabbed before the log listens (the log
 * fails with EADDRINUSE; the demo says so and retries on another port). It gets ready, serves on
 * the port it printed, and stops on SIGINT with status 0 — it never hangs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { cliArgs, REPO_ROOT, tempDir } from '../helpers/cli.js';

/** Bound on the demo getting ready (4 processes through tsx on a shared machine). */
const READY_TIMEOUT_MS = 120_000;
/** Bound on the demo exiting after SIGINT. */
const STOP_TIMEOUT_MS = 20_000;
const READY = 'demo: ready — press Ctrl-C to stop';
const DEFAULT_LOG_PORT = 7380;

/** Holds 127.0.0.1:port; undefined when another program already holds it (busy either way). */
function hold(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(undefined));
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

test('busy ports: the demo says which it took, retries when one is taken before the log listens, and exits on SIGINT', async () => {
  const { dir, cleanup } = await tempDir('cairn-demo-ports-');
  const held: Server[] = [];
  const child = spawn(process.execPath, cliArgs(['demo', '--dir', dir]), { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  try {
    const first = await hold(DEFAULT_LOG_PORT);
    if (first !== undefined) held.push(first);
    let out = '';
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-8000)));
    let grabbed: number | undefined;
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`demo not ready within ${READY_TIMEOUT_MS} ms:\n${out}\n${err}`)), READY_TIMEOUT_MS);
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`demo exited (${code ?? signal}) before it was ready:\n${out}\n${err}`));
      });
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const m = /^demo: ports: log (\d+),/m.exec(out);
        if (m !== null && grabbed === undefined) {
          // The witnesses start first (seconds): take the log's port before the log listens.
          grabbed = Number(m[1]);
          void hold(grabbed).then((s) => { if (s !== undefined) held.push(s); });
        }
        if (out.includes(READY)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    await ready;
    assert.match(out, new RegExp(`^demo: ports: busy, took free ones instead: log ${DEFAULT_LOG_PORT} → (\\d+)`, 'm'));
    assert.notEqual(grabbed, DEFAULT_LOG_PORT);
    const retried = new RegExp(`^demo: log: port ${grabbed} is busy now; retrying on (\\d+)$`, 'm').exec(out);
    assert.ok(retried, out);
    const port = Number(retried[1]);
    assert.ok(port !== grabbed && port !== DEFAULT_LOG_PORT);
    assert.match(out, new RegExp(`^demo: log: \\S+ listening on http://127\\.0\\.0\\.1:${port} `, 'm'));
    const res = await fetch(`http://127.0.0.1:${port}/checkpoint`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(res.status, 200);
    await res.arrayBuffer();

    child.kill('SIGINT');
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`demo did not exit within ${STOP_TIMEOUT_MS} ms of SIGINT`)), STOP_TIMEOUT_MS);
    });
    try {
      const { code } = await Promise.race([exited, bound]);
      assert.equal(code, 0, err);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all(held.map((s) => new Promise<void>((r) => s.close(() => r()))));
    await cleanup();
  }
});
