/**
 * Test-only helpers (not exported from the package): a log key from a fixed seed, forked trees,
 * signed checkpoints, a fake WitnessView, a tiny tlog-tiles HTTP server, libp2p node sets on
 * 127.0.0.1 and a bounded wait.
 */
import './polyfill.js';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  formatCheckpoint,
  generateSignerKey,
  parseCheckpointNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
  utf8Encode,
  verifierKeyFromSigner,
  type KeyedSigner,
  type Verifier,
} from '@cairn/formats';
import { formatTilePath, leafHash, tilesForAppend, treeHash, type NodeReader } from '@cairn/merkle';
import type { WitnessView } from './detector.js';
import { createGossipHost, type GossipHost } from './host.js';
import { GossipTopics, type GossipedCheckpoint, type GossipedEvidence } from './topics.js';
import type { EvidenceRecord } from './evidence.js';

export const ORIGIN = 'example.com/cairn-test-log';

export interface LogKey {
  readonly signer: KeyedSigner;
  readonly verifier: Verifier;
  readonly vkey: string;
}

export function logKey(origin = ORIGIN, seedByte = 7): LogKey {
  const skey = generateSignerKey(origin, new Uint8Array(32).fill(seedByte));
  const vkey = verifierKeyFromSigner(skey);
  return { signer: parseSignerKey(skey), verifier: parseVerifierKey(vkey), vkey };
}

/** Leaf hashes: `common` shared leaves, then `total - common` leaves specific to `branch`. */
export function forkLeaves(branch: string, common: number, total: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < total; i++) out.push(leafHash(utf8Encode(i < common ? `event ${i}` : `event ${i} on ${branch}`)));
  return out;
}

export function readerOf(leaves: readonly Uint8Array[]): NodeReader {
  return {
    readNodes: (ids) =>
      ids.map(({ level, index }) => {
        const start = Number(index) << level;
        return treeHash(leaves.slice(start, start + (1 << level)));
      }),
  };
}

/** A signed checkpoint note for the first `size` of `leaves`. */
export function signedCheckpoint(key: LogKey, leaves: readonly Uint8Array[], size: number, origin = ORIGIN): string {
  const text = formatCheckpoint({ origin, size: BigInt(size), rootHash: treeHash(leaves.slice(0, size)), extensions: [] });
  return signNote(text, [key.signer]);
}

/** An in-memory WitnessView. */
export class FakeWitness implements WitnessView {
  readonly evidence: EvidenceRecord[] = [];
  readonly merged: Uint8Array[] = [];
  #latest: { note: Uint8Array; size: bigint; rootHash: Uint8Array } | undefined;

  constructor(
    readonly key: LogKey,
    readonly logUrl?: string,
    readonly origin = ORIGIN,
  ) {}

  setLatest(note: string): void {
    const { checkpoint } = parseCheckpointNote(note);
    this.#latest = { note: utf8Encode(note), size: checkpoint.size, rootHash: checkpoint.rootHash };
  }

  follows(origin: string) {
    if (origin !== this.origin) return undefined;
    return this.logUrl === undefined ? { verifiers: [this.key.verifier] } : { verifiers: [this.key.verifier], logUrl: this.logUrl };
  }

  latest(origin: string) {
    return origin === this.origin ? this.#latest : undefined;
  }

  async mergeCosignatures(_origin: string, note: Uint8Array): Promise<void> {
    this.merged.push(note);
  }

  async recordEvidence(record: EvidenceRecord): Promise<void> {
    this.evidence.push(record);
  }
}

/** Serves `tile/…` paths of the tree over `leaves` at 127.0.0.1; counts requests. */
export async function startTileServer(leaves: readonly Uint8Array[]): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const tiles = new Map<string, Uint8Array>();
  for (const t of tilesForAppend(0n, leaves, () => [])) tiles.set(formatTilePath(t.tile), t.data);
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').replace(/^\/log\//, '');
    requests.push(path);
    const data = tiles.get(path);
    if (data === undefined) {
      res.writeHead(404).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(data);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no address');
  return {
    url: `http://127.0.0.1:${addr.port}/log`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function tempDir(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'cairn-gossip-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Polls `cond` every 20 ms until true; throws after `timeoutMs` (a bound, not an assertion on speed). */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}


export interface TestNode {
  readonly host: GossipHost;
  readonly topics: GossipTopics;
  readonly checkpoints: GossipedCheckpoint[];
  readonly evidence: GossipedEvidence[];
  readonly dataDir: string;
  addr(): string;
}

/** A host on 127.0.0.1 following ORIGIN under `keys`, recording what it delivers. */
export async function startNode(dataDir: string, keys: readonly Verifier[], options: { peers?: string[]; port?: number } = {}): Promise<TestNode> {
  const host = await createGossipHost({
    dataDir,
    listen: [`/ip4/127.0.0.1/tcp/${options.port ?? 0}`],
    peers: options.peers ?? [],
    redialMinMs: 50,
    redialMaxMs: 500,
  });
  const topics = new GossipTopics(host.pubsub, {
    logVerifiers: (origin) => (origin === ORIGIN ? keys : undefined),
    metrics: host.metrics,
  });
  const checkpoints: GossipedCheckpoint[] = [];
  const evidence: GossipedEvidence[] = [];
  topics.onCheckpoint((m) => checkpoints.push(m));
  topics.onEvidence((m) => evidence.push(m));
  topics.follow(ORIGIN);
  topics.subscribeAlarms();
  return { host, topics, checkpoints, evidence, dataDir, addr: () => host.multiaddrs()[0]!.toString() };
}

/** Connects nodes along `edges` (allowlisting both ends) and waits until topic subscriptions are known. */
export async function link(nodes: readonly TestNode[], edges: readonly (readonly [number, number])[], topics: readonly string[]): Promise<void> {
  for (const [a, b] of edges) {
    nodes[a]!.host.addPeer(nodes[b]!.addr());
    nodes[b]!.host.addPeer(nodes[a]!.addr());
  }
  const degree = nodes.map((_, i) => edges.filter(([a, b]) => a === i || b === i).length);
  await waitFor(
    () => nodes.every((n, i) => topics.every((t) => n.host.pubsub.getSubscribers(t).length >= degree[i]!)),
    'topic subscriptions',
  );
}
