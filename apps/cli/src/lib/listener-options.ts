/**
 * The HTTP listener bounds shared by `log serve` and `witness serve`: a cap on concurrent
 * connections and on how long a request may take to arrive. When they trigger they are counted
 * in the server's /metrics (cairn_http_connections_refused_total, cairn_http_request_timeouts_total).
 */
import { DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS } from '@cairn/api';
import { UsageError } from '../command.js';
import { parseIntOption } from './options.js';

/** Largest accepted --max-connections. */
const MAX_MAX_CONNECTIONS = 1_000_000;
/** Largest accepted request/headers timeout (ms): one hour. */
const MAX_TIMEOUT_MS = 3_600_000;

/** The option definitions; `requestDefaultMs` is the server's default whole-request bound. */
export function listenerOptions(requestDefaultMs: number) {
  return {
    'max-connections': {
      type: 'string', value: 'N',
      description: `most concurrent HTTP connections; more are closed at once and counted (default ${DEFAULT_MAX_CONNECTIONS})`,
    },
    'headers-timeout': {
      type: 'string', value: 'MS',
      description: `a request's line and headers must arrive within MS, else 408 and the connection is closed (default ${DEFAULT_HEADERS_TIMEOUT_MS})`,
    },
    'request-timeout': {
      type: 'string', value: 'MS',
      description: `a whole request, body included, must arrive within MS, else 408 and the connection is closed (default ${requestDefaultMs})`,
    },
  } as const;
}

/** The parsed bounds (only those given). */
export interface ListenerBounds {
  maxConnections?: number;
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
}

/** Parses the listener flags; UsageError on a bad value or a headers timeout above the request timeout. */
export function parseListenerOptions(values: { 'max-connections'?: string | undefined; 'headers-timeout'?: string | undefined; 'request-timeout'?: string | undefined }, requestDefaultMs: number): ListenerBounds {
  const out: ListenerBounds = {};
  if (values['max-connections'] !== undefined) out.maxConnections = parseIntOption('--max-connections', values['max-connections'], 1, MAX_MAX_CONNECTIONS);
  if (values['headers-timeout'] !== undefined) out.headersTimeoutMs = parseIntOption('--headers-timeout', values['headers-timeout'], 1, MAX_TIMEOUT_MS);
  if (values['request-timeout'] !== undefined) out.requestTimeoutMs = parseIntOption('--request-timeout', values['request-timeout'], 1, MAX_TIMEOUT_MS);
  const request = out.requestTimeoutMs ?? requestDefaultMs;
  if (out.headersTimeoutMs !== undefined && out.headersTimeoutMs > request) {
    throw new UsageError(`--headers-timeout (${out.headersTimeoutMs}) must not exceed --request-timeout (${request})`);
  }
  return out;
}

/** The start-up line that states the bounds in force. */
export function limitsLine(b: ListenerBounds, requestDefaultMs: number): string {
  const request = b.requestTimeoutMs ?? requestDefaultMs;
  const headers = b.headersTimeoutMs ?? Math.min(DEFAULT_HEADERS_TIMEOUT_MS, request);
  return `limits max-connections ${b.maxConnections ?? DEFAULT_MAX_CONNECTIONS}, headers-timeout ${headers} ms, request-timeout ${request} ms`;
}
