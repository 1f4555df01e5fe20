/**
 * The adversarial end-to-end harness: real `cairn log serve` and `cairn witness serve` processes
 * on 127.0.0.1 (LevelDB data directories in a temporary directory), keys and tokens made with the
 * CLI, and the client commands (`verify`, `monitor`, `evidence …`, `prove`) run in-process
 * through the CLI's own argument parsing (`runCli` of apps/cli/src/main.ts), so each check
 * exercises exactly what an operator types, without paying a process start per call.
 *
 * Every wait is bounded ({@link BOUND_MS}); a helper that times out kills what it started and
 * throws with the child's last stderr lines. Nothing here asserts a duration.
 */
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createLogClient, createWitnessClient, type LogClient, type WitnessClient } from '@cairn/client';
import { encodeBase64, originHash } from '@cairn/formats';
import { DAEMON_BOUND_MS, runCliOk, spawnDaemon, tempDir, type Daemon } from '../helpers/cli.js';
export { spawnDaemon, type Daemon };
import { runCli as runCliInProcess } from '../../apps/cli/src/main.js';

/** Upper bound of every wait in the e2e suite (never reached when things work). */
export const BOUND_MS = DAEMON_BOUND_MS;
/** Lines of a child's output kept for diagnostics and line waits. */

/** Sleeps `ms` (pacing only; never a measured quantity). */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 50 ms until it holds; throws after `timeoutMs` naming `what`. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = BOUND_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let ok = false;
    try {
      ok = await cond();
    } catch {
      ok = false;
    }
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** A free TCP port on 127.0.0.1 (bound then released; used to give a node a stable address). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A long-running CLI child (`log serve`, `witness serve`). */
/** Runs a CLI command in-process; returns its exit status and output lines. */
export async function cli(args: readonly string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCliInProcess([...args], { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

/** The alarms of a monitor run: its error records (--log-format json, the default here) that carry `alarm`. */
export function alarmsOf(r: { err: string[] }): AlarmRecord[] {
  return r.err.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((rec) => rec['level'] === 'error' && 'alarm' in rec) as unknown as AlarmRecord[];
}

/** What a test reads of an alarm record. */
export interface AlarmRecord {
  readonly alarm: string;
  readonly code: string;
  readonly exitCode: number;
  readonly message: string;
  readonly evidence: Record<string, unknown>;
}

/** One witness: a key made with `cairn keygen --witness`, a data directory and a fixed HTTP port. */
export class E2eWitness {
  readonly name: string;
  readonly keyFile: string;
  readonly data: string;
  vkey = '';
  port = 0;
  proc: Daemon | undefined;
  /** Extra `witness serve` arguments (e.g. --p2p-listen, --peer). */
  extra: string[] = [];
  /** The tlog-tiles URL given with each trusted log key (`--log VKEY@URL`), if any. */
  logUrl: string | undefined;

  constructor(readonly dir: string, readonly index: number, readonly logVkeys: () => string[]) {
    this.name = `w${index}.e2e.example`;
    this.keyFile = join(dir, `w${index}.key`);
    this.data = join(dir, `w${index}-data`);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The short name used in policy files. */
  get policyName(): string {
    return `w${this.index}`;
  }

  async keygen(): Promise<void> {
    const out = await runCliOk(['keygen', '--name', this.name, '--out', this.keyFile, '--witness']);
    this.vkey = /^cosignature\/v1 (\S+)$/m.exec(out)![1]!;
    if (this.port === 0) this.port = await freePort();
  }

  /** Starts `witness serve` on its port (the same on every start). */
  async start(): Promise<this> {
    if (this.proc?.running()) throw new Error(`${this.name} is already running`);
    const logs = this.logVkeys().flatMap((v) => ['--log', this.logUrl === undefined ? v : `${v}@${this.logUrl}`]);
    const p = spawnDaemon(['witness', 'serve', '--data', this.data, '--key', this.keyFile, '--listen', `127.0.0.1:${this.port}`, ...logs, ...this.extra]);
    this.proc = p;
    try {
      const v = (await p.line(/^cosignature\/v1 (\S+)$/))[1]!;
      if (this.vkey !== '' && v !== this.vkey) throw new Error(`${this.name}: vkey ${v} differs from keygen's ${this.vkey}`);
      this.vkey = v;
      await p.line(/^cairn witness listening on /);
    } catch (e) {
      await p.stop('SIGKILL');
      throw e;
    }
    return this;
  }

  stop(signal: NodeJS.Signals = 'SIGTERM') {
    return this.proc?.stop(signal) ?? Promise.resolve({ code: null, signal: null });
  }

  pause(): void {
    this.proc!.child.kill('SIGSTOP');
  }

  resume(): void {
    this.proc!.child.kill('SIGCONT');
  }

  trpc(): WitnessClient {
    return createWitnessClient(this.url);
  }

  /** The witness's latest cosigned checkpoint for `origin` (monitoring GET), or undefined (404). */
  async checkpoint(origin: string): Promise<string | undefined> {
    const r = await fetch(`${this.url}/${originHash(origin)}/checkpoint`, { signal: AbortSignal.timeout(10_000) });
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw new Error(`${this.name}: monitoring GET answered ${r.status}`);
    return r.text();
  }

  /** POSTs an add-checkpoint body. */
  async add(body: Uint8Array): Promise<{ status: number; text: string }> {
    const r = await fetch(`${this.url}/add-checkpoint`, { method: 'POST', body, signal: AbortSignal.timeout(10_000) });
    return { status: r.status, text: await r.text() };
  }
}

/** The log: a key and a token made with the CLI, a data directory, witnesses and a quorum. */
export class E2eLog {
  readonly keyFile: string;
  readonly tokensFile: string;
  vkey = '';
  token = '';
  proc: Daemon | undefined;
  url = '';

  constructor(readonly dir: string, readonly origin: string, public data: string) {
    this.keyFile = join(dir, 'log.key');
    this.tokensFile = join(dir, 'tokens.json');
  }

  async keygen(): Promise<void> {
    this.vkey = (await runCliOk(['keygen', '--name', this.origin, '--out', this.keyFile])).trim();
    this.token = (await runCliOk(['log', 'tokens', 'add', '--tokens', this.tokensFile, '--source', 'e2e', '--entries-per-minute', '1000000000'])).trim();
  }

  /** `log serve` arguments for `data` with these witnesses. */
  args(o: { data?: string; witnesses?: readonly E2eWitness[]; quorum?: number; port?: number; intervalMs?: number; extra?: string[] } = {}): string[] {
    const args = ['log', 'serve', '--data', o.data ?? this.data, '--key', this.keyFile, '--listen', `127.0.0.1:${o.port ?? 0}`,
      '--tokens', this.tokensFile, '--checkpoint-interval', String(o.intervalMs ?? 50)];
    for (const w of o.witnesses ?? []) args.push('--witness', `${w.url}=${w.vkey}`);
    if (o.quorum !== undefined) args.push('--quorum', String(o.quorum));
    return [...args, ...(o.extra ?? [])];
  }

  /** Starts `log serve`; resolves once it listens. */
  async start(o: Parameters<E2eLog['args']>[0] = {}): Promise<this> {
    if (this.proc?.running()) throw new Error('the log is already running');
    const p = spawnDaemon(this.args(o));
    this.proc = p;
    try {
      this.url = (await p.line(/^cairn log listening on (\S+)$/))[1]!;
      await p.line(/^checkpoint \S+ \(size \d+\)$/);
    } catch (e) {
      await p.stop('SIGKILL');
      throw e;
    }
    return this;
  }

  /** Runs `log serve` expecting it to refuse to start; returns its exit status and stderr. */
  async refuse(o: Parameters<E2eLog['args']>[0] = {}): Promise<{ code: number | null; stderr: string; stdout: string }> {
    const p = spawnDaemon(this.args(o));
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`log serve did not exit within ${BOUND_MS} ms:\n${p.tail()}`)), BOUND_MS);
    });
    try {
      const { code } = await Promise.race([p.exited, bound]);
      return { code, stderr: p.stderr.join('\n'), stdout: p.stdout.join('\n') };
    } finally {
      clearTimeout(timer);
      if (p.running()) await p.stop('SIGKILL');
    }
  }

  stop(signal: NodeJS.Signals = 'SIGTERM') {
    return this.proc?.stop(signal) ?? Promise.resolve({ code: null, signal: null });
  }

  client(): LogClient {
    return createLogClient(this.url, { token: this.token });
  }

  /** Submits `n` distinct entries tagged `tag` in one call; returns their indices. */
  async submit(n: number, tag: string, wait: 'none' | 'checkpoint' | 'cosigned' = 'cosigned'): Promise<{ indices: bigint[]; entries: string[]; checkpoint?: string }> {
    const entries = Array.from({ length: n }, (_, i) => encodeBase64(new TextEncoder().encode(JSON.stringify({ actor: `svc-${i % 5}`, action: 'audit', tag, i }))));
    const r = await this.client().log.submit.mutate({ entries, wait });
    return { indices: r.indices.map((x) => BigInt(x)), entries, ...(r.checkpoint !== undefined ? { checkpoint: r.checkpoint } : {}) };
  }

  /** What GET /checkpoint serves now (undefined on 404). */
  async served(): Promise<string | undefined> {
    const r = await fetch(`${this.url}/checkpoint`, { signal: AbortSignal.timeout(10_000) });
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw new Error(`GET /checkpoint answered ${r.status}`);
    return r.text();
  }

  status() {
    return createLogClient(this.url).log.status.query();
  }
}

