import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { nobleEd25519, type Ed25519Backend } from './ed25519.js';
import { nodeEd25519 } from './node.js';
import { decodeBase64Strict, fromHexStrict, MAX_INT63, toHex, utf8Encode } from './encoding.js';
import { CosignatureError, NoteError } from './errors.js';
import { ALG_COSIGNATURE_V1, cosignatureSigner, cosignatureVerifierKey, formatKeyId, formatSignerKey, parseVerifierKey } from './keys.js';
import { addSignatures, InvalidSignatureError, openNote, parseNote, signNote } from './note.js';
import { openCheckpoint } from './checkpoint.js';
import {
  COSIGNATURE_PAYLOAD_SIZE, cosignatureMessage, cosignatureTimestamp, formatCosignaturePayload, parseCosignaturePayload,
  signCosignature, verifyCosignature,
} from './cosignature.js';

const VECTORS = new URL('../../../test/vectors', import.meta.url).pathname;
const cosigs = JSON.parse(readFileSync(`${VECTORS}/cosignatures.json`, 'utf8'));
const backends: readonly Ed25519Backend[] = [nobleEd25519, nodeEd25519];

function rejects(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof CosignatureError && e.code === code);
}

interface Cosig {
  cosigner_name: string; vkey: string; key_id_hex: string; ed25519_seed_hex: string; checkpoint_text: string; timestamp: number;
  signed_message: string; cosignature_line: string; full_checkpoint_file: string;
  signature_payload_layout: { timestamp_be_u64_hex: string; ed25519_sig_hex: string };
}
const real: Cosig[] = cosigs.ed25519_cosignatures;

test('the three skylight cosignatures are re-signed byte-exact and verify (both backends)', () => {
  assert.equal(real.length, 3);
  for (const c of real) {
    const ts = BigInt(c.timestamp);
    const seed = fromHexStrict(c.ed25519_seed_hex);
    const skey = formatSignerKey(c.cosigner_name, seed);
    const layout = c.signature_payload_layout;
    const payload = fromHexStrict(layout.timestamp_be_u64_hex + layout.ed25519_sig_hex);
    assert.deepEqual(cosignatureMessage(c.checkpoint_text, ts), utf8Encode(c.signed_message));
    for (const ed25519 of backends) {
      const signer = cosignatureSigner(skey, () => ts, { ed25519 });
      assert.equal(signer.alg, ALG_COSIGNATURE_V1);
      assert.equal(formatKeyId(signer.keyId), c.key_id_hex);
      assert.equal(signNote(c.checkpoint_text, [signer]), `${c.checkpoint_text}\n${c.cosignature_line}\n`);
      assert.deepEqual(signCosignature(c.checkpoint_text, ts, seed, { ed25519 }), payload);
      assert.equal(cosignatureVerifierKey(skey, { ed25519 }), c.vkey);

      const v = parseVerifierKey(c.vkey, { ed25519 });
      assert.equal(verifyCosignature(c.checkpoint_text, payload, v.publicKey, { ed25519 }), true);
      const opened = openCheckpoint(c.full_checkpoint_file, [v]);
      assert.equal(opened.verified.length, 1);
      assert.equal(cosignatureTimestamp(opened.verified[0]!), ts);
      assert.equal(opened.checkpoint.size, 300n);
      // The witness file also carries the log's own RFC 6962 (type 0x05) line: unknown, ignored.
      assert.equal(opened.unverified.length, parseNote(c.full_checkpoint_file).signatures.length - 1);
    }
    // Adding our cosignature to the log-signed note yields the served file.
    const logSigned = parseNote(c.full_checkpoint_file).signatures.filter((s) => s.name !== c.cosigner_name);
    if (logSigned.length > 0) {
      const base = `${c.checkpoint_text}\n${logSigned.map((s) => s.line + '\n').join('')}`;
      assert.equal(addSignatures(base, [cosignatureSigner(skey, () => ts)]), c.full_checkpoint_file);
    }
  }
});

test('a cosignature fails under any other timestamp, text or key; a 0x01 signature is not a cosignature', () => {
  const c = real[0]!;
  const ts = BigInt(c.timestamp);
  const skey = formatSignerKey(c.cosigner_name, fromHexStrict(c.ed25519_seed_hex));
  const v = parseVerifierKey(c.vkey);
  const later = signNote(c.checkpoint_text, [cosignatureSigner(skey, () => ts + 1n)]);
  assert.equal(cosignatureTimestamp(openNote(later, [v]).verified[0]!), ts + 1n);
  const p = parseNote(later).signatures[0]!;
  const swapped = Uint8Array.from(p.payload);
  swapped.set(parseNote(`${c.checkpoint_text}\n${c.cosignature_line}\n`).signatures[0]!.payload.subarray(0, 8));
  assert.equal(v.verify(utf8Encode(c.checkpoint_text), swapped), false, 'timestamp is bound by the signature');
  assert.equal(verifyCosignature(c.checkpoint_text.replace('300', '301'), p.payload, v.publicKey), false);
  assert.equal(verifyCosignature(c.checkpoint_text, p.payload.subarray(1), v.publicKey), false);
  assert.throws(() => openNote(`${c.checkpoint_text.replace('300', '301')}\n${c.cosignature_line}\n`, [v]), InvalidSignatureError);
});

