/**
 * Counters of the gossip layer, as one plain mutable object (read it, serialise it, expose it
 * from a status endpoint). Nothing here is exported to a metrics system yet.
 */

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
  };
}
