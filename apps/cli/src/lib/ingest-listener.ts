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
import { DEFAULT_CLOSE_GRACE_MS, DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_KEEP_ALIVE_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS, listenHttp, readTokensFile, type HttpListener, type TlsMaterial, type TokenAuthenticator } from '@cairn/api';
import { readFile } from 'node:fs/promises';
import { IngestError, parseSyslogRules, type SyslogRules } from '@cairn/ingest';
import { createIngestHandler, loadOrCreateKeySecret, startSyslogListener, type IngestHandler, type IngestLogger, type IngestSink, type SyslogListener } from '@cairn/ingest/listener';
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
  'ingest-syslog-listen': { type: 'string', value: 'HOST:PORT', description: 'also receive syslog (RFC 5424, octet counting) over TCP, or over TLS (RFC 5425) with --ingest-tls-cert/key' },
  'ingest-syslog-source': { type: 'string', value: 'NAME', description: 'the source syslog connections write as (required without --ingest-client-ca; plain TCP has no credential)' },
  'ingest-syslog-rules': { type: 'string', value: 'FILE', description: 'syslog mapping rules (JSON; default: the built-in sshd and sudo rules, unmatched messages dropped)' },
} as const;

/** The values of {@link ingestOptions}. */
export interface IngestValues {
  'ingest-listen'?: string | undefined;
  'ingest-tls-cert'?: string | undefined;
  'ingest-tls-key'?: string | undefined;
  'ingest-client-ca'?: string | undefined;
  'ingest-syslog-listen'?: string | undefined;
  'ingest-syslog-source'?: string | undefined;
  'ingest-syslog-rules'?: string | undefined;
  /** The tokens file (`--tokens`): a syslog source must not be one of its sources. */
  tokens?: string | undefined;
}

/** The checked ingestion settings, or undefined without --ingest-listen. */
export interface IngestSettings {
  /** The HTTP listener (undefined: syslog only). */
  readonly listen: Listen | undefined;
  readonly tls: TlsMaterial | undefined;
  readonly clientCa: string | undefined;
  readonly syslog: { readonly listen: Listen; readonly source: string | undefined; readonly rules: SyslogRules | undefined } | undefined;
}

/** Validates the ingestion flags (UsageError naming the flag). */
export async function parseIngestOptions(values: IngestValues, hasTokens: boolean): Promise<IngestSettings | undefined> {
  const listenValue = values['ingest-listen'];
  const syslogValue = values['ingest-syslog-listen'];
  if (listenValue === undefined && syslogValue === undefined) {
    for (const f of ['ingest-tls-cert', 'ingest-tls-key', 'ingest-client-ca', 'ingest-syslog-source', 'ingest-syslog-rules'] as const) {
      if (values[f] !== undefined) throw new UsageError(`--${f} needs --ingest-listen or --ingest-syslog-listen`);
    }
    return undefined;
  }
  if (syslogValue === undefined) {
    for (const f of ['ingest-syslog-source', 'ingest-syslog-rules'] as const) {
      if (values[f] !== undefined) throw new UsageError(`--${f} needs --ingest-syslog-listen`);
    }
  }
  const listen = listenValue === undefined ? undefined : parseListen('--ingest-listen', listenValue);
  const tls = await readTlsFlags({ 'tls-cert': values['ingest-tls-cert'], 'tls-key': values['ingest-tls-key'] }, 'ingest-');
  const caFile = values['ingest-client-ca'];
  if (caFile !== undefined && tls === undefined) throw new UsageError('--ingest-client-ca needs --ingest-tls-cert and --ingest-tls-key (client certificates travel over TLS)');
  const clientCa = caFile === undefined ? undefined : await readCaFile('--ingest-client-ca', caFile);
  let syslog: IngestSettings['syslog'];
  if (syslogValue !== undefined) {
    const source = values['ingest-syslog-source'];
    if (source !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(source)) {
      throw new UsageError('--ingest-syslog-source must be 1–64 characters of A–Z a–z 0–9 . _ - starting with a letter or digit');
    }
    if (source !== undefined && values.tokens !== undefined) {
      let file;
      try {
        file = await readTokensFile(values.tokens);
      } catch (e) {
        throw new UsageError(`--tokens: ${(e as Error).message}`);
      }
      // Syslog carries no credential: anyone who reaches the port would write into that
      // producer's sequence stream.
      if (file.tokens.some((t) => t.source === source)) {
        throw new UsageError(`--ingest-syslog-source ${source} has a token or a client certificate mapping in --tokens: syslog connections carry no credential, so name a source of their own`);
      }
    }
    if (source === undefined && clientCa === undefined) {
      throw new UsageError('--ingest-syslog-listen needs --ingest-syslog-source NAME (the source its connections write as), or --ingest-client-ca to take it from client certificates');
    }
    let rules: SyslogRules | undefined;
    const rulesFile = values['ingest-syslog-rules'];
    if (rulesFile !== undefined) {
      let bytes: Uint8Array;
      try {
        bytes = await readFile(rulesFile);
      } catch (e) {
        throw new UsageError(`--ingest-syslog-rules: cannot read ${rulesFile}: ${(e as Error).message}`);
      }
      try {
        rules = parseSyslogRules(bytes);
      } catch (e) {
        if (e instanceof IngestError) throw new UsageError(`--ingest-syslog-rules: ${rulesFile}: ${e.message}`);
        throw e;
      }
    }
    syslog = { listen: parseListen('--ingest-syslog-listen', syslogValue), source, rules };
  }
  if (listen !== undefined && !hasTokens) throw new UsageError('--ingest-listen needs --tokens: every producer is a source of the tokens file (a writer token, or a client certificate subject)');
  if (clientCa !== undefined && !hasTokens) throw new UsageError('--ingest-client-ca needs --tokens (the file that maps certificate subjects to sources)');
  return { listen, tls, clientCa, syslog };
}