test('layout-only vectors', () => {
  const [example, formatsTs, notCosig, sigsumLine] = cosigs.structure_only;
  const n = parseNote(example.signed_note);
  const w = n.signatures[1]!;
  assert.equal(formatKeyId(w.keyId), example.cosignature_key_id_hex);
  assert.equal(w.payload.length + 4, example.payload_length);
  assert.equal(cosignatureTimestamp(w), BigInt(example.cosignature_timestamp));
  assert.deepEqual(cosignatureMessage(n.text, BigInt(example.cosignature_timestamp)), utf8Encode(example.spec_signed_message_example));

  const raw = decodeBase64Strict(formatsTs.signature_base64);
  assert.equal(toHex(raw.subarray(0, 4)), formatsTs.key_id_hex);
  assert.equal(cosignatureTimestamp(raw.subarray(4)), BigInt(formatsTs.want_timestamp));

  const plain = decodeBase64Strict(notCosig.signature_base64);
  assert.equal(plain.length, notCosig.payload_length);
  rejects(() => cosignatureTimestamp(plain.subarray(4)), 'bad-length');

  const s = parseNote(`a\n\n${sigsumLine.line}\n`).signatures[0]!;
  assert.equal(s.name, sigsumLine.key_name);
  assert.equal(formatKeyId(s.keyId), toHex(Uint8Array.from(sigsumLine.key_id_bytes)));
  assert.deepEqual([...s.payload.subarray(8, 11)], sigsumLine.signature_prefix_bytes);
  assert.equal(toHex(s.payload.subarray(0, 8)), sigsumLine.timestamp_hex);
  rejects(() => parseCosignaturePayload(s.payload), 'bad-timestamp');
  const v = parseVerifierKey(real[0]!.vkey);
  assert.equal(v.verify(utf8Encode('a\n'), s.payload), false, 'a verifier returns false, never throws');
});

test('timestamps: 0 and 2^63-1 are encodable, anything else is refused', () => {
  const sig = new Uint8Array(64);
  assert.equal(parseCosignaturePayload(formatCosignaturePayload(MAX_INT63, sig)).timestamp, MAX_INT63);
  assert.equal(parseCosignaturePayload(formatCosignaturePayload(0n, sig)).timestamp, 0n);
  rejects(() => formatCosignaturePayload(MAX_INT63 + 1n, sig), 'bad-timestamp');
  rejects(() => formatCosignaturePayload(-1n, sig), 'bad-timestamp');
  rejects(() => formatCosignaturePayload(1n, new Uint8Array(63)), 'bad-length');
  rejects(() => cosignatureMessage('no newline', 1n), 'bad-text');
  rejects(() => cosignatureMessage('a\n', -1n), 'bad-timestamp');
  for (const len of [0, 71, 73, 2432]) rejects(() => parseCosignaturePayload(new Uint8Array(len)), 'bad-length');
  const skey = formatSignerKey('w', new Uint8Array(32));
  assert.throws(() => signNote('a\n', [cosignatureSigner(skey, () => MAX_INT63 + 1n)]), CosignatureError);
  assert.throws(() => signNote('a\n', [cosignatureSigner(skey, () => 5 as unknown as bigint)]), CosignatureError);
  assert.ok(!(new CosignatureError('x', 'y') instanceof NoteError));
});

test('property: sign/verify and payload round-trips on random keys, texts and timestamps', () => {
  fc.assert(fc.property(
    fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.bigInt({ min: 0n, max: MAX_INT63 }),
    fc.string({ maxLength: 60, unit: fc.constantFrom('a', '\n', '—', '1', '=') }),
    (seed, ts, body) => {
      const text = body + '\n';
      const payload = signCosignature(text, ts, seed);
      assert.equal(payload.length, COSIGNATURE_PAYLOAD_SIZE);
      const { timestamp, signature } = parseCosignaturePayload(payload);
      assert.equal(timestamp, ts);
      assert.deepEqual(formatCosignaturePayload(timestamp, signature), payload);
      const pub = nobleEd25519.publicKey(seed);
      assert.equal(verifyCosignature(text, payload, pub), true);
      assert.equal(verifyCosignature(text, payload, pub, { ed25519: nodeEd25519 }), true);
      assert.equal(verifyCosignature(text + 'x\n', payload, pub), false);
    }), { numRuns: 40 });
});
