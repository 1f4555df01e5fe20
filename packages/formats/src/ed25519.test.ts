import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nobleEd25519, type Ed25519Backend } from './ed25519.js';
import { nodeEd25519 } from './node.js';

const backends: readonly Ed25519Backend[] = [nobleEd25519, nodeEd25519];

test('RFC 8032 test 1 (empty message) on both backends', () => {
  const seed = Uint8Array.from(Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex'));
  const pub = Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex');
  const sig = Buffer.from('e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b', 'hex');
  for (const b of backends) {
    assert.deepEqual(b.publicKey(seed), new Uint8Array(pub), b.name);
    assert.deepEqual(b.signer(seed)(new Uint8Array(0)), new Uint8Array(sig), b.name);
    assert.equal(b.verifier(new Uint8Array(pub))(new Uint8Array(0), new Uint8Array(sig)), true, b.name);
  }
});

test('noble and node agree on random seeds and messages', () => {
  fc.assert(fc.property(
    fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 300 }), fc.nat(), (seed, msg, flip) => {
      const pub = nobleEd25519.publicKey(seed);
      assert.deepEqual(nodeEd25519.publicKey(seed), pub);
      const sig = nobleEd25519.signer(seed)(msg);
      assert.deepEqual(nodeEd25519.signer(seed)(msg), sig);
      const bad = sig.slice();
      bad[flip % 64]! ^= 1 << (flip % 8);
      for (const b of backends) {
        const v = b.verifier(pub);
        assert.equal(v(msg, sig), true, b.name);
        assert.equal(v(msg, bad), false, b.name);
        assert.equal(v(Uint8Array.of(...msg, 0), sig), false, b.name);
      }
    }), { numRuns: 60 });
});

test('verifiers return false, never throw, on malformed signatures', () => {
  const seed = new Uint8Array(32).fill(7);
  const pub = nobleEd25519.publicKey(seed);
  const msg = Uint8Array.of(1, 2, 3);
  const good = nobleEd25519.signer(seed)(msg);
  const sOverflow = good.slice();
  sOverflow.fill(0xff, 32); // S ≥ L: non-canonical
  const malformed = [new Uint8Array(0), new Uint8Array(63), new Uint8Array(64), new Uint8Array(65), new Uint8Array(64).fill(0xff),
    sOverflow, Uint8Array.of(...good, 0)];
  for (const b of backends) {
    const v = b.verifier(pub);
    for (const sig of malformed) assert.equal(v(msg, sig), false, `${b.name} ${sig.length}`);
    // A public key that is not a curve point: nothing verifies, nothing throws.
    const offCurve = new Uint8Array(32).fill(0xff);
    let w: ((m: Uint8Array, s: Uint8Array) => boolean) | undefined;
    try { w = b.verifier(offCurve); } catch { w = undefined; }
    if (w) assert.equal(w(msg, good), false, b.name);
  }
  fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (sig) => {
    for (const b of backends) assert.equal(typeof b.verifier(pub)(msg, sig), 'boolean');
  }), { numRuns: 100 });
});

test('backends reject seeds of the wrong length', () => {
  for (const b of backends) {
    assert.throws(() => b.publicKey(new Uint8Array(31)), RangeError);
    assert.throws(() => b.signer(new Uint8Array(33)), RangeError);
  }
});
