import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { nobleEd25519, type Ed25519Backend } from './ed25519.js';
import { nodeEd25519 } from './node.js';
import { fromHexStrict, utf8Encode } from './encoding.js';
import { NoteError } from './errors.js';
import { formatSignerKey, isValidKeyName, parseSignerKey, parseVerifierKey, type Verifier } from './keys.js';
import {
  addSignatures, formatNote, InvalidSignatureError, MAX_NOTE_SIGNATURES, MAX_NOTE_SIZE, openNote, parseNote, signNote,
  UnverifiedNoteError,
} from './note.js';

const VECTORS = new URL('../../../test/vectors', import.meta.url).pathname;
const load = (f: string) => JSON.parse(readFileSync(`${VECTORS}/${f}`, 'utf8'));
const notes = load('signed_note.json');
const backends: readonly Ed25519Backend[] = [nobleEd25519, nodeEd25519];

function rejects(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof NoteError && e.code === code);
}

const peter = notes.signed_notes.find((n: { id: string }) => n.id === 'go-peterneumann');
const enoch = notes.signed_notes.find((n: { id: string }) => n.id === 'go-enochroot-zero-seed');
const peterSigner = parseSignerKey(peter.skey);
const enochSigner = parseSignerKey(formatSignerKey('EnochRoot', fromHexStrict(enoch.ed25519_seed_hex)));
const peterV = parseVerifierKey(peter.vkey);
const enochV = parseVerifierKey(enoch.vkey);
const T: string = peter.note_text;
const S: string = `${peter.signature_line}\n`;

test('every signed-note vector parses, verifies on both backends and re-formats byte-exact', () => {
  assert.equal(notes.signed_notes.length, 8);
  for (const n of notes.signed_notes) {
    for (const input of [n.signed_note, utf8Encode(n.signed_note)]) {
      const p = parseNote(input);
      assert.equal(p.text, n.note_text);
      assert.equal(p.signatures.length, 1);
      assert.equal(p.signatures[0]!.line, n.signature_line);
      assert.equal(p.signatures[0]!.name, n.key_name);
      assert.equal(p.signatures[0]!.keyId, parseInt(n.key_id_hex, 16));
      assert.equal(formatNote(p), n.signed_note);
    }
    for (const ed25519 of backends) {
      const opened = openNote(n.signed_note, [parseVerifierKey(n.vkey, { ed25519 })]);
      assert.equal(opened.text, n.note_text);
      assert.equal(opened.verified.length, 1);
      assert.equal(opened.verified[0]!.verifier.name, n.key_name);
      assert.equal(opened.unverified.length, 0);
    }
  }
});

test('re-signing with the vector keys reproduces the exact signature lines (both backends)', () => {
  for (const ed25519 of backends) {
    assert.equal(signNote(T, [parseSignerKey(peter.skey, { ed25519 })]), peter.signed_note);
    const e = parseSignerKey(formatSignerKey('EnochRoot', fromHexStrict(enoch.ed25519_seed_hex)), { ed25519 });
    assert.equal(signNote(T, [e]), enoch.signed_note);
  }
});

test('multi-signature note: the expectations of Go TestOpen', () => {
  const multi = notes.multi_signature_note.signed_note as string;
  const one = openNote(multi, [peterV]);
  assert.deepEqual(one.verified.map((s) => s.name), ['PeterNeumann']);
  assert.deepEqual(one.unverified.map((s) => s.name), ['EnochRoot']);
  const two = openNote(multi, [peterV, enochV]);
  assert.deepEqual(two.verified.map((s) => s.name), ['PeterNeumann', 'EnochRoot']);
  assert.throws(() => openNote(multi, []), (e: unknown) =>
    e instanceof UnverifiedNoteError && e.code === 'no-verified-signature' && e.note.signatures.length === 2);

  rejects(() => parseNote(T + '\n' + S.repeat(MAX_NOTE_SIGNATURES + 1)), 'too-many-signatures');
  const hundred = openNote(T + '\n' + S.repeat(MAX_NOTE_SIGNATURES), [peterV]);
  assert.equal(hundred.verified.length, 1, 'repeated lines of a known key count once');

  const line = peter.signature_line as string;
  const mangled = `${T}\n${line.slice(0, 60)}ABCD${line.slice(60)}\n`;
  assert.throws(() => openNote(mangled, [peterV]), (e: unknown) =>
    e instanceof InvalidSignatureError && e.code === 'invalid-signature' && e.keyName === 'PeterNeumann' &&
    e.keyId === 0xc74f20a3 && /PeterNeumann\+c74f20a3/.test(e.message));
  // Unknown to these verifiers: ignored, so the note is merely unverified.
  rejects(() => openNote(mangled, [enochV]), 'no-verified-signature');
});

