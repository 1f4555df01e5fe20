/**
 * Counters of the gossip layer, as one plain mutable object (read it, serialise it, expose it
 * from a status endpoint), and their Prometheus form ({@link registerGossipMetrics}, through
 * `prom-client`) for a server's `/metrics`.
 */
import { Counter, type Registry } from 'prom-client';

/** Why a message was not accepted for relay (see topics.ts). */
export type RejectReason =
  | 'oversized' // larger than the topic's cap
  | 'malformed' // not a signed checkpoint note / not a canonical evidence record
  | 'wrong-origin' // the checkpoint's origin does not belong to the topic
  | 'unsigned' // no signature from a configured log key
  | 'bad-signature' // a configured key's signature does not verify
  | 'not-proven' // evidence that does not verify
  | 'internal-error'; // a bug while validating (the message is dropped, the node keeps going)

/** Why a message was ignored (not relayed, sender not penalised). */
export type IgnoreReason = 'unknown-origin';

export interface GossipMetrics {
  /** Checkpoint messages that passed validation. */
  checkpointsAccepted: number;
  /** Evidence messages that passed validation. */
  evidenceAccepted: number;
  rejected: Record<RejectReason, number>;
  ignored: Record<IgnoreReason, number>;
  /** Evidence records this node created (by kind). */
  evidenceCreated: { equivocation: number; inconsistency: number; 'unproven-inconsistency': number };
  /** Evidence records persisted through `recordEvidence` (own and received). */
  evidenceRecorded: number;
  /** Evidence records published on the alarm topic. */
  evidencePublished: number;
  /** Gossiped checkpoints merged into the local latest (same size and root). */
  cosignaturesMerged: number;
  /** Consistency checks against the log's tiles, and how many failed to fetch. */
  consistencyChecks: number;
  tileFetchFailures: number;
  /** Handler errors in the detector (logged, never thrown into libp2p). */
  detectorErrors: number;
  /** Connections from peers not on the allowlist, refused by the connection gater after the handshake. */
  peersRefused: number;
}

export function createMetrics(): GossipMetrics {
  return {
    checkpointsAccepted: 0,
    evidenceAccepted: 0,
    rejected: { oversized: 0, malformed: 0, 'wrong-origin': 0, unsigned: 0, 'bad-signature': 0, 'not-proven': 0, 'internal-error': 0 },
    ignored: { 'unknown-origin': 0 },
    evidenceCreated: { equivocation: 0, inconsistency: 0, 'unproven-inconsistency': 0 },
    evidenceRecorded: 0,
    evidencePublished: 0,
    cosignaturesMerged: 0,
    consistencyChecks: 0,
    tileFetchFailures: 0,
    detectorErrors: 0,
    peersRefused: 0,
  };
}

/** Registers `metrics` (read at each scrape) in `registry` as `cairn_gossip_*` counters. */
export function registerGossipMetrics(registry: Registry, metrics: GossipMetrics): void {
  const registers = [registry];
  const counter = (name: string, help: string, value: () => number) =>
    new Counter({
      name, help, registers,
      collect() {
        this.reset();
        this.inc(value());
      },
    });
  const byLabel = <K extends string>(name: string, help: string, label: string, value: () => Record<K, number>) =>
    new Counter({
      name, help, labelNames: [label], registers,
      collect() {
        this.reset();
        for (const [k, v] of Object.entries(value()) as [K, number][]) this.inc({ [label]: k }, v);
      },
    });
  counter('cairn_gossip_peers_refused_total', 'Connections from peers not on the allowlist, refused after the handshake.', () => metrics.peersRefused);
  counter('cairn_gossip_checkpoints_accepted_total', 'Gossiped checkpoint messages that passed validation.', () => metrics.checkpointsAccepted);
  counter('cairn_gossip_evidence_accepted_total', 'Gossiped evidence messages that passed validation.', () => metrics.evidenceAccepted);
  byLabel('cairn_gossip_messages_rejected_total', 'Gossip messages rejected (not relayed, sender penalised), by reason.', 'reason', () => metrics.rejected);
  byLabel('cairn_gossip_messages_ignored_total', 'Gossip messages ignored (not relayed), by reason.', 'reason', () => metrics.ignored);
  byLabel('cairn_gossip_evidence_created_total', 'Split-view evidence records this node created, by kind.', 'kind', () => metrics.evidenceCreated);
  counter('cairn_gossip_evidence_recorded_total', 'Evidence records persisted (own and received).', () => metrics.evidenceRecorded);
  counter('cairn_gossip_evidence_published_total', 'Evidence records published on the alarm topic.', () => metrics.evidencePublished);
  counter('cairn_gossip_cosignatures_merged_total', 'Gossiped checkpoints merged into the local latest.', () => metrics.cosignaturesMerged);
  counter('cairn_gossip_consistency_checks_total', 'Consistency checks against the log\'s tiles.', () => metrics.consistencyChecks);
  counter('cairn_gossip_tile_fetch_failures_total', 'Tile fetches that failed during consistency checks.', () => metrics.tileFetchFailures);
  counter('cairn_gossip_detector_errors_total', 'Handler errors in the split-view detector.', () => metrics.detectorErrors);
}
