/**
 * Fixtures for the `cairn monitor` tests: real in-process logs (LogNode + startLogServer on
 * 127.0.0.1:0, optionally with real witnesses), a tiny adversarial HTTP "log" that serves a
 * scripted /checkpoint and proxies /tile/... to whichever real log it is told to, a webhook
 * receiver, and an in-process runner for the command.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatSignerKey, utf8Encode } from '@cairn/formats';
import { nodeEd25519 } from '@cairn/formats/node';
import { LogNode, memoryStorage, silentLogger } from '@cairn/log';
import { startLogServer, startWitnessServer, type LogServer, type WitnessServer } from '@cairn/api';
import { MemoryWitnessStorage, Witness } from '@cairn/witness';
import { verifierKeyFromSigner } from '@cairn/formats';
import { runCli } from '../../apps/cli/src/main.js';

export const ORIGIN = 'monitor.example.org/log';
export const LOG_SKEY = formatSignerKey(ORIGIN, new Uint8Array(32).fill(21));
export const LOG_VKEY = verifierKeyFromSigner(LOG_SKEY);

export const events = (n: number, tag: string): Uint8Array[] =>
  Array.from({ length: n }, (_, i) => utf8Encode(JSON.stringify({ actor: `user-${i % 7}`, action: 'kubectl.exec', resource: `pod/${tag}-${i}`, outcome: 'success' })));

/** A running in-process log (and its witnesses, if any). */
export interface RealLog {
  readonly node: LogNode;
  readonly server: LogServer;
  readonly url: string;
  readonly witnesses: { readonly name: string; readonly vkey: string; readonly server: WitnessServer }[];
  /** The note /checkpoint serves now. */
  note(): Promise<string>;
  close(): Promise<void>;
}

/** A log signed with LOG_SKEY (memory storage), with `witnesses` real witnesses and quorum 2. */
export async function startRealLog(witnesses = 0): Promise<RealLog> {
  const ws: { name: string; vkey: string; server: WitnessServer }[] = [];
  for (let i = 0; i < witnesses; i++) {
    const name = `w${i + 1}.monitor.example.org`;
    const witness = new Witness({
      key: formatSignerKey(name, new Uint8Array(32).fill(40 + i)),
      logs: [{ vkey: LOG_VKEY }],
      storage: new MemoryWitnessStorage(),
      ed25519: nodeEd25519,
    });
    ws.push({ name: `w${i + 1}`, vkey: witness.cosignatureVkey, server: await startWitnessServer({ witness, listen: { host: '127.0.0.1', port: 0 } }) });
  }
  const node = await LogNode.open({
    storage: memoryStorage(),
    signerKey: LOG_SKEY,
    logger: silentLogger,
    checkpointIntervalMs: 5,
    ...(witnesses > 0 ? { witnesses: ws.map((w) => ({ url: w.server.url, vkey: w.vkey })), quorum: 2 } : {}),
  });
  await node.start();
  const server = await startLogServer({ node, listen: { host: '127.0.0.1', port: 0 } });
  return {
    node, server, url: server.url, witnesses: ws,
    note: async () => (await fetch(`${server.url}/checkpoint`)).text(),
    async close() {
      await server.close();
      await node.stop();
      for (const w of ws) await w.server.close();
    },
  };
}

/** The adversarial log: /checkpoint is `checkpoint()`, everything else is proxied to `target()`. */
export interface FakeLog {
  readonly url: string;
  checkpoint: () => string;
  target: () => string;
  close(): Promise<void>;
}

export async function startFakeLog(target: () => string, checkpoint: () => string): Promise<FakeLog> {
  const fake = { target, checkpoint } as { target: () => string; checkpoint: () => string };
  const server = createServer((req, res) => {
    void (async () => {
      if (req.url === '/checkpoint') {
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(fake.checkpoint());
        return;
      }
      const up = await fetch(fake.target() + (req.url ?? '/'));
      const body = new Uint8Array(await up.arrayBuffer());
      res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/octet-stream' }).end(body);
    })().catch((e: unknown) => res.writeHead(502).end(String(e)));
  });
  const url = await listen(server);
  return Object.assign(fake, { url, close: () => close(server) });
}

/** Receives webhook POSTs; the first `failFirst` requests get a 503 (to exercise retries). */
export async function startWebhook(failFirst = 0): Promise<{ url: string; alarms: Record<string, unknown>[]; requests: number; close(): Promise<void> }> {
  const hook = { alarms: [] as Record<string, unknown>[], requests: 0 };
  const server = createServer((req, res) => {
    void readAll(req).then((body) => {
      hook.requests++;
      if (hook.requests <= failFirst) return void res.writeHead(503).end();
      hook.alarms.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  const url = await listen(server);
  return Object.assign(hook, { url, close: () => close(server) });
}

async function readAll(req: IncomingMessage): Promise<string> {
  let s = '';
  for await (const c of req) s += String(c);
  return s;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A temporary directory with a policy file in it. */
export async function workDir(policy: string): Promise<{ dir: string; policy: string; state: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-monitor-'));
  await writeFile(join(dir, 'policy.txt'), policy);
  return { dir, policy: join(dir, 'policy.txt'), state: join(dir, 'state'), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface MonitorRun {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
  /** The alarm JSON lines on standard error. */
  readonly alarms: Record<string, unknown>[];
}

/** Runs `cairn monitor ARGS` in-process (through the CLI's argument parsing). */
export async function monitorOnce(args: string[]): Promise<MonitorRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['monitor', '--once', ...args], { out: (l) => out.push(l), err: (l) => err.push(l) });
  // --log-format json (the default off a terminal): every stderr line is a record; alarms carry `alarm`.
  for (const l of err) assert.match(String((JSON.parse(l) as { time?: unknown }).time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, l);
  // The record's header (time, level, msg) is the logger's; the alarm's own time is `field.time`.
  const alarms = err.map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((r) => 'alarm' in r)
    .map(({ time: _time, level: _level, msg: _msg, 'field.time': time, ...alarm }) => ({ ...alarm, time }));
  return { code, out, err, alarms };
}
