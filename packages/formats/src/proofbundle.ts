/**
 * Offline inclusion proofs, c2sp.org/tlog-proof (`c2sp.org/tlog-proof@v1`, file extension
 * `.tlog-proof`; docs/protocols.md §8). Exact layout (spec example, hashes and signatures abridged):
 *
 * ```
 * c2sp.org/tlog-proof@v1
 * extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ
 * index 73894
 * gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=
 * B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=
 *
 * example.com/fancylog
 * 109482
 * sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=
 *
 * — example.com/fancylog hI2DJw…
 * — witness1.example mJirIklj…
 * ```
 *
 * - Line 1 is exactly `c2sp.org/tlog-proof@v1`.
 * - An optional `extra <base64>` line: opaque, unauthenticated data (MUST NOT be trusted
 *   implicitly). We require it to be non-empty canonical base64 (an empty extra is written by
 *   omitting the line).
 * - `index <n>`: the 0-based entry index, canonical decimal ≤ 2^63−1.
 * - 0..63 inclusion-proof hashes, leaf sibling first, each the padded base64 of 32 bytes.
 * - A blank line, then the checkpoint note verbatim (log signature and cosignatures).
 *
 * The split is at the first `LF LF`. The note is returned as text exactly as received and is
 * NOT verified here: open it with the log and witness keys of a tlog-policy (see policy.ts,
 * `verifyCheckpointUnderPolicy`), then verify the inclusion proof against its root. The whole
 * bundle is capped at {@link MAX_PROOF_BUNDLE_SIZE} (1 MiB, the signed-note cap) before parsing.
 */
import {
  concatBytes,
  decodeBase64Strict,
  encodeBase64,
  formatDecimal,
  MAX_INT63,
  parseDecimal,
  utf8DecodeStrict,
  utf8Encode,
} from './encoding.js';
import { FormatError, type FormatErrorOptions } from './errors.js';
import { hexByte, splitHeadAndNote } from './head.js';

/** First line of every proof bundle (without its LF). */
export const PROOF_BUNDLE_HEADER = 'c2sp.org/tlog-proof@v1';
/** Largest proof bundle accepted, in bytes. */
export const MAX_PROOF_BUNDLE_SIZE = 1 << 20;
/** An inclusion proof in a tree of at most 2^63 leaves has at most 63 hashes. */
export const MAX_INCLUSION_PROOF_LINES = 63;
const HASH_SIZE = 32;
const EXTRA_PREFIX = 'extra ';
const INDEX_PREFIX = 'index ';

/**
 * Errors of the tlog-proof format. Codes: `bad-input`, `too-large`, `no-separator`, `bad-head`,
 * `bad-header`, `bad-extra`, `bad-index`, `too-many-proof-lines`, `bad-proof-line`,
 * `empty-checkpoint`, `bad-checkpoint`.
 */
export class ProofBundleError extends FormatError {
  constructor(code: string, message: string, options?: FormatErrorOptions) {
    super('tlog-proof', code, message, options);
    this.name = 'ProofBundleError';
  }
}

/** A parsed proof bundle. Nothing in it is trusted until the checkpoint is verified. */
export interface ProofBundle {
  /** Opaque, unauthenticated application data; absent when the bundle has no `extra` line. */
  readonly extra?: Uint8Array;
  /** 0-based index of the entry in the log. */
  readonly index: bigint;
  /** Inclusion proof hashes, leaf sibling first. */
  readonly proof: Uint8Array[];
  /** The signed checkpoint note, verbatim. */
  readonly checkpoint: string;
}

/** What {@link formatProofBundle} encodes; a byte checkpoint must be UTF-8. */
export interface ProofBundleInit {
  readonly extra?: Uint8Array;
  readonly index: bigint;
  readonly proof: readonly Uint8Array[];
  readonly checkpoint: Uint8Array | string;
}

