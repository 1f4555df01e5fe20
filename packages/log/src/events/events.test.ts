import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildLeaf, commitEvent, openReceipt, parseEvent, parseLeaf, receiptKeyName } from '@cairn/events';
import { formatSignerKey, parseVerifierKey } from '@cairn/formats';
import { nodeEd25519 } from '@cairn/formats/node';
import { leafHash, verifyInclusion } from '@cairn/merkle';
import { LogNode, type LogNodeOptions } from '../node.js';
import { memoryStorage, type MemoryStorage } from '../storage/memory.js';
import { silentLogger } from '../logger.js';
import type { LogError } from '../errors.js';
import { authEvent, backend, enc, ORIGIN, T0, testKey } from '../test-helpers.js';
import type { EventInput } from './types.js';

const RECEIPT_KEY = formatSignerKey(receiptKeyName(ORIGIN), new Uint8Array(32).fill(9));
const ev = (user: string, o: Omit<EventInput, 'event'> = {}): EventInput => ({ event: authEvent(user), ...o });

/** A counter-based random source: each 32-byte salt it fills is distinct and reproducible. */
function counterRandom() {
  let n = 0;
  return (b: Uint8Array) => {
    b.fill(0);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let off = 0; off + 32 <= b.length; off += 32) dv.setUint32(off, ++n);
    return b;
  };
}

async function started(o: Partial<LogNodeOptions> & { defaultRandom?: boolean } = {}, storage: MemoryStorage = memoryStorage()) {
  let now = T0;
  const { defaultRandom, ...rest } = o;
  const node = await LogNode.open({
    storage, signerKey: testKey(), logger: silentLogger, checkpointIntervalMs: 0, receiptSignerKey: RECEIPT_KEY,
    clock: () => now, ...(defaultRandom === true ? {} : { random: counterRandom() }), ...rest,
  });
  await node.start();
  return { node, storage, setNow: (t: number) => (now = t) };
}

test('events get contiguous per-source seqs, public leaves and stored bodies', async () => {
  const { node } = await started();
  try {
    const [a, b, c] = await Promise.all([
      node.submitEvents('bastion', [ev('alice'), ev('bob')]),
      node.submitEvents('k8s', [ev('carol')]),
      node.submitEvents('bastion', [ev('dave')]),
    ]);
    assert.deepEqual(a.seqs, [0n, 1n]);
    assert.deepEqual(b.seqs, [0n]);
    assert.deepEqual(c.seqs, [2n]);
    assert.deepEqual([...a.duplicate, ...b.duplicate, ...c.duplicate], [false, false, false, false]);
    const r = await node.submitEvents('bastion', [ev('erin')], { wait: 'checkpoint' });
    assert.deepEqual(r.seqs, [3n]);
    const cp = r.checkpoint!;
    const all = [...a.indices, ...b.indices, ...c.indices, ...r.indices];
    assert.deepEqual([...all].sort((x, y) => (x < y ? -1 : 1)), [0n, 1n, 2n, 3n, 4n]);
    verifyInclusion(r.indices[0]!, cp.size, r.leafHashes[0]!, r.proofs![0]!, cp.rootHash, backend);

    const users = ['alice', 'bob', 'carol', 'dave', 'erin'];
    const sources = ['bastion', 'bastion', 'k8s', 'bastion', 'bastion'];
    const seqs = [0n, 1n, 0n, 2n, 3n];
    const results = [a, a, b, c, r];
    const pos = [0, 1, 0, 0, 0];
    for (let k = 0; k < users.length; k++) {
      const index = results[k]!.indices[pos[k]!]!;
      const got = (await node.getEvent(index))!;
      assert.equal(got.source, sources[k]);
      assert.equal(got.seq, seqs[k]);
      assert.deepEqual(got.body!.canonical, authEvent(users[k]!).canonical);
      const leaf = parseLeaf(got.leaf);
      assert.equal(leaf.source, sources[k]);
      assert.equal(leaf.seq, seqs[k]);
      assert.equal(leaf.classUid, 3002n);
      assert.deepEqual(leaf.commitment, commitEvent(got.body!.salt, got.body!.canonical));
      assert.deepEqual(leafHash(got.leaf, backend), results[k]!.leafHashes[pos[k]!]);
      assert.deepEqual(await node.getEntry(index), got.leaf, 'the leaf is the ordinary entry');
      assert.equal(new TextDecoder().decode(got.leaf).includes(users[k]!), false, 'no personal data in the leaf');
    }
    const salts = await Promise.all(all.map(async (i) => Buffer.from((await node.getEvent(i))!.body!.salt).toString('hex')));
    assert.equal(new Set(salts).size, salts.length, 'a fresh salt per event');
    const injected = new Uint8Array(32);
    injected[3] = 1; // the first value of the injected random source
    assert.deepEqual((await node.getEvent(a.indices[0]!))!.body!.salt, injected, 'salts come from the injected source');
    assert.deepEqual(await node.eventSources(), [
      { source: 'bastion', nextSeq: 4n, lastIndex: r.indices[0] },
      { source: 'k8s', nextSeq: 1n, lastIndex: b.indices[0] },
    ]);
    assert.equal(await node.getEvent(cp.size), undefined, 'beyond the signed tree');
  } finally {
    await node.stop();
  }
});

