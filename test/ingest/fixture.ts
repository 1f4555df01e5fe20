/**
 * A real ingestion listener for tests: a LogNode on LevelDB in a temporary directory, a tokens
 * file with writer tokens for a few sources (and a reader), and the ingest handler on its own
 * loopback listener (port 0), exactly as `cairn log serve --ingest-listen` wires them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createToken, listenHttp, loadTokens, type HttpListener, type TokenAuthenticator } from '@cairn/api';
import { formatSignerKey } from '@cairn/formats';
import { LogNode, openLevelStorage, type LogNodeOptions } from '@cairn/log';
import { createIngestHandler, loadOrCreateKeySecret, type IngestHandler, type IngestHandlerOptions } from '@cairn/ingest/listener';

export const SOURCES = ['k8s', 'app', 'otel'] as const;

export interface IngestFixture {
  readonly dir: string;
  readonly node: LogNode;
  readonly listener: HttpListener;
  readonly handler: IngestHandler;
  readonly auth: TokenAuthenticator;
  /** Writer tokens by source, and `auditor` (a reader). */
  readonly tokens: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

export async function startIngest(opts: {
  node?: Partial<LogNodeOptions>;
  handler?: Partial<IngestHandlerOptions>;
  requestTimeoutMs?: number;
  headersTimeoutMs?: number;
} = {}): Promise<IngestFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-ingest-'));
  const tokensFile = join(dir, 'tokens.json');
  const tokens: Record<string, string> = {};
  for (const s of SOURCES) tokens[s] = await createToken(tokensFile, s);
  tokens.auditor = await createToken(tokensFile, 'auditor', { role: 'reader' });
  const auth = await loadTokens(tokensFile);
  const storage = await openLevelStorage(join(dir, 'data'));
  const node = await LogNode.open({
    storage, signerKey: formatSignerKey('ingest.example.org/log', new Uint8Array(32).fill(5)), logger: silent, checkpointIntervalMs: 20,
    ...opts.node,
  } as LogNodeOptions);
  await node.start();
  const handler = createIngestHandler({ sink: node, auth, keySecret: await loadOrCreateKeySecret(join(dir, 'data')), ...opts.handler });
  const requestTimeoutMs = opts.requestTimeoutMs ?? 10_000;
  const listener = await listenHttp({
    listen: { host: '127.0.0.1', port: 0 }, handle: handler,
    requestTimeoutMs, headersTimeoutMs: opts.headersTimeoutMs ?? Math.min(5_000, requestTimeoutMs),
    maxConnections: 64, keepAliveTimeoutMs: 1_000, closeGraceMs: 500,
  });
  return {
    dir, node, listener, handler, auth, tokens,
    async close() {
      await listener.close();
      await node.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** POSTs `body` to the listener; returns status, headers and body bytes. */
export async function post(f: IngestFixture, path: string, body: Uint8Array | string, headers: Record<string, string>): Promise<{ status: number; headers: Headers; body: Uint8Array; json(): any }> {
  const r = await fetch(f.listener.url + path, { method: 'POST', body, headers });
  const bytes = new Uint8Array(await r.arrayBuffer());
  return { status: r.status, headers: r.headers, body: bytes, json: () => JSON.parse(new TextDecoder().decode(bytes)) };
}

/** The `Authorization` header of a source's token. */
export const bearer = (f: IngestFixture, source: string): Record<string, string> => ({ authorization: `Bearer ${f.tokens[source]}` });

/** The log's per-source next sequence numbers. */
export async function nextSeqs(node: LogNode): Promise<Record<string, bigint>> {
  return Object.fromEntries((await node.eventSources()).map((s) => [s.source, s.nextSeq]));
}