/** The size line of a checkpoint note. */
export const sizeOf = (note: string): bigint => BigInt(note.split('\n')[1]!);

/** A c2sp.org/tlog-policy text: the log key, the witnesses, and `k` of them (0 = `quorum none`). */
export function policyText(logVkey: string, witnesses: readonly E2eWitness[], k: number): string {
  const lines = [`log ${logVkey}`, ...witnesses.map((w) => `witness ${w.policyName} ${w.vkey} ${w.url}`)];
  if (k === 0) lines.push('quorum none');
  else lines.push(`group quorum-${k} ${k} ${witnesses.map((w) => w.policyName).join(' ')}`, `quorum quorum-${k}`);
  return lines.join('\n') + '\n';
}

/** A working directory: keys, a log and `n` witnesses (not started). */
export interface Cluster {
  readonly dir: string;
  readonly log: E2eLog;
  readonly witnesses: E2eWitness[];
  /** Writes `text` to DIR/name and returns the path. */
  file(name: string, text: string | Uint8Array): Promise<string>;
  /** Copies a directory (a stopped node's data) to DIR/name. */
  copy(from: string, name: string): Promise<string>;
  /** Stops every process (SIGKILL after the bound) and removes the directory. */
  close(): Promise<void>;
}

/** Creates keys for a log (`origin`) and `n` witnesses that trust it, in a new temporary directory. */
export async function makeCluster(origin: string, n: number): Promise<Cluster> {
  const { dir, cleanup } = await tempDir('cairn-e2e-');
  const log = new E2eLog(dir, origin, join(dir, 'log-data'));
  const witnesses = Array.from({ length: n }, (_, i) => new E2eWitness(dir, i, () => [log.vkey]));
  await Promise.all([log.keygen(), ...witnesses.map((w) => w.keygen())]);
  return {
    dir, log, witnesses,
    async file(name, text) {
      const p = join(dir, name);
      await mkdir(join(p, '..'), { recursive: true });
      await writeFile(p, text);
      return p;
    },
    async copy(from, name) {
      const to = join(dir, name);
      await rm(to, { recursive: true, force: true });
      await cp(from, to, { recursive: true });
      return to;
    },
    async close() {
      await Promise.allSettled([log.stop('SIGKILL'), ...witnesses.map((w) => w.stop('SIGKILL'))]);
      await cleanup();
    },
  };
}
