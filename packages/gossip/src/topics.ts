/**
 * gossipsub topics of the Cairn witness network and their validators.
 *
 * - `/cairn/checkpoints/1/<hex sha256(origin)>`: one topic per log origin (the origin hash of
 *   tlog-witness's monitoring path), carrying the raw bytes of a signed (usually cosigned)
 *   checkpoint note, exactly as signed:
 *   ```
 *   example.com/log\n
 *   12\n
 *   fNf2kXGo0XkBX8nYxH7fBVSOWdqdR9d4hOqeqqPoY0M=\n
 *   \n
 *   — example.com/log HF5/R2j1p…=\n
 *   — witness-1.example HF3Q…=\n
 *   ```
 * - `/cairn/alarms/1`: canonical evidence records (evidence.ts).
 *
 * Validation runs before delivery and relay (gossipsub topic validators) and never throws:
 *
 * | message | result | metric |
 * |---|---|---|
 * | checkpoint larger than {@link MAX_CHECKPOINT_MESSAGE_SIZE} / evidence larger than MAX_EVIDENCE_SIZE | Reject | `oversized` |
 * | not a strict signed checkpoint note (extension lines included) / not canonical evidence | Reject | `malformed` |
 * | checkpoint origin is not the topic's origin | Reject | `wrong-origin` |
 * | no signature from a configured log key for that origin | Reject | `unsigned` |
 * | a configured key's signature fails | Reject | `bad-signature` |
 * | evidence about an origin this node does not follow | Ignore | `unknown-origin` |
 * | evidence that is not proven (an `unproven-inconsistency` whose notes verify is accepted) | Reject | `not-proven` |
 *
 * Reject tells gossipsub the sender misbehaved (peer scoring penalises it); Ignore just drops.
 */
import './polyfill.js';
import { TopicValidatorResult, type GossipSub, type GossipsubMessage } from '@libp2p/gossipsub';
import {
  FormatError,
  InvalidSignatureError,
  openNote,
  originHash,
  parseCheckpointNote,
  UnverifiedNoteError,
  type Checkpoint,
  type Verifier,
} from '@cairn/formats';
import { EvidenceError } from './errors.js';
import { MAX_EVIDENCE_SIZE, parseEvidence, type EvidenceRecord } from './evidence.js';
import { verifyEvidence, type EvidenceVerdict } from './evidence-verify.js';
import type { GossipMetrics, IgnoreReason, RejectReason } from './metrics.js';

export const CHECKPOINT_TOPIC_PREFIX = '/cairn/checkpoints/1/';
export const ALARM_TOPIC = '/cairn/alarms/1';
/** Largest checkpoint message (a cosigned checkpoint is < 1 kB per handful of witnesses). */
export const MAX_CHECKPOINT_MESSAGE_SIZE = 64 * 1024;

/** The topic of a log origin: `/cairn/checkpoints/1/<hex sha256(origin)>`. */
export function checkpointTopic(origin: string): string {
  return CHECKPOINT_TOPIC_PREFIX + originHash(origin);
}

export type Validation<T> =
  | { readonly result: 'accept'; readonly value: T }
  | { readonly result: 'reject'; readonly reason: RejectReason }
  | { readonly result: 'ignore'; readonly reason: IgnoreReason };

