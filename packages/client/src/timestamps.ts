/**
 * Clock rules for cosignature/v1 timestamps (c2sp.org/tlog-cosignature v1.0.1, docs/protocols.md §4.1
 * and §11: "verifiers MAY reject timestamps in the future"; the spec leaves the skew to us).
 *
 * Our rules, applied to every cosignature from a policy witness that verified:
 * 1. **Milliseconds.** A timestamp ≥ {@link MILLISECOND_TIMESTAMP_THRESHOLD} = 10^11 is rejected
 *    as `cosignature-in-milliseconds`. 10^11 seconds is the year 5138; 10^11 milliseconds is
 *    March 1973, so every millisecond clock reading of this era is above it, and no honest
 *    seconds reading will reach it. This check runs first and does not depend on `now`.
 * 2. **Future.** A timestamp more than `maxFutureSkew` seconds (default
 *    {@link DEFAULT_MAX_FUTURE_SKEW_SECONDS} = 300) after `now` is rejected as
 *    `cosignature-in-future`.
 * A timestamp above 2^63−1 never gets here: the formats layer refuses the line.
 */
import { VerifyError } from './errors.js';

/** A cosignature timestamp at or above this (10^11) is taken to be in milliseconds. */
export const MILLISECOND_TIMESTAMP_THRESHOLD = 100_000_000_000n;
/** Default tolerance for witness clocks ahead of ours, in seconds. */
export const DEFAULT_MAX_FUTURE_SKEW_SECONDS = 300;

/** `now` as whole POSIX seconds (a number is floored); `bad-input` unless finite and ≥ 0. */
export function toSeconds(now: number | bigint, what = 'now'): bigint {
  if (typeof now === 'bigint' && now >= 0n) return now;
  if (typeof now === 'number' && Number.isFinite(now) && now >= 0) return BigInt(Math.floor(now));
  throw new VerifyError('bad-input', `${what} must be non-negative POSIX seconds (number or bigint)`);
}

/** Checks one witness timestamp; throws {@link VerifyError} with the witness and note as evidence. */
export function checkCosignatureTimestamp(
  witness: string,
  timestamp: bigint,
  now: bigint,
  maxFutureSkew: bigint,
  note: string,
): void {
  if (timestamp >= MILLISECOND_TIMESTAMP_THRESHOLD) {
    throw new VerifyError(
      'cosignature-in-milliseconds',
      `witness ${witness} cosigned at ${timestamp}, which is milliseconds, not POSIX seconds (≥ ${MILLISECOND_TIMESTAMP_THRESHOLD})`,
      { witness, timestamp, note },
    );
  }
  if (timestamp > now + maxFutureSkew) {
    throw new VerifyError(
      'cosignature-in-future',
      `witness ${witness} cosigned at ${timestamp}, ${timestamp - now} s after now (${now}); at most ${maxFutureSkew} s of skew is allowed`,
      { witness, timestamp, note },
    );
  }
}
