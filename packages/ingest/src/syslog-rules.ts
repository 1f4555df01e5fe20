/**
 * The syslog mapping file: which messages become which OCSF events.
 *
 * ```json
 * {
 *   "builtin": true,
 *   "unmatched": "drop",
 *   "rules": [
 *     { "name": "vpn-login", "app": "openvpn",
 *       "match": "^(?<ip>[0-9.]+):[0-9]+ \\[(?<user>[^\\]]+)\\] Peer Connection Initiated",
 *       "class_uid": 3002, "activity_id": 1, "status_id": 1,
 *       "set": { "user.name": "{user}", "src_endpoint.ip": "{ip}", "is_remote": true } }
 *   ]
 * }
 * ```
 *
 * A rule applies to messages whose APP-NAME is `app` exactly and whose MSG matches `match` (an
 * ECMAScript regular expression, compiled with the `u` flag, at most 1,024 characters). The first
 * rule that matches wins: the file's rules in order, then the built-in ones (sshd, sudo) unless
 * `builtin` is false. The event gets `class_uid`, `activity_id` and `status_id` (optional:
 * 0 Unknown) and, for each `set` entry, the value at the dotted OCSF path: a JSON number or
 * boolean as is, a string as a template where `{name}` is a named group of the match (or
 * `{hostname}`, `{app}`, `{procid}`, `{msgid}` of the header) and `{{`/`}}` are braces;
 * a template that is exactly `{name:int}` gives an integer (a port, a pid). A group that did not
 * take part in the match leaves the path unset. Paths are lower-case OCSF names (`a-z`, `0-9`,
 * `_`, at most 6 levels); what the class does not define moves to `unmapped` by the events
 * layer's rule. `unmatched`: `"drop"` (default: counted by the listener, not logged) or
 * `"keep"` (an Event Log Activity, activity 99 Other, with the message in `raw_data`).
 *
 * Classes a rule may produce: Authentication 3002, Account Change 3001, Process Activity 1007,
 * API Activity 6003, Event Log Activity 1008. Errors are {@link IngestError} of format
 * `syslog-rules` with the JSON path (`$.rules[2].match`).
 */
import { parseJsonStrict, EventError, childPath, type JsonValue } from '@cairn/events';
import { IngestError } from './errors.js';
import { Fields } from './fields.js';
import { CLASS } from './ocsf.js';

/** A compiled rule. */
export interface SyslogRule {
  readonly name: string;
  readonly app: string;
  readonly match: RegExp;
  readonly classUid: number;
  readonly activityId: number;
  readonly statusId: number;
  /** `[path segments, value]`: a literal, or a template. */
  readonly set: readonly (readonly [readonly string[], SetValue])[];
}

/** A value to set: a literal, a template of text and placeholders, or one integer placeholder. */
export type SetValue =
  | { readonly kind: 'literal'; readonly value: number | boolean }
  | { readonly kind: 'template'; readonly parts: readonly (string | { readonly ref: string })[] }
  | { readonly kind: 'int'; readonly ref: string };

/** A compiled mapping file. */
export interface SyslogRules {
  readonly rules: readonly SyslogRule[];
  readonly unmatched: 'drop' | 'keep';
}

const RULE_CLASSES = new Set<number>([CLASS.AUTHENTICATION, CLASS.ACCOUNT_CHANGE, CLASS.PROCESS_ACTIVITY, CLASS.API_ACTIVITY, CLASS.EVENT_LOG_ACTIVITY]);
const PATH_SEGMENT = /^[a-z][a-z0-9_]*$/;
const HEADER_REFS = new Set(['hostname', 'app', 'procid', 'msgid']);
const TOP = new Set(['builtin', 'unmatched', 'rules']);
const RULE = new Set(['name', 'app', 'match', 'class_uid', 'activity_id', 'status_id', 'set']);
/** Largest mapping file, bytes; most rules. */
export const MAX_RULES_FILE = 256 * 1024;
export const MAX_RULES = 1000;

