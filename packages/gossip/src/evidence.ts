/**
 * Split-view evidence records: a self-contained JSON document that anyone can re-verify offline
 * with `verifyEvidence` (evidence-verify.ts). Our own format (no C2SP spec covers gossip, see
 * docs/protocols.md §12); pure and browser-safe (no `node:*`).
 *
 * Exact bytes (one line, shown wrapped; fields always in this order, no white space, a final LF):
 *
 * ```
 * {"version":1,"kind":"inconsistency","origin":"example.com/log",
 *  "logVkeys":["example.com/log+1c5e7f47+AQ…"],
 *  "notes":[{"note":"example.com/log\n10\nAAAA…=\n\n— example.com/log HF5/R…\n","seenAt":"2026-07-01T12:00:00.000Z","from":"local"},
 *           {"note":"example.com/log\n12\nBBBB…=\n\n— example.com/log HF5/R…\n","seenAt":"2026-07-01T12:00:00.250Z","from":"12D3KooW…"}],
 *  "consistency":{"oldSize":"10","newSize":"12","proof":["CCCC…=","DDDD…="]},
 *  "observer":{"name":"witness-1","peerId":"12D3KooW…"},"createdAt":"2026-07-01T12:00:00.300Z"}
 * ```
 *
 * - `kind`: `equivocation` (same size, different roots), `inconsistency` (different sizes and
 *   a consistency proof that shows the log committed to a different prefix), or
 *   `unproven-inconsistency` (different sizes; the log did not serve what a proof needs:
 *   `failure` says what went wrong). Unproven records are kept and alarmed, never "proven".
 * - `notes`: the two signed checkpoint notes, exact text (never re-serialised), when this
 *   observer saw each and from whom (`local` = its own latest, else the gossip peer ID). For
 *   inconsistencies `notes[0]` is the smaller tree.
 * - `consistency` (inconsistency only): `oldSize`/`newSize` (canonical decimals, = the notes'
 *   sizes), `proof` (≤ 63 base64 32-byte hashes: PROOF(m, D[n]) from the log's tiles of the
 *   larger tree) and, when `oldSize` is a power of two, `prefixRoot` (the hash RFC 9162 puts in
 *   front of the proof: the log's own root of its first m leaves).
 * - `logVkeys`: the log verifier key(s) the observer trusted (1..16 vkeys, type 0x01).
 *
 * Parsing is strict: input capped at {@link MAX_EVIDENCE_SIZE} bytes first, strict UTF-8,
 * exact key sets, every value validated (notes must parse as checkpoint notes, base64 canonical,
 * decimals canonical, times ISO-8601 UTC with milliseconds), counts capped, and finally the text
 * must equal `formatEvidence` of the result. So a record has one encoding, and
 * {@link evidenceId} (hex SHA-256 of it) names it. Only {@link EvidenceError} is ever thrown.
 */
import {
  ALG_ED25519,
  decodeBase64Strict,
  encodeBase64,
  FormatError,
  parseCheckpointNote,
  parseDecimal,
  parseVerifierKey,
  toHex,
  utf8DecodeStrict,
  utf8Encode,
  type Checkpoint,
} from '@cairn/formats';
import { defaultBackend } from '@cairn/merkle';
import { EvidenceError } from './errors.js';

export const EVIDENCE_VERSION = 1;
/** Largest evidence record accepted, in bytes. */
export const MAX_EVIDENCE_SIZE = 256 * 1024;
/** Largest note inside a record, in UTF-16 code units (cosigned checkpoints are a few kB). */
export const MAX_EVIDENCE_NOTE_LENGTH = 64 * 1024;
/** Most log vkeys in a record. */
export const MAX_EVIDENCE_VKEYS = 16;
/** Most consistency proof hashes (the tlog-witness limit). */
export const MAX_EVIDENCE_PROOF_LENGTH = 63;
/** Longest failure description, observer name or origin. */
export const MAX_EVIDENCE_TEXT_LENGTH = 1024;

export type EvidenceKind = 'equivocation' | 'inconsistency' | 'unproven-inconsistency';
const KINDS: readonly EvidenceKind[] = ['equivocation', 'inconsistency', 'unproven-inconsistency'];

