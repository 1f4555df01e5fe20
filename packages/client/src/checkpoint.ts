/**
 * Verifying a cosigned checkpoint under a trust policy (docs/protocols.md §3, §4, §10, §11).
 *
 * Steps, each with its own error code (see errors.ts):
 * 1. the note and its checkpoint body parse strictly (`malformed`);
 * 2. the origin is the one asked for, if any (`origin-mismatch`);
 * 3. the policy lists a log key named after the origin (`unknown-log`);
 * 4. that key's signature is present and valid (`bad-log-signature`); every line from a policy
 *    witness key verifies (`bad-cosignature`: for instance a valid cosignature line copied from
 *    another checkpoint, which signs different bytes); lines of unknown keys are ignored;
 * 5. every verified witness timestamp passes the clock rules of timestamps.ts
 *    (`cosignature-in-milliseconds`, `cosignature-in-future`);
 * 6. the verified witnesses meet the policy quorum (`quorum-not-met`, naming the witnesses that
 *    are missing).
 *
 * The result is frozen and remembered (a WeakSet), so a {@link CheckpointTracker} can insist on
 * checkpoints that really went through this function.
 */
import {
  FormatError,
  InvalidSignatureError,
  NoteError,
  PolicyError,
  UnverifiedNoteError,
  formatKeyId,
  parseCheckpointNote,
  utf8DecodeStrict,
  verifyCheckpointUnderPolicy,
  type Checkpoint,
  type Policy,
  type PolicyVerification,
} from '@cairn/formats';
import { VerifyError } from './errors.js';
import { policyVerifiers } from './policy.js';
import { checkCosignatureTimestamp, DEFAULT_MAX_FUTURE_SKEW_SECONDS, toSeconds } from './timestamps.js';

/** Options of {@link verifyCheckpoint}. */
export interface VerifyCheckpointOptions {
  /** The verifier's clock, POSIX seconds (injected: verification never reads a clock). */
  readonly now: number | bigint;
  /** Seconds a witness timestamp may be ahead of `now`; default 300. */
  readonly maxFutureSkew?: number | bigint;
  /** When set, the checkpoint must be for this origin. */
  readonly origin?: string;
}

/** A policy witness whose cosignature verified. */
export interface WitnessCosignature {
  /** The witness's policy name. */
  readonly name: string;
  /** Its key, `name+keyid`. */
  readonly key: string;
  /** cosignature/v1 timestamp, POSIX seconds. */
  readonly timestamp: bigint;
}

/** A checkpoint that verified under a policy. */
export interface VerifiedCheckpoint {
  /** The whole note (signed text and signature lines), exactly as received. */
  readonly note: string;
  /** The signed text (the checkpoint body). */
  readonly text: string;
  readonly checkpoint: Checkpoint;
  readonly origin: string;
  readonly size: bigint;
  readonly rootHash: Uint8Array;
  /** Log keys whose signature verified, `name+keyid`. */
  readonly logKeys: readonly string[];
  /** Policy witnesses whose cosignature verified, in note order. */
  readonly witnesses: readonly WitnessCosignature[];
}

const verifiedResults = new WeakSet<VerifiedCheckpoint>();

/** Whether `v` was returned by {@link verifyCheckpoint} (not merely shaped like it). */
export function isVerifiedCheckpoint(v: unknown): v is VerifiedCheckpoint {
  return typeof v === 'object' && v !== null && verifiedResults.has(v as VerifiedCheckpoint);
}

function noteString(note: Uint8Array | string): string {
  if (typeof note === 'string') return note;
  if (!(note instanceof Uint8Array)) throw new VerifyError('bad-input', 'the note must be a string or a Uint8Array');
  try {
    return utf8DecodeStrict(note);
  } catch (cause) {
    throw new VerifyError('malformed', 'the checkpoint note is not valid UTF-8', {}, { cause });
  }
}

const keyOf = (name: string, id: number): string => `${name}+${formatKeyId(id)}`;

