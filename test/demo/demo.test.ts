/**
 * `cairn demo` as a user runs it: a child process that starts a log and three witnesses (its own
 * children), prints URLs, keys and commands, and stops on SIGINT. Checks that the printed log
 * serves a checkpoint with ≥ 2 cosignatures that verify with the printed witness keys, that the
 * printed `verify` command exits 0, that SIGINT stops everything in bounded time, and that a
 * second run reuses the data (same keys, the tree does not go back).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { loadPolicy, verifyCheckpoint } from '@cairn/client';
import { cliArgs, REPO_ROOT, runCli, tempDir } from '../helpers/cli.js';
import { runDemo } from '../../apps/cli/src/commands/demo.js';

/**
 * Bound on the demo printing its ready line: it starts 4 processes through tsx and waits for the
 * witnesses' peer sync; ~30 s on a quiet 2-core machine, far more when the machine is shared.
 */
const READY_TIMEOUT_MS = 120_000;
/** Bound on the demo exiting after SIGINT. */
const STOP_TIMEOUT_MS = 20_000;
const READY = 'demo: ready — press Ctrl-C to stop';

interface DemoRun {
  out: string;
  logUrl: string;
  logVkey: string;
  witnesses: { url: string; vkey: string }[];
  startSize: bigint;
  verifyCommand: string[];
  eventVerifyCommand: string[];
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>;
}

function startDemo(dir: string): Promise<DemoRun> {
  const child = spawn(process.execPath, cliArgs(['demo', '--dir', dir]), { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-8000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const stop = async () => {
    child.kill('SIGINT');
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`demo did not exit within ${STOP_TIMEOUT_MS} ms of SIGINT`));
      }, STOP_TIMEOUT_MS);
    });
    try {
      return { ...(await Promise.race([exited, bound])), out };
    } finally {
      clearTimeout(timer);
    }
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS).unref();
      reject(new Error(`demo not ready within ${READY_TIMEOUT_MS} ms:\n${out}\n${err}`));
    }, READY_TIMEOUT_MS);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`demo exited (${code ?? signal}) before it was ready:\n${out}\n${err}`));
    });
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (!out.includes(READY)) return;
      clearTimeout(timer);
      const one = (re: RegExp) => {
        const m = re.exec(out);
        assert.ok(m, `${re} in:\n${out}`);
        return m[1]!;
      };
      const witnesses = [...out.matchAll(/^ {2}witness-\d\s+(http:\/\/\S+)\s+cosignature\/v1 (\S+)$/gm)].map((m) => ({ url: m[1]!, vkey: m[2]! }));
      resolve({
        out,
        logUrl: one(/^ {2}log\s+(http:\/\/\S+)/m),
        logVkey: one(/^ {2}log vkey\s+(\S+)$/m),
        witnesses,
        startSize: BigInt(one(/\(tree size (\d+) at start\)/)),
        verifyCommand: one(/^ {2}pnpm cairn (verify --policy \S+ --bundle .*)$/m).split(/\s+/),
        eventVerifyCommand: one(/^ {2}pnpm cairn (verify --policy \S+ --event \S+)$/m).split(/\s+/),
        stop,
      });
    });
  });
}

