/**
 * @cairn/gossip — the Cairn witness network on libp2p: a host with a persistent identity and an
 * allowlist (host.ts, identity.ts), one gossipsub topic per log origin carrying cosigned
 * checkpoint notes and an alarm topic carrying evidence, both validated before relay
 * (topics.ts), split-view detection that turns conflicting log-signed checkpoints into
 * self-verifying evidence (detector.ts, evidence.ts, evidence-verify.ts, tiles-http.ts), and the
 * tlog-witness add-checkpoint exchange over a libp2p stream (stream.ts), and catch-up snapshots
 * between peers on (re)connect (sync.ts). Counters: metrics.ts.
 *
 * The evidence modules (`parseEvidence`, `formatEvidence`, `verifyEvidence`, `evidenceId`) are
 * pure; the rest needs Node (libp2p over TCP, the key file).
 *
 * @example
 * ```ts
 * import { createGossipHost, GossipTopics, SplitViewDetector, type WitnessView } from '@cairn/gossip';
 *
 * const host = await createGossipHost({
 *   dataDir: './witness-data',                       // holds p2p.key (0600)
 *   listen: ['/ip4/0.0.0.0/tcp/4001'],
 *   peers: ['/ip4/10.0.0.2/tcp/4001/p2p/12D3KooW…'], // allowlisted and kept connected
 * });
 * const view: WitnessView = myWitness;                // follows / latest / mergeCosignatures / recordEvidence
 * const topics = new GossipTopics(host.pubsub, {
 *   logVerifiers: (origin) => view.follows(origin)?.verifiers,
 *   metrics: host.metrics,
 * });
 * topics.follow('example.com/log');
 * topics.subscribeAlarms();
 * const detector = new SplitViewDetector({
 *   view,
 *   observer: { name: 'witness-1', peerId: host.peerId.toString() },
 *   publish: (bytes) => topics.publishEvidence(bytes),
 *   metrics: host.metrics,
 * });
 * detector.attach(topics);
 * await topics.publishCheckpoint('example.com/log', cosignedNoteBytes);
 * console.log(host.metrics);                          // accepted/rejected by reason, evidence counts
 * ```
 */
import './polyfill.js';

export { TileFetchError } from './errors.js';
export type { GossipErrorCode, TileFetchErrorCode } from './errors.js';
export { createMetrics, registerGossipMetrics } from './metrics.js';
export type { GossipMetrics, RejectReason, IgnoreReason } from './metrics.js';
export { PEER_KEY_FILE, loadOrCreatePeerIdentity } from './identity.js';
export type { PeerIdentity } from './identity.js';
export {
  DEFAULT_REDIAL_MIN_MS,
  DEFAULT_REDIAL_MAX_MS,
  DEFAULT_DIAL_TIMEOUT_MS,
  MAX_GOSSIP_RPC_BYTES,
  SMALL_NETWORK_GOSSIPSUB,
  createGossipHost,
} from './host.js';
export type { GossipHost, GossipHostOptions, GossipServices } from './host.js';
export {
  CHECKPOINT_TOPIC_PREFIX,
  ALARM_TOPIC,
  MAX_CHECKPOINT_MESSAGE_SIZE,
  checkpointTopic,
  validateCheckpointMessage,
  validateEvidenceMessage,
  GossipTopics,
} from './topics.js';
export type { Validation, AcceptedEvidence, GossipedCheckpoint, GossipedEvidence, GossipTopicsOptions } from './topics.js';
// The pure, browser-safe evidence API (also published alone as `@cairn/gossip/evidence`).
export * from './browser.js';
export { DEFAULT_TILE_TIMEOUT_MS, consistencyFromTiles } from './tiles-http.js';
export type { TileFetchOptions, TileConsistency } from './tiles-http.js';
export { SplitViewDetector } from './detector.js';
export type { WitnessView, SplitViewDetectorOptions, DetectorOutcome } from './detector.js';
export {
  ADD_CHECKPOINT_PROTOCOL,
  MAX_ADD_CHECKPOINT_FRAME,
  MAX_CONTENT_TYPE_LENGTH,
  DEFAULT_STREAM_TIMEOUT_MS,
  handleAddCheckpoint,
  sendAddCheckpoint,
} from './stream.js';
export type { AddCheckpointResponse, AddCheckpointHandler } from './stream.js';
export { SYNC_PROTOCOL, MAX_SYNC_ITEMS, MAX_SYNC_FRAME, DEFAULT_SYNC_TIMEOUT_MS, handleSync, requestSync } from './sync.js';
export type { SyncSnapshot, SyncProvider } from './sync.js';
