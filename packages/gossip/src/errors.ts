/**
 * Errors of @cairn/gossip. Each carries a stable string `code` (for the one table that maps
 * errors to statuses) and, where useful, `evidence`.
 *
 * - {@link GossipError}: base class; host set-up, identity file, configuration, stream framing.
 * - {@link EvidenceError}: an evidence record is not canonical, well-formed JSON of our schema
 *   (thrown by `parseEvidence` / `formatEvidence`, nothing else is).
 * - {@link TileFetchError}: the log did not serve the tiles needed for a consistency check.
 */
export type GossipErrorCode =
  | 'bad-config' // an option is missing or malformed
  | 'bad-identity' // p2p.key is unreadable, malformed or too widely readable
  | 'bad-frame' // a stream frame is malformed or too large
  | 'stream-failed'; // the remote closed or reset the stream early

export type EvidenceErrorCode =
  | 'bad-input' // not a string / Uint8Array
  | 'too-large'
  | 'bad-utf8'
  | 'bad-json'
  | 'bad-field' // a field is missing, has the wrong type or an invalid value
  | 'non-canonical'; // valid, but not byte-identical to formatEvidence of the same record

export type TileFetchErrorCode =
  | 'http-status' // a tile request answered other than 200
  | 'network' // fetch failed or timed out
  | 'too-large' // a tile body larger than a full tile
  | 'bad-tile'; // tiles of the wrong shape, or not matching the signed root

export class GossipError extends Error {
  override readonly name: string = 'GossipError';
  readonly code: string;
  readonly evidence: Readonly<Record<string, unknown>> | undefined;

  constructor(code: string, message: string, options?: { evidence?: Record<string, unknown>; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.evidence = options?.evidence;
  }
}

/** An evidence record failed strict parsing or formatting. `evidence.path` names the field. */
export class EvidenceError extends GossipError {
  override readonly name: string = 'EvidenceError';
  declare readonly code: EvidenceErrorCode;
  constructor(code: EvidenceErrorCode, message: string, options?: { evidence?: Record<string, unknown>; cause?: unknown }) {
    super(code, message, options);
  }
}

/** Tiles could not be fetched or did not authenticate against the signed root. */
export class TileFetchError extends GossipError {
  override readonly name: string = 'TileFetchError';
  declare readonly code: TileFetchErrorCode;
  constructor(code: TileFetchErrorCode, message: string, options?: { evidence?: Record<string, unknown>; cause?: unknown }) {
    super(code, message, options);
  }
}