test('raw entries and events share the tree; a raw index is not an event', async () => {
  const { node } = await started();
  try {
    const raw = await node.submit([enc('raw entry')]);
    const e = await node.submitEvents('bastion', [ev('alice')], { wait: 'checkpoint' });
    assert.equal(e.indices[0], raw.indices[0]! + 1n);
    assert.equal(await node.getEvent(raw.indices[0]!), undefined);
    await assert.rejects(node.eraseEvents([raw.indices[0]!], { reason: 'test', by: 'admin' }), { code: 'not-an-event' });
  } finally {
    await node.stop();
  }
});

test('a raw entry shaped as an event leaf is refused, whatever its source or version; nothing is stored', async () => {
  const { node } = await started();
  try {
    const e = await node.submitEvents('bastion', [ev('alice')], { wait: 'checkpoint' });
    // A valid leaf record in the name of the log itself (as erasure records are) and of a source
    // that has events: as a raw entry it would be an event with a valid event proof.
    const forgedCairn = buildLeaf({ source: 'cairn', seq: 5n, event: authEvent('mallory'), salt: new Uint8Array(32).fill(7) }).bytes;
    const forgedBastion = buildLeaf({ source: 'bastion', seq: 1n, event: authEvent('mallory'), salt: new Uint8Array(32).fill(8) }).bytes;
    assert.doesNotThrow(() => parseLeaf(forgedCairn), 'the forged entry is a valid leaf');
    for (const bad of [forgedCairn, forgedBastion, enc('cairn.dev/event-leaf/v2\nanything'), enc('cairn.dev/event-leaf/')]) {
      await assert.rejects(node.submit([enc('innocent'), bad]), (err: LogError) => {
        assert.equal(err.code, 'reserved-entry');
        assert.deepEqual(err.details, { entry: 1 });
        return true;
      });
    }
    assert.equal(node.status().sequencedSize, e.indices[0]! + 1n, 'nothing of the refused calls was sequenced');
    const next = await node.submitEvents('bastion', [ev('bob')]);
    assert.deepEqual(next.seqs, [1n], 'the forged seq 1 of bastion took nothing');
    // Near misses are ordinary raw entries.
    await node.submit([enc('cairn.dev/event-lea'), enc(' cairn.dev/event-leaf/v1\n'), enc('cairn.dev/event-leaf'), enc('CAIRN.DEV/EVENT-LEAF/v1\n')]);
  } finally {
    await node.stop();
  }
});

