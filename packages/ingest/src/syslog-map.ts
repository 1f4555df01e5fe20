/**
 * A parsed RFC 5424 message → an OCSF event, by the rules of a mapping file (syslog-rules.ts).
 *
 * | syslog | OCSF |
 * |---|---|
 * | the rule that matched | `class_uid`, `activity_id`, `status_id`, its `set` paths; `metadata.event_code` = rule name |
 * | TIMESTAMP (NILVALUE: the time received) | `time` (ms); `metadata.logged_time` = the time received |
 * | severity 0 / 1–2 / 3 / 4 / 5 / 6–7 | `severity_id` 6 Fatal / 5 Critical / 4 High / 3 Medium / 2 Low / 1 Informational |
 * | APP-NAME | `metadata.product.name`; HOSTNAME → `device.hostname` (with `type_id` 0 Unknown) |
 * | MSG (leading blanks and trailing CR/LF removed: {@link matchText}) | `message` |
 * | the whole message | `raw_data` (it fits: a message is at most 8 KiB) |
 * | facility, severity, PROCID, MSGID, STRUCTURED-DATA, µs time, offset | `unmapped.syslog` |
 *
 * No rule matches: with `unmatched: "drop"` the result says so and the listener counts it; with
 * `"keep"` the message becomes an Event Log Activity (1008, activity 99 Other, status 0) so that
 * nothing received is lost. Syslog has no acknowledgement either way: a sender never learns that
 * a message was dropped or refused.
 */
import type { JsonObject, JsonValue, ValidatedEvent } from '@cairn/events';
import { IngestError } from './errors.js';
import { baseAttributes, CLASS, finishEvent, OCSF_VERSION, SEVERITY, STATUS } from './ocsf.js';
import type { SyslogMessage } from './syslog.js';
import type { SetValue, SyslogRule, SyslogRules } from './syslog-rules.js';

/** The outcome of mapping one message. */
export type SyslogMapping =
  | { readonly kind: 'event'; readonly event: ValidatedEvent; readonly rule: string | undefined }
  | { readonly kind: 'unmatched'; readonly app: string | undefined };

/** RFC 5424 severity (0 Emergency … 7 Debug) → OCSF `severity_id`. */
export const SYSLOG_SEVERITY: readonly number[] = Object.freeze([SEVERITY.FATAL, SEVERITY.CRITICAL, SEVERITY.CRITICAL, SEVERITY.HIGH, SEVERITY.MEDIUM, SEVERITY.LOW, SEVERITY.INFORMATIONAL, SEVERITY.INFORMATIONAL]);

/**
 * Maps `msg` by `rules`. `receivedAt` (milliseconds, the listener's clock) is the time when the
 * message carries none, and `metadata.logged_time`. Throws only {@link IngestError} (a rule whose
 * event does not validate: `event-invalid`, at the rule's name).
 */
export function mapSyslog(msg: SyslogMessage, rules: SyslogRules, receivedAt: number): SyslogMapping {
  const text = matchText(msg);
  for (const rule of rules.rules) {
    if (rule.app !== msg.appName) continue;
    const m = rule.match.exec(text);
    if (m === null) continue;
    return { kind: 'event', event: build(msg, rule, m.groups ?? {}, receivedAt), rule: rule.name };
  }
  if (rules.unmatched === 'drop') return { kind: 'unmatched', app: msg.appName };
  return { kind: 'event', event: build(msg, undefined, {}, receivedAt), rule: undefined };
}

