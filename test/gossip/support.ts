/**
 * In-process witness-network fixtures for test/gossip: real `Witness` cores on LevelDB, each on
 * a real libp2p host on 127.0.0.1 (`startWitnessNetwork`), linked along chosen edges, and a
 * malicious-log test double (the gossip test key, forked trees, a tiles server).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answerAddCheckpoint, type WitnessAnswer } from '@cairn/api';
import { formatAddCheckpointRequest, generateSignerKey, cosignatureVerifierKey } from '@cairn/formats';
import { ALARM_TOPIC, checkpointTopic } from '@cairn/gossip';
import { ORIGIN, logKey, signedCheckpoint, waitFor, type LogKey } from '@cairn/gossip/testing';
import { openLevelWitnessStorage, Witness, type WitnessStorage } from '@cairn/witness';
import { startWitnessNetwork, type WitnessNetwork } from '@cairn/gossip/witness';

export { ORIGIN, waitFor };

/** One in-process witness on the network. */
export interface TestWitness {
  readonly index: number;
  readonly dir: string;
  readonly skey: string;
  readonly vkey: string;
  witness: Witness;
  storage: WitnessStorage;
  net: WitnessNetwork;
  /** Posts an add-checkpoint body, answered as HTTP would (the one table). */
  add(body: Uint8Array): Promise<WitnessAnswer>;
  addr(): string;
  stop(): Promise<void>;
  /** Starts it again on the same data directory (same key, same peer ID), with `peers`. */
  restart(peers: string[]): Promise<void>;
}

export interface Cluster {
  readonly key: LogKey;
  readonly witnesses: TestWitness[];
  close(): Promise<void>;
}

async function startOne(
  dir: string, skey: string, key: LogKey, logUrl: string | undefined, peers: string[], cosigners: string[],
): Promise<{ witness: Witness; storage: WitnessStorage; net: WitnessNetwork }> {
  const storage = await openLevelWitnessStorage(dir);
  const witness = new Witness({ key: skey, logs: [{ vkey: key.vkey, ...(logUrl === undefined ? {} : { url: logUrl }) }], storage, cosigners });
  const net = await startWitnessNetwork({
    witness, dataDir: dir, listen: ['/ip4/127.0.0.1/tcp/0'], peers,
    host: { redialMinMs: 50, redialMaxMs: 500 }, tileTimeoutMs: 3000,
    addCheckpoint: (body) => answerAddCheckpoint(witness, body),
  });
  return { witness, storage, net };
}

/**
 * Starts `n` witnesses trusting the test log key (tiles at `logUrl`), linked along `edges`; each
 * takes every other witness's cosignature key as a cosigner.
 */
export async function startCluster(n: number, edges: readonly (readonly [number, number])[], logUrl?: string): Promise<Cluster> {
  const root = await mkdtemp(join(tmpdir(), 'cairn-gossip-cluster-'));
  const key = logKey();
  const witnesses: TestWitness[] = [];
  const skeys = Array.from({ length: n }, (_, i) => generateSignerKey(`witness-${i}.example`, new Uint8Array(32).fill(60 + i)));
  for (let i = 0; i < n; i++) {
    const dir = join(root, `w${i}`);
    const skey = skeys[i]!;
    const cosigners = skeys.filter((_, j) => j !== i).map((k) => cosignatureVerifierKey(k));
    const parts = await startOne(dir, skey, key, logUrl, [], cosigners);
    const w: TestWitness = {
      index: i, dir, skey, vkey: cosignatureVerifierKey(skey), ...parts,
      add: (body) => answerAddCheckpoint(w.witness, body),
      addr: () => w.net.multiaddrs()[0]!,
      async stop() {
        await w.net.stop();
        await w.storage.close();
      },
      async restart(peers) {
        Object.assign(w, await startOne(dir, skey, key, logUrl, peers, cosigners));
      },
    };
    witnesses.push(w);
  }
  for (const [a, b] of edges) {
    witnesses[a]!.net.host.addPeer(witnesses[b]!.addr());
    witnesses[b]!.net.host.addPeer(witnesses[a]!.addr());
  }
  const degree = witnesses.map((_, i) => edges.filter(([a, b]) => a === i || b === i).length);
  const topics = [checkpointTopic(ORIGIN), ALARM_TOPIC];
  await waitFor(() => witnesses.every((w, i) => topics.every((t) => w.net.host.pubsub.getSubscribers(t).length >= degree[i]!)), 'topic subscriptions', 15_000);
  return {
    key,
    witnesses,
    async close() {
      await Promise.allSettled(witnesses.map((w) => w.stop()));
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** An add-checkpoint body `old 0` for the first `size` leaves of `leaves`, signed with the real log key. */
export function firstBody(key: LogKey, leaves: readonly Uint8Array[], size: number): Uint8Array {
  return formatAddCheckpointRequest({ oldSize: 0n, proof: [], checkpoint: signedCheckpoint(key, leaves, size) });
}

export const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Polls the async `cond` every 50 ms until true; throws after `timeoutMs` (a bound, not a speed assertion). */
export async function until(cond: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
