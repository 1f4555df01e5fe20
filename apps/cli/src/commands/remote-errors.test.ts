// The CLI's remote errors against real servers on 127.0.0.1: a closed port, a witness where a
// log is expected, a tiny HTTP server answering HTML, and a log whose cosigned checkpoint lags
// (its only witness stopped). Each message names the URL and the cause; each cause has one exit
// code in every command. Also the --json output of get, prove, keygen, note verify and
// evidence list.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatSignerKey, verifierKeyFromSigner } from '@cairn/formats';
import { nodeEd25519 } from '@cairn/formats/node';
import { LogNode, memoryStorage, silentLogger } from '@cairn/log';
import { Witness, openLevelWitnessStorage, type WitnessStorage } from '@cairn/witness';
import { startLogServer, startWitnessServer, type LogServer, type WitnessServer } from '@cairn/api';
import { EXIT_CODES, EXIT_FETCH_FAILED } from '@cairn/client';
import { runCli } from '../main.js';
import { EXIT_FAIL } from '../command.js';

const LOG_KEY = formatSignerKey('errors.example.org/log', new Uint8Array(32).fill(7));
const WITNESS_KEY = formatSignerKey('witness.example.org', new Uint8Array(32).fill(8));
const TIMING = { requestTimeoutMs: 2_000, startupTimeoutMs: 500, initialBackoffMs: 10, maxBackoffMs: 100 };
const enc = (s: string) => new TextEncoder().encode(s);

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (l) => { out += l + '\n'; }, err: (l) => { err += l + '\n'; } });
  return { code, out, err };
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    resolve(`http://127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}`);
  }));
}

describe('remote errors a person can act on', () => {
  let dir: string;
  let storage: WitnessStorage;
  let witnessServer: WitnessServer;
  let node: LogNode;
  let logServer: LogServer;
  let html: Server;
  let htmlUrl: string;
  let closedUrl: string;
  let witnessUrl: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cairn-remote-errors-'));
    storage = await openLevelWitnessStorage(join(dir, 'witness'));
    const witness = new Witness({ key: WITNESS_KEY, logs: [{ vkey: verifierKeyFromSigner(LOG_KEY) }], storage, ed25519: nodeEd25519 });
    witnessServer = await startWitnessServer({ witness, listen: { host: '127.0.0.1', port: 0 } });
    witnessUrl = witnessServer.url;
    node = await LogNode.open({
      storage: memoryStorage(),
      signerKey: LOG_KEY,
      logger: silentLogger,
      checkpointIntervalMs: 5,
      witnesses: [{ url: witnessUrl, vkey: witness.cosignatureVkey }],
      quorum: 1,
      witnessTiming: TIMING,
    });
    await node.start();
    logServer = await startLogServer({ node, listen: { host: '127.0.0.1', port: 0 } });
    html = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!DOCTYPE html><html><body>It works!</body></html>');
    });
    htmlUrl = await listen(html);
    const closed = createServer();
    closedUrl = await listen(closed);
    await new Promise<void>((r) => closed.close(() => r()));
  });

  after(async () => {
    await logServer?.close();
    await node?.stop();
    await witnessServer?.close();
    await storage?.close();
    await new Promise<void>((r) => (html ? html.close(() => r()) : r()));
    await rm(dir, { recursive: true, force: true });
  });

  test('connection refused names the URL, gives up at once, same exit code in every command', async () => {
    for (const argv of [
      ['get', '--url', closedUrl, '--index', '0'],
      ['prove', '--url', closedUrl, '--index', '0'],
      ['submit', '--url', closedUrl, '--token', 't', '--file', join(dir, 'one.txt')],
      ['evidence', 'list', '--url', closedUrl],
    ]) {
      await writeFile(join(dir, 'one.txt'), 'x\n');
      const r = await run(argv);
      assert.equal(r.code, EXIT_FETCH_FAILED, `${argv[0]}: ${r.err}`);
      assert.ok(r.err.includes(`connection refused to ${closedUrl}`), `${argv[0]}: ${r.err}`);
      assert.doesNotMatch(r.err, /retrying/);
    }
  });

  test('an HTML answer is "not a Cairn server"', async () => {
    for (const argv of [['get', '--url', htmlUrl, '--index', '0'], ['evidence', 'list', '--url', htmlUrl]]) {
      const r = await run(argv);
      assert.equal(r.code, EXIT_FETCH_FAILED, r.err);
      assert.ok(r.err.includes(`HTML answer: not a Cairn server (${htmlUrl})`), r.err);
    }
  });

  test('a server\'s error message cannot drive the terminal: control characters escaped, length bounded', async () => {
    // A hostile "log" answering every tRPC call with an error whose message holds escape sequences,
    // a carriage return and 100k characters; line feeds (a bad query's caret line) stay.
    const message = `\u001b[2J\u001b]0;owned\u0007line one\rforged\nline two\u009b${'x'.repeat(100_000)}`;
    const hostile = createServer((req, res) => {
      const error = { message, code: -32603, data: { code: 'INTERNAL_SERVER_ERROR', httpStatus: 500, cairnCode: null } };
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify(new URL(req.url ?? '/', 'http://x').searchParams.has('batch') ? [{ error }] : { error }));
    });
    const url = await listen(hostile);
    try {
      const r = await run(['events', 'sources', '--url', url, '--token', 'cairn_reader-token']);
      assert.equal(r.code, EXIT_FAIL, r.err);
      assert.doesNotMatch(r.err, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/, 'no control character but line feeds reaches the terminal');
      assert.ok(r.err.includes('\\u001b[2J\\u001b]0;owned\\u0007line one\\u000dforged\nline two\\u009b'), r.err.slice(0, 300));
      assert.ok(r.err.includes('more characters)') && r.err.length < 10_000, `${r.err.length} characters`);
    } finally {
      await new Promise<void>((resolve) => hostile.close(() => resolve()));
    }
  });

  test('a log command against a witness says so', async () => {
    for (const argv of [['get', '--url', witnessUrl, '--index', '0'], ['prove', '--url', witnessUrl, '--index', '0']]) {
      const r = await run(argv);
      assert.equal(r.code, EXIT_FETCH_FAILED, r.err);
      assert.ok(r.err.includes(`this is a witness, not a log (${witnessUrl})`), r.err);
    }
  });

  test('--json on get, prove and evidence list', async () => {
    await node.submit([enc('alpha'), enc('beta')], { wait: 'cosigned' });
    const g = await run(['get', '--url', logServer.url, '--index', '1', '--json']);
    assert.equal(g.code, 0, g.err);
    const got = JSON.parse(g.out) as { index: string; data: string };
    assert.equal(got.index, '1');
    assert.equal(Buffer.from(got.data, 'base64').toString(), 'beta');
    const p = await run(['prove', '--url', logServer.url, '--index', '1', '--json']);
    assert.equal(p.code, 0, p.err);
    const proved = JSON.parse(p.out) as { index: string; treeSize: string; bundle: string };
    assert.equal(proved.index, '1');
    assert.ok(BigInt(proved.treeSize) >= 2n);
    assert.match(proved.bundle, /errors\.example\.org\/log/);
    const e = await run(['evidence', 'list', '--url', witnessUrl, '--json']);
    assert.equal(e.code, 0, e.err);
    assert.equal(e.out, '', 'no split view, no evidence');
  });

  test('an entry logged but not covered by the cosigned checkpoint: "logged at index N but not yet cosigned"', async () => {
    await node.submit([enc('covered')], { wait: 'cosigned' });
    await witnessServer.close();
    const index = (await node.submit([enc('lagging')], { wait: 'checkpoint' })).indices[0]!;
    const r = await run(['prove', '--url', logServer.url, '--index', String(index)]);
    assert.equal(r.code, EXIT_CODES['quorum-not-met'], r.err);
    assert.ok(r.err.includes(`logged at index ${index} but not yet cosigned`), r.err);
    assert.doesNotMatch(r.err, /not in the tree/);
    // verify --url --index says the same, with the same exit code.
    await writeFile(join(dir, 'policy.txt'), `log ${verifierKeyFromSigner(LOG_KEY)}\nquorum none\n`);
    const v = await run(['verify', '--url', logServer.url, '--index', String(index), '--policy', join(dir, 'policy.txt')]);
    assert.equal(v.code, EXIT_CODES['quorum-not-met'], v.err);
    assert.ok(v.err.includes(`logged at index ${index} but not yet cosigned`), v.err);
    // An entry file that differs from the logged entry is entry-mismatch, not an inclusion failure.
    await writeFile(join(dir, 'wrong-entry'), 'not alpha');
    const m = await run(['verify', '--url', logServer.url, '--index', '0', '--policy', join(dir, 'policy.txt'), '--entry-file', join(dir, 'wrong-entry')]);
    assert.equal(m.code, EXIT_CODES['entry-mismatch'], m.err);
    assert.match(m.err, /differs from the entry logged at index 0/);
    // An index the log does not have at all is a plain server refusal.
    const beyond = await run(['get', '--url', logServer.url, '--index', '999']);
    assert.equal(beyond.code, EXIT_FAIL, beyond.err);
    assert.ok(beyond.err.includes(logServer.url), beyond.err);
  });
});

