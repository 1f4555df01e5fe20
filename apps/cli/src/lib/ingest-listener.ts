/**
 * `log serve --ingest-listen`: the ingestion listener beside the main one. It runs on its own
 * address and serves only the producers' endpoints of @cairn/ingest/listener (`POST /k8s/audit`,
 * `/v1/logs`, `/events`), never tiles, tRPC, metrics or health — so it can face producers (a
 * cluster's apiserver, collectors) without exposing the admin or read API there, and the main
 * listener can stay private. Credentials are those of `--tokens` (writer tokens) and, with
 * `--ingest-client-ca`, client certificates whose subject the tokens file maps to a source
 * (`cairn log sources add --client-cert-subject`). TLS (`--ingest-tls-cert/--ingest-tls-key`) is
 * reloaded on SIGHUP like the main listener's. The bounds flags (`--max-connections`,
 * `--headers-timeout`, `--request-timeout`) apply to both listeners.
 */
import { DEFAULT_CLOSE_GRACE_MS, DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_KEEP_ALIVE_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS, listenHttp, type HttpListener, type TlsMaterial, type TokenAuthenticator } from '@cairn/api';
import { createIngestHandler, type IngestHandler, type IngestLogger, type IngestSink } from '@cairn/ingest/listener';
import { UsageError } from '../command.js';
import { parseListen, type Listen } from './options.js';
import { readCaFile, readTlsFlags, reloadTls } from './tls.js';
import type { ListenerBounds } from './listener-options.js';

/** The options `log serve` takes for the ingestion listener. */
export const ingestOptions = {
  'ingest-listen': { type: 'string', value: 'HOST:PORT', description: 'also run the ingestion listener for producers (POST /k8s/audit, /v1/logs, /events) on this address' },
  'ingest-tls-cert': { type: 'string', value: 'FILE', description: 'serve the ingestion listener over HTTPS with this PEM certificate chain (with --ingest-tls-key; reloaded on SIGHUP)' },
  'ingest-tls-key': { type: 'string', value: 'FILE', description: 'PEM private key of --ingest-tls-cert (reloaded on SIGHUP)' },
  'ingest-client-ca': { type: 'string', value: 'FILE', description: 'authenticate producers by client certificates this PEM CA issued (subjects mapped with `cairn log sources add --client-cert-subject`)' },
} as const;

/** The values of {@link ingestOptions}. */
export interface IngestValues {
  'ingest-listen'?: string | undefined;
  'ingest-tls-cert'?: string | undefined;
  'ingest-tls-key'?: string | undefined;
  'ingest-client-ca'?: string | undefined;
}

/** The checked ingestion settings, or undefined without --ingest-listen. */
export interface IngestSettings {
  readonly listen: Listen;
  readonly tls: TlsMaterial | undefined;
  readonly clientCa: string | undefined;
}

/** Validates the ingestion flags (UsageError naming the flag). */
export async function parseIngestOptions(values: IngestValues, hasTokens: boolean): Promise<IngestSettings | undefined> {
  const listenValue = values['ingest-listen'];
  if (listenValue === undefined) {
    for (const f of ['ingest-tls-cert', 'ingest-tls-key', 'ingest-client-ca'] as const) {
      if (values[f] !== undefined) throw new UsageError(`--${f} needs --ingest-listen`);
    }
    return undefined;
  }
  const listen = parseListen('--ingest-listen', listenValue);
  const tls = await readTlsFlags({ 'tls-cert': values['ingest-tls-cert'], 'tls-key': values['ingest-tls-key'] }, 'ingest-');
  const caFile = values['ingest-client-ca'];
  if (caFile !== undefined && tls === undefined) throw new UsageError('--ingest-client-ca needs --ingest-tls-cert and --ingest-tls-key (client certificates travel over TLS)');
  const clientCa = caFile === undefined ? undefined : await readCaFile('--ingest-client-ca', caFile);
  if (!hasTokens) throw new UsageError('--ingest-listen needs --tokens: every producer is a source of the tokens file (a writer token, or a client certificate subject)');
  return { listen, tls, clientCa };
}

/** A running ingestion listener. */
export interface RunningIngest {
  readonly url: string;
  readonly handler: IngestHandler;
  /** SIGHUP: re-reads --ingest-tls-cert/--ingest-tls-key (a bad pair is logged, the old one kept). */
  reloadTls(logger: { info(msg: string, fields?: Record<string, unknown>): void; error(msg: string, fields?: Record<string, unknown>): void }): Promise<void>;
  close(): Promise<void>;
}

/** Starts the ingestion listener (rejects with the listen error, e.g. EADDRINUSE). */
export async function startIngestListener(opts: {
  settings: IngestSettings;
  values: IngestValues;
  sink: IngestSink;
  tokens: TokenAuthenticator;
  bounds: ListenerBounds;
  requestDefaultMs: number;
  logger: IngestLogger;
}): Promise<RunningIngest> {
  const { settings, tokens } = opts;
  const handler = createIngestHandler({
    sink: opts.sink,
    auth: tokens,
    ...(settings.clientCa === undefined ? {} : { certificateSource: (subject: string) => tokens.sourceOfCertificate(subject) }),
    logger: opts.logger,
  });
  const requestTimeoutMs = opts.bounds.requestTimeoutMs ?? opts.requestDefaultMs;
  const listener: HttpListener = await listenHttp({
    listen: settings.listen,
    handle: handler,
    requestTimeoutMs,
    headersTimeoutMs: opts.bounds.headersTimeoutMs ?? Math.min(DEFAULT_HEADERS_TIMEOUT_MS, requestTimeoutMs),
    maxConnections: opts.bounds.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    keepAliveTimeoutMs: DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
    closeGraceMs: DEFAULT_CLOSE_GRACE_MS,
    tls: settings.tls,
    clientCa: settings.clientCa,
    logger: opts.logger,
  });
  return {
    url: listener.url,
    handler,
    async reloadTls(logger) {
      if (settings.tls === undefined) return;
      await reloadTls(listener, { 'tls-cert': opts.values['ingest-tls-cert'], 'tls-key': opts.values['ingest-tls-key'] }, logger, 'ingest-');
    },
    close: () => listener.close(),
  };
}
