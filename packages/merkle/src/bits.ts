/**
 * Small bigint helpers for uint64 tree arithmetic, and the shared argument checks.
 * Sizes and indices are uint64 (`0 ≤ x < 2^64`); levels are 0..63.
 */
import { MerkleError, ProofError } from './errors.js';

export const UINT64_LIMIT = 1n << 64n;
export const MAX_LEVEL = 63;

/** Number of bits needed to write x ≥ 0 (0 for 0). */
export function bitLength(x: bigint): number {
  let n = 0;
  while (x >= 0x100000000n) {
    x >>= 32n;
    n += 32;
  }
  return n + 32 - Math.clz32(Number(x));
}

/** Number of 1 bits in x ≥ 0. */
export function popCount(x: bigint): number {
  let n = 0;
  while (x > 0n) {
    x &= x - 1n;
    n++;
  }
  return n;
}

/** Number of trailing zero bits of x > 0 (64 for 0). */
export function trailingZeros(x: bigint): number {
  if (x === 0n) return 64;
  let n = 0;
  while ((x & 1n) === 0n) {
    x >>= 1n;
    n++;
  }
  return n;
}

/** Throws MerkleError('invalid-size') unless x is a bigint in [0, 2^64). */
export function checkUint64(x: bigint, what: string, Err: typeof MerkleError | typeof ProofError = MerkleError): void {
  if (typeof x !== 'bigint' || x < 0n || x >= UINT64_LIMIT) {
    const code = 'invalid-size';
    const message = `${what} must be a bigint in [0, 2^64), got ${String(x)}`;
    throw Err === ProofError ? new ProofError(code, message, { evidence: { [what]: x } }) : new MerkleError(code, message, { evidence: { [what]: x } });
  }
}

export function checkLevel(level: number): void {
  if (!Number.isInteger(level) || level < 0 || level > MAX_LEVEL) {
    throw new MerkleError('invalid-level', `node level must be an integer in 0..${MAX_LEVEL}, got ${String(level)}`);
  }
}
