/**
 * The wire formats of c2sp.org/tlog-witness (docs/protocols.md §5.2–5.6): the add-checkpoint request
 * body, the 409 size body, the 200 cosignature-lines body and the monitoring-path origin hash.
 *
 * `POST <submission prefix>/add-checkpoint` body (spec example, abridged to one proof line):
 *
 * ```
 * old 20852014
 * PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=
 *
 * example.com/behind-the-sofa
 * 20852163
 * CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=
 *
 * — example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=
 * ```
 *
 * The body is split at the FIRST `LF LF`: the head is `old <size>` and 0..63 proof lines (each
 * the padded base64 of a 32-byte hash); everything after the blank line is the signed checkpoint
 * note, returned byte for byte as received (signed bytes are never re-serialised; the caller
 * parses and verifies it). The body is capped at {@link MAX_ADD_CHECKPOINT_BODY} (128 KiB, as in
 * Sunlight) before anything else is looked at.
 *
 * 409 Conflict body: the witness's latest cosigned size, `"<size>\n"`, with the exact
 * Content-Type {@link TLOG_SIZE_CONTENT_TYPE} (`text/x.tlog.size`).
 *
 * 200 body: one or more note signature lines, `"— <name> <base64(keyID || sig)>\n"` each.
 *
 * Monitoring path: `<monitoring prefix>/<originHash(origin)>/checkpoint`, where the hash is the
 * lowercase hex SHA-256 of the origin bytes: `rome2026h1.example.org` →
 * `000de184301123b9278c086a7d9f68c9577e83872224c197058fd90784ea9706`.
 *
 * Every {@link WitnessRequestError} means "malformed request" (HTTP 400); every
 * {@link WitnessResponseError} means the witness answered something malformed.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import {
  concatBytes,
  decodeBase64Strict,
  encodeBase64,
  formatDecimal,
  MAX_INT63,
  parseDecimal,
  toHex,
  utf8DecodeStrict,
  utf8Encode,
  utf8EncodeStrict,
} from './encoding.js';
import { FormatError, type FormatErrorOptions } from './errors.js';
import { hexByte, splitHeadAndNote } from './head.js';
import { isValidKeyName } from './keys.js';
import { SIGNATURE_LINE_PREFIX, type NoteSignature } from './note.js';

/** Largest add-checkpoint body a witness accepts (Sunlight's cap). */
export const MAX_ADD_CHECKPOINT_BODY = 128 * 1024;
/** A client MUST NOT send more than 63 consistency-proof lines. */
export const MAX_CONSISTENCY_PROOF_LINES = 63;
/** Exact Content-Type of a 409 response body. */
export const TLOG_SIZE_CONTENT_TYPE = 'text/x.tlog.size';
/** Largest 200 (cosignature lines) body a client accepts. */
export const MAX_COSIGNATURE_RESPONSE = 128 * 1024;
/** Most signature lines a client accepts in one 200 body (Go's note.Open caps a note at 100). */
export const MAX_COSIGNATURE_LINES = 100;
/** Longest 409 body: 19 digits of 2^63−1 and LF. */
const MAX_SIZE_BODY = 20;
const HASH_SIZE = 32;
/** A signature payload holds a 4-byte key ID and at least one signature byte (Go's rule). */
const MIN_SIG_PAYLOAD = 5;

/**
 * A malformed add-checkpoint request (always HTTP 400). Codes: `bad-input`, `too-large`,
 * `no-separator`, `bad-head`, `bad-old-line`, `too-many-proof-lines`, `bad-proof-line`,
 * `empty-note`, `bad-origin`.
 */
export class WitnessRequestError extends FormatError {
  constructor(code: string, message: string, options?: FormatErrorOptions) {
    super('tlog-witness-request', code, message, options);
    this.name = 'WitnessRequestError';
  }
}

/**
 * A malformed witness response. Codes: `bad-input`, `too-large`, `bad-size-body`, `empty`,
 * `missing-newline`, `bad-char`, `bad-line`, `bad-name`, `bad-signature`, `too-many-lines`.
 */
