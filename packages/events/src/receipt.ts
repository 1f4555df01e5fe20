/**
 * Receipts: the log's signed promise, given when it accepts an event, that a cosigned checkpoint
 * will cover the event's index by a deadline (the SCT and maximum merge delay of RFC 6962 §3,
 * for an audit log). A receipt is a signed note (c2sp.org/signed-note) whose text is:
 *
 * ```
 * cairn.dev/receipt/v1\n                                 format and version
 * origin example.com/log\n                               the log's checkpoint origin
 * index 0\n                                              the entry index, canonical decimal ≤ 2^63−1
 * leaf wbL0SmHV2Z80nAUDxNie7hjSFWpixzpOFCsA+HMZlVA=\n    RFC 6962 leaf hash of the leaf record, padded base64
 * source bastion\n                                       source id
 * seq 0\n                                                per-source sequence number
 * deadline 1767225660\n                                  POSIX seconds: a cosigned checkpoint covers `index` by then
 * \n
 * — example.com/log/receipt YYNDdcY8rJP/nhk/EdLDG5UyPGP91uyrRK7WN90CA4kDRyGxXzh22FaXsfQpuQ6mk+8d3n1C0R7vLkyAyJuhnCiU4wA=\n
 * ```
 * (signed by `example.com/log/receipt+61834375+AYE5dw6ofRdfVqNUZsNMfszLjYqRtO43ol32D1uPybOU`,
 * the key of seed 0x02…; examples.test.ts rebuilds it.)
 *
 * The signer is the log's **receipt key**, named `<origin>/receipt` ({@link receiptKeyName}) and
 * published beside the log's checkpoint key (whose name is the origin).
 *
 * A receipt can never be taken for a checkpoint, nor a checkpoint for a receipt, by two
 * independent walls: (1) the texts cannot parse as each other — a checkpoint's second line is
 * a decimal tree size, a receipt's is `origin …`, and a receipt starts with its own header line;
 * (2) the keys differ — a checkpoint verifier accepts only a key named exactly the origin, and
 * {@link openReceipt} and {@link signReceipt} accept only a key named `<origin>/receipt`, so even
 * a log that signed a receipt text with its checkpoint key (or the reverse) gets nothing accepted.
 */
import {
  decodeBase64Strict,
  encodeBase64,
  formatDecimal,
  FormatError,
  isValidKeyName,
  MAX_INT63,
  openNote,
  parseDecimal,
  signNote,
  type Signer,
  type Verifier,
} from '@cairn/formats';
import { ReceiptError } from './errors.js';
import { isValidSourceId, MAX_SEQUENCE } from './leaf.js';

/** First line of a receipt's text (without its LF). */
export const RECEIPT_HEADER = 'cairn.dev/receipt/v1';
/** Suffix that turns a log origin into its receipt key name. */
export const RECEIPT_KEY_SUFFIX = '/receipt';
/** Longest receipt text accepted, UTF-16 code units (a receipt is a few hundred bytes). */
export const MAX_RECEIPT_TEXT_LENGTH = 4096;
const HASH_SIZE = 32;
const KEYS = ['origin', 'index', 'leaf', 'source', 'seq', 'deadline'] as const;

/** A receipt's content. */
export interface Receipt {
  /** The log's checkpoint origin (a valid key name). */
  readonly origin: string;
  readonly index: bigint;
  /** RFC 6962 leaf hash of the event's leaf record. */
  readonly leafHash: Uint8Array;
  readonly source: string;
  readonly seq: bigint;
  /** POSIX seconds by which a cosigned checkpoint covers `index`. */
  readonly deadline: bigint;
}

/** The key name of the receipt key of the log `origin`. Throws `bad-origin` if the result is not a valid key name. */
export function receiptKeyName(origin: string): string {
  if (typeof origin !== 'string' || !isValidKeyName(origin)) {
    throw new ReceiptError('bad-origin', 'a receipt origin must be a valid key name (no spaces, no "+")');
  }
  return origin + RECEIPT_KEY_SUFFIX;
}

/**
 * Parses a receipt text (the signed part of the note) strictly. Throws only {@link ReceiptError}:
 * `bad-input`, `too-large`, `bad-text`, `bad-header`, `bad-line`, `bad-origin`, `bad-index`,
 * `bad-leaf`, `bad-source`, `bad-seq`, `bad-deadline`.
 */
