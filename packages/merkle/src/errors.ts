/**
 * Errors of @cairn/merkle. Every error carries a string `code` (stable, for tables that map
 * errors to statuses) and, where useful, `evidence` (the inputs that failed).
 *
 * - {@link MerkleError}: misuse of the tree math (index ≥ size, m > n, a reader that returned
 *   the wrong number of hashes, tiles that do not match their parents or the root).
 * - {@link ProofError}: a proof failed verification. Thrown only by `verify*`.
 * - {@link TilePathError}: a tile path is not canonical c2sp.org/tlog-tiles syntax.
 */

export type MerkleErrorCode =
  | 'invalid-size' // a size/index is negative or ≥ 2^64
  | 'invalid-level' // a node level outside 0..63
  | 'index-out-of-range' // leaf index ≥ tree size
  | 'size-order' // size1 > size2
  | 'size1-zero' // consistency from the empty tree (handled by the caller, see consistencyProof)
  | 'bad-hash-length' // a hash that is not 32 bytes
  | 'bad-reader-result' // a NodeReader / tile reader returned the wrong count or lengths
  | 'bad-tile' // a tile reference or tile bytes of the wrong shape
  | 'tile-hash-mismatch' // a full tile does not hash to its entry in the parent tile
  | 'tile-root-mismatch'; // the partial tiles do not hash to the trusted root

export type ProofErrorCode =
  | 'invalid-size'
  | 'index-out-of-range'
  | 'size-order'
  | 'size1-zero'
  | 'bad-hash-length'
  | 'wrong-proof-size'
  | 'empty-proof'
  | 'proof-not-empty'
  | 'root-mismatch';

export type TilePathErrorCode =
  | 'not-a-string'
  | 'too-long'
  | 'bad-prefix'
  | 'bad-level'
  | 'bad-index'
  | 'bad-width';

export class MerkleError extends Error {
  override readonly name: string = 'MerkleError';
  readonly code: MerkleErrorCode | ProofErrorCode | TilePathErrorCode;
  readonly evidence: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: MerkleErrorCode | ProofErrorCode | TilePathErrorCode,
    message: string,
    options?: { evidence?: Record<string, unknown>; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.evidence = options?.evidence;
  }
}

/** A proof did not verify. `evidence` holds the sizes (and the failing value when known). */
export class ProofError extends MerkleError {
  override readonly name: string = 'ProofError';
  declare readonly code: ProofErrorCode;

  constructor(code: ProofErrorCode, message: string, options?: { evidence?: Record<string, unknown>; cause?: unknown }) {
    super(code, message, options);
  }
}

/** A tile path was rejected. `evidence.path` holds (a prefix of) the offending input. */
export class TilePathError extends MerkleError {
  override readonly name: string = 'TilePathError';
  declare readonly code: TilePathErrorCode;

  constructor(code: TilePathErrorCode, message: string, options?: { evidence?: Record<string, unknown>; cause?: unknown }) {
    super(code, message, options);
  }
}
