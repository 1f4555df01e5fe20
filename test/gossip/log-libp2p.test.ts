/**
 * log → witness over the libp2p stream protocol, across processes: a `cairn witness serve` with
 * no HTTP (only --p2p-listen) that allows the log's peer ID (learned beforehand with
 * `cairn witness p2p-id` on the log's data directory), and a `cairn log serve --witness
 * /ip4/127.0.0.1/tcp/P/p2p/ID=VKEY`: the log's /checkpoint serves a note cosigned by it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateSignerKey, openNote, parseVerifierKey, verifierKeyFromSigner } from '@cairn/formats';
import { runCliOk, tempDir } from '../helpers/cli.js';
import { spawnCli, type Proc } from './procs.js';
import { until } from './support.js';

test('log serve --witness MULTIADDR=VKEY gets cosignatures from a libp2p-only witness', async () => {
  const { dir, cleanup } = await tempDir('cairn-log-libp2p-');
  const procs: Proc[] = [];
  try {
    const logSkey = generateSignerKey('log.example.org/p2p', new Uint8Array(32).fill(21));
    const wSkey = generateSignerKey('witness.example.org/p2p', new Uint8Array(32).fill(22));
    await writeFile(join(dir, 'log.key'), logSkey + '\n', { mode: 0o600 });
    await writeFile(join(dir, 'w.key'), wSkey + '\n', { mode: 0o600 });
    const logData = join(dir, 'log');
    const logPeer = (await runCliOk(['witness', 'p2p-id', '--data', logData])).trim();
    const w = spawnCli(['witness', 'serve', '--data', join(dir, 'w'), '--key', join(dir, 'w.key'), '--log', verifierKeyFromSigner(logSkey),
      '--p2p-listen', '/ip4/127.0.0.1/tcp/0', '--allow-peer', logPeer]);
    procs.push(w);
    const wAddr = (await w.line(/^cairn witness p2p listening on (\S+)$/))[1]!;
    const wVkey = (await w.line(/^cosignature\/v1 (\S+)$/))[1]!;
    assert.ok(!w.stdout.some((l) => l.startsWith('cairn witness listening on ')), 'no HTTP without --listen');
    const log = spawnCli(['log', 'serve', '--data', logData, '--key', join(dir, 'log.key'), '--listen', '127.0.0.1:0', '--checkpoint-interval', '50',
      '--witness', `${wAddr}=${wVkey}`]);
    procs.push(log);
    const url = (await log.line(/^cairn log listening on (\S+)$/))[1]!;
    assert.equal((await log.line(/^p2p id (\S+)$/))[1], logPeer);
    const keys = [parseVerifierKey(verifierKeyFromSigner(logSkey)), parseVerifierKey(wVkey)];
    let note = '';
    await until(async () => {
      const r = await fetch(`${url}/checkpoint`, { signal: AbortSignal.timeout(5000) });
      note = await r.text();
      return r.status === 200;
    }, 'a cosigned checkpoint at /checkpoint', 30_000);
    const opened = openNote(note, keys);
    assert.deepEqual(opened.verified.map((s) => s.name).sort(), ['log.example.org/p2p', 'witness.example.org/p2p']);
  } finally {
    await Promise.allSettled(procs.map((p) => p.stop('SIGKILL')));
    await cleanup();
  }
});
