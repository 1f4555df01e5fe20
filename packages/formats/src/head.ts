/**
 * The framing shared by the tlog-witness add-checkpoint body (c2sp.org/tlog-witness, witness.ts)
 * and the `.tlog-proof` bundle (c2sp.org/tlog-proof, proofbundle.ts): a head of text lines, one
 * blank line, then a signed note. For example (add-checkpoint, abridged):
 *
 * ```
 * old 20852014
 * PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=
 *
 * example.com/behind-the-sofa
 * …
 * ```
 *
 * The split is at the FIRST `LF LF`. The head may hold only printable ASCII (0x20–0x7e) and LF,
 * which also rules out CR, TAB and NUL; it is returned as its lines (without their LFs). The note
 * is everything after the blank line, as a view of the input, byte for byte. Each format maps
 * a failure to its own error type, so this returns a result rather than throwing.
 */

/** The head's lines and the note's bytes (a subarray of the input). */
export interface HeadAndNote {
  readonly ok: true;
  readonly lines: string[];
  readonly note: Uint8Array;
}

/** Why a body does not split: no blank line, or a byte outside printable ASCII/LF in the head. */
export type HeadSplitFailure =
  | { readonly ok: false; readonly code: 'no-separator' }
  | { readonly ok: false; readonly code: 'bad-head'; readonly offset: number; readonly byte: number };

/** Splits `bytes` at its first `LF LF` into head lines and note bytes. */
export function splitHeadAndNote(bytes: Uint8Array): HeadAndNote | HeadSplitFailure {
  let sep = -1;
  for (let i = 0; i + 1 < bytes.length; i++) {
    if (bytes[i] === 0x0a && bytes[i + 1] === 0x0a) {
      sep = i;
      break;
    }
  }
  if (sep < 0) return { ok: false, code: 'no-separator' };
  let head = '';
  for (let i = 0; i < sep; i++) {
    const c = bytes[i]!;
    if (c !== 0x0a && (c < 0x20 || c > 0x7e)) return { ok: false, code: 'bad-head', offset: i, byte: c };
    head += String.fromCharCode(c);
  }
  return { ok: true, lines: head.split('\n'), note: bytes.subarray(sep + 2) };
}

/** `0x0d`: how a head failure names the byte. */
export function hexByte(c: number): string {
  return `0x${c.toString(16).padStart(2, '0')}`;
}
