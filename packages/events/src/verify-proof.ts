/**
 * Offline verification of an event proof (proof.ts). Every link is checked in order, and the
 * first that fails is named by its {@link EventProofError} code:
 *
 * | link | code |
 * |---|---|
 * | the file's envelope parses | `malformed`, `too-large` |
 * | the event is a valid OCSF event (cause: the EventError with its JSON path) | `event-invalid` |
 * | the event bytes are its canonical (RFC 8785) bytes | `event-not-canonical` |
 * | the leaf record parses | `leaf-malformed` |
 * | SHA-256(salt ‖ event) equals the leaf's commitment | `commitment-mismatch` |
 * | the leaf's time and class are the event's | `leaf-mismatch` |
 * | the tlog-proof bundle parses | `bundle-malformed` |
 * | the checkpoint is signed by the policy's log key (and is for `origin`, if given) | `checkpoint-invalid` |
 * | the witness cosignatures meet the policy's quorum | `policy-not-met` |
 * | the RFC 6962 leaf hash of the leaf record is entry `index` under the checkpoint root | `inclusion-failed` |
 *
 * The checkpoint is verified either under a c2sp.org/tlog-policy (`opts.policy`, through
 * `verifyCheckpointUnderPolicy` of @cairn/formats: log signature and quorum, no clock), or by a
 * caller-supplied `opts.verifyCheckpoint` — the way to add clock rules, e.g. @cairn/client's
 * `verifyCheckpoint(note, policy, { now })`, which this package may not import. An error thrown
 * by that function becomes `checkpoint-invalid` (`policy-not-met` when its code is
 * `quorum-not-met`), with the error as `cause`.
 */
import { FormatError, parseProofBundle, verifyCheckpointUnderPolicy, type Policy, type ProofBundle } from '@cairn/formats';
import { bytesEqual, leafHash as rfc6962LeafHash, MerkleError, verifyInclusion } from '@cairn/merkle';
import { EventProofError, EventsError } from './errors.js';
import { parseEvent, type ValidatedEvent } from './event.js';
import { commitEvent, parseLeaf, type EventLeaf } from './leaf.js';
import { parseEventProof } from './proof.js';

/** The parts of a verified checkpoint that inclusion needs. */
export interface CheckpointLike {
  readonly origin: string;
  readonly size: bigint;
  readonly rootHash: Uint8Array;
}

/** Options of {@link verifyEventProof}: a policy, or a checkpoint verifier; optionally the origin. */
export interface VerifyEventProofOptions {
  /** Verify the checkpoint under this tlog-policy (log key + witness quorum). */
  readonly policy?: Policy;
  /** Or verify it with this function (it throws when the checkpoint is not acceptable). */
  readonly verifyCheckpoint?: (note: string) => CheckpointLike;
  /** When set, the checkpoint must be for this origin. */
  readonly origin?: string;
}

/** What a verified event proof proves: this event is entry `index` of the log at this checkpoint. */
export interface VerifiedEventProof {
  readonly event: ValidatedEvent;
  readonly leaf: EventLeaf;
  readonly leafBytes: Uint8Array;
  readonly leafHash: Uint8Array;
  readonly salt: Uint8Array;
  readonly index: bigint;
  readonly checkpoint: CheckpointLike;
  /** The cosigned checkpoint note, verbatim. */
  readonly checkpointNote: string;
}

