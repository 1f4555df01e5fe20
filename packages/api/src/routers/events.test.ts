import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { checkReceiptPromise, openReceipt, parseEvent, verifyEventProof } from '@cairn/events';
import { parsePolicy, parseProofBundle, parseVerifierKey, utf8Encode } from '@cairn/formats';
import { leafHash, verifyInclusion } from '@cairn/merkle';
import { createApiCaller } from '../router.js';
import { TokenAuthenticator, type TokenRole } from '../auth.js';
import { ERROR_TABLE, errorCodeOf, httpStatusOf } from '../errors.js';
import { FakeEventStore, FakeLog } from '../testing/fake-log.js';
import { MAX_SUBMIT_EVENTS } from './events.js';
import { rejectsWith } from '../testing/rejects-with.js';

const sha256hex = (s: string) => createHash('sha256').update(s).digest('hex');
const TOKENS: Record<TokenRole, string> = { writer: 'cairn_writer-token', reader: 'cairn_reader-token', admin: 'cairn_admin-token' };
const NAMES: Record<TokenRole, string> = { writer: 'bastion', reader: 'auditor', admin: 'dpo' };

/** A logon with personal data in it: the user name and the IP must never show in an error. */
function logon(i: number, over: Record<string, unknown> = {}): string {
  return JSON.stringify({
    class_uid: 3002, category_uid: 3, activity_id: 1, type_uid: 300201, severity_id: 1, status_id: 1,
    time: 1767225600000 + i, metadata: { version: '1.3.0', product: { name: 'sshd' } },
    user: { name: `alice-${i}` }, src_endpoint: { ip: '192.0.2.77' }, ...over,
  });
}

function setup(opts: { role?: TokenRole | 'none'; perMinute?: number; receiptKey?: boolean; noEvents?: boolean } = {}) {
  const node = new FakeLog();
  const events = new FakeEventStore(node, { receiptKey: opts.receiptKey ?? true });
  const tokens = new TokenAuthenticator({
    version: 1,
    tokens: (['writer', 'reader', 'admin'] as const).map((role) => ({
      source: NAMES[role], sha256: sha256hex(TOKENS[role]), quota: { entriesPerMinute: opts.perMinute ?? 100_000 },
      ...(role === 'writer' ? {} : { role }),
    })),
  }, { clock: () => 1_000_000 });
  const as = (role: TokenRole | 'none') => createApiCaller({
    node, tokens, ...(opts.noEvents ? {} : { events }),
    authorization: role === 'none' ? undefined : `Bearer ${TOKENS[role]}`,
  });
  return { node, events, tokens, writer: as('writer'), reader: as('reader'), admin: as('admin'), anon: as('none') };
}

const cairnCode = (e: TRPCError): string | undefined => errorCodeOf(e.cause);

test('submit: events become leaves with contiguous sequence numbers and verifiable receipts', async () => {
  const { writer, events, node } = setup();
  const r = await writer.events.submit({ events: [logon(0), logon(1), logon(2)] });
  assert.deepEqual(r.indices, ['0', '1', '2']);
  assert.deepEqual(r.seqs, ['0', '1', '2']);
  assert.deepEqual(r.duplicate, [false, false, false]);
  assert.equal(r.receipts?.length, 3);
  const { vkey } = await setup().anon.events.receiptKey();
  assert.equal(vkey, events.receiptVerifierKey);
  r.receipts!.forEach((note, k) => {
    const opened = openReceipt(note, parseVerifierKey(vkey));
    assert.equal(opened.receipt.index, BigInt(k));
    assert.equal(opened.receipt.source, 'bastion');
    assert.equal(Buffer.from(opened.receipt.leafHash).toString('base64'), r.leafHashes[k]);
    assert.equal(checkReceiptPromise(opened, []).status, 'pending');
  });
  // The public leaf carries no personal data.
  const leaves = node.entries.map((e) => Buffer.from(e).toString('utf8')).join('\n');
  assert.doesNotMatch(leaves, /alice|192\.0\.2/);
  // receipts: false asks for none.
  const r2 = await writer.events.submit({ events: [logon(3)], receipts: false });
  assert.equal(r2.receipts, undefined);
});

