import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseEvent, type JsonObject } from '@cairn/events';
import { IngestError } from './errors.js';
import { MAX_SYSLOG_MESSAGE, parseSyslog } from './syslog.js';
import { OctetCountingDecoder } from './octet-framing.js';
import { DEFAULT_SYSLOG_RULES, parseSyslogRules } from './syslog-rules.js';
import { mapSyslog } from './syslog-map.js';

const enc = new TextEncoder();
const b = (s: string): Uint8Array => enc.encode(s);
const RECEIVED = Date.UTC(2026, 0, 1, 9, 30);

function refused(f: () => unknown, format: string, code: string, at?: string): IngestError {
  let err: unknown;
  assert.throws(f, (e) => ((err = e), e instanceof IngestError));
  const e = err as IngestError;
  assert.equal(e.format, format);
  assert.equal(e.code, code, e.message);
  if (at !== undefined) assert.equal(e.at, at);
  return e;
}

test('RFC 5424 §6.5 examples parse field by field', () => {
  const m1 = parseSyslog(b('<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \xEF\xBB\xBF\'su root\' failed for lonvick on /dev/pts/8'.replace('\xEF\xBB\xBF', '\uFEFF')));
  assert.equal(m1.facility, 4);
  assert.equal(m1.severity, 2);
  assert.equal(m1.timestamp!.ms, Date.UTC(2003, 9, 11, 22, 14, 15, 3));
  assert.equal(m1.hostname, 'mymachine.example.com');
  assert.equal(m1.appName, 'su');
  assert.equal(m1.procId, undefined);
  assert.equal(m1.msgId, 'ID47');
  assert.equal(m1.bom, true);
  assert.equal(m1.msg, "'su root' failed for lonvick on /dev/pts/8");
  const m2 = parseSyslog(b('<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It\'s time to make the do-nuts.'));
  assert.equal(m2.timestamp!.micros, Date.UTC(2003, 7, 24, 12, 14, 15) * 1000 + 3);
  assert.equal(m2.timestamp!.offsetMinutes, -420);
  assert.equal(m2.bom, false);
  const m3 = parseSyslog(b('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]'));
  assert.deepEqual(m3.structuredData, [
    { id: 'exampleSDID@32473', params: [['iut', '3'], ['eventSource', 'Application'], ['eventID', '1011']] },
    { id: 'examplePriority@32473', params: [['class', 'high']] },
  ]);
  assert.equal(m3.msg, undefined);
  const m4 = parseSyslog(b('<13>1 - - - - - -'));
  assert.equal(m4.timestamp, undefined);
  assert.equal(m4.hostname, undefined);
});

test('structured data escapes: \\" \\\\ \\] are escapes, any other backslash is itself', () => {
  const m = parseSyslog(b('<13>1 - h a - - [x@1 v="a\\"b\\\\c\\]d\\ne" w="ü"] msg'));
  assert.deepEqual(m.structuredData[0]!.params, [['v', 'a"b\\c]d\\ne'], ['w', 'ü']]);
});