test('explicit seqs: next accepted, resend answered from the store, regression and gap refused, batches all or nothing', async () => {
  const { node } = await started();
  try {
    const first = await node.submitEvents('bastion', [ev('alice', { seq: 0n }), ev('bob', { seq: 1n })], { receipts: true });
    assert.deepEqual(first.seqs, [0n, 1n]);
    const again = await node.submitEvents('bastion', [ev('alice', { seq: 0n }), ev('bob', { seq: 1n }), ev('carol', { seq: 2n })], { receipts: true });
    assert.deepEqual(again.duplicate, [true, true, false]);
    assert.deepEqual(again.indices.slice(0, 2), first.indices);
    assert.deepEqual(again.leafHashes.slice(0, 2), first.leafHashes);
    assert.deepEqual(again.receipts!.slice(0, 2), first.receipts, 'byte-identical receipts');
    assert.equal(again.indices[2], first.indices[1]! + 1n);

    const size = node.status().sequencedSize;
    await assert.rejects(node.submitEvents('bastion', [ev('dave', { seq: 3n }), ev('mallory', { seq: 1n })]), (e: any) => {
      assert.equal(e.code, 'seq-regression');
      assert.deepEqual(e.details, { event: 1, source: 'bastion', expected: 4n, index: first.indices[1] });
      assert.doesNotMatch(e.message, /mallory|bob/);
      return true;
    });
    await assert.rejects(node.submitEvents('bastion', [ev('dave', { seq: 3n }), ev('eve', { seq: 9n })]), (e: any) => {
      assert.equal(e.code, 'seq-gap');
      assert.deepEqual(e.details, { event: 1, source: 'bastion', expected: 4n });
      return true;
    });
    assert.equal(node.status().sequencedSize, size, 'refused batches stored nothing');
    const next = await node.submitEvents('bastion', [ev('dave', { seq: 3n }), ev('frank')]);
    assert.deepEqual(next.seqs, [3n, 4n], 'the refused batches used no seq');
    // Inside one batch, the rules apply in order.
    const inBatch = await node.submitEvents('bastion', [ev('gina', { seq: 5n }), ev('gina', { seq: 5n })]);
    assert.deepEqual(inBatch.duplicate, [false, true]);
    assert.equal(inBatch.indices[0], inBatch.indices[1]);
  } finally {
    await node.stop();
  }
});

test('idempotency keys: a resend gets the stored answer, other bytes are a conflict, also within one group commit', async () => {
  const { node, storage } = await started();
  try {
    const a = await node.submitEvents('bastion', [ev('alice', { idempotencyKey: 'req 1' })]);
    const b = await node.submitEvents('bastion', [ev('alice', { idempotencyKey: 'req 1' })]);
    assert.deepEqual(b, { ...a, duplicate: [true] });
    await assert.rejects(node.submitEvents('bastion', [ev('bob', { idempotencyKey: 'req 1' })]), (e: any) => {
      assert.equal(e.code, 'idempotency-conflict');
      assert.equal(e.details.event, 0);
      assert.equal(e.details.index, a.indices[0]);
      return true;
    });
    await assert.rejects(node.submitEvents('bastion', [ev('alice', { idempotencyKey: 'req 1', seq: 5n })]), { code: 'idempotency-conflict' });
    // The same key in another source is another key.
    const other = await node.submitEvents('k8s', [ev('bob', { idempotencyKey: 'req 1' })]);
    assert.deepEqual(other.duplicate, [false]);
    // Two batches in one group commit: the second sees the first's key before it is written.
    const release = storage.holdWrites();
    const p1 = node.submitEvents('bastion', [ev('carol', { idempotencyKey: 'req 2' })]);
    const p2 = node.submitEvents('bastion', [ev('carol', { idempotencyKey: 'req 2' }), ev('dave')]);
    const p3 = node.submitEvents('bastion', [ev('erin', { idempotencyKey: 'req 2' })]);
    const p3done = p3.then(() => 'ok', (e) => e.code);
    await new Promise((r) => setTimeout(r, 20));
    release();
    const [r1, r2] = await Promise.all([p1, p2]);
    assert.equal(await p3done, 'idempotency-conflict');
    assert.deepEqual(r2.duplicate, [true, false]);
    assert.equal(r2.indices[0], r1.indices[0]);
    assert.deepEqual(r2.seqs, [r1.seqs[0], r1.seqs[0]! + 1n]);
    await assert.rejects(node.submitEvents('bastion', [ev('x', { idempotencyKey: '' })]), { code: 'invalid-argument' });
    await assert.rejects(node.submitEvents('bastion', [ev('x', { idempotencyKey: 'é' })]), { code: 'invalid-argument' });
    await assert.rejects(node.submitEvents('bastion', [ev('x', { idempotencyKey: 'k'.repeat(129) })]), { code: 'invalid-argument' });
  } finally {
    await node.stop();
  }
});