/** Parses a `.tlog-proof` file. Throws only {@link ProofBundleError}. */
export function parseProofBundle(input: Uint8Array | string): ProofBundle {
  let bytes: Uint8Array;
  if (typeof input === 'string') {
    // A string's UTF-16 length never exceeds its UTF-8 length: reject before encoding.
    if (input.length > MAX_PROOF_BUNDLE_SIZE) throw new ProofBundleError('too-large', `proof bundle exceeds ${MAX_PROOF_BUNDLE_SIZE} bytes`);
    if (!input.isWellFormed()) throw new ProofBundleError('bad-checkpoint', 'proof bundle is not well-formed Unicode');
    bytes = utf8Encode(input);
  } else if (input instanceof Uint8Array) {
    bytes = input;
  } else {
    throw new ProofBundleError('bad-input', 'proof bundle must be bytes or a string');
  }
  if (bytes.length > MAX_PROOF_BUNDLE_SIZE) {
    throw new ProofBundleError('too-large', `proof bundle of ${bytes.length} bytes exceeds ${MAX_PROOF_BUNDLE_SIZE}`);
  }
  const split = splitHeadAndNote(bytes);
  if (!split.ok) {
    if (split.code === 'no-separator') throw new ProofBundleError('no-separator', 'proof bundle has no blank line before the checkpoint');
    throw new ProofBundleError('bad-head', `byte ${hexByte(split.byte)} at offset ${split.offset} before the checkpoint`);
  }
  const lines = split.lines;
  if (lines[0] !== PROOF_BUNDLE_HEADER) throw new ProofBundleError('bad-header', `first line must be ${PROOF_BUNDLE_HEADER}`);
  let next = 1;
  let extra: Uint8Array | undefined;
  if (lines[next]?.startsWith(EXTRA_PREFIX)) {
    try {
      extra = decodeBase64Strict(lines[next]!.slice(EXTRA_PREFIX.length));
    } catch (cause) {
      throw new ProofBundleError('bad-extra', 'extra data is not canonical base64', { cause });
    }
    if (extra.length === 0) throw new ProofBundleError('bad-extra', 'extra line present but empty');
    next++;
  }
  const indexLine = lines[next];
  if (indexLine === undefined || !indexLine.startsWith(INDEX_PREFIX)) {
    throw new ProofBundleError('bad-index', `line ${next + 1} must be "index <n>"`);
  }
  let index: bigint;
  try {
    index = parseDecimal(indexLine.slice(INDEX_PREFIX.length));
  } catch (cause) {
    throw new ProofBundleError('bad-index', 'index is not a canonical decimal ≤ 2^63−1', { cause });
  }
  next++;
  const proofLines = lines.slice(next);
  if (proofLines.length > MAX_INCLUSION_PROOF_LINES) {
    throw new ProofBundleError('too-many-proof-lines', `${proofLines.length} proof lines exceed ${MAX_INCLUSION_PROOF_LINES}`);
  }
  const proof = proofLines.map((l, i) => {
    try {
      return decodeBase64Strict(l, HASH_SIZE);
    } catch (cause) {
      throw new ProofBundleError('bad-proof-line', `proof line ${i + 1} is not the base64 of a 32-byte hash`, { cause });
    }
  });
  const noteBytes = split.note;
  if (noteBytes.length === 0) throw new ProofBundleError('empty-checkpoint', 'no checkpoint after the blank line');
  let checkpoint: string;
  try {
    checkpoint = utf8DecodeStrict(noteBytes);
  } catch (cause) {
    throw new ProofBundleError('bad-checkpoint', 'checkpoint is not valid UTF-8', { cause });
  }
  return extra === undefined ? { index, proof, checkpoint } : { extra, index, proof, checkpoint };
}

/** Builds a `.tlog-proof` file. Throws {@link ProofBundleError} on invalid input. */
export function formatProofBundle(b: ProofBundleInit): Uint8Array {
  if (typeof b !== 'object' || b === null) throw new ProofBundleError('bad-input', 'proof bundle must be an object');
  let head = `${PROOF_BUNDLE_HEADER}\n`;
  if (b.extra !== undefined) {
    if (!(b.extra instanceof Uint8Array) || b.extra.length === 0) {
      throw new ProofBundleError('bad-extra', 'extra must be non-empty bytes (omit it for none)');
    }
    head += `${EXTRA_PREFIX}${encodeBase64(b.extra)}\n`;
  }
  if (typeof b.index !== 'bigint' || b.index < 0n || b.index > MAX_INT63) {
    throw new ProofBundleError('bad-index', 'index must be a bigint in 0..2^63−1');
  }
  head += `${INDEX_PREFIX}${formatDecimal(b.index)}\n`;
  if (!Array.isArray(b.proof) || b.proof.length > MAX_INCLUSION_PROOF_LINES) {
    throw new ProofBundleError('too-many-proof-lines', `at most ${MAX_INCLUSION_PROOF_LINES} proof hashes`);
  }
  for (const [i, h] of b.proof.entries()) {
    if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) throw new ProofBundleError('bad-proof-line', `proof hash ${i} is not 32 bytes`);
    head += `${encodeBase64(h)}\n`;
  }
  let note: Uint8Array;
  if (typeof b.checkpoint === 'string') {
    if (!b.checkpoint.isWellFormed()) throw new ProofBundleError('bad-checkpoint', 'checkpoint is not well-formed Unicode');
    note = utf8Encode(b.checkpoint);
  } else if (b.checkpoint instanceof Uint8Array) {
    try {
      utf8DecodeStrict(b.checkpoint);
    } catch (cause) {
      throw new ProofBundleError('bad-checkpoint', 'checkpoint is not valid UTF-8', { cause });
    }
    note = b.checkpoint;
  } else {
    throw new ProofBundleError('bad-input', 'checkpoint must be bytes or a string');
  }
  if (note.length === 0) throw new ProofBundleError('empty-checkpoint', 'checkpoint note is empty');
  const out = concatBytes(utf8Encode(`${head}\n`), note);
  if (out.length > MAX_PROOF_BUNDLE_SIZE) {
    throw new ProofBundleError('too-large', `proof bundle of ${out.length} bytes exceeds ${MAX_PROOF_BUNDLE_SIZE}`);
  }
  return out;
}
