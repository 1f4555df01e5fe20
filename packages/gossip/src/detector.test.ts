import './polyfill.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { addSignatures, cosignatureSigner, generateSignerKey, utf8Encode } from '@cairn/formats';
import { SplitViewDetector } from './detector.js';
import { evidenceId } from './evidence.js';
import { verifyEvidence } from './evidence-verify.js';
import { ALARM_TOPIC, checkpointTopic } from './topics.js';
import {
  FakeWitness,
  ORIGIN,
  forkLeaves,
  link,
  logKey,
  signedCheckpoint,
  startNode,
  startTileServer,
  tempDir,
  waitFor,
  type TestNode,
} from './test-support.js';

const KEY = logKey();
const A = forkLeaves('A', 5, 16);
const B = forkLeaves('B', 5, 16);
const OBSERVER = { name: 'test', peerId: '' };
const note = (leaves: Uint8Array[], size: number) => utf8Encode(signedCheckpoint(KEY, leaves, size));

function cosignedBy(i: number, text: string): Uint8Array {
  const skey = generateSignerKey(`witness-${i}.example`, new Uint8Array(32).fill(40 + i));
  return utf8Encode(addSignatures(text, [cosignatureSigner(skey, () => 1_780_000_000n + BigInt(i))]));
}

test('unit: same checkpoint merges, equal size and other root is proven equivocation, duplicates are suppressed', async () => {
  const w = new FakeWitness(KEY);
  w.setLatest(signedCheckpoint(KEY, A, 10));
  const published: Uint8Array[] = [];
  const d = new SplitViewDetector({ view: w, observer: OBSERVER, publish: async (b) => published.push(b) });
  assert.deepEqual(await d.checkCheckpoint(ORIGIN, cosignedBy(1, signedCheckpoint(KEY, A, 10)), 'local'), { action: 'merged' });
  assert.equal(w.merged.length, 1);
  const out = await d.checkCheckpoint(ORIGIN, note(B, 10), 'local');
  assert.equal(out.action, 'evidence');
  assert.equal(w.evidence.length, 1);
  assert.equal(verifyEvidence(w.evidence[0]!, { logVkeys: [KEY.vkey] }).proven, true);
  assert.equal(published.length, 1);
  assert.deepEqual(await d.checkCheckpoint(ORIGIN, cosignedBy(2, signedCheckpoint(KEY, B, 10)), 'local'), { action: 'duplicate' });
  assert.equal((await d.receiveEvidence(w.evidence[0]!)).action, 'duplicate');
  // Not followed, not verifying: ignored.
  assert.equal((await d.checkCheckpoint('example.com/other', note(B, 10), 'local')).action, 'ignored');
  assert.equal((await d.checkCheckpoint(ORIGIN, utf8Encode(signedCheckpoint(logKey(ORIGIN, 9), B, 10)), 'local')).action, 'ignored');
  assert.equal(d.metrics.evidenceCreated.equivocation, 1);
});

test('unit: different sizes use the log tiles: consistent, proven inconsistency, unproven (404), transient (unreachable)', async () => {
  const honest = await startTileServer(A.slice(0, 12));
  const forked = await startTileServer(B.slice(0, 12));
  const empty = await startTileServer([]);
  try {
    const run = async (url: string, local: [Uint8Array[], number], gossiped: [Uint8Array[], number]) => {
      const w = new FakeWitness(KEY, url);
      w.setLatest(signedCheckpoint(KEY, ...local));
      const d = new SplitViewDetector({ view: w, observer: OBSERVER, tileTimeoutMs: 2000 });
      return { out: await d.checkCheckpoint(ORIGIN, note(...gossiped), 'local'), w, d };
    };
    assert.equal((await run(honest.url, [A, 10], [A, 12])).out.action, 'consistent');
    assert.equal((await run(honest.url, [A, 12], [A, 10])).out.action, 'consistent');
    for (const [local, gossiped] of [[[A, 10], [B, 12]], [[B, 12], [A, 10]], [[A, 8], [B, 12]]] as const) {
      const { out, w } = await run(forked.url, [...local], [...gossiped]);
      assert.equal(out.action, 'evidence');
      assert.equal(w.evidence[0]!.kind, 'inconsistency');
      assert.equal(verifyEvidence(w.evidence[0]!, { logVkeys: [KEY.vkey] }).proven, true);
    }
    const unproven = await run(empty.url, [A, 10], [B, 12]);
    assert.equal(unproven.out.action, 'evidence');
    assert.equal(unproven.w.evidence[0]!.kind, 'unproven-inconsistency');
    assert.match(unproven.w.evidence[0]!.failure!, /404/);
    assert.equal(verifyEvidence(unproven.w.evidence[0]!).proven, false);
    // A detector that holds only the unproven record proves it once it can reach tiles.
    const w2 = new FakeWitness(KEY, forked.url);
    const d2 = new SplitViewDetector({ view: w2, observer: OBSERVER });
    assert.equal((await d2.receiveEvidence(unproven.w.evidence[0]!)).action, 'evidence');
    assert.deepEqual(w2.evidence.map((r) => r.kind), ['unproven-inconsistency', 'inconsistency']);
    const closedUrl = empty.url;
    await empty.close();
    const transient = await run(closedUrl, [A, 10], [B, 12]);
    assert.equal(transient.out.action, 'ignored');
    assert.equal(transient.w.evidence.length, 0);
    assert.equal(transient.d.metrics.tileFetchFailures, 1);
  } finally {
    await Promise.allSettled([honest.close(), forked.close(), empty.close()]);
  }
});