export class WitnessResponseError extends FormatError {
  constructor(code: string, message: string, options?: FormatErrorOptions) {
    super('tlog-witness-response', code, message, options);
    this.name = 'WitnessResponseError';
  }
}

/** A parsed add-checkpoint request. */
export interface AddCheckpointRequest {
  /** The size the client believes the witness last cosigned (0 if none). */
  readonly oldSize: bigint;
  /** Consistency proof from `oldSize` to the checkpoint's size (0..63 hashes of 32 bytes). */
  readonly proof: Uint8Array[];
  /** The signed checkpoint note, exactly the bytes received after the blank line. */
  readonly checkpoint: Uint8Array;
}

/** What {@link formatAddCheckpointRequest} encodes; a string checkpoint is encoded as UTF-8. */
export interface AddCheckpointRequestInit {
  readonly oldSize: bigint;
  readonly proof: readonly Uint8Array[];
  readonly checkpoint: Uint8Array | string;
}

/**
 * One note signature line of a 200 response: the same shape as a signed note's signatures
 * (`payload` is the signature after the 4-byte key ID, `line` the exact line without its LF).
 */
export type CosignatureLine = NoteSignature;

const OLD_PREFIX = 'old ';

/** Splits and validates an add-checkpoint body. Throws only {@link WitnessRequestError}. */
export function parseAddCheckpointRequest(body: Uint8Array): AddCheckpointRequest {
  if (!(body instanceof Uint8Array)) throw new WitnessRequestError('bad-input', 'request body must be a Uint8Array');
  if (body.length > MAX_ADD_CHECKPOINT_BODY) {
    throw new WitnessRequestError('too-large', `request body of ${body.length} bytes exceeds ${MAX_ADD_CHECKPOINT_BODY}`);
  }
  // The head is printable ASCII and LF only (this also rules out CR, TAB and NUL).
  const split = splitHeadAndNote(body);
  if (!split.ok) {
    if (split.code === 'no-separator') throw new WitnessRequestError('no-separator', 'request body has no blank line before the checkpoint');
    throw new WitnessRequestError('bad-head', `byte ${hexByte(split.byte)} at offset ${split.offset} in the request head`);
  }
  const lines = split.lines;
  const oldLine = lines[0]!;
  if (!oldLine.startsWith(OLD_PREFIX)) throw new WitnessRequestError('bad-old-line', 'request must start with "old <size>"');
  let oldSize: bigint;
  try {
    oldSize = parseDecimal(oldLine.slice(OLD_PREFIX.length));
  } catch (cause) {
    throw new WitnessRequestError('bad-old-line', 'old size is not a canonical decimal ≤ 2^63−1', { cause });
  }
  const proofLines = lines.slice(1);
  if (proofLines.length > MAX_CONSISTENCY_PROOF_LINES) {
    throw new WitnessRequestError('too-many-proof-lines', `${proofLines.length} proof lines exceed ${MAX_CONSISTENCY_PROOF_LINES}`);
  }
  const proof = proofLines.map((l, i) => {
    try {
      return decodeBase64Strict(l, HASH_SIZE);
    } catch (cause) {
      throw new WitnessRequestError('bad-proof-line', `proof line ${i + 1} is not the base64 of a 32-byte hash`, { cause });
    }
  });
  const checkpoint = split.note.slice(); // a copy: the caller may reuse the request buffer
  if (checkpoint.length === 0) throw new WitnessRequestError('empty-note', 'request has no checkpoint after the blank line');
  return { oldSize, proof, checkpoint };
}

