/**
 * Offline verification of a c2sp.org/tlog-proof bundle (docs/protocols.md §8):
 *
 * ```
 * c2sp.org/tlog-proof@v1
 * index 2
 * <base64 hash>            inclusion proof, leaf sibling first
 * <base64 hash>
 *
 * <checkpoint note, verbatim, with the log signature and cosignatures>
 * ```
 *
 * 1. parse the bundle strictly (`bad-bundle`);
 * 2. compute the leaf hash from the entry bytes, or take the caller's (`entry-mismatch` when both
 *    are given and disagree, or when the bundle is for another index than `opts.index`);
 * 3. verify the checkpoint under the policy (verifyCheckpoint: log key, witness cosignatures,
 *    timestamps, quorum);
 * 4. verify the inclusion proof of the leaf against the checkpoint root (`inclusion-failed`).
 *
 * The `extra` line is returned but never trusted.
 */
import { ProofBundleError, parseProofBundle, type Policy, type ProofBundle } from '@cairn/formats';
import { bytesEqual } from '@cairn/merkle';
import { VerifyError } from './errors.js';
import { verifyCheckpoint, type VerifiedCheckpoint, type VerifyCheckpointOptions } from './checkpoint.js';
import { entryLeafHash, verifyInclusionProof } from './proofs.js';

/** Options of {@link verifyProofBundle}: the entry (or its leaf hash) and the clock. */
export interface VerifyProofBundleOptions extends VerifyCheckpointOptions {
  /** The entry's bytes; its leaf hash is SHA-256(0x00 || entry). */
  readonly entry?: Uint8Array;
  /** The entry's leaf hash, when the bytes are not at hand. */
  readonly leafHash?: Uint8Array;
  /** When set, the bundle must be for this index. */
  readonly index?: bigint;
}

/** What a verified bundle proves: this leaf is entry `index` of the verified checkpoint. */
export interface VerifiedProofBundle {
  readonly checkpoint: VerifiedCheckpoint;
  readonly index: bigint;
  readonly leafHash: Uint8Array;
  readonly proof: readonly Uint8Array[];
  /** Opaque, unauthenticated application data from the bundle, if any. */
  readonly extra?: Uint8Array;
}

/** Verifies a `.tlog-proof` bundle under `policy`. Throws only {@link VerifyError}. */
export function verifyProofBundle(bundle: Uint8Array | string, policy: Policy, opts: VerifyProofBundleOptions): VerifiedProofBundle {
  if (typeof opts !== 'object' || opts === null) throw new VerifyError('bad-input', 'options with `now` and `entry` or `leafHash` are required');
  let parsed: ProofBundle;
  try {
    parsed = parseProofBundle(bundle);
  } catch (e) {
    if (e instanceof ProofBundleError) throw new VerifyError('bad-bundle', `not a tlog-proof bundle: ${e.message} (${e.code})`, {}, { cause: e });
    throw e;
  }
  const leaf = leafOf(opts, parsed.index);
  if (opts.index !== undefined && opts.index !== parsed.index) {
    throw new VerifyError('entry-mismatch', `the bundle is for entry ${parsed.index}, not ${opts.index}`, { index: parsed.index, note: parsed.checkpoint });
  }
  const checkpoint = verifyCheckpoint(parsed.checkpoint, policy, opts);
  verifyInclusionProof(checkpoint, parsed.index, leaf, parsed.proof);
  return Object.freeze({
    checkpoint,
    index: parsed.index,
    leafHash: leaf,
    proof: parsed.proof,
    ...(parsed.extra !== undefined ? { extra: parsed.extra } : {}),
  });
}

function leafOf(opts: VerifyProofBundleOptions, index: bigint): Uint8Array {
  const fromEntry = opts.entry === undefined ? undefined : entryLeafHash(opts.entry);
  const given = opts.leafHash;
  if (given !== undefined && (!(given instanceof Uint8Array) || given.length !== 32)) {
    throw new VerifyError('bad-input', 'leafHash must be 32 bytes');
  }
  if (fromEntry !== undefined && given !== undefined && !bytesEqual(fromEntry, given)) {
    throw new VerifyError('entry-mismatch', 'the entry does not hash to the given leaf hash', { index, leafHash: given });
  }
  const leaf = fromEntry ?? given;
  if (leaf === undefined) throw new VerifyError('bad-input', 'give the entry or its leaf hash: a bundle alone does not say which entry it proves');
  return leaf;
}
