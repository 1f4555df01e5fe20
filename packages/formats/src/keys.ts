/**
 * Note signing keys: key names, key IDs, verifier keys ("vkeys") and signer keys ("skeys").
 * c2sp.org/signed-note §Verifier keys, c2sp.org/tlog-cosignature; docs/protocols.md §2.2–§2.5, §4.1.
 *
 * ```
 * vkey: example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k
 *       <name>         <key ID> base64(type byte || public key)
 * skey: PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz
 *                   <name>       <key ID> base64(0x01 || 32-byte Ed25519 seed)   (Go convention)
 * ```
 *
 * - key ID = SHA-256(UTF-8 name || 0x0A || type byte || public key)[:4], a big-endian uint32,
 *   written as 8 lowercase hex characters. Parsers recompute it and reject a mismatch (for every
 *   type, which is stricter than transparency-dev/formats for type 0x04).
 * - A name is non-empty, well-formed Unicode, and contains no Unicode white space (Go's
 *   `unicode.IsSpace`), no `+`, and (our addition: such a name could never appear in a note) no
 *   ASCII control character.
 * - Supported types: 0x01 (Ed25519 over the note text) and 0x04 (Ed25519 cosignature/v1).
 *   Anything else, including 0x06 (ML-DSA-44), is rejected with `unsupported-alg`.
 *
 * A {@link Verifier} gets the note text bytes and the signature bytes *after* the key ID; a
 * 0x04 verifier rebuilds the cosignature/v1 message from the timestamp in those bytes (Go
 * `note.Verifier` design), so plain and cosigned notes open the same way.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { cosignatureMessageBytes, formatCosignaturePayload, parseCosignaturePayload } from './cosignature.js';
import { ed25519Backend, ED25519_PUBLIC_KEY_SIZE, ED25519_SEED_SIZE, type Ed25519Options } from './ed25519.js';
import { concatBytes, decodeBase64Strict, encodeBase64, utf8Encode } from './encoding.js';
import { CosignatureError, FormatError, KeyError } from './errors.js';

/** Signature type 0x01: Ed25519 over the note text. */
export const ALG_ED25519 = 0x01;
/** Signature type 0x04: Ed25519 timestamped cosignature/v1. */
export const ALG_COSIGNATURE_V1 = 0x04;
/** Signature type 0x06: ML-DSA-44 subtree/v1 (recognised, not supported). */
export const ALG_MLDSA44_SUBTREE_V1 = 0x06;
/** Size of a key ID on the wire. */
export const KEY_ID_SIZE = 4;
/** Longest vkey/skey text accepted (an ML-DSA-44 vkey is ~1.8 kB; Ed25519 ones are < 300 B). */
export const MAX_KEY_TEXT_LENGTH = 4096;

/** Checks a note signature. `msg` is the note text; `sig` is the signature payload after the key ID. */
export interface Verifier {
  readonly name: string;
  readonly keyId: number;
  readonly alg: number;
  readonly publicKey: Uint8Array;
  verify(msg: Uint8Array, sig: Uint8Array): boolean;
}

/** Produces note signatures. `sign(msg)` returns the signature payload without the key ID. */
export interface Signer {
  readonly name: string;
  readonly keyId: number;
  readonly alg: number;
  sign(msg: Uint8Array): Uint8Array;
}

/** A signer that also exposes its public key (all signers made here are). */
export interface KeyedSigner extends Signer {
  readonly publicKey: Uint8Array;
}

const UNICODE_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;
const ASCII_CONTROL = /[\u0000-\u001f\u007f]/u;
const KEY_ID_HEX = /^[0-9a-f]{8}$/;

/** Whether `name` is a valid key name (see module comment). Never throws. */
export function isValidKeyName(name: string): boolean {
  return typeof name === 'string' && name.length > 0 && name.isWellFormed() && !name.includes('+') &&
    !UNICODE_SPACE.test(name) && !ASCII_CONTROL.test(name);
}

/** SHA-256(name || 0x0A || alg || publicKey)[:4] as a uint32. */
export function keyId(name: string, alg: number, publicKey: Uint8Array): number {
  const h = sha256(concatBytes(utf8Encode(name), Uint8Array.of(0x0a, alg & 0xff), publicKey));
  return ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;
}

/** A key ID as 8 lowercase hex characters. */
export function formatKeyId(id: number): string {
  return (id >>> 0).toString(16).padStart(8, '0');
}

function requireName(name: string): void {
  if (!isValidKeyName(name)) throw new KeyError('bad-name', 'invalid key name (empty, white space, "+" or control character)');
}

function requireAlg(alg: number): void {
  if (alg !== ALG_ED25519 && alg !== ALG_COSIGNATURE_V1) {
    throw new KeyError('unsupported-alg', `unsupported signature type 0x${(alg & 0xff).toString(16).padStart(2, '0')}`);
  }
}