/** Builds an add-checkpoint body. Throws {@link WitnessRequestError} on invalid input. */
export function formatAddCheckpointRequest(req: AddCheckpointRequestInit): Uint8Array {
  const { oldSize, proof, checkpoint } = req;
  if (typeof oldSize !== 'bigint' || oldSize < 0n || oldSize > MAX_INT63) {
    throw new WitnessRequestError('bad-old-line', 'old size must be a bigint in 0..2^63−1');
  }
  if (!Array.isArray(proof) || proof.length > MAX_CONSISTENCY_PROOF_LINES) {
    throw new WitnessRequestError('too-many-proof-lines', `at most ${MAX_CONSISTENCY_PROOF_LINES} proof hashes`);
  }
  let head = `${OLD_PREFIX}${formatDecimal(oldSize)}\n`;
  for (const [i, h] of proof.entries()) {
    if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) {
      throw new WitnessRequestError('bad-proof-line', `proof hash ${i} is not 32 bytes`);
    }
    head += `${encodeBase64(h)}\n`;
  }
  let note: Uint8Array;
  try {
    note = typeof checkpoint === 'string' ? utf8EncodeStrict(checkpoint) : checkpoint;
  } catch (cause) {
    throw new WitnessRequestError('bad-input', 'checkpoint string is not well-formed Unicode', { cause });
  }
  if (!(note instanceof Uint8Array)) throw new WitnessRequestError('bad-input', 'checkpoint must be bytes or a string');
  if (note.length === 0) throw new WitnessRequestError('empty-note', 'checkpoint note is empty');
  const out = concatBytes(utf8Encode(`${head}\n`), note);
  if (out.length > MAX_ADD_CHECKPOINT_BODY) {
    throw new WitnessRequestError('too-large', `request body of ${out.length} bytes exceeds ${MAX_ADD_CHECKPOINT_BODY}`);
  }
  return out;
}

/** The 409 body: `"<size>\n"`. */
export function formatSizeBody(size: bigint): string {
  if (typeof size !== 'bigint' || size < 0n || size > MAX_INT63) {
    throw new WitnessResponseError('bad-size-body', 'size must be a bigint in 0..2^63−1');
  }
  return `${formatDecimal(size)}\n`;
}

function asText(input: string | Uint8Array, max: number): string {
  if (typeof input === 'string') {
    // UTF-16 length ≤ UTF-8 length, so this rejects oversized text before encoding anything.
    if (input.length > max) throw new WitnessResponseError('too-large', `response exceeds ${max} bytes`);
    return input;
  }
  if (!(input instanceof Uint8Array)) throw new WitnessResponseError('bad-input', 'response must be a string or bytes');
  if (input.length > max) throw new WitnessResponseError('too-large', `response of ${input.length} bytes exceeds ${max}`);
  try {
    return utf8DecodeStrict(input);
  } catch (cause) {
    throw new WitnessResponseError('bad-char', 'response is not valid UTF-8', { cause });
  }
}

/** Parses a 409 body strictly (`/^(0|[1-9][0-9]*)\n$/`, ≤ 2^63−1). Throws {@link WitnessResponseError}. */
export function parseSizeBody(body: string | Uint8Array): bigint {
  const text = asText(body, MAX_SIZE_BODY);
  if (!text.endsWith('\n')) throw new WitnessResponseError('bad-size-body', 'size body must end in a newline');
  try {
    return parseDecimal(text.slice(0, -1));
  } catch (cause) {
    throw new WitnessResponseError('bad-size-body', 'size body is not a canonical decimal ≤ 2^63−1', { cause });
  }
}

/**
 * Parses a 200 body: one or more note signature lines, each ending in LF. Nothing is skipped: any
 * malformed line rejects the whole body. The lines are not verified here; append them to the
 * checkpoint note and open it with the trusted witness keys. Throws {@link WitnessResponseError}.
 */
export function parseCosignatureLines(body: string | Uint8Array): CosignatureLine[] {
  const text = asText(body, MAX_COSIGNATURE_RESPONSE);
  if (text.length === 0) throw new WitnessResponseError('empty', 'response holds no signature line');
  if (!text.endsWith('\n')) throw new WitnessResponseError('missing-newline', 'response must end in a newline');
  // No control characters other than LF (so no CR, TAB, NUL), and no lone surrogates.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(text) || !text.isWellFormed()) {
    throw new WitnessResponseError('bad-char', 'response contains a control character or invalid Unicode');
  }
  const rawLines = text.slice(0, -1).split('\n');
  if (rawLines.length > MAX_COSIGNATURE_LINES) {
    throw new WitnessResponseError('too-many-lines', `${rawLines.length} signature lines exceed ${MAX_COSIGNATURE_LINES}`);
  }
  return rawLines.map((raw, i) => parseSignatureLine(raw, i + 1));
}