/** Verifies a signed, cosigned checkpoint under `policy`. Throws only {@link VerifyError}. */
export function verifyCheckpoint(note: Uint8Array | string, policy: Policy, opts: VerifyCheckpointOptions): VerifiedCheckpoint {
  if (typeof opts !== 'object' || opts === null) throw new VerifyError('bad-input', 'options with `now` (POSIX seconds) are required');
  const now = toSeconds(opts.now);
  const skew = toSeconds(opts.maxFutureSkew ?? DEFAULT_MAX_FUTURE_SKEW_SECONDS, 'maxFutureSkew');
  const verifiers = policyVerifiers(policy);
  const text = noteString(note);

  let parsed: Checkpoint;
  try {
    parsed = parseCheckpointNote(text).checkpoint;
  } catch (e) {
    if (e instanceof FormatError) throw new VerifyError('malformed', `not a signed checkpoint: ${e.message} (${e.code})`, { note: text }, { cause: e });
    throw e;
  }
  const origin = parsed.origin;
  if (opts.origin !== undefined && origin !== opts.origin) {
    throw new VerifyError('origin-mismatch', `checkpoint is for origin "${origin}", not "${opts.origin}"`, { note: text, origin });
  }
  const logKeys = verifiers.logs.filter((v) => v.name === origin);
  if (logKeys.length === 0) {
    throw new VerifyError('unknown-log', `the policy lists no log key for origin "${origin}"`, { note: text, origin });
  }

  let result: PolicyVerification;
  try {
    result = verifyCheckpointUnderPolicy(text, policy, { verifiers });
  } catch (e) {
    throw mapOpenError(e, text, origin, verifiers);
  }

  for (const c of result.cosignatures) checkCosignatureTimestamp(c.name, c.timestamp, now, skew, text);

  const verified = result.cosignatures.map((c) => c.name);
  if (!result.quorum.satisfied) {
    const missing = result.quorum.missing;
    throw new VerifyError(
      'quorum-not-met',
      `witness quorum "${policy.quorum}" not met: ${verified.length === 0 ? 'no policy witness' : verified.join(', ')} cosigned; missing ${missing.join(', ')}`,
      { note: text, origin, missing, verified },
    );
  }

  const out: VerifiedCheckpoint = Object.freeze({
    note: text,
    text: result.text,
    checkpoint: result.checkpoint,
    origin,
    size: result.checkpoint.size,
    rootHash: result.checkpoint.rootHash,
    logKeys: Object.freeze(result.logSignatures.map((s) => keyOf(s.name, s.keyId))),
    witnesses: Object.freeze(result.cosignatures.map((c) => Object.freeze({ name: c.name, key: keyOf(c.signature.name, c.signature.keyId), timestamp: c.timestamp }))),
  });
  verifiedResults.add(out);
  return out;
}

function mapOpenError(e: unknown, note: string, origin: string, verifiers: ReturnType<typeof policyVerifiers>): unknown {
  if (e instanceof InvalidSignatureError) {
    const key = keyOf(e.keyName, e.keyId);
    if (verifiers.logs.some((v) => v.name === e.keyName && v.keyId === e.keyId)) {
      return new VerifyError('bad-log-signature', `the log signature of ${key} does not verify`, { note, origin, key }, { cause: e });
    }
    const w = verifiers.witnesses.find((x) => x.verifier.name === e.keyName && x.verifier.keyId === e.keyId);
    const witness = w?.name ?? e.keyName;
    return new VerifyError(
      'bad-cosignature',
      `the cosignature of witness ${witness} (${key}) does not verify over this checkpoint (copied from another one, or tampered)`,
      { note, origin, key, witness },
      { cause: e },
    );
  }
  if (e instanceof UnverifiedNoteError || (e instanceof PolicyError && e.code === 'no-log-signature')) {
    const keys = verifiers.logs.filter((v) => v.name === origin).map((v) => keyOf(v.name, v.keyId));
    return new VerifyError('bad-log-signature', `no valid signature from the policy's log key ${keys.join(' or ')}`, { note, origin }, { cause: e });
  }
  if (e instanceof NoteError && e.code === 'ambiguous-verifier') {
    return new VerifyError('bad-policy', `the policy has two keys with one name and key ID: ${e.message}`, { note }, { cause: e });
  }
  if (e instanceof FormatError) return new VerifyError('malformed', `${e.message} (${e.code})`, { note }, { cause: e });
  return e;
}
