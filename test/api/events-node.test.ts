/**
 * The events router over a real LogNode (memory storage), through the caller without HTTP: the
 * contract the fake store stands in for, checked against the log core itself — sequence numbers
 * and resends, 409 codes, receipts under the node's receipt key, event proofs that verify, and
 * erasure (get names the record, prove is 410, the leaf's bundle still proves).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { createApiCaller, errorCodeOf, httpStatusOf, TokenAuthenticator } from '@cairn/api';
import { openReceipt, receiptKeyName, verifyEventProof } from '@cairn/events';
import { generateSignerKey, parseCheckpointNote, parsePolicy, parseProofBundle, parseVerifierKey, utf8Encode } from '@cairn/formats';
import { LogNode, memoryStorage, silentLogger } from '@cairn/log';
import { leafHash, verifyInclusion } from '@cairn/merkle';

const ORIGIN = 'node.example/events';
const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const ev = (i: number) => JSON.stringify({
  class_uid: 3002, category_uid: 3, activity_id: 1, type_uid: 300201, severity_id: 1, status_id: 1, time: 1767225600000 + i,
  metadata: { version: '1.3.0', product: { name: 'sshd' } }, user: { name: `u${i}` }, src_endpoint: { ip: '192.0.2.9' },
});

async function code(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof TRPCError, String(e));
    return errorCodeOf(e.cause);
  }
  assert.fail('expected an error');
}

describe('events router over a real LogNode', () => {
  let node: LogNode;
  const tokens = new TokenAuthenticator({
    version: 1,
    tokens: [
      { source: 'bastion', sha256: sha('w'), quota: { entriesPerMinute: 1_000_000 } },
      { source: 'auditor', role: 'reader', sha256: sha('r'), quota: { entriesPerMinute: 1 } },
      { source: 'dpo', role: 'admin', sha256: sha('a'), quota: { entriesPerMinute: 1 } },
    ],
  });
  const as = (t: string) => createApiCaller({ node, events: node, tokens, authorization: `Bearer ${t}` });

  before(async () => {
    node = await LogNode.open({
      storage: memoryStorage(), signerKey: generateSignerKey(ORIGIN, new Uint8Array(32).fill(3)),
      receiptSignerKey: generateSignerKey(receiptKeyName(ORIGIN), new Uint8Array(32).fill(4)), checkpointIntervalMs: 10, logger: silentLogger,
    });
    await node.start();
  });
  after(() => node?.stop());

  test('submit, resend, conflicts, receipts, proof, erase', async () => {
    const w = as('w');
    const r = await w.events.submit({ events: [ev(0), ev(1)], seqs: ['0', '1'], wait: 'checkpoint' });
    assert.deepEqual(r.seqs, ['0', '1']);
    const vkey = (await as('x').events.receiptKey()).vkey;
    assert.equal(openReceipt(r.receipts![1]!, parseVerifierKey(vkey)).receipt.index, BigInt(r.indices[1]!));
    const again = await w.events.submit({ events: [ev(1), ev(2)], seqs: ['1', '2'], wait: 'checkpoint' });
    assert.deepEqual(again.duplicate, [true, false]);
    assert.equal(again.indices[0], r.indices[1]);
    assert.equal(again.receipts![0], r.receipts![1]);
    assert.equal(await code(w.events.submit({ events: [ev(9)], seqs: ['1'] })), 'seq-regression');
    assert.equal(await code(w.events.submit({ events: [ev(9)], seqs: ['7'] })), 'seq-gap');

    const reader = as('r');
    const policy = parsePolicy(`log ${node.verifierKey}\nquorum none\n`);
    const { proof } = await reader.events.prove({ index: r.indices[0]! });
    assert.equal(verifyEventProof(utf8Encode(proof), { policy }).index, BigInt(r.indices[0]!));
    assert.deepEqual(await reader.events.sources(), [{ source: 'bastion', nextSeq: '3', lastIndex: again.indices[1] }]);

    const er = await as('a').events.erase({ indices: [r.indices[0]!], reason: 'request 1' });
    assert.deepEqual(er.erased, [r.indices[0]]);
    const got = await reader.events.get({ index: r.indices[0]! });
    assert.equal(got.event, undefined);
    assert.equal(got.erased?.record, er.record);
    assert.equal(got.erased?.by, 'dpo');
    let e: unknown;
    try {
      await reader.events.prove({ index: r.indices[0]! });
    } catch (x) {
      e = x;
    }
    assert.ok(e instanceof TRPCError);
    assert.equal(httpStatusOf(e.cause), 410);
    // Wait until a checkpoint covers the erasure record, then the erased leaf still proves.
    for (let i = 0; i < 200 && (node.latestCheckpoint()?.size ?? 0n) <= BigInt(er.record!); i++) await new Promise((res) => setTimeout(res, 10));
    const b = parseProofBundle((await reader.log.proofBundle({ index: r.indices[0]! })).bundle);
    const cp = parseCheckpointNote(b.checkpoint).checkpoint;
    verifyInclusion(BigInt(r.indices[0]!), cp.size, leafHash(Buffer.from(got.leaf, 'base64')), b.proof, cp.rootHash);
    // The erasure record is an event of the reserved source.
    assert.equal((await reader.events.get({ index: er.record! })).source, 'cairn');
  });
});
