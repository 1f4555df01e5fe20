/**
 * Alarms of the log monitor (`cairn monitor`): what they are, the one JSON line each prints on standard error,
 * the evidence file kept for forks and rollbacks, and delivery to a webhook.
 *
 * ```json
 * {"alarm":"fork","origin":"demo.cairn.local/audit","url":"http://127.0.0.1:8080","time":"2026-01-01T00:00:00.000Z",
 *  "code":"equivocation","exitCode":25,"message":"the log signed two different trees of size 5 for …",
 *  "evidence":{"note":"…","knownNote":"…","size":"5","knownSize":"5"}}
 * ```
 *
 * Kinds: `fork` (two log-signed checkpoints of one size with different roots, or a larger one
 * that is not proven to extend the one verified before: both notes are the evidence),
 * `rollback` (a checkpoint smaller than one already verified, or a witness whose cosignature
 * timestamps went backwards), `lost-quorum` (the served checkpoint no longer meets the policy's
 * witness quorum), `invalid-checkpoint` (any other verification failure: bad log signature,
 * bad cosignature, timestamps), `bad-data` (entry bundles or hash tiles that are malformed or
 * disagree with the verified checkpoint, or that the log says failed its own integrity check:
 * VerifyError `bad-log-data`, with the tile path and the problem as evidence), `stall` (no new
 * checkpoint for longer than the stall limit), `sequence` (an event leaf in the signed tree
 * that breaks its source's contiguous numbering — code `sequence-gap` or `sequence-repeat` —,
 * that does not parse — `event-leaf-malformed` —, or whose source is one more than the monitor's
 * state can track — `too-many-sources`, once per log: later sources go unchecked; evidence: the
 * note, the entry index, the source, the seq seen and expected, and the index of the source's
 * previous leaf, or the bound; sequences.ts).
 * An alarm that {@link postAlarm} could not deliver is raised again by the engine at its next
 * pass while its cause stands (engine.ts).
 * The exit code of an alarm is `EXIT_CODES[code]` of @cairn/client, {@link EXIT_STALLED} or
 * {@link EXIT_SEQUENCE}.
 */
import { EXIT_CODES, jsonSafe, type VerifyError } from '../errors.js';
import { describeFinding, type SequenceFinding } from './sequences.js';

export type AlarmKind = 'fork' | 'rollback' | 'lost-quorum' | 'invalid-checkpoint' | 'bad-data' | 'stall' | 'sequence';

/** Exit status of `cairn monitor` for a stall (the verification causes use EXIT_CODES). */
export const EXIT_STALLED = 30;
/**
 * Exit status of `cairn monitor` for a `sequence` alarm, whatever its code (31–36 are the links
 * of an event proof, EVENT_PROOF_EXIT_CODES of @cairn/client).
 */
export const EXIT_SEQUENCE = 37;
/** Time allowed for one webhook POST. */
export const WEBHOOK_TIMEOUT_MS = 5_000;
/** Webhook attempts per alarm (1 + retries). */
export const WEBHOOK_ATTEMPTS = 3;
/** First wait between webhook attempts; doubles. */
export const WEBHOOK_BACKOFF_MS = 500;

export interface Alarm {
  readonly alarm: AlarmKind;
  readonly origin?: string;
  readonly url: string;
  /** ISO 8601 time the alarm was raised. */
  readonly time: string;
  /** The VerifyError code, `stall`, or the sequence problem (`sequence-gap`, `sequence-repeat`, `event-leaf-malformed`, `too-many-sources`). */
  readonly code: string;
  readonly exitCode: number;
  readonly message: string;
  /** JSON-safe evidence: notes verbatim, sizes as decimal strings, hashes in base64. */
  readonly evidence: Record<string, unknown>;
}

/** The alarm kind for a VerifyError raised while following a log. */
export function alarmKindOf(e: VerifyError, stage: 'checkpoint' | 'tracker' | 'leaves'): AlarmKind {
  if (stage === 'leaves' || e.code === 'bad-log-data') return 'bad-data';
  switch (e.code) {
    case 'quorum-not-met':
      return 'lost-quorum';
    case 'equivocation':
    case 'consistency-failed':
      return 'fork';
    case 'stale-checkpoint':
    case 'rollback':
      return 'rollback';
    case 'inclusion-failed':
      return 'bad-data';
    default:
      return 'invalid-checkpoint';
  }
}

/** Builds an alarm from a VerifyError (its evidence, plus extra fields). */
export function alarmFromError(e: VerifyError, kind: AlarmKind, url: string, now: number, extra: Record<string, unknown> = {}): Alarm {
  const evidence = { ...(jsonSafe(e.evidence) as Record<string, unknown>), ...(jsonSafe(extra) as Record<string, unknown>) };
  const origin = typeof e.evidence.origin === 'string' ? e.evidence.origin : undefined;
  return {
    alarm: kind,
    ...(origin !== undefined ? { origin } : {}),
    url,
    time: new Date(now).toISOString(),
    code: e.code,
    exitCode: EXIT_CODES[e.code],
    message: e.message,
    evidence,
  };
}

/**
 * The alarm for a sequence finding in the entries of the verified checkpoint `note` (the
 * evidence: anyone can fetch entry `index` of that tree and its source's previous leaf).
 */
export function sequenceAlarm(f: SequenceFinding, origin: string, note: string, url: string, now: number): Alarm {
  const { code, ...rest } = f;
  return {
    alarm: 'sequence',
    origin,
    url,
    time: new Date(now).toISOString(),
    code,
    exitCode: EXIT_SEQUENCE,
    message: describeFinding(f),
    evidence: { note, ...(jsonSafe(rest) as Record<string, unknown>) },
  };
}

/** Options of {@link postAlarm}. */
export interface WebhookOptions {
  readonly fetch?: typeof globalThis.fetch;
  readonly timeoutMs?: number;
  readonly attempts?: number;
  readonly backoffMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * POSTs the alarm as JSON to `url`; retries network errors, timeouts, 5xx and 429 with backoff.
 * Resolves with an error message when every attempt failed (never rejects).
 */
export async function postAlarm(url: string, alarm: Alarm, o: WebhookOptions = {}): Promise<string | undefined> {
  const f = o.fetch ?? globalThis.fetch;
  const attempts = o.attempts ?? WEBHOOK_ATTEMPTS;
  let wait = o.backoffMs ?? WEBHOOK_BACKOFF_MS;
  let last = '';
  for (let n = 1; n <= attempts; n++) {
    const timer = new AbortController();
    const t = setTimeout(() => timer.abort(), o.timeoutMs ?? WEBHOOK_TIMEOUT_MS);
    try {
      const signal = o.signal === undefined ? timer.signal : AbortSignal.any([timer.signal, o.signal]);
      const res = await f(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alarm), signal });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return undefined;
      last = `HTTP ${res.status}`;
      if (res.status < 500 && res.status !== 429) return `webhook ${url} refused the alarm: ${last}`;
    } catch (e) {
      last = timer.signal.aborted ? `no answer within ${o.timeoutMs ?? WEBHOOK_TIMEOUT_MS} ms` : (e as Error).message;
      if (o.signal?.aborted) break;
    } finally {
      clearTimeout(t);
    }
    if (n < attempts) {
      await new Promise((r) => setTimeout(r, wait));
      wait *= 2;
    }
  }
  return `webhook ${url} failed after ${attempts} attempts: ${last}`;
}
