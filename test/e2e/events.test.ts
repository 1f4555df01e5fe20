/**
 * Audit events end to end, with real processes: `cairn log serve` with a witness, OCSF events
 * submitted with `cairn events submit` (receipts kept), an event proof fetched with a reader
 * token and verified offline under a policy, the receipts' promise checked, an event erased with
 * an admin token — after which `events get` says so with the index of the erasure record, and the
 * leaf's tlog-proof bundle still verifies with `cairn verify --bundle` — and a scan of everything
 * public the log serves over HTTP (tiles, entry bundles, checkpoints, entries, proof bundles)
 * that finds none of the user names or IP addresses submitted.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogClient } from '@cairn/client';
import { spawn } from 'node:child_process';
import { cli, makeCluster, policyText, until, type Cluster } from './harness.js';
import { cliArgs, REPO_ROOT } from '../helpers/cli.js';

const ORIGIN = 'e2e.example/events';
/** Personal data that must never leave the event store. */
const SECRETS = ['quentin.e2e@example.com', 'rosalind-e2e', '203.0.113.199', '2001:db8::7e2e', 'laptop-quentin-e2e'];

function events(): string[] {
  const t = Date.now() - 60_000;
  const base = { category_uid: 3, severity_id: 1, metadata: { version: '1.3.0', product: { name: 'sshd' } } };
  return [
    { ...base, class_uid: 3002, activity_id: 1, type_uid: 300201, status_id: 1, time: t, user: { name: SECRETS[0] }, is_mfa: true,
      src_endpoint: { ip: SECRETS[2], hostname: SECRETS[4] } },
    { ...base, class_uid: 3002, activity_id: 1, type_uid: 300201, status_id: 2, time: t + 1, user: { name: SECRETS[1] }, src_endpoint: { ip: SECRETS[3] } },
    { ...base, class_uid: 3001, activity_id: 7, type_uid: 300107, status_id: 1, time: t + 2, user: { name: SECRETS[1] },
      actor: { user: { name: SECRETS[0] } }, policy: { name: 'cluster-admin' } },
    { class_uid: 6003, category_uid: 6, activity_id: 2, type_uid: 600302, severity_id: 2, status_id: 1, time: t + 3,
      metadata: { version: '1.3.0', product: { name: 'vault' } }, actor: { user: { name: SECRETS[0] } },
      api: { operation: 'read', request: { uid: 'r-1' } }, src_endpoint: { ip: SECRETS[2] } },
  ].map((e) => JSON.stringify(e));
}

