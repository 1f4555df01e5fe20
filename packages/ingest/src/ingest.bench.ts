/**
 * Benchmarks for @cairn/ingest (not a test; never gates CI): parse + map throughput of each
 * producer format on one core, no I/O — the share of the ingestion listener's budget spent in
 * this package. Run:
 *   node --conditions=source --import tsx packages/ingest/src/ingest.bench.ts [rounds]
 * Each figure is the median of the rounds (and their range), one line per figure with its
 * conditions. The cases run interleaved round by round, so load on a shared machine hits all
 * alike. `validateEvent` of @cairn/events alone, on the mapped Kubernetes events, is shown
 * beside them: every mapper ends with it.
 */
import { cpus } from 'node:os';
import protobuf from 'protobufjs';
import { validateEvent } from '@cairn/events';
import { parseAuditEventList, mapAuditEvent } from './index.js';
import { LIST_PODS, PATCH_DEPLOYMENT, eventListBody } from './k8s-fixtures.js';
import { OTLP_PROTO_FILES } from './otlp-schema.js';
import { parseOtlpProto } from './otlp-proto.js';
import { parseOtlpJson } from './otlp-json.js';
import { mapOtlpRecords } from './otlp-map.js';
import { parseSyslog } from './syslog.js';
import { mapSyslog } from './syslog-map.js';
import { DEFAULT_SYSLOG_RULES } from './syslog-rules.js';
import { OctetCountingDecoder } from './octet-framing.js';
import { parseJsonEvents } from './https-json.js';

const ROUNDS = Number(process.argv[2] ?? 9);
const BATCH = 400;
const RECEIVED = 1767261600000;
const enc = new TextEncoder();
const conditions = `node ${process.version}, ${cpus().length}×${cpus()[0]?.model ?? '?'}, one core, no I/O`;

// Kubernetes: EventLists of 400 Metadata-level events (~0.8 KB each) and of 400 RequestResponse ones.
const uid = (i: number) => `6f3c1b2e-8d1a-4f0e-9b7c-2a5d4e3f${String(i).padStart(4, '0')}`;
const k8sMeta = eventListBody(Array.from({ length: BATCH }, (_, i) => ({ ...LIST_PODS, auditID: uid(i) })));
const k8sBodies = eventListBody(Array.from({ length: BATCH }, (_, i) => ({ ...PATCH_DEPLOYMENT, auditID: uid(i) })));
const mappedK8s = parseAuditEventList(k8sMeta).map((e) => mapAuditEvent(e).event);

// OTLP: one request of 400 records with a few attributes each, in JSON and protobuf.
const otlpRequest = {
  resourceLogs: [{
    resource: { attributes: [{ key: 'service.name', value: { stringValue: 'shop' } }, { key: 'host.name', value: { stringValue: 'web-1' } }] },
    scopeLogs: [{ scope: { name: 'shop.audit' }, logRecords: Array.from({ length: BATCH }, (_, i) => ({
      timeUnixNano: String(1767261600000000000n + BigInt(i) * 1000n), severityNumber: 9, severityText: 'INFO',
      body: { stringValue: `order ${i} refunded by alice from 192.0.2.7` },
      attributes: [{ key: 'enduser.id', value: { stringValue: 'alice' } }, { key: 'order.id', value: { intValue: String(i) } }, { key: 'amount', value: { doubleValue: 19.5 } }],
      traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174',
    })) }],
  }],
};
const otlpJson = enc.encode(JSON.stringify(otlpRequest));
const root = new protobuf.Root();
for (const [, text] of OTLP_PROTO_FILES) protobuf.parse(text, root, { keepCase: false });
const Req = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');
const hex = (o: unknown, k = ''): unknown => Array.isArray(o) ? o.map((x) => hex(x)) : typeof o === 'object' && o !== null
  ? Object.fromEntries(Object.entries(o).map(([kk, v]) => [kk, hex(v, kk)])) : (k === 'traceId' || k === 'spanId') ? Buffer.from(o as string, 'hex') : o;
const otlpProto = Req.encode(Req.fromObject(hex(otlpRequest) as Record<string, unknown>)).finish();

// Syslog: 400 sshd/sudo messages in one octet-counted stream.
const lines = Array.from({ length: BATCH }, (_, i) => i % 2 === 0
  ? `<38>1 2026-01-01T09:00:00.250000+01:00 bastion sshd ${4000 + i} - - Accepted publickey for alice from 192.0.2.7 port ${40000 + i} ssh2: ED25519 SHA256:Yx3n+4kb0mWZ0mW3fHc1kLr1Z0v4r0b5Zl9mQ0N9b1w`
  : `<85>1 2026-01-01T09:01:00Z bastion sudo - - - alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx`);
const stream = enc.encode(lines.map((l) => `${enc.encode(l).length} ${l}`).join(''));

// HTTPS JSON: 400 events as JSON lines (the mapped Kubernetes events, as an application would send them).
const jsonLines = enc.encode(mappedK8s.map((e) => JSON.stringify(e)).join('\n'));

const cases: [string, string, () => number][] = [
  ['k8s audit EventList, Metadata level: parse + map', `${BATCH} events of ~${Math.round(k8sMeta.length / BATCH)} B`, () => parseAuditEventList(k8sMeta).map(mapAuditEvent).length],
  ['k8s audit EventList, RequestResponse bodies: parse + map', `${BATCH} events of ~${Math.round(k8sBodies.length / BATCH)} B`, () => parseAuditEventList(k8sBodies).map(mapAuditEvent).length],
  ['validateEvent alone (the mapped k8s events)', `${BATCH} events`, () => mappedK8s.map((e) => validateEvent(e)).length],
  ['OTLP protobuf: parse + map', `${BATCH} records, ${otlpProto.length} B`, () => mapOtlpRecords(parseOtlpProto(otlpProto), RECEIVED).results.length],
  ['OTLP JSON: parse + map', `${BATCH} records, ${otlpJson.length} B`, () => mapOtlpRecords(parseOtlpJson(otlpJson), RECEIVED).results.length],
  ['syslog octet-counted stream: frame + parse + map', `${BATCH} sshd/sudo messages`, () => {
    const d = new OctetCountingDecoder();
    let n = 0;
    for (const f of d.push(stream)) if (mapSyslog(parseSyslog(f), DEFAULT_SYSLOG_RULES, RECEIVED).kind === 'event') n++;
    return n;
  }],
  ['HTTPS JSON lines: parse + validate', `${BATCH} events`, () => parseJsonEvents(jsonLines, 'json-lines').length],
];

const rates = cases.map(() => [] as number[]);
for (let round = 0; round <= ROUNDS; round++) {
  cases.forEach(([, , f], i) => {
    const t = process.hrtime.bigint();
    let n = 0;
    for (let k = 0; k < 10; k++) n += f();
    const s = Number(process.hrtime.bigint() - t) / 1e9;
    if (round > 0) rates[i]!.push(n / s); // round 0 warms up
  });
}
cases.forEach(([name, what], i) => {
  const r = rates[i]!.sort((a, b) => a - b);
  const k = (x: number) => `${Math.round(x / 100) / 10}k`;
  console.log(`${name}: ${k(r[Math.floor(r.length / 2)]!)}/s (range ${k(r[0]!)}–${k(r[r.length - 1]!)}; ${what}; ${ROUNDS} rounds; ${conditions})`);
});