test('roles: writers submit, readers read, admins erase; anything else is 403 forbidden', async () => {
  const { writer, reader, admin, anon } = setup();
  await writer.events.submit({ events: [logon(0)] });
  for (const [caller, role] of [[reader, 'reader'], [admin, 'admin']] as const) {
    const e = await rejectsWith(caller.events.submit({ events: [logon(1)] }), 'FORBIDDEN', new RegExp(`needs a writer token.*${role} token`));
    assert.equal(cairnCode(e), 'forbidden');
    await rejectsWith(caller.log.submit({ entries: ['aGk='] }), 'FORBIDDEN');
  }
  await rejectsWith(writer.events.get({ index: '0' }), 'FORBIDDEN', /reader or admin/);
  await rejectsWith(writer.events.prove({ index: '0' }), 'FORBIDDEN');
  await rejectsWith(writer.events.sources(), 'FORBIDDEN');
  await rejectsWith(writer.events.erase({ indices: ['0'], reason: 'x' }), 'FORBIDDEN', /needs a admin token|admin/);
  await rejectsWith(reader.events.erase({ indices: ['0'], reason: 'x' }), 'FORBIDDEN', /reader token/);
  await rejectsWith(anon.events.get({ index: '0' }), 'UNAUTHORIZED');
  assert.equal(ERROR_TABLE.forbidden.status, 403);
  // Readers and admins read.
  assert.equal((await reader.events.get({ index: '0' })).source, 'bastion');
  assert.equal((await admin.events.sources())[0]!.source, 'bastion');
  // The receipt key is public.
  assert.match((await anon.events.receiptKey()).vkey, /\/receipt\+/);
});

test('an invalid event refuses the whole batch, naming position and JSON path, never a value; quota given back', async () => {
  const { writer, events, tokens } = setup({ perMinute: 10 });
  const cases: [string, RegExp][] = [
    [logon(1, { src_endpoint: { ip: 'alice-secret-host' } }), /^event 1: \$\.src_endpoint\.ip: not an IPv4 or IPv6 address \(bad-ip\)$/],
    [logon(1, { user: { name: 12345678 } }), /^event 1: \$\.user\.name: expected string \(wrong-type\)$/],
    [logon(1, { metadata: { version: 'secret-9.9', product: { name: 'x' } } }), /^event 1: \$\.metadata\.version: .*\(bad-version\)$/],
    [logon(1, { time: 1767225600 }), /^event 1: \$\.time: .*\(time-not-ms\)$/],
    ['{"a":1,"a":2}', /^event 1: \$.*\(duplicate-key\)$/],
    ['{"x": 1.0}', /^event 1: \$\.x: .*\(non-canonical-number\)$/],
    ['not json', /^event 1: \$: .*\(bad-json\)$/],
    ['"\ud800"', /^event 1: \$: not well-formed Unicode/],
  ];
  for (const [bad, re] of cases) {
    const e = await rejectsWith(writer.events.submit({ events: [logon(0), bad, logon(2)] }), 'BAD_REQUEST', re);
    assert.equal(cairnCode(e), 'invalid-event');
    assert.doesNotMatch(e.message, /alice|192\.0\.2|secret|12345678|1767225600/);
  }
  assert.deepEqual(events.calls.filter((c) => c === 'submitEvents'), [], 'nothing reached the store');
  // Every refused batch gave its quota back: a full-burst batch still passes.
  tokens.chargeQuota('bastion', 0);
  const ok = await writer.events.submit({ events: Array.from({ length: 10 }, (_, i) => logon(i)) });
  assert.equal(ok.indices.length, 10);
});