test('strict header: every violation is refused at its byte', () => {
  const bad = (s: string, code: string, at?: string) => refused(() => parseSyslog(b(s)), 'syslog', code, at);
  bad('<192>1 - - - - - -', 'bad-pri', 'byte 1');
  bad('<013>1 - - - - - -', 'bad-pri', 'byte 1');
  bad('<>1 - - - - - -', 'bad-pri', 'byte 1');
  bad('13>1 - - - - - -', 'bad-header', 'byte 0');
  bad('<13>2 - - - - - -', 'bad-version', 'byte 4');
  bad('<13> - - - - - -', 'bad-version', 'byte 4');
  bad('<13>1 2026-01-01 09:00:00Z - - - - -', 'bad-timestamp', 'byte 6');
  bad('<13>1 2026-01-01t09:00:00Z - - - - -', 'bad-timestamp', 'byte 6');
  bad('<13>1 2026-01-01T09:00:60Z - - - - -', 'bad-timestamp', 'byte 6');
  bad('<13>1 2026-01-01T09:00:00.1234567Z - - - - -', 'bad-timestamp', 'byte 6');
  bad('<13>1 2026-01-01T09:00:00 - - - - -', 'bad-timestamp', 'byte 6');
  bad('<13>1 -  - - - -', 'bad-header', 'byte 8');
  bad(`<13>1 - ${'h'.repeat(256)} - - - -`, 'bad-header', 'byte 8');
  bad(`<13>1 - h ${'a'.repeat(49)} - - -`, 'bad-header', 'byte 10');
  bad('<13>1 - h a - - x', 'bad-sd', 'byte 16');
  bad('<13>1 - h a - - [x@1 v="a]"]', 'bad-sd');
  bad('<13>1 - h a - - [x@1 v="a"', 'bad-header');
  bad('<13>1 - h a - - [x@1 v=a]', 'bad-header');
  bad('<13>1 - h a - - [x@1][x@1]', 'duplicate-sd-id', 'byte 21');
  bad('<13>1 - h a - - [x@1 ="a"]', 'bad-sd');
  bad('<13>1 - h a - - -msg', 'bad-sd');
  refused(() => parseSyslog(new Uint8Array([...b('<13>1 - h a - - - '), 0xff, 0x41])), 'syslog', 'bad-utf8', 'byte 18');
  refused(() => parseSyslog(new Uint8Array(MAX_SYSLOG_MESSAGE + 1)), 'syslog', 'too-large');
});

test('octet counting: frames come out whole however the stream is cut', () => {
  const msgs = ['<38>1 - h sshd - - - one', '<38>1 - h sshd - - - two with more text', '<38>1 - h sshd - - - ü'];
  const stream = new Uint8Array(msgs.flatMap((m) => [...b(`${b(m).length} `), ...b(m)]));
  const whole = new OctetCountingDecoder().push(stream).map((f) => new TextDecoder().decode(f));
  assert.deepEqual(whole, msgs);
  for (let cut = 1; cut < 7; cut++) {
    const d = new OctetCountingDecoder();
    const got: string[] = [];
    for (let i = 0; i < stream.length; i += cut) got.push(...d.push(stream.subarray(i, i + cut)).map((f) => new TextDecoder().decode(f)));
    d.end();
    assert.deepEqual(got, msgs);
  }
});

test('octet counting: bad framing is refused at its byte, and the decoder stays failed', () => {
  const bad = (s: string, code: string, at: string, max?: number) => {
    const d = new OctetCountingDecoder(max);
    refused(() => d.push(b(s)), 'syslog', code, at);
    refused(() => d.push(b('1 x')), 'syslog', code, at);
  };
  bad('05 <13>1', 'bad-frame-length', 'byte 0');
  bad('3 abc <13>1 - - - - - -', 'bad-frame-length', 'byte 5');
  bad('<13>1 - - - - - -\n', 'not-octet-counted', 'byte 0');
  bad('12x', 'bad-frame-length', 'byte 2');
  bad(' 12', 'bad-frame-length', 'byte 0');
  bad('101 ', 'frame-too-long', 'byte 0', 100);
  bad('99999 ', 'frame-too-long', 'byte 0', 100);
  const d = new OctetCountingDecoder();
  d.push(b('10 <13>1'));
  refused(() => d.end(), 'syslog', 'truncated', 'byte 8');
  const d2 = new OctetCountingDecoder();
  d2.push(b('1'));
  refused(() => d2.end(), 'syslog', 'truncated');
});

