import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { decodeBase64Strict, fromHexStrict, MAX_INT63, utf8Encode } from './encoding.js';
import { nodeEd25519 } from './node.js';
import { CheckpointError, NoteError } from './errors.js';
import { formatSignerKey, parseSignerKey, parseVerifierKey } from './keys.js';
import { openNote, signNote } from './note.js';
import {
  CHECKPOINT_HASH_SIZE, formatCheckpoint, MAX_CHECKPOINT_EXTENSIONS, MAX_CHECKPOINT_TEXT_LENGTH, openCheckpoint, parseCheckpoint,
  parseCheckpointNote, type Checkpoint,
} from './checkpoint.js';

const VECTORS = new URL('../../../test/vectors', import.meta.url).pathname;
const load = (f: string) => JSON.parse(readFileSync(`${VECTORS}/${f}`, 'utf8'));
const cps = load('checkpoints.json');
const notes = load('signed_note.json');

function rejects(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof CheckpointError && e.code === code && e.format === 'checkpoint');
}

const ROOT = 'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=';

test('signed checkpoints open, parse and re-format byte-exact; the sigsum-go seed re-signs byte-exact', () => {
  for (const c of cps.signed_checkpoints) {
    for (const ed25519 of [undefined, nodeEd25519]) {
      const opened = openCheckpoint(c.signed_note, [parseVerifierKey(c.vkey, ed25519 ? { ed25519 } : {})]);
      const [origin, size, root] = (c.note_text as string).split('\n');
      assert.equal(opened.checkpoint.origin, origin);
      assert.equal(opened.checkpoint.origin, c.key_name, 'sigsum: key name = origin');
      assert.equal(opened.checkpoint.size, BigInt(size!));
      assert.deepEqual(opened.checkpoint.rootHash, decodeBase64Strict(root!));
      assert.deepEqual(opened.checkpoint.extensions, []);
      assert.equal(formatCheckpoint(opened.checkpoint), c.note_text);
    }
    if (c.ed25519_seed_hex) {
      const signer = parseSignerKey(formatSignerKey(c.key_name, fromHexStrict(c.ed25519_seed_hex)));
      assert.equal(signNote(c.note_text, [signer]), c.signed_note);
    }
  }
});

test('Go sumdb checkpoints (origin with spaces, key name different from origin) parse', () => {
  for (const n of notes.signed_notes.filter((x: { id: string }) => x.id.startsWith('sumdb-'))) {
    const { checkpoint } = openCheckpoint(n.signed_note, [parseVerifierKey(n.vkey)]);
    assert.equal(checkpoint.origin, 'go.sum database tree');
    assert.equal(formatCheckpoint(checkpoint), n.note_text);
  }
});

test('format-only examples parse; the C2SP example cannot verify (its key ID is sum.golang.org\'s, under another name)', () => {
  for (const c of cps.format_only) {
    const { checkpoint, note } = parseCheckpointNote(c.signed_note);
    assert.equal(note.signatures.length, 1);
    if (c.origin) {
      assert.equal(checkpoint.origin, c.origin);
      assert.equal(checkpoint.size, BigInt(c.size));
      assert.deepEqual(checkpoint.rootHash, decodeBase64Strict(c.root_base64));
      assert.equal(note.signatures[0]!.keyId, parseInt(c.signature_key_id_hex, 16));
    } else {
      assert.deepEqual(checkpoint.rootHash, fromHexStrict(c.root_hex));
      assert.equal(note.signatures[0]!.keyId, Buffer.from(c.key_id_bytes).readUInt32BE(0));
    }
  }
  const sumdbKey = parseVerifierKey(notes.signed_notes.find((n: { id: string }) => n.id === 'sumdb-6476701').vkey);
  assert.throws(() => openCheckpoint(cps.format_only[0].signed_note, [sumdbKey]),
    (e: unknown) => e instanceof NoteError && e.code === 'no-verified-signature');
});