test('source sequence numbers: a resend answers the stored result; regressions, gaps and key conflicts are 409', async () => {
  const { writer, reader, node } = setup();
  const first = await writer.events.submit({ events: [logon(0), logon(1)], seqs: ['0', '1'] });
  const again = await writer.events.submit({ events: [logon(0), logon(1), logon(2)], seqs: ['0', '1', '2'] });
  assert.deepEqual(again.indices.slice(0, 2), first.indices);
  assert.deepEqual(again.duplicate, [true, true, false]);
  assert.deepEqual(again.receipts!.slice(0, 2), first.receipts, 'a resend gets the byte-identical receipt');
  assert.equal(node.entries.length, 3, 'no new leaf for a resend');
  const sizeBefore = node.entries.length;
  let e = await rejectsWith(writer.events.submit({ events: [logon(3), logon(99)], seqs: ['3', '1'] }), 'CONFLICT', /next is 3|taken/);
  assert.equal(cairnCode(e), 'seq-regression');
  e = await rejectsWith(writer.events.submit({ events: [logon(3)], seqs: ['5'] }), 'CONFLICT', /next is 3/);
  assert.equal(cairnCode(e), 'seq-gap');
  assert.equal(node.entries.length, sizeBefore, 'a refused batch stores nothing, not even its valid events');
  await writer.events.submit({ events: [logon(3)], idempotencyKeys: ['req-3'] });
  const dup = await writer.events.submit({ events: [logon(3)], idempotencyKeys: ['req-3'] });
  assert.deepEqual(dup.duplicate, [true]);
  e = await rejectsWith(writer.events.submit({ events: [logon(4)], idempotencyKeys: ['req-3'] }), 'CONFLICT');
  assert.equal(cairnCode(e), 'idempotency-conflict');
  assert.equal(ERROR_TABLE['seq-gap'].status, 409);
  const sources = await reader.events.sources();
  assert.deepEqual(sources, [{ source: 'bastion', nextSeq: '4', lastIndex: '3' }]);
});

test('get, prove and erase: the proof verifies offline; after erasure get says so, prove is 410 and the leaf still proves', async () => {
  const { writer, reader, admin, node } = setup();
  await writer.log.submit({ entries: ['cmF3'] }); // index 0: a raw entry
  const r = await writer.events.submit({ events: [logon(0), logon(1)] });
  assert.deepEqual(r.indices, ['1', '2']);

  const got = await reader.events.get({ index: '1' });
  assert.equal(got.event, Buffer.from(parseEvent(utf8Encode(logon(0))).canonical).toString('utf8'));
  assert.equal(got.seq, '0');
  assert.equal(Buffer.from(got.salt!, 'base64').length, 32);
  await rejectsWith(reader.events.get({ index: '0' }), 'NOT_FOUND', /raw entry/);
  await rejectsWith(reader.events.get({ index: '99' }), 'NOT_FOUND', /not in the tree/);

  const policy = parsePolicy(`log ${node.verifierKey}\nquorum none\n`);
  const { proof } = await reader.events.prove({ index: '2' });
  const v = verifyEventProof(utf8Encode(proof), { policy });
  assert.equal(v.index, 2n);
  assert.equal(v.event.event['user'] !== undefined, true);
  await rejectsWith(reader.events.prove({ index: '0' }), 'NOT_FOUND', /raw entry/);

  const er = await admin.events.erase({ indices: ['1', '1'], reason: 'GDPR art. 17 request 42' });
  assert.deepEqual(er.erased, ['1']);
  assert.equal(er.record, '3');
  const after = await reader.events.get({ index: '1' });
  assert.equal(after.event, undefined);
  assert.equal(after.salt, undefined);
  assert.deepEqual(after.erased, { record: '3', time: after.erased!.time, reason: 'GDPR art. 17 request 42', by: 'dpo' });
  const gone = await rejectsWith(reader.events.prove({ index: '1' }), 'NOT_FOUND', /erased by the record at index 3/);
  assert.equal(cairnCode(gone), 'erased');
  assert.equal(httpStatusOf(gone.cause), 410);
  const again = await admin.events.erase({ indices: ['1'], reason: 'again' });
  assert.deepEqual(again, { erased: [], alreadyErased: ['1'], record: null });
  // The leaf's own tlog-proof bundle still verifies against the (unchanged) tree.
  const b = await reader.log.proofBundle({ index: '1' });
  const bundle = parseProofBundle(b.bundle);
  const cp = await reader.log.checkpoint();
  assert.equal(b.treeSize, cp.size);
  verifyInclusion(1n, BigInt(cp.size), leafHash(Buffer.from(got.leaf, 'base64')), bundle.proof, Buffer.from(cp.rootHash, 'base64'));
  // The other event is untouched and still proves.
  verifyEventProof(utf8Encode((await reader.events.prove({ index: '2' })).proof), { policy });
  await rejectsWith(admin.events.erase({ indices: ['0'], reason: 'raw' }), 'NOT_FOUND');
});