const SSH = (msg: string, pid = '4711') => parseSyslog(b(`<38>1 2026-01-01T09:00:00.250000+01:00 bastion sshd ${pid} - - ${msg}`));
const SUDO = (msg: string) => parseSyslog(b(`<85>1 2026-01-01T09:01:00Z bastion sudo - - - ${msg}`));
const mapped = (m: ReturnType<typeof parseSyslog>): JsonObject => {
  const r = mapSyslog(m, DEFAULT_SYSLOG_RULES, RECEIVED);
  assert.equal(r.kind, 'event');
  if (r.kind !== 'event') throw new Error('unreachable');
  // Every event passes the events layer and re-parses to the same bytes.
  assert.deepEqual(parseEvent(r.event.canonical).canonical, r.event.canonical);
  return r.event.event;
};

test('sshd: accepted password and publickey are successful logons with source and method', () => {
  const e = mapped(SSH('Accepted publickey for alice from 192.0.2.7 port 51234 ssh2: ED25519 SHA256:Yx3n+4kb0mWZ0mW3fHc1kLr1Z0v4r0b5Zl9mQ0N9b1w'));
  assert.equal(e.class_uid, 3002);
  assert.equal(e.activity_id, 1);
  assert.equal(e.status_id, 1);
  assert.deepEqual(e.user, { name: 'alice' });
  assert.deepEqual(e.src_endpoint, { ip: '192.0.2.7', port: 51234 });
  assert.equal(e.auth_protocol, 'publickey');
  assert.equal(e.time, Date.UTC(2026, 0, 1, 8, 0, 0, 250));
  assert.equal(e.severity_id, 1);
  assert.deepEqual(e.device, { hostname: 'bastion', type_id: 0 });
  assert.equal((e.metadata as JsonObject).event_code, 'sshd-accepted');
  assert.equal((e.metadata as JsonObject).logged_time, RECEIVED);
  assert.ok((e.raw_data as string).startsWith('<38>1 2026-01-01T09:00:00.250000+01:00 bastion sshd 4711'));
  assert.deepEqual((e.unmapped as JsonObject).syslog, { facility: 4, severity: 6, procid: '4711', timestamp_us: Date.UTC(2026, 0, 1, 8, 0, 0, 250) * 1000, offset_minutes: 60 });
  // rsyslog's %msg% may start with a space and a template may end in LF: rules still match.
  const spaced = mapped(SSH(' Accepted password for bob from 192.0.2.9 port 22 ssh2\n'));
  assert.equal(spaced.message, 'Accepted password for bob from 192.0.2.9 port 22 ssh2');
  assert.ok((spaced.raw_data as string).endsWith(' ssh2\n'));
  const p = mapped(SSH('Accepted password for bob from 2001:db8::7 port 22 ssh2'));
  assert.equal(p.auth_protocol, 'password');
  assert.deepEqual(p.src_endpoint, { ip: '2001:db8::7', port: 22 });
});

test('sshd: failed password (also for an invalid user) and invalid user are failed logons', () => {
  for (const line of ['Failed password for alice from 192.0.2.7 port 51234 ssh2', 'Failed password for invalid user admin from 192.0.2.7 port 51234 ssh2', 'Invalid user admin from 192.0.2.7 port 51234']) {
    const e = mapped(SSH(line));
    assert.equal(e.class_uid, 3002);
    assert.equal(e.activity_id, 1);
    assert.equal(e.status_id, 2);
    assert.equal((e.src_endpoint as JsonObject).ip, '192.0.2.7');
  }
  assert.deepEqual(mapped(SSH('Failed password for invalid user admin from 192.0.2.7 port 51234 ssh2')).user, { name: 'admin' });
});

test('sshd: PAM session opened / closed are Logon / Logoff', () => {
  const o = mapped(SSH('pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)'));
  assert.equal(o.activity_id, 1);
  assert.deepEqual(o.user, { name: 'alice', uid: '1000' });
  assert.deepEqual(o.session, { uid: '4711' });
  const c = mapped(SSH('pam_unix(sshd:session): session closed for user alice'));
  assert.equal(c.activity_id, 2);
  assert.equal(c.type_uid, 300202);
  assert.deepEqual(c.user, { name: 'alice' });
});

