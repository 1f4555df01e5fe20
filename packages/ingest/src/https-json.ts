/**
 * The HTTPS JSON endpoint's body (`POST /events`): OCSF events written by applications, as one
 * object, an array of objects, or JSON lines.
 *
 * ```
 * Content-Type: application/json        {"class_uid":3002,…}   or   [{"class_uid":3002,…},{…}]
 * Content-Type: application/x-ndjson    {"class_uid":3002,…}\n{"class_uid":6003,…}\n
 * ```
 * (`application/jsonl` and `application/json-lines` are taken as JSON lines too.) JSON lines: one
 * event per LF-terminated line, an optional CR before the LF, the last line's LF optional, no
 * blank lines (a blank line is most often a framing bug upstream).
 *
 * Strict and bounded: at most {@link MAX_JSON_BODY_BYTES} per body and {@link MAX_JSON_BODY_EVENTS}
 * events; each event is parsed by the events layer's strict rules (valid UTF-8, no duplicate
 * keys, canonical numbers, its caps: 64 KiB, depth 16, …) and validated as OCSF. A body is all or
 * nothing, like a batch of the event store: the first bad event fails it, with its position
 * (`$[2].actor.user` in an array, `line 3: $.time` in JSON lines) and the events layer's code.
 *
 * Source sequence numbers and idempotency keys travel beside the events, not inside them (so
 * the event bytes stay the producer's): see {@link parseSubmitMeta}.
 */
import {
  EVENT_JSON_LIMITS, EventError, MAX_EVENT_SIZE, parseEvent, parseJsonStrict, validateEvent,
  type JsonValue, type ValidatedEvent,
} from '@cairn/events';
import { IngestError } from './errors.js';
import { jsonType } from './fields.js';

/** Largest body, bytes (64 events of the largest size). */
export const MAX_JSON_BODY_BYTES = 4 * 1024 * 1024;
/** Most events in one body. */
export const MAX_JSON_BODY_EVENTS = 1000;

/** How a body is framed. */
export type JsonBodyKind = 'json' | 'json-lines';

/** The body kind of a `Content-Type` header value, or null when it is not one this endpoint takes (415). */
export function jsonBodyKind(contentType: string | undefined): JsonBodyKind | null {
  if (contentType === undefined) return null;
  const [type, ...params] = contentType.split(';').map((p) => p.trim().toLowerCase());
  for (const p of params) if (p.startsWith('charset=') && p !== 'charset=utf-8') return null;
  if (type === 'application/json') return 'json';
  if (type === 'application/x-ndjson' || type === 'application/jsonl' || type === 'application/json-lines') return 'json-lines';
  return null;
}

/** Parses a body of `kind` into validated events. Throws only {@link IngestError} (format `json`). */
export function parseJsonEvents(body: Uint8Array, kind: JsonBodyKind): ValidatedEvent[] {
  if (body.length > MAX_JSON_BODY_BYTES) throw new IngestError('json', 'too-large', '$', `body exceeds ${MAX_JSON_BODY_BYTES} bytes`);
  return kind === 'json' ? parseJsonBody(body) : parseJsonLines(body);
}

function parseJsonBody(body: Uint8Array): ValidatedEvent[] {
  let doc: JsonValue;
  try {
    // One level more than an event allows, for the array around the events.
    doc = parseJsonStrict(body, { ...EVENT_JSON_LIMITS, maxBytes: MAX_JSON_BODY_BYTES, maxDepth: EVENT_JSON_LIMITS.maxDepth + 1, maxArrayLength: Math.max(EVENT_JSON_LIMITS.maxArrayLength, MAX_JSON_BODY_EVENTS) });
  } catch (e) {
    throw wrap(e, '');
  }
  if (!Array.isArray(doc)) return [validate(doc, '')];
  if (doc.length === 0) throw new IngestError('json', 'empty', '$', 'no events');
  if (doc.length > MAX_JSON_BODY_EVENTS) throw new IngestError('json', 'too-many-events', '$', `more than ${MAX_JSON_BODY_EVENTS} events`);
  return doc.map((v, i) => validate(v, `$[${i}]`));
}

function validate(v: JsonValue, prefix: string): ValidatedEvent {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new IngestError('json', 'wrong-type', prefix || '$', `expected an OCSF event object, found ${jsonType(v)}`);
  try {
    return validateEvent(v);
  } catch (e) {
    throw wrap(e, prefix);
  }
}

