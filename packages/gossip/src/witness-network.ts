/**
 * `@cairn/gossip/witness`: a witness on the Cairn witness network (libp2p).
 *
 * `startWitnessNetwork` wires a {@link Witness} to a gossip host:
 * - identity `<dataDir>/p2p.key`; only the configured `peers` (kept connected, re-dialled with
 *   backoff) and `allowPeerIds` (e.g. logs that send add-checkpoint over libp2p) may connect;
 * - one checkpoint topic per configured origin and the alarm topic, validated before relay;
 * - after every successful add-checkpoint the new cosigned note is published on its topic;
 * - gossiped checkpoints go through the split-view detector over {@link WitnessGossipView}:
 *   same checkpoint → cosignatures merged; conflicts → evidence recorded (a proven record
 *   blocks the origin: add-checkpoint answers 403 naming it) and published on the alarm topic;
 *   evidence from the alarm topic is verified and recorded the same way;
 * - add-checkpoint requests the witness refused as a fork or an inconsistency (signed by the
 *   log) are checked by the detector too, so a log that equivocates to this witness directly is
 *   caught without gossip;
 * - on every new connection both sides exchange a snapshot (sync.ts: latest
 *   notes and evidence), so a restarted or late peer catches up;
 * - every log-signed checkpoint learned from a peer (gossip or snapshot) that is larger than the
 *   witness's own goes to the catch-up (catch-up.ts): it becomes the floor of add-checkpoint (409
 *   with its size to anything else) and, once proven consistent from the log's tiles, the
 *   witness's stored checkpoint — so a witness restored from an old backup cannot be made to
 *   cosign a fork its peers' history does not extend;
 * - with `peers`, at start add-checkpoint answers 503 `syncing` until every configured peer's
 *   snapshot has been taken in, or for at most `peerSyncTimeoutMs`
 *   ({@link DEFAULT_PEER_SYNC_TIMEOUT_MS}); `initialSync` resolves what was learned and from whom
 *   (or that no peer was reachable, and the witness goes on from its own state);
 * - with `addCheckpoint`, the tlog-witness add-checkpoint exchange is served over the libp2p
 *   stream protocol too (same bytes as HTTP; the handler comes from @cairn/api
 *   `answerAddCheckpoint`, the one status table).
 *
 * ```ts
 * import { startWitnessNetwork } from '@cairn/gossip/witness';
 * import { answerAddCheckpoint } from '@cairn/api';
 *
 * const net = await startWitnessNetwork({
 *   witness, dataDir: './witness-data', listen: ['/ip4/0.0.0.0/tcp/4001'],
 *   peers: ['/ip4/10.0.0.2/tcp/4001/p2p/12D3KooW…'],
 *   addCheckpoint: (body) => answerAddCheckpoint(witness, body),
 * });
 * console.log(net.multiaddrs());   // ['/ip4/…/tcp/4001/p2p/12D3KooW…']
 * await net.stop();
 * ```
 */
import {
  createGossipHost,
  GossipTopics,
  handleAddCheckpoint,
  handleSync,
  parseEvidence,
  requestSync,
  SplitViewDetector,
  validateCheckpointMessage,
  validateEvidenceMessage,
  type AddCheckpointHandler,
  type GossipHost,
  type GossipHostOptions,
  type GossipMetrics,
} from './index.js';
import { parseCheckpointNote, utf8Encode, FormatError } from '@cairn/formats';
import { CatchUp, type CatchUpStats } from './catch-up.js';
import type { Witness, WitnessLogger } from '@cairn/witness';
import { WitnessGossipView } from './witness-view.js';

type PeerId = GossipHost['peerId'];

/** Evidence records offered to a peer in a catch-up snapshot (newest first). */
export const SYNC_EVIDENCE_RECORDS = 64;
/** Attempts of the catch-up exchange per new connection (the peer may still be registering its handlers). */
const SYNC_ATTEMPTS = 3;
const SYNC_RETRY_MS = 300;
/** How long a witness with peers waits, at start, for their snapshots before it answers add-checkpoint (ms). */
export const DEFAULT_PEER_SYNC_TIMEOUT_MS = 10_000;

/** One configured peer in the start-up sync. */
export interface PeerSyncPeer {
  readonly peerId: string;
  /** Whether its snapshot was taken in. */
  readonly synced: boolean;
  /** The verified checkpoints it holds, per origin (sizes as decimal strings). */
  readonly checkpoints: readonly { readonly origin: string; readonly size: string }[];
  /** Why the exchange failed (last attempt), when it did. */
  readonly error?: string;
}