test('sudo: a command is a Process Activity Launch with the command line and the invoking user', () => {
  const e = mapped(SUDO('   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx\n'));
  assert.equal(e.class_uid, 1007);
  assert.equal(e.activity_id, 1);
  assert.equal(e.status_id, 1);
  assert.deepEqual(e.actor, { user: { name: 'alice' }, session: { terminal: 'pts/0' } });
  assert.deepEqual(e.process, { cmd_line: '/usr/bin/systemctl restart nginx', user: { name: 'root' }, working_directory: '/home/alice' });
  assert.deepEqual(e.device, { hostname: 'bastion', type_id: 0 });
  assert.equal(e.severity_id, 2); // authpriv.notice
  const f = mapped(SUDO('alice : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash'));
  assert.equal(f.class_uid, 1007);
  assert.equal(f.status_id, 2);
});

test('unmatched messages: dropped by default (counted by the caller), or kept as Event Log Activity 99', () => {
  const m = parseSyslog(b('<38>1 - bastion sshd 1 - - Connection closed by 192.0.2.7 port 51234'));
  assert.deepEqual(mapSyslog(m, DEFAULT_SYSLOG_RULES, RECEIVED), { kind: 'unmatched', app: 'sshd' });
  const keep = parseSyslogRules(b('{"unmatched":"keep"}'));
  const r = mapSyslog(m, keep, RECEIVED);
  assert.equal(r.kind, 'event');
  if (r.kind === 'event') {
    assert.equal(r.event.classUid, 1008);
    assert.equal(r.event.activityId, 99);
    assert.equal(r.event.time, RECEIVED);
    assert.equal(r.event.event.message, 'Connection closed by 192.0.2.7 port 51234');
  }
});

test('a mapping file: custom rules first, templates, integers, literals, header fields', () => {
  const rules = parseSyslogRules(b(JSON.stringify({
    rules: [{ name: 'vpn', app: 'openvpn', match: '^(?<ip>[0-9.]+):(?<port>[0-9]+) \\[(?<user>[^\\]]+)\\] Peer Connection Initiated', class_uid: 3002, activity_id: 1, status_id: 1,
      set: { 'user.name': '{user}', 'src_endpoint.ip': '{ip}', 'src_endpoint.port': '{port:int}', is_remote: true, 'user.domain': 'vpn-{{{hostname}}}' } }],
  })));
  const m = parseSyslog(b('<30>1 2026-01-01T09:00:00Z gw1 openvpn 12 - [meta@1 a="1" a="2"] 198.51.100.4:1194 [carol] Peer Connection Initiated with [AF_INET]198.51.100.4:1194'));
  const r = mapSyslog(m, rules, RECEIVED);
  assert.equal(r.kind, 'event');
  if (r.kind !== 'event') return;
  assert.equal(r.rule, 'vpn');
  assert.deepEqual(r.event.event.user, { name: 'carol', domain: 'vpn-{gw1}' });
  assert.deepEqual(r.event.event.src_endpoint, { ip: '198.51.100.4', port: 1194 });
  assert.equal(r.event.event.is_remote, true);
  assert.deepEqual(((r.event.event.unmapped as JsonObject).syslog as JsonObject).structured_data, { 'meta@1': { a: ['1', '2'] } });
  // builtin rules still apply after the file's
  assert.equal(mapSyslog(SSH('Accepted password for bob from 192.0.2.8 port 22 ssh2'), rules, RECEIVED).kind, 'event');
  assert.equal(mapSyslog(SSH('Accepted password for bob from 192.0.2.8 port 22 ssh2'), parseSyslogRules(b('{"builtin":false}')), RECEIVED).kind, 'unmatched');
});

