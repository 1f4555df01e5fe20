// `cairn verify` in-process through runCli: offline bundles made with real keys (fixed seeds) and
// a real Merkle tree, and --url against a real log server on 127.0.0.1:0.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cosignatureSigner,
  cosignatureVerifierKey,
  formatCheckpoint,
  formatProofBundle,
  generateSignerKey,
  parseSignerKey,
  signNote,
  utf8Encode,
  verifierKeyFromSigner,
} from '@cairn/formats';
import { inclusionProof, leafHash, treeHash, type NodeReader } from '@cairn/merkle';
import { LogNode, memoryStorage, silentLogger } from '@cairn/log';
import { startLogServer, type LogServer } from '@cairn/api';
import { EXIT_CODES } from '@cairn/client';
import { runCli } from '../main.js';
import { EXIT_IO, EXIT_USAGE } from '../command.js';

const ORIGIN = 'example.com/cli-verify';
const seed = (n: number) => new Uint8Array(32).fill(n);
const LOG_SKEY = generateSignerKey(ORIGIN, seed(21));
const WITNESS_SKEYS = [generateSignerKey('wa.example', seed(22)), generateSignerKey('wb.example', seed(23))];
const NOW = BigInt(Math.floor(Date.now() / 1000));
const ENTRIES = Array.from({ length: 6 }, (_, i) => utf8Encode(`cli event ${i}`));
const LEAVES = ENTRIES.map((e) => leafHash(e));
const reader: NodeReader = {
  readNodes: (ids) => ids.map(({ level, index }) => treeHash(LEAVES.slice(Number(index) << level, (Number(index) + 1) << level))),
};

function note(witnesses: number[], logSkey = LOG_SKEY, time = NOW - 5n): string {
  const text = formatCheckpoint({ origin: ORIGIN, size: 6n, rootHash: treeHash(LEAVES), extensions: [] });
  return signNote(text, [parseSignerKey(logSkey), ...witnesses.map((w) => cosignatureSigner(WITNESS_SKEYS[w]!, () => time))]);
}

const bundle = (index: number, n: string = note([0, 1])) => formatProofBundle({ index: BigInt(index), proof: inclusionProof(BigInt(index), 6n, reader), checkpoint: n });

const POLICY = [
  `log ${verifierKeyFromSigner(LOG_SKEY)}`,
  `witness wa ${cosignatureVerifierKey(WITNESS_SKEYS[0]!)}`,
  `witness wb ${cosignatureVerifierKey(WITNESS_SKEYS[1]!)}`,
  'group both all wa wb',
  'quorum both',
  '',
].join('\n');

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (l) => { out += l + '\n'; }, err: (l) => { err += l + '\n'; } });
  return { code, out, err };
}