test('adding signatures follows Go note.Sign (ExampleSign_add_signatures)', () => {
  assert.equal(addSignatures(peter.signed_note, [enochSigner]), notes.multi_signature_note.signed_note);
  assert.equal(addSignatures(utf8Encode(peter.signed_note), [enochSigner]), notes.multi_signature_note.signed_note);
  // Re-signing with an existing key replaces its line, which moves to the end.
  assert.equal(addSignatures(notes.multi_signature_note.signed_note, [peterSigner]), `${T}\n${enoch.signature_line}\n${S}`);
  // Identical repeated lines are kept once.
  assert.equal(addSignatures(T + '\n' + S + S, [enochSigner]), notes.multi_signature_note.signed_note);
  assert.equal(signNote(T, [peterSigner, enochSigner]), notes.multi_signature_note.signed_note);
  rejects(() => signNote('no final newline', [peterSigner]), 'bad-text');
  rejects(() => signNote('', [peterSigner]), 'bad-text');
  rejects(() => signNote('tab\there\n', [peterSigner]), 'control-char');
  rejects(() => signNote(T, []), 'no-signatures');
  rejects(() => signNote(T, [{ ...peterSigner, name: 'bad name', sign: peterSigner.sign }]), 'bad-signer');
});

test("Go's malformed notes are rejected", () => {
  const bad = [
    [T, 'no-signatures'],
    [T + '\n', 'no-signatures'],
    [T + '\n' + S.slice(0, -1), 'missing-final-newline'],
    ['\x01' + T + '\n' + S, 'control-char'],
    [T + '\n' + '— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n', 'bad-signature-line'],
    [T + '\n' + S + 'Unexpected line.\n', 'bad-signature-line'],
  ] as const;
  assert.equal(bad.length + 1, notes.malformed_notes_go.cases.length);
  for (const [input, code] of bad) rejects(() => openNote(input, [peterV]), code);
  rejects(() => openNote(Uint8Array.of(0xff, ...utf8Encode(T + '\n' + S)), [peterV]), 'bad-utf8');
});

test('further strictness: control characters, base64, short signatures, sizes', () => {
  for (const c of ['\r', '\t', '\0', '\x7f', '\x1b']) rejects(() => parseNote(`a${c}b\n\n${S}`), 'control-char');
  rejects(() => parseNote(`a\n\n${S}`.replace('\n—', '\r\n—')), 'control-char');
  rejects(() => parseNote(`a\ud800\n\n${S}`), 'bad-utf8');
  rejects(() => parseNote(`a\n\n— k AAAAAA==\n`), 'bad-signature-line'); // 4 bytes: key ID only
  rejects(() => parseNote(`a\n\n— k AAAAAAA\n`), 'bad-signature-line'); // missing padding
  rejects(() => parseNote(`a\n\n— k \n`), 'bad-signature-line');
  rejects(() => parseNote(`a\n\n— k\n`), 'bad-signature-line');
  rejects(() => parseNote(`a\n\n—  AAAAAAA=\n`), 'bad-signature-line');
  rejects(() => parseNote(`a\n\n-- k AAAAAAA=\n`), 'bad-signature-line');
  rejects(() => parseNote(`a\n\n— k+1 AAAAAAA=\n`), 'bad-signature-line');
  rejects(() => parseNote(`a\n\n— k\u00a0x AAAAAAA=\n`), 'bad-signature-line');
  assert.equal(parseNote(`a\n\n— k AAAAAAA=\n`).signatures[0]!.payload.length, 1);
  const p = parseNote(`\n\n— k AAAAAAA=\n`);
  assert.equal(p.text, '\n');
  assert.equal(parseNote(`a\n\n\n\n— k AAAAAAA=\n`).text, 'a\n\n\n', 'the separator is the last blank line');
  const big = 'x'.repeat(MAX_NOTE_SIZE) + `\n\n${S}`;
  rejects(() => parseNote(big), 'too-large');
  rejects(() => parseNote(utf8Encode(big)), 'too-large');
  rejects(() => parseNote('é'.repeat(MAX_NOTE_SIZE / 2) + `\n\n${S}`), 'too-large');
  rejects(() => parseNote(42 as unknown as string), 'bad-input');
});

