/**
 * `@cairn/gossip/evidence`: the pure, browser-safe part of the package — parse, format, name
 * and verify split-view evidence records offline (no libp2p, no `node:*`).
 *
 * @example
 * ```ts
 * import { parseEvidence, verifyEvidence } from '@cairn/gossip/evidence';
 *
 * const record = parseEvidence(text);                        // EvidenceError if not canonical
 * const { proven, reason } = verifyEvidence(record, { logVkeys: [trustedLogVkey] });
 * ```
 */
export { GossipError, EvidenceError } from './errors.js';
export type { EvidenceErrorCode } from './errors.js';
export {
  EVIDENCE_VERSION,
  MAX_EVIDENCE_SIZE,
  MAX_EVIDENCE_NOTE_LENGTH,
  MAX_EVIDENCE_VKEYS,
  MAX_EVIDENCE_PROOF_LENGTH,
  MAX_EVIDENCE_TEXT_LENGTH,
  parseEvidence,
  formatEvidence,
  evidenceId,
  evidenceCheckpoints,
  conflictKey,
  evidenceConflictKey,
} from './evidence.js';
export type { EvidenceKind, EvidenceRecord, ObservedNote, ConsistencyEvidence } from './evidence.js';
export { verifyEvidence } from './evidence-verify.js';
export type { VerifyEvidenceOptions, EvidenceVerdict } from './evidence-verify.js';