/** Parses and compiles a mapping file (JSON). Throws only {@link IngestError} (`syslog-rules`). */
export function parseSyslogRules(bytes: Uint8Array): SyslogRules {
  let doc: JsonValue;
  try {
    doc = parseJsonStrict(bytes, { maxBytes: MAX_RULES_FILE, maxDepth: 8, maxStringLength: 4096, maxKeyLength: 256, maxArrayLength: MAX_RULES, maxKeys: 256 });
  } catch (e) {
    if (e instanceof EventError) throw new IngestError('syslog-rules', e.code, e.path, `not strict JSON (${e.code})`, { cause: e });
    throw e;
  }
  const top = Fields.of('syslog-rules', doc, '$');
  const extra = top.unknownKeys(TOP);
  if (extra.length > 0) top.fail('unknown-field', extra[0], 'not a member of a mapping file (builtin, unmatched, rules)');
  const builtin = top.raw('builtin');
  if (builtin !== undefined && typeof builtin !== 'boolean') top.fail('wrong-type', 'builtin', 'expected true or false');
  const unmatched = top.optString('unmatched') ?? 'drop';
  if (unmatched !== 'drop' && unmatched !== 'keep') top.fail('bad-value', 'unmatched', 'expected "drop" or "keep"');
  const rules = (top.optArray('rules') ?? []).map((r, i) => compileRule(Fields.of('syslog-rules', r, childPath('$.rules', i))));
  return { rules: builtin === false ? rules : [...rules, ...BUILTIN_RULES], unmatched: unmatched as 'drop' | 'keep' };
}

function compileRule(f: Fields): SyslogRule {
  const extra = f.unknownKeys(RULE);
  if (extra.length > 0) f.fail('unknown-field', extra[0], 'not a member of a rule');
  const name = f.string('name', 64);
  const app = f.string('app', 48);
  const source = f.string('match', 1024);
  let match: RegExp;
  try {
    match = new RegExp(source, 'u');
  } catch (cause) {
    throw new IngestError('syslog-rules', 'bad-regex', f.at('match'), 'not a valid regular expression', { cause });
  }
  const classUid = f.optInteger('class_uid');
  if (classUid === undefined) f.fail('missing', 'class_uid', 'required member is missing');
  if (!RULE_CLASSES.has(classUid)) f.fail('bad-value', 'class_uid', `expected one of ${[...RULE_CLASSES].join(', ')}`);
  const activityId = f.optInteger('activity_id');
  if (activityId === undefined) f.fail('missing', 'activity_id', 'required member is missing');
  const statusId = f.optInteger('status_id') ?? 0;
  const groups = new Set(Object.keys(new RegExp(`${source}|`, 'u').exec('')?.groups ?? {}));
  const set: [string[], SetValue][] = [];
  const setF = f.optObject('set');
  for (const key of Object.keys(setF?.obj ?? {})) {
    const at = setF!.at(key);
    const path = key.split('.');
    if (path.length > 6 || !path.every((s) => PATH_SEGMENT.test(s))) throw new IngestError('syslog-rules', 'bad-path', at, 'expected a dotted lower-case OCSF path');
    set.push([path, compileValue(setF!.obj[key]!, at, groups)]);
  }
  return { name, app, match, classUid, activityId, statusId, set };
}

function compileValue(v: JsonValue, at: string, groups: ReadonlySet<string>): SetValue {
  if (typeof v === 'number' || typeof v === 'boolean') return { kind: 'literal', value: v };
  if (typeof v !== 'string') throw new IngestError('syslog-rules', 'wrong-type', at, 'expected a template string, a number or a boolean');
  const known = (ref: string): string => {
    if (!groups.has(ref) && !HEADER_REFS.has(ref)) throw new IngestError('syslog-rules', 'unknown-ref', at, 'a placeholder names no group of the match and no header field');
    return ref;
  };
  const int = /^\{([A-Za-z][A-Za-z0-9_]*):int\}$/.exec(v);
  if (int !== null) return { kind: 'int', ref: known(int[1]!) };
  const parts: (string | { ref: string })[] = [];
  let text = '';
  for (let i = 0; i < v.length; i++) {
    const ch = v[i]!;
    if ((ch === '{' || ch === '}') && v[i + 1] === ch) {
      text += ch;
      i++;
      continue;
    }
    if (ch === '}') throw new IngestError('syslog-rules', 'bad-template', at, 'a lone } (write }} for a brace)');
    if (ch !== '{') {
      text += ch;
      continue;
    }
    const end = v.indexOf('}', i);
    const ref = end === -1 ? '' : v.slice(i + 1, end);
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(ref)) throw new IngestError('syslog-rules', 'bad-template', at, 'expected {name} (write {{ for a brace)');
    if (text !== '') parts.push(text);
    text = '';
    parts.push({ ref: known(ref) });
    i = end;
  }
  if (text !== '') parts.push(text);
  return { kind: 'template', parts };
}

/**
 * The built-in rules, as a mapping file: OpenSSH's sshd (with PAM) and sudo, as they log on
 * Debian, Ubuntu and RHEL. One SSH login gives two events: the authentication (`Accepted …`,
 * with the source address and method) and the PAM session (`session opened`), both
 * Authentication Logon; `session closed` is a Logoff.
 */
