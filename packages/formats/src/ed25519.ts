/**
 * Pluggable Ed25519 (RFC 8032) for signed notes.
 *
 * A backend turns a 32-byte seed into a public key, a signing closure and a verifying closure.
 * Closures let a backend do the expensive key set-up once (node:crypto `KeyObject`s, see
 * `@cairn/formats/node`). The default is {@link nobleEd25519}, which is pure JavaScript and runs
 * in browsers; servers pass `{ ed25519: nodeEd25519 }` for ~10× the speed.
 *
 * Contract for every backend: `publicKey` and `signer` throw on a seed that isn't 32 bytes;
 * verifier closures never throw — a malformed signature (wrong length, non-canonical encoding)
 * simply returns `false`. `verifier` may throw on a public key that isn't 32 bytes.
 */
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';

ed.hashes.sha512 = sha512;

/** Ed25519 seed, public key and signature sizes. */
export const ED25519_SEED_SIZE = 32;
export const ED25519_PUBLIC_KEY_SIZE = 32;
export const ED25519_SIGNATURE_SIZE = 64;

/** An Ed25519 implementation. */
export interface Ed25519Backend {
  readonly name: string;
  /** The 32-byte public key of a 32-byte seed. */
  publicKey(seed: Uint8Array): Uint8Array;
  /** A deterministic signing function for a 32-byte seed. */
  signer(seed: Uint8Array): (msg: Uint8Array) => Uint8Array;
  /** A verifying function for a 32-byte public key; it returns false, never throws, on bad input. */
  verifier(publicKey: Uint8Array): (msg: Uint8Array, sig: Uint8Array) => boolean;
}

/** Options bag accepted by every function that signs or verifies. */
export interface Ed25519Options {
  /** The Ed25519 backend; default {@link nobleEd25519}. */
  readonly ed25519?: Ed25519Backend;
}

function checkLength(what: string, b: Uint8Array, n: number): void {
  if (!(b instanceof Uint8Array) || b.length !== n) throw new RangeError(`Ed25519 ${what} must be ${n} bytes`);
}

/**
 * @noble/ed25519 backend (pure JS, browser-safe). Verification uses noble's strict RFC 8032
 * branch (`zip215: false`: canonical encodings, no small-order public keys).
 */
export const nobleEd25519: Ed25519Backend = {
  name: 'noble',
  publicKey(seed) {
    checkLength('seed', seed, ED25519_SEED_SIZE);
    return ed.getPublicKey(seed);
  },
  signer(seed) {
    checkLength('seed', seed, ED25519_SEED_SIZE);
    const s = seed.slice();
    return (msg) => ed.sign(msg, s);
  },
  verifier(publicKey) {
    checkLength('public key', publicKey, ED25519_PUBLIC_KEY_SIZE);
    const pk = publicKey.slice();
    return (msg, sig) => {
      if (!(sig instanceof Uint8Array) || sig.length !== ED25519_SIGNATURE_SIZE) return false;
      try {
        return ed.verify(sig, msg, pk, { zip215: false });
      } catch {
        return false;
      }
    };
  },
};

/** The backend used when a call's options don't name one. */
export const DEFAULT_ED25519_BACKEND: Ed25519Backend = nobleEd25519;

/** Picks the backend from an options bag. */
export function ed25519Backend(opts?: Ed25519Options): Ed25519Backend {
  return opts?.ed25519 ?? DEFAULT_ED25519_BACKEND;
}
