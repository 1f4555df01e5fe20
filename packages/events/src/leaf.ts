/**
 * The public leaf of an audit event: what the log appends to its Merkle tree, and so what every
 * witness, monitor and mirror downloads. It holds no personal data: only the source, its
 * sequence number, the event time and class, and a salted commitment to the event.
 *
 * ```
 * cairn.dev/event-leaf/v1\n                                 format and version
 * source bastion\n                                         source id, SOURCE_ID_PATTERN
 * seq 0\n                                                  per-source sequence number, canonical decimal ≤ 2^63−1
 * time 1767225600000\n                                     event time, ms since the epoch, canonical decimal ≤ 2^53−1
 * class 3002\n                                             OCSF class_uid, canonical decimal ≤ 999999
 * commitment IHeokvPNRIC6KnBSHpUDeVN0UjizGN2aVzOkI/hqozg=\n SHA-256(salt ‖ canonical event), padded base64
 * ```
 * (the leaf of the example event of event.ts with salt 0x01 0x02 … 0x20; its RFC 6962 leaf hash
 * is `wbL0SmHV2Z80nAUDxNie7hjSFWpixzpOFCsA+HMZlVA=`; examples.test.ts rebuilds both.)
 *
 * Exactly these six lines in this order, each ending in LF, nothing else: the record is ASCII
 * and canonical (one byte string per value), at most {@link MAX_LEAF_SIZE} bytes, far below the
 * tlog-tiles entry limit of 65,535. The commitment is `SHA-256(salt ‖ canonical event)` with a
 * fresh random 32-byte salt per event ({@link commitEvent}); the event and its salt live in the
 * event store. Without the salt the commitment cannot be tested against guesses (a user name, an
 * IP address), and once the store deletes them (erasure, retention) the leaf and every proof of
 * it stay valid.
 */
import { decodeBase64Strict, encodeBase64, formatDecimal, parseDecimal, utf8Encode, MAX_INT63 } from '@cairn/formats';
import { defaultBackend, leafHash, type HashBackend } from '@cairn/merkle';
import { LeafError } from './errors.js';

/** First line of a leaf record (without its LF). */
export const LEAF_HEADER = 'cairn.dev/event-leaf/v1';
/**
 * The prefix of every entry the log reserves for its own event leaves: a raw entry (one not
 * built by the event store) that begins with it is refused ({@link isReservedEntry}).
 * {@link parseLeaf} accepts only bytes whose first line is exactly {@link LEAF_HEADER}, so every
 * byte string it accepts begins with `LEAF_HEADER + '\n'`, which begins with this prefix; the
 * prefix stops before the version so that leaves of later versions are reserved too.
 */
export const RESERVED_ENTRY_PREFIX = 'cairn.dev/event-leaf/';
const RESERVED_PREFIX_BYTES = utf8Encode(RESERVED_ENTRY_PREFIX);

/**
 * Whether `entry` begins with {@link RESERVED_ENTRY_PREFIX}: bytes that could be, now or in a
 * later leaf version, an event leaf. Only the log's event store may append such entries; a raw
 * submission of one would let a writer forge an event in any source's name. Never throws.
 */
export function isReservedEntry(entry: Uint8Array): boolean {
  if (!(entry instanceof Uint8Array) || entry.length < RESERVED_PREFIX_BYTES.length) return false;
  for (let i = 0; i < RESERVED_PREFIX_BYTES.length; i++) if (entry[i] !== RESERVED_PREFIX_BYTES[i]) return false;
  return true;
}
/** Salt size, bytes. */
export const SALT_SIZE = 32;
/** Commitment size (SHA-256), bytes. */
export const COMMITMENT_SIZE = 32;
/** A source id: 1–64 characters of A–Z a–z 0–9 . _ -, starting with a letter or digit (the log's token rule). */
export const SOURCE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Largest per-source sequence number (int64, as Go and SQL count). */
export const MAX_SEQUENCE = MAX_INT63;
/** Largest class_uid in a leaf (OCSF class ids have at most six digits). */
export const MAX_CLASS_UID = 999_999n;
/** Largest event time in a leaf, ms (2^53−1: an exact JavaScript number). */
export const MAX_LEAF_TIME = BigInt(Number.MAX_SAFE_INTEGER);
/** Largest leaf record, bytes (every field at its maximum fits well below). */
export const MAX_LEAF_SIZE = 256;

