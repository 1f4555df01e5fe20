/**
 * Why an event was refused, in words that never quote the event: its JSON path and what is wrong
 * there, from the error's code. The messages of @cairn/events may quote a value (`"192.0.2.x" is
 * not an IPv4 or IPv6 address`, a version string, a number), and event values may be personal
 * data, so nothing of the message after the path is passed on unless it is one of the fixed,
 * schema-derived phrases below (`expected string`, `required attribute is missing`).
 *
 * `event 3: $.src_endpoint.ip: not an IPv4 or IPv6 address (bad-ip)`
 *
 * Paths name keys, which come from the schema except inside objects Cairn does not model
 * (`unmapped`, …); a path is what the contract promises to name, so it is kept.
 */
import { EventError } from '@cairn/events';

/** What each code of @cairn/events' EventError means, without the value. */
const REASONS: Readonly<Record<string, string>> = {
  'bad-input': 'not an event',
  'too-large': 'the event is too large',
  'bad-utf8': 'not valid UTF-8',
  'bad-json': 'not valid JSON',
  'too-deep': 'nested too deeply',
  'unsafe-integer': 'integer beyond ±(2^53−1): send it as a string',
  'non-canonical-number': 'number not in canonical form (RFC 8785)',
  'string-too-long': 'string too long',
  'key-too-long': 'key too long',
  'lone-surrogate': 'string contains a lone surrogate',
  'array-too-long': 'array too long',
  'too-many-keys': 'too many keys',
  'duplicate-key': 'duplicate key',
  'wrong-type': 'wrong type',
  missing: 'required attribute is missing',
  'unsupported-class': 'class_uid is not a supported OCSF class (3002, 3001, 6003, 1007, 1008, 2004)',
  'bad-category': 'category_uid does not match class_uid',
  'bad-type-uid': 'type_uid must be class_uid·100 + activity_id',
  'time-not-ms': 'time must be milliseconds since the epoch (this looks like seconds)',
  'bad-time': 'not a valid time',
  'bad-version': 'metadata.version must be an OCSF 1.x version (1.x.y)',
  'bad-enum': 'not a defined value of this enumeration',
  'unmapped-conflict': 'an unknown attribute would overwrite this unmapped value',
  'bad-ip': 'not an IPv4 or IPv6 address',
  'bad-port': 'not a port number (0–65535)',
  'bad-value': 'not representable as JSON',
};

/** Messages of @cairn/events that come from the schema alone and may be passed on verbatim. */
const SAFE_DETAIL = /^(expected (array|object|string|boolean|number|integer|integer milliseconds|string \(IP address\)|integer \(port\)|an OCSF event object)|required attribute is missing)$/;

/** `<path>: <reason> (<code>)` for an EventError, never quoting a value; a fixed text for anything else. */
export function describeEventError(e: unknown): string {
  if (!(e instanceof EventError)) return '$: not a valid event';
  const detail = e.message.startsWith(`${e.path}: `) ? e.message.slice(e.path.length + 2) : '';
  const reason = SAFE_DETAIL.test(detail) ? detail : (REASONS[e.code] ?? 'invalid');
  return `${e.path}: ${reason} (${e.code})`;
}
