/**
 * The witness network end to end, in-process (real Witness cores on LevelDB, real libp2p on
 * 127.0.0.1): a malicious log signs, with its real key, different views for different witnesses;
 * every honest witness ends up holding verifiable evidence and stops cosigning that origin (403
 * naming the evidence). Also: cosignatures of a peer over the same checkpoint are merged into
 * the monitoring read, and a witness that was down catches up when it rejoins.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAddCheckpointRequest, openNote, originHash, parseVerifierKey } from '@cairn/formats';
import { consistencyProof } from '@cairn/merkle';
import { forkLeaves, readerOf, signedCheckpoint, startTileServer } from '@cairn/gossip/testing';
import { parseEvidence, verifyEvidence } from '@cairn/gossip/evidence';
import { ORIGIN, firstBody, startCluster, text, until, waitFor, type Cluster, type TestWitness } from './support.js';

const A = forkLeaves('A', 5, 16);
const B = forkLeaves('B', 5, 16);
const RING5: [number, number][] = [[0, 1], [1, 2], [2, 3], [3, 4], [4, 0]];

/**
 * The log shows each witness its view. A witness that already learned the other view's
 * checkpoint from a peer (gossip) refuses it (422 fork/inconsistent, or 409 naming the learned
 * size) instead of cosigning: it never cosigns both; either way the split view becomes evidence.
 */
async function show(w: TestWitness, body: Uint8Array): Promise<void> {
  const answer = await w.add(body);
  assert.ok([200, 409, 422].includes(answer.status), `${answer.status} ${text(answer.body)}`);
}

/** Waits until every witness holds a proven record and is blocked; checks the 403 names it. */
async function expectEvidenceEverywhere(c: Cluster, kind: string, next: (w: TestWitness) => Uint8Array): Promise<void> {
  const proven = async (w: TestWitness) => (await w.witness.evidence()).filter((e) => e.proven);
  await until(async () => {
    for (const w of c.witnesses) if ((await proven(w)).length === 0 || (await w.witness.block(ORIGIN)) === undefined) return false;
    return true;
  }, 'evidence and a block at every witness');
  for (const w of c.witnesses) {
    const records = await proven(w);
    const ids = records.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length, 'each record stored once');
    for (const r of records) {
      const parsed = parseEvidence(r.record);
      assert.equal(parsed.kind, kind);
      assert.equal(verifyEvidence(parsed, { logVkeys: [c.key.vkey] }).proven, true);
    }
    const block = (await w.witness.block(ORIGIN))!;
    assert.ok(ids.includes(block.evidenceId));
    const answer = await w.add(next(w));
    assert.equal(answer.status, 403);
    assert.match(text(answer.body), new RegExp(`evidence ${block.evidenceId}`));
  }
}

test('5 witnesses in a ring: a log shows root A to witnesses 1–2 and root B to 3–5 at size 10 → proven equivocation everywhere, cosigning stops', async () => {
  const c = await startCluster(5, RING5);
  try {
    for (const w of c.witnesses) await show(w, firstBody(c.key, w.index < 2 ? A : B, 10));
    await expectEvidenceEverywhere(c, 'equivocation', (w) => {
      const leaves = w.index < 2 ? A : B;
      return formatAddCheckpointRequest({ oldSize: 10n, proof: consistencyProof(10n, 11n, readerOf(leaves)), checkpoint: signedCheckpoint(c.key, leaves, 11) });
    });
    const m = c.witnesses.reduce((n, w) => n + w.net.metrics.evidenceCreated.equivocation, 0);
    assert.ok(m >= 1);
  } finally {
    await c.close();
  }
});

