/**
 * The producers' wire formats of @cairn/ingest: each parser and its mapper accept or throw only
 * `IngestError` with a string code. Soundness: every event an accepted input maps to passes the
 * events layer again (`parseEvent` of its canonical bytes gives the same bytes); the octet-
 * counting decoder's frames, re-framed, are a prefix of the stream it was fed in chunks.
 */
import fc from 'fast-check';
import { parseEvent, type ValidatedEvent } from '@cairn/events';
import {
  IngestError, MAX_JSON_BODY_BYTES, MAX_SYSLOG_MESSAGE, OctetCountingDecoder, DEFAULT_SYSLOG_RULES,
  mapAuditBatch, mapOtlpRecords, mapSyslog, parseAuditEventList, parseJsonEvents, parseOtlpJson, parseOtlpProto, parseSyslog,
} from '@cairn/ingest';
import { accepted, invariant, only, type FuzzTarget, type Outcome } from '../harness.js';
import { fuzzBytes, pool, utf8 } from '../mutate.js';

const RECEIVED = 1767261600000;

function sound(e: ValidatedEvent): void {
  const again = parseEvent(e.canonical).canonical;
  invariant(again.length === e.canonical.length && again.every((b, i) => b === e.canonical[i]), 'a mapped event re-validates to other bytes');
}

const AUDIT_ITEM = {
  level: 'RequestResponse', auditID: '9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d', stage: 'ResponseComplete',
  requestURI: '/apis/apps/v1/namespaces/prod/deployments/web', verb: 'patch',
  user: { username: 'system:serviceaccount:ci:deployer', groups: ['system:authenticated'] }, impersonatedUser: { username: 'bob' },
  sourceIPs: ['10.244.1.17', '192.0.2.1'], userAgent: 'kubectl/v1.31.2',
  objectRef: { resource: 'deployments', namespace: 'prod', name: 'web', apiGroup: 'apps', apiVersion: 'v1', subresource: 'scale' },
  responseStatus: { metadata: {}, code: 200 }, requestObject: [{ op: 'replace', path: '/spec/replicas', value: 5 }],
  responseObject: { kind: 'Scale', spec: { replicas: 5 } },
  requestReceivedTimestamp: '2026-01-01T09:00:02.500000Z', stageTimestamp: '2026-01-01T09:00:02.512345Z',
  annotations: { 'authorization.k8s.io/decision': 'allow' },
};
const auditSeeds = [
  utf8(JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items: [AUDIT_ITEM, { ...AUDIT_ITEM, stage: 'Panic', responseStatus: { code: 500, reason: 'InternalError' } }] })),
  utf8(JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items: [{ level: 'Metadata', auditID: 'a', stage: 'RequestReceived', verb: 'get', user: {}, requestReceivedTimestamp: '2026-01-01T09:00:02.500000Z', stageTimestamp: '2026-01-01T09:00:02.500000Z' }] })),
];

export const k8sAuditTarget: FuzzTarget<Uint8Array> = {
  name: 'k8s-audit',
  description: 'parseAuditEventList + mapAuditBatch (only IngestError; mapped events and refusal records re-validate)',
  arbitrary: fuzzBytes(pool(auditSeeds)),
  run: (body) => only([IngestError], 'k8s-audit', () => {
    for (const item of mapAuditBatch(parseAuditEventList(body))) sound(item.event);
  }),
};

// A tiny protobuf writer for seeds (the test package does not depend on protobufjs).
const varint = (n: number): number[] => {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
};
const len = (field: number, bytes: number[]): number[] => [...varint(field * 8 + 2), ...varint(bytes.length), ...bytes];
const str = (field: number, s: string): number[] => len(field, [...utf8(s)]);
const kv = (key: string, value: number[]): number[] => len(1, [...str(1, key), ...len(2, value)]) ;
const fixed64 = (field: number, v: bigint): number[] => [field * 8 + 1, ...Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn))];
const record = [
  ...fixed64(1, 1767261600123456789n), 2 * 8, 9, ...str(3, 'INFO'), ...len(5, str(1, 'order 42 refunded')),
  ...len(6, [...str(1, 'enduser.id'), ...len(2, str(1, 'alice'))]), ...len(6, [...str(1, 'n'), ...len(2, [3 * 8, 42])]),
  ...len(9, Array.from({ length: 16 }, (_, i) => i + 1)), ...len(10, Array.from({ length: 8 }, (_, i) => i + 1)),
];
const otlpProtoSeed = new Uint8Array(len(1, [...len(1, kv('service.name', str(1, 'shop')).slice(0)), ...len(2, [...len(1, str(1, 'scope')), ...len(2, record), ...len(2, [])])]));
const otlpJsonSeed = utf8(JSON.stringify({ resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'shop' } }] }, scopeLogs: [{ scope: { name: 's' }, logRecords: [
  { timeUnixNano: '1767261600123456789', severityNumber: 17, body: { kvlistValue: { values: [{ key: 'k', value: { arrayValue: { values: [{ intValue: '9223372036854775807' }, { doubleValue: 'NaN' }, { bytesValue: 'AQID' }] } } }] } }, traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174' },
  { body: { kvlistValue: { values: [{ key: 'class_uid', value: { intValue: '3002' } }, { key: 'category_uid', value: { intValue: '3' } }, { key: 'activity_id', value: { intValue: '1' } }, { key: 'type_uid', value: { intValue: '300201' } }, { key: 'severity_id', value: { intValue: '1' } }, { key: 'time', value: { intValue: '1767261602000' } }, { key: 'metadata', value: { kvlistValue: { values: [{ key: 'version', value: { stringValue: '1.3.0' } }, { key: 'product', value: { kvlistValue: { values: [] } } }] } } }, { key: 'user', value: { kvlistValue: { values: [{ key: 'name', value: { stringValue: 'alice' } }] } } }] } } },
] }] }] }));