/** One signed checkpoint as an observer saw it. */
export interface ObservedNote {
  /** The exact signed checkpoint note text. */
  readonly note: string;
  /** ISO-8601 UTC with milliseconds, e.g. `2026-07-01T12:00:00.000Z`. */
  readonly seenAt: string;
  /** `local` (the observer's own latest) or the peer ID it was gossiped from. */
  readonly from: string;
}

export interface ConsistencyEvidence {
  readonly oldSize: bigint;
  readonly newSize: bigint;
  readonly proof: readonly Uint8Array[];
  /** Present iff oldSize is a power of two. */
  readonly prefixRoot?: Uint8Array;
}

export interface EvidenceRecord {
  readonly version: typeof EVIDENCE_VERSION;
  readonly kind: EvidenceKind;
  readonly origin: string;
  readonly logVkeys: readonly string[];
  readonly notes: readonly [ObservedNote, ObservedNote];
  readonly consistency?: ConsistencyEvidence;
  readonly failure?: string;
  readonly observer: { readonly name: string; readonly peerId: string };
  readonly createdAt: string;
}

const ISO_TIME = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$/;
const PEER_ID = /^[1-9A-HJ-NP-Za-km-z]{1,128}$/; // base58btc, as libp2p prints peer IDs
const CONTROL = /[\u0000-\u001f\u007f]/u;

function fail(path: string, message: string, cause?: unknown): never {
  throw new EvidenceError('bad-field', `${path}: ${message}`, cause === undefined ? { evidence: { path } } : { evidence: { path }, cause });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkKeys(v: unknown, path: string, required: readonly string[], optional: readonly string[] = []): Record<string, unknown> {
  if (!isObject(v)) fail(path, 'must be an object');
  for (const k of required) if (!Object.hasOwn(v, k)) fail(`${path}.${k}`, 'is missing');
  for (const k of Object.keys(v)) if (!required.includes(k) && !optional.includes(k)) fail(`${path}.${k}`, 'is not allowed');
  return v;
}

function text(v: unknown, path: string, max = MAX_EVIDENCE_TEXT_LENGTH, allowEmpty = false): string {
  if (typeof v !== 'string') fail(path, 'must be a string');
  if ((!allowEmpty && v.length === 0) || v.length > max) fail(path, `must be 1..${max} characters`);
  if (!v.isWellFormed() || CONTROL.test(v)) fail(path, 'contains a control character or invalid Unicode');
  return v;
}

function time(v: unknown, path: string): string {
  if (typeof v !== 'string' || !ISO_TIME.test(v)) fail(path, 'must be an ISO-8601 UTC time with milliseconds');
  const d = new Date(v);
  if (Number.isNaN(d.getTime()) || d.toISOString() !== v) fail(path, 'is not a valid time');
  return v;
}

function hash(v: unknown, path: string): Uint8Array {
  if (typeof v !== 'string') fail(path, 'must be a base64 string');
  try {
    return decodeBase64Strict(v, 32);
  } catch (cause) {
    return fail(path, 'must be canonical base64 of 32 bytes', cause);
  }
}

function size(v: unknown, path: string): bigint {
  if (typeof v !== 'string') fail(path, 'must be a decimal string');
  try {
    return parseDecimal(v);
  } catch (cause) {
    return fail(path, 'must be a canonical decimal ≤ 2^63-1', cause);
  }
}

function observedNote(v: unknown, path: string): ObservedNote {
  const o = checkKeys(v, path, ['note', 'seenAt', 'from']);
  if (typeof o['note'] !== 'string' || o['note'].length > MAX_EVIDENCE_NOTE_LENGTH) {
    fail(`${path}.note`, `must be a string of at most ${MAX_EVIDENCE_NOTE_LENGTH} characters`);
  }
  try {
    parseCheckpointNote(o['note']);
  } catch (cause) {
    if (!(cause instanceof FormatError)) throw cause;
    fail(`${path}.note`, `is not a signed checkpoint note (${cause.code})`, cause);
  }
  const from = o['from'];
  if (from !== 'local' && (typeof from !== 'string' || !PEER_ID.test(from))) fail(`${path}.from`, 'must be "local" or a peer ID');
  return { note: o['note'], seenAt: time(o['seenAt'], `${path}.seenAt`), from };
}

function consistency(v: unknown, path: string): ConsistencyEvidence {
  const o = checkKeys(v, path, ['oldSize', 'newSize', 'proof'], ['prefixRoot']);
  const oldSize = size(o['oldSize'], `${path}.oldSize`);
  const newSize = size(o['newSize'], `${path}.newSize`);
  const list = o['proof'];
  if (!Array.isArray(list) || list.length > MAX_EVIDENCE_PROOF_LENGTH) fail(`${path}.proof`, `must be a list of at most ${MAX_EVIDENCE_PROOF_LENGTH} hashes`);
  const proof = list.map((h, i) => hash(h, `${path}.proof[${i}]`));
  const powerOfTwo = oldSize > 0n && (oldSize & (oldSize - 1n)) === 0n;
  if (powerOfTwo !== Object.hasOwn(o, 'prefixRoot')) fail(`${path}.prefixRoot`, 'must be present exactly when oldSize is a power of two');
  return powerOfTwo ? { oldSize, newSize, proof, prefixRoot: hash(o['prefixRoot'], `${path}.prefixRoot`) } : { oldSize, newSize, proof };
}

function vkeys(v: unknown, path: string): string[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_EVIDENCE_VKEYS) fail(path, `must be a list of 1..${MAX_EVIDENCE_VKEYS} vkeys`);
  return v.map((k, i) => {
    if (typeof k !== 'string') fail(`${path}[${i}]`, 'must be a string');
    try {
      if (parseVerifierKey(k).alg !== ALG_ED25519) fail(`${path}[${i}]`, 'must be an Ed25519 (type 0x01) log key');
    } catch (cause) {
      if (cause instanceof EvidenceError) throw cause;
      if (!(cause instanceof FormatError)) throw cause;
      fail(`${path}[${i}]`, `is not a valid vkey (${cause.code})`, cause);
    }
    return k;
  });
}