test('parse cases: upstream-lenient ones are rejected by our strict parser', () => {
  // desc → [our code, why]
  const want: Record<string, [string, string]> = {
    'valid one': ['bad-root', 'root is 7 bytes; must be exactly 32'],
    'valid with trailing data': ['bad-root', 'root is 37 bytes (the extension line alone would be fine)'],
    'valid with trailing newlines': ['bad-root', 'root is 37 bytes; the blank lines would also fail (empty-extension)'],
    'invalid - insufficient lines': ['too-few-lines', ''],
    'invalid - empty header': ['empty-origin', ''],
    'invalid - missing newline on roothash': ['missing-final-newline', ''],
    'invalid size - not a number': ['bad-size', ''],
    'invalid size - negative': ['bad-size', ''],
    'invalid size - too large': ['bad-size', 'above 2^63-1'],
    'invalid roothash - not base64': ['bad-root', ''],
    "signed, but size line is 'five'": ['bad-size', 'the log signature is valid; the body is not'],
  };
  assert.equal(cps.parse_cases.length, Object.keys(want).length);
  for (const c of cps.parse_cases) {
    const [code, why] = want[c.desc]!;
    rejects(() => parseCheckpoint(c.text), code);
    assert.ok(why !== undefined);
  }
  // The same lenient cases with a proper 32-byte root isolate the other rules.
  const fixed = (t: string) => t.replace('dGhlIHZpZXcgZnJvbSB0aGUgdHJlZSB0b3BzIGlzIGdyZWF0IQ==', ROOT);
  const trailingData = parseCheckpoint(fixed(cps.parse_cases[1].text));
  assert.deepEqual(trailingData.extensions, ["Here's some associated data."]);
  rejects(() => parseCheckpoint(fixed(cps.parse_cases[2].text)), 'empty-extension');

  const five = cps.parse_cases.find((c: { desc: string }) => c.desc.includes('five'));
  const signed = `${five.text}\n${five.signature_line}\n`;
  const vkey = parseVerifierKey(cps.signed_checkpoints[0].vkey);
  assert.equal(openNote(signed, [vkey]).verified.length, 1, 'the signature itself is valid');
  rejects(() => openCheckpoint(signed, [vkey]), 'bad-size');
});

test('marshal cases: the byte layout matches, but our formatter refuses roots that are not 32 bytes', () => {
  for (const m of cps.marshal_cases) {
    const root = utf8Encode(m.root_bytes_ascii);
    const c: Checkpoint = { origin: m.origin, size: BigInt(m.size), rootHash: root, extensions: [] };
    rejects(() => formatCheckpoint(c), 'bad-root');
    rejects(() => parseCheckpoint(m.want), 'bad-root');
    const full = new Uint8Array(CHECKPOINT_HASH_SIZE);
    full.set(root.subarray(0, CHECKPOINT_HASH_SIZE));
    const text = formatCheckpoint({ ...c, rootHash: full });
    assert.equal(text.split('\n').slice(0, 2).join('\n'), (m.want as string).split('\n').slice(0, 2).join('\n'));
  }
});