test('hostile input: bounds on every field, refused before the store is called', async () => {
  const { writer, admin, reader, events } = setup();
  const huge = logon(0, { message: 'x'.repeat(70_000) });
  await rejectsWith(writer.events.submit({ events: [huge] }), 'BAD_REQUEST', /at most 65536 bytes/);
  await rejectsWith(writer.events.submit({ events: Array.from({ length: MAX_SUBMIT_EVENTS + 1 }, () => '{}') }), 'BAD_REQUEST', /at most 1000/);
  await rejectsWith(writer.events.submit({ events: [] }), 'BAD_REQUEST', /at least one/);
  await rejectsWith(writer.events.submit({ events: [logon(0)], seqs: ['0', '1'] }), 'BAD_REQUEST', /seqs: must have one value per event/);
  await rejectsWith(writer.events.submit({ events: [logon(0)], seqs: ['01'] }), 'BAD_REQUEST', /canonical decimal/);
  await rejectsWith(writer.events.submit({ events: [logon(0)], seqs: ['9223372036854775808'] }), 'BAD_REQUEST');
  await rejectsWith(writer.events.submit({ events: [logon(0)], idempotencyKeys: ['é'] }), 'BAD_REQUEST', /printable ASCII/);
  await rejectsWith(writer.events.submit({ events: [logon(0)], idempotencyKeys: ['k'.repeat(129)] }), 'BAD_REQUEST');
  await rejectsWith(writer.events.submit({ events: [logon(0)], extra: 1 } as never), 'BAD_REQUEST');
  await rejectsWith(writer.events.submit({ events: [7] } as never), 'BAD_REQUEST');
  await rejectsWith(admin.events.erase({ indices: ['0'], reason: 'a\nb' }), 'BAD_REQUEST', /control/);
  await rejectsWith(admin.events.erase({ indices: ['0'], reason: '' }), 'BAD_REQUEST');
  await rejectsWith(admin.events.erase({ indices: Array.from({ length: 1001 }, (_, i) => String(i)), reason: 'r' }), 'BAD_REQUEST');
  await rejectsWith(reader.events.get({ index: '-1' }), 'BAD_REQUEST');
  await rejectsWith(reader.events.prove({ index: '1e3' }), 'BAD_REQUEST');
  assert.deepEqual(events.calls, []);
});

test('concurrent submissions from one source get distinct indices and contiguous sequence numbers', async () => {
  const { writer, reader } = setup();
  const rs = await Promise.all(Array.from({ length: 20 }, (_, k) => writer.events.submit({ events: [logon(2 * k), logon(2 * k + 1)] })));
  const indices = rs.flatMap((r) => r.indices);
  const seqs = rs.flatMap((r) => r.seqs).map(Number).sort((a, b) => a - b);
  assert.equal(new Set(indices).size, 40);
  assert.deepEqual(seqs, Array.from({ length: 40 }, (_, i) => i));
  for (const r of rs) assert.equal(Number(r.seqs[1]) - Number(r.seqs[0]), 1, 'a batch keeps its order');
  assert.equal((await reader.events.sources())[0]!.nextSeq, '40');
});

test('a log without an event store or without a receipt key says so', async () => {
  const a = setup({ noEvents: true });
  await rejectsWith(a.writer.events.submit({ events: [logon(0)] }), 'NOT_FOUND', /serves no events/);
  const b = setup({ receiptKey: false });
  const e = await rejectsWith(b.anon.events.receiptKey(), 'SERVICE_UNAVAILABLE', /no receipt key/);
  assert.equal(cairnCode(e), 'no-receipt-key');
});
