/**
 * Signed notes, c2sp.org/signed-note v1.0.0 (docs/protocols.md §2). Exact bytes:
 *
 * ```
 * This is an example message.\n                                      text (ends in LF)
 * \n                                                                 blank line
 * — example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n
 * ```
 *
 * A signature line is `— ` (U+2014, space), a key name, a space, and base64(key ID[4] ||
 * signature), which must decode to at least 5 bytes. The separator is the *last* `\n\n`.
 *
 * Limits and strictness: the whole note is valid UTF-8 of at most {@link MAX_NOTE_SIZE} bytes
 * with no control character but LF (we also reject DEL, 0x7F, which Go accepts); base64 is
 * canonical; at most {@link MAX_NOTE_SIGNATURES} signature lines (as Go). Verification follows
 * §2.6 and Go's `note.Open`: unknown keys (matching name *or* ID but not both) are ignored, and
 * identical unknown lines are kept once; a known key's first line is verified and must verify
 * (else `invalid-signature`), later lines of the same key are dropped; at least one must verify
 * (else `no-verified-signature`). Re-signing follows Go's `note.Sign`: lines of the signing keys
 * are replaced, other lines keep their order, new lines go last.
 */
import { bytesEqual } from './bytes-equal.js';
import { decodeBase64Tolerant, encodeBase64, utf8DecodeStrict, utf8Encode } from './encoding.js';
import { FormatError, NoteError, type FormatErrorOptions } from './errors.js';
import { formatKeyId, isValidKeyName, KEY_ID_SIZE, keyIdBytes, type Signer, type Verifier } from './keys.js';

/** Largest note accepted, in bytes of UTF-8 (many post-quantum signatures fit). */
export const MAX_NOTE_SIZE = 1 << 20;
/** Most signature lines accepted (Go's `note.Open` limit; the spec requires at least 16). */
export const MAX_NOTE_SIGNATURES = 100;
/** The prefix of every signature line: U+2014 EM DASH and a space. */
export const SIGNATURE_LINE_PREFIX = '\u2014 ';

/** One signature line. `payload` is the signature after the 4-byte key ID. */
export interface NoteSignature {
  readonly name: string;
  readonly keyId: number;
  readonly payload: Uint8Array;
  /** The exact line, without its LF. */
  readonly line: string;
  /**
   * Set when the base64 had non-zero trailing bits. Such a line is never accepted as a valid
   * signature: from a known key it rejects the note as an invalid signature (as Go would, after
   * its lenient decoding, for a tampered line); from an unknown key it is ignored like any other.
   */
  readonly nonCanonical?: true;
}

/** A syntactically valid note whose signatures are not yet checked. */
export interface ParsedNote {
  /** The signed text, including its final LF. Untrusted until a signature verifies. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

/** A signature that verified under a known key. */
export type VerifiedSignature = NoteSignature & { readonly verifier: Verifier };

/** The result of {@link openNote}. */
export interface OpenedNote {
  readonly text: string;
  readonly verified: readonly VerifiedSignature[];
  readonly unverified: readonly NoteSignature[];
}

/** A known key's signature failed: the note is rejected (evidence: the key and the line). */
export class InvalidSignatureError extends NoteError {
  readonly keyName: string;
  readonly keyId: number;
  readonly line: string;
  constructor(sig: NoteSignature, options?: FormatErrorOptions) {
    super('invalid-signature', `invalid signature for key ${sig.name}+${formatKeyId(sig.keyId)}`, options);
    this.name = 'InvalidSignatureError';
    this.keyName = sig.name;
    this.keyId = sig.keyId;
    this.line = sig.line;
  }
}

/** No known key signed the note. `note` is the parsed, unverified note (evidence). */
export class UnverifiedNoteError extends NoteError {
  readonly note: ParsedNote;
  constructor(note: ParsedNote) {
    super('no-verified-signature', 'note has no verifiable signature from a known key');
    this.name = 'UnverifiedNoteError';
    this.note = note;
  }
}

// Any C0 control character but LF, or DEL.
const FORBIDDEN_CHAR = /[\u0000-\u0009\u000b-\u001f\u007f]/u;

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) { n += 4; i++; } // well-formedness is checked by the caller
    else n += 3;
  }
  return n;
}

/** Decodes and checks the whole input: size, UTF-8, control characters. */
function noteString(input: Uint8Array | string): string {
  let s: string;
  if (typeof input === 'string') {
    if (input.length > MAX_NOTE_SIZE) throw new NoteError('too-large', `note exceeds ${MAX_NOTE_SIZE} bytes`);
    if (!input.isWellFormed()) throw new NoteError('bad-utf8', 'note is not well-formed Unicode');
    if (utf8Length(input) > MAX_NOTE_SIZE) throw new NoteError('too-large', `note exceeds ${MAX_NOTE_SIZE} bytes`);
    s = input;
  } else if (input instanceof Uint8Array) {
    if (input.length > MAX_NOTE_SIZE) throw new NoteError('too-large', `note exceeds ${MAX_NOTE_SIZE} bytes`);
    try {
      s = utf8DecodeStrict(input);
    } catch (cause) {
      throw new NoteError('bad-utf8', 'note is not valid UTF-8', { cause });
    }
  } else {
    throw new NoteError('bad-input', 'note must be a string or a Uint8Array');
  }
  if (FORBIDDEN_CHAR.test(s)) throw new NoteError('control-char', 'note contains a control character other than LF');
  return s;
}

