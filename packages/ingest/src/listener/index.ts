/**
 * @cairn/ingest/listener — the ingestion listener: the HTTP endpoints producers post to
 * (`POST /k8s/audit`, `/v1/logs`, `/events`) and the syslog TCP/TLS receiver, around the pure
 * parsers and mappers of @cairn/ingest. Unlike the package's main entry it uses Node (`node:http`
 * types, `node:zlib`, `node:crypto`, `node:net`/`node:tls`); it still imports none of the cores'
 * servers: what it needs of the log and the tokens file are the small interfaces in
 * contracts.ts, which `LogNode` and `TokenAuthenticator` satisfy. Design: docs/design/ingest.md.
 *
 * ```ts
 * import { createIngestHandler } from '@cairn/ingest/listener';
 * import { listenHttp } from '@cairn/api';
 *
 * const handle = createIngestHandler({ sink: node, auth: tokens, logger, keySecret: await loadOrCreateKeySecret(dataDir) });
 * const listener = await listenHttp({ listen: { host: '127.0.0.1', port: 7390 }, handle, … });
 * // kube-apiserver → POST http://127.0.0.1:7390/k8s/audit with 'Authorization: Bearer cairn_…'
 * ```
 */
export * from './contracts.js';
export { answerFor, ListenerError, DEFAULT_RETRY_AFTER_SECONDS, type Answer } from './status.js';
export { readBody, contentEncoding, mediaType } from './body.js';
export { encodeRpcStatus, grpcCode } from './otlp-status.js';
export { certificateSubject, presentedCertificate } from './subject.js';
export { auditIdempotencyKey, checkKeySecret, keyedDigest, loadOrCreateKeySecret, KEY_SECRET_BYTES, KEY_SECRET_FILE } from './keys.js';
export {
  createIngestHandler, INGEST_PATHS, otlpKey,
  type IngestCounters, type IngestHandler, type IngestHandlerOptions,
} from './handler.js';
export {
  startSyslogListener, MAX_SYSLOG_BATCH, DEFAULT_SYSLOG_IDLE_MS, DEFAULT_SYSLOG_MAX_CONNECTIONS,
  type SyslogCounters, type SyslogListener, type SyslogListenerOptions,
} from './syslog-server.js';