/** Validates a checkpoint message for `origin` against its configured log verifiers. */
export function validateCheckpointMessage(data: Uint8Array, origin: string, verifiers: readonly Verifier[]): Validation<Checkpoint> {
  if (data.length > MAX_CHECKPOINT_MESSAGE_SIZE) return { result: 'reject', reason: 'oversized' };
  let checkpoint: Checkpoint;
  try {
    checkpoint = parseCheckpointNote(data).checkpoint;
  } catch (e) {
    if (e instanceof FormatError) return { result: 'reject', reason: 'malformed' };
    return { result: 'reject', reason: 'internal-error' };
  }
  if (checkpoint.extensions.length > 0) return { result: 'reject', reason: 'malformed' };
  if (checkpoint.origin !== origin) return { result: 'reject', reason: 'wrong-origin' };
  try {
    openNote(data, verifiers);
  } catch (e) {
    if (e instanceof UnverifiedNoteError) return { result: 'reject', reason: 'unsigned' };
    if (e instanceof InvalidSignatureError) return { result: 'reject', reason: 'bad-signature' };
    return { result: 'reject', reason: e instanceof FormatError ? 'malformed' : 'internal-error' };
  }
  return { result: 'accept', value: checkpoint };
}

export interface AcceptedEvidence {
  readonly record: EvidenceRecord;
  readonly verdict: EvidenceVerdict;
}

/** Validates an alarm message; `logVerifiers` gives the configured keys of followed origins. */
export function validateEvidenceMessage(
  data: Uint8Array,
  logVerifiers: (origin: string) => readonly Verifier[] | undefined,
): Validation<AcceptedEvidence> {
  if (data.length > MAX_EVIDENCE_SIZE) return { result: 'reject', reason: 'oversized' };
  let record: EvidenceRecord;
  try {
    record = parseEvidence(data);
  } catch (e) {
    return { result: 'reject', reason: e instanceof EvidenceError ? 'malformed' : 'internal-error' };
  }
  const verifiers = logVerifiers(record.origin);
  if (verifiers === undefined) return { result: 'ignore', reason: 'unknown-origin' };
  let verdict: EvidenceVerdict;
  try {
    verdict = verifyEvidence(record, { verifiers });
  } catch {
    return { result: 'reject', reason: 'internal-error' };
  }
  if (verdict.proven || (record.kind === 'unproven-inconsistency' && verdict.notesVerified)) {
    return { result: 'accept', value: { record, verdict } };
  }
  return { result: 'reject', reason: 'not-proven' };
}

export interface GossipedCheckpoint {
  readonly origin: string;
  readonly note: Uint8Array;
  readonly checkpoint: Checkpoint;
  /** The peer that relayed it to us. */
  readonly from: string;
}

export interface GossipedEvidence extends AcceptedEvidence {
  readonly bytes: Uint8Array;
  readonly from: string;
}

export interface GossipTopicsOptions {
  /** Configured log verifiers of an origin this node follows, else undefined. */
  readonly logVerifiers: (origin: string) => readonly Verifier[] | undefined;
  readonly metrics: GossipMetrics;
}

const toLibp2p = { accept: TopicValidatorResult.Accept, reject: TopicValidatorResult.Reject, ignore: TopicValidatorResult.Ignore };

/**
 * Subscribes to the topics, installs the validators, counts outcomes and hands accepted
 * messages to listeners. Listener errors are swallowed (counted by the caller if it wants).
 */
export class GossipTopics {
  readonly #pubsub: GossipSub;
  readonly #options: GossipTopicsOptions;
  readonly #origins = new Map<string, string>(); // topic → origin
  readonly #checkpointListeners = new Set<(m: GossipedCheckpoint) => void>();
  readonly #evidenceListeners = new Set<(m: GossipedEvidence) => void>();
  readonly #onMessage = (evt: CustomEvent<GossipsubMessage>): void => this.#dispatch(evt.detail);
  #alarms = false;

  constructor(pubsub: GossipSub, options: GossipTopicsOptions) {
    this.#pubsub = pubsub;
    this.#options = options;
    pubsub.addEventListener('gossipsub:message', this.#onMessage);
  }

  /** Subscribes to an origin's checkpoint topic (idempotent). */
  follow(origin: string): string {
    const topic = checkpointTopic(origin);
    if (this.#origins.has(topic)) return topic;
    this.#origins.set(topic, origin);
    const metrics = this.#options.metrics;
    this.#pubsub.topicValidators.set(topic, (_peer, msg) => {
      const verifiers = this.#options.logVerifiers(origin);
      if (verifiers === undefined) {
        metrics.ignored['unknown-origin']++;
        return TopicValidatorResult.Ignore;
      }
      const v = validateCheckpointMessage(msg.data, origin, verifiers);
      this.#count(v);
      if (v.result === 'accept') metrics.checkpointsAccepted++;
      return toLibp2p[v.result];
    });
    this.#pubsub.subscribe(topic);
    return topic;
  }

