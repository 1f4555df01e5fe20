/**
 * The one error module of @cairn/client (STYLE: one error module with string codes).
 *
 * - {@link VerifyError}: something the log (or a witness) told us did not verify. Its `code` names
 *   the cause and its `evidence` keeps what an auditor needs to show it to a third party: the
 *   checkpoint note(s) exactly as received, the proof, the index, the missing witnesses.
 * - {@link FetchError}: the network did not deliver (timeout, refused connection, HTTP status,
 *   a response that is not the expected shape). Nothing about the log's honesty follows from it.
 *
 * Each code maps to one process exit code in {@link EXIT_CODES}, the single table the CLI
 * (`cairn verify`) uses and prints in its help. 0 means everything verified; 1 and 2 are the
 * CLI's generic failure and usage codes; 3 is any fetch failure; 10–27 are verification causes;
 * 31–36 the links of an event proof that have no cause of their own ({@link EVENT_PROOF_EXIT_CODES});
 * 30 and 37 are the monitor's stall and sequence alarms.
 *
 * A log that serves malformed or inconsistent data (a tile of the wrong size, an entry bundle
 * that does not parse, tiles or entries that disagree with its signed root, an entry its own
 * proof does not prove) or answers that its own storage failed an integrity check
 * (`Cairn-Error-Code: integrity` / tRPC `cairnCode: "integrity"`) has misbehaved: that is the
 * VerifyError `bad-log-data` (the integrity exit code), never a fetch failure.
 */
import { encodeBase64 } from '@cairn/formats';

/** Why verification failed. */
export type VerifyErrorCode =
  | 'bad-input' // the caller passed something unusable (no leaf to check, a non-bigint index, …)
  | 'malformed' // the checkpoint note or its body is not valid signed-note / tlog-checkpoint syntax
  | 'bad-bundle' // the tlog-proof bundle does not parse
  | 'bad-policy' // the tlog-policy text (or a hand-built Policy) is invalid; `evidence.line` names the line
  | 'unknown-log' // the policy lists no log key for the checkpoint's origin
  | 'bad-log-signature' // no valid signature from the policy's log key(s) for that origin
  | 'origin-mismatch' // the checkpoint is for another origin than the one asked for
  | 'bad-cosignature' // a policy witness's line does not verify (e.g. copied from another checkpoint)
  | 'quorum-not-met' // too few policy witnesses cosigned; `evidence.missing` names them
  | 'cosignature-in-future' // a witness timestamp is more than maxFutureSkew ahead of `now`
  | 'cosignature-in-milliseconds' // a witness timestamp ≥ 10^11: milliseconds, not seconds
  | 'inclusion-failed' // the inclusion proof does not lead from the leaf to the checkpoint root
  | 'consistency-failed' // the consistency proof between two checkpoints is missing or wrong
  | 'stale-checkpoint' // older (smaller) than a checkpoint already verified for that origin
  | 'rollback' // a witness cosigned an older tree after a newer one (its view went backwards)
  | 'equivocation' // two log-signed checkpoints of one size with different roots (a fork)
  | 'entry-mismatch' // the entry is not the one the bundle / the caller says (index or bytes)
  | 'bad-log-data'; // the log served malformed or inconsistent data, or reported its storage corrupt; `evidence.tile` names the tile

/** Why a fetch failed. */
export type FetchErrorCode =
  | 'aborted' // the caller's AbortSignal fired
  | 'timeout' // every attempt timed out
  | 'network' // connection refused/reset, DNS, …
  | 'not-found' // 404: the resource does not exist (yet)
  | 'http-status' // another non-2xx status (after retries for 5xx/429)
  | 'too-large' // the response exceeded its size cap
  | 'bad-response' // the body is not the expected shape
  | 'bad-input'; // the caller passed an unusable URL or argument

/** Evidence kept by a {@link VerifyError}; only the fields that apply are set. */
export interface VerifyEvidence {
  /** The checkpoint note concerned, exactly as received. */
  readonly note?: string;
  /** The checkpoint already verified that the new one conflicts with (tracker). */
  readonly knownNote?: string;
  /** The inclusion or consistency proof that failed. */
  readonly proof?: readonly Uint8Array[];
  readonly index?: bigint;
  readonly size?: bigint;
  readonly knownSize?: bigint;
  readonly origin?: string;
  /** Witnesses (policy names) whose cosignature would help meet the quorum. */
  readonly missing?: readonly string[];
  /** Witnesses (policy names) whose cosignature verified. */
  readonly verified?: readonly string[];
  /** The witness (policy name) and timestamp concerned. */
  readonly witness?: string;
  readonly timestamp?: bigint;
  readonly knownTimestamp?: bigint;
  /** The key (`name+keyid`) whose signature failed. */
  readonly key?: string;
  /** The leaf hash that was checked. */
  readonly leafHash?: Uint8Array;
  /** 1-based policy line at fault. */
  readonly line?: number;
  /** The tile or entry bundle path concerned (`tile/0/001`, `tile/entries/000`). */
  readonly tile?: string;
  /** What is wrong with the log's data, in words (e.g. the parse error). */
  readonly problem?: string;
  /** The URL that served it. */
  readonly url?: string;
}

/** Base class of every error thrown by @cairn/client. */
export class ClientError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ClientError';
    this.code = code;
  }
}

/** Verification failed; see {@link VerifyErrorCode}. */
export class VerifyError extends ClientError {
  declare readonly code: VerifyErrorCode;
  readonly evidence: VerifyEvidence;
  constructor(code: VerifyErrorCode, message: string, evidence: VerifyEvidence = {}, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'VerifyError';
    this.evidence = evidence;
  }