async function splitView(views: [Uint8Array[], number][], logUrl: string | undefined): Promise<FakeWitness[]> {
  const dir = await tempDir();
  const nodes: TestNode[] = [];
  try {
    const witnesses: FakeWitness[] = [];
    for (let i = 0; i < views.length; i++) {
      const n = await startNode(join(dir.path, `n${i}`), [KEY.verifier]);
      const w = new FakeWitness(KEY, logUrl);
      w.setLatest(signedCheckpoint(KEY, ...views[i]!));
      new SplitViewDetector({
        view: w,
        observer: { name: `witness-${i}`, peerId: n.host.peerId.toString() },
        publish: (bytes) => n.topics.publishEvidence(bytes),
        metrics: n.host.metrics,
      }).attach(n.topics);
      nodes.push(n);
      witnesses.push(w);
    }
    // A ring: every node has two neighbours, most pairs are not directly connected.
    await link(nodes, nodes.map((_, i) => [i, (i + 1) % nodes.length] as const), [checkpointTopic(ORIGIN), ALARM_TOPIC]);
    // Each witness gossips the checkpoint it cosigned.
    await Promise.all(nodes.map((n, i) => n.topics.publishCheckpoint(ORIGIN, cosignedBy(i, signedCheckpoint(KEY, ...views[i]!)))));
    await waitFor(() => witnesses.every((w) => w.evidence.some((r) => verifyEvidence(r, { logVkeys: [KEY.vkey] }).proven)), 'evidence at every node');
    return witnesses;
  } finally {
    await Promise.allSettled(nodes.map((n) => n.host.stop()));
    await dir.remove();
  }
}

test('5 libp2p nodes: a log showing root A to nodes 1–2 and root B to nodes 3–5 at one size → verifiable evidence at every node', async () => {
  const witnesses = await splitView([[A, 10], [A, 10], [B, 10], [B, 10], [B, 10]], undefined);
  for (const w of witnesses) {
    const ids = w.evidence.map(evidenceId);
    assert.equal(new Set(ids).size, ids.length, 'no record stored twice');
    assert.ok(w.evidence.every((r) => r.kind === 'equivocation' && verifyEvidence(r, { logVkeys: [KEY.vkey] }).proven));
  }
});

test('5 libp2p nodes: A at 10 for nodes 1–2, B at 12 for nodes 3–5 (forked after 5), tiles served for B only → proven inconsistency everywhere', async () => {
  const tiles = await startTileServer(B.slice(0, 12));
  try {
    const witnesses = await splitView([[A, 10], [A, 10], [B, 12], [B, 12], [B, 12]], tiles.url);
    for (const w of witnesses) {
      const ids = w.evidence.map(evidenceId);
      assert.equal(new Set(ids).size, ids.length, 'no record stored twice');
      const proven = w.evidence.filter((r) => verifyEvidence(r, { logVkeys: [KEY.vkey] }).proven);
      assert.ok(proven.length >= 1 && proven.every((r) => r.kind === 'inconsistency'));
    }
    assert.ok(tiles.requests.length > 0);
  } finally {
    await tiles.close();
  }
});
