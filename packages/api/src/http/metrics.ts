/**
 * `GET /metrics` on the log and witness servers: the operator's view in the Prometheus text
 * exposition format (version 0.0.4), written by `prom-client`. One registry per server (never
 * the library's global one, so several servers in one process stay apart).
 *
 * - The log's figures, read from its status at scrape time — what an on-call engineer alerts on:
 *   tree size vs sequenced size (integration lag), queue depth (back-pressure), the cosigned size
 *   and each witness's consecutive failures (lost quorum), alarms, a halted integrator.
 * - The listener's bounds ({@link ListenerMetrics}): its limits, and how often they triggered
 *   (connections refused over the cap, requests that did not arrive in time, bodies too large).
 *
 * ```
 * # HELP cairn_log_size Size of the latest signed checkpoint.
 * # TYPE cairn_log_size gauge
 * cairn_log_size{origin="example.org/log"} 1234
 * ```
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import type { ServedLog, ServedSearch } from '../served-log.js';

export const METRICS_PATH = '/metrics';
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** A registry for one server. */
export function createMetricsRegistry(): Registry {
  return new Registry();
}

/** Which bound of the HTTP listener triggered. */
export type RequestTimeoutPhase = 'headers' | 'body';

/** Counters of the HTTP listener's bounds (see http/listen.ts). */
export interface ListenerMetrics {
  connectionRefused(): void;
  requestTimedOut(phase: RequestTimeoutPhase): void;
  bodyTooLarge(how: 'declared' | 'chunked'): void;
}

