/**
 * CLI tests, in-process through runCli: help for every command, keygen files, and `note verify`
 * on notes made by other implementations (Go sumdb/note, Sunlight's witness).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  addSignatures, generateSignerKey, parseSignerKey, parseVerifierKey, signNote, verifierKeyFromSigner,
} from '@cairn/formats';
import { runCli } from './main.js';
import { commands } from './registry.js';
import { EXIT_CODES } from '@cairn/client';
import { EXIT_FAIL, EXIT_USAGE } from './command.js';
import { loadVectors } from './test-vectors.js';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (l) => { out += l + '\n'; }, err: (l) => { err += l + '\n'; } });
  return { code, out, err };
}

test('top-level help lists every command', async () => {
  const r = await run(['--help']);
  assert.equal(r.code, 0);
  for (const c of commands) assert.match(r.out, new RegExp(`^  ${c.name} `, 'm'));
});

test('--version and -V print the version of the CLI package', async () => {
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  assert.match(pkg.version, /^\d+\.\d+\.\d+/);
  for (const flag of ['--version', '-V']) {
    const r = await run([flag]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `cairn ${pkg.version}\n`);
  }
  // After a command it is that command's option, not the CLI's.
  assert.equal((await run(['keygen', '--version'])).code, EXIT_USAGE);
});

test('every registry entry names and summarises the command it loads', async () => {
  for (const e of commands) {
    const c = await e.load();
    assert.equal(c.name, e.name);
    assert.equal(c.summary, e.summary, c.name);
  }
});

test('every command has --help that names its options', async () => {
  for (const e of commands) {
    const c = await e.load();
    const r = await run([...c.name.split(' '), '--help']);
    assert.equal(r.code, 0, c.name);
    assert.match(r.out, new RegExp(`^Usage: pnpm cairn ${c.name}`), c.name);
    for (const opt of Object.keys(c.options)) assert.match(r.out, new RegExp(`--${opt}\\b`), `${c.name} --${opt}`);
  }
});

test('unknown commands and options are usage errors', async () => {
  assert.equal((await run(['frobnicate'])).code, EXIT_USAGE);
  const r = await run(['keygen', '--name', 'a', '--out', '/dev/null', '--bogus']);
  assert.equal(r.code, EXIT_USAGE);
  assert.match(r.err, /bogus/);
  const missing = await run(['keygen', '--name', 'a']);
  assert.equal(missing.code, EXIT_USAGE);
  assert.match(missing.err, /--out/);
  const group = await run(['log']);
  assert.equal(group.code, EXIT_USAGE);
  assert.match(group.out, /log serve/);
});

test('keygen writes a 0600 signer key, refuses to overwrite, prints matching vkeys', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-cli-'));
  try {
    const file = join(dir, 'w.key');
    const r = await run(['keygen', '--name', 'witness.example.org', '--out', file, '--witness']);
    assert.equal(r.code, 0, r.err);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const skey = (await readFile(file, 'utf8')).trim();
    const signer = parseSignerKey(skey);
    const [vkeyLine, cosLine] = r.out.trim().split('\n');
    const v = parseVerifierKey(vkeyLine!.replace(/^vkey /, ''));
    const cv = parseVerifierKey(cosLine!.replace(/^cosignature\/v1 /, ''));
    assert.equal(v.alg, 1);
    assert.equal(cv.alg, 4);
    assert.deepEqual(v.publicKey, signer.publicKey);
    assert.deepEqual(cv.publicKey, signer.publicKey);
    const again = await run(['keygen', '--name', 'other', '--out', file]);
    assert.equal(again.code, EXIT_FAIL);
    assert.match(again.err, /already exists/);
    assert.equal((await readFile(file, 'utf8')).trim(), skey, 'the existing key is untouched');
    const bad = await run(['keygen', '--name', 'has space', '--out', join(dir, 'x.key')]);
    assert.equal(bad.code, EXIT_USAGE);
    assert.match(bad.err, /--name/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('note verify accepts Go sumdb checkpoints and rejects tampered ones', async () => {
  const v = await loadVectors('signed_note.json');
  const dir = await mkdtemp(join(tmpdir(), 'cairn-cli-'));
  try {
    for (const n of v.signed_notes as { id: string; vkey: string; signed_note: string }[]) {
      const f = join(dir, `${n.id}.note`);
      await writeFile(f, n.signed_note);
      const r = await run(['note', 'verify', '--vkey', n.vkey, f]);
      assert.equal(r.code, 0, `${n.id}: ${r.err}`);
      assert.match(r.out, /^ok +signature /m);
      // One flipped character of the text: the known key's signature fails.
      const tampered = n.signed_note.replace(/[a-z]/, (c) => (c === 'a' ? 'b' : 'a'));
      await writeFile(f, tampered);
      const t = await run(['note', 'verify', '--vkey', n.vkey, f]);
      assert.equal(t.code, EXIT_CODES['bad-log-signature'], n.id);
      assert.match(t.err, /invalid signature/);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('note verify counts a Sunlight witness cosignature and enforces --min', async () => {
  const v = await loadVectors('cosignatures.json');
  const c = (v.ed25519_cosignatures as { vkey: string; checkpoint_text: string; cosignature_line: string }[])[0]!;
  // The Sunlight file's log signature is an RFC 6962 STH (type 0x05), which a note verifier
  // cannot check; sign the same checkpoint text with our own log key and attach their line.
  const skey = generateSignerKey('rome2026h1.example.org', new Uint8Array(32).fill(9));
  const note = signNote(c.checkpoint_text, [parseSignerKey(skey)]) + c.cosignature_line + '\n';
  const dir = await mkdtemp(join(tmpdir(), 'cairn-cli-'));
  try {
    const f = join(dir, 'cp');
    await writeFile(f, note);
    const logVkey = verifierKeyFromSigner(skey);
    const ok = await run(['note', 'verify', '--vkey', logVkey, '--cosigner', c.vkey, f]);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /ok +cosignature witness\.example\.org\+b8a2cf20 time=1767139200/);
    // Without the cosignature line, --min 1 fails.
    await writeFile(f, signNote(c.checkpoint_text, [parseSignerKey(skey)]));
    const missing = await run(['note', 'verify', '--vkey', logVkey, '--cosigner', c.vkey, '--min', '1', f]);
    assert.equal(missing.code, EXIT_CODES['quorum-not-met']);
    assert.match(missing.err, /only 0 of the required 1/);
    // --min larger than the cosigners given is a usage error.
    assert.equal((await run(['note', 'verify', '--vkey', logVkey, '--min', '2', f])).code, EXIT_USAGE);
    // A cosignature that does not verify (re-signed by another key under the same name/id is
    // impossible; use a corrupted payload) rejects the note.
    const corrupt = note.replace(c.cosignature_line, c.cosignature_line.slice(0, 40) + (c.cosignature_line[40] === 'A' ? 'B' : 'A') + c.cosignature_line.slice(41));
    await writeFile(f, corrupt);
    const bad = await run(['note', 'verify', '--vkey', logVkey, '--cosigner', c.vkey, f]);
    assert.equal(bad.code, EXIT_CODES['bad-cosignature']);
    assert.match(bad.err, /invalid signature for key witness\.example\.org/);
    // A note signed only by another key: no signature from --vkey, like a checkpoint whose log
    // signature is missing in `cairn verify`.
    await writeFile(f, signNote(c.checkpoint_text, [parseSignerKey(generateSignerKey('rome2026h1.example.org', new Uint8Array(32).fill(7)))]));
    const unsigned = await run(['note', 'verify', '--vkey', logVkey, f]);
    assert.equal(unsigned.code, EXIT_CODES['bad-log-signature'], unsigned.err);
    assert.match(unsigned.err, /no signature from rome2026h1\.example\.org\+/);
    // Unknown extra signatures are ignored.
    await writeFile(f, addSignatures(note, [parseSignerKey(generateSignerKey('someone.else'))]));
    const extra = await run(['note', 'verify', '--vkey', logVkey, '--cosigner', c.vkey, f]);
    assert.equal(extra.code, 0, extra.err);
    assert.match(extra.out, /ignored 1 signature/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('note verify rejects malformed input as malformed (11) and oversized input with exit 1, like verify', async () => {
  const v = await loadVectors('signed_note.json');
  const vkey = (v.signed_notes as { vkey: string }[])[0]!.vkey;
  const dir = await mkdtemp(join(tmpdir(), 'cairn-cli-'));
  try {
    const f = join(dir, 'n');
    for (const body of ['', 'no signature\n', 'text\n\n— x\n', '\u0000\n\n— a AAAAAAA=\n']) {
      await writeFile(f, body);
      const r = await run(['note', 'verify', '--vkey', vkey, f]);
      assert.equal(r.code, EXIT_CODES.malformed, JSON.stringify(body));
      assert.match(r.err, /note rejected: .* \([a-z-]+\)/);
    }
    await writeFile(f, Buffer.alloc((1 << 20) + 1, 0x41));
    const big = await run(['note', 'verify', '--vkey', vkey, f]);
    assert.equal(big.code, EXIT_FAIL);
    assert.match(big.err, /larger than/);
    assert.equal((await run(['note', 'verify', '--vkey', 'not a key', f])).code, EXIT_USAGE);
    assert.notEqual((await run(['note', 'verify', '--vkey', vkey, join(dir, 'missing')])).code, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
