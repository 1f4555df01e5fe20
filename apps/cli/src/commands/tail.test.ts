// `cairn tail` in-process through runCli against a real log node (LevelDB) and the real HTTP
// server on 127.0.0.1:0, over server-sent events: new matching events print as they are
// committed, non-matching ones are skipped, each proof is verified under the policy; resuming
// from a printed cursor gives the rest with no gap or duplicate; bad flags name the flag.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLogServer, TokenAuthenticator, type LogServer } from '@cairn/api';
import { validateEvent } from '@cairn/events';
import { generateSignerKey } from '@cairn/formats';
import { LogNode, openLevelStorage, silentLogger } from '@cairn/log';
import { runCli } from '../main.js';
import { EXIT_USAGE } from '../command.js';

const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const READER = 'cairn_tail-reader';
const T0 = Date.UTC(2026, 10, 1);
const ev = (i: number, actor: string) => validateEvent({
  class_uid: 6003, category_uid: 6, activity_id: 2, type_uid: 600302, severity_id: 1, status_id: 1, time: T0 + i,
  metadata: { version: '1.3.0', product: { name: 'kubernetes' } }, actor: { user: { name: actor } }, api: { operation: 'get' },
  src_endpoint: { ip: '192.0.2.7' }, resources: [{ type: 'secrets', name: `s-${i}`, namespace: 'prod' }],
});

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (l) => { out += l + '\n'; }, err: (l) => { err += l + '\n'; } });
  return { code, out, err };
}

describe('cairn tail', () => {
  let dir: string;
  let node: LogNode;
  let server: LogServer;
  let policy: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cairn-tail-cli-'));
    node = await LogNode.open({
      storage: await openLevelStorage(join(dir, 'log')), signerKey: generateSignerKey('example.com/tail-cli', new Uint8Array(32).fill(6)),
      checkpointIntervalMs: 5, logger: silentLogger,
    });
    await node.start();
    const tokens = new TokenAuthenticator({ version: 1, tokens: [{ source: 'auditor', role: 'reader', sha256: sha(READER), quota: { entriesPerMinute: 1_000_000 } }] });
    server = await startLogServer({ node, events: node, tokens, listen: { host: '127.0.0.1', port: 0 } });
    policy = join(dir, 'policy');
    await writeFile(policy, `log ${node.verifierKey}\nquorum none\n`);
  });
  after(async () => {
    await server.close();
    await node.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const base = () => ['tail', '--url', server.url, '--token', READER, '--policy', policy];

  test('new matching events print as they come, each proven; resume from a cursor', async () => {
    await node.submitEvents('k8s', [{ event: ev(0, 'alice') }], { wait: 'checkpoint' });
    const live = run([...base(), '--json', '--count', '2', 'actor:alice']);
    // Keep submitting until the tail has connected and seen two of alice's (bounded by --count and the test's timeout).
    let i = 1;
    let done = false;
    void live.finally(() => { done = true; });
    while (!done && i < 400) {
      await node.submitEvents('k8s', [{ event: ev(i, i % 2 === 0 ? 'bob' : 'alice') }], { wait: 'checkpoint' });
      i++;
      await new Promise((r) => setTimeout(r, 20));
    }
    const r = await live;
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; index: string; cursor: string; event?: { actor: { user: { name: string } } }; verified?: boolean });
    const evs = lines.filter((l) => l.kind === 'event');
    const proofs = lines.filter((l) => l.kind === 'proof');
    assert.equal(evs.length, 2);
    assert.ok(evs.every((e) => e.event!.actor.user.name === 'alice' && Number(e.index) > 0), 'only new events of alice');
    assert.deepEqual(proofs.map((p) => p.index).sort(), evs.map((e) => e.index).sort());
    assert.ok(proofs.every((p) => p.verified === true));

    // From index 0: alice's events 0, 1, 3, …; resume from the cursor after the first event's proof.
    const first = await run([...base(), '--json', '--count', '1', '--from', '0', 'actor:alice']);
    assert.equal(first.code, 0, first.err);
    const f = first.out.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; index: string; cursor: string });
    assert.deepEqual(f.map((l) => `${l.kind} ${l.index}`), ['event 0', 'proof 0']);
    const rest = await run([...base(), '--json', '--count', '2', '--cursor', f[1]!.cursor, 'actor:alice']);
    assert.equal(rest.code, 0, rest.err);
    const restEvents = rest.out.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; index: string }).filter((l) => l.kind === 'event');
    assert.deepEqual(restEvents.map((l) => l.index), ['1', '3'], 'the next of alice, none repeated, none skipped');
  });

  test('table output; bad flags', async () => {
    const t = await run([...base(), '--count', '1', '--from', '0', 'actor:alice']);
    assert.equal(t.code, 0, t.err);
    assert.match(t.out, /^INDEX\tTIME/);
    assert.match(t.out, /\n0\t2026-11-01T00:00:00\.000Z\tk8s\tapi_activity\t2\tsuccess\talice\t/);
    assert.match(t.err, /event 0: proven in the tree of size \d+/);
    for (const [args, re] of [
      [['--from=-1'], /--from must be a non-negative/],
      [['--cursor', 'x'], /--cursor must be a cursor/],
      [['--from', '0', '--cursor', '1:1'], /--from INDEX or --cursor C, not both/],
      [['--count', '0'], /--count must be an integer/],
    ] as const) {
      const r = await run([...base(), ...args, '*']);
      assert.equal(r.code, EXIT_USAGE, r.err);
      assert.match(r.err, re);
    }
  });
});
