/**
 * A witness's monitoring endpoint (c2sp.org/tlog-witness main, docs/protocols.md §5.6):
 *
 * ```
 * GET <monitoring prefix>/<lowercase hex SHA-256(origin)>/checkpoint
 * ```
 *
 * e.g. origin `rome2026h1.example.org` →
 * `<prefix>/000de184301123b9278c086a7d9f68c9577e83872224c197058fd90784ea9706/checkpoint`. The answer
 * is the latest checkpoint the witness cosigned, with the log signature(s) it verified and its own
 * cosignature(s); 404 (`not-found`) if it never cosigned that log. It MAY lag (up to an hour), so
 * a client tracks it with a CheckpointTracker rather than trusting it to be the newest.
 */
import { FormatError, MAX_NOTE_SIZE, originHash, utf8DecodeStrict } from '@cairn/formats';
import { FetchError } from './errors.js';
import { httpConfig, httpGet, joinUrl, type CallOptions, type FetchOptions } from './http.js';

/** The URL of a witness's latest cosigned checkpoint for `origin`. */
export function witnessCheckpointUrl(witnessUrl: string, origin: string): string {
  let hash: string;
  try {
    hash = originHash(origin);
  } catch (e) {
    if (e instanceof FormatError) throw new FetchError('bad-input', `bad origin: ${e.message}`, { url: witnessUrl, cause: e });
    throw e;
  }
  return joinUrl(witnessUrl, `${hash}/checkpoint`);
}

/** Fetches the witness's latest cosigned checkpoint note for `origin` (unverified). */
export async function fetchWitnessCheckpoint(
  witnessUrl: string,
  origin: string,
  options: FetchOptions & CallOptions = {},
): Promise<string> {
  const url = witnessCheckpointUrl(witnessUrl, origin);
  const { body } = await httpGet(httpConfig(options), { url, maxBytes: MAX_NOTE_SIZE, accept: 'text/plain' });
  try {
    return utf8DecodeStrict(body);
  } catch (e) {
    throw new FetchError('bad-response', 'witness checkpoint is not UTF-8', { url, cause: e });
  }
}