test('sources: a bad id and the reserved cairn are refused before anything is queued', async () => {
  const { node } = await started();
  try {
    for (const s of ['', 'cairn', '-x', 'a b', 'x'.repeat(65), 'é']) {
      await assert.rejects(node.submitEvents(s, [ev('alice')]), { code: 'invalid-source' }, JSON.stringify(s));
    }
    await assert.rejects(node.submitEvents('ok', [ev('a', { seq: -1n })]), { code: 'invalid-argument' });
    await assert.rejects(node.submitEvents('ok', [{ event: { canonical: new Uint8Array(0), time: 0, classUid: 1 } }]), { code: 'invalid-argument' });
    assert.equal(node.status().sequencedSize, 0n);
  } finally {
    await node.stop();
  }
});

test('receipts: signed by <origin>/receipt, deadline = commit time + mmd, verifiable with receiptVerifierKey', async () => {
  const { node, setNow } = await started({ receiptMmdMs: 30_000 });
  try {
    setNow(T0 + 1234);
    const r = await node.submitEvents('bastion', [ev('alice'), ev('bob')], { receipts: true });
    const vk = parseVerifierKey(node.receiptVerifierKey!);
    assert.equal(vk.name, `${ORIGIN}/receipt`);
    r.receipts!.forEach((note, i) => {
      const { receipt } = openReceipt(note, vk);
      assert.equal(receipt.index, r.indices[i]);
      assert.deepEqual(receipt.leafHash, r.leafHashes[i]);
      assert.equal(receipt.source, 'bastion');
      assert.equal(receipt.seq, r.seqs[i]);
      assert.equal(receipt.deadline, BigInt(Math.floor((T0 + 1234 + 30_000) / 1000)));
    });
    assert.throws(() => openReceipt(r.receipts![0]!, parseVerifierKey(node.verifierKey)), { code: 'wrong-key' });
    // A resend later gets the stored deadline.
    setNow(T0 + 999_999);
    const again = await node.submitEvents('bastion', [ev('alice', { seq: 0n })], { receipts: true });
    assert.equal(again.receipts![0], r.receipts![0]);
  } finally {
    await node.stop();
  }
  const plain = await LogNode.open({ storage: memoryStorage(), signerKey: testKey(), logger: silentLogger });
  await plain.start();
  assert.equal(plain.receiptVerifierKey, undefined);
  await assert.rejects(plain.submitEvents('bastion', [ev('alice')], { receipts: true }), { code: 'no-receipt-key' });
  assert.equal(plain.status().sequencedSize, 0n);
  await plain.stop();
  for (const wrong of [testKey(), formatSignerKey('other/receipt', new Uint8Array(32).fill(3)), 'junk']) {
    await assert.rejects(LogNode.open({ storage: memoryStorage(), signerKey: testKey(), logger: silentLogger, receiptSignerKey: wrong }), { code: 'config' });
  }
});

test('a failed write refuses every batch of the group and uses no seq', async () => {
  const { node, storage } = await started();
  try {
    storage.failNextWrite(new Error('disk on fire'));
    await assert.rejects(node.submitEvents('bastion', [ev('alice'), ev('bob')]), { code: 'storage' });
    const r = await node.submitEvents('bastion', [ev('carol')]);
    assert.deepEqual(r.seqs, [0n]);
    assert.equal(r.indices[0], 0n);
    assert.deepEqual(await node.eventSources(), [{ source: 'bastion', nextSeq: 1n, lastIndex: 0n }]);
  } finally {
    await node.stop();
  }
});

