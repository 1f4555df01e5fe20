/**
 * `pnpm bench gossip`: the libp2p witness network on 127.0.0.1 (in-process nodes, LevelDB with
 * fsync, real TCP + Noise + yamux + gossipsub).
 *
 * - split view → evidence at every honest peer: 10 witnesses (`@cairn/gossip/witness`) in a
 *   partial mesh (a ring plus chords i ↔ i+3). Per run, a fresh log origin: witnesses 0–8
 *   cosign checkpoint A of size 10, then witness 9 is given B (same size, other root, signed by
 *   the same log key): the clock starts just before that conflicting cosignature and stops when
 *   the last of the 10 witnesses has stored proven evidence and blocked the origin (its own
 *   "misbehaviour proven" log event). Median of the runs.
 * - gossiped checkpoints validated per second per node: one node publishes distinct log-signed
 *   checkpoint notes as fast as gossipsub takes them; a second node validates each (strict note
 *   parse + Ed25519 signature check, topics.ts) before delivery; rate = accepted / elapsed at
 *   the receiving node.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { formatAddCheckpointRequest, formatCheckpoint, generateSignerKey, parseSignerKey, signNote, verifierKeyFromSigner, parseVerifierKey } from '@cairn/formats';
import { nodeEd25519 } from '@cairn/formats/node';
import { leafHash, treeHash } from '@cairn/merkle';
import { nodeBackend } from '@cairn/merkle/node';
import { createGossipHost, checkpointTopic, GossipTopics } from '@cairn/gossip';
import { openLevelWitnessStorage, Witness, type WitnessLogger, type WitnessStorage } from '@cairn/witness';
import { startWitnessNetwork, type WitnessNetwork } from '@cairn/gossip/witness';
import { figure, machine, median } from './report.js';

export interface GossipBenchArgs {
  readonly quick: boolean;
}

const PEERS = 10;
const BOUND_MS = 30_000;

async function until(cond: () => boolean, what: string, ms = BOUND_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

function logOf(i: number): { origin: string; skey: string; vkey: string } {
  const origin = `bench.example.org/gossip-${i}`;
  const skey = generateSignerKey(origin, new Uint8Array(32).fill(100 + i));
  return { origin, skey, vkey: verifierKeyFromSigner(skey) };
}

function body(log: { origin: string; skey: string }, branch: string, size: number): Uint8Array {
  const leaves = Array.from({ length: size }, (_, i) => leafHash(new TextEncoder().encode(`${branch} ${i}`)));
  const text = formatCheckpoint({ origin: log.origin, size: BigInt(size), rootHash: treeHash(leaves), extensions: [] });
  return formatAddCheckpointRequest({ oldSize: 0n, proof: [], checkpoint: signNote(text, [parseSignerKey(log.skey)]) });
}

export async function benchGossip(args: GossipBenchArgs): Promise<void> {
  process.stdout.write(`# bench gossip — ${machine()}\n`);
  const dir = await mkdtemp(join(tmpdir(), 'cairn-bench-gossip-'));
  try {
    await splitViewToEvidence(dir, args);
    await validationRate(dir, args);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function splitViewToEvidence(dir: string, args: GossipBenchArgs): Promise<void> {
  const runs = args.quick ? 3 : 9;
  const logs = Array.from({ length: runs }, (_, i) => logOf(i));
  const provenAt: Map<string, number>[] = Array.from({ length: PEERS }, () => new Map());
  const nodes: { witness: Witness; storage: WitnessStorage; net: WitnessNetwork }[] = [];
  try {
    for (let i = 0; i < PEERS; i++) {
      const logger: WitnessLogger = {
        info: () => {},
        warn: () => {},
        error: (msg, fields) => {
          if (msg.startsWith('log misbehaviour proven')) provenAt[i]!.set(String(fields?.['origin']), performance.now());
        },
      };
      const storage = await openLevelWitnessStorage(join(dir, `w${i}`));
      const witness = new Witness({
        key: generateSignerKey(`witness-${i}.bench.example.org`, new Uint8Array(32).fill(i + 1)),
        logs: logs.map((l) => ({ vkey: l.vkey })), storage, ed25519: nodeEd25519, hashBackend: nodeBackend, logger,
      });
      const net = await startWitnessNetwork({ witness, dataDir: join(dir, `w${i}`), listen: ['/ip4/127.0.0.1/tcp/0'], host: { redialMinMs: 50, redialMaxMs: 1000 } });
      nodes.push({ witness, storage, net });
    }
    const edges: [number, number][] = [];
    for (let i = 0; i < PEERS; i++) edges.push([i, (i + 1) % PEERS], [i, (i + 3) % PEERS]);
    for (const [a, b] of edges) {
      nodes[a]!.net.host.addPeer(nodes[b]!.net.multiaddrs()[0]!);
      nodes[b]!.net.host.addPeer(nodes[a]!.net.multiaddrs()[0]!);
    }
    const topics = logs.map((l) => checkpointTopic(l.origin));
    await until(() => nodes.every((n) => topics.every((t) => n.net.host.pubsub.getSubscribers(t).length >= 4)), 'topic subscriptions');
    const times: number[] = [];
    for (const [r, log] of logs.entries()) {
      for (let i = 0; i < PEERS - 1; i++) {
        const res = await nodes[i]!.witness.addCheckpoint(body(log, 'A', 10));
        if (res.size !== 10n) throw new Error('unexpected cosignature');
      }
      await new Promise((resolve) => setTimeout(resolve, 200)); // let the honest gossip settle (merges only)
      const conflicting = body(log, 'B', 10);
      const t0 = performance.now();
      await nodes[PEERS - 1]!.witness.addCheckpoint(conflicting);
      await until(() => provenAt.every((m) => m.has(log.origin)), `evidence at every peer (run ${r})`);
      times.push(Math.max(...provenAt.map((m) => m.get(log.origin)!)) - t0);
    }
    figure(`split view → evidence at all ${PEERS} peers, median`, median(times), 'ms',
      `${runs} runs; ring + chords (degree 4); 9 witnesses at root A, 1 given root B; from the conflicting cosignature; max ${Math.max(...times).toFixed(1)} ms`);
  } finally {
    await Promise.allSettled(nodes.map(async (n) => {
      await n.net.stop();
      await n.storage.close();
    }));
  }
}

async function validationRate(dir: string, args: GossipBenchArgs): Promise<void> {
  const n = args.quick ? 2_000 : 10_000;
  const log = logOf(999);
  const signer = parseSignerKey(log.skey, { ed25519: nodeEd25519 });
  const verifiers = [parseVerifierKey(log.vkey, { ed25519: nodeEd25519 })];
  const notes = Array.from({ length: n }, (_, i) =>
    new TextEncoder().encode(signNote(formatCheckpoint({ origin: log.origin, size: BigInt(i + 1), rootHash: new Uint8Array(randomBytes(32)), extensions: [] }), [signer])));
  const pub = await createGossipHost({ dataDir: join(dir, 'pub'), listen: ['/ip4/127.0.0.1/tcp/0'] });
  const sub = await createGossipHost({ dataDir: join(dir, 'sub'), listen: ['/ip4/127.0.0.1/tcp/0'] });
  try {
    const opts = (metrics: typeof pub.metrics) => ({ logVerifiers: (o: string) => (o === log.origin ? verifiers : undefined), metrics });
    const pt = new GossipTopics(pub.pubsub, opts(pub.metrics));
    const st = new GossipTopics(sub.pubsub, opts(sub.metrics));
    pt.follow(log.origin);
    st.follow(log.origin);
    pub.addPeer(sub.multiaddrs()[0]!);
    sub.addPeer(pub.multiaddrs()[0]!);
    await until(() => pub.pubsub.getSubscribers(checkpointTopic(log.origin)).length > 0, 'subscription');
    const t0 = performance.now();
    for (let i = 0; i < notes.length; i += 100) await Promise.all(notes.slice(i, i + 100).map((note) => pt.publishCheckpoint(log.origin, note)));
    await until(() => sub.metrics.checkpointsAccepted >= n, 'all checkpoints validated', 120_000);
    const secs = (performance.now() - t0) / 1000;
    figure('gossiped checkpoints validated per node', n / secs, 'msg/s',
      `${n} distinct signed notes, 1 publisher → 1 validating node (parse + Ed25519 verify, node:crypto), StrictNoSign`);
  } finally {
    await Promise.allSettled([pub.stop(), sub.stop()]);
  }
}
