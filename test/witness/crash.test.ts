/**
 * Crash before persist, across processes: a real `cairn witness serve` is stalled (test hook
 * CAIRN_TEST_STALL_BEFORE_STORE_MS) after it has checked and cosigned a request but before the
 * compare-and-swap, then SIGKILLed. The client must get no cosignature, and after a restart the
 * witness must still hold the previous state, from which the next request succeeds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSignerKey, openNote, originHash, parseVerifierKey } from '@cairn/formats';
import { TestLog, testSeed } from '@cairn/witness/testing';
import { startupText } from '../helpers/cli.js';

const ROOT = join(import.meta.dirname, '..', '..');
const STEP_TIMEOUT_MS = 30_000;

interface Proc {
  readonly child: ChildProcess;
  readonly url: string;
  readonly vkey: string;
  readonly stderr: string[];
  waitForStderr(re: RegExp): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function withTimeout<T>(p: Promise<T>, what: string, ms = STEP_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function startWitness(args: string[], env: Record<string, string>): Promise<Proc> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'apps/cli/src/main.ts', 'witness', 'serve', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters: { re: RegExp; lines: string[]; resolve: (l: string) => void }[] = [];
  const feed = (lines: string[]) => (chunk: Buffer) => {
    for (const raw of chunk.toString('utf8').split('\n')) {
      if (raw === '') continue;
      const l = lines === stdout ? startupText(raw) : raw; // start-up lines may be JSON records
      lines.push(l);
      for (const w of waiters.filter((x) => x.lines === lines && x.re.test(l))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(l);
      }
    }
  };
  child.stdout!.on('data', feed(stdout));
  child.stderr!.on('data', feed(stderr));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  const wait = (lines: string[], re: RegExp, what: string) => {
    const hit = lines.find((l) => re.test(l));
    if (hit !== undefined) return Promise.resolve(hit);
    const p = new Promise<string>((resolve) => waiters.push({ re, lines, resolve }));
    const died = exited.then(({ code, signal }) => {
      throw new Error(`witness exited (${code ?? signal}) before ${what}:\n${stderr.join('\n')}`);
    });
    return withTimeout(Promise.race([p, died]), what);
  };
  try {
    const urlLine = await wait(stdout, /^cairn witness listening on /, 'the listening line');
    const vkeyLine = await wait(stdout, /^cosignature\/v1 /, 'the vkey line');
    return {
      child,
      url: urlLine.slice('cairn witness listening on '.length),
      vkey: vkeyLine.slice('cosignature/v1 '.length),
      stderr,
      waitForStderr: (re) => wait(stderr, re, `stderr ${re}`),
      exited,
    };
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
}

function post(url: string, body: Uint8Array) {
  return fetch(`${url}/add-checkpoint`, { method: 'POST', body, signal: AbortSignal.timeout(STEP_TIMEOUT_MS) });
}

test('SIGKILL between check and store: no cosignature escapes, state survives, next request works', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-witness-crash-'));
  const procs: ChildProcess[] = [];
  try {
    const keyFile = join(dir, 'witness.key');
    await writeFile(keyFile, generateSignerKey('example.com/witness', testSeed(41)) + '\n', { mode: 0o600 });
    const log = new TestLog('example.com/crash-log', 42);
    const args = ['--data', join(dir, 'data'), '--key', keyFile, '--listen', '127.0.0.1:0', '--log', log.vkey];

    // 1. A normal run cosigns size 5, then stops cleanly on SIGTERM.
    const a = await startWitness(args, {});
    procs.push(a.child);
    assert.equal((await post(a.url, log.body(0n, 5n))).status, 200);
    a.child.kill('SIGTERM');
    assert.deepEqual(await withTimeout(a.exited, 'clean exit'), { code: 0, signal: null });

    // 2. With the stall hook: the request for 5 → 9 passes every check, then we kill the process.
    const b = await startWitness(args, { CAIRN_TEST_STALL_BEFORE_STORE_MS: '60000' });
    procs.push(b.child);
    await b.waitForStderr(/TEST HOOK ACTIVE/);
    const pending = post(b.url, log.body(5n, 9n)).then(
      async (r) => ({ status: r.status, text: await r.text() }),
      (e: unknown) => ({ error: e }),
    );
    await b.waitForStderr(/"msg":"test stall before store".*"size":"9"/);
    b.child.kill('SIGKILL');
    assert.equal((await withTimeout(b.exited, 'SIGKILL exit')).signal, 'SIGKILL');
    const outcome = await withTimeout(pending, 'the killed request');
    assert.ok('error' in outcome, `the client must get no answer, got ${JSON.stringify(outcome)}`);
    assert.ok(!b.stderr.some((l) => l.includes('"msg":"cosigned"')));

    // 3. Restart without the hook: the state is still 5, and 5 → 9 now succeeds.
    const c = await startWitness(args, {});
    procs.push(c.child);
    const conflict = await post(c.url, log.body(0n, 9n));
    assert.equal(conflict.status, 409);
    assert.equal(await conflict.text(), '5\n');
    const monitored = await fetch(`${c.url}/${originHash(log.origin)}/checkpoint`, { signal: AbortSignal.timeout(STEP_TIMEOUT_MS) });
    assert.ok((await monitored.text()).startsWith(log.text(5n) + '\n'));
    const ok = await post(c.url, log.body(5n, 9n));
    assert.equal(ok.status, 200);
    const opened = openNote(log.note(9n) + (await ok.text()), [parseVerifierKey(c.vkey)]);
    assert.equal(opened.verified.length, 1);
    c.child.kill('SIGTERM');
    assert.equal((await withTimeout(c.exited, 'clean exit')).code, 0);
  } finally {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});