function build(msg: SyslogMessage, rule: SyslogRule | undefined, groups: Record<string, string | undefined>, receivedAt: number): ValidatedEvent {
  const classUid = rule?.classUid ?? CLASS.EVENT_LOG_ACTIVITY;
  const event: JsonObject = {
    ...baseAttributes(classUid, rule?.activityId ?? 99),
    severity_id: SYSLOG_SEVERITY[msg.severity]!,
    status_id: rule?.statusId ?? STATUS.UNKNOWN,
    time: msg.timestamp?.ms ?? receivedAt,
    metadata: {
      version: OCSF_VERSION,
      product: msg.appName === undefined ? {} : { name: msg.appName },
      log_name: 'syslog',
      logged_time: receivedAt,
      ...(rule === undefined ? {} : { event_code: rule.name }),
    },
    ...(msg.hostname === undefined ? {} : { device: { hostname: msg.hostname, type_id: 0 } }),
    ...(msg.msg === undefined ? {} : { message: matchText(msg) }),
    raw_data: msg.text,
    unmapped: { syslog: unmappedPart(msg) },
  };
  if (rule !== undefined) {
    const header: Record<string, string | undefined> = { hostname: msg.hostname, app: msg.appName, procid: msg.procId, msgid: msg.msgId };
    for (const [path, value] of rule.set) {
      const v = resolve(value, groups, header);
      if (v !== undefined) setPath(event, path, v);
    }
  }
  return finishEvent('syslog', rule === undefined ? 'unmatched' : `rule ${rule.name}`, event);
}

/**
 * The MSG that rules see and `message` holds: without leading spaces or tabs and without trailing
 * CR/LF (rsyslog's `%msg%` of a local message starts with a space, and templates often end in a
 * newline that octet counting then carries inside the frame). `raw_data` keeps every byte.
 */
export function matchText(msg: SyslogMessage): string {
  return (msg.msg ?? '').replace(/^[ \t]+/, '').replace(/[\r\n]+$/, '');
}

function resolve(value: SetValue, groups: Record<string, string | undefined>, header: Record<string, string | undefined>): JsonValue | undefined {
  const ref = (name: string): string | undefined => (Object.prototype.hasOwnProperty.call(groups, name) ? groups[name] : header[name]);
  switch (value.kind) {
    case 'literal':
      return value.value;
    case 'int': {
      const s = ref(value.ref);
      if (s === undefined) return undefined;
      if (!/^(0|[1-9][0-9]{0,14})$/.test(s)) throw new IngestError('syslog', 'bad-capture', value.ref, 'expected a decimal integer');
      return Number(s);
    }
    case 'template': {
      let out = '';
      for (const p of value.parts) {
        if (typeof p === 'string') out += p;
        else {
          const s = ref(p.ref);
          if (s === undefined) return undefined;
          out += s;
        }
      }
      return out;
    }
  }
}

/** Sets `value` at `path`, creating objects on the way (paths are checked lower-case names). */
function setPath(o: JsonObject, path: readonly string[], value: JsonValue): void {
  let cur = o;
  for (const seg of path.slice(0, -1)) {
    const next = cur[seg];
    if (typeof next === 'object' && next !== null && !Array.isArray(next)) cur = next;
    else cur = cur[seg] = {};
  }
  cur[path[path.length - 1]!] = value;
}

function unmappedPart(msg: SyslogMessage): JsonObject {
  const sd: JsonObject = {};
  for (const el of msg.structuredData) {
    const params: JsonObject = {};
    for (const [name, value] of el.params) {
      const prev = Object.prototype.hasOwnProperty.call(params, name) ? params[name] : undefined;
      const v = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
      Object.defineProperty(params, name, { value: v, enumerable: true, writable: true, configurable: true });
    }
    Object.defineProperty(sd, el.id, { value: params, enumerable: true, writable: true, configurable: true });
  }
  return {
    facility: msg.facility,
    severity: msg.severity,
    ...(msg.procId === undefined ? {} : { procid: msg.procId }),
    ...(msg.msgId === undefined ? {} : { msgid: msg.msgId }),
    ...(msg.timestamp === undefined ? {} : { timestamp_us: msg.timestamp.micros, offset_minutes: msg.timestamp.offsetMinutes }),
    ...(msg.structuredData.length === 0 ? {} : { structured_data: sd }),
  };
}