test('parseEvent input works as well as validateEvent', async () => {
  const { node } = await started();
  try {
    const bytes = enc(JSON.stringify({ class_uid: 3002, category_uid: 3, activity_id: 1, type_uid: 300201, severity_id: 1, time: T0, metadata: { version: '1.3.0', product: { name: 'x' } }, user: { name: 'zed' } }));
    const r = await node.submitEvents('x', [{ event: parseEvent(bytes) }], { wait: 'checkpoint' });
    assert.deepEqual((await node.getEvent(r.indices[0]!))!.body!.canonical, parseEvent(bytes).canonical);
  } finally {
    await node.stop();
  }
});

test('erasure: tombstones and an Event Log Activity record in one write; leaves and proofs unchanged', async () => {
  const { node, setNow, storage } = await started();
  try {
    const r = await node.submitEvents('bastion', [ev('alice', { idempotencyKey: 'k1' }), ev('bob'), ev('carol')], { wait: 'checkpoint' });
    const [ia, ib, ic] = r.indices as [bigint, bigint, bigint];
    const before = (await node.getEvent(ia))!;
    setNow(T0 + 5000);
    const e = await node.eraseEvents([ic, ia, ia], { reason: 'GDPR art. 17 request #12', by: 'admin-1' });
    assert.deepEqual(e.erased, [ia, ic]);
    assert.deepEqual(e.alreadyErased, []);
    assert.equal(e.record, ic + 1n);
    const cp = (await node.submitEvents('bastion', [ev('dave')], { wait: 'checkpoint' })).checkpoint!;

    const gone = (await node.getEvent(ia))!;
    assert.equal(gone.body, undefined);
    assert.deepEqual(gone.erased, { record: e.record, time: T0 + 5000, reason: 'GDPR art. 17 request #12', by: 'admin-1' });
    assert.deepEqual(gone.leaf, before.leaf, 'the leaf stays');
    assert.equal(gone.seq, before.seq);
    assert.equal(gone.deadline, before.deadline);
    assert.ok((await node.getEvent(ib))!.body !== undefined, 'others keep their bodies');
    for (const i of [ia, ib, ic]) {
      const proof = await node.inclusionProof(i, cp.size);
      verifyInclusion(i, cp.size, leafHash(await node.getEntry(i), backend), proof, cp.rootHash, backend);
    }

    // The record: an event of the reserved source, a valid OCSF Event Log Activity (Delete).
    const rec = (await node.getEvent(e.record!))!;
    assert.equal(rec.source, 'cairn');
    assert.equal(rec.seq, 0n);
    const body = parseEvent(rec.body!.canonical);
    assert.equal(body.classUid, 1008);
    assert.equal(body.activityId, 2);
    assert.equal(body.time, T0 + 5000);
    const o = body.event as any;
    assert.equal(o.type_uid, 100802);
    assert.equal(o.metadata.product.name, 'Cairn');
    assert.equal(o.status_detail, 'GDPR art. 17 request #12');
    assert.equal(o.actor.user.name, 'admin-1');
    assert.deepEqual(o.unmapped.erased_indices, [String(ia), String(ic)]);
    const text = new TextDecoder().decode(rec.body!.canonical);
    for (const personal of ['alice', 'carol', 'k1']) assert.equal(text.includes(personal), false, `${personal} is not in the record`);
    assert.deepEqual(parseLeaf(rec.leaf).source, 'cairn');
    assert.deepEqual((await node.eventSources()).find((s) => s.source === 'cairn'), { source: 'cairn', nextSeq: 1n, lastIndex: e.record });

    // Again: nothing new recorded.
    const sized = node.status().sequencedSize;
    const again = await node.eraseEvents([ia, ib], { reason: 'again', by: 'admin-2' });
    assert.deepEqual(again.erased, [ib]);
    assert.deepEqual(again.alreadyErased, [ia]);
    assert.equal(node.status().sequencedSize, sized + 1n);
    const none = await node.eraseEvents([ia], { reason: 'again', by: 'admin-2' });
    assert.deepEqual(none, { erased: [], alreadyErased: [ia], record: undefined });
    assert.equal(node.status().sequencedSize, sized + 1n, 'no record when nothing was erased');

    // The reason is stored once, in the record: no tombstone holds it, and erasing the record
    // removes it from the store (getEvent then has no reason or by to show).
    const reasonBytes = new TextEncoder().encode('GDPR art. 17 request #12');
    const holding = async (needle: Uint8Array): Promise<number> => {
      let n = 0;
      for await (const [, v] of storage.range({ gte: new Uint8Array(0), lt: new Uint8Array([0xff]) })) if (Buffer.from(v).indexOf(needle) >= 0) n++;
      return n;
    };
    assert.equal(await holding(reasonBytes), 1, 'the reason is in the record only (and the scan can see it)');
    const recErased = await node.eraseEvents([e.record!], { reason: 'ticket OPS-7', by: 'admin-3' });
    assert.equal(await holding(reasonBytes), 0, 'the reason left the store with the record');
    assert.deepEqual((await node.getEvent(ia))!.erased, { record: e.record, time: T0 + 5000 });
    assert.deepEqual((await node.getEvent(e.record!))!.erased, { record: recErased.record, time: T0 + 5000, reason: 'ticket OPS-7', by: 'admin-3' });

    // A resend of an erased event cannot be compared.
    await assert.rejects(node.submitEvents('bastion', [ev('alice', { idempotencyKey: 'k1' })]), { code: 'erased' });
    await assert.rejects(node.submitEvents('bastion', [ev('carol', { seq: 2n })]), { code: 'erased' });
    // Bad calls.
    await assert.rejects(node.eraseEvents([999n], { reason: 'x', by: 'y' }), { code: 'not-an-event' });
    await assert.rejects(node.eraseEvents([], { reason: 'x', by: 'y' }), { code: 'invalid-argument' });
    await assert.rejects(node.eraseEvents([ib], { reason: '', by: 'y' }), { code: 'invalid-argument' });
    await assert.rejects(node.eraseEvents([ib], { reason: 'a\nb', by: 'y' }), { code: 'invalid-argument' });
    await assert.rejects(node.eraseEvents(Array.from({ length: 1001 }, (_, i) => BigInt(i)), { reason: 'x', by: 'y' }), { code: 'invalid-argument' });
  } finally {
    await node.stop();
  }
});