export function parseReceipt(text: string): Receipt {
  if (typeof text !== 'string') throw new ReceiptError('bad-input', 'receipt text must be a string');
  if (text.length > MAX_RECEIPT_TEXT_LENGTH) throw new ReceiptError('too-large', `receipt exceeds ${MAX_RECEIPT_TEXT_LENGTH} characters`);
  if (!text.isWellFormed() || /[\u0000-\u0009\u000b-\u001f\u007f]/u.test(text) || !text.endsWith('\n')) {
    throw new ReceiptError('bad-text', 'a receipt is well-formed text without control characters, ending in LF');
  }
  const lines = text.slice(0, -1).split('\n');
  if (lines[0] !== RECEIPT_HEADER) throw new ReceiptError('bad-header', `first line must be ${RECEIPT_HEADER}`);
  if (lines.length !== KEYS.length + 1) throw new ReceiptError('bad-line', `a receipt has ${KEYS.length + 1} lines, not ${lines.length}`);
  const v = KEYS.map((key, i) => {
    const line = lines[i + 1]!;
    if (!line.startsWith(`${key} `)) throw new ReceiptError('bad-line', `line ${i + 2} must start with "${key} "`);
    return line.slice(key.length + 1);
  });
  const [origin, index, leaf, source, seq, deadline] = v as [string, string, string, string, string, string];
  receiptKeyName(origin);
  let leafHash: Uint8Array;
  try {
    leafHash = decodeBase64Strict(leaf, HASH_SIZE);
  } catch (cause) {
    throw new ReceiptError('bad-leaf', `leaf hash must be padded base64 of ${HASH_SIZE} bytes`, { cause });
  }
  if (!isValidSourceId(source)) throw new ReceiptError('bad-source', 'not a valid source id');
  return Object.freeze({
    origin,
    index: decimal(index, MAX_INT63, 'bad-index'),
    leafHash,
    source,
    seq: decimal(seq, MAX_SEQUENCE, 'bad-seq'),
    deadline: decimal(deadline, MAX_INT63, 'bad-deadline'),
  });
}

function decimal(s: string, max: bigint, code: string): bigint {
  try {
    return parseDecimal(s, max);
  } catch (cause) {
    throw new ReceiptError(code, `"${s}" is not a canonical decimal ≤ ${max}`, { cause });
  }
}

/** Formats a receipt text; validates it so that {@link parseReceipt} gives it back. */
export function formatReceipt(r: Receipt): string {
  receiptKeyName(r.origin);
  for (const [v, code] of [[r.index, 'bad-index'], [r.seq, 'bad-seq'], [r.deadline, 'bad-deadline']] as const) {
    if (typeof v !== 'bigint' || v < 0n || v > MAX_INT63) throw new ReceiptError(code, `${code.slice(4)} must be a bigint in [0, 2^63-1]`);
  }
  if (!(r.leafHash instanceof Uint8Array) || r.leafHash.length !== HASH_SIZE) throw new ReceiptError('bad-leaf', `leaf hash must be ${HASH_SIZE} bytes`);
  if (!isValidSourceId(r.source)) throw new ReceiptError('bad-source', 'not a valid source id');
  const text =
    `${RECEIPT_HEADER}\norigin ${r.origin}\nindex ${formatDecimal(r.index)}\nleaf ${encodeBase64(r.leafHash)}\n` +
    `source ${r.source}\nseq ${formatDecimal(r.seq)}\ndeadline ${formatDecimal(r.deadline)}\n`;
  parseReceipt(text);
  return text;
}

/**
 * Signs a receipt with the log's receipt key; returns the signed note. Throws {@link ReceiptError}
 * `wrong-key` unless the signer is named {@link receiptKeyName}(origin): the checkpoint key
 * (named the origin) can never sign a receipt through this function.
 */
export function signReceipt(r: Receipt, signer: Signer): string {
  const text = formatReceipt(r);
  if (signer.name !== receiptKeyName(r.origin)) {
    throw new ReceiptError('wrong-key', `receipts are signed by the key "${receiptKeyName(r.origin)}", not "${signer.name}"`);
  }
  return signNote(text, [signer]);
}

/** A receipt whose signature verified. */
export interface OpenedReceipt {
  readonly receipt: Receipt;
  /** The signed note, exactly as given: the evidence to show a third party. */
  readonly note: string;
}

/**
 * Verifies a signed receipt with the log's receipt key and parses it. Throws only
 * {@link ReceiptError}: `wrong-key` (the verifier is not named `<origin>/receipt` for the
 * receipt's origin: for instance the log's checkpoint key), `bad-note` (not a signed note),
 * `bad-signature` (no valid signature by this key), or a {@link parseReceipt} code.
 */
export function openReceipt(note: Uint8Array | string, verifier: Verifier): OpenedReceipt {
  if (typeof verifier !== 'object' || verifier === null || typeof verifier.name !== 'string') throw new ReceiptError('bad-input', 'a verifier is required');
  if (!verifier.name.endsWith(RECEIPT_KEY_SUFFIX)) {
    throw new ReceiptError('wrong-key', `"${verifier.name}" is not a receipt key (a receipt key is named <origin>${RECEIPT_KEY_SUFFIX})`);
  }
  let text: string;
  let noteText: string;
  try {
    const opened = openNote(note, [verifier]);
    text = opened.text;
    noteText = typeof note === 'string' ? note : new TextDecoder().decode(note);
  } catch (e) {
    if (e instanceof FormatError) {
      const code = e.code === 'invalid-signature' || e.code === 'no-verified-signature' ? 'bad-signature' : 'bad-note';
      throw new ReceiptError(code, `receipt note does not verify: ${e.message} (${e.code})`, { cause: e });
    }
    throw e;
  }
  const receipt = parseReceipt(text);
  if (verifier.name !== receiptKeyName(receipt.origin)) {
    throw new ReceiptError('wrong-key', `a receipt of ${receipt.origin} is signed by "${receiptKeyName(receipt.origin)}", not "${verifier.name}"`);
  }
  return Object.freeze({ receipt, note: noteText });
}