test('§2.6: keys matching only the name or only the ID are unknown; known-key duplicates act like Go', () => {
  let calls = 0;
  const spy = (name: string, keyId: number): Verifier => ({
    name, keyId, alg: 1, publicKey: new Uint8Array(32), verify: () => { calls++; return true; },
  });
  const multi = notes.multi_signature_note.signed_note as string;
  const r = openNote(multi, [spy('PeterNeumann', 0x12345678), spy('Other', 0xc74f20a3), enochV]);
  assert.equal(calls, 0);
  assert.deepEqual(r.verified.map((s) => s.name), ['EnochRoot']);
  assert.deepEqual(r.unverified.map((s) => s.name), ['PeterNeumann']);

  // First line of a known key verifies; a later, different line of the same key is dropped unverified.
  const line = peter.signature_line as string;
  const corrupt = line.slice(0, 40) + (line[40] === 'A' ? 'B' : 'A') + line.slice(41);
  assert.equal(openNote(`${T}\n${S}${corrupt}\n`, [peterV]).verified.length, 1);
  assert.throws(() => openNote(`${T}\n${corrupt}\n${S}`, [peterV]), InvalidSignatureError);
  // Identical unknown lines are reported once.
  assert.equal(openNote(`${T}\n${enoch.signature_line}\n${enoch.signature_line}\n${S}`, [peterV]).unverified.length, 1);
  // Two verifiers for the same (name, ID) are ambiguous, as in Go.
  rejects(() => openNote(peter.signed_note, [peterV, spy('PeterNeumann', 0xc74f20a3)]), 'ambiguous-verifier');
  // A verifier that throws a FormatError counts as a failed signature.
  const throwing: Verifier = { ...peterV, verify: () => { throw new NoteError('x', 'boom'); } };
  assert.throws(() => openNote(peter.signed_note, [throwing]), InvalidSignatureError);
});

// ---- properties ----

const textArb = fc.array(fc.string({ maxLength: 8, unit: fc.constantFrom('a', ' ', '—', 'é', '\u{1f600}', '+', '=', '\u00a0') }),
  { minLength: 1, maxLength: 6 }).map((lines) => lines.join('\n') + '\n');
const nameArb = fc.string({ minLength: 1, maxLength: 10, unit: fc.constantFrom('a', 'Z', '.', '/', '-', '—', 'é', '\u{1f600}') })
  .filter(isValidKeyName);
const sigArb = fc.record({ name: nameArb, keyId: fc.nat({ max: 0xffffffff }), payload: fc.uint8Array({ minLength: 1, maxLength: 80 }) });

test('property: parse(format(n)) == n and format(parse(b)) == b', () => {
  fc.assert(fc.property(textArb, fc.array(sigArb, { minLength: 1, maxLength: 5 }), (text, signatures) => {
    const s = formatNote({ text, signatures });
    const p = parseNote(s);
    assert.equal(p.text, text);
    assert.deepEqual(p.signatures.map(({ name, keyId, payload }) => ({ name, keyId, payload })), signatures.map((x) => ({ ...x })));
    assert.equal(formatNote(p), s);
    assert.deepEqual(parseNote(utf8Encode(s)), p);
  }), { numRuns: 300 });
});

function mutate(s: string, edits: readonly [number, number, string][]): string {
  let out = s;
  for (const [kind, pos, ch] of edits) {
    const p = out.length === 0 ? 0 : pos % out.length;
    if (kind === 0) out = out.slice(0, p) + ch + out.slice(p + 1);
    else if (kind === 1) out = out.slice(0, p) + ch + out.slice(p);
    else out = out.slice(0, p) + out.slice(p + 1);
  }
  return out;
}
const editsArb = fc.array(fc.tuple(fc.nat(2), fc.nat(), fc.string({ minLength: 1, maxLength: 2, unit: 'binary' })), { minLength: 1, maxLength: 4 });

function checkNoteInput(input: string | Uint8Array): void {
  try {
    const p = parseNote(input);
    const again = formatNote(p);
    assert.equal(again, typeof input === 'string' ? input : new TextDecoder().decode(input));
  } catch (e) {
    assert.ok(e instanceof NoteError, String(e));
  }
  try {
    openNote(input, [peterV, enochV]);
  } catch (e) {
    assert.ok(e instanceof NoteError, String(e));
  }
}

test('property: random and mutated inputs make parseNote/openNote throw only NoteError', () => {
  const valid = [...notes.signed_notes.map((n: { signed_note: string }) => n.signed_note), notes.multi_signature_note.signed_note];
  fc.assert(fc.property(fc.constantFrom(...valid), editsArb, (s, edits) => checkNoteInput(mutate(s, edits))), { numRuns: 500 });
  fc.assert(fc.property(fc.constantFrom(...valid), editsArb, fc.nat(), (s, edits, k) => {
    const b = utf8Encode(mutate(s, edits));
    if (b.length > 0) b[k % b.length] = k & 0xff;
    checkNoteInput(b);
  }), { numRuns: 300 });
  fc.assert(fc.property(fc.string({ maxLength: 200, unit: 'binary' }), checkNoteInput), { numRuns: 200 });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), checkNoteInput), { numRuns: 200 });
  checkNoteInput(new Uint8Array(MAX_NOTE_SIZE + 1));
  checkNoteInput(T + '\n' + S.repeat(20000));
});