test('demo: starts, answers, verifies, stops on SIGINT, and a re-run reuses its data', async () => {
  const { dir, cleanup } = await tempDir('cairn-demo-test-');
  try {
    const first = await startDemo(dir);
    let size: bigint;
    try {
      assert.equal(first.witnesses.length, 3, first.out);
      const policy = loadPolicy([
        `log ${first.logVkey}`,
        ...first.witnesses.map((w, i) => `witness w${i + 1} ${w.vkey}`),
        'group two 2 w1 w2 w3',
        'quorum two',
        '',
      ].join('\n'));
      const note = await (await fetch(`${first.logUrl}/checkpoint`, { signal: AbortSignal.timeout(10_000) })).text();
      const cp = verifyCheckpoint(note, policy, { now: Math.floor(Date.now() / 1000) });
      assert.ok(cp.witnesses.length >= 2, note);
      assert.ok(cp.size >= 4n);
      size = cp.size;
      const verified = await runCli(first.verifyCommand);
      assert.equal(verified.code, 0, verified.stderr);
      assert.match(verified.stdout, /^verified: entry \d+ is in demo\.cairn\.local\/audit/m);
      // Five OCSF events went through the events API; their receipts' promise was kept; the event proof verifies.
      assert.equal(first.out.match(/^ {2}event \d+ \(seq \d+\): /gm)?.length, 5, first.out);
      assert.match(first.out, /^receipts: .*: kept, kept, kept, kept, kept$/m);
      const ev = await runCli(first.eventVerifyCommand);
      assert.equal(ev.code, 0, ev.stderr);
      assert.match(ev.stdout, /^verified: event \d+ is in demo\.cairn\.local\/audit/m);
    } finally {
      const stopped = await first.stop();
      assert.equal(stopped.code, 0, stopped.out);
      assert.match(stopped.out, /^demo: stopped/m);
    }

    const second = await startDemo(dir);
    try {
      assert.equal(second.logVkey, first.logVkey);
      assert.deepEqual(second.witnesses.map((w) => w.vkey), first.witnesses.map((w) => w.vkey));
      assert.ok(second.startSize >= size, `${second.startSize} < ${size}`);
      assert.match(second.out, /keys: reusing/);
      const m = /^cosigned checkpoint \(.*\): size (\d+)/m.exec(second.out);
      assert.ok(m !== null && BigInt(m[1]!) >= size + 4n, second.out);
    } finally {
      const stopped = await second.stop();
      assert.equal(stopped.code, 0, stopped.out);
    }
  } finally {
    await cleanup();
  }
});

// Both demo runs use the default ports, so they live in one file and run one after the other.
/*
 * `cairn demo` with its ports busy: the default log port is held before it starts (it says so
 * and takes a free one), and the port it took is then grabbed before the log listens (the log
 * fails with EADDRINUSE; the demo says so and retries on another port). It gets ready, serves on
 * the port it printed, and stops on SIGINT with status 0 — it never hangs.
 */

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

/*
 * A witness's port taken after the demo checked it free and before the witness listens (held
 * from the test-only hook that runs right after the ports are chosen, so the race is forced, not
 * hoped for): the witness exits with EADDRINUSE, and the demo says so and starts the witnesses
 * again with a fresh port for it, instead of failing. In process (runDemo), its children real.
 */
test('a witness port taken after the check: the demo retries that witness on another port', async () => {
  const { dir, cleanup } = await tempDir('cairn-demo-wport-');
  const held: Server[] = [];
  let out = '';
  let onReady!: () => void;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  let stop!: (signal: string) => void;
  const stopped = new Promise<string>((resolve) => (stop = resolve));
  let grabbed: { name: string; port: number } | undefined;
  const io = {
    out: (l: string) => { out += l + '\n'; if (l === READY) onReady(); },
    err: (l: string) => { out += l + '\n'; },
  };
  const run = runDemo({ dir }, io, () => stopped, {
    afterPortsChosen: async (setup) => {
      const port = setup.ports.witnesses[0]!;
      const s = await hold(port);
      assert.ok(s !== undefined, `port ${port} was checked free a moment ago`);
      held.push(s);
      grabbed = { name: setup.witnesses[0]!.name, port };
    },
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ready,
      run.then((code) => { throw new Error(`demo ended (${code}) before it was ready:\n${out}`); }),
      new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`demo not ready within ${READY_TIMEOUT_MS} ms:\n${out}`)), READY_TIMEOUT_MS); }),
    ]);
    assert.ok(grabbed !== undefined);
    const retried = new RegExp(`^demo: ${grabbed.name}: port ${grabbed.port} is busy now; retrying on (\\d+)$`, 'm').exec(out);
    assert.ok(retried, out);
    const port = Number(retried[1]);
    assert.notEqual(port, grabbed.port);
    assert.match(out, new RegExp(`^demo: witnesses: ${grabbed.name} listening on http://127\\.0\\.0\\.1:${port}$`, 'm'));
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    stop('SIGINT');
    assert.equal(await run, 0, out);
  } finally {
    clearTimeout(timer);
    stop('SIGINT');
    await run.catch(() => undefined);
    await Promise.all(held.map((s) => new Promise<void>((r) => s.close(() => r()))));
    await cleanup();
  }
});