/** Builds a verifier from a name, type (0x01 or 0x04) and 32-byte Ed25519 public key. */
export function verifierFromPublicKey(name: string, alg: number, publicKey: Uint8Array, opts?: Ed25519Options): Verifier {
  requireName(name);
  requireAlg(alg);
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== ED25519_PUBLIC_KEY_SIZE) {
    throw new KeyError('bad-key-length', `Ed25519 public key must be ${ED25519_PUBLIC_KEY_SIZE} bytes`);
  }
  const pub = publicKey.slice();
  const check = ed25519Backend(opts).verifier(pub);
  const verify = alg === ALG_ED25519
    ? (msg: Uint8Array, sig: Uint8Array) => check(msg, sig)
    : (msg: Uint8Array, sig: Uint8Array) => {
      try {
        const { timestamp, signature } = parseCosignaturePayload(sig);
        return check(cosignatureMessageBytes(msg, timestamp), signature);
      } catch (err) {
        if (err instanceof FormatError) return false;
        throw err;
      }
    };
  return Object.freeze({ name, keyId: keyId(name, alg, pub), alg, publicKey: pub, verify });
}

function splitKeyText(text: string, fields: number, what: string): string[] {
  if (typeof text !== 'string') throw new KeyError('bad-format', `${what} must be a string, got ${typeof text}`);
  if (text.length > MAX_KEY_TEXT_LENGTH) {
    throw new KeyError('too-long', `${what} text longer than ${MAX_KEY_TEXT_LENGTH} characters`);
  }
  const out: string[] = [];
  let rest = text;
  for (let i = 0; i < fields - 1; i++) {
    const j = rest.indexOf('+');
    if (j < 0) throw new KeyError('bad-format', `${what} must have ${fields} '+'-separated fields`);
    out.push(rest.slice(0, j));
    rest = rest.slice(j + 1);
  }
  out.push(rest);
  return out;
}

function decodeKeyMaterial(b64: string, what: string): Uint8Array {
  try {
    return decodeBase64Strict(b64);
  } catch (cause) {
    throw new KeyError('bad-base64', `${what} key material is not canonical base64`, { cause });
  }
}

function parseKeyIdField(hex: string): number {
  if (!KEY_ID_HEX.test(hex)) throw new KeyError('bad-key-id', 'key ID must be 8 lowercase hex characters');
  return parseInt(hex, 16) >>> 0;
}

/**
 * Parses a vkey `<name>+<8 hex>+base64(type || key)` for types 0x01 and 0x04 into a
 * {@link Verifier}. Throws {@link KeyError}: `too-long`, `bad-format`, `bad-name`, `bad-key-id`,
 * `bad-base64`, `unsupported-alg`, `bad-key-length`, `key-id-mismatch`.
 */
export function parseVerifierKey(vkey: string, opts?: Ed25519Options): Verifier {
  const [name, hex, b64] = splitKeyText(vkey, 3, 'vkey') as [string, string, string];
  requireName(name);
  const id = parseKeyIdField(hex);
  const key = decodeKeyMaterial(b64, 'vkey');
  if (key.length === 0) throw new KeyError('bad-key-length', 'vkey has no key material');
  const alg = key[0]!;
  requireAlg(alg);
  if (key.length !== 1 + ED25519_PUBLIC_KEY_SIZE) {
    throw new KeyError('bad-key-length', `type 0x0${alg} vkey must carry exactly 1+${ED25519_PUBLIC_KEY_SIZE} bytes`);
  }
  const publicKey = key.subarray(1);
  if (keyId(name, alg, publicKey) !== id) throw new KeyError('key-id-mismatch', `vkey key ID ${hex} does not match its name and key`);
  return verifierFromPublicKey(name, alg, publicKey, opts);
}

/** Formats a vkey for a name, type (0x01 or 0x04) and 32-byte Ed25519 public key. */
export function formatVerifierKey(name: string, alg: number, publicKey: Uint8Array): string {
  requireName(name);
  requireAlg(alg);
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== ED25519_PUBLIC_KEY_SIZE) {
    throw new KeyError('bad-key-length', `Ed25519 public key must be ${ED25519_PUBLIC_KEY_SIZE} bytes`);
  }
  return `${name}+${formatKeyId(keyId(name, alg, publicKey))}+${encodeBase64(concatBytes(Uint8Array.of(alg), publicKey))}`;
}

/** The fields of an skey, validated. The seed is secret: don't log it. */
export interface SignerKey {
  readonly name: string;
  readonly keyId: number;
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
}

/**
 * Decodes and checks `PRIVATE+KEY+<name>+<8 hex>+base64(0x01 || seed)` (split into at most 5
 * fields; the key ID must match the derived public key). Throws {@link KeyError}.
 */
