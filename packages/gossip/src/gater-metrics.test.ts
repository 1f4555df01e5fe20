/**
 * An unknown libp2p peer refused by the allowlist gater is counted (metrics.peersRefused, and
 * `cairn_gossip_peers_refused_total` in Prometheus form) and reported with its peer ID and
 * address, rate-limited: real hosts on 127.0.0.1.
 */
import './polyfill.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { Registry } from 'prom-client';
import { createGossipHost } from './host.js';
import { registerGossipMetrics } from './metrics.js';
import { waitFor } from './test-support.js';

test('an unknown peer is refused, counted in /metrics form and reported (rate-limited) with its peer ID and address', async () => {
  const warnings: { message: string; fields: Record<string, unknown> }[] = [];
  const target = await createGossipHost({
    dataDir: '', privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'],
    warn: (message, fields) => warnings.push({ message, fields }),
  });
  const strangers = await Promise.all([0, 1].map(async () => createGossipHost({
    dataDir: '', privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], allowPeerIds: [target.peerId.toString()],
  })));
  try {
    for (const [i, s] of strangers.entries()) {
      await s.node.dial(target.multiaddrs()[0]!, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
      await waitFor(() => target.metrics.peersRefused === i + 1, `refusal ${i + 1} to be counted`);
      assert.equal(target.node.getConnections(s.peerId).length, 0);
    }
    // Both counted, the second not reported again within the interval.
    assert.equal(warnings.length, 1);
    const w = warnings[0]!;
    assert.match(w.message, /refused: not on the allowlist/);
    assert.equal(w.fields.peerId, strangers[0]!.peerId.toString());
    assert.match(String(w.fields.address), /^\/ip4\/127\.0\.0\.1\/tcp\/\d+/);
    assert.equal(w.fields.direction, 'inbound');

    const registry = new Registry();
    registerGossipMetrics(registry, target.metrics);
    const text = await registry.metrics();
    assert.match(text, /^# TYPE cairn_gossip_peers_refused_total counter$/m);
    assert.match(text, /^cairn_gossip_peers_refused_total 2$/m);
  } finally {
    await Promise.allSettled([target.stop(), ...strangers.map((s) => s.stop())]);
  }
});
