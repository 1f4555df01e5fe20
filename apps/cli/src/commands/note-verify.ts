/**
 * `cairn note verify`: checks a signed (and possibly cosigned) note, such as a checkpoint.
 *
 * Its failures share the exit codes of `cairn verify` (@cairn/client's EXIT_CODES), because they
 * are the same causes: a note that does not parse is `malformed` (11), a missing or bad signature
 * from --vkey is `bad-log-signature` (15), a given witness key whose cosignature does not verify is
 * `bad-cosignature` (17), and fewer than --min cosignatures is `quorum-not-met` (18).
 */
import {
  ALG_COSIGNATURE_V1, ALG_ED25519, FormatError, InvalidSignatureError, MAX_NOTE_SIZE, UnverifiedNoteError, type Verifier,
  cosignatureTimestamp, formatKeyId, openNote, parseCheckpoint, parseVerifierKey,
} from '@cairn/formats';
import { nodeEd25519 } from '@cairn/formats/node';
import { EXIT_CODES } from '@cairn/client';
import { CommandFailure, UsageError, defineCommand } from '../command.js';
import { readBounded } from '../lib/files.js';

/** The exit codes `note verify` uses besides 0, 1 and 2 (shown in --help and docs/cli.md). */
export const NOTE_EXIT_ROWS: readonly (readonly [number, string])[] = [
  [EXIT_CODES.malformed, 'malformed: the note is not valid signed-note syntax'],
  [EXIT_CODES['bad-log-signature'], 'bad-log-signature: no valid signature from --vkey'],
  [EXIT_CODES['bad-cosignature'], 'bad-cosignature: a --cosigner key\'s cosignature does not verify'],
  [EXIT_CODES['quorum-not-met'], 'quorum-not-met: fewer than --min cosignatures verified'],
];