describe('cairn verify --bundle', () => {
  let dir: string;
  const f = (name: string) => join(dir, name);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cairn-verify-'));
    await writeFile(f('policy.txt'), POLICY);
    await writeFile(f('entry2'), ENTRIES[2]!);
    await writeFile(f('entry3'), ENTRIES[3]!);
    await writeFile(f('ok.tlog-proof'), bundle(2));
    await writeFile(f('one-witness.tlog-proof'), bundle(2, note([0])));
    await writeFile(f('impostor.tlog-proof'), bundle(2, note([0, 1], generateSignerKey(ORIGIN, seed(99)))));
    await writeFile(f('future.tlog-proof'), bundle(2, note([0, 1], LOG_SKEY, NOW + 3600n)));
    await writeFile(f('bad-policy.txt'), POLICY.replace('group both all', 'group both 3'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('a good bundle verifies (exit 0), in text and JSON', async () => {
    const r = await run(['verify', '--policy', f('policy.txt'), '--bundle', f('ok.tlog-proof'), '--entry-file', f('entry2')]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`^verified: entry 2 is in ${ORIGIN} at tree size 6`));
    assert.match(r.out, /witness: {4}wa /);
    const j = await run(['verify', '--policy', f('policy.txt'), '--bundle', f('ok.tlog-proof'), '--leaf-hash', Buffer.from(LEAVES[2]!).toString('base64'), '--json']);
    assert.equal(j.code, 0, j.err);
    const res = JSON.parse(j.out) as { ok: boolean; index: string; treeSize: string; witnesses: { name: string }[] };
    assert.equal(res.ok, true);
    assert.equal(res.index, '2');
    assert.equal(res.treeSize, '6');
    assert.deepEqual(res.witnesses.map((w) => w.name), ['wa', 'wb']);
  });

  test('each failure has its own exit code and a one-line reason', async () => {
    const cases: [string[], keyof typeof EXIT_CODES][] = [
      [['--bundle', f('ok.tlog-proof'), '--entry-file', f('entry3')], 'inclusion-failed'],
      [['--bundle', f('ok.tlog-proof'), '--entry-file', f('entry2'), '--index', '3'], 'entry-mismatch'],
      [['--bundle', f('one-witness.tlog-proof'), '--entry-file', f('entry2')], 'quorum-not-met'],
      [['--bundle', f('impostor.tlog-proof'), '--entry-file', f('entry2')], 'bad-log-signature'],
      [['--bundle', f('future.tlog-proof'), '--entry-file', f('entry2')], 'cosignature-in-future'],
      [['--bundle', f('entry2'), '--entry-file', f('entry2')], 'bad-bundle'],
    ];
    for (const [args, code] of cases) {
      const r = await run(['verify', '--policy', f('policy.txt'), ...args]);
      assert.equal(r.code, EXIT_CODES[code], `${code}: ${r.err}`);
      assert.match(r.err, new RegExp(`^cairn verify: ${code}: .+\\n$`));
    }
    // A future timestamp within an allowed skew passes.
    const skew = await run(['verify', '--policy', f('policy.txt'), '--bundle', f('future.tlog-proof'), '--entry-file', f('entry2'), '--max-future-skew', '7200']);
    assert.equal(skew.code, 0, skew.err);
  });

  test('--json on failure carries the code and the evidence', async () => {
    const r = await run(['verify', '--policy', f('policy.txt'), '--bundle', f('one-witness.tlog-proof'), '--entry-file', f('entry2'), '--json']);
    assert.equal(r.code, EXIT_CODES['quorum-not-met']);
    const j = JSON.parse(r.out) as { ok: boolean; code: string; exitCode: number; evidence: { missing: string[]; note: string } };
    assert.equal(j.ok, false);
    assert.equal(j.code, 'quorum-not-met');
    assert.equal(j.exitCode, r.code);
    assert.deepEqual(j.evidence.missing, ['wb']);
    assert.match(j.evidence.note, new RegExp(`^${ORIGIN}\\n6\\n`));
  });

  test('policy errors name the file and the line', async () => {
    const r = await run(['verify', '--policy', f('bad-policy.txt'), '--bundle', f('ok.tlog-proof'), '--entry-file', f('entry2')]);
    assert.equal(r.code, EXIT_CODES['bad-policy']);
    assert.match(r.err, /bad-policy\.txt: line 4: /);
  });

  test('usage errors', async () => {
    const both = await run(['verify', '--policy', f('policy.txt'), '--bundle', f('ok.tlog-proof'), '--url', 'http://127.0.0.1:1', '--index', '0']);
    assert.equal(both.code, EXIT_USAGE);
    const noEntry = await run(['verify', '--policy', f('policy.txt'), '--bundle', f('ok.tlog-proof')]);
    assert.equal(noEntry.code, EXIT_USAGE);
    const noIndex = await run(['verify', '--policy', f('policy.txt'), '--url', 'http://127.0.0.1:1']);
    assert.equal(noIndex.code, EXIT_USAGE);
    const badHash = await run(['verify', '--policy', f('policy.txt'), '--bundle', f('ok.tlog-proof'), '--leaf-hash', 'abc']);
    assert.equal(badHash.code, EXIT_USAGE);
    const missingFile = await run(['verify', '--policy', f('nope.txt'), '--bundle', f('ok.tlog-proof'), '--entry-file', f('entry2')]);
    assert.equal(missingFile.code, EXIT_IO);
  });
});

describe('cairn verify --url (real log server)', () => {
  let node: LogNode;
  let server: LogServer;
  let dir: string;
  const entries = Array.from({ length: 40 }, (_, i) => utf8Encode(`served event ${i}`));

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cairn-verify-url-'));
    const skey = generateSignerKey('example.com/cli-verify-url', seed(31));
    node = await LogNode.open({ storage: memoryStorage(), signerKey: skey, checkpointIntervalMs: 10, logger: silentLogger });
    await node.start();
    await node.submit(entries, { wait: 'checkpoint' });
    server = await startLogServer({ node, listen: { host: '127.0.0.1', port: 0 } });
    await writeFile(join(dir, 'policy.txt'), `# the served log, no witnesses\nlog ${node.verifierKey}\nquorum none\n`);
    await writeFile(join(dir, 'witnessed.txt'), `log ${node.verifierKey}\nwitness wa ${cosignatureVerifierKey(WITNESS_SKEYS[0]!)}\nquorum wa\n`);
    await writeFile(join(dir, 'entry17'), entries[17]!);
  });
  after(async () => {
    await server.close();
    await node.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('fetches the bundle and verifies it like a bundle', async () => {
    const policy = join(dir, 'policy.txt');
    const withFile = await run(['verify', '--policy', policy, '--url', server.url, '--index', '17', '--entry-file', join(dir, 'entry17')]);
    assert.equal(withFile.code, 0, withFile.err);
    assert.match(withFile.out, /verified: entry 17 .* at tree size 40/);
    const fromLog = await run(['verify', '--policy', policy, '--url', server.url, '--index', '3', '--json']);
    assert.equal(fromLog.code, 0, fromLog.err);
    assert.equal((JSON.parse(fromLog.out) as { entry: string }).entry, 'fetched from the log');
    const wrong = await run(['verify', '--policy', policy, '--url', server.url, '--index', '16', '--entry-file', join(dir, 'entry17')]);
    // Entry 17's bytes at index 16: the log holds other bytes there, so the entry file is wrong.
    assert.equal(wrong.code, EXIT_CODES['entry-mismatch'], wrong.err);
    const unwitnessed = await run(['verify', '--policy', join(dir, 'witnessed.txt'), '--url', server.url, '--index', '3']);
    assert.equal(unwitnessed.code, EXIT_CODES['quorum-not-met']);
    assert.match(unwitnessed.err, /missing wa/);
  });

  test('fetch failures exit 3 with the server\'s reason', async () => {
    const r = await run(['verify', '--policy', join(dir, 'policy.txt'), '--url', server.url, '--index', '40']);
    assert.equal(r.code, EXIT_IO);
    assert.match(r.err, /^cairn verify: fetch failed \(not-found\): .*beyond-tree/);
  });
});
