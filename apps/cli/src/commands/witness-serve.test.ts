/** `cairn witness serve`, in-process: option validation, serving, clean stop, state kept across restarts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openNote, parseVerifierKey } from '@cairn/formats';
import { TestLog } from '@cairn/witness/testing';
import { runCli } from '../main.js';
import { EXIT_USAGE, type Io } from '../command.js';
import { runWitnessServe } from './witness-serve.js';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (l) => { out += l + '\n'; }, err: (l) => { err += l + '\n'; } });
  return { code, out, err };
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-witness-cli-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function keygen(dir: string): Promise<string> {
  const file = join(dir, 'witness.key');
  const r = await run(['keygen', '--name', 'example.com/witness', '--out', file, '--witness']);
  assert.equal(r.code, 0, r.err);
  return file;
}

/** Starts the command in-process; resolves once it printed its URL. */
async function serve(args: { data: string; key: string; log: string[] }) {
  const lines: string[] = [];
  const errs: string[] = [];
  let stop!: (why: string) => void;
  const stopped = new Promise<string>((r) => { stop = r; });
  let ready!: (url: string) => void;
  const url = new Promise<string>((r) => { ready = r; });
  const io: Io = {
    out: (l) => {
      // --log-format json: each start-up line is a record whose msg is the line.
      const rec = JSON.parse(l) as { time: string; msg: string };
      assert.match(rec.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      lines.push(rec.msg);
      const m = /^cairn witness listening on (\S+)$/.exec(rec.msg);
      if (m) ready(m[1]!);
    },
    err: (l) => { errs.push(l); },
  };
  const done = runWitnessServe({ data: args.data, key: args.key, listen: '127.0.0.1:0', log: args.log, 'logs-file': undefined, 'p2p-listen': undefined, peer: undefined, 'allow-peer': undefined, 'max-connections': undefined, 'headers-timeout': undefined, 'request-timeout': undefined, 'peer-sync-timeout': undefined, 'tls-cert': undefined, 'tls-key': undefined, ca: undefined, 'log-format': 'json' }, io, () => stopped, {});
  const u = await Promise.race([url, done.then((c) => { throw new Error(`exited ${c}: ${errs.join('\n')}`); })]);
  return { url: u, lines, errs, stop: async () => { stop('test'); return done; } };
}

test('option errors name the flag', async () => {
  await withDir(async (dir) => {
    const key = await keygen(dir);
    const log = new TestLog();
    const base = ['witness', 'serve', '--data', join(dir, 'd'), '--key', key, '--listen', '127.0.0.1:0'];
    const none = await run(base);
    assert.equal(none.code, EXIT_USAGE);
    assert.match(none.err, /--log/);
    const badLog = await run([...base, '--log', 'not-a-vkey']);
    assert.equal(badLog.code, EXIT_USAGE);
    assert.match(badLog.err, /--log/);
    const badListen = await run([...base.slice(0, -1), 'nowhere', '--log', log.vkey]);
    assert.equal(badListen.code, EXIT_USAGE);
    assert.match(badListen.err, /--listen/);
    const vkeyFile = join(dir, 'vkey.txt');
    await writeFile(vkeyFile, log.vkey + '\n');
    const badKey = await run([...base.slice(0, 4), vkeyFile, ...base.slice(5), '--log', log.vkey]);
    assert.equal(badKey.code, EXIT_USAGE);
    assert.match(badKey.err, /--key/);
    const list = join(dir, 'logs.txt');
    await writeFile(list, 'logs/v0\nvkey nope\n');
    const badList = await run([...base, '--logs-file', list]);
    assert.equal(badList.code, EXIT_USAGE);
    assert.match(badList.err, /--logs-file/);
    const noListen = await run(['witness', 'serve', '--data', join(dir, 'd'), '--key', key, '--log', log.vkey]);
    assert.equal(noListen.code, EXIT_USAGE);
    assert.match(noListen.err, /--listen .*--p2p-listen/);
    const peerOnly = await run([...base, '--log', log.vkey, '--peer', '/ip4/127.0.0.1/tcp/1/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo']);
    assert.equal(peerOnly.code, EXIT_USAGE);
    assert.match(peerOnly.err, /--p2p-listen/);
    const badPeer = await run([...base, '--log', log.vkey, '--p2p-listen', '/ip4/127.0.0.1/tcp/0', '--peer', '/ip4/127.0.0.1/tcp/1']);
    assert.equal(badPeer.code, EXIT_USAGE);
    assert.match(badPeer.err, /--peer .*\/p2p\//);
    const badSync = await run([...base, '--log', log.vkey, '--p2p-listen', '/ip4/127.0.0.1/tcp/0', '--peer-sync-timeout', '10s']);
    assert.equal(badSync.code, EXIT_USAGE);
    assert.match(badSync.err, /--peer-sync-timeout must be an integer/);
    const badUrl = await run([...base, '--log', `${log.vkey}@http://[x`]);
    assert.equal(badUrl.code, EXIT_USAGE);
    assert.match(badUrl.err, /--log/);
    const help = await run(['witness', 'serve', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /--logs-file/);
    assert.match(help.out, /--peer-sync-timeout/);
  });
});

test('serves add-checkpoint, prints name and vkey, stops cleanly and keeps state across restarts', async () => {
  await withDir(async (dir) => {
    const key = await keygen(dir);
    const data = join(dir, 'data');
    const log = new TestLog('example.com/cli-log', 31);
    const first = await serve({ data, key, log: [log.vkey] });
    assert.ok(first.lines.includes('name example.com/witness'));
    const vkeyLine = first.lines.find((l) => l.startsWith('cosignature/v1 '));
    assert.ok(vkeyLine);
    const witnessVkey = parseVerifierKey(vkeyLine.slice('cosignature/v1 '.length));
    const r = await fetch(`${first.url}/add-checkpoint`, { method: 'POST', body: log.body(0n, 6n), signal: AbortSignal.timeout(10_000) });
    assert.equal(r.status, 200);
    assert.equal(openNote(log.note(6n) + (await r.text()), [witnessVkey]).verified.length, 1);
    assert.equal(await first.stop(), 0);
    assert.ok(first.errs.some((l) => JSON.parse(l).msg === 'cosigned'));
    assert.ok(first.errs.some((l) => JSON.parse(l).msg === 'stopped'));

    const second = await serve({ data, key, log: [log.vkey] });
    try {
      const conflict = await fetch(`${second.url}/add-checkpoint`, { method: 'POST', body: log.body(0n, 7n), signal: AbortSignal.timeout(10_000) });
      assert.equal(conflict.status, 409);
      assert.equal(await conflict.text(), '6\n');
      const next = await fetch(`${second.url}/add-checkpoint`, { method: 'POST', body: log.body(6n, 7n), signal: AbortSignal.timeout(10_000) });
      assert.equal(next.status, 200);
    } finally {
      assert.equal(await second.stop(), 0);
    }
  });
});