describe('audit events end to end (log + witness processes)', () => {
  let c: Cluster;
  let reader = '';
  let admin = '';
  let receiptVkey = '';
  let policy = '';
  let indices: string[] = [];

  before(async () => {
    c = await makeCluster(ORIGIN, 1);
    const add = async (source: string, role: string) => {
      const r = await cli(['log', 'tokens', 'add', '--tokens', c.log.tokensFile, '--source', source, '--role', role]);
      assert.equal(r.code, 0, r.err.join('\n'));
      return r.out[0]!;
    };
    reader = await add('auditor', 'reader');
    admin = await add('dpo', 'admin');
    await c.witnesses[0]!.start();
    await c.log.start({ witnesses: c.witnesses, quorum: 1 });
    receiptVkey = (await c.log.proc!.line(/^receipt vkey (\S+)/))[1]!;
    policy = await c.file('policy.txt', policyText(c.log.vkey, c.witnesses, 1));
  });
  after(() => c?.close());

  test('submit, prove, verify offline, check receipts', async () => {
    const file = await c.file('events.jsonl', events().join('\n') + '\n');
    const receipts = join(c.dir, 'receipts');
    const s = await cli(['events', 'submit', '--url', c.log.url, '--token', c.log.token, '--source-seq', '0', '--wait', 'cosigned', '--receipts', receipts, file]);
    assert.equal(s.code, 0, s.err.join('\n'));
    indices = s.out;
    assert.equal(indices.length, 4);
    assert.match(receiptVkey, new RegExp(`^${ORIGIN.replace('.', '\\.')}/receipt\\+`));

    const proofFile = join(c.dir, 'e0.event-proof');
    const p = await cli(['events', 'prove', '--url', c.log.url, '--token', reader, '--index', indices[0]!, '--out', proofFile]);
    assert.equal(p.code, 0, p.err.join('\n'));
    const v = await cli(['verify', '--policy', policy, '--event', proofFile]);
    assert.equal(v.code, 0, v.err.join('\n'));
    assert.match(v.out[0]!, new RegExp(`^verified: event ${indices[0]} is in ${ORIGIN}`));
    assert.match(v.out.join('\n'), /witness: {4}w0 /);

    const r = await cli(['receipts', 'check', '--policy', policy, '--url', c.log.url, '--receipt-key', receiptVkey,
      ...indices.map((i) => join(receipts, `${i}.receipt`))]);
    assert.equal(r.code, 0, r.out.join('\n') + r.err.join('\n'));
    assert.equal(r.out.filter((l) => /: kept: /.test(l)).length, 4, r.out.join('\n'));

    // Rerunning the same file with the same --source-seq logs nothing twice.
    const again = await cli(['events', 'submit', '--url', c.log.url, '--token', c.log.token, '--source-seq', '0', file]);
    assert.equal(again.code, 0, again.err.join('\n'));
    assert.deepEqual(again.out, indices);
    const src = await cli(['events', 'sources', '--url', c.log.url, '--token', reader, '--json']);
    assert.deepEqual(JSON.parse(src.out[0]!).find((x: { source: string }) => x.source === 'e2e'), { source: 'e2e', nextSeq: '4', lastIndex: indices[3] });
  });

  test('erase: get answers erased with the record index; the leaf still proves; nothing personal is public', async () => {
    const idx = indices[1]!;
    const e = await cli(['events', 'erase', '--url', c.log.url, '--token', admin, '--reason', 'erasure request 7', idx]);
    assert.equal(e.code, 0, e.err.join('\n'));
    const record = /recorded at index (\d+)/.exec(e.out.join('\n'))?.[1];
    assert.ok(record !== undefined, e.out.join('\n'));
    const g = await cli(['events', 'get', '--url', c.log.url, '--token', reader, '--index', idx]);
    assert.equal(g.code, 0, g.err.join('\n'));
    assert.match(g.out[0]!, new RegExp(`^erased: event ${idx} .* by the record at index ${record}, .* by dpo: erasure request 7$`));
    const noProof = await cli(['events', 'prove', '--url', c.log.url, '--token', reader, '--index', idx]);
    assert.notEqual(noProof.code, 0);
    assert.match(noProof.err.join('\n'), /erased/);

    // The leaf's tlog-proof bundle, against the cosigned checkpoint, still verifies under the policy.
    const leafFile = join(c.dir, 'leaf');
    const bundleFile = join(c.dir, 'leaf.tlog-proof');
    assert.equal((await cli(['get', '--url', c.log.url, '--index', idx, '--out', leafFile])).code, 0);
    await c.log.client().log.submit.mutate({ entries: ['cGFk'], wait: 'cosigned' }); // a cosigned checkpoint past the record
    const b = await cli(['prove', '--url', c.log.url, '--index', idx, '--out', bundleFile]);
    assert.equal(b.code, 0, b.err.join('\n'));
    const v = await cli(['verify', '--policy', policy, '--bundle', bundleFile, '--entry-file', leafFile]);
    assert.equal(v.code, 0, v.err.join('\n'));

    // Reading an event needs a reader token.
    await assert.rejects(createLogClient(c.log.url).events.get.query({ index: indices[0]! }), /credentials|token/i);

    // Everything public, over HTTP: no user name, no address.
    const public_: string[] = [];
    const get = async (path: string) => {
      const r = await fetch(`${c.log.url}${path}`, { signal: AbortSignal.timeout(10_000) });
      assert.equal(r.status, 200, path);
      public_.push(Buffer.from(await r.arrayBuffer()).toString('latin1'));
    };
    await get('/checkpoint');
    const size = Number((await c.log.client().log.checkpoint.query()).size);
    assert.ok(size < 256 && size > Number(record));
    await get(`/tile/0/000.p/${size}`);
    await get(`/tile/entries/000.p/${size}`);
    const anon = createLogClient(c.log.url);
    const entries = await anon.log.entries.query({ from: '0', to: String(size) });
    public_.push(...entries.entries.map((x) => Buffer.from(x, 'base64').toString('latin1')));
    for (let i = 0; i < size; i++) public_.push((await anon.log.proofBundle.query({ index: String(i) })).bundle);
    public_.push(await readFile(bundleFile, 'latin1'));
    const all = public_.join('\n');
    for (const s of SECRETS) assert.ok(!all.includes(s), `${s} is public`);
    assert.match(all, /cairn\.dev\/event-leaf\/v1\nsource e2e\n/, 'the scan saw the leaves');
  });

  test('log serve refuses a bad --retention (naming the field) and a --receipt-key that is not the origin\'s receipt key', async () => {
    const bad = await c.file('retention.json', JSON.stringify({ rules: [{ source: 'bastion', keepDays: 0 }] }));
    const r = await c.log.refuse({ data: join(c.dir, 'other-data'), extra: ['--retention', bad] });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--retention .*rules\[0\]\.keepDays/);
    const k = await c.log.refuse({ data: join(c.dir, 'other-data'), extra: ['--receipt-key', c.log.keyFile] });
    assert.equal(k.code, 2, k.stderr);
    assert.match(k.stderr, /the receipt key of this log must be named \\?"e2e\.example\/events\/receipt\\?"/);
  });

  test('events submit from a pipe held open sends each line promptly (--linger), before the input ends', async () => {
    const child = spawn(process.execPath, cliArgs(['events', 'submit', '--url', c.log.url, '--token', c.log.token, '--linger', '50', '-']),
      { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      const [first] = events();
      child.stdin.write(first!.replace(SECRETS[0]!, 'pipe-user') + '\n');
      await until('the index of the first line, with the pipe still open', () => /^\d+\n/.test(out));
      child.stdin.end();
      assert.equal(await exited, 0);
      assert.equal(out.trim().split('\n').length, 1);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
