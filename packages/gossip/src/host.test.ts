import './polyfill.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { addSignatures, cosignatureSigner, generateSignerKey, utf8Encode } from '@cairn/formats';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { createGossipHost } from './host.js';
import { GossipError } from './errors.js';
import { loadOrCreatePeerIdentity, PEER_KEY_FILE } from './identity.js';
import { ALARM_TOPIC, checkpointTopic, MAX_CHECKPOINT_MESSAGE_SIZE } from './topics.js';
import { ORIGIN, forkLeaves, link, logKey, signedCheckpoint, startNode, tempDir, waitFor, type TestNode } from './test-support.js';

const KEY = logKey();
const OTHER = logKey(ORIGIN, 9);
const LEAVES = forkLeaves('A', 20, 20);
const TOPIC = checkpointTopic(ORIGIN);
const WITNESS_SKEY = generateSignerKey('witness-1.example', new Uint8Array(32).fill(3));

function cosigned(size: number): Uint8Array {
  return utf8Encode(addSignatures(signedCheckpoint(KEY, LEAVES, size), [cosignatureSigner(WITNESS_SKEY, () => 1_780_000_000n)]));
}

async function withNodes(count: number, body: (nodes: TestNode[], dir: string) => Promise<void>): Promise<void> {
  const dir = await tempDir();
  const nodes: TestNode[] = [];
  try {
    for (let i = 0; i < count; i++) nodes.push(await startNode(join(dir.path, `n${i}`), [KEY.verifier]));
    await body(nodes, dir.path);
  } finally {
    await Promise.allSettled(nodes.map((n) => n.host.stop()));
    await dir.remove();
  }
}

test('identity: p2p.key is created 0600, reloaded to the same peer ID, and refused when group-readable', async () => {
  const dir = await tempDir();
  try {
    const a = await loadOrCreatePeerIdentity(dir.path);
    assert.equal(a.created, true);
    assert.equal((await stat(join(dir.path, PEER_KEY_FILE))).mode & 0o777, 0o600);
    const b = await loadOrCreatePeerIdentity(dir.path);
    assert.equal(b.created, false);
    assert.equal(b.peerId.toString(), a.peerId.toString());
    await chmod(join(dir.path, PEER_KEY_FILE), 0o644);
    await assert.rejects(loadOrCreatePeerIdentity(dir.path), (e: unknown) => e instanceof GossipError && e.code === 'bad-identity');
  } finally {
    await dir.remove();
  }
});

test('a cosigned checkpoint published by one node reaches every node of a partial mesh (line of 4 + chord)', async () => {
  await withNodes(5, async (nodes) => {
    await link(nodes, [[0, 1], [1, 2], [2, 3], [3, 4], [1, 3]], [TOPIC, ALARM_TOPIC]);
    const note = cosigned(12);
    await nodes[0]!.topics.publishCheckpoint(ORIGIN, note);
    await waitFor(() => nodes.slice(1).every((n) => n.checkpoints.length >= 1), 'delivery to all nodes');
    for (const n of nodes.slice(1)) {
      assert.deepEqual(new Uint8Array(n.checkpoints[0]!.note), note);
      assert.equal(n.checkpoints[0]!.checkpoint.size, 12n);
      assert.equal(n.checkpoints.length, 1);
    }
    assert.ok(nodes.slice(1).every((n) => n.host.metrics.checkpointsAccepted === 1));
  });
});