/** Validates a JSON value as a record (everything but canonical encoding). */
function recordFromJson(v: unknown): EvidenceRecord {
  const o = checkKeys(v, 'record', ['version', 'kind', 'origin', 'logVkeys', 'notes', 'observer', 'createdAt'], ['consistency', 'failure']);
  if (o['version'] !== EVIDENCE_VERSION) fail('record.version', `must be ${EVIDENCE_VERSION}`);
  const kind = o['kind'];
  if (typeof kind !== 'string' || !KINDS.includes(kind as EvidenceKind)) fail('record.kind', `must be one of ${KINDS.join(', ')}`);
  const notesIn = o['notes'];
  if (!Array.isArray(notesIn) || notesIn.length !== 2) fail('record.notes', 'must be a list of exactly two notes');
  const notes: [ObservedNote, ObservedNote] = [observedNote(notesIn[0], 'record.notes[0]'), observedNote(notesIn[1], 'record.notes[1]')];
  const obs = checkKeys(o['observer'], 'record.observer', ['name', 'peerId']);
  const peerId = obs['peerId'];
  if (peerId !== '' && (typeof peerId !== 'string' || !PEER_ID.test(peerId))) fail('record.observer.peerId', 'must be a peer ID or empty');
  const hasConsistency = Object.hasOwn(o, 'consistency');
  const hasFailure = Object.hasOwn(o, 'failure');
  if (hasConsistency !== (kind === 'inconsistency')) fail('record.consistency', 'must be present exactly for kind "inconsistency"');
  if (hasFailure !== (kind === 'unproven-inconsistency')) fail('record.failure', 'must be present exactly for kind "unproven-inconsistency"');
  const base = {
    version: EVIDENCE_VERSION,
    kind: kind as EvidenceKind,
    origin: text(o['origin'], 'record.origin'),
    logVkeys: vkeys(o['logVkeys'], 'record.logVkeys'),
    notes,
    observer: { name: text(obs['name'], 'record.observer.name', 256, true), peerId },
    createdAt: time(o['createdAt'], 'record.createdAt'),
  } as const;
  if (hasConsistency) return { ...base, consistency: consistency(o['consistency'], 'record.consistency') };
  if (hasFailure) return { ...base, failure: text(o['failure'], 'record.failure') };
  return base;
}

