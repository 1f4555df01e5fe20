/**
 * The ingestion listener's HTTP handler (`createIngestHandler` of @cairn/ingest/listener) over an
 * in-memory event sink, called with mock req/res: mutated EventLists, OTLP/JSON requests and
 * OCSF bodies, under right and wrong paths, methods, content types and encodings. Only the
 * statuses a producer understands may come back (200/400/401/404/405/409/413/415), never 500,
 * exactly once; a 200 stored exactly the events the sink was given.
 */
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { createIngestHandler, type IngestEvent } from '@cairn/ingest/listener';
import { accepted, invariant, rejected, type FuzzTarget, type Outcome } from '../harness.js';
import { fuzzBytes, pool, utf8 } from '../mutate.js';
import { mockRequest, mockResponse } from '../mock-http.js';

const ALLOWED = new Set([200, 400, 401, 404, 405, 409, 413, 415]);
const ITEM = {
  level: 'Metadata', auditID: '9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d', stage: 'ResponseComplete', requestURI: '/api/v1/namespaces/prod/pods', verb: 'list',
  user: { username: 'alice', groups: ['system:authenticated'] }, sourceIPs: ['192.0.2.1'], objectRef: { resource: 'pods', namespace: 'prod', apiVersion: 'v1' },
  responseStatus: { metadata: {}, code: 200 }, requestReceivedTimestamp: '2026-01-01T09:00:02.500000Z', stageTimestamp: '2026-01-01T09:00:02.512345Z',
};
const LOGON = { class_uid: 3002, category_uid: 3, activity_id: 1, type_uid: 300201, severity_id: 1, status_id: 1, time: 1767225600000, metadata: { version: '1.3.0', product: { name: 'sshd' } }, user: { name: 'alice' } };
const OTLP = { resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'shop' } }] }, scopeLogs: [{ logRecords: [{ timeUnixNano: '1767261600123456789', severityNumber: 9, body: { stringValue: 'hi' } }] }] }] };
const SEEDS = [
  utf8(JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items: [ITEM, { ...ITEM, stage: 'Panic' }] })),
  utf8(JSON.stringify(OTLP)),
  utf8(JSON.stringify([LOGON, LOGON])),
  utf8(`${JSON.stringify(LOGON)}\n`),
];

export interface IngestHttpInput {
  readonly path: string;
  readonly method: string;
  readonly contentType: string | undefined;
  readonly gzip: boolean;
  readonly token: boolean;
  readonly body: Uint8Array;
}

let stored = 0;
const handler = createIngestHandler({
  keySecret: new Uint8Array(32).fill(1),
  sink: {
    async submitEvents(_source: string, events: IngestEvent[]) {
      invariant(events.length > 0 && events.length <= 10_000, 'the sink got an empty or oversized batch');
      stored += events.length;
      const base = BigInt(stored);
      return { indices: events.map((_, i) => base + BigInt(i)), seqs: events.map((_, i) => base + BigInt(i)), duplicate: events.map(() => false) };
    },
  },
  auth: {
    principal(authorization: string | undefined) {
      if (authorization !== 'Bearer fuzz') throw new Error('unknown or revoked token');
      return { source: 'fuzz', role: 'writer' };
    },
  },
  clock: () => 1767261600000,
});

export const ingestHttpTarget: FuzzTarget<IngestHttpInput> = {
  name: 'ingest-http',
  description: 'the ingestion listener handler (k8s audit, OTLP, HTTPS JSON): only producer statuses, never 500, one answer',
  arbitrary: fc.record({
    path: fc.constantFrom('/k8s/audit', '/v1/logs', '/events', '/events?firstSeq=0', '/events?idempotencyKeys=a,b', '/events?seqs=x', '/trpc/log.submit', '/checkpoint'),
    method: fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT'),
    contentType: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/x-ndjson', 'application/x-protobuf', 'text/plain', undefined),
    gzip: fc.boolean(),
    token: fc.constantFrom(true, true, true, false),
    body: fuzzBytes(pool(SEEDS)),
  }),
  async run(input): Promise<Outcome> {
    const body = input.gzip ? gzipSync(input.body) : input.body;
    const req = mockRequest({
      method: input.method, url: input.path, body,
      headers: {
        ...(input.contentType === undefined ? {} : { 'content-type': input.contentType }),
        ...(input.gzip ? { 'content-encoding': 'gzip' } : {}),
        ...(input.token ? { authorization: 'Bearer fuzz' } : {}),
      },
    });
    const { res, captured } = mockResponse();
    const before = stored;
    await handler(req, res);
    invariant(captured.ends === 1 && captured.status !== undefined, `answered ${captured.ends} times`);
    invariant(ALLOWED.has(captured.status), `status ${captured.status}`);
    if (captured.status !== 200) {
      invariant(stored === before, 'a refused request stored events');
      return rejected(`http-${captured.status}`);
    }
    return accepted();
  },
};