test('bad mapping files are refused with the path', () => {
  const bad = (o: unknown, code: string, at: string) => refused(() => parseSyslogRules(b(JSON.stringify(o))), 'syslog-rules', code, at);
  const r = { name: 'r', app: 'a', match: '^x', class_uid: 3002, activity_id: 1 };
  bad({ rulez: [] }, 'unknown-field', '$.rulez');
  bad({ unmatched: 'maybe' }, 'bad-value', '$.unmatched');
  bad({ rules: [r, { ...r, match: '(' }] }, 'bad-regex', '$.rules[1].match');
  bad({ rules: [{ ...r, class_uid: 4001 }] }, 'bad-value', '$.rules[0].class_uid');
  bad({ rules: [{ ...r, activity_id: undefined }] }, 'missing', '$.rules[0].activity_id');
  bad({ rules: [{ ...r, set: { 'User.Name': 'x' } }] }, 'bad-path', '$.rules[0].set["User.Name"]');
  refused(() => parseSyslogRules(b('{"rules":[{"name":"r","app":"a","match":"x","class_uid":3002,"activity_id":1,"set":{"__proto__":"x"}}]}')), 'syslog-rules', 'bad-path', '$.rules[0].set.__proto__');
  bad({ rules: [{ ...r, set: { 'user.name': '{nope}' } }] }, 'unknown-ref', '$.rules[0].set["user.name"]');
  bad({ rules: [{ ...r, set: { 'user.name': 'a}b' } }] }, 'bad-template', '$.rules[0].set["user.name"]');
  bad({ rules: [{ ...r, set: { 'user.name': ['x'] } }] }, 'wrong-type', '$.rules[0].set["user.name"]');
  bad({ rules: [{ ...r, extra: 1 }] }, 'unknown-field', '$.rules[0].extra');
});

test('property: no input makes the parser or the decoder throw anything but IngestError', () => {
  const seed = b('<38>1 2026-01-01T09:00:00.250000+01:00 bastion sshd 4711 - [x@1 a="b\\"c"] Accepted password for alice from 192.0.2.7 port 1 ssh2');
  fc.assert(
    fc.property(fc.nat(seed.length - 1), fc.uint8Array({ maxLength: 4 }), fc.nat(3), (at, ins, del) => {
      const bytes = new Uint8Array([...seed.subarray(0, at), ...ins, ...seed.subarray(at + del)]);
      try {
        const m = parseSyslog(bytes);
        mapSyslog(m, DEFAULT_SYSLOG_RULES, RECEIVED);
      } catch (e) {
        if (!(e instanceof IngestError)) throw e;
      }
      try {
        const d = new OctetCountingDecoder(64);
        d.push(bytes);
        d.end();
      } catch (e) {
        if (!(e instanceof IngestError)) throw e;
      }
    }),
    { numRuns: 2000 },
  );
});

test('the shipped docs/ingest/syslog-rules.example.json parses, and its rules map their lines', async () => {
  const { readFileSync } = await import('node:fs');
  const rules = parseSyslogRules(readFileSync(new URL('../../../docs/ingest/syslog-rules.example.json', import.meta.url)));
  const vpn = mapSyslog(parseSyslog(b('<29>1 2026-01-01T09:00:00Z gw1 openvpn 812 - - 198.51.100.4:51820 [carol] Peer Connection Initiated with [AF_INET]198.51.100.4:51820')), rules, RECEIVED);
  assert.equal(vpn.kind === 'event' && vpn.rule, 'openvpn-connected');
  const add = mapSyslog(parseSyslog(b('<86>1 2026-01-01T09:00:00Z bastion useradd 900 - - new user: name=dave, UID=1001, GID=1001, home=/home/dave, shell=/bin/bash, from=/dev/pts/0')), rules, RECEIVED);
  assert.ok(add.kind === 'event');
  if (add.kind === 'event') {
    assert.equal(add.event.classUid, 3001);
    assert.deepEqual(add.event.event.user, { name: 'dave', uid: '1001' });
  }
});