describe('--json on local commands', () => {
  test('keygen --json and note verify --json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cairn-json-'));
    try {
      const k = await run(['keygen', '--name', 'json.example.org', '--out', join(dir, 'k.key'), '--witness', '--json']);
      assert.equal(k.code, 0, k.err);
      const key = JSON.parse(k.out) as { name: string; signerKeyFile: string; vkey: string; cosignatureVkey: string };
      assert.equal(key.name, 'json.example.org');
      assert.match(key.vkey, /^json\.example\.org\+[0-9a-f]{8}\+/);
      assert.match(key.cosignatureVkey, /^json\.example\.org\+[0-9a-f]{8}\+/);
      const node = await LogNode.open({ storage: memoryStorage(), signerKey: LOG_KEY, logger: silentLogger, checkpointIntervalMs: 5 });
      await node.start();
      try {
        await node.submit([enc('one')], { wait: 'checkpoint' });
        await writeFile(join(dir, 'cp'), node.servedCheckpoint()!.note);
      } finally {
        await node.stop();
      }
      const v = await run(['note', 'verify', join(dir, 'cp'), '--vkey', verifierKeyFromSigner(LOG_KEY), '--json']);
      assert.equal(v.code, 0, v.err);
      const res = JSON.parse(v.out) as { verified: boolean; checkpoint: { origin: string; size: string }; signature: { ok: boolean } };
      assert.equal(res.verified, true);
      assert.equal(res.checkpoint.origin, 'errors.example.org/log');
      assert.equal(res.signature.ok, true);
      // A missing cosignature: still one JSON object, and the failing exit status.
      const bad = await run(['note', 'verify', join(dir, 'cp'), '--vkey', verifierKeyFromSigner(LOG_KEY), '--cosigner', key.cosignatureVkey, '--json']);
      assert.equal(bad.code, EXIT_CODES['quorum-not-met'], bad.err);
      const badRes = JSON.parse(bad.out) as { verified: boolean; cosignatures: { ok: boolean }[] };
      assert.equal(badRes.verified, false);
      assert.deepEqual(badRes.cosignatures.map((c) => c.ok), [false]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
