/**
 * `@cairn/formats/node`: the node:crypto Ed25519 backend (OpenSSL; ~10× noble's speed).
 *
 * ```ts
 * import { openCheckpoint, parseVerifierKey } from '@cairn/formats';
 * import { nodeEd25519 } from '@cairn/formats/node';
 * const v = parseVerifierKey(vkey, { ed25519: nodeEd25519 });
 * ```
 *
 * Key objects are built once per signer/verifier closure: the private key from a PKCS#8 DER
 * (RFC 8410) wrapping the 32-byte seed, the public key from an SPKI DER. Verifiers never throw:
 * a malformed signature returns false.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { ED25519_PUBLIC_KEY_SIZE, ED25519_SEED_SIZE, ED25519_SIGNATURE_SIZE, type Ed25519Backend } from './ed25519.js';

// SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING (32) } }
const PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);
// SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (0 unused bits, 32 bytes) }
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

function withPrefix(prefix: Uint8Array, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(prefix.length + body.length);
  out.set(prefix, 0);
  out.set(body, prefix.length);
  return out;
}

function privateKey(seed: Uint8Array): KeyObject {
  if (!(seed instanceof Uint8Array) || seed.length !== ED25519_SEED_SIZE) {
    throw new RangeError(`Ed25519 seed must be ${ED25519_SEED_SIZE} bytes`);
  }
  return createPrivateKey({ key: Buffer.from(withPrefix(PKCS8_PREFIX, seed)), format: 'der', type: 'pkcs8' });
}

/** node:crypto Ed25519 backend with cached KeyObjects. */
export const nodeEd25519: Ed25519Backend = {
  name: 'node',
  publicKey(seed) {
    const spki = createPublicKey(privateKey(seed)).export({ format: 'der', type: 'spki' });
    return new Uint8Array(spki.subarray(SPKI_PREFIX.length));
  },
  signer(seed) {
    const key = privateKey(seed);
    return (msg) => new Uint8Array(sign(null, msg, key));
  },
  verifier(publicKey) {
    if (!(publicKey instanceof Uint8Array) || publicKey.length !== ED25519_PUBLIC_KEY_SIZE) {
      throw new RangeError(`Ed25519 public key must be ${ED25519_PUBLIC_KEY_SIZE} bytes`);
    }
    let key: KeyObject | null;
    try {
      key = createPublicKey({ key: Buffer.from(withPrefix(SPKI_PREFIX, publicKey)), format: 'der', type: 'spki' });
    } catch {
      key = null; // not a valid point encoding: nothing verifies
    }
    return (msg, sig) => {
      if (key === null || !(sig instanceof Uint8Array) || sig.length !== ED25519_SIGNATURE_SIZE) return false;
      try {
        return verify(null, msg, key, sig);
      } catch {
        return false;
      }
    };
  },
};