  unfollow(origin: string): void {
    const topic = checkpointTopic(origin);
    if (!this.#origins.delete(topic)) return;
    this.#pubsub.unsubscribe(topic);
    this.#pubsub.topicValidators.delete(topic);
  }

  /** Subscribes to the alarm topic (idempotent). */
  subscribeAlarms(): void {
    if (this.#alarms) return;
    this.#alarms = true;
    this.#pubsub.topicValidators.set(ALARM_TOPIC, (_peer, msg) => {
      const v = validateEvidenceMessage(msg.data, this.#options.logVerifiers);
      this.#count(v);
      if (v.result === 'accept') this.#options.metrics.evidenceAccepted++;
      return toLibp2p[v.result];
    });
    this.#pubsub.subscribe(ALARM_TOPIC);
  }

  /** Publishes a signed checkpoint note on its origin's topic; returns the recipient count. */
  async publishCheckpoint(origin: string, note: Uint8Array): Promise<number> {
    return (await this.#pubsub.publish(checkpointTopic(origin), note)).recipients.length;
  }

  /** Publishes a canonical evidence record on the alarm topic; returns the recipient count. */
  async publishEvidence(bytes: Uint8Array): Promise<number> {
    return (await this.#pubsub.publish(ALARM_TOPIC, bytes)).recipients.length;
  }

  onCheckpoint(listener: (m: GossipedCheckpoint) => void): () => void {
    this.#checkpointListeners.add(listener);
    return () => this.#checkpointListeners.delete(listener);
  }

  onEvidence(listener: (m: GossipedEvidence) => void): () => void {
    this.#evidenceListeners.add(listener);
    return () => this.#evidenceListeners.delete(listener);
  }

  close(): void {
    this.#pubsub.removeEventListener('gossipsub:message', this.#onMessage);
    for (const [topic] of this.#origins) {
      this.#pubsub.unsubscribe(topic);
      this.#pubsub.topicValidators.delete(topic);
    }
    this.#origins.clear();
    if (this.#alarms) {
      this.#pubsub.unsubscribe(ALARM_TOPIC);
      this.#pubsub.topicValidators.delete(ALARM_TOPIC);
      this.#alarms = false;
    }
  }

  #count(v: Validation<unknown>): void {
    if (v.result === 'reject') this.#options.metrics.rejected[v.reason]++;
    else if (v.result === 'ignore') this.#options.metrics.ignored[v.reason]++;
  }

  #dispatch(m: GossipsubMessage): void {
    const { topic, data } = m.msg;
    const from = m.propagationSource.toString();
    // Accepted messages were validated moments ago; parsing again is cheap and keeps this stateless.
    try {
      if (topic === ALARM_TOPIC) {
        const v = validateEvidenceMessage(data, this.#options.logVerifiers);
        if (v.result !== 'accept') return;
        for (const l of this.#evidenceListeners) safely(() => l({ ...v.value, bytes: data, from }));
        return;
      }
      const origin = this.#origins.get(topic);
      if (origin === undefined) return;
      const checkpoint = parseCheckpointNote(data).checkpoint;
      for (const l of this.#checkpointListeners) safely(() => l({ origin, note: data, checkpoint, from }));
    } catch {
      // Never let a malformed message or a listener bug reach libp2p.
    }
  }
}

function safely(f: () => void): void {
  try {
    f();
  } catch {
    // listener errors are the listener's business
  }
}