function toJson(r: EvidenceRecord): string {
  const c = r.consistency;
  const out = {
    version: r.version,
    kind: r.kind,
    origin: r.origin,
    logVkeys: r.logVkeys,
    notes: r.notes.map((n) => ({ note: n.note, seenAt: n.seenAt, from: n.from })),
    ...(c === undefined
      ? {}
      : {
          consistency: {
            oldSize: c.oldSize.toString(),
            newSize: c.newSize.toString(),
            proof: c.proof.map(encodeBase64),
            ...(c.prefixRoot === undefined ? {} : { prefixRoot: encodeBase64(c.prefixRoot) }),
          },
        }),
    ...(r.failure === undefined ? {} : { failure: r.failure }),
    observer: { name: r.observer.name, peerId: r.observer.peerId },
    createdAt: r.createdAt,
  };
  return JSON.stringify(out) + '\n';
}

/** Parses an evidence record strictly (see the module comment). Throws only {@link EvidenceError}. */
export function parseEvidence(input: string | Uint8Array): EvidenceRecord {
  let s: string;
  if (input instanceof Uint8Array) {
    if (input.length > MAX_EVIDENCE_SIZE) throw new EvidenceError('too-large', `evidence exceeds ${MAX_EVIDENCE_SIZE} bytes`);
    try {
      s = utf8DecodeStrict(input);
    } catch (cause) {
      throw new EvidenceError('bad-utf8', 'evidence is not valid UTF-8', { cause });
    }
  } else if (typeof input === 'string') {
    if (input.length > MAX_EVIDENCE_SIZE) throw new EvidenceError('too-large', `evidence exceeds ${MAX_EVIDENCE_SIZE} bytes`);
    s = input;
  } else {
    throw new EvidenceError('bad-input', 'evidence must be a string or a Uint8Array');
  }
  if (!s.isWellFormed()) throw new EvidenceError('bad-utf8', 'evidence is not well-formed Unicode');
  if (utf8Encode(s).length > MAX_EVIDENCE_SIZE) throw new EvidenceError('too-large', `evidence exceeds ${MAX_EVIDENCE_SIZE} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(s);
  } catch (cause) {
    throw new EvidenceError('bad-json', 'evidence is not JSON', { cause });
  }
  const record = recordFromJson(json);
  if (toJson(record) !== s) throw new EvidenceError('non-canonical', 'evidence is not in canonical form (field order, spacing, final LF)');
  return record;
}

/** The canonical text of a record; validates it as `parseEvidence` would (EvidenceError). */
export function formatEvidence(record: EvidenceRecord): string {
  let out: string;
  try {
    out = toJson(record);
  } catch (cause) {
    throw new EvidenceError('bad-field', 'record cannot be encoded', { cause });
  }
  parseEvidence(out);
  return out;
}

/** Hex SHA-256 of the canonical bytes: the name of one record. */
export function evidenceId(record: EvidenceRecord): string {
  return toHex(defaultBackend.sha256(utf8Encode(formatEvidence(record))));
}

/** The two checkpoints of a record (parsed, not verified). */
export function evidenceCheckpoints(record: EvidenceRecord): [Checkpoint, Checkpoint] {
  try {
    return [parseCheckpointNote(record.notes[0].note).checkpoint, parseCheckpointNote(record.notes[1].note).checkpoint];
  } catch (cause) {
    throw new EvidenceError('bad-field', 'record.notes: not signed checkpoint notes', { cause });
  }
}

/**
 * The conflict a record is about, independent of observer, times, cosignatures and proof:
 * origin plus the two (size, root) pairs in a fixed order. Several observers of one split view
 * produce different records with one conflict key.
 */
export function conflictKey(origin: string, a: Pick<Checkpoint, 'size' | 'rootHash'>, b: Pick<Checkpoint, 'size' | 'rootHash'>): string {
  const pair = (c: Pick<Checkpoint, 'size' | 'rootHash'>): string => `${c.size}:${encodeBase64(c.rootHash)}`;
  const [x, y] = [pair(a), pair(b)].sort();
  return `${origin}\n${x}\n${y}`;
}

/** {@link conflictKey} of a record. */
export function evidenceConflictKey(record: EvidenceRecord): string {
  const [a, b] = evidenceCheckpoints(record);
  return conflictKey(record.origin, a, b);
}