test('two erasures of one event in the same group commit record it once', async () => {
  const { node, storage } = await started();
  try {
    const r = await node.submitEvents('bastion', [ev('alice'), ev('bob')]);
    const release = storage.holdWrites();
    const p1 = node.eraseEvents([r.indices[0]!], { reason: 'one', by: 'a' });
    const p2 = node.eraseEvents([r.indices[0]!, r.indices[1]!], { reason: 'two', by: 'b' });
    await new Promise((res) => setTimeout(res, 20));
    release();
    const [e1, e2] = await Promise.all([p1, p2]);
    assert.deepEqual(e1.erased, [r.indices[0]]);
    assert.deepEqual(e2.erased, [r.indices[1]]);
    assert.deepEqual(e2.alreadyErased, [r.indices[0]]);
    assert.equal(e2.record, e1.record! + 1n);
    assert.deepEqual((await node.eventSources()).find((s) => s.source === 'cairn')?.nextSeq, 2n);
  } finally {
    await node.stop();
  }
});

test('an aborted batch still queued is dropped and uses no seq', async () => {
  const { node, storage } = await started();
  try {
    const release = storage.holdWrites();
    const first = node.submitEvents('bastion', [ev('alice')]);
    await new Promise((r) => setTimeout(r, 10)); // the writer took the first batch and waits on its write
    const ac = new AbortController();
    const second = node.submitEvents('bastion', [ev('bob')], { signal: ac.signal });
    ac.abort();
    await assert.rejects(second, { code: 'aborted' });
    release();
    assert.deepEqual((await first).seqs, [0n]);
    assert.deepEqual((await node.submitEvents('bastion', [ev('carol')])).seqs, [1n]);
  } finally {
    await node.stop();
  }
});