/** A parsed leaf record. */
export interface EventLeaf {
  readonly source: string;
  readonly seq: bigint;
  /** Event time, ms since the Unix epoch. */
  readonly time: bigint;
  /** OCSF `class_uid`. */
  readonly classUid: bigint;
  /** SHA-256(salt ‖ canonical event). */
  readonly commitment: Uint8Array;
}

/** Whether `s` is a valid source id. Never throws. */
export function isValidSourceId(s: unknown): s is string {
  return typeof s === 'string' && SOURCE_ID_PATTERN.test(s);
}

/**
 * Parses a leaf record strictly. Throws only {@link LeafError}: `bad-input`, `too-large`,
 * `bad-text` (not ASCII, or no final LF), `bad-header`, `bad-line` (a line missing, extra, out
 * of order or without its key), `bad-source`, `bad-seq`, `bad-time`, `bad-class`, `bad-commitment`.
 */
export function parseLeaf(bytes: Uint8Array): EventLeaf {
  if (!(bytes instanceof Uint8Array)) throw new LeafError('bad-input', 'a leaf record must be bytes');
  if (bytes.length > MAX_LEAF_SIZE) throw new LeafError('too-large', `leaf record of ${bytes.length} bytes exceeds ${MAX_LEAF_SIZE}`);
  let text = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c !== 0x0a && (c < 0x20 || c > 0x7e)) throw new LeafError('bad-text', `byte 0x${c.toString(16).padStart(2, '0')} at offset ${i}`);
    text += String.fromCharCode(c);
  }
  if (!text.endsWith('\n')) throw new LeafError('bad-text', 'a leaf record ends in LF');
  const lines = text.slice(0, -1).split('\n');
  if (lines[0] !== LEAF_HEADER) throw new LeafError('bad-header', `first line must be ${LEAF_HEADER}`);
  if (lines.length !== 6) throw new LeafError('bad-line', `a leaf record has 6 lines, not ${lines.length}`);
  const field = (i: number, key: string): string => {
    const line = lines[i]!;
    if (!line.startsWith(`${key} `)) throw new LeafError('bad-line', `line ${i + 1} must start with "${key} "`);
    return line.slice(key.length + 1);
  };
  const source = field(1, 'source');
  if (!isValidSourceId(source)) throw new LeafError('bad-source', 'source must be 1–64 characters of A–Z a–z 0–9 . _ - starting with a letter or digit');
  const seq = decimal(field(2, 'seq'), MAX_SEQUENCE, 'bad-seq');
  const time = decimal(field(3, 'time'), MAX_LEAF_TIME, 'bad-time');
  const classUid = decimal(field(4, 'class'), MAX_CLASS_UID, 'bad-class');
  let commitment: Uint8Array;
  try {
    commitment = decodeBase64Strict(field(5, 'commitment'), COMMITMENT_SIZE);
  } catch (cause) {
    if (cause instanceof LeafError) throw cause;
    throw new LeafError('bad-commitment', `commitment must be padded base64 of ${COMMITMENT_SIZE} bytes`, { cause });
  }
  return Object.freeze({ source, seq, time, classUid, commitment });
}

function decimal(s: string, max: bigint, code: string): bigint {
  try {
    return parseDecimal(s, max);
  } catch (cause) {
    throw new LeafError(code, `"${s}" is not a canonical decimal ≤ ${max}`, { cause });
  }
}