/** The configured bounds of a listener, exposed as gauges. */
export interface ListenerLimits {
  readonly maxConnections: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

/** Registers the listener's limit gauges and trigger counters in `registry`. */
export function registerListenerMetrics(registry: Registry, limits: ListenerLimits): ListenerMetrics {
  const registers = [registry];
  new Gauge({ name: 'cairn_http_max_connections', help: 'Most concurrent connections the listener accepts.', registers })
    .set(limits.maxConnections);
  new Gauge({ name: 'cairn_http_headers_timeout_seconds', help: 'Most time for a request\'s headers to arrive.', registers })
    .set(limits.headersTimeoutMs / 1000);
  new Gauge({ name: 'cairn_http_request_timeout_seconds', help: 'Most time for a whole request (headers and body) to arrive.', registers })
    .set(limits.requestTimeoutMs / 1000);
  const refused = new Counter({
    name: 'cairn_http_connections_refused_total', help: 'Connections closed at once because the listener was at its connection cap.', registers,
  });
  const timeouts = new Counter({
    name: 'cairn_http_request_timeouts_total', help: 'Connections closed because a request did not arrive in time (408), by what was late.',
    labelNames: ['phase'] as const, registers,
  });
  const tooLarge = new Counter({
    name: 'cairn_http_bodies_too_large_total', help: 'Requests refused with 413, by how the body size showed (Content-Length or counted).',
    labelNames: ['how'] as const, registers,
  });
  // Present from the start at 0, so a rate() has a baseline.
  timeouts.labels('headers');
  timeouts.labels('body');
  tooLarge.labels('declared');
  tooLarge.labels('chunked');
  return {
    connectionRefused: () => refused.inc(),
    requestTimedOut: (phase) => timeouts.labels(phase).inc(),
    bodyTooLarge: (how) => tooLarge.labels(how).inc(),
  };
}

/** Registers the log node's figures (read from `node.status()` at each scrape) in `registry`. */
export function registerLogMetrics(registry: Registry, node: ServedLog): void {
  const registers = [registry];
  const origin = { origin: node.origin };
  const gauge = (name: string, help: string, value: (s: ReturnType<ServedLog['status']>) => number | bigint | undefined) =>
    new Gauge({
      name, help, labelNames: ['origin'] as const, registers,
      collect() {
        const v = value(node.status());
        this.reset();
        if (v !== undefined) this.set(origin, Number(v));
      },
    });
  gauge('cairn_log_size', 'Size of the latest signed checkpoint.', (s) => s.size);
  gauge('cairn_log_sequenced_size', 'Entries durably sequenced (acknowledged), integrated or not.', (s) => s.sequencedSize);
  gauge('cairn_log_queue_depth', 'Entries accepted but not yet in a signed checkpoint.', (s) => s.queueDepth);
  gauge('cairn_log_last_checkpoint_timestamp_seconds', 'When the latest checkpoint was signed.',
    (s) => (s.lastCheckpointTime === undefined ? 0 : s.lastCheckpointTime / 1000));
  gauge('cairn_log_halted', '1 when integration halted on an integrity failure.', (s) => (s.halted === undefined ? 0 : 1));
  const witnessed = (s: ReturnType<ServedLog['status']>) => s.cosignedSize !== undefined || (s.witnesses ?? []).length > 0;
  gauge('cairn_log_cosigned_size', 'Size of the newest checkpoint that met the witness quorum.', (s) => (witnessed(s) ? (s.cosignedSize ?? 0n) : undefined));
  gauge('cairn_log_quorum', 'Cosignatures required.', (s) => (witnessed(s) ? (s.quorum ?? 0) : undefined));
  gauge('cairn_log_alarms', 'Witness alarms raised since start (refusals, witness ahead, bad cosignatures).', (s) => (s.alarms ?? []).length);

  const witnessLabels = ['origin', 'witness', 'url'] as const;
  const perWitness = (w: { name: string; url: string }) => ({ origin: node.origin, witness: w.name, url: w.url });
  new Gauge({
    name: 'cairn_log_witness_cosigned_size', help: 'Largest size each witness cosigned in this process.', labelNames: witnessLabels, registers,
    collect() {
      this.reset();
      for (const w of node.status().witnesses ?? []) this.set(perWitness(w), Number(w.lastCosignedSize ?? 0n));
    },
  });
  new Gauge({
    name: 'cairn_log_witness_consecutive_failures', help: 'Failed exchanges in a row per witness.', labelNames: witnessLabels, registers,
    collect() {
      this.reset();
      for (const w of node.status().witnesses ?? []) this.set(perWitness(w), w.consecutiveFailures);
    },
  });
  new Counter({
    name: 'cairn_log_witness_backoffs_ended_total',
    help: 'Retry backoffs ended early because the witness was seen reachable again (by a TCP probe or a libp2p reconnect).',
    labelNames: [...witnessLabels, 'by'] as const, registers,
    collect() {
      this.reset();
      for (const w of node.status().witnesses ?? []) {
        const ended = w.backoffsEnded ?? { probe: 0, reconnect: 0 };
        this.inc({ ...perWitness(w), by: 'probe' }, ended.probe);
        this.inc({ ...perWitness(w), by: 'reconnect' }, ended.reconnect);
      }
    },
  });
}

/**
 * Registers the search index's figures (read from `search.indexState()` at each scrape): whether it
 * answers, its cursor, and its lag behind the signed log — what to alert on when it falls behind.
 */
export function registerSearchMetrics(registry: Registry, origin: string, search: ServedSearch): void {
  const status = search.indexState;
  if (status === undefined) return;
  const registers = [registry];
  const labels = { origin };
  let pending: ReturnType<NonNullable<ServedSearch['indexState']>> | undefined;
  // One status read per scrape, shared by the three gauges.
  const read = () => {
    pending ??= status.call(search).finally(() => queueMicrotask(() => { pending = undefined; }));
    return pending;
  };
  const gauge = (name: string, help: string, value: (s: Awaited<ReturnType<typeof read>>) => bigint | number | undefined) =>
    new Gauge({
      name, help, labelNames: ['origin'] as const, registers,
      async collect() {
        const v = value(await read());
        this.reset();
        if (v !== undefined) this.set(labels, Number(v));
      },
    });
  gauge('cairn_search_index_ready', '1 when the search index answers queries (0 while it opens or after it failed).', (s) => (s.state === 'ready' ? 1 : 0));
  gauge('cairn_search_index_cursor', 'First log index the search index has not looked at yet.', (s) => s.cursor);
  gauge('cairn_search_index_lag_entries', 'Signed log entries the search index has not looked at yet.', (s) => s.lag);
}

/** The exposition text of `registry`. */
export function metricsText(registry: Registry): Promise<string> {
  return registry.metrics();
}

/** The log's metrics text (the node's figures only; for tools that do not run a server). */
export function formatLogMetrics(node: ServedLog): Promise<string> {
  const r = createMetricsRegistry();
  registerLogMetrics(r, node);
  return r.metrics();
}

/** Serves `GET|HEAD /metrics` from `registry`; returns false for other paths. */
export async function serveMetrics(registry: Registry, req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
  if (pathname !== METRICS_PATH) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('method not allowed\n');
    return true;
  }
  const body = Buffer.from(await registry.metrics());
  res.writeHead(200, { 'Content-Type': METRICS_CONTENT_TYPE, 'Content-Length': String(body.length), 'Cache-Control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}
