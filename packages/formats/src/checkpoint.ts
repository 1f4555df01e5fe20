/**
 * Checkpoints, c2sp.org/tlog-checkpoint v1.0.0 (docs/protocols.md §3): the signed-note text of a log.
 *
 * ```
 * example.com/behind-the-sofa\n                      origin (non-empty)
 * 20852163\n                                         tree size, canonical decimal ≤ 2^63−1
 * CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n     root hash, padded base64 of exactly 32 bytes
 * [extension line\n]*                                optional, each non-empty (our log never emits any)
 * ```
 *
 * Strict where transparency-dev/formats is lenient: a root of any other length, a blank trailing
 * line, a missing final LF, a non-canonical size (`+1`, `01`, `-0`) or one above 2^63−1 are all
 * rejected. The origin may contain spaces (Go sumdb's is `go.sum database tree`) and `+`; like
 * the rest of a note it may contain no control character.
 */
import { decodeBase64Strict, encodeBase64, formatDecimal, MAX_INT63, parseDecimal } from './encoding.js';
import { CheckpointError } from './errors.js';
import { openNote, parseNote, type OpenedNote, type ParsedNote } from './note.js';
import type { Verifier } from './keys.js';

/** Root hash size (SHA-256). */
export const CHECKPOINT_HASH_SIZE = 32;
/** Longest checkpoint text accepted, in UTF-16 code units (well above any real checkpoint). */
export const MAX_CHECKPOINT_TEXT_LENGTH = 64 * 1024;
/** Most extension lines accepted. */
export const MAX_CHECKPOINT_EXTENSIONS = 64;
/** The largest tree size accepted (Go implementations use int64). */
export const MAX_CHECKPOINT_SIZE = MAX_INT63;

/** A parsed checkpoint body. */
export interface Checkpoint {
  readonly origin: string;
  readonly size: bigint;
  readonly rootHash: Uint8Array;
  /** Extension lines without their LF; empty for every checkpoint our log signs. */
  readonly extensions: readonly string[];
}

// Any C0 control character but LF, or DEL (the note rules).
const FORBIDDEN_CHAR = /[\u0000-\u0009\u000b-\u001f\u007f]/u;

/**
 * Parses a checkpoint note text strictly. Throws {@link CheckpointError}: `too-large`, `bad-text`
 * (not a string / lone surrogates / control character), `missing-final-newline`, `too-few-lines`,
 * `empty-origin`, `bad-size`, `bad-root`, `empty-extension`, `too-many-extensions`.
 */
export function parseCheckpoint(text: string): Checkpoint {
  if (typeof text !== 'string') throw new CheckpointError('bad-text', 'checkpoint text must be a string');
  if (text.length > MAX_CHECKPOINT_TEXT_LENGTH) throw new CheckpointError('too-large', `checkpoint exceeds ${MAX_CHECKPOINT_TEXT_LENGTH} characters`);
  if (!text.isWellFormed() || FORBIDDEN_CHAR.test(text)) {
    throw new CheckpointError('bad-text', 'checkpoint contains a control character or invalid Unicode');
  }
  if (!text.endsWith('\n')) throw new CheckpointError('missing-final-newline', 'checkpoint must end in LF');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw new CheckpointError('too-few-lines', 'checkpoint needs origin, size and root lines');
  if (lines.length - 3 > MAX_CHECKPOINT_EXTENSIONS) {
    throw new CheckpointError('too-many-extensions', `more than ${MAX_CHECKPOINT_EXTENSIONS} extension lines`);
  }
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin.length === 0) throw new CheckpointError('empty-origin', 'checkpoint origin is empty');
  let size: bigint;
  try {
    size = parseDecimal(sizeText, MAX_CHECKPOINT_SIZE);
  } catch (cause) {
    throw new CheckpointError('bad-size', 'tree size must be a canonical decimal ≤ 2^63-1', { cause });
  }
  let rootHash: Uint8Array;
  try {
    rootHash = decodeBase64Strict(rootText, CHECKPOINT_HASH_SIZE);
  } catch (cause) {
    throw new CheckpointError('bad-root', `root hash must be padded base64 of exactly ${CHECKPOINT_HASH_SIZE} bytes`, { cause });
  }
  if (extensions.some((e) => e.length === 0)) throw new CheckpointError('empty-extension', 'extension lines must be non-empty');
  return { origin, size, rootHash, extensions };
}

/** Formats a checkpoint note text; validates it so that `parseCheckpoint` gives it back. */
export function formatCheckpoint(c: Checkpoint): string {
  if (!(c.rootHash instanceof Uint8Array) || c.rootHash.length !== CHECKPOINT_HASH_SIZE) {
    throw new CheckpointError('bad-root', `root hash must be ${CHECKPOINT_HASH_SIZE} bytes`);
  }
  if (typeof c.size !== 'bigint' || c.size < 0n || c.size > MAX_CHECKPOINT_SIZE) {
    throw new CheckpointError('bad-size', 'tree size must be a bigint in [0, 2^63-1]');
  }
  if (typeof c.origin !== 'string' || c.origin.includes('\n')) throw new CheckpointError('bad-text', 'origin must be one line');
  for (const e of c.extensions) {
    if (typeof e !== 'string' || e.includes('\n')) throw new CheckpointError('bad-text', 'extension must be one line');
  }
  const text = [c.origin, formatDecimal(c.size), encodeBase64(c.rootHash), ...c.extensions].join('\n') + '\n';
  parseCheckpoint(text);
  return text;
}

/** A signed checkpoint, parsed but not verified. */
export interface ParsedCheckpointNote {
  readonly checkpoint: Checkpoint;
  readonly note: ParsedNote;
}

/** Parses a signed checkpoint note (note syntax, then body) without verifying signatures. */
export function parseCheckpointNote(input: Uint8Array | string): ParsedCheckpointNote {
  const note = parseNote(input);
  return { checkpoint: parseCheckpoint(note.text), note };
}

/** A signed checkpoint whose note verified under at least one known key. */
export interface OpenedCheckpoint extends OpenedNote {
  readonly checkpoint: Checkpoint;
}

/**
 * Opens a signed checkpoint: verifies the note with {@link openNote} (NoteError on a bad or
 * missing known signature), then parses the body (CheckpointError). Whether the origin is the one
 * expected for these keys is the caller's check.
 */
export function openCheckpoint(input: Uint8Array | string, verifiers: readonly Verifier[]): OpenedCheckpoint {
  const opened = openNote(input, verifiers);
  return { ...opened, checkpoint: parseCheckpoint(opened.text) };
}
