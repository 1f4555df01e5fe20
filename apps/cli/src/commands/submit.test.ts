// `cairn submit` in-process through runCli against a real log server on 127.0.0.1:0: --wait
// checkpoint|cosigned with --proofs DIR writes the bundles the log returned, and they verify
// offline with `cairn verify --bundle`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSignerKey, parseCheckpointNote, parseProofBundle } from '@cairn/formats';
import { LogNode, memoryStorage, silentLogger } from '@cairn/log';
import { createToken, loadTokens, startLogServer, type LogServer } from '@cairn/api';
import { runCli } from '../main.js';
import { EXIT_IO, EXIT_USAGE } from '../command.js';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (l) => { out += l + '\n'; }, err: (l) => { err += l + '\n'; } });
  return { code, out, err };
}

describe('cairn submit --wait --proofs', () => {
  let dir: string;
  let node: LogNode;
  let server: LogServer;
  let token: string;
  const f = (name: string) => join(dir, name);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cairn-submit-'));
    node = await LogNode.open({
      storage: memoryStorage(),
      signerKey: generateSignerKey('example.com/cli-submit', new Uint8Array(32).fill(41)),
      checkpointIntervalMs: 10,
      logger: silentLogger,
    });
    await node.start();
    token = await createToken(f('tokens.json'), 'cli-test', { quota: { entriesPerMinute: 1_000_000 } });
    server = await startLogServer({ node, listen: { host: '127.0.0.1', port: 0 }, tokens: await loadTokens(f('tokens.json')) });
    await writeFile(f('policy.txt'), `log ${node.verifierKey}\nquorum none\n`);
  });

  after(async () => {
    await server?.close();
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('--wait checkpoint --proofs DIR writes one verified bundle per entry, in batches', async () => {
    await writeFile(f('in.txt'), 'alpha\nbeta\ngamma\n');
    const r = await run(['submit', '--url', server.url, '--token', token, '--file', f('in.txt'), '--batch', '2', '--wait', 'checkpoint', '--proofs', f('proofs')]);
    assert.equal(r.code, 0, r.err);
    const indices = r.out.trim().split('\n');
    assert.deepEqual(indices, ['0', '1', '2']);
    assert.deepEqual((await readdir(f('proofs'))).sort(), ['0.tlog-proof', '1.tlog-proof', '2.tlog-proof']);
    for (const [i, entry] of ['alpha', 'beta', 'gamma'].entries()) {
      const bundle = parseProofBundle(await readFile(f(`proofs/${i}.tlog-proof`)));
      assert.equal(bundle.index, BigInt(i));
      assert.ok(parseCheckpointNote(bundle.checkpoint).checkpoint.size > BigInt(i));
      await writeFile(f(`entry${i}`), entry);
      const v = await run(['verify', '--bundle', f(`proofs/${i}.tlog-proof`), '--policy', f('policy.txt'), '--entry-file', f(`entry${i}`)]);
      assert.equal(v.code, 0, v.err + v.out);
    }
  });

  test('--wait cosigned is accepted (a log without witnesses answers as for checkpoint); bundles are never overwritten', async () => {
    await writeFile(f('one.txt'), 'delta\n');
    const r = await run(['submit', '--url', server.url, '--token', token, '--file', f('one.txt'), '--wait', 'cosigned', '--proofs', f('cosigned')]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out.trim(), '3');
    assert.equal(parseProofBundle(await readFile(f('cosigned/3.tlog-proof'))).index, 3n);
    // The same directory again: the next index is 4, so no clash; a file in the way is refused.
    await writeFile(f('cosigned/4.tlog-proof'), 'in the way');
    const clash = await run(['submit', '--url', server.url, '--token', token, '--file', f('one.txt'), '--wait', 'cosigned', '--proofs', f('cosigned')]);
    assert.equal(clash.code, EXIT_IO);
    assert.match(clash.err, /4\.tlog-proof already exists/);
    assert.equal(await readFile(f('cosigned/4.tlog-proof'), 'utf8'), 'in the way');
  });

  test('bad --wait and --proofs without a wait are usage errors', async () => {
    const bad = await run(['submit', '--url', server.url, '--token', token, '--file', f('one.txt'), '--wait', 'forever']);
    assert.equal(bad.code, EXIT_USAGE);
    assert.match(bad.err, /--wait must be none, checkpoint, cosigned/);
    const noWait = await run(['submit', '--url', server.url, '--token', token, '--file', f('one.txt'), '--proofs', f('p')]);
    assert.equal(noWait.code, EXIT_USAGE);
    assert.match(noWait.err, /--proofs needs --wait/);
  });
});
