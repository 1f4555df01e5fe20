/** Input checks shared by the proof verifiers: every hash is a 32-byte Uint8Array (ProofError). */
import { HASH_SIZE } from './hash.js';
import { ProofError } from './errors.js';

export function checkProofHash(h: unknown, what: string): asserts h is Uint8Array {
  if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) {
    const got = h instanceof Uint8Array ? `${h.length} bytes` : typeof h;
    throw new ProofError('bad-hash-length', `${what} must be ${HASH_SIZE} bytes, got ${got}`);
  }
}

export function checkProof(proof: readonly Uint8Array[]): void {
  if (!Array.isArray(proof)) throw new ProofError('wrong-proof-size', 'proof must be an array of hashes');
  for (let i = 0; i < proof.length; i++) checkProofHash(proof[i], `proof[${i}]`);
}
