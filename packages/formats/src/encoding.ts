/**
 * Strict, browser-safe encodings shared by every C2SP format (docs/protocols.md §1).
 *
 * - base64: RFC 4648 §4 standard alphabet *with* `=` padding. A 32-byte hash is 44 characters
 *   (`CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=`). Decoding is canonical: no white space, no
 *   missing padding, no non-zero trailing bits; the input must re-encode to itself.
 * - decimal: `/^(0|[1-9][0-9]*)$/`, checked before `BigInt`, capped at 2^63−1 by default (Go
 *   implementations use int64).
 * - hex: lowercase only, fixed length.
 * - UTF-8: decoded with a fatal decoder (no replacement characters, BOM kept as text).
 *
 * No `Buffer`, no `node:*` import: this module runs in browsers.
 */
import { EncodingError } from './errors.js';

/** The largest value Go's int64-based parsers accept: 2^63 − 1. */
export const MAX_INT63 = (1n << 63n) - 1n;

const B64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_LOOKUP: Int16Array = (() => {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < B64_ALPHABET.length; i++) t[B64_ALPHABET.charCodeAt(i)] = i;
  return t;
})();
const B64_SHAPE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DECIMAL = /^(0|[1-9][0-9]*)$/;
const HEX_LOWER = /^(?:[0-9a-f]{2})*$/;

/** Encodes bytes as padded standard base64. */
export function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  const n = bytes.length;
  let i = 0;
  for (; i + 3 <= n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64_ALPHABET[v >>> 18]! + B64_ALPHABET[(v >>> 12) & 63]! + B64_ALPHABET[(v >>> 6) & 63]! +
      B64_ALPHABET[v & 63]!;
  }
  if (n - i === 1) {
    const v = bytes[i]! << 16;
    out += B64_ALPHABET[v >>> 18]! + B64_ALPHABET[(v >>> 12) & 63]! + '==';
  } else if (n - i === 2) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += B64_ALPHABET[v >>> 18]! + B64_ALPHABET[(v >>> 12) & 63]! + B64_ALPHABET[(v >>> 6) & 63]! + '=';
  }
  return out;
}

/**
 * Decodes canonical padded standard base64. With `expectedLength`, the decoded length must equal
 * it (checked on the text length first, so oversized input is rejected before decoding).
 * Throws {@link EncodingError} (`bad-base64`, `bad-length`).
 */
export function decodeBase64Strict(s: string, expectedLength?: number): Uint8Array {
  return decodeBase64(s, expectedLength, false);
}

/**
 * Like {@link decodeBase64Strict} (alphabet, padding and length are still strict) but tolerates
 * non-zero trailing bits, as Go's `base64.StdEncoding` does; `canonical` tells whether they were
 * zero. Only for signature lines, where a non-canonical line from a known key must be reported as
 * an invalid signature rather than a syntax error (tlog-witness: 403, not 400).
 */
export function decodeBase64Tolerant(s: string): { bytes: Uint8Array; canonical: boolean } {
  const bytes = decodeBase64(s, undefined, true);
  return { bytes, canonical: encodeBase64(bytes) === s };
}

function decodeBase64(s: string, expectedLength: number | undefined, allowTrailingBits: boolean): Uint8Array {
  if (typeof s !== 'string') throw new EncodingError('bad-base64', 'base64 input is not a string');
  if (expectedLength !== undefined && s.length !== 4 * Math.ceil(expectedLength / 3)) {
    throw new EncodingError('bad-length', `base64 text of ${s.length} characters cannot hold exactly ${expectedLength} bytes`);
  }
  if (!B64_SHAPE.test(s)) throw new EncodingError('bad-base64', 'invalid padded standard base64');
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const outLen = (s.length / 4) * 3 - pad;
  const out = new Uint8Array(outLen);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    const a = B64_LOOKUP[s.charCodeAt(i)]!;
    const b = B64_LOOKUP[s.charCodeAt(i + 1)]!;
    const c = s[i + 2] === '=' ? 0 : B64_LOOKUP[s.charCodeAt(i + 2)]!;
    const d = s[i + 3] === '=' ? 0 : B64_LOOKUP[s.charCodeAt(i + 3)]!;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    if (o < outLen) out[o++] = v >>> 16;
    if (o < outLen) out[o++] = (v >>> 8) & 0xff;
    if (o < outLen) out[o++] = v & 0xff;
  }
  // Non-zero trailing bits would decode to the same bytes as another string: not canonical.
  if (!allowTrailingBits && encodeBase64(out) !== s) {
    throw new EncodingError('bad-base64', 'non-canonical base64 (trailing bits set)');
  }
  if (expectedLength !== undefined && outLen !== expectedLength) {
    throw new EncodingError('bad-length', `base64 decodes to ${outLen} bytes, want ${expectedLength}`);
  }
  return out;
}

/**
 * Parses a canonical unsigned decimal (`/^(0|[1-9][0-9]*)$/`) no larger than `max`
 * (default 2^63−1). Throws {@link EncodingError} (`bad-decimal`, `out-of-range`).
 */
export function parseDecimal(s: string, max: bigint = MAX_INT63): bigint {
  if (typeof s !== 'string' || !DECIMAL.test(s)) {
    throw new EncodingError('bad-decimal', 'not a canonical decimal integer');
  }
  // Cap the text before BigInt so huge inputs cost nothing.
  if (s.length > max.toString().length) throw new EncodingError('out-of-range', `decimal exceeds ${max}`);
  const n = BigInt(s);
  if (n > max) throw new EncodingError('out-of-range', `decimal ${s} exceeds ${max}`);
  return n;
}

/** Formats a non-negative bigint as a canonical decimal. */
export function formatDecimal(n: bigint): string {
  if (typeof n !== 'bigint' || n < 0n) throw new EncodingError('out-of-range', 'decimal must be a non-negative bigint');
  return n.toString(10);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Encodes a string as UTF-8 (lone surrogates become U+FFFD; see {@link utf8EncodeStrict}). */
export function utf8Encode(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Encodes a string as UTF-8, rejecting lone surrogates (`bad-utf8`), which would not round-trip. */
export function utf8EncodeStrict(s: string): Uint8Array {
  if (typeof s !== 'string' || !s.isWellFormed()) throw new EncodingError('bad-utf8', 'string has lone surrogates');
  return encoder.encode(s);
}

/** Decodes UTF-8, rejecting any invalid sequence (`bad-utf8`). A leading BOM is kept. */
export function utf8DecodeStrict(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch (cause) {
    throw new EncodingError('bad-utf8', 'invalid UTF-8', { cause });
  }
}

/** Lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** Decodes lowercase hex of even length (and of `expectedLength` bytes if given). Throws `bad-hex`. */
export function fromHexStrict(s: string, expectedLength?: number): Uint8Array {
  if (typeof s !== 'string' || !HEX_LOWER.test(s)) throw new EncodingError('bad-hex', 'not lowercase hex of even length');
  if (expectedLength !== undefined && s.length !== 2 * expectedLength) {
    throw new EncodingError('bad-length', `hex decodes to ${s.length / 2} bytes, want ${expectedLength}`);
  }
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
