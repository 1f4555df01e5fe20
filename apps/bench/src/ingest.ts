/**
 * `pnpm bench ingest`: events per second through the ingestion listener of `cairn log serve
 * --ingest-listen` (a child process, LevelDB, fsync on), as producers send them:
 *
 * - the Kubernetes audit webhook: `audit.k8s.io/v1` EventLists of 400 events (the apiserver's
 *   default `--audit-webhook-batch-max-size`) of ~1 KB each, from `--clients` concurrent senders
 *   (an apiserver sends one batch at a time; several apiservers or a backlog send in parallel);
 * - OTLP/HTTP protobuf: ExportLogsServiceRequests of 1,000 log records (~1 KB mapped events).
 *
 * A request counts once it is answered 200, i.e. once its events are fsync'd. Bodies are built
 * before the clock starts; each event is distinct (no resend is deduplicated).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createToken } from '@cairn/api';
import { formatSignerKey } from '@cairn/formats';
import { figure, machine } from './report.js';
import { SOURCE_EXEC_ARGV, startCli } from './procs.js';

/** Events per figure by default. */
export const DEFAULT_INGEST_EVENTS = 100_000;
/** Events per EventList (the apiserver's default batch). */
const AUDIT_BATCH = 400;
/** Records per OTLP request. */
const OTLP_BATCH = 1000;
const te = new TextEncoder();

