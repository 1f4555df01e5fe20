/**
 * `GET /metrics` on the log server: the operator's view in the Prometheus text exposition
 * format (version 0.0.4), from the node's status — the figures an on-call engineer alerts on:
 * tree size vs sequenced size (integration lag), queue depth (back-pressure), the cosigned size
 * and each witness's consecutive failures (lost quorum), alarms, and a halted integrator.
 *
 * ```
 * # HELP cairn_log_size Size of the latest signed checkpoint.
 * # TYPE cairn_log_size gauge
 * cairn_log_size 1234
 * ```
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServedLog } from '../served-log.js';

export const METRICS_PATH = '/metrics';
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** A label value escaped per the exposition format (backslash, quote, newline). */
function label(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** The metrics text for one log node (pure: status in, text out). */
export function formatLogMetrics(node: ServedLog): string {
  const s = node.status();
  const out: string[] = [];
  const gauge = (name: string, help: string, samples: [string, number | bigint][]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const [labels, v] of samples) out.push(`${name}${labels} ${v.toString()}`);
  };
  const origin = `{origin="${label(node.origin)}"}`;
  gauge('cairn_log_size', 'Size of the latest signed checkpoint.', [[origin, s.size]]);
  gauge('cairn_log_sequenced_size', 'Entries durably sequenced (acknowledged), integrated or not.', [[origin, s.sequencedSize]]);
  gauge('cairn_log_queue_depth', 'Entries accepted but not yet in a signed checkpoint.', [[origin, s.queueDepth]]);
  gauge('cairn_log_last_checkpoint_timestamp_seconds', 'When the latest checkpoint was signed.',
    [[origin, s.lastCheckpointTime === undefined ? 0 : s.lastCheckpointTime / 1000]]);
  gauge('cairn_log_halted', '1 when integration halted on an integrity failure.', [[origin, s.halted === undefined ? 0 : 1]]);
  if (s.cosignedSize !== undefined || (s.witnesses ?? []).length > 0) {
    gauge('cairn_log_cosigned_size', 'Size of the newest checkpoint that met the witness quorum.', [[origin, s.cosignedSize ?? 0n]]);
    gauge('cairn_log_quorum', 'Cosignatures required.', [[origin, s.quorum ?? 0]]);
    const ws = s.witnesses ?? [];
    const wl = (w: { name: string; url: string }) => `{origin="${label(node.origin)}",witness="${label(w.name)}",url="${label(w.url)}"}`;
    gauge('cairn_log_witness_cosigned_size', 'Largest size each witness cosigned in this process.', ws.map((w) => [wl(w), w.lastCosignedSize ?? 0n]));
    gauge('cairn_log_witness_consecutive_failures', 'Failed exchanges in a row per witness.', ws.map((w) => [wl(w), w.consecutiveFailures]));
  }
  gauge('cairn_log_alarms', 'Witness alarms raised since start (refusals, witness ahead, bad cosignatures).', [[origin, (s.alarms ?? []).length]]);
  return out.join('\n') + '\n';
}

/** Serves `GET|HEAD /metrics`; returns false for other paths. */
export function serveLogMetrics(node: ServedLog, req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
  if (pathname !== METRICS_PATH) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('method not allowed\n');
    return true;
  }
  const body = Buffer.from(formatLogMetrics(node));
  res.writeHead(200, { 'Content-Type': METRICS_CONTENT_TYPE, 'Content-Length': String(body.length), 'Cache-Control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}