/** Formats a leaf record; validates every field so that {@link parseLeaf} gives it back. */
export function formatLeaf(leaf: EventLeaf): Uint8Array {
  if (!isValidSourceId(leaf.source)) throw new LeafError('bad-source', 'source must be 1–64 characters of A–Z a–z 0–9 . _ - starting with a letter or digit');
  const check = (v: bigint, max: bigint, code: string, what: string): void => {
    if (typeof v !== 'bigint' || v < 0n || v > max) throw new LeafError(code, `${what} must be a bigint in [0, ${max}]`);
  };
  check(leaf.seq, MAX_SEQUENCE, 'bad-seq', 'seq');
  check(leaf.time, MAX_LEAF_TIME, 'bad-time', 'time');
  check(leaf.classUid, MAX_CLASS_UID, 'bad-class', 'class');
  if (!(leaf.commitment instanceof Uint8Array) || leaf.commitment.length !== COMMITMENT_SIZE) {
    throw new LeafError('bad-commitment', `commitment must be ${COMMITMENT_SIZE} bytes`);
  }
  const text =
    `${LEAF_HEADER}\nsource ${leaf.source}\nseq ${formatDecimal(leaf.seq)}\ntime ${formatDecimal(leaf.time)}\n` +
    `class ${formatDecimal(leaf.classUid)}\ncommitment ${encodeBase64(leaf.commitment)}\n`;
  return utf8Encode(text);
}

/**
 * SHA-256(salt ‖ canonical event). Throws {@link LeafError} `bad-salt` unless the salt is 32
 * bytes. `backend` is the SHA-256 implementation (default: the portable one; a server passes
 * `nodeBackend` from `@cairn/merkle/node`).
 */
export function commitEvent(salt: Uint8Array, canonicalEvent: Uint8Array, backend: HashBackend = defaultBackend): Uint8Array {
  if (!(salt instanceof Uint8Array) || salt.length !== SALT_SIZE) throw new LeafError('bad-salt', `salt must be ${SALT_SIZE} bytes`);
  if (!(canonicalEvent instanceof Uint8Array)) throw new LeafError('bad-input', 'the canonical event must be bytes');
  if (backend.sha256Parts !== undefined) return backend.sha256Parts([salt, canonicalEvent]);
  const joined = new Uint8Array(SALT_SIZE + canonicalEvent.length);
  joined.set(salt, 0);
  joined.set(canonicalEvent, SALT_SIZE);
  return backend.sha256(joined);
}

/** What the log needs to append an event and answer for it. */
export interface BuiltLeaf {
  readonly leaf: EventLeaf;
  /** The leaf record: the tlog entry. */
  readonly bytes: Uint8Array;
  /** RFC 6962 leaf hash of `bytes`, SHA-256(0x00 ‖ bytes). */
  readonly leafHash: Uint8Array;
  /** The salt used; stored with the event, never published. */
  readonly salt: Uint8Array;
}

/** Inputs of {@link buildLeaf}: a validated event's canonical bytes, time and class, the sequence, the salt. */
export interface BuildLeafInput {
  readonly source: string;
  readonly seq: bigint;
  readonly event: { readonly canonical: Uint8Array; readonly time: number; readonly classUid: number };
  /** A fresh random 32-byte salt (injected: use `crypto.getRandomValues`; never reuse one). */
  readonly salt: Uint8Array;
  /** SHA-256 implementation for the commitment and the leaf hash (default: portable). */
  readonly backend?: HashBackend;
}

/** Builds the leaf record of a validated event. Throws only {@link LeafError}. */
export function buildLeaf(input: BuildLeafInput): BuiltLeaf {
  const { time, classUid } = input.event;
  if (!Number.isSafeInteger(time) || !Number.isSafeInteger(classUid)) throw new LeafError('bad-input', 'event time and class must be integers');
  const backend = input.backend ?? defaultBackend;
  const commitment = commitEvent(input.salt, input.event.canonical, backend);
  const leaf: EventLeaf = Object.freeze({
    source: input.source,
    seq: input.seq,
    time: BigInt(time),
    classUid: BigInt(classUid),
    commitment,
  });
  const bytes = formatLeaf(leaf);
  return Object.freeze({ leaf, bytes, leafHash: leafHash(bytes, backend), salt: input.salt.slice() });
}
