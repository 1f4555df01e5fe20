/**
 * The stateless half of add-checkpoint (docs/protocols.md §5.3 checks 0–2, in Sunlight's order):
 * parse the body, parse the note and the checkpoint, find the origin, verify the log signature.
 *
 * 0. malformed body, note or checkpoint, or extension lines → `bad-request` (400; our policy,
 *    as Sunlight's: extension lines are refused, never cosigned);
 * 1. origin not configured → `unknown-log` (404);
 * 2. a line of a trusted (name, key ID) that fails → `invalid-signature` (403); no trusted line
 *    at all → `unverified` (403). Lines of unknown keys are ignored — including a forged line
 *    under the witness's own name and key ID.
 *
 * A trusted key's line whose base64 is not canonical (non-zero trailing bits, which Go's decoder
 * accepts) parses as a note but never verifies: `openNote` reports it as `invalid-signature`,
 * hence 403 as in Sunlight (tlog_witness.json step 2).
 */
import {
  InvalidSignatureError,
  NoteError,
  UnverifiedNoteError,
  WitnessRequestError,
  openNote,
  parseAddCheckpointRequest,
  parseCheckpoint,
  parseNote,
  type AddCheckpointRequest,
  type Checkpoint,
  type OpenedNote,
  type ParsedNote,
} from '@cairn/formats';
import type { TrustedLog } from './config.js';
import { WitnessError } from './errors.js';

/** A request that passed checks 0–2. */
export interface VerifiedRequest {
  readonly request: AddCheckpointRequest;
  readonly checkpoint: Checkpoint;
  readonly opened: OpenedNote;
  readonly log: TrustedLog;
  /** The offered note as text (evidence). */
  readonly noteText: string;
}

/** Runs checks 0–2. Throws {@link WitnessError}. */
export function verifyRequest(body: Uint8Array, logs: ReadonlyMap<string, TrustedLog>): VerifiedRequest {
  let request: AddCheckpointRequest;
  try {
    request = parseAddCheckpointRequest(body);
  } catch (cause) {
    if (!(cause instanceof WitnessRequestError)) throw cause;
    if (cause.code === 'too-large') throw new WitnessError('too-large', `invalid input: ${cause.message}`, { cause });
    throw new WitnessError('bad-request', `invalid input: ${cause.message}`, { cause });
  }
  let parsed: ParsedNote;
  try {
    parsed = parseNote(request.checkpoint);
  } catch (cause) {
    if (!(cause instanceof NoteError)) throw cause;
    throw new WitnessError('bad-request', `invalid input: ${cause.message}`, { cause });
  }
  let checkpoint: Checkpoint;
  try {
    checkpoint = parseCheckpoint(parsed.text);
  } catch (cause) {
    throw new WitnessError('bad-request', `invalid checkpoint: ${(cause as Error).message}`, { cause });
  }
  if (checkpoint.extensions.length > 0) {
    throw new WitnessError('bad-request', 'invalid checkpoint: extension lines are not accepted by this witness');
  }
  const evidence = { origin: checkpoint.origin };
  const log = logs.get(checkpoint.origin);
  if (log === undefined) throw new WitnessError('unknown-log', `unknown log: ${checkpoint.origin}`, { evidence });
  let opened: OpenedNote;
  try {
    opened = openNote(request.checkpoint, log.verifiers);
  } catch (cause) {
    if (cause instanceof InvalidSignatureError) {
      throw new WitnessError('invalid-signature', `invalid signature: ${cause.message}`, { cause, evidence });
    }
    if (cause instanceof UnverifiedNoteError) {
      throw new WitnessError('unverified', `invalid signature: no signature from a trusted key of ${checkpoint.origin}`, { cause, evidence });
    }
    throw new WitnessError('bad-request', `invalid input: ${(cause as Error).message}`, { cause, evidence });
  }
  return { request, checkpoint, opened, log, noteText: opened.text + '\n' + parsed.signatures.map((s) => s.line + '\n').join('') };
}