function parseJsonLines(body: Uint8Array): ValidatedEvent[] {
  const out: ValidatedEvent[] = [];
  let start = 0;
  let line = 1;
  while (start < body.length) {
    let end = body.indexOf(0x0a, start);
    const next = end === -1 ? body.length : end + 1;
    if (end === -1) end = body.length;
    if (end > start && body[end - 1] === 0x0d) end--;
    const at = `line ${line}`;
    if (end === start) throw new IngestError('json', 'blank-line', at, 'a blank line between events');
    if (out.length === MAX_JSON_BODY_EVENTS) throw new IngestError('json', 'too-many-events', at, `more than ${MAX_JSON_BODY_EVENTS} events`);
    if (end - start > MAX_EVENT_SIZE) throw new IngestError('json', 'too-large', at, `an event exceeds ${MAX_EVENT_SIZE} bytes`);
    try {
      out.push(parseEvent(body.subarray(start, end)));
    } catch (e) {
      throw wrap(e, `${at}: `);
    }
    start = next;
    line++;
  }
  if (out.length === 0) throw new IngestError('json', 'empty', 'line 1', 'no events');
  return out;
}

/** An events-layer error at `prefix` (`$[2]`, `line 3: `, or '' for the whole body). */
function wrap(e: unknown, prefix: string): IngestError {
  if (!(e instanceof EventError)) throw e;
  const at = prefix.endsWith(': ') ? `${prefix}${e.path}` : prefix === '' ? e.path : e.path.replace(/^\$/, prefix);
  return new IngestError('json', e.code, at, `refused by the events layer (${e.code})`, { cause: e });
}

/** Per-event submission metadata sent beside a body (headers or query of the listener). */
export interface SubmitMeta {
  /** The source's own sequence number of each event, in order (absent: the log assigns them). */
  readonly seqs?: readonly bigint[];
  /** An idempotency key per event, in order. */
  readonly idempotencyKeys?: readonly string[];
}

const DECIMAL = /^(0|[1-9][0-9]{0,18})$/;
const KEY = /^[\x21-\x7e]{1,128}$/;
const MAX_SEQ = (1n << 63n) - 1n;

/**
 * Parses the submission metadata of a body of `count` events: `seqs` as comma-separated
 * canonical decimals (≤ 2^63−1), or a first sequence number that the events follow
 * contiguously; `idempotencyKeys` comma-separated, 1–128 printable ASCII characters each (no
 * comma). Each list, when given, has one entry per event.
 */
export function parseSubmitMeta(count: number, raw: { seqs?: string; firstSeq?: string; idempotencyKeys?: string }): SubmitMeta {
  const decimal = (s: string, at: string): bigint => {
    if (!DECIMAL.test(s) || BigInt(s) > MAX_SEQ) throw new IngestError('json', 'bad-seq', at, 'expected a canonical decimal up to 2^63−1');
    return BigInt(s);
  };
  let seqs: bigint[] | undefined;
  if (raw.seqs !== undefined && raw.firstSeq !== undefined) throw new IngestError('json', 'bad-seq', 'seqs', 'give seqs or firstSeq, not both');
  if (raw.seqs !== undefined) {
    seqs = raw.seqs.split(',').map((s, i) => decimal(s, `seqs[${i}]`));
  } else if (raw.firstSeq !== undefined) {
    const first = decimal(raw.firstSeq, 'firstSeq');
    if (first + BigInt(count) - 1n > MAX_SEQ) throw new IngestError('json', 'bad-seq', 'firstSeq', 'the sequence would pass 2^63−1');
    seqs = Array.from({ length: count }, (_, i) => first + BigInt(i));
  }
  if (seqs !== undefined && seqs.length !== count) throw new IngestError('json', 'count-mismatch', 'seqs', `expected ${count} sequence numbers`);
  let idempotencyKeys: string[] | undefined;
  if (raw.idempotencyKeys !== undefined) {
    idempotencyKeys = raw.idempotencyKeys.split(',');
    idempotencyKeys.forEach((k, i) => {
      if (!KEY.test(k)) throw new IngestError('json', 'bad-idempotency-key', `idempotencyKeys[${i}]`, 'expected 1–128 printable ASCII characters');
    });
    if (idempotencyKeys.length !== count) throw new IngestError('json', 'count-mismatch', 'idempotencyKeys', `expected ${count} keys`);
  }
  return { ...(seqs === undefined ? {} : { seqs }), ...(idempotencyKeys === undefined ? {} : { idempotencyKeys }) };
}