function otlp(parse: (b: Uint8Array) => ReturnType<typeof parseOtlpJson>) {
  return (body: Uint8Array): Outcome => {
    const out = only([IngestError], 'otlp', () => {
      const m = mapOtlpRecords(parse(body), RECEIVED);
      invariant(m.rejected === m.results.filter((r) => !r.ok).length, 'rejected counts the refused records');
      for (const r of m.results) if (r.ok) sound(r.event);
    });
    return out;
  };
}

export const otlpProtoTarget: FuzzTarget<Uint8Array> = {
  name: 'otlp-proto',
  description: 'parseOtlpProto + mapOtlpRecords (only IngestError; per-record refusals counted; events re-validate)',
  arbitrary: fuzzBytes(pool([otlpProtoSeed])),
  run: otlp(parseOtlpProto),
};

export const otlpJsonTarget: FuzzTarget<Uint8Array> = {
  name: 'otlp-json',
  description: 'parseOtlpJson + mapOtlpRecords (only IngestError; per-record refusals counted; events re-validate)',
  arbitrary: fuzzBytes(pool([otlpJsonSeed])),
  run: otlp(parseOtlpJson),
};

const syslogSeeds = [
  '<38>1 2026-01-01T09:00:00.250000+01:00 bastion sshd 4711 - [origin ip="192.0.2.1"][x@1 v="a\\"b\\]c"] Accepted publickey for alice from 192.0.2.7 port 51234 ssh2',
  '<85>1 2026-01-01T09:01:00Z bastion sudo - - - alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id',
  '<38>1 - h sshd - - - \uFEFFpam_unix(sshd:session): session closed for user alice',
].map(utf8);

export const syslogTarget: FuzzTarget<Uint8Array> = {
  name: 'syslog',
  description: 'parseSyslog + mapSyslog with the built-in rules (only IngestError; mapped events re-validate)',
  arbitrary: fuzzBytes(pool(syslogSeeds), { caps: [MAX_SYSLOG_MESSAGE] }),
  run: (msg) => only([IngestError], 'syslog', () => {
    const r = mapSyslog(parseSyslog(msg), DEFAULT_SYSLOG_RULES, RECEIVED);
    if (r.kind === 'event') sound(r.event);
  }),
};

export const syslogFramingTarget: FuzzTarget<{ stream: Uint8Array; cut: number }> = {
  name: 'syslog-framing',
  description: 'OctetCountingDecoder fed in chunks (only IngestError; frames re-framed are a prefix of the stream)',
  arbitrary: fc.record({ stream: fuzzBytes(pool([utf8(syslogSeeds.map((s) => `${s.length} ${new TextDecoder().decode(s)}`).join(''))])), cut: fc.integer({ min: 1, max: 64 }) }),
  run: ({ stream, cut }) => {
    const frames: Uint8Array[] = [];
    const out = only([IngestError], 'syslog-framing', () => {
      const d = new OctetCountingDecoder(256);
      for (let i = 0; i < stream.length; i += cut) frames.push(...d.push(stream.subarray(i, i + cut)));
      d.end();
    });
    const reframed = frames.flatMap((f) => [...utf8(`${f.length} `), ...f]);
    invariant(reframed.length <= stream.length && reframed.every((b, i) => b === stream[i]), 'frames are not the stream');
    return out.accepted ? accepted() : out;
  },
};

const LOGON = { class_uid: 3002, category_uid: 3, activity_id: 1, type_uid: 300201, severity_id: 1, status_id: 1, time: 1767225600000, metadata: { version: '1.3.0', product: { name: 'sshd' } }, user: { name: 'alice' }, src_endpoint: { ip: '192.0.2.7' } };

export const eventsJsonTarget: FuzzTarget<{ body: Uint8Array; lines: boolean }> = {
  name: 'events-json',
  description: 'parseJsonEvents, one object / array / JSON lines (only IngestError; events re-validate)',
  arbitrary: fc.record({
    body: fuzzBytes(pool([utf8(JSON.stringify(LOGON)), utf8(JSON.stringify([LOGON, LOGON])), utf8(`${JSON.stringify(LOGON)}\n${JSON.stringify(LOGON)}\n`)]), { caps: [MAX_JSON_BODY_BYTES] }),
    lines: fc.boolean(),
  }),
  run: ({ body, lines }) => only([IngestError], 'events-json', () => {
    for (const e of parseJsonEvents(body, lines ? 'json-lines' : 'json')) sound(e);
  }),
};