/** The outcome of the start-up sync (plain JSON for the status endpoint). */
export interface PeerSyncReport {
  /**
   * `off`: no peers configured; `syncing`: still waiting (add-checkpoint answers 503);
   * `synced`: every peer answered; `partial`: some did before the timeout; `unreachable`: none
   * did, and the witness answers from its own state only.
   */
  readonly state: 'off' | 'syncing' | 'synced' | 'partial' | 'unreachable';
  readonly timeoutMs: number;
  readonly peers: readonly PeerSyncPeer[];
  /** Checkpoints above this witness's own learned during the sync: its floor, then (caught up) its state. */
  readonly learned: readonly { readonly origin: string; readonly size: string; readonly storedSize: string; readonly from: string }[];
  /** When the sync ended (ISO 8601). */
  readonly finishedAt?: string;
}

export interface WitnessNetworkOptions {
  readonly witness: Witness;
  /** Holds `p2p.key` (the witness's LevelDB directory is fine). */
  readonly dataDir: string;
  /** libp2p listen multiaddrs, e.g. `/ip4/127.0.0.1/tcp/4001`. */
  readonly listen: readonly string[];
  /** Peer witnesses, each `/…/p2p/<peer ID>`: allowlisted and kept connected. */
  readonly peers?: readonly string[];
  /** Further peer IDs allowed to connect (logs sending add-checkpoint over libp2p, monitors). */
  readonly allowPeerIds?: readonly string[];
  /** Serves `/cairn/tlog-witness/add-checkpoint/1` with this handler when given. */
  readonly addCheckpoint?: AddCheckpointHandler;
  readonly logger?: WitnessLogger;
  /** Host overrides (tests: faster redial). */
  readonly host?: Partial<Pick<GossipHostOptions, 'privateKey' | 'gossipsub' | 'redialMinMs' | 'redialMaxMs' | 'dialTimeoutMs'>>;
  /** fetch for the log's tiles (tests), and its per-request timeout. */
  readonly fetch?: typeof fetch;
  readonly tileTimeoutMs?: number;
  /** Start-up wait for the peers' snapshots (default {@link DEFAULT_PEER_SYNC_TIMEOUT_MS}). */
  readonly peerSyncTimeoutMs?: number;
  /** Catch-up retry pacing (tests). */
  readonly catchUpRetry?: { readonly minMs?: number; readonly maxMs?: number };
}

