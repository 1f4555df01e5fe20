// `cairn events …`, `cairn verify --event`, `cairn receipts check` and `log tokens add --role`
// in-process through runCli against a real HTTP server on 127.0.0.1:0 serving the fake log and
// event store of @cairn/api/testing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createToken, loadTokens, startLogServer, type LogServer, type ServedEventInput, type ServedEventSubmitOptions } from '@cairn/api';
import { FakeEventStore, FakeLog } from '@cairn/api/testing';
import { generateSignerKey, verifierKeyFromSigner } from '@cairn/formats';
import { EVENT_PROOF_EXIT_CODES, EXIT_CODES } from '@cairn/client';
import { runCli } from '../main.js';
import { EXIT_FAIL, EXIT_USAGE } from '../command.js';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (l) => { out += l + '\n'; }, err: (l) => { err += l + '\n'; } });
  return { code, out, err };
}

const logon = (i: number, ip = '192.0.2.55') => JSON.stringify({
  class_uid: 3002, category_uid: 3, activity_id: 1, type_uid: 300201, severity_id: 1, status_id: 1,
  time: 1767225600000 + i, metadata: { version: '1.3.0', product: { name: 'sshd' } }, user: { name: `zelda-${i}` }, src_endpoint: { ip },
});

/** An event store whose `failOn`-th submit stores the batch and then fails (the answer is lost). */
class LosesAnswers extends FakeEventStore {
  failOn = 0;
  submits = 0;
  override async submitEvents(source: string, events: ServedEventInput[], opts?: ServedEventSubmitOptions) {
    const r = await super.submitEvents(source, events, opts);
    if (++this.submits === this.failOn) throw new Error('connection lost after the write');
    return r;
  }
}