test('5 witnesses: A at 10 for witnesses 1–2, B at 12 for 3–5 (forked after 5), tiles served for B only → proven inconsistency everywhere', async () => {
  const tiles = await startTileServer(B.slice(0, 12));
  // Each witness is shown its view before they are linked (a witness that learned the other
  // view first would refuse its own, and with every B witness refusing there is no split view).
  const c = await startCluster(5, [], tiles.url);
  try {
    for (const w of c.witnesses) {
      const answer = await w.add(firstBody(c.key, w.index < 2 ? A : B, w.index < 2 ? 10 : 12));
      assert.equal(answer.status, 200, text(answer.body));
    }
    for (const [a, b] of RING5) {
      c.witnesses[a]!.net.host.addPeer(c.witnesses[b]!.addr());
      c.witnesses[b]!.net.host.addPeer(c.witnesses[a]!.addr());
    }
    await expectEvidenceEverywhere(c, 'inconsistency', (w) => {
      const [leaves, size] = w.index < 2 ? [A, 10] : [B, 12];
      return formatAddCheckpointRequest({ oldSize: BigInt(size), proof: consistencyProof(BigInt(size), 13n, readerOf(leaves)), checkpoint: signedCheckpoint(c.key, leaves, 13) });
    });
    assert.ok(tiles.requests.length > 0);
  } finally {
    await c.close();
    await tiles.close();
  }
});

test('an honest log: the same checkpoint at 3 witnesses → no evidence; each monitoring read gains the peers\' verified cosignatures', async () => {
  const c = await startCluster(3, [[0, 1], [1, 2]]);
  try {
    for (const w of c.witnesses) assert.equal((await w.add(firstBody(c.key, A, 8))).status, 200);
    const keys = [c.key.vkey, ...c.witnesses.map((w) => w.vkey)].map((k) => parseVerifierKey(k));
    await until(async () => {
      for (const w of c.witnesses) if (openNote(await w.witness.checkpointByOriginHash(originHash(ORIGIN)), keys).verified.length !== 4) return false;
      return true;
    }, 'log signature + 3 cosignatures in every monitoring read');
    for (const w of c.witnesses) assert.deepEqual(await w.witness.evidence(), []);
    // Lines that do not verify under a configured cosigner key are never stored.
    const w0 = c.witnesses[0]!;
    const n2 = (await c.witnesses[2]!.witness.latest(ORIGIN))!.note;
    const tampered = n2.replace(/— witness-2\.example (\S)/u, (_, ch: string) => `— witness-2.example ${ch === 'A' ? 'B' : 'A'}`);
    assert.notEqual(tampered, n2);
    assert.equal(await w0.witness.mergeCosignatures(ORIGIN, tampered), 0);
    assert.equal(await w0.witness.mergeCosignatures(ORIGIN, n2), 0, 'nothing new');
    assert.equal(openNote(await w0.witness.checkpointByOriginHash(originHash(ORIGIN)), keys).verified.length, 4);
  } finally {
    await c.close();
  }
});

test('a witness that was down rejoins (same peer ID) and catches up on the evidence it missed', async () => {
  const c = await startCluster(3, [[0, 1], [1, 2], [2, 0]]);
  try {
    const [w0, w1, w2] = c.witnesses as [TestWitness, TestWitness, TestWitness];
    const before = w2.net.peerId;
    await w2.stop();
    assert.equal((await w0.add(firstBody(c.key, A, 10))).status, 200);
    await show(w1, firstBody(c.key, B, 10));
    await waitFor(() => w0.net.metrics.evidenceRecorded > 0 && w1.net.metrics.evidenceRecorded > 0, 'evidence at the running witnesses', 20_000);
    await w2.restart([w0.addr(), w1.addr()]);
    assert.equal(w2.net.peerId, before);
    await until(async () => (await w2.witness.block(ORIGIN)) !== undefined, 'the restarted witness to catch up');
    const records = await w2.witness.evidence();
    assert.ok(records.some((r) => r.proven && verifyEvidence(parseEvidence(r.record), { logVkeys: [c.key.vkey] }).proven));
    assert.equal((await w2.add(firstBody(c.key, A, 10))).status, 403);
  } finally {
    await c.close();
  }
});
