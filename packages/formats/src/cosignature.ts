/**
 * Ed25519 `cosignature/v1` (signature type 0x04), c2sp.org/tlog-cosignature v1.0.1.
 *
 * A cosignature is a signed-note line added to a checkpoint by a witness or mirror. Its payload,
 * after the 4-byte key ID, is 72 bytes: `timestamp (uint64 big-endian) || Ed25519 signature`,
 * so the whole line payload is 76 bytes (104 base64 characters). The timestamp is POSIX seconds
 * and MUST be ≤ 2^63−1. The signed message is exactly:
 *
 * ```
 * cosignature/v1\n
 * time 1679315147\n
 * example.com/behind-the-sofa\n          (the whole checkpoint note text,
 * 20852163\n                              extension lines included,
 * CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n   signature lines excluded)
 * ```
 *
 * Key IDs use type byte 0x04: SHA-256(name || 0x0A || 0x04 || pubkey)[:4]. Key handling (vkeys,
 * signers that read a clock) is in keys.ts; this module is the payload and message layer.
 */
import { ed25519Backend, ED25519_SIGNATURE_SIZE, type Ed25519Options } from './ed25519.js';
import { CosignatureError, FormatError } from './errors.js';
import { concatBytes, formatDecimal, MAX_INT63, utf8Encode } from './encoding.js';

/** First line of every cosignature/v1 signed message (with its LF). */
export const COSIGNATURE_V1_HEADER = 'cosignature/v1\n';
/** Bytes of a cosignature/v1 payload after the key ID: 8-byte timestamp + 64-byte signature. */
export const COSIGNATURE_PAYLOAD_SIZE = 8 + ED25519_SIGNATURE_SIZE;
/** The largest timestamp tlog-cosignature v1.0.1 allows: 2^63 − 1. */
export const MAX_COSIGNATURE_TIMESTAMP = MAX_INT63;

/** A decoded cosignature/v1 payload. */
export interface CosignaturePayload {
  readonly timestamp: bigint;
  readonly signature: Uint8Array;
}

function checkTimestamp(timestamp: bigint): void {
  if (typeof timestamp !== 'bigint' || timestamp < 0n || timestamp > MAX_COSIGNATURE_TIMESTAMP) {
    throw new CosignatureError('bad-timestamp', 'cosignature timestamp must be a bigint in [0, 2^63-1]');
  }
}

/** `cosignature/v1\ntime <t>\n` || text bytes; the text bytes are taken as given. */
export function cosignatureMessageBytes(checkpointText: Uint8Array, timestamp: bigint): Uint8Array {
  checkTimestamp(timestamp);
  return concatBytes(utf8Encode(`${COSIGNATURE_V1_HEADER}time ${formatDecimal(timestamp)}\n`), checkpointText);
}

/**
 * The exact bytes a cosignature/v1 signs for a checkpoint note text (which must end in LF).
 * Throws {@link CosignatureError} (`bad-timestamp`, `bad-text`).
 */
export function cosignatureMessage(checkpointText: string, timestamp: bigint): Uint8Array {
  if (typeof checkpointText !== 'string' || !checkpointText.endsWith('\n') || !checkpointText.isWellFormed()) {
    throw new CosignatureError('bad-text', 'checkpoint text must be well-formed and end in LF');
  }
  return cosignatureMessageBytes(utf8Encode(checkpointText), timestamp);
}

/**
 * Splits a payload (the signature bytes after the 4-byte key ID) into timestamp and signature.
 * Throws {@link CosignatureError} (`bad-length` unless exactly 72 bytes, `bad-timestamp` above 2^63−1).
 */
export function parseCosignaturePayload(payload: Uint8Array): CosignaturePayload {
  if (!(payload instanceof Uint8Array) || payload.length !== COSIGNATURE_PAYLOAD_SIZE) {
    throw new CosignatureError('bad-length', `cosignature/v1 payload must be ${COSIGNATURE_PAYLOAD_SIZE} bytes after the key ID`);
  }
  const timestamp = new DataView(payload.buffer, payload.byteOffset, 8).getBigUint64(0, false);
  if (timestamp > MAX_COSIGNATURE_TIMESTAMP) {
    throw new CosignatureError('bad-timestamp', `cosignature timestamp ${timestamp} exceeds 2^63-1`);
  }
  return { timestamp, signature: payload.slice(8) };
}

/** Builds the 72-byte payload `timestamp || signature`. */
export function formatCosignaturePayload(timestamp: bigint, signature: Uint8Array): Uint8Array {
  checkTimestamp(timestamp);
  if (!(signature instanceof Uint8Array) || signature.length !== ED25519_SIGNATURE_SIZE) {
    throw new CosignatureError('bad-length', `Ed25519 signature must be ${ED25519_SIGNATURE_SIZE} bytes`);
  }
  const out = new Uint8Array(COSIGNATURE_PAYLOAD_SIZE);
  new DataView(out.buffer).setBigUint64(0, timestamp, false);
  out.set(signature, 8);
  return out;
}

/**
 * Signs a checkpoint note text at `timestamp` with a 32-byte Ed25519 seed; returns the 72-byte
 * payload (prefix it with the 0x04 key ID to make a note signature).
 */
export function signCosignature(checkpointText: string, timestamp: bigint, seed: Uint8Array, opts?: Ed25519Options): Uint8Array {
  const msg = cosignatureMessage(checkpointText, timestamp);
  const sig = ed25519Backend(opts).signer(seed)(msg);
  return formatCosignaturePayload(timestamp, sig);
}

/**
 * Verifies a 72-byte payload over a checkpoint note text with a 32-byte Ed25519 public key.
 * Returns false (never throws) for a malformed payload or an out-of-range timestamp.
 */
export function verifyCosignature(checkpointText: string, payload: Uint8Array, publicKey: Uint8Array, opts?: Ed25519Options): boolean {
  let parsed: CosignaturePayload;
  let msg: Uint8Array;
  try {
    parsed = parseCosignaturePayload(payload);
    msg = cosignatureMessage(checkpointText, parsed.timestamp);
  } catch (err) {
    if (err instanceof FormatError) return false;
    throw err;
  }
  return ed25519Backend(opts).verifier(publicKey)(msg, parsed.signature);
}

/**
 * The timestamp (POSIX seconds) of a cosignature/v1 note signature, given its payload after the
 * key ID (e.g. a verified `NoteSignature`). Clients use it to reject future or millisecond
 * timestamps. Throws {@link CosignatureError} for a payload that isn't cosignature/v1 (for
 * example a 64-byte plain Ed25519 signature).
 */
export function cosignatureTimestamp(sig: { readonly payload: Uint8Array } | Uint8Array): bigint {
  return parseCosignaturePayload(sig instanceof Uint8Array ? sig : sig.payload).timestamp;
}
