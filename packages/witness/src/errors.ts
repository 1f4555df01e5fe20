/**
 * The one error type of the witness core. Every refusal of `Witness.addCheckpoint` is a
 * {@link WitnessError} with a string `code`; what each code means on the wire (HTTP status,
 * tRPC code) is decided in exactly one table, in `@cairn/api` (`http/witness.ts`).
 *
 * | code | meaning (docs/protocols.md §5.3 check) | tlog-witness status |
 * |---|---|---|
 * | `bad-request` | malformed body, note or checkpoint; extension lines (check 0) | 400 |
 * | `too-large` | body above 128 KiB | 413 |
 * | `unknown-log` | origin not configured (1) | 404 |
 * | `invalid-signature` | a trusted key's line fails to verify (2) | 403 |
 * | `unverified` | no trusted signature at all (2) | 403 |
 * | `rate-limited` | the origin's qpd budget is spent (local policy) | 429 |
 * | `syncing` | at start-up, still asking peer witnesses what they know (`evidence.retryAfterSeconds`) | 503 |
 * | `blocked` | this witness holds proven evidence that the log misbehaved (`evidence.evidenceId`) | 403 |
 * | `old-size-too-large` | old size > checkpoint size (3) | 400 |
 * | `bad-empty-root` | size 0 with a root other than SHA-256("") (4) | 422 |
 * | `conflict` | old size ≠ the stored size (5), or any checkpoint but a larger log-signed one learned from a peer (the floor); `evidence.knownSize` | 409 |
 * | `unexpected-proof` | old size 0 with a non-empty proof (6) | 422 |
 * | `inconsistent` | the consistency proof fails (7) | 422 |
 * | `fork` | same size, different root (8) | 422 |
 * | `not-found` | the monitoring GET for a log never cosigned | 404 |
 * | `storage` | the store failed; nothing was cosigned | 500 |
 * | `config` | invalid configuration or key | 500 |
 *
 * Evidence (STYLE habit 7) is kept in `evidence`: the known size for a conflict, both
 * checkpoints and the proof for a refused consistency check.
 */

/** Every code a {@link WitnessError} may carry. */
export const WITNESS_ERROR_CODES = [
  'bad-request',
  'too-large',
  'unknown-log',
  'invalid-signature',
  'unverified',
  'rate-limited',
  'syncing',
  'blocked',
  'old-size-too-large',
  'bad-empty-root',
  'conflict',
  'unexpected-proof',
  'inconsistent',
  'fork',
  'not-found',
  'storage',
  'config',
] as const;

/** A witness error code. */
export type WitnessErrorCode = (typeof WITNESS_ERROR_CODES)[number];

/** What a refused request carries as evidence (fields depend on the code). */
export interface WitnessEvidence {
  readonly origin?: string;
  /** For `conflict`: the latest size this witness cosigned (the 409 body). */
  readonly knownSize?: bigint;
  readonly oldSize?: bigint;
  /** For the consistency checks: the stored cosigned note and the offered signed note. */
  readonly storedNote?: string;
  readonly offeredNote?: string;
  readonly proof?: readonly Uint8Array[];
  /** For `rate-limited` and `syncing`: whole seconds until a request will be accepted. */
  readonly retryAfterSeconds?: number;
  /** For `blocked`: the id of the evidence that stopped this witness cosigning the origin. */
  readonly evidenceId?: string;
}

/** Options of {@link WitnessError}. */
export interface WitnessErrorOptions {
  readonly cause?: unknown;
  readonly evidence?: WitnessEvidence;
}

/** A refusal or failure of the witness core. */
export class WitnessError extends Error {
  readonly code: WitnessErrorCode;
  readonly evidence: WitnessEvidence;

  constructor(code: WitnessErrorCode, message: string, options?: WitnessErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WitnessError';
    this.code = code;
    this.evidence = options?.evidence ?? {};
  }
}

/** Whether `e` is a {@link WitnessError} (also across module copies). */
export function isWitnessError(e: unknown): e is WitnessError {
  if (e instanceof WitnessError) return true;
  if (!(e instanceof Error) || e.name !== 'WitnessError') return false;
  const code: unknown = (e as unknown as { code?: unknown }).code;
  return typeof code === 'string' && (WITNESS_ERROR_CODES as readonly string[]).includes(code);
}
