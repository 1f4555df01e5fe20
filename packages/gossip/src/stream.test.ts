import './polyfill.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { formatAddCheckpointRequest, parseAddCheckpointRequest, TLOG_SIZE_CONTENT_TYPE } from '@cairn/formats';
import { GossipError } from './errors.js';
import { handleAddCheckpoint, MAX_ADD_CHECKPOINT_FRAME, sendAddCheckpoint } from './stream.js';
import { checkpointTopic } from './topics.js';
import { forkLeaves, link, logKey, ORIGIN, signedCheckpoint, startNode, tempDir, type TestNode } from './test-support.js';

const KEY = logKey();
const LEAVES = forkLeaves('A', 12, 12);
const enc = new TextEncoder();

test('add-checkpoint over a libp2p stream: exact request bytes in, (status, content type, body) out', async () => {
  const dir = await tempDir();
  const nodes: TestNode[] = [];
  try {
    nodes.push(await startNode(join(dir.path, 'log'), [KEY.verifier]), await startNode(join(dir.path, 'witness'), [KEY.verifier]));
    await link(nodes, [[0, 1]], [checkpointTopic(ORIGIN)]);
    const [log, witness] = nodes as [TestNode, TestNode];
    const seen: Uint8Array[] = [];
    let stored = 0n;
    await handleAddCheckpoint(witness.host.node, async (body, { peer }) => {
      assert.equal(peer.toString(), log.host.peerId.toString());
      seen.push(body);
      const req = parseAddCheckpointRequest(body);
      if (req.oldSize !== stored) return { status: 409, contentType: TLOG_SIZE_CONTENT_TYPE, body: enc.encode(`${stored}\n`) };
      stored = 12n;
      return { status: 200, contentType: 'text/plain; charset=utf-8', body: enc.encode('— witness.example AAAA\n') };
    });
    const body = formatAddCheckpointRequest({ oldSize: 0n, proof: [], checkpoint: signedCheckpoint(KEY, LEAVES, 12) });
    const target = witness.host.multiaddrs()[0]!;

    const ok = await sendAddCheckpoint(log.host.node, target, body, { signal: AbortSignal.timeout(5000) });
    assert.equal(ok.status, 200);
    assert.equal(ok.contentType, 'text/plain; charset=utf-8');
    assert.equal(new TextDecoder().decode(ok.body), '— witness.example AAAA\n');
    assert.deepEqual(new Uint8Array(seen[0]!), body);

    const conflict = await sendAddCheckpoint(log.host.node, witness.host.peerId, body, { signal: AbortSignal.timeout(5000) });
    assert.deepEqual({ ...conflict, body: new TextDecoder().decode(conflict.body) }, { status: 409, contentType: TLOG_SIZE_CONTENT_TYPE, body: '12\n' });

    await assert.rejects(
      sendAddCheckpoint(log.host.node, target, new Uint8Array(MAX_ADD_CHECKPOINT_FRAME + 1)),
      (e: unknown) => e instanceof GossipError && e.code === 'bad-frame',
    );
    // A handler that throws answers 500 rather than breaking the stream.
    await witness.host.node.unhandle('/cairn/tlog-witness/add-checkpoint/1');
    await handleAddCheckpoint(witness.host.node, async () => {
      throw new Error('boom');
    });
    const failed = await sendAddCheckpoint(log.host.node, target, body, { signal: AbortSignal.timeout(5000) });
    assert.equal(failed.status, 500);
  } finally {
    await Promise.allSettled(nodes.map((n) => n.host.stop()));
    await dir.remove();
  }
});