  /** A JSON-safe form: bigints as decimal strings, bytes as base64. */
  toJSON(): { code: VerifyErrorCode; message: string; exitCode: number; evidence: Record<string, unknown> } {
    return { code: this.code, message: this.message, exitCode: EXIT_CODES[this.code], evidence: jsonSafe(this.evidence) as Record<string, unknown> };
  }
}

/** A fetch failed; `status` is the HTTP status when there was one, `url` what was asked. */
export class FetchError extends ClientError {
  declare readonly code: FetchErrorCode;
  readonly url: string;
  readonly status: number | undefined;
  /** Attempts made (1 + retries used). */
  readonly attempts: number;
  /** The start of the response body of a refused request (for callers that read error documents). */
  readonly body: Uint8Array | undefined;
  /** The server's own error code for a refused request (`Cairn-Error-Code` header or tRPC `cairnCode`). */
  readonly serverCode: string | undefined;
  constructor(code: FetchErrorCode, message: string, info: { url: string; status?: number; attempts?: number; body?: Uint8Array; serverCode?: string; cause?: unknown }) {
    super(code, message, info.cause === undefined ? undefined : { cause: info.cause });
    this.name = 'FetchError';
    this.url = info.url;
    this.status = info.status;
    this.attempts = info.attempts ?? 1;
    this.body = info.body;
    this.serverCode = info.serverCode;
  }

  toJSON(): { code: FetchErrorCode; message: string; exitCode: number; url: string; status: number | null } {
    return { code: this.code, message: this.message, exitCode: EXIT_FETCH_FAILED, url: this.url, status: this.status ?? null };
  }
}

/** Process exit status when everything verified. */
export const EXIT_VERIFIED = 0;
/** Any fetch failure (network, timeout, HTTP status, bad response). */
export const EXIT_FETCH_FAILED = 3;

/**
 * THE table: verification cause → process exit code (distinct per code). 0 = verified; the CLI
 * also uses 1 (unexpected failure), 2 (usage) and 3 ({@link EXIT_FETCH_FAILED}).
 */
export const EXIT_CODES: Readonly<Record<VerifyErrorCode, number>> = {
  'bad-input': 10,
  malformed: 11,
  'bad-bundle': 12,
  'bad-policy': 13,
  'unknown-log': 14,
  'bad-log-signature': 15,
  'origin-mismatch': 16,
  'bad-cosignature': 17,
  'quorum-not-met': 18,
  'cosignature-in-future': 19,
  'cosignature-in-milliseconds': 20,
  'inclusion-failed': 21,
  'consistency-failed': 22,
  'stale-checkpoint': 23,
  rollback: 24,
  equivocation: 25,
  'entry-mismatch': 26,
  'bad-log-data': 27,
};

/**
 * Exit codes of the links of an event proof (`verifyEventProof` of @cairn/events, whose
 * `EventProofError` codes are the keys) that have no {@link VerifyErrorCode} of their own; the
 * other links take the code of the same cause above: `bundle-malformed` → `bad-bundle`,
 * `policy-not-met` → `quorum-not-met`, `inclusion-failed` → `inclusion-failed`, and
 * `checkpoint-invalid` → the code of the VerifyError that refused the checkpoint.
 */
export const EVENT_PROOF_EXIT_CODES: Readonly<Record<string, number>> = {
  malformed: 31,
  'too-large': 31,
  'event-invalid': 32,
  'event-not-canonical': 33,
  'leaf-malformed': 34,
  'commitment-mismatch': 35,
  'leaf-mismatch': 36,
  'bundle-malformed': EXIT_CODES['bad-bundle'],
  'policy-not-met': EXIT_CODES['quorum-not-met'],
  'inclusion-failed': EXIT_CODES['inclusion-failed'],
  'checkpoint-invalid': EXIT_CODES.malformed,
  'bad-input': EXIT_CODES['bad-input'],
};

/** The server code a Cairn log answers for an index or size beyond the tree it serves. */
export const SERVER_CODE_BEYOND_TREE = 'beyond-tree';

/** The server code a Cairn log answers when its own stored data failed an integrity check. */
export const SERVER_CODE_INTEGRITY = 'integrity';

/**
 * A fetch failure that is the log misbehaving: it answered that its stored data failed its own
 * integrity check. Returns the {@link VerifyError} `bad-log-data` for it (naming `tile` when
 * known), or undefined for any other failure (which says nothing about the log's honesty).
 */
export function logDataErrorOf(e: unknown, tile?: string): VerifyError | undefined {
  if (!(e instanceof FetchError) || e.serverCode !== SERVER_CODE_INTEGRITY) return undefined;
  return new VerifyError('bad-log-data', `the log's data is wrong: it reports that its stored data failed an integrity check (${e.message})`, {
    ...(tile !== undefined ? { tile } : {}),
    problem: e.message,
    url: e.url,
  }, { cause: e });
}

/** The exit code for an error: from {@link EXIT_CODES}, 3 for a FetchError, undefined otherwise. */
export function exitCodeOf(e: unknown): number | undefined {
  if (e instanceof VerifyError) return EXIT_CODES[e.code];
  if (e instanceof FetchError) return EXIT_FETCH_FAILED;
  return undefined;
}

export function isVerifyError(e: unknown, code?: VerifyErrorCode): e is VerifyError {
  return e instanceof VerifyError && (code === undefined || e.code === code);
}

/** Converts evidence to JSON-safe values (bigint → decimal string, bytes → base64). */
export function jsonSafe(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return encodeBase64(v);
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = jsonSafe(x);
    return out;
  }
  return v;
}
