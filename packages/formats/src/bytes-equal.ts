/**
 * Byte equality for this package's own comparisons (key IDs, public keys). Not exported: the
 * workspace's `bytesEqual` is @cairn/merkle's; formats imports no other workspace package
 * (docs/design/house.md), so it keeps this private copy of the loop.
 */

/** Constant-shape byte comparison (not constant-time; nothing here is secret). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
