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
import type { Witness, WitnessLogger } from '@cairn/witness';
import { WitnessGossipView } from './witness-view.js';

type PeerId = GossipHost['peerId'];

/** Evidence records offered to a peer in a catch-up snapshot (newest first). */
export const SYNC_EVIDENCE_RECORDS = 64;
/** Attempts of the catch-up exchange per new connection (the peer may still be registering its handlers). */
const SYNC_ATTEMPTS = 3;
const SYNC_RETRY_MS = 300;

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
}

/** A running witness-network node. */
export interface WitnessNetwork {
  readonly host: GossipHost;
  readonly topics: GossipTopics;
  readonly detector: SplitViewDetector;
  readonly view: WitnessGossipView;
  readonly peerId: string;
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
  const offs: (() => void)[] = [];
  offs.push(detector.attach(topics));
  offs.push(topics.onCheckpoint((m) => view.remember(m.origin, m.note)));
  offs.push(topics.onEvidence((m) => logger?.warn('evidence received', { origin: m.record.origin, kind: m.record.kind, proven: m.verdict.proven, from: m.from })));
  for (const origin of witness.logs.keys()) topics.follow(origin);
  topics.subscribeAlarms();

  offs.push(witness.onCosigned((r) => {
    topics.publishCheckpoint(r.origin, utf8Encode(r.note)).catch(onError('publishing a checkpoint failed'));
  }));
  offs.push(witness.onMisbehaviour((m) => {
    if (m.kind !== 'fork' && m.kind !== 'inconsistent') return;
    detector.checkCheckpoint(m.origin, utf8Encode(m.offeredNote), 'local').then(
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
  };
  const syncOnConnect = async (peer: PeerId): Promise<void> => {
    for (let attempt = 1; attempt <= SYNC_ATTEMPTS && !stopped; attempt++) {
      try {
        await syncWith(peer);
        return;
      } catch (e) {
        if (attempt === SYNC_ATTEMPTS) logger?.info('catch-up with a peer failed', { peer: peer.toString(), error: String((e as Error).message) });
        else await new Promise((r) => setTimeout(r, SYNC_RETRY_MS * attempt).unref?.());
      }
    }
  };
  const onConnect = (evt: CustomEvent<PeerId>): void => void syncOnConnect(evt.detail);
  host.node.addEventListener('peer:connect', onConnect);

  if (o.addCheckpoint !== undefined) await handleAddCheckpoint(host.node, o.addCheckpoint);

  return {
    host,
    topics,
    detector,
    view,
    peerId,
    metrics,
    multiaddrs: () => host.multiaddrs().map((a) => a.toString()),
    connectedPeers: () => [...new Set(host.node.getConnections().map((c) => c.remotePeer.toString()))],
    syncWith,
    async stop() {
      if (stopped) return;
      stopped = true;
      host.node.removeEventListener('peer:connect', onConnect);
      for (const off of offs) off();
      view.close();
      topics.close();
      await host.stop();
    },
  };
}