function parseSignatureLine(line: string): NoteSignature {
  if (!line.startsWith(SIGNATURE_LINE_PREFIX)) throw new NoteError('bad-signature-line', 'signature line must start with "— "');
  const rest = line.slice(SIGNATURE_LINE_PREFIX.length);
  const sp = rest.indexOf(' ');
  if (sp < 0) throw new NoteError('bad-signature-line', 'signature line has no space after the key name');
  const name = rest.slice(0, sp);
  const b64 = rest.slice(sp + 1);
  if (!isValidKeyName(name)) throw new NoteError('bad-signature-line', 'invalid key name in signature line');
  let raw: Uint8Array;
  let canonical: boolean;
  try {
    ({ bytes: raw, canonical } = decodeBase64Tolerant(b64));
  } catch (cause) {
    throw new NoteError('bad-signature-line', 'signature is not padded standard base64', { cause });
  }
  if (raw.length < KEY_ID_SIZE + 1) throw new NoteError('bad-signature-line', 'signature shorter than 5 bytes');
  const keyId = new DataView(raw.buffer, raw.byteOffset, KEY_ID_SIZE).getUint32(0, false);
  const sig = { name, keyId, payload: raw.slice(KEY_ID_SIZE), line };
  return canonical ? sig : { ...sig, nonCanonical: true };
}

/**
 * Parses a signed note without verifying it. Throws {@link NoteError}: `too-large`, `bad-utf8`,
 * `control-char`, `no-signatures` (no blank line / empty block), `missing-final-newline`,
 * `bad-signature-line`, `too-many-signatures`, `bad-input`.
 */
export function parseNote(input: Uint8Array | string): ParsedNote {
  const s = noteString(input);
  const split = s.lastIndexOf('\n\n');
  if (split < 0) throw new NoteError('no-signatures', 'note has no blank line before a signature block');
  const text = s.slice(0, split + 1);
  const block = s.slice(split + 2);
  if (block.length === 0) throw new NoteError('no-signatures', 'note has no signature lines');
  if (!block.endsWith('\n')) throw new NoteError('missing-final-newline', 'signature block must end in LF');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES) {
    throw new NoteError('too-many-signatures', `note has more than ${MAX_NOTE_SIGNATURES} signature lines`);
  }
  return { text, signatures: lines.map(parseSignatureLine) };
}

function signatureLine(name: string, keyId: number, payload: Uint8Array): string {
  const raw = new Uint8Array(KEY_ID_SIZE + payload.length);
  raw.set(keyIdBytes(keyId), 0);
  raw.set(payload, KEY_ID_SIZE);
  return `${SIGNATURE_LINE_PREFIX}${name} ${encodeBase64(raw)}`;
}

/** The line for a signature: rebuilt canonically, or the given `line` if it parses to the same values. */
function lineFor(sig: Pick<NoteSignature, 'name' | 'keyId' | 'payload'> & { readonly line?: string }): string {
  const canonical = signatureLine(sig.name, sig.keyId, sig.payload);
  if (sig.line === undefined || sig.line === canonical) return canonical;
  const p = parseSignatureLine(sig.line);
  if (p.name !== sig.name || p.keyId !== sig.keyId || !bytesEqual(p.payload, sig.payload)) {
    throw new NoteError('bad-signature-line', 'signature line does not match its name, key ID and payload');
  }
  return sig.line;
}

function checkText(text: string): void {
  if (typeof text !== 'string' || text.length === 0 || !text.endsWith('\n')) {
    throw new NoteError('bad-text', 'note text must be non-empty and end in LF');
  }
  noteString(text);
}

/**
 * Formats a note from its text and signatures (lines are rebuilt from name, key ID and payload).
 * Validates everything `parseNote` checks, so `parseNote(formatNote(n))` gives `n` back.
 */
export function formatNote(note: {
  readonly text: string;
  readonly signatures: readonly (Pick<NoteSignature, 'name' | 'keyId' | 'payload'> & { readonly line?: string })[];
}): string {
  checkText(note.text);
  if (note.signatures.length === 0) throw new NoteError('no-signatures', 'a note needs at least one signature');
  if (note.signatures.length > MAX_NOTE_SIGNATURES) {
    throw new NoteError('too-many-signatures', `more than ${MAX_NOTE_SIGNATURES} signatures`);
  }
  let out = note.text + '\n';
  for (const sig of note.signatures) {
    if (!isValidKeyName(sig.name)) throw new NoteError('bad-signature-line', 'invalid key name');
    if (!Number.isInteger(sig.keyId) || sig.keyId < 0 || sig.keyId > 0xffffffff) {
      throw new NoteError('bad-signature-line', 'key ID must be a uint32');
    }
    if (!(sig.payload instanceof Uint8Array) || sig.payload.length === 0) {
      throw new NoteError('bad-signature-line', 'signature payload must be non-empty bytes');
    }
    out += lineFor(sig) + '\n';
  }
  const size = utf8Length(out);
  if (size > MAX_NOTE_SIZE) throw new NoteError('too-large', `note exceeds ${MAX_NOTE_SIZE} bytes`);
  return out;
}