/** A running witness-network node. */
export interface WitnessNetwork {
  readonly host: GossipHost;
  readonly topics: GossipTopics;
  readonly detector: SplitViewDetector;
  readonly view: WitnessGossipView;
  readonly catchUp: CatchUp;
  readonly peerId: string;
  /** Resolves when the start-up sync ends (at once, `off`, without peers). */
  readonly initialSync: Promise<PeerSyncReport>;
  /** The start-up sync as it stands, and the catch-up counters. */
  peerSync(): PeerSyncReport & { readonly catchUp: CatchUpStats };
  /** Listen addresses with `/p2p/<peer ID>`. */
  multiaddrs(): string[];
  readonly metrics: GossipMetrics;
  /** Peer IDs with an open connection. */
  connectedPeers(): string[];
  /** Runs the catch-up exchange with a connected peer now. */
  syncWith(peer: PeerId): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the node (see the module comment). */
export async function startWitnessNetwork(o: WitnessNetworkOptions): Promise<WitnessNetwork> {
  const { witness, logger } = o;
  const view = await WitnessGossipView.open(witness, logger);
  const host = await createGossipHost({
    dataDir: o.dataDir,
    listen: o.listen,
    peers: o.peers ?? [],
    allowPeerIds: o.allowPeerIds ?? [],
    ...o.host,
    log: (m) => logger?.info('p2p', { message: m }),
    warn: (m, fields) => logger?.warn(m, fields),
  });
  const metrics = host.metrics;
  const logVerifiers = (origin: string) => witness.logs.get(origin)?.verifiers;
  const topics = new GossipTopics(host.pubsub, { logVerifiers, metrics });
  const peerId = host.peerId.toString();
  const detector = new SplitViewDetector({
    view,
    observer: { name: witness.name, peerId },
    publish: (bytes) => topics.publishEvidence(bytes),
    metrics,
    ...(o.fetch === undefined ? {} : { fetch: o.fetch }),
    ...(o.tileTimeoutMs === undefined ? {} : { tileTimeoutMs: o.tileTimeoutMs }),
    log: (m) => logger?.warn('split-view detector', { message: m }),
  });
  const onError = (what: string) => (e: unknown): void => {
    metrics.detectorErrors++;
    logger?.warn(what, { error: String((e as Error)?.message ?? e) });
  };
  const catchUp = new CatchUp({
    witness, logger,
    ...(o.fetch === undefined ? {} : { fetch: o.fetch }),
    ...(o.tileTimeoutMs === undefined ? {} : { tileTimeoutMs: o.tileTimeoutMs }),
    ...(o.catchUpRetry?.minMs === undefined ? {} : { retryMinMs: o.catchUpRetry.minMs }),
    ...(o.catchUpRetry?.maxMs === undefined ? {} : { retryMaxMs: o.catchUpRetry.maxMs }),
  });
  // The start-up sync: add-checkpoint waits (503) until the configured peers' snapshots are in.
  const peerSyncTimeoutMs = o.peerSyncTimeoutMs ?? DEFAULT_PEER_SYNC_TIMEOUT_MS;
  const configured = [...new Set((o.peers ?? []).map((a) => a.slice(a.lastIndexOf('/p2p/') + 5)))];
  const syncPeers = new Map<string, { synced: boolean; checkpoints: { origin: string; size: string }[]; error?: string }>(
    configured.map((id) => [id, { synced: false, checkpoints: [] }]),
  );
  const learned: { origin: string; size: string; storedSize: string; from: string }[] = [];
  let syncState: PeerSyncReport['state'] = configured.length === 0 ? 'off' : 'syncing';
  let finishedAt: string | undefined;
  const report = (): PeerSyncReport => ({
    state: syncState, timeoutMs: peerSyncTimeoutMs,
    peers: [...syncPeers].map(([peerId, p]) => ({ peerId, synced: p.synced, checkpoints: [...p.checkpoints], ...(p.error === undefined ? {} : { error: p.error }) })),
    learned: [...learned],
    ...(finishedAt === undefined ? {} : { finishedAt }),
  });
  let endSync: () => void = () => {};
  const release = configured.length === 0 ? () => {} : witness.hold(`asking ${configured.length} peer witness(es) what they know (at most ${peerSyncTimeoutMs} ms)`);
  const initialSync = configured.length === 0
    ? Promise.resolve(report())
    : new Promise<PeerSyncReport>((resolve) => {
      const timer = setTimeout(() => endSync(), peerSyncTimeoutMs);
      timer.unref?.();
      endSync = () => {
        clearTimeout(timer);
        if (syncState !== 'syncing') return;
        const n = [...syncPeers.values()].filter((p) => p.synced).length;
        syncState = n === syncPeers.size ? 'synced' : n > 0 ? 'partial' : 'unreachable';
        finishedAt = new Date().toISOString();
        release();
        const r = report();
        if (syncState === 'unreachable') {
          logger?.warn('no peer witness reachable at start-up: answering add-checkpoint from this witness\'s own state only', { peers: configured, timeoutMs: peerSyncTimeoutMs });
        } else {
          logger?.info('start-up sync with peer witnesses done', { state: syncState, synced: n, peers: configured.length, learned: r.learned });
        }
        resolve(r);
      };
    });
  const learn = async (note: Uint8Array, from: string, now = false): Promise<void> => {
    const out = await catchUp.learn(note, from, now);
    if (out.action === 'learned' && syncState === 'syncing') {
      const stored = (await witness.latest(out.known.origin))?.size ?? 0n;
      learned.push({ origin: out.known.origin, size: out.known.size.toString(), storedSize: stored.toString(), from });
    }
  };

  const offs: (() => void)[] = [];
  offs.push(detector.attach(topics));
  offs.push(topics.onCheckpoint((m) => {
    view.remember(m.origin, m.note);
    learn(m.note, m.from).catch(onError('learning a gossiped checkpoint failed'));
  }));
  offs.push(topics.onEvidence((m) => logger?.warn('evidence received', { origin: m.record.origin, kind: m.record.kind, proven: m.verdict.proven, from: m.from })));
  for (const origin of witness.logs.keys()) topics.follow(origin);
  topics.subscribeAlarms();

  offs.push(witness.onCosigned((r) => {
    topics.publishCheckpoint(r.origin, utf8Encode(r.note)).catch(onError('publishing a checkpoint failed'));
  }));
  offs.push(witness.onMisbehaviour((m) => {
    if (m.kind !== 'fork' && m.kind !== 'inconsistent') return;
    const check = m.storedNote === undefined
      ? detector.checkCheckpoint(m.origin, utf8Encode(m.offeredNote), 'local')
      : detector.checkPair(m.origin, utf8Encode(m.storedNote), utf8Encode(m.offeredNote), 'local', 'local');
    check.then(
      (out) => logger?.info('refused checkpoint checked for a split view', { origin: m.origin, outcome: out.action }),
      onError('checking a refused checkpoint failed'),
    );
  }));

  // Catch-up snapshots.
  await handleSync(host.node, async () => {
    const checkpoints: Uint8Array[] = [];
    for (const origin of witness.logs.keys()) {
      const l = view.latest(origin);
      if (l !== undefined) checkpoints.push(l.note);
    }
    const evidence = (await witness.evidence({ limit: SYNC_EVIDENCE_RECORDS })).map((e) => utf8Encode(e.record));
    return { checkpoints, evidence };
  });
  const consume = async (from: string, snap: { checkpoints: readonly Uint8Array[]; evidence: readonly Uint8Array[] }): Promise<void> => {
    const peer = syncPeers.get(from);
    for (const note of snap.checkpoints) {
      let origin: string;
      try {
        origin = parseCheckpointNote(note).checkpoint.origin;
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
        metrics.rejected.malformed++;
        continue;
      }
      const verifiers = logVerifiers(origin);
      if (verifiers === undefined) {
        metrics.ignored['unknown-origin']++;
        continue;
      }
      const v = validateCheckpointMessage(note, origin, verifiers);
      if (v.result !== 'accept') {
        if (v.result === 'reject') metrics.rejected[v.reason]++;
        continue;
      }
      metrics.checkpointsAccepted++;
      view.remember(origin, note);
      if (peer !== undefined && !peer.synced && peer.checkpoints.length < witness.logs.size) {
        peer.checkpoints.push({ origin, size: parseCheckpointNote(note).checkpoint.size.toString() });
      }
      await learn(note, from, true);
      await detector.checkCheckpoint(origin, note, from);
    }
    for (const bytes of snap.evidence) {
      const v = validateEvidenceMessage(bytes, logVerifiers);
      if (v.result === 'reject') metrics.rejected[v.reason]++;
      else if (v.result === 'ignore') metrics.ignored[v.reason]++;
      else {
        metrics.evidenceAccepted++;
        await detector.receiveEvidence(parseEvidence(bytes));
      }
    }
  };
  let stopped = false;
  const syncWith = async (peer: PeerId): Promise<void> => {
    const snap = await requestSync(host.node, peer);
    await consume(peer.toString(), snap);
    const p = syncPeers.get(peer.toString());
    if (p !== undefined && !p.synced) {
      p.synced = true;
      delete p.error;
      if (syncState === 'syncing' && [...syncPeers.values()].every((x) => x.synced)) endSync();
    }
  };
  const syncOnConnect = async (peer: PeerId): Promise<void> => {
    for (let attempt = 1; attempt <= SYNC_ATTEMPTS && !stopped; attempt++) {
      try {
        await syncWith(peer);
        return;
      } catch (e) {
        const p = syncPeers.get(peer.toString());
        if (p !== undefined && !p.synced) p.error = String((e as Error).message);
        if (attempt === SYNC_ATTEMPTS) logger?.info('catch-up with a peer failed', { peer: peer.toString(), error: String((e as Error).message) });
        else await new Promise((r) => setTimeout(r, SYNC_RETRY_MS * attempt).unref?.());
      }
    }
  };
  const onConnect = (evt: CustomEvent<PeerId>): void => void syncOnConnect(evt.detail);
  host.node.addEventListener('peer:connect', onConnect);
  // Peers that connected before the listener was in place.
  for (const c of host.node.getConnections()) void syncOnConnect(c.remotePeer);

  if (o.addCheckpoint !== undefined) await handleAddCheckpoint(host.node, o.addCheckpoint);

  return {
    host,
    topics,
    detector,
    view,
    catchUp,
    peerId,
    metrics,
    initialSync,
    peerSync: () => ({ ...report(), catchUp: { ...catchUp.stats } }),
    multiaddrs: () => host.multiaddrs().map((a) => a.toString()),
    connectedPeers: () => [...new Set(host.node.getConnections().map((c) => c.remotePeer.toString()))],
    syncWith,
    async stop() {
      if (stopped) return;
      stopped = true;
      host.node.removeEventListener('peer:connect', onConnect);
      endSync();
      catchUp.stop();
      for (const off of offs) off();
      view.close();
      topics.close();
      await host.stop();
    },
  };
}