test('a batch past one draw of salts (2048) still gets a distinct salt per event, with the default random source', async () => {
  const { node } = await started({ defaultRandom: true });
  try {
    const event = authEvent('same');
    const r = await node.submitEvents('bulk', Array.from({ length: 2100 }, () => ({ event })), { wait: 'checkpoint' });
    const salts = new Set<string>();
    for (const i of [0, 1, 2047, 2048, 2049, 2099]) salts.add(Buffer.from((await node.getEvent(r.indices[i]!))!.body!.salt).toString('hex'));
    assert.equal(salts.size, 6);
    assert.equal(new Set(r.leafHashes.map((h) => Buffer.from(h).toString('hex'))).size, 2100, 'identical events, distinct leaves');
  } finally {
    await node.stop();
  }
});

test('receipts are signed with the configured Ed25519 backend (node:crypto unless given)', async () => {
  let signed = 0;
  const counting = {
    ...nodeEd25519,
    name: 'counting',
    signer: (seed: Uint8Array) => {
      const sign = nodeEd25519.signer(seed);
      const isReceiptKey = seed.every((b) => b === 9); // RECEIPT_KEY's seed (the checkpoint key signs too)
      return (msg: Uint8Array) => {
        if (isReceiptKey) signed++;
        return sign(msg);
      };
    },
  };
  const { node } = await started({ ed25519: counting });
  try {
    const before = signed;
    const r = await node.submitEvents('bastion', [ev('alice'), ev('bob')], { receipts: true });
    assert.equal(signed - before, 2, 'one signature per receipt through the given backend');
    openReceipt(r.receipts![0]!, parseVerifierKey(node.receiptVerifierKey!));
  } finally {
    await node.stop();
  }
});

test('eventIndices: a source\'s seq → index lookups over a range, only below the signed tree, bounded', async () => {
  const { node } = await started();
  try {
    await node.submitEvents('bastion', [ev('a'), ev('b')]);
    await node.submitEvents('bastion-2', [ev('c')]); // a source id that extends another must not leak into its range
    const last = await node.submitEvents('bastion', [ev('d')], { wait: 'checkpoint' });
    const all = await node.eventIndices('bastion', 0n, 10n);
    assert.deepEqual(all.map((x) => x.seq), [0n, 1n, 2n]);
    for (const { seq, index } of all) assert.equal((await node.getEvent(index))!.seq, seq);
    assert.equal(all[2]!.index, last.indices[0]);
    assert.deepEqual((await node.eventIndices('bastion', 1n, 1n)).map((x) => x.seq), [1n]);
    assert.deepEqual(await node.eventIndices('bastion', 3n, 3n), []);
    assert.deepEqual(await node.eventIndices('nobody', 0n, 9n), []);
    assert.deepEqual((await node.eventIndices('bastion-2', 0n, 100n)).map((x) => x.seq), [0n]);
    assert.deepEqual(await node.eventIndices('bastion', (1n << 63n) - 10n, (1n << 63n) - 1n), [], 'up to the largest seq');
    // Sequenced but not yet signed: left out.
    const slow = await started({ checkpointIntervalMs: 3_600_000 });
    try {
      await slow.node.submitEvents('bastion', [ev('e')]);
      assert.deepEqual(await slow.node.eventIndices('bastion', 0n, 5n), []);
    } finally {
      await slow.node.stop();
    }
    const bad = (p: Promise<unknown>, code: string) => assert.rejects(p, (e: LogError) => e.code === code);
    await bad(node.eventIndices('bastion', 2n, 1n), 'invalid-argument');
    await bad(node.eventIndices('bastion', -1n, 1n), 'invalid-argument');
    await bad(node.eventIndices('bastion', 0n, 4096n), 'invalid-argument');
    await bad(node.eventIndices('bastion', 0n, 1n << 63n), 'invalid-argument');
    await bad(node.eventIndices('no good', 0n, 1n), 'invalid-source');
  } finally {
    await node.stop();
  }
});