test('junk, oversized, unsigned, wrongly-signed and wrong-origin messages are rejected, counted and not relayed', async () => {
  await withNodes(3, async (nodes) => {
    await link(nodes, [[0, 1], [1, 2]], [TOPIC, ALARM_TOPIC]);
    const [a, b, c] = nodes as [TestNode, TestNode, TestNode];
    const valid = signedCheckpoint(KEY, LEAVES, 7);
    const sigAt = valid.lastIndexOf(' ') + 10;
    const wronglySigned = valid.slice(0, sigAt) + (valid[sigAt] === 'A' ? 'B' : 'A') + valid.slice(sigAt + 1);
    const pub = (data: Uint8Array) => a.topics.publishCheckpoint(ORIGIN, data);
    await pub(utf8Encode('this is not a signed note'));
    await pub(new Uint8Array(MAX_CHECKPOINT_MESSAGE_SIZE + 1).fill(0x41));
    await pub(utf8Encode(signedCheckpoint(OTHER, LEAVES, 7)));
    await pub(utf8Encode(wronglySigned));
    await pub(utf8Encode(signedCheckpoint(KEY, LEAVES, 7, 'example.com/another-log')));
    await a.topics.publishEvidence(utf8Encode('{"version":1}\n'));
    await pub(cosigned(9));
    const r = b.host.metrics.rejected;
    await waitFor(
      () => c.checkpoints.length === 1 && r.malformed === 2 && r.oversized === 1 && r.unsigned === 1 && r['bad-signature'] === 1 && r['wrong-origin'] === 1,
      'rejections at the middle node and the valid message at the far node',
    );
    assert.equal(c.checkpoints[0]!.checkpoint.size, 9n);
    assert.equal(b.checkpoints.length, 1);
    assert.equal(b.evidence.length, 0);
    assert.deepEqual(Object.values(c.host.metrics.rejected), [0, 0, 0, 0, 0, 0, 0]); // nothing bad was relayed
    assert.equal(c.evidence.length, 0);
  });
});

test('the gater refuses peers outside the configured set, in both directions', async () => {
  await withNodes(2, async (nodes) => {
    await link(nodes, [[0, 1]], [TOPIC, ALARM_TOPIC]);
    const stranger = await createGossipHost({ dataDir: '', allowPeerIds: [nodes[0]!.host.peerId.toString()], privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'] });
    try {
      const target = nodes[0]!;
      const opened: string[] = [];
      target.host.node.addEventListener('connection:open', (e) => opened.push(e.detail.remotePeer.toString()));
      // Noise XX: the initiator finishes its handshake before the responder has checked it, so the
      // stranger's dial may resolve; the target then closes the connection without ever opening it.
      await stranger.node.dial(target.host.multiaddrs()[0]!, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
      await waitFor(() => stranger.node.getConnections(target.host.peerId).length === 0, 'the refused connection to close');
      await assert.rejects(target.host.node.dial(stranger.multiaddrs()[0]!, { signal: AbortSignal.timeout(5000) }));
      assert.deepEqual(opened.filter((p) => p === stranger.peerId.toString()), []);
      assert.equal(target.host.node.getConnections(stranger.peerId).length, 0);
      assert.equal(target.host.isAllowed(stranger.peerId), false);
      assert.equal(target.host.isAllowed(nodes[1]!.host.peerId), true);
    } finally {
      await stranger.stop();
    }
  });
});

test('a restarted node keeps its peer ID and rejoins (it re-dials its configured peers)', async () => {
  await withNodes(2, async (nodes, dir) => {
    await link(nodes, [[0, 1]], [TOPIC, ALARM_TOPIC]);
    const [a, b] = nodes as [TestNode, TestNode];
    const before = b.host.peerId.toString();
    await b.host.stop();
    await waitFor(() => a.host.pubsub.getSubscribers(TOPIC).length === 0, 'the stopped node to leave');
    const b2 = await startNode(join(dir, 'n1'), [KEY.verifier], { peers: [a.addr()] });
    nodes[1] = b2; // stopped by withNodes
    assert.equal(b2.host.peerId.toString(), before);
    await waitFor(() => a.host.pubsub.getSubscribers(TOPIC).length === 1, 'the restarted node to rejoin');
    await a.topics.publishCheckpoint(ORIGIN, cosigned(15));
    await waitFor(() => b2.checkpoints.length === 1, 'delivery after restart');
    assert.equal(b2.checkpoints[0]!.checkpoint.size, 15n);
  });
});