export function decodeSignerKey(skey: string, opts?: Ed25519Options): SignerKey {
  const [p1, p2, name, hex, b64] = splitKeyText(skey, 5, 'skey') as [string, string, string, string, string];
  if (p1 !== 'PRIVATE' || p2 !== 'KEY') throw new KeyError('bad-format', 'skey must start with PRIVATE+KEY+');
  requireName(name);
  const id = parseKeyIdField(hex);
  const key = decodeKeyMaterial(b64, 'skey');
  if (key.length === 0 || key[0] !== ALG_ED25519) throw new KeyError('unsupported-alg', 'skey must be type 0x01 (Ed25519)');
  if (key.length !== 1 + ED25519_SEED_SIZE) throw new KeyError('bad-key-length', `skey must carry exactly 1+${ED25519_SEED_SIZE} bytes`);
  const seed = key.slice(1);
  const publicKey = ed25519Backend(opts).publicKey(seed);
  if (keyId(name, ALG_ED25519, publicKey) !== id) throw new KeyError('key-id-mismatch', `skey key ID ${hex} does not match its name and key`);
  return { name, keyId: id, seed, publicKey };
}

/** Parses an skey into a type-0x01 {@link Signer} (Ed25519 over the note text). */
export function parseSignerKey(skey: string, opts?: Ed25519Options): KeyedSigner {
  const k = decodeSignerKey(skey, opts);
  const sign = ed25519Backend(opts).signer(k.seed);
  return Object.freeze({ name: k.name, keyId: k.keyId, alg: ALG_ED25519, publicKey: k.publicKey, sign: (msg: Uint8Array) => sign(msg) });
}

/** Formats an skey from a name and a 32-byte Ed25519 seed. */
export function formatSignerKey(name: string, seed: Uint8Array, opts?: Ed25519Options): string {
  requireName(name);
  if (!(seed instanceof Uint8Array) || seed.length !== ED25519_SEED_SIZE) {
    throw new KeyError('bad-key-length', `Ed25519 seed must be ${ED25519_SEED_SIZE} bytes`);
  }
  const id = keyId(name, ALG_ED25519, ed25519Backend(opts).publicKey(seed));
  return `PRIVATE+KEY+${name}+${formatKeyId(id)}+${encodeBase64(concatBytes(Uint8Array.of(ALG_ED25519), seed))}`;
}

/** A new skey for `name`; the seed is random (crypto.getRandomValues) unless given. */
export function generateSignerKey(name: string, seed?: Uint8Array, opts?: Ed25519Options): string {
  return formatSignerKey(name, seed ?? crypto.getRandomValues(new Uint8Array(ED25519_SEED_SIZE)), opts);
}

/** The vkey matching an skey, for type 0x01 (default) or 0x04 (cosignature/v1). */
export function verifierKeyFromSigner(skey: string, alg: number = ALG_ED25519, opts?: Ed25519Options): string {
  requireAlg(alg);
  const k = decodeSignerKey(skey, opts);
  return formatVerifierKey(k.name, alg, k.publicKey);
}

/** The type-0x04 (cosignature/v1) vkey matching an skey. */
export function cosignatureVerifierKey(skey: string, opts?: Ed25519Options): string {
  return verifierKeyFromSigner(skey, ALG_COSIGNATURE_V1, opts);
}

/**
 * A type-0x04 signer from an skey: `sign(noteText)` returns `timestamp || Ed25519 signature` over
 * `cosignature/v1\ntime <t>\n<noteText>`, with `t = clock()` in POSIX seconds (must be in
 * [0, 2^63−1], else {@link CosignatureError} `bad-timestamp`). The key ID uses type 0x04.
 */
export function cosignatureSigner(skey: string, clock: () => bigint, opts?: Ed25519Options): KeyedSigner {
  const k = decodeSignerKey(skey, opts);
  const sign = ed25519Backend(opts).signer(k.seed);
  return Object.freeze({
    name: k.name,
    keyId: keyId(k.name, ALG_COSIGNATURE_V1, k.publicKey),
    alg: ALG_COSIGNATURE_V1,
    publicKey: k.publicKey,
    sign(msg: Uint8Array): Uint8Array {
      const t = clock();
      if (typeof t !== 'bigint') throw new CosignatureError('bad-timestamp', 'clock must return a bigint of seconds');
      return formatCosignaturePayload(t, sign(cosignatureMessageBytes(msg, t)));
    },
  });
}

/** A key ID's 4 big-endian bytes. */
export function keyIdBytes(id: number): Uint8Array {
  const out = new Uint8Array(KEY_ID_SIZE);
  new DataView(out.buffer).setUint32(0, id >>> 0, false);
  return out;
}
