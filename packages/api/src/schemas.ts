/**
 * zod schemas for the values that cross the tRPC wire, and their canonical encodings.
 *
 * - Sizes and indices travel as canonical decimal strings (`/^(0|[1-9][0-9]*)$/`, at most
 *   2^63−1, so Go's int64 tooling agrees) and are `bigint` inside: `"0"`, `"1234"`; never
 *   `"01"`, `"+1"`, `"1e3"`, `" 1"` or `"9223372036854775808"`. The text length is capped before
 *   `BigInt` runs.
 * - Entries and hashes travel as padded standard base64 (RFC 4648 §4), validated canonically by
 *   by {@link decodeBase64Canonical}: Node's native decoder (it alone would accept garbage:
 *   it skips invalid characters and accepts base64url) followed by a native re-encode that must
 *   give back exactly the input, which rejects every non-canonical text. The text length
 *   is capped first, so an oversized entry is refused before any decoding: 65535 bytes is at most
 *   87380 base64 characters.
 *
 * Every schema turns its failure into a zod issue with a message that says what was wrong; the
 * error formatter in trpc.ts prefixes it with the field path (`entries[3]: …`).
 */
import { z } from 'zod';
import { MAX_INT63 } from '@cairn/formats';

/** Largest entry (bytes): entry bundles frame each entry with a big-endian uint16 length. */
export const MAX_ENTRY_BYTES = 65_535;
/** Most entries one `submit` call may carry. */
export const MAX_SUBMIT_ENTRIES = 1_000;
/** Most proofs one `inclusionProofs` call returns. */
export const MAX_PROOFS_PER_CALL = 1_000;
/** Most entries one `entries` call returns. */
export const MAX_ENTRIES_RANGE = 256;
/** SHA-256 output size. */
export const HASH_BYTES = 32;

const DECIMAL = /^(0|[1-9][0-9]*)$/;
const MAX_DECIMAL_CHARS = MAX_INT63.toString().length;

/**
 * Decodes canonical padded standard base64 (RFC 4648 §4) with Node's native codec: decode, then
 * re-encode and require the exact input back. Anything the lenient decoder would have skipped or
 * reinterpreted (invalid characters, white space, base64url, missing padding, non-zero trailing
 * bits) makes the round trip differ. Server-side only (uses Buffer); ~5× faster than the portable
 * decoder in @cairn/formats, which matters on the ingestion path. Throws RangeError.
 */
export function decodeBase64Canonical(s: string): Uint8Array {
  const buf = Buffer.from(s, 'base64');
  if (buf.toString('base64') !== s) throw new RangeError('not canonical padded standard base64');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Longest base64 text that can hold `n` bytes. */
export function base64Length(n: number): number {
  return 4 * Math.ceil(n / 3);
}

/** A canonical decimal string (≤ 2^63−1) on the wire; a bigint inside. */
export const decimalSchema = z
  .string()
  .max(MAX_DECIMAL_CHARS, `must be a decimal of at most ${MAX_DECIMAL_CHARS} digits (≤ 2^63−1)`)
  .regex(DECIMAL, 'must be a canonical decimal string: digits only, no sign, no leading zeros')
  .transform((s, ctx) => {
    const n = BigInt(s);
    if (n > MAX_INT63) {
      ctx.issues.push({ code: 'custom', message: `${s} exceeds the maximum 2^63−1`, input: s });
      return z.NEVER;
    }
    return n;
  });

/** One log entry: canonical base64 of at most {@link MAX_ENTRY_BYTES} bytes; a Uint8Array inside. */
export const entrySchema = z
  .string()
  .max(base64Length(MAX_ENTRY_BYTES), `an entry may be at most ${MAX_ENTRY_BYTES} bytes`)
  .transform((s, ctx) => {
    try {
      const bytes = decodeBase64Canonical(s);
      if (bytes.length > MAX_ENTRY_BYTES) {
        ctx.issues.push({ code: 'custom', message: `entry is ${bytes.length} bytes; the maximum is ${MAX_ENTRY_BYTES}`, input: s });
        return z.NEVER;
      }
      return bytes;
    } catch {
      ctx.issues.push({ code: 'custom', message: 'entry is not canonical padded standard base64', input: s });
      return z.NEVER;
    }
  });

/** A SHA-256 hash: canonical base64 of exactly 32 bytes (44 characters); a Uint8Array inside. */
export const hashSchema = z
  .string()
  .length(base64Length(HASH_BYTES), `a hash is ${base64Length(HASH_BYTES)} base64 characters (32 bytes)`)
  .transform((s, ctx) => {
    try {
      const bytes = decodeBase64Canonical(s);
      if (bytes.length !== HASH_BYTES) throw new RangeError('not 32 bytes');
      return bytes;
    } catch {
      ctx.issues.push({ code: 'custom', message: 'hash is not canonical base64 of 32 bytes', input: s });
      return z.NEVER;
    }
  });

/** How long `submit` waits: until durable (`none`) or until a signed checkpoint covers the entries. */
export const waitSchema = z.enum(['none', 'checkpoint', 'cosigned']);

/** Formats a zod issue path as `entries[3].x`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}

/** A validation issue: where and what. */
export interface ValidationIssue {
  readonly path?: readonly PropertyKey[] | undefined;
  readonly message: string;
}

/** One line per issue, `path: message`, for error messages that say what was wrong. */
export function describeIssues(issues: readonly ValidationIssue[]): string {
  const lines = issues.slice(0, 5).map((i) => {
    const where = formatIssuePath((i.path ?? []).map((p) => (typeof p === 'object' && p !== null && 'key' in p ? (p as { key: PropertyKey }).key : p)));
    return where === '' ? i.message : `${where}: ${i.message}`;
  });
  if (issues.length > 5) lines.push(`(${issues.length - 5} more issues)`);
  return lines.join('; ');
}