function parseSignatureLine(raw: string, lineNo: number): CosignatureLine {
  if (!raw.startsWith(SIGNATURE_LINE_PREFIX)) {
    throw new WitnessResponseError('bad-line', `line ${lineNo} does not start with "— "`);
  }
  const rest = raw.slice(SIGNATURE_LINE_PREFIX.length);
  const space = rest.indexOf(' ');
  if (space < 0) throw new WitnessResponseError('bad-line', `line ${lineNo} has no space between name and signature`);
  const name = rest.slice(0, space);
  if (!isValidKeyName(name)) throw new WitnessResponseError('bad-name', `line ${lineNo} has an invalid key name`);
  let decoded: Uint8Array;
  try {
    decoded = decodeBase64Strict(rest.slice(space + 1));
  } catch (cause) {
    throw new WitnessResponseError('bad-signature', `line ${lineNo} signature is not canonical base64`, { cause });
  }
  if (decoded.length < MIN_SIG_PAYLOAD) {
    throw new WitnessResponseError('bad-signature', `line ${lineNo} signature is shorter than ${MIN_SIG_PAYLOAD} bytes`);
  }
  const keyId = new DataView(decoded.buffer, decoded.byteOffset, 4).getUint32(0, false);
  return { name, keyId, payload: decoded.slice(4), line: raw };
}

/** Formats signature lines as a 200 body (each `— name base64(keyID || payload)` LF). */
export function formatCosignatureLines(
  lines: readonly { readonly name: string; readonly keyId: number; readonly payload: Uint8Array }[],
): string {
  if (!Array.isArray(lines) || lines.length === 0) throw new WitnessResponseError('empty', 'at least one signature line');
  if (lines.length > MAX_COSIGNATURE_LINES) {
    throw new WitnessResponseError('too-many-lines', `${lines.length} signature lines exceed ${MAX_COSIGNATURE_LINES}`);
  }
  let out = '';
  for (const [i, l] of lines.entries()) {
    if (!isValidKeyName(l.name)) throw new WitnessResponseError('bad-name', `signature ${i} has an invalid key name`);
    if (!Number.isInteger(l.keyId) || l.keyId < 0 || l.keyId > 0xffffffff) {
      throw new WitnessResponseError('bad-signature', `signature ${i} key ID is not a uint32`);
    }
    if (!(l.payload instanceof Uint8Array) || l.payload.length < 1) {
      throw new WitnessResponseError('bad-signature', `signature ${i} payload is empty`);
    }
    const bytes = new Uint8Array(4 + l.payload.length);
    new DataView(bytes.buffer).setUint32(0, l.keyId, false);
    bytes.set(l.payload, 4);
    out += `${SIGNATURE_LINE_PREFIX}${l.name} ${encodeBase64(bytes)}\n`;
  }
  return out;
}

/**
 * Lowercase hex SHA-256 of the origin's UTF-8 bytes, the `<origin hash>` of the monitoring path
 * `<monitoring prefix>/<origin hash>/checkpoint`. Throws {@link WitnessRequestError} (`bad-origin`).
 */
export function originHash(origin: string): string {
  if (typeof origin !== 'string' || origin.length === 0) throw new WitnessRequestError('bad-origin', 'origin must be a non-empty string');
  let bytes: Uint8Array;
  try {
    bytes = utf8EncodeStrict(origin);
  } catch (cause) {
    throw new WitnessRequestError('bad-origin', 'origin is not well-formed Unicode', { cause });
  }
  return toHex(sha256(bytes));
}

/** The monitoring path below the monitoring prefix: `<origin hash>/checkpoint`. */
export function monitoringCheckpointPath(origin: string): string {
  return `${originHash(origin)}/checkpoint`;
}

/** Whether `s` has the shape of an origin hash (64 lowercase hex characters). */
export function isOriginHash(s: string): boolean {
  return typeof s === 'string' && /^[0-9a-f]{64}$/.test(s);
}
