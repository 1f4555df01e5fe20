/**
 * One cause, one exit status, whichever command meets it (docs/cli.md, lib/exit-codes.ts): I/O
 * failures — a port another program holds, a state directory another process has locked, an
 * input file that does not exist — exit EXIT_IO (3) from `log serve`, `witness serve`, `submit`
 * and `note verify` alike; a proof the log itself returned that does not prove its entry is the
 * log's data being wrong (`bad-log-data`, 27) in `submit --proofs` as in `verify`. In-process
 * through runCli, on 127.0.0.1 port 0 / temporary dirs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createToken, loadTokens, startLogServer } from '@cairn/api';
import { EXIT_CODES } from '@cairn/client';
import { generateSignerKey } from '@cairn/formats';
import { LogNode, memoryStorage, silentLogger } from '@cairn/log';
import { openLevelWitnessStorage } from '@cairn/witness';
import { runCli } from '../main.js';
import { EXIT_IO } from '../command.js';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (l) => { out += l + '\n'; }, err: (l) => { err += l + '\n'; } });
  return { code, out, err };
}

test('a busy port, a locked state directory and a missing input file all exit 3 (I/O)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-exit-codes-'));
  const held = createServer();
  await new Promise<void>((r) => held.listen(0, '127.0.0.1', r));
  const port = (held.address() as { port: number }).port;
  const locked = await openLevelWitnessStorage(join(dir, 'w-data'));
  try {
    const logKey = join(dir, 'log.key');
    const vkey = (await run(['keygen', '--name', 'exit.example.org/log', '--out', logKey])).out.trim();
    const wKey = join(dir, 'w.key');
    assert.equal((await run(['keygen', '--name', 'w.exit.example.org', '--out', wKey, '--witness'])).code, 0);

    const log = await run(['log', 'serve', '--data', join(dir, 'log-data'), '--key', logKey, '--listen', `127.0.0.1:${port}`]);
    assert.equal(log.code, EXIT_IO, log.err);
    assert.match(log.err, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}`));

    const w = await run(['witness', 'serve', '--data', join(dir, 'w2-data'), '--key', wKey, '--listen', `127.0.0.1:${port}`, '--log', vkey]);
    assert.equal(w.code, EXIT_IO, w.err);
    assert.match(w.err, /cannot listen on/);

    const lockedRun = await run(['witness', 'serve', '--data', join(dir, 'w-data'), '--key', wKey, '--listen', '127.0.0.1:0', '--log', vkey]);
    assert.equal(lockedRun.code, EXIT_IO, lockedRun.err);
    assert.match(lockedRun.err, /cannot open the witness state/);
    const clear = await run(['witness', 'clear', '--data', join(dir, 'w-data'), '--origin', 'exit.example.org/log']);
    assert.equal(clear.code, lockedRun.code, clear.err);

    const missing = join(dir, 'no-such-file');
    const submit = await run(['submit', '--url', 'http://127.0.0.1:1', '--token', 'x', '--file', missing]);
    assert.equal(submit.code, EXIT_IO, submit.err);
    assert.match(submit.err, /cannot read .*no-such-file/);
    const note = await run(['note', 'verify', '--vkey', vkey, missing]);
    assert.equal(note.code, EXIT_IO, note.err);
    assert.match(note.err, /cannot read .*no-such-file/);
  } finally {
    await locked.close();
    await new Promise<void>((r) => held.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  }
});

test('submit --proofs: a proof the log returns that does not prove the entry exits 27 (bad-log-data), as verify does', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-exit-lying-'));
  const node = await LogNode.open({ storage: memoryStorage(), signerKey: generateSignerKey('lying.example.org/log', new Uint8Array(32).fill(5)), checkpointIntervalMs: 5, logger: silentLogger });
  await node.start();
  const token = await createToken(join(dir, 'tokens.json'), 'lying');
  const server = await startLogServer({ node, listen: { host: '127.0.0.1', port: 0 }, tokens: await loadTokens(join(dir, 'tokens.json')) });
  // A proxy in front of the real log that flips one byte of the first proof hash it answers.
  const body = async (req: IncomingMessage) => { const c: Buffer[] = []; for await (const x of req) c.push(x as Buffer); return Buffer.concat(c); };
  let tampered = 0;
  const proxy = createHttpServer((req, res) => {
    void (async () => {
      const upstream = await fetch(server.url + (req.url ?? '/'), { method: req.method ?? 'GET', headers: req.headers as Record<string, string>, ...(req.method === 'POST' ? { body: await body(req) } : {}) });
      let text = await upstream.text();
      text = text.replace(/"proofs":\[\["([A-Za-z0-9+/]{43}=)"/, (_m, h: string) => {
        tampered++;
        const bytes = Buffer.from(h, 'base64');
        bytes[0] = bytes[0]! ^ 1;
        return `"proofs":[["${bytes.toString('base64')}"`;
      });
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
      res.end(text);
    })().catch((e: unknown) => { res.writeHead(500).end(String(e)); });
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  try {
    await node.submit([new TextEncoder().encode('first')], { wait: 'checkpoint' });
    await writeFile(join(dir, 'in.txt'), 'second\n');
    const url = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    const r = await run(['submit', '--url', url, '--token', token, '--file', join(dir, 'in.txt'), '--wait', 'checkpoint', '--proofs', join(dir, 'proofs')]);
    assert.equal(tampered, 1, 'the proxy changed the proof');
    assert.equal(r.code, EXIT_CODES['bad-log-data'], r.err);
    assert.match(r.err, /the log returned a proof that does not check out/);
  } finally {
    await new Promise<void>((r) => proxy.close(() => r()));
    await server.close();
    await node.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
