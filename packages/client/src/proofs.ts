/**
 * Inclusion and consistency proofs against checkpoints (RFC 9162 §2.1.3–2.1.4, docs/protocols.md §7),
 * as {@link VerifyError}s that keep the evidence: the checkpoint note(s) when known, the proof,
 * the index and sizes. The math is @cairn/merkle's `verifyInclusion` / `verifyConsistency`.
 *
 * Consistency from the empty tree is handled here (the Merkle layer calls it meaningless): the
 * proof must be empty and the old root must be SHA-256("").
 */
import { EMPTY_ROOT, MerkleError, bytesEqual, leafHash, verifyConsistency, verifyInclusion } from '@cairn/merkle';
import type { Checkpoint } from '@cairn/formats';
import { VerifyError, type VerifyEvidence } from './errors.js';
import type { VerifiedCheckpoint } from './checkpoint.js';

/** A checkpoint body, or a verified checkpoint (whose note then goes into the evidence). */
export type CheckpointLike = Checkpoint | VerifiedCheckpoint;

function body(c: CheckpointLike): Checkpoint {
  if (typeof c !== 'object' || c === null) throw new VerifyError('bad-input', 'a checkpoint is required');
  return 'checkpoint' in c ? c.checkpoint : c;
}

function noteOf(c: CheckpointLike): string | undefined {
  return 'note' in c && typeof c.note === 'string' ? c.note : undefined;
}

function checkHashes(proof: readonly Uint8Array[]): void {
  if (!Array.isArray(proof) || proof.some((h) => !(h instanceof Uint8Array))) {
    throw new VerifyError('bad-input', 'a proof must be an array of Uint8Array hashes');
  }
}

/** The RFC 6962 leaf hash of an entry (SHA-256(0x00 || entry)). */
export function entryLeafHash(entry: Uint8Array): Uint8Array {
  if (!(entry instanceof Uint8Array)) throw new VerifyError('bad-input', 'an entry must be a Uint8Array');
  return leafHash(entry);
}

/**
 * Verifies that `leafHash` is entry `index` of the tree of `checkpoint`. Throws
 * {@link VerifyError} `inclusion-failed` (evidence: note, index, size, proof, leaf hash).
 */
export function verifyInclusionProof(checkpoint: CheckpointLike, index: bigint, leafHash: Uint8Array, proof: readonly Uint8Array[]): void {
  const cp = body(checkpoint);
  if (typeof index !== 'bigint' || index < 0n) throw new VerifyError('bad-input', 'index must be a non-negative bigint');
  if (!(leafHash instanceof Uint8Array)) throw new VerifyError('bad-input', 'leafHash must be a Uint8Array');
  checkHashes(proof);
  const note = noteOf(checkpoint);
  const evidence: VerifyEvidence = { ...(note !== undefined ? { note } : {}), origin: cp.origin, index, size: cp.size, proof, leafHash };
  try {
    verifyInclusion(index, cp.size, leafHash, proof, cp.rootHash);
  } catch (e) {
    if (e instanceof MerkleError) {
      throw new VerifyError('inclusion-failed', `entry ${index} is not proven in the tree of size ${cp.size}: ${e.message} (${e.code})`, evidence, { cause: e });
    }
    throw e;
  }
}

/**
 * Verifies that `newer` extends `older` (same origin, append-only). Throws {@link VerifyError}
 * `consistency-failed` (evidence: both notes when known, both sizes, the proof).
 */
export function verifyConsistencyProof(older: CheckpointLike, newer: CheckpointLike, proof: readonly Uint8Array[]): void {
  const a = body(older);
  const b = body(newer);
  checkHashes(proof);
  const oldNote = noteOf(older);
  const newNote = noteOf(newer);
  const evidence: VerifyEvidence = {
    ...(newNote !== undefined ? { note: newNote } : {}),
    ...(oldNote !== undefined ? { knownNote: oldNote } : {}),
    origin: b.origin,
    knownSize: a.size,
    size: b.size,
    proof,
  };
  const fail = (why: string, cause?: unknown): never => {
    throw new VerifyError('consistency-failed', `tree ${b.size} is not proven to extend tree ${a.size}: ${why}`, evidence, cause === undefined ? undefined : { cause });
  };
  if (a.origin !== b.origin) fail(`different origins "${a.origin}" and "${b.origin}"`);
  if (a.size > b.size) fail('the first tree is the larger one');
  if (a.size === 0n) {
    if (!bytesEqual(a.rootHash, EMPTY_ROOT)) fail('a tree of size 0 must have the empty root');
    if (proof.length !== 0) fail('a proof from the empty tree must be empty');
    return;
  }
  try {
    verifyConsistency(a.size, b.size, a.rootHash, b.rootHash, proof);
  } catch (e) {
    if (e instanceof MerkleError) fail(`${e.message} (${e.code})`, e);
    throw e;
  }
}