/** Verifies an event proof file. Throws only {@link EventProofError}. */
export function verifyEventProof(input: Uint8Array, opts: VerifyEventProofOptions): VerifiedEventProof {
  if (typeof opts !== 'object' || opts === null || (opts.policy === undefined) === (opts.verifyCheckpoint === undefined)) {
    throw new EventProofError('bad-input', 'give exactly one of `policy` and `verifyCheckpoint`');
  }
  const p = parseEventProof(input);

  let event: ValidatedEvent;
  try {
    event = parseEvent(p.event);
  } catch (e) {
    throw new EventProofError('event-invalid', `the event is not a valid OCSF event: ${(e as Error).message}`, { cause: e });
  }
  if (!bytesEqual(event.canonical, p.event)) throw new EventProofError('event-not-canonical', 'the event bytes are not its RFC 8785 canonical bytes');

  let leaf: EventLeaf;
  try {
    leaf = parseLeaf(p.leaf);
  } catch (e) {
    throw new EventProofError('leaf-malformed', `the leaf record does not parse: ${(e as Error).message}`, { cause: e });
  }
  if (!bytesEqual(commitEvent(p.salt, p.event), leaf.commitment)) {
    throw new EventProofError('commitment-mismatch', 'SHA-256(salt ‖ event) is not the commitment in the leaf record');
  }
  if (leaf.time !== BigInt(event.time) || leaf.classUid !== BigInt(event.classUid)) {
    throw new EventProofError('leaf-mismatch', `the leaf says time ${leaf.time} class ${leaf.classUid}, the event time ${event.time} class ${event.classUid}`);
  }

  let bundle: ProofBundle;
  try {
    bundle = parseProofBundle(p.bundle);
  } catch (e) {
    throw new EventProofError('bundle-malformed', `the tlog-proof bundle does not parse: ${(e as Error).message}`, { cause: e });
  }
  const checkpoint = opts.policy !== undefined ? underPolicy(bundle.checkpoint, opts.policy, opts.origin) : byCaller(bundle.checkpoint, opts);
  if (opts.origin !== undefined && checkpoint.origin !== opts.origin) {
    throw new EventProofError('checkpoint-invalid', `the checkpoint is for "${checkpoint.origin}", not "${opts.origin}"`);
  }
  const leafHash = rfc6962LeafHash(p.leaf);
  try {
    verifyInclusion(bundle.index, checkpoint.size, leafHash, bundle.proof, checkpoint.rootHash);
  } catch (e) {
    if (e instanceof MerkleError) {
      throw new EventProofError('inclusion-failed', `the leaf is not entry ${bundle.index} of ${checkpoint.origin} at size ${checkpoint.size}: ${e.message}`, { cause: e });
    }
    throw e;
  }
  return Object.freeze({
    event,
    leaf,
    leafBytes: p.leaf,
    leafHash,
    salt: p.salt,
    index: bundle.index,
    checkpoint,
    checkpointNote: bundle.checkpoint,
  });
}

function underPolicy(note: string, policy: Policy, origin: string | undefined): CheckpointLike {
  try {
    const v = verifyCheckpointUnderPolicy(note, policy, origin === undefined ? {} : { origin });
    if (!v.quorum.satisfied) {
      throw new EventProofError('policy-not-met', `the witness quorum "${policy.quorum}" is not met; missing ${v.quorum.missing.join(', ')}`);
    }
    return v.checkpoint;
  } catch (e) {
    if (e instanceof EventsError) throw e;
    if (e instanceof FormatError) throw new EventProofError('checkpoint-invalid', `the checkpoint does not verify under the policy: ${e.message} (${e.code})`, { cause: e });
    throw e;
  }
}

function byCaller(note: string, opts: VerifyEventProofOptions): CheckpointLike {
  let c: CheckpointLike;
  try {
    c = opts.verifyCheckpoint!(note);
  } catch (e) {
    const code = (e as { code?: unknown } | null)?.code === 'quorum-not-met' ? 'policy-not-met' : 'checkpoint-invalid';
    throw new EventProofError(code, `the checkpoint was not accepted: ${(e as Error)?.message ?? String(e)}`, { cause: e });
  }
  if (typeof c !== 'object' || c === null || typeof c.size !== 'bigint' || !(c.rootHash instanceof Uint8Array) || typeof c.origin !== 'string') {
    throw new EventProofError('bad-input', 'verifyCheckpoint must return { origin, size, rootHash }');
  }
  return c;
}
