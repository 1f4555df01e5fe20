/**
 * Size limits of an event. An event is stored beside the log (the public leaf is a small record
 * that commits to it), so its cap is not the tlog-tiles entry limit of 65,535 bytes; it is kept
 * at the same order so that an event proof stays small, one event never dominates a batch, and a
 * source cannot ship a file through the audit log.
 */
import type { JsonLimits } from './json.js';

/** Largest event accepted, bytes, both as received and as canonical bytes (64 KiB). */
export const MAX_EVENT_SIZE = 64 * 1024;
/** Deepest nesting of an event: `$` is depth 1, `$.actor.user.groups[0].name` is depth 5. */
export const MAX_EVENT_DEPTH = 16;
/** Longest string value, UTF-16 code units (`raw_data` included). */
export const MAX_STRING_LENGTH = 16 * 1024;
/** Longest object key, UTF-16 code units. */
export const MAX_KEY_LENGTH = 256;
/** Most elements in one array. */
export const MAX_ARRAY_LENGTH = 1024;
/** Most keys in one object. */
export const MAX_OBJECT_KEYS = 1024;
/** Earliest `time` accepted: 1973-03-03 in milliseconds; anything smaller is seconds sent by mistake. */
export const MIN_EVENT_TIME_MS = 100_000_000_000;
/** Latest `time` accepted: 9999-12-31T23:59:59.999Z in milliseconds. */
export const MAX_EVENT_TIME_MS = 253_402_300_799_999;

/** The limits {@link parseEvent} parses with. */
export const EVENT_JSON_LIMITS: JsonLimits = Object.freeze({
  maxBytes: MAX_EVENT_SIZE,
  maxDepth: MAX_EVENT_DEPTH,
  maxStringLength: MAX_STRING_LENGTH,
  maxKeyLength: MAX_KEY_LENGTH,
  maxArrayLength: MAX_ARRAY_LENGTH,
  maxKeys: MAX_OBJECT_KEYS,
});