/** One ~1 KB audit Event of a `get secrets` at Metadata level, as the apiserver writes it. */
function auditEvent(n: number): Record<string, unknown> {
  const id = `${n.toString(16).padStart(8, '0')}-5f2a-4c1e-9d3b-7a6e5c4b3a21`;
  return {
    level: 'Metadata', auditID: id, stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/team-${n % 50}/secrets/db-credentials-${n % 997}`, verb: 'get',
    user: { username: `system:serviceaccount:team-${n % 50}:deployer`, uid: '3b2f6c1d-8a7e-4f90-b1c2-d3e4f5a6b7c8', groups: ['system:serviceaccounts', `system:serviceaccounts:team-${n % 50}`, 'system:authenticated'] },
    sourceIPs: [`10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`], userAgent: 'kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46',
    objectRef: { resource: 'secrets', namespace: `team-${n % 50}`, name: `db-credentials-${n % 997}`, apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 200 },
    requestReceivedTimestamp: '2026-01-01T09:00:00.123456Z', stageTimestamp: '2026-01-01T09:00:00.130891Z',
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': `RBAC: allowed by RoleBinding "deployer/team-${n % 50}" of Role "secret-reader" to ServiceAccount "deployer/team-${n % 50}"` },
  };
}

function eventList(first: number, count: number): Uint8Array {
  return te.encode(JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items: Array.from({ length: count }, (_, i) => auditEvent(first + i)) }));
}

// A minimal protobuf writer for ExportLogsServiceRequest (field numbers of opentelemetry-proto v1).
const varint = (n: number): number[] => {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
};
const lenField = (field: number, b: readonly number[] | Uint8Array): number[] => [...varint((field << 3) | 2), ...varint(b.length), ...b];
const str = (field: number, s: string): number[] => lenField(field, te.encode(s));
const kv = (k: string, v: string): number[] => [...str(1, k), ...lenField(2, str(1, v))];
function fixed64(field: number, n: bigint): number[] {
  const out = varint((field << 3) | 1);
  for (let i = 0; i < 8; i++) out.push(Number((n >> BigInt(8 * i)) & 0xffn));
  return out;
}

function otlpRequest(first: number, count: number): Uint8Array {
  const resource = lenField(1, [...lenField(1, kv('service.name', 'checkout')), ...lenField(1, kv('host.name', 'web-7.prod.example')), ...lenField(1, kv('k8s.namespace.name', 'shop'))]);
  const records: number[] = [];
  for (let i = 0; i < count; i++) {
    const n = first + i;
    records.push(...lenField(2, [
      ...fixed64(1, 1_767_261_600_000_000_000n + BigInt(n) * 1000n),
      ...varint((2 << 3) | 0), ...varint(9),
      ...str(3, 'INFO'),
      ...lenField(5, str(1, `order ${n} refunded by support agent after a failed payment; amount 19.50 EUR, customer notified by e-mail`)),
      ...lenField(6, kv('enduser.id', `customer-${n % 10_000}`)),
      ...lenField(6, kv('order.id', String(n))),
      ...lenField(6, kv('http.route', '/api/v2/orders/{id}/refund')),
      ...lenField(6, kv('client.address', `198.51.${(n >> 8) & 255}.${n & 255}`)),
      ...lenField(9, Uint8Array.from({ length: 16 }, (_, j) => (n + j * 7) & 255)),
      ...lenField(10, Uint8Array.from({ length: 8 }, (_, j) => (n + j * 13) & 255)),
    ]));
  }
  const scopeLogs = lenField(2, [...lenField(1, [...str(1, 'checkout.audit'), ...str(2, '2.4.1')]), ...records]);
  return Uint8Array.from(lenField(1, [...resource, ...scopeLogs]));
}

async function drive(url: string, token: string, contentType: string, bodies: Uint8Array[], clients: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      for (let lost = 0; ; ) {
        // A keep-alive connection the server closed while idle fails the request: resend, as a producer does.
        const r = await fetch(url, { method: 'POST', body, headers: { 'content-type': contentType, authorization: `Bearer ${token}` } }).catch(() => undefined);
        if (r === undefined) {
          if (++lost > 5) throw new Error(`${url}: 5 connections lost in a row`);
          continue;
        }
        await r.arrayBuffer();
        if (r.status === 200) break;
        if (r.status !== 429 && r.status !== 503) throw new Error(`${url} answered ${r.status}`);
        await new Promise((res) => setTimeout(res, 100));
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, worker));
  return performance.now() - t0;
}

export async function benchIngest(args: { events: number; clients: number; quick: boolean }): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-bench-ingest-'));
  const keyFile = join(dir, 'log.key');
  await writeFile(keyFile, formatSignerKey('bench.example.org/ingest', new Uint8Array(32).fill(11)) + '\n', { mode: 0o600 });
  const tokensFile = join(dir, 'tokens.json');
  const k8s = await createToken(tokensFile, 'k8s-audit', { quota: { entriesPerMinute: 1e12 } });
  const otel = await createToken(tokensFile, 'otel', { quota: { entriesPerMinute: 1e12 } });
  const server = await startCli(['log', 'serve', '--data', join(dir, 'data'), '--key', keyFile, '--listen', '127.0.0.1:0', '--tokens', tokensFile,
    '--ingest-listen', '127.0.0.1:0', '--log-format', 'json'], /cairn ingest listening on (http:\/\/[0-9.:]+)/, 60_000, SOURCE_EXEC_ARGV);
  const base = server.match[1]!;
  const cond = (n: number, batch: string) => `${n.toLocaleString('en-US')} events, ${batch}, ${args.clients} clients, fsync on, LevelDB, server in a child process`;
  try {
    process.stdout.write(`# bench ingest — ${machine()}\n`);
    const n = args.events;
    const lists: Uint8Array[] = [];
    for (let i = 0; i < n; i += AUDIT_BATCH) lists.push(eventList(i, Math.min(AUDIT_BATCH, n - i)));
    const avg = lists.reduce((a, b) => a + b.length, 0) / n;
    process.stdout.write(`# audit events ~${Math.round(avg)} bytes each in the EventList JSON\n`);
    const ms = await drive(`${base}/k8s/audit`, k8s, 'application/json', lists, args.clients);
    figure('k8s audit webhook → durable', (n * 1000) / ms, 'events/s', cond(n, `EventLists of ${AUDIT_BATCH}`));
    const reqs: Uint8Array[] = [];
    for (let i = 0; i < n; i += OTLP_BATCH) reqs.push(otlpRequest(i, Math.min(OTLP_BATCH, n - i)));
    const oms = await drive(`${base}/v1/logs`, otel, 'application/x-protobuf', reqs, args.clients);
    figure('OTLP/HTTP protobuf → durable', (n * 1000) / oms, 'events/s', cond(n, `requests of ${OTLP_BATCH} records`));
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