function lookupKey(name: string, keyId: number): string {
  return `${keyId}:${name}`;
}

/**
 * Parses a note and verifies it against known keys (§2.6 / Go `note.Open`). Throws
 * {@link NoteError} for any syntax error, `ambiguous-verifier` when two given verifiers share a
 * (name, key ID) that a line uses, {@link InvalidSignatureError} (`invalid-signature`) and
 * {@link UnverifiedNoteError} (`no-verified-signature`).
 */
export function openNote(input: Uint8Array | string, verifiers: readonly Verifier[]): OpenedNote {
  const note = parseNote(input);
  const known = new Map<string, Verifier[]>();
  for (const v of verifiers) {
    const k = lookupKey(v.name, v.keyId);
    const list = known.get(k);
    if (list) list.push(v);
    else known.set(k, [v]);
  }
  const textBytes = utf8Encode(note.text);
  const verified: VerifiedSignature[] = [];
  const unverified: NoteSignature[] = [];
  const seenKnown = new Set<string>();
  const seenUnknown = new Set<string>();
  for (const sig of note.signatures) {
    const k = lookupKey(sig.name, sig.keyId);
    const candidates = known.get(k);
    if (candidates === undefined) {
      if (!seenUnknown.has(sig.line)) {
        seenUnknown.add(sig.line);
        unverified.push(sig);
      }
      continue;
    }
    if (candidates.length > 1) {
      throw new NoteError('ambiguous-verifier', `several verifiers for key ${sig.name}+${formatKeyId(sig.keyId)}`);
    }
    if (seenKnown.has(k)) continue;
    seenKnown.add(k);
    const verifier = candidates[0]!;
    if (sig.nonCanonical) throw new InvalidSignatureError(sig);
    let ok: boolean;
    try {
      ok = verifier.verify(textBytes, sig.payload);
    } catch (cause) {
      if (cause instanceof FormatError) ok = false;
      else throw cause;
    }
    if (!ok) throw new InvalidSignatureError(sig);
    verified.push({ ...sig, verifier });
  }
  if (verified.length === 0) throw new UnverifiedNoteError(note);
  return { text: note.text, verified, unverified };
}

function signLines(text: string, signers: readonly Signer[]): { keys: Set<string>; lines: string[] } {
  const msg = utf8Encode(text);
  const keys = new Set<string>();
  const lines: string[] = [];
  for (const s of signers) {
    if (!isValidKeyName(s.name)) throw new NoteError('bad-signer', 'signer has an invalid key name');
    keys.add(lookupKey(s.name, s.keyId));
    const payload = s.sign(msg);
    if (!(payload instanceof Uint8Array) || payload.length === 0) throw new NoteError('bad-signer', 'signer returned no bytes');
    lines.push(signatureLine(s.name, s.keyId, payload));
  }
  return { keys, lines };
}

function assemble(text: string, lines: readonly string[]): string {
  if (lines.length === 0) throw new NoteError('no-signatures', 'a note needs at least one signature');
  if (lines.length > MAX_NOTE_SIGNATURES) throw new NoteError('too-many-signatures', `more than ${MAX_NOTE_SIGNATURES} signatures`);
  const out = `${text}\n${lines.join('\n')}\n`;
  if (utf8Length(out) > MAX_NOTE_SIZE) throw new NoteError('too-large', `note exceeds ${MAX_NOTE_SIZE} bytes`);
  return out;
}

/** Signs `text` (non-empty, ending in LF) with each signer, in order; returns the note text. */
export function signNote(text: string, signers: readonly Signer[]): string {
  checkText(text);
  return assemble(text, signLines(text, signers).lines);
}

/**
 * Adds signatures to a signed note (Go `note.Sign` on an opened note): existing lines of the same
 * (name, key ID) as a signer are dropped, repeated identical lines are kept once, the others keep
 * their order, and the new lines go last. Existing signatures are not verified.
 */
export function addSignatures(note: Uint8Array | string, signers: readonly Signer[]): string {
  const parsed = parseNote(note);
  const { keys, lines } = signLines(parsed.text, signers);
  const kept: string[] = [];
  const seen = new Set<string>();
  for (const sig of parsed.signatures) {
    if (keys.has(lookupKey(sig.name, sig.keyId)) || seen.has(sig.line)) continue;
    seen.add(sig.line);
    kept.push(sig.line);
  }
  return assemble(parsed.text, [...kept, ...lines]);
}