export const noteVerify = defineCommand({
  name: 'note verify',
  summary: 'Verify a signed note (a checkpoint) and its cosignatures',
  usage: 'FILE',
  details: `
FILE is the note (use - for standard input). --vkey is the signer's verifier key (type 0x01,
for example the log's key); each --cosigner is a witness's cosignature/v1 verifier key (type
0x04). Signatures from keys not given are ignored, as the signed-note spec requires; a signature
from a given key that does not verify rejects the note. Exit status: 0 when the --vkey signature
and at least --min cosignatures verify (default: every --cosigner given); otherwise the cause's
code, the same as in \`cairn verify\`:
${NOTE_EXIT_ROWS.map(([n, what]) => `  ${String(n).padStart(3)}  ${what}`).join('\n')}
--json prints the same findings as one JSON object (the exit status is unchanged).`,
  options: {
    vkey: { type: 'string', required: true, value: 'VKEY', description: 'verifier key of the note signer (type 0x01)' },
    cosigner: { type: 'string', multiple: true, value: 'VKEY', description: 'cosignature/v1 verifier key of a witness' },
    min: { type: 'string', value: 'N', description: 'cosignatures required (default: all --cosigner keys)' },
    json: { type: 'boolean', description: 'print one JSON object: {"verified","checkpoint","signature","cosignatures","ignored"}' },
  },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals, io }) {
    const opts = { ed25519: nodeEd25519 };
    const signer = parseKey(values.vkey!, '--vkey', ALG_ED25519, opts);
    const cosigners = (values.cosigner ?? []).map((v) => parseKey(v, '--cosigner', ALG_COSIGNATURE_V1, opts));
    const min = values.min === undefined ? cosigners.length : parseMin(values.min);
    if (min > cosigners.length) {
      throw new UsageError(`--min ${min} is more than the ${cosigners.length} --cosigner key(s) given`);
    }
    const bytes = await readBounded(positionals[0]!, MAX_NOTE_SIZE);
    let opened;
    try {
      opened = openNote(bytes, [signer, ...cosigners]);
    } catch (e) {
      if (e instanceof InvalidSignatureError) {
        const bySigner = e.keyName === signer.name && e.keyId === signer.keyId;
        throw new CommandFailure(`note rejected: ${e.message} (${e.code})`, EXIT_CODES[bySigner ? 'bad-log-signature' : 'bad-cosignature']);
      }
      if (e instanceof UnverifiedNoteError) {
        throw new CommandFailure(`note rejected: no signature from ${signer.name}+${formatKeyId(signer.keyId)} (${e.code})`, EXIT_CODES['bad-log-signature']);
      }
      if (e instanceof FormatError && e.code === 'ambiguous-verifier') throw new UsageError(`the keys given are ambiguous: ${e.message}`);
      if (e instanceof FormatError) throw new CommandFailure(`note rejected: ${e.message} (${e.code})`, EXIT_CODES.malformed);
      throw e;
    }
    const name = (v: Verifier) => `${v.name}+${formatKeyId(v.keyId)}`;
    const logOk = opened.verified.some((s) => s.verifier === signer);
    const cos = opened.verified.filter((s) => s.verifier.alg === ALG_COSIGNATURE_V1);
    if (values.json) {
      let checkpoint: { origin: string; size: string; root: string } | null = null;
      try {
        const c = parseCheckpoint(opened.text);
        checkpoint = { origin: c.origin, size: c.size.toString(), root: Buffer.from(c.rootHash).toString('base64') };
      } catch {
        // not a checkpoint: the note's text is reported instead
      }
      io.out(JSON.stringify({
        verified: logOk && cos.length >= min,
        checkpoint,
        ...(checkpoint === null ? { text: opened.text } : {}),
        signature: { key: name(signer), ok: logOk },
        cosignatures: cosigners.map((c) => {
          const hit = cos.find((s) => s.verifier === c);
          return { key: name(c), ok: hit !== undefined, ...(hit ? { time: cosignatureTimestamp(hit).toString() } : {}) };
        }),
        required: min,
        ignored: opened.unverified.length,
      }));
      failIfIncomplete(logOk, cos.length, min, name(signer));
      return 0;
    }
    try {
      const c = parseCheckpoint(opened.text);
      io.out(`checkpoint origin=${c.origin} size=${c.size} root=${Buffer.from(c.rootHash).toString('base64')}`);
    } catch {
      io.out(`note text: ${opened.text.split('\n')[0]}${opened.text.split('\n').length > 2 ? ' …' : ''}`);
    }
    io.out(`${logOk ? 'ok  ' : 'MISSING'} signature ${name(signer)}`);
    for (const c of cosigners) {
      const hit = cos.find((s) => s.verifier === c);
      io.out(hit ? `ok   cosignature ${name(c)} time=${cosignatureTimestamp(hit)}` : `MISSING cosignature ${name(c)}`);
    }
    if (opened.unverified.length > 0) io.out(`ignored ${opened.unverified.length} signature(s) from unknown keys`);
    failIfIncomplete(logOk, cos.length, min, name(signer));
    io.out(`verified: signature and ${cos.length} cosignature(s)`);
    return 0;
  },
});

function failIfIncomplete(logOk: boolean, cosigned: number, min: number, signer: string): void {
  if (!logOk) throw new CommandFailure(`no valid signature from ${signer}`, EXIT_CODES['bad-log-signature']);
  if (cosigned < min) throw new CommandFailure(`only ${cosigned} of the required ${min} cosignature(s) verified`, EXIT_CODES['quorum-not-met']);
}

function parseKey(text: string, flag: string, alg: number, opts: { ed25519: typeof nodeEd25519 }): Verifier {
  let v: Verifier;
  try {
    v = parseVerifierKey(text, opts);
  } catch (e) {
    throw new UsageError(`${flag}: ${(e as Error).message}`);
  }
  if (v.alg !== alg) {
    const want = alg === ALG_ED25519 ? 'an Ed25519 note key (type 0x01)' : 'a cosignature/v1 key (type 0x04)';
    throw new UsageError(`${flag}: ${v.name} is not ${want}`);
  }
  return v;
}

function parseMin(s: string): number {
  if (!/^(0|[1-9][0-9]{0,2})$/.test(s)) throw new UsageError(`--min must be a small non-negative integer, got "${s}"`);
  return Number(s);
}