test('the rsyslog template of docs/ingest/rsyslog-cairn.conf writes what the parser takes', async () => {
  const { readFileSync } = await import('node:fs');
  const conf = readFileSync(new URL('../../../docs/ingest/rsyslog-cairn.conf', import.meta.url), 'utf8');
  assert.match(conf, /TCP_Framing="octet-counted"/);
  // The template's shape, filled as rsyslog fills it for a local sshd message (msg starts with a space).
  const template = /string="([^"]+)"/.exec(conf)![1]!;
  const line = template
    .replace('%PRI%', '38').replace('%TIMESTAMP:::date-rfc3339%', '2026-01-01T10:00:00.123456+01:00').replace('%HOSTNAME%', 'bastion')
    .replace('%APP-NAME%', 'sshd').replace('%PROCID%', '4711').replace('%MSGID%', '-').replace('%STRUCTURED-DATA%', '-')
    .replace('%msg:::sp-if-no-1st-sp%', '').replace('%msg:::drop-last-lf%', ' Accepted password for bob from 192.0.2.9 port 22 ssh2');
  const r = mapSyslog(parseSyslog(b(line)), DEFAULT_SYSLOG_RULES, RECEIVED);
  assert.equal(r.kind === 'event' && r.rule, 'sshd-accepted');
});

test('property: a message built from valid fields parses back to those fields', () => {
  const printable = (max: number) => fc.string({ unit: fc.integer({ min: 33, max: 126 }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: max }).filter((s) => s !== '-');
  const sdName = fc.string({ unit: fc.integer({ min: 33, max: 126 }).filter((c) => c !== 0x3d && c !== 0x5d && c !== 0x22 && c !== 0x20).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 32 });
  const escape = (v: string) => v.replace(/[\\"\]]/g, (c) => `\\${c}`);
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 191 }),
      fc.option(fc.date({ min: new Date(Date.UTC(1980, 0, 1)), max: new Date(Date.UTC(2100, 0, 1)), noInvalidDate: true }), { nil: undefined }),
      fc.option(printable(255), { nil: undefined }), fc.option(printable(48), { nil: undefined }),
      fc.option(printable(128), { nil: undefined }), fc.option(printable(32), { nil: undefined }),
      fc.uniqueArray(fc.record({ id: sdName, params: fc.array(fc.tuple(sdName, fc.string({ maxLength: 20 })), { maxLength: 3 }) }), { selector: (e) => e.id, maxLength: 3 }),
      fc.option(fc.string({ maxLength: 60 }), { nil: undefined }), fc.boolean(),
      (pri, date, host, app, procid, msgid, sd, msg, bom) => {
        const ts = date === undefined ? '-' : date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
        const sdText = sd.length === 0 ? '-' : sd.map((e) => `[${e.id}${e.params.map(([n, v]) => ` ${n}="${escape(v)}"`).join('')}]`).join('');
        const text = `<${pri}>1 ${ts} ${host ?? '-'} ${app ?? '-'} ${procid ?? '-'} ${msgid ?? '-'} ${sdText}${msg === undefined ? '' : ` ${bom ? '\uFEFF' : ''}${msg}`}`;
        const m = parseSyslog(b(text));
        assert.equal(m.facility * 8 + m.severity, pri);
        assert.equal(m.timestamp?.ms, date?.getTime());
        assert.deepEqual([m.hostname, m.appName, m.procId, m.msgId], [host, app, procid, msgid]);
        assert.deepEqual(m.structuredData, sd.map((e) => ({ id: e.id, params: e.params })));
        assert.equal(m.msg, msg);
        assert.equal(m.bom, msg !== undefined && bom);
        assert.equal(m.text, text);
      },
    ),
    { numRuns: 500 },
  );
});

test('decode returns the frames completed before a framing error in the same chunk, and the error', () => {
  const enc = new TextEncoder();
  const d = new OctetCountingDecoder();
  const r = d.decode(enc.encode('3 abc2 de0x'));
  assert.deepEqual(r.frames.map((f) => new TextDecoder().decode(f)), ['abc', 'de']);
  assert.equal(r.error?.code, 'bad-frame-length');
  assert.equal(d.decode(enc.encode('1 a')).error?.code, 'bad-frame-length');
});