/** A running ingestion listener. */
export interface RunningIngest {
  /** The HTTP listener's URL, when there is one. */
  readonly url: string | undefined;
  readonly handler: IngestHandler;
  readonly syslog: SyslogListener | undefined;
  /** SIGHUP: re-reads --ingest-tls-cert/--ingest-tls-key (a bad pair is logged, the old one kept). */
  reloadTls(logger: { info(msg: string, fields?: Record<string, unknown>): void; error(msg: string, fields?: Record<string, unknown>): void }): Promise<void>;
  close(): Promise<void>;
}

/** Starts the ingestion listener (rejects with the listen error, e.g. EADDRINUSE). */
export async function startIngestListener(opts: {
  settings: IngestSettings;
  values: IngestValues;
  sink: IngestSink;
  tokens: TokenAuthenticator | undefined;
  bounds: ListenerBounds;
  requestDefaultMs: number;
  logger: IngestLogger;
  /** The log's data directory: the derived idempotency keys' secret is its `ingest-key` file. */
  dataDir: string;
}): Promise<RunningIngest> {
  const { settings, tokens } = opts;
  const handler = createIngestHandler({
    sink: opts.sink,
    keySecret: await loadOrCreateKeySecret(opts.dataDir),
    auth: tokens,
    ...(settings.clientCa === undefined || tokens === undefined ? {} : { certificateSource: (subject: string) => tokens.sourceOfCertificate(subject) }),
    logger: opts.logger,
  });
  let listener: HttpListener | undefined;
  let syslog: SyslogListener | undefined;
  try {
    if (settings.listen !== undefined) listener = await startHttp(opts, settings.listen, handler);
    if (settings.syslog !== undefined) {
      syslog = await startSyslogListener({
        listen: settings.syslog.listen, sink: opts.sink, source: settings.syslog.source, logger: opts.logger,
        ...(settings.syslog.rules === undefined ? {} : { rules: settings.syslog.rules }),
        ...(settings.tls === undefined ? {} : { tls: { ...settings.tls, clientCa: settings.clientCa } }),
        ...(settings.clientCa === undefined || tokens === undefined ? {} : { certificateSource: (subject: string) => tokens.sourceOfCertificate(subject) }),
        ...(opts.bounds.maxConnections === undefined ? {} : { maxConnections: opts.bounds.maxConnections }),
      });
    }
  } catch (e) {
    await listener?.close();
    throw e;
  }
  const running = listener;
  return {
    url: listener?.url,
    handler,
    syslog,
    async reloadTls(logger) {
      if (settings.tls === undefined) return;
      const files = { 'tls-cert': opts.values['ingest-tls-cert'], 'tls-key': opts.values['ingest-tls-key'] };
      const targets = { setTls: (t: TlsMaterial) => { running?.setTls(t); syslog?.setTls(t); } };
      await reloadTls(targets, files, logger, 'ingest-');
    },
    close: async () => {
      await syslog?.close();
      await running?.close();
    },
  };
}

async function startHttp(opts: Parameters<typeof startIngestListener>[0], listen: Listen, handler: IngestHandler): Promise<HttpListener> {
  const { settings } = opts;
  const requestTimeoutMs = opts.bounds.requestTimeoutMs ?? opts.requestDefaultMs;
  return listenHttp({
    listen,
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
}
