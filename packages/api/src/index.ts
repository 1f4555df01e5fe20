/**
 * @cairn/api — the servers around a Cairn log: the tRPC application API at `/trpc` (submit with
 * a bearer token; public reads of checkpoints, entries, proofs, proof bundles and status) and the
 * C2SP tlog-tiles read path (`/checkpoint`, `/tile/…`) on one Node HTTP server. Error codes map
 * to HTTP/tRPC statuses in one table (errors.ts).
 *
 * ```ts
 * import { generateSignerKey } from '@cairn/formats';
 * import { LogNode, openLevelStorage } from '@cairn/log';
 * import { createToken, loadTokens, startLogServer } from '@cairn/api';
 * import { createLogClient } from '@cairn/client';
 *
 * const node = await LogNode.open({ storage: await openLevelStorage('./data/log'), signerKey: generateSignerKey('example.com/log') });
 * await node.start();
 * const token = await createToken('./data/tokens.json', 'k8s-audit', { quota: { entriesPerMinute: 60_000 } }); // print once
 * const server = await startLogServer({
 *   node, listen: { host: '127.0.0.1', port: 0 }, tokens: await loadTokens('./data/tokens.json'),
 * });
 * const client = createLogClient(server.url, { token });
 * const { indices, checkpoint } = await client.log.submit.mutate({ entries: ['aGVsbG8='], wait: 'checkpoint' });
 * const tile = await fetch(`${server.url}/tile/0/000.p/1`); // the leaf hash of "hello"
 * await server.close();
 * await node.stop();
 * ```
 */
export {
  ApiError,
  ERROR_TABLE,
  DEFAULT_RETRY_AFTER_SECONDS,
  ERROR_CODE_HEADER,
  LIFECYCLE_RETRY_AFTER_SECONDS,
  errorCodeOf,
  httpStatusOf,
  publicMessageOf,
  retryAfterSecondsOf,
  ruleOf,
  storedNothing,
  toTRPCError,
  type ApiErrorCode,
  type EventStoreErrorCode,
  type ApiErrorOptions,
  type LogApiErrorCode,
  type ErrorRule,
} from './errors.js';
export {
  createToken,
  loadTokens,
  parseTokensFile,
  TokenAuthenticator,
  DEFAULT_ENTRIES_PER_MINUTE,
  MAX_TOKENS,
  TOKEN_PREFIX,
  TOKEN_ROLES,
  DEFAULT_ROLE,
  RESERVED_SOURCE,
  type TokenRole,
  type Principal,
  TOKENS_RELOAD_DEBOUNCE_MS,
  readTokensFile,
  revokeToken,
  mapCertificateSubject,
  watchTokens,
  type TokensReloadLogger,
  type TokensWatch,
  type CreateTokenOptions,
  type Quota,
  type TokenAuthenticatorOptions,
  type TokenRecord,
  type TokensFile,
} from './auth.js';
export { MAX_ENTRY_BYTES, MAX_SUBMIT_ENTRIES, MAX_ENTRIES_RANGE, MAX_PROOFS_PER_CALL } from './schemas.js';
export type {
  ServedCheckpoint, ServedLog, ServedStatus, ServedSubmitResult, ServedEvents, ServedEventInput, ServedEventSubmitOptions,
  ServedEventSubmitResult, ServedStoredEvent, ServedEraseResult, ServedEventSource, ServedSearch, ServedSearchStatus,
} from './served-log.js';
export { MAX_SEARCH_HITS, DEFAULT_SEARCH_HITS } from './routers/search.js';
export type { CompleteAnswer, CompleteLeaf, RangeEnd } from './routers/complete.js';
export { type TailMessage } from './routers/tail.js';
export { DEFAULT_TAIL_BOUNDS, type TailBounds } from './tail-bounds.js';
export { DeferredSearch, searchIndexReport, type OpenedSearchIndex } from './deferred-search.js';
export { eventsRouter, MAX_SUBMIT_EVENTS, MAX_ERASE_INDICES, MAX_ERASE_REASON, MAX_IDEMPOTENCY_KEY, type EventsRouter } from './routers/events.js';
export { describeEventError } from './event-errors.js';
export { publicProcedure, authedProcedure, readerProcedure, adminProcedure, router, createCallerFactory, type ApiContext, type ApiLogger } from './trpc.js';
export { logRouter, type LogRouter } from './routers/log.js';
export { apiRouter, createApiCaller, type ApiRouter } from './router.js';
export {
  createTilesHandler,
  normalizePrefix,
  CHECKPOINT_CACHE_CONTROL,
  FULL_TILE_CACHE_CONTROL,
  PARTIAL_TILE_CACHE_CONTROL,
  type TilesHandler,
  type TilesHandlerOptions,
} from './http/tiles.js';
export {
  startLogServer,
  TRPC_PATH,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
  DEFAULT_CLOSE_GRACE_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type LogServer,
  type LogServerOptions,
} from './server.js';
export {
  startWitnessServer, WITNESS_TRPC_PATH, WITNESS_TRPC_MAX_BODY, WITNESS_KEEP_ALIVE_TIMEOUT_MS, WITNESS_CLOSE_GRACE_MS,
  WITNESS_REQUEST_TIMEOUT_MS, type WitnessServer, type WitnessServerOptions,
} from './witness-server.js';
export {
  WITNESS_ERROR_TABLE, witnessErrorRule, witnessPublicMessage, sendWitnessError, createWitnessHandler,
  WITNESS_CORS_HEADERS, WITNESS_CHECKPOINT_CACHE_CONTROL, type WitnessErrorRule, type WitnessHttpLogger,
  type WitnessHandler, type WitnessHandlerOptions, answerAddCheckpoint, witnessErrorAnswer, type WitnessAnswer,
} from './http/witness.js';
export {
  witnessRouter, createWitnessCaller, MAX_MISBEHAVIOUR_PAGE, DEFAULT_MISBEHAVIOUR_PAGE, MAX_EVIDENCE_PAGE, DEFAULT_EVIDENCE_PAGE,
  type WitnessRouter, type WitnessApiContext, type WitnessP2pStatus,
} from './routers/witness.js';
export {
  METRICS_PATH, METRICS_CONTENT_TYPE, formatLogMetrics, createMetricsRegistry, registerLogMetrics, registerListenerMetrics,
  type ListenerMetrics, type ListenerLimits, type RequestTimeoutPhase,
} from './http/metrics.js';
export { DEFAULT_MAX_CONNECTIONS, DEFAULT_HEADERS_TIMEOUT_MS, REFUSAL_LOG_INTERVAL_MS, listenHttp, rateLimited, type HttpListener, type ListenOptions, type TlsMaterial } from './http/listen.js';
export { DEFAULT_READY_PROBE_TIMEOUT_MS, HEALTHZ_PATH, READYZ_PATH, logReadiness, witnessReadiness, type Readiness } from './http/health.js';