test('strict details: sizes, roots, origins, extensions, limits', () => {
  const mk = (o: string, s: string, r = ROOT, ext = '') => `${o}\n${s}\n${r}\n${ext}`;
  assert.equal(parseCheckpoint(mk('a', '9223372036854775807')).size, MAX_INT63);
  assert.equal(parseCheckpoint(mk('a', '0')).size, 0n);
  for (const s of ['9223372036854775808', '18446744073709551615', '01', '+1', '-0', ' 1', '1 ', '', '1.0']) rejects(() => parseCheckpoint(mk('a', s)), 'bad-size');
  for (const r of [ROOT.slice(0, -1), ROOT + '=', ROOT.replace('=', 'A'), ROOT.slice(0, -2) + 'J=', ' ' + ROOT, '']) {
    rejects(() => parseCheckpoint(mk('a', '1', r)), 'bad-root');
  }
  assert.equal(parseCheckpoint(mk('go.sum database tree', '1')).origin, 'go.sum database tree');
  assert.equal(parseCheckpoint(mk('a+b — ü', '1')).origin, 'a+b — ü');
  rejects(() => parseCheckpoint(mk('a\tb', '1')), 'bad-text');
  rejects(() => parseCheckpoint(mk('a\rb', '1')), 'bad-text');
  rejects(() => parseCheckpoint(mk('a\ud800', '1')), 'bad-text');
  rejects(() => parseCheckpoint(mk('a', '1') + '\n'), 'empty-extension');
  rejects(() => parseCheckpoint(mk('a', '1', ROOT, 'x\n\ny\n')), 'empty-extension');
  assert.deepEqual(parseCheckpoint(mk('a', '1', ROOT, 'x\ny z\n')).extensions, ['x', 'y z']);
  rejects(() => parseCheckpoint(mk('a', '1', ROOT, 'e\n'.repeat(MAX_CHECKPOINT_EXTENSIONS + 1))), 'too-many-extensions');
  rejects(() => parseCheckpoint('a'.repeat(MAX_CHECKPOINT_TEXT_LENGTH) + mk('', '1')), 'too-large');
  rejects(() => parseCheckpoint(undefined as unknown as string), 'bad-text');
  rejects(() => formatCheckpoint({ origin: '', size: 1n, rootHash: new Uint8Array(32), extensions: [] }), 'empty-origin');
  rejects(() => formatCheckpoint({ origin: 'a', size: -1n, rootHash: new Uint8Array(32), extensions: [] }), 'bad-size');
  rejects(() => formatCheckpoint({ origin: 'a', size: MAX_INT63 + 1n, rootHash: new Uint8Array(32), extensions: [] }), 'bad-size');
  rejects(() => formatCheckpoint({ origin: 'a\nb', size: 1n, rootHash: new Uint8Array(32), extensions: [] }), 'bad-text');
  rejects(() => formatCheckpoint({ origin: 'a', size: 1n, rootHash: new Uint8Array(32), extensions: [''] }), 'empty-extension');
});

const lineArb = fc.string({ minLength: 1, maxLength: 12, unit: fc.constantFrom('a', ' ', '+', '/', '.', '—', 'é', '\u{1f600}', '=') });
const checkpointArb = fc.record({
  origin: lineArb,
  size: fc.bigInt({ min: 0n, max: MAX_INT63 }),
  rootHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  extensions: fc.array(lineArb, { maxLength: 3 }),
});

test('property: parse(format(c)) == c; format(parse(t)) == t for accepted t; only CheckpointError is thrown', () => {
  fc.assert(fc.property(checkpointArb, (c) => {
    const text = formatCheckpoint(c);
    assert.deepEqual({ ...parseCheckpoint(text) }, { ...c });
    assert.equal(formatCheckpoint(parseCheckpoint(text)), text);
  }), { numRuns: 300 });
  const check = (t: string) => {
    try {
      assert.equal(formatCheckpoint(parseCheckpoint(t)), t);
    } catch (e) {
      assert.ok(e instanceof CheckpointError, String(e));
    }
  };
  const edits = fc.array(fc.tuple(fc.nat(2), fc.nat(), fc.string({ minLength: 1, maxLength: 2, unit: 'binary' })), { minLength: 1, maxLength: 3 });
  fc.assert(fc.property(checkpointArb, edits, (c, es) => {
    let t = formatCheckpoint(c);
    for (const [kind, pos, ch] of es) {
      const p = pos % (t.length || 1);
      t = kind === 0 ? t.slice(0, p) + ch + t.slice(p + 1) : kind === 1 ? t.slice(0, p) + ch + t.slice(p) : t.slice(0, p) + t.slice(p + 1);
    }
    check(t);
  }), { numRuns: 500 });
  fc.assert(fc.property(fc.string({ maxLength: 100, unit: 'binary' }), check), { numRuns: 300 });
  check('a\n1\n' + ROOT + '\n' + 'x'.repeat(1 << 20) + '\n');
});
