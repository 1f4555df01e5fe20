/**
 * Entry bundles of c2sp.org/tlog-tiles (docs/protocols.md §6.5), served at
 * `<prefix>/tile/entries/<N>[.p/<W>]`.
 *
 * A bundle is the concatenation of its entries, each prefixed by its length as a big-endian
 * uint16. There is no header, no count and no trailer. A bundle with the two entries `"hi"` and
 * `""` (empty) is exactly these 6 bytes:
 *
 * ```
 * 00 02 68 69 00 00
 * ```
 *
 * Limits: an entry is at most 65535 bytes ({@link MAX_BUNDLE_ENTRY_SIZE}); a full bundle holds
 * 256 entries and a partial `.p/W` bundle holds W (1..255), so a bundle holds 1..256 entries
 * ({@link MAX_BUNDLE_ENTRIES}) and at most 256 · (2 + 65535) bytes ({@link MAX_BUNDLE_SIZE}).
 * An empty bundle is never served (empty tiles MUST NOT exist), so it is rejected both ways.
 *
 * Entry k of bundle N hashes, as `SHA-256(0x00 || entry)`, to hash k of level-0 tile N. Parsing
 * is strict: no trailing bytes, no truncated entry, and, when the caller knows the width from
 * the path, exactly that many entries.
 */
import { FormatError, type FormatErrorOptions } from './errors.js';

/** Largest entry a bundle can carry: the uint16 length prefix caps it at 65535 bytes. */
export const MAX_BUNDLE_ENTRY_SIZE = 0xffff;
/** Entries in a full bundle (tile width 2^8). */
export const MAX_BUNDLE_ENTRIES = 256;
/** Largest possible bundle in bytes: 256 entries of 2 + 65535 bytes. */
export const MAX_BUNDLE_SIZE = MAX_BUNDLE_ENTRIES * (2 + MAX_BUNDLE_ENTRY_SIZE);

/**
 * Errors of the entry-bundle format. Codes: `bad-input`, `too-large`, `empty-bundle`,
 * `too-many-entries`, `entry-too-large`, `truncated`, `trailing-data`, `count-mismatch`,
 * `bad-count`.
 */
export class BundleError extends FormatError {
  constructor(code: string, message: string, options?: FormatErrorOptions) {
    super('entry-bundle', code, message, options);
    this.name = 'BundleError';
  }
}

function checkCount(expectedCount: number): void {
  if (!Number.isSafeInteger(expectedCount) || expectedCount < 1 || expectedCount > MAX_BUNDLE_ENTRIES) {
    throw new BundleError('bad-count', `expected entry count must be an integer in 1..${MAX_BUNDLE_ENTRIES}`);
  }
}

/** Encodes 1..256 entries (each ≤ 65535 bytes) as a bundle. Throws {@link BundleError}. */
export function formatEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  if (!Array.isArray(entries)) throw new BundleError('bad-input', 'entries must be an array');
  if (entries.length === 0) throw new BundleError('empty-bundle', 'a bundle holds at least one entry');
  if (entries.length > MAX_BUNDLE_ENTRIES) {
    throw new BundleError('too-many-entries', `${entries.length} entries exceed the bundle maximum of ${MAX_BUNDLE_ENTRIES}`);
  }
  let total = 0;
  for (const [i, e] of entries.entries()) {
    if (!(e instanceof Uint8Array)) throw new BundleError('bad-input', `entry ${i} is not a Uint8Array`);
    if (e.length > MAX_BUNDLE_ENTRY_SIZE) {
      throw new BundleError('entry-too-large', `entry ${i} is ${e.length} bytes; the maximum is ${MAX_BUNDLE_ENTRY_SIZE}`);
    }
    total += 2 + e.length;
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const e of entries) {
    out[o] = e.length >>> 8;
    out[o + 1] = e.length & 0xff;
    out.set(e, o + 2);
    o += 2 + e.length;
  }
  return out;
}

/**
 * Decodes a bundle into copies of its entries. With `expectedCount` (the W of `.p/W`, or 256 for
 * a full bundle), the bundle must hold exactly that many entries. Throws {@link BundleError}.
 */
export function parseEntryBundle(bytes: Uint8Array, expectedCount?: number): Uint8Array[] {
  if (!(bytes instanceof Uint8Array)) throw new BundleError('bad-input', 'bundle must be a Uint8Array');
  if (expectedCount !== undefined) checkCount(expectedCount);
  const maxCount = expectedCount ?? MAX_BUNDLE_ENTRIES;
  if (bytes.length > maxCount * (2 + MAX_BUNDLE_ENTRY_SIZE)) {
    throw new BundleError('too-large', `bundle of ${bytes.length} bytes cannot hold ${maxCount} entries`);
  }
  if (bytes.length === 0) throw new BundleError('empty-bundle', 'a bundle holds at least one entry');
  const entries: Uint8Array[] = [];
  let o = 0;
  while (o < bytes.length) {
    if (entries.length === maxCount) {
      throw expectedCount === undefined
        ? new BundleError('too-many-entries', `bundle holds more than ${MAX_BUNDLE_ENTRIES} entries`)
        : new BundleError('trailing-data', `${bytes.length - o} bytes follow the last of ${expectedCount} entries`);
    }
    if (o + 2 > bytes.length) throw new BundleError('truncated', `truncated length prefix of entry ${entries.length}`);
    const len = (bytes[o]! << 8) | bytes[o + 1]!;
    if (o + 2 + len > bytes.length) {
      throw new BundleError('truncated', `entry ${entries.length} declares ${len} bytes but ${bytes.length - o - 2} remain`);
    }
    entries.push(bytes.slice(o + 2, o + 2 + len));
    o += 2 + len;
  }
  if (expectedCount !== undefined && entries.length !== expectedCount) {
    throw new BundleError('count-mismatch', `bundle holds ${entries.length} entries, want ${expectedCount}`);
  }
  return entries;
}
