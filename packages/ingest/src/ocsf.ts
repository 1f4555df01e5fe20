/**
 * What every mapper of this package writes the same way: the OCSF schema version, the base
 * attributes derived from the class and activity, and the final check through @cairn/events.
 *
 * Every event this package produces goes through `validateEvent` before it leaves, so a mapping
 * mistake is an error here, never a bad event in the log. An event that comes out larger than the
 * events layer accepts is refused with the event layer's error as cause; each mapper decides first
 * what to shed (and says so in `metadata.is_truncated`).
 */
import { EventError, validateEvent, type JsonObject, type JsonValue, type ValidatedEvent } from '@cairn/events';
import { IngestError, type IngestFormat } from './errors.js';

/** The OCSF schema version this package writes in `metadata.version`. */
export const OCSF_VERSION = '1.3.0';

/** OCSF class uids this package produces. */
export const CLASS = Object.freeze({
  PROCESS_ACTIVITY: 1007,
  EVENT_LOG_ACTIVITY: 1008,
  ACCOUNT_CHANGE: 3001,
  AUTHENTICATION: 3002,
  API_ACTIVITY: 6003,
});

/** OCSF `status_id`. */
export const STATUS = Object.freeze({ UNKNOWN: 0, SUCCESS: 1, FAILURE: 2, OTHER: 99 });
/** OCSF `severity_id`. */
export const SEVERITY = Object.freeze({ UNKNOWN: 0, INFORMATIONAL: 1, LOW: 2, MEDIUM: 3, HIGH: 4, CRITICAL: 5, FATAL: 6, OTHER: 99 });

/** The base attributes of an event of `classUid` / `activityId` (category and type derived). */
export function baseAttributes(classUid: number, activityId: number): JsonObject {
  return {
    class_uid: classUid,
    category_uid: Math.floor(classUid / 1000),
    activity_id: activityId,
    type_uid: classUid * 100 + activityId,
  };
}

/** Error codes of @cairn/events that mean "too big" rather than "wrong": a mapper may shed and retry. */
const SIZE_CODES = new Set(['too-large', 'too-deep', 'string-too-long', 'array-too-long', 'too-many-keys', 'key-too-long']);

/** True when `e` is an events-layer error about size, which shedding bulky parts can cure. */
export function isSizeError(e: unknown): boolean {
  return e instanceof EventError && SIZE_CODES.has(e.code);
}

/**
 * Validates a mapped event; tries each fallback in turn while the failure is about size.
 * Anything else (and the last size failure) becomes an {@link IngestError} `event-invalid` at `at`.
 */
export function finishEvent(format: IngestFormat, at: string, event: JsonObject, ...fallbacks: (() => JsonObject)[]): ValidatedEvent {
  let candidate: JsonObject = event;
  for (let i = 0; ; i++) {
    try {
      return validateEvent(candidate);
    } catch (e) {
      if (isSizeError(e) && i < fallbacks.length) {
        candidate = fallbacks[i]!();
        continue;
      }
      const inner = e instanceof EventError ? `${e.code} at ${e.path}` : 'not valid';
      throw new IngestError(format, e instanceof EventError && isSizeError(e) ? 'event-too-large' : 'event-invalid', at, `the mapped OCSF event is refused (${inner})`, { cause: e });
    }
  }
}

/** Removes `undefined` members so that an object literal with optional parts is plain JSON. */
export function compact<T extends Record<string, JsonValue | undefined>>(o: T): JsonObject {
  const out: JsonObject = {};
  // for…in over an object literal: no entry arrays allocated (this runs per event, several times).
  for (const k in o) {
    const v = o[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}