export const BUILTIN_RULES_JSON = {
  rules: [
    { name: 'sshd-accepted', app: 'sshd',
      match: '^Accepted (?<method>password|publickey|keyboard-interactive/pam|gssapi-with-mic|hostbased) for (?<user>\\S+) from (?<ip>[0-9A-Fa-f:.]+) port (?<port>[0-9]{1,5})',
      class_uid: 3002, activity_id: 1, status_id: 1,
      set: { 'user.name': '{user}', 'src_endpoint.ip': '{ip}', 'src_endpoint.port': '{port:int}', 'auth_protocol': '{method}', 'is_remote': true, 'dst_endpoint.hostname': '{hostname}', 'service.name': 'sshd' } },
    { name: 'sshd-failed', app: 'sshd',
      match: '^Failed (?<method>password|publickey|keyboard-interactive/pam|none) for (?:invalid user )?(?<user>\\S*) from (?<ip>[0-9A-Fa-f:.]+) port (?<port>[0-9]{1,5})',
      class_uid: 3002, activity_id: 1, status_id: 2,
      set: { 'user.name': '{user}', 'src_endpoint.ip': '{ip}', 'src_endpoint.port': '{port:int}', 'auth_protocol': '{method}', 'is_remote': true, 'dst_endpoint.hostname': '{hostname}', 'service.name': 'sshd' } },
    { name: 'sshd-invalid-user', app: 'sshd',
      match: '^Invalid user (?<user>\\S*) from (?<ip>[0-9A-Fa-f:.]+)(?: port (?<port>[0-9]{1,5}))?',
      class_uid: 3002, activity_id: 1, status_id: 2,
      set: { 'user.name': '{user}', 'src_endpoint.ip': '{ip}', 'src_endpoint.port': '{port:int}', 'status_detail': 'invalid user', 'is_remote': true, 'dst_endpoint.hostname': '{hostname}', 'service.name': 'sshd' } },
    { name: 'sshd-session-opened', app: 'sshd',
      match: '^pam_unix\\(sshd:session\\): session opened for user (?<user>[^\\s(]+)(?:\\(uid=(?<uid>[0-9]+)\\))?',
      class_uid: 3002, activity_id: 1, status_id: 1,
      set: { 'user.name': '{user}', 'user.uid': '{uid}', 'is_remote': true, 'dst_endpoint.hostname': '{hostname}', 'service.name': 'sshd', 'session.uid': '{procid}' } },
    { name: 'sshd-session-closed', app: 'sshd',
      match: '^pam_unix\\(sshd:session\\): session closed for user (?<user>\\S+)',
      class_uid: 3002, activity_id: 2, status_id: 1,
      set: { 'user.name': '{user}', 'is_remote': true, 'dst_endpoint.hostname': '{hostname}', 'service.name': 'sshd', 'session.uid': '{procid}' } },
    { name: 'sudo-command', app: 'sudo',
      match: '^\\s*(?<user>\\S+) : (?:TTY=(?<tty>[^;]*) ; )?(?:PWD=(?<pwd>[^;]*) ; )?USER=(?<target>[^;]+?) ; (?:GROUP=[^;]* ; )?(?:TSID=[^;]* ; )?(?:ENV=[^;]* ; )?COMMAND=(?<cmd>.+)$',
      class_uid: 1007, activity_id: 1, status_id: 1,
      set: { 'actor.user.name': '{user}', 'actor.session.terminal': '{tty}', 'process.cmd_line': '{cmd}', 'process.user.name': '{target}', 'process.working_directory': '{pwd}', 'device.hostname': '{hostname}', 'device.type_id': 0 } },
    { name: 'sudo-refused', app: 'sudo',
      match: '^\\s*(?<user>\\S+) : (?:(?<count>[0-9]+) incorrect password attempts?|user NOT in sudoers|command not allowed) ; (?:TTY=(?<tty>[^;]*) ; )?(?:PWD=(?<pwd>[^;]*) ; )?USER=(?<target>[^;]+?) ; (?:COMMAND=(?<cmd>.+))?$',
      class_uid: 1007, activity_id: 1, status_id: 2,
      set: { 'actor.user.name': '{user}', 'actor.session.terminal': '{tty}', 'process.cmd_line': '{cmd}', 'process.user.name': '{target}', 'process.working_directory': '{pwd}', 'device.hostname': '{hostname}', 'device.type_id': 0 } },
  ],
} as const;

const BUILTIN_RULES: readonly SyslogRule[] = (BUILTIN_RULES_JSON.rules as readonly unknown[]).map((r, i) =>
  compileRule(Fields.of('syslog-rules', r as JsonValue, childPath('$.builtin', i))),
);

/** The default mapping: the built-in rules, unmatched messages dropped. */
export const DEFAULT_SYSLOG_RULES: SyslogRules = Object.freeze({ rules: BUILTIN_RULES, unmatched: 'drop' });
