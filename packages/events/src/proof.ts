/**
 * The event proof: one file that proves, offline, that an event is in a log — the event, its
 * salt, its leaf record, and a c2sp.org/tlog-proof bundle for that leaf with its cosigned
 * checkpoint (file extension `.event-proof`).
 *
 * ```
 * cairn.dev/event-proof/v1\n                         format and version
 * salt <padded base64 of 32 bytes>\n                 the event's salt
 * leaf <padded base64 of the leaf record>\n          the leaf record (leaf.ts), the tlog entry
 * event {"activity_id":1,…,"user":{"name":"alice"}}\n   the canonical event (RFC 8785), verbatim
 * \n                                                 a blank line
 * c2sp.org/tlog-proof@v1\n                           the tlog-proof bundle, verbatim, to the end
 * index 41\n
 * …
 * ```
 *
 * The head is exactly these four lines (canonical JSON never contains a raw LF: JCS escapes
 * every control character); the split is at the first `LF LF`. Parsing checks the envelope only
 * (header, lines, strict base64, UTF-8, sizes); whether the parts hold together is
 * {@link verifyEventProof}'s job, which names the link that failed. Capped at
 * {@link MAX_EVENT_PROOF_SIZE} bytes.
 */
import { decodeBase64Strict, encodeBase64, MAX_PROOF_BUNDLE_SIZE, utf8Encode } from '@cairn/formats';
import { EventProofError } from './errors.js';
import { MAX_EVENT_SIZE } from './limits.js';
import { MAX_LEAF_SIZE, SALT_SIZE } from './leaf.js';

/** First line of an event proof (without its LF). */
export const EVENT_PROOF_HEADER = 'cairn.dev/event-proof/v1';
/** Largest event proof accepted, bytes: an event, a leaf, a salt and a tlog-proof bundle at their caps. */
export const MAX_EVENT_PROOF_SIZE = MAX_EVENT_SIZE + MAX_PROOF_BUNDLE_SIZE + 1024;

/** A parsed event proof: raw parts, none of them trusted yet. */
export interface EventProof {
  readonly salt: Uint8Array;
  /** The leaf record bytes. */
  readonly leaf: Uint8Array;
  /** The canonical event bytes (UTF-8 JSON). */
  readonly event: Uint8Array;
  /** The tlog-proof bundle bytes. */
  readonly bundle: Uint8Array;
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Parses an event proof's envelope. Throws only {@link EventProofError} `malformed` (the message
 * says what), or `too-large`.
 */
export function parseEventProof(input: Uint8Array): EventProof {
  if (!(input instanceof Uint8Array)) throw new EventProofError('malformed', 'an event proof must be bytes');
  if (input.length > MAX_EVENT_PROOF_SIZE) throw new EventProofError('too-large', `event proof of ${input.length} bytes exceeds ${MAX_EVENT_PROOF_SIZE}`);
  let sep = -1;
  for (let i = 0; i + 1 < input.length; i++) {
    if (input[i] === 0x0a && input[i + 1] === 0x0a) {
      sep = i;
      break;
    }
  }
  if (sep < 0) throw new EventProofError('malformed', 'no blank line before the tlog-proof bundle');
  let head: string;
  try {
    head = decoder.decode(input.subarray(0, sep));
  } catch (cause) {
    throw new EventProofError('malformed', 'the head is not valid UTF-8', { cause });
  }
  const lines = head.split('\n');
  if (lines[0] !== EVENT_PROOF_HEADER) throw new EventProofError('malformed', `first line must be ${EVENT_PROOF_HEADER}`);
  if (lines.length !== 4) throw new EventProofError('malformed', `the head has 4 lines (header, salt, leaf, event), not ${lines.length}`);
  const field = (i: number, key: string): string => {
    const line = lines[i]!;
    if (!line.startsWith(`${key} `)) throw new EventProofError('malformed', `line ${i + 1} must start with "${key} "`);
    return line.slice(key.length + 1);
  };
  const b64 = (s: string, what: string, size?: number): Uint8Array => {
    try {
      return decodeBase64Strict(s, size);
    } catch (cause) {
      throw new EventProofError('malformed', `${what} is not canonical padded base64${size === undefined ? '' : ` of ${size} bytes`}`, { cause });
    }
  };
  const salt = b64(field(1, 'salt'), 'salt', SALT_SIZE);
  const leaf = b64(field(2, 'leaf'), 'leaf');
  if (leaf.length === 0 || leaf.length > MAX_LEAF_SIZE) throw new EventProofError('malformed', `leaf record must be 1..${MAX_LEAF_SIZE} bytes`);
  const event = utf8Encode(field(3, 'event'));
  if (event.length === 0 || event.length > MAX_EVENT_SIZE) throw new EventProofError('malformed', `event must be 1..${MAX_EVENT_SIZE} bytes`);
  const bundle = input.slice(sep + 2);
  if (bundle.length === 0) throw new EventProofError('malformed', 'the tlog-proof bundle is missing');
  return Object.freeze({ salt, leaf, event, bundle });
}

/** Formats an event proof; validates the envelope so that {@link parseEventProof} gives it back. */
export function formatEventProof(p: EventProof): Uint8Array {
  for (const [k, v] of Object.entries({ salt: p.salt, leaf: p.leaf, event: p.event, bundle: p.bundle })) {
    if (!(v instanceof Uint8Array)) throw new EventProofError('malformed', `${k} must be bytes`);
  }
  if (p.event.includes(0x0a)) throw new EventProofError('malformed', 'the event must be one line (canonical JSON has no raw LF)');
  let eventText: string;
  try {
    eventText = decoder.decode(p.event);
  } catch (cause) {
    throw new EventProofError('malformed', 'the event is not valid UTF-8', { cause });
  }
  const head = utf8Encode(`${EVENT_PROOF_HEADER}\nsalt ${encodeBase64(p.salt)}\nleaf ${encodeBase64(p.leaf)}\nevent ${eventText}\n\n`);
  const out = new Uint8Array(head.length + p.bundle.length);
  out.set(head, 0);
  out.set(p.bundle, head.length);
  parseEventProof(out);
  return out;
}