describe('cairn events', () => {
  let dir: string;
  let node: FakeLog;
  let events: LosesAnswers;
  let server: LogServer;
  const tok: Record<string, string> = {};
  const f = (name: string) => join(dir, name);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cairn-events-'));
    node = new FakeLog();
    events = new LosesAnswers(node);
    tok.writer = await createToken(f('tokens.json'), 'bastion');
    tok.reader = await createToken(f('tokens.json'), 'auditor', { role: 'reader' });
    tok.admin = await createToken(f('tokens.json'), 'dpo', { role: 'admin' });
    server = await startLogServer({ node, events, listen: { host: '127.0.0.1', port: 0 }, tokens: await loadTokens(f('tokens.json')) });
    await writeFile(f('policy.txt'), `log ${node.verifierKey}\nquorum none\n`);
  });
  after(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('submit prints indices in order and writes receipts that receipts check finds kept', async () => {
    await writeFile(f('a.jsonl'), [logon(0), '', logon(1), logon(2)].join('\n') + '\n');
    const r = await run(['events', 'submit', '--url', server.url, '--token', tok.writer!, '--batch', '2', '--receipts', f('receipts'), f('a.jsonl')]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.out.trim().split('\n'), ['0', '1', '2']);
    assert.deepEqual((await readdir(f('receipts'))).sort(), ['0.receipt', '1.receipt', '2.receipt']);
    const c = await run(['receipts', 'check', '--policy', f('policy.txt'), '--url', server.url, '--receipt-key', events.receiptVerifierKey!,
      ...['0', '1', '2'].map((i) => f(`receipts/${i}.receipt`))]);
    assert.equal(c.code, 0, c.err + c.out);
    assert.equal(c.out.match(/: kept: event \d/g)?.length, 3, c.out);
    // A receipt checked with the checkpoint key instead of the receipt key is refused.
    const wrong = await run(['receipts', 'check', '--policy', f('policy.txt'), '--url', server.url, '--receipt-key', node.verifierKey, f('receipts/0.receipt')]);
    assert.equal(wrong.code, EXIT_FAIL);
    assert.match(wrong.out, /invalid receipt \(wrong-key\)/);
  });

  test('a batch with an invalid line is not sent; the line is named by number and path, never by value', async () => {
    const before = node.entries.length;
    await writeFile(f('bad.jsonl'), [logon(10), logon(11), logon(12), logon(13, 'secret-host-zelda'), logon(14)].join('\n') + '\n');
    const r = await run(['events', 'submit', '--url', server.url, '--token', tok.writer!, '--batch', '2', '--linger', '60000', f('bad.jsonl')]);
    assert.equal(r.code, EXIT_FAIL);
    assert.equal(r.out.trim().split('\n').length, 2, 'the first batch (lines 1–2) was logged');
    assert.match(r.err, /line 4: \$\.src_endpoint\.ip: not an IPv4 or IPv6 address \(bad-ip\)/);
    assert.match(r.err, /nothing from line 3 onwards was sent/);
    assert.doesNotMatch(r.err, /secret-host|zelda/);
    assert.equal(node.entries.length, before + 2);
  });

  test('--source-seq: a run that failed after the log stored a batch, rerun, logs each event exactly once', async () => {
    const lines = Array.from({ length: 6 }, (_, i) => logon(100 + i));
    await writeFile(f('seq.jsonl'), lines.join('\n') + '\n');
    // A new source, so its numbers start at 0.
    const token = await createToken(f('tokens.json'), 'k8s-audit');
    const auth = await loadTokens(f('tokens.json'));
    const srv = await startLogServer({ node, events, listen: { host: '127.0.0.1', port: 0 }, tokens: auth });
    try {
      const before = node.entries.length;
      events.failOn = events.submits + 2; // the second batch is stored, but its answer is lost
      const first = await run(['events', 'submit', '--url', srv.url, '--token', token, '--batch', '2', '--linger', '60000', '--source-seq', '0', f('seq.jsonl')]);
      assert.equal(first.code, EXIT_FAIL);
      assert.match(first.err, /lines 3 onwards were not confirmed as logged; rerun with the same input and --source-seq 0/);
      const printed = first.out.trim().split('\n');
      assert.equal(printed.length, 2);
      assert.equal(node.entries.length, before + 4, 'the log took two batches');

      const again = await run(['events', 'submit', '--url', srv.url, '--token', token, '--batch', '2', '--linger', '60000', '--source-seq', '0', '--json', f('seq.jsonl')]);
      assert.equal(again.code, 0, again.err);
      const rows = again.out.trim().split('\n').map((l) => JSON.parse(l) as { index: string; seq: string; duplicate: boolean; line: number });
      assert.deepEqual(rows.map((r) => r.seq), ['0', '1', '2', '3', '4', '5']);
      assert.deepEqual(rows.map((r) => r.duplicate), [true, true, true, true, false, false]);
      assert.deepEqual(rows.slice(0, 2).map((r) => r.index), printed, 'resends answer their first index');
      assert.equal(node.entries.length, before + 6, 'each event once');
      assert.equal(new Set(rows.map((r) => r.index)).size, 6);
      const src = await run(['events', 'sources', '--url', srv.url, '--token', tok.reader!]);
      assert.match(src.out, /^k8s-audit next-seq 6 last-index \d+$/m);
    } finally {
      await srv.close();
    }
  });

  test('get, prove, verify --event (with an exit code per failed link), erase', async () => {
    await writeFile(f('one.jsonl'), logon(500) + '\n');
    const sub = await run(['events', 'submit', '--url', server.url, '--token', tok.writer!, f('one.jsonl')]);
    assert.equal(sub.code, 0, sub.err);
    const index = sub.out.trim();
    const got = await run(['events', 'get', '--url', server.url, '--token', tok.reader!, '--index', index]);
    assert.equal(got.code, 0, got.err);
    assert.match(got.out, /"user":\{"name":"zelda-500"\}/);
    const denied = await run(['events', 'get', '--url', server.url, '--token', tok.writer!, '--index', index]);
    assert.equal(denied.code, EXIT_FAIL);
    assert.match(denied.err, /HTTP 403, forbidden/);

    const p = await run(['events', 'prove', '--url', server.url, '--token', tok.reader!, '--index', index, '--out', f('e.event-proof')]);
    assert.equal(p.code, 0, p.err);
    const ok = await run(['verify', '--policy', f('policy.txt'), '--event', f('e.event-proof')]);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, new RegExp(`verified: event ${index} is in`));

    const proof = await readFile(f('e.event-proof'), 'utf8');
    const tamper = async (name: string, text: string, code: number) => {
      await writeFile(f(name), text);
      const r = await run(['verify', '--policy', f('policy.txt'), '--event', f(name)]);
      assert.equal(r.code, code, `${name}: ${r.err}`);
    };
    await tamper('salt.event-proof', proof.replace(/^salt (.)/m, (_m, c: string) => `salt ${c === 'A' ? 'B' : 'A'}`), EVENT_PROOF_EXIT_CODES['commitment-mismatch']!);
    await tamper('event.event-proof', proof.replace('zelda-500', 'zelda-501'), EVENT_PROOF_EXIT_CODES['commitment-mismatch']!);
    await tamper('spaced.event-proof', proof.replace('"user":', '"user": '), EVENT_PROOF_EXIT_CODES['event-not-canonical']!);
    await tamper('head.event-proof', proof.replace('cairn.dev/event-proof/v1', 'cairn.dev/event-proof/v2'), EVENT_PROOF_EXIT_CODES['malformed']!);
    await tamper('index.event-proof', proof.replace(/^index \d+$/m, `index ${Number(index) + 1}`), EXIT_CODES['inclusion-failed']);
    await writeFile(f('other-policy.txt'), `log ${verifierKeyFromSigner(generateSignerKey('example.com/other-log'))}\nquorum none\n`);
    const other = await run(['verify', '--policy', f('other-policy.txt'), '--event', f('e.event-proof')]);
    assert.equal(other.code, EXIT_CODES['unknown-log'], other.err);

    const er = await run(['events', 'erase', '--url', server.url, '--token', tok.admin!, '--reason', 'subject request', index]);
    assert.equal(er.code, 0, er.err);
    const rec = /recorded at index (\d+)/.exec(er.out)?.[1];
    assert.ok(rec !== undefined, er.out);
    const gone = await run(['events', 'get', '--url', server.url, '--token', tok.reader!, '--index', index]);
    assert.match(gone.out, new RegExp(`^erased: event ${index} .* by the record at index ${rec}, .* by dpo: subject request$`, 'm'));
    assert.doesNotMatch(gone.out, /zelda/);
    const noProof = await run(['events', 'prove', '--url', server.url, '--token', tok.reader!, '--index', index]);
    assert.equal(noProof.code, EXIT_FAIL);
    assert.match(noProof.err, /HTTP 410, erased/);
    // The leaf's own bundle still verifies.
    const leaf = Buffer.from(JSON.parse((await run(['events', 'get', '--url', server.url, '--token', tok.reader!, '--index', index, '--json'])).out).leaf, 'base64');
    await writeFile(f('leaf'), leaf);
    const b = await run(['prove', '--url', server.url, '--index', index, '--out', f('leaf.tlog-proof')]);
    assert.equal(b.code, 0, b.err);
    const v = await run(['verify', '--policy', f('policy.txt'), '--bundle', f('leaf.tlog-proof'), '--entry-file', f('leaf')]);
    assert.equal(v.code, 0, v.err);
  });

  test('log tokens add --role; bad roles and the reserved name are refused', async () => {
    const r = await run(['log', 'tokens', 'add', '--tokens', f('t2.json'), '--source', 'siem', '--role', 'reader']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /reader token for source siem/);
    assert.equal(JSON.parse(await readFile(f('t2.json'), 'utf8')).tokens[0].role, 'reader');
    const bad = await run(['log', 'tokens', 'add', '--tokens', f('t2.json'), '--source', 'x', '--role', 'root']);
    assert.equal(bad.code, EXIT_USAGE);
    assert.match(bad.err, /--role must be one of writer, reader, admin/);
    const reserved = await run(['log', 'tokens', 'add', '--tokens', f('t2.json'), '--source', 'cairn']);
    assert.equal(reserved.code, EXIT_FAIL);
    assert.match(reserved.err, /reserved/);
  });

  test('receipts check: a promise kept late is broken, with the receipt and the checkpoint as evidence', async () => {
    // A log whose receipts promised inclusion by a deadline before its checkpoints are signed.
    const late = new FakeLog();
    const store = new FakeEventStore(late, { deadline: 1_600_000_000n });
    const srv = await startLogServer({ node: late, events: store, listen: { host: '127.0.0.1', port: 0 }, tokens: await loadTokens(f('tokens.json')) });
    try {
      await writeFile(f('late.jsonl'), logon(900) + '\n');
      const s = await run(['events', 'submit', '--url', srv.url, '--token', tok.writer!, '--receipts', f('late-receipts'), f('late.jsonl')]);
      assert.equal(s.code, 0, s.err);
      await writeFile(f('late-policy.txt'), `log ${late.verifierKey}\nquorum none\n`);
      const c = await run(['receipts', 'check', '--policy', f('late-policy.txt'), '--url', srv.url, '--receipt-key', store.receiptVerifierKey!, f('late-receipts/0.receipt')]);
      assert.equal(c.code, EXIT_FAIL, c.out + c.err);
      assert.match(c.out, /BROKEN \(included-late\): event 0 .*deadline 1600000000/);
      assert.match(c.out, /^evidence: the receipt\n {2}cairn\.dev\/receipt\/v1\n/m);
      assert.match(c.out, /^evidence: the checkpoint\n {2}example\.com\/fake-log\n/m);
      assert.match(c.err, /1 of 1 receipts broken/);
      const json = await run(['receipts', 'check', '--json', '--policy', f('late-policy.txt'), '--url', srv.url, '--receipt-key', store.receiptVerifierKey!, f('late-receipts/0.receipt')]);
      assert.deepEqual([JSON.parse(json.out).status, JSON.parse(json.out).reason], ['broken', 'included-late']);
    } finally {
      await srv.close();
    }
  });
});
