/**
 * `cairn status --url URL`: what a running log or witness says about itself, through the typed
 * tRPC clients of `@cairn/client` and the servers' `status` procedures. Which kind of server it
 * is comes from which of the two status procedures answers (both live under `/trpc`).
 */
import { TRPCClientError } from '@trpc/client';
import { createLogClient, createWitnessClient, type LogClient, type WitnessClient } from '@cairn/client';
import { CommandFailure, defineCommand, EXIT_FAIL, EXIT_IO } from '../command.js';
import { caOption, parseUrlOption } from '../lib/options.js';
import { trustCa } from '../lib/tls.js';

/** Evidence records a witness status shows. */
export const STATUS_EVIDENCE_LIMIT = 10;
/** Alarms a log status shows in the table (all of them with --json). */
export const STATUS_ALARM_LINES = 10;

type LogStatus = Awaited<ReturnType<LogClient['log']['status']['query']>>;
type WitnessStatus = Awaited<ReturnType<WitnessClient['status']['query']>>;
type Checkpoint = Awaited<ReturnType<LogClient['log']['cosignedCheckpoint']['query']>>;
type Evidence = Awaited<ReturnType<WitnessClient['evidence']['query']>>;

/** What `status --json` prints for a log. */
export interface LogStatusReport {
  readonly kind: 'log';
  readonly url: string;
  readonly now: number;
  readonly status: LogStatus;
  /** The newest checkpoint that met the quorum (null without witnesses or before the first). */
  readonly cosigned: { size: string; time: number } | null;
}

/** What `status --json` prints for a witness. */
export interface WitnessStatusReport {
  readonly kind: 'witness';
  readonly url: string;
  readonly now: number;
  readonly status: WitnessStatus;
  readonly evidence: Evidence;
}

function httpStatusOf(e: unknown): number | undefined {
  if (!(e instanceof TRPCClientError)) return undefined;
  const s = (e.data as { httpStatus?: unknown } | undefined)?.httpStatus;
  return typeof s === 'number' ? s : undefined;
}

/** The innermost cause of a failed fetch ("ECONNREFUSED: connect …"), or undefined when the server answered. */
function transportCause(e: unknown): string | undefined {
  if (!(e instanceof TRPCClientError) || !(e.cause instanceof TypeError)) return undefined;
  let c: unknown = e.cause;
  let why = e.cause.message;
  for (let depth = 0; c instanceof Error && depth < 8; depth++, c = c.cause) {
    const code = (c as NodeJS.ErrnoException).code;
    why = typeof code === 'string' ? `${code}: ${c.message}` : c.message;
  }
  return why;
}

/** Asks `url` for its status as a log and as a witness; the one that answers says what it is. */
export async function fetchStatus(url: string): Promise<LogStatusReport | WitnessStatusReport> {
  const log = createLogClient(url);
  const witness = createWitnessClient(url);
  const [asLog, asWitness] = await Promise.allSettled([log.log.status.query(), witness.status.query()]);
  const now = Date.now();
  if (asLog.status === 'fulfilled') {
    let cosigned: LogStatusReport['cosigned'] = null;
    if (asLog.value.cosignedSize !== null) {
      try {
        const c: Checkpoint = await log.log.cosignedCheckpoint.query();
        cosigned = { size: c.size, time: c.time };
      } catch (e) {
        if (httpStatusOf(e) !== 404) throw remoteFailure(url, e);
      }
    }
    return { kind: 'log', url, now, status: asLog.value, cosigned };
  }
  if (asWitness.status === 'fulfilled') {
    const evidence = await witness.evidence.query({ limit: STATUS_EVIDENCE_LIMIT }).catch((e: unknown) => { throw remoteFailure(url, e); });
    return { kind: 'witness', url, now, status: asWitness.value, evidence };
  }
  // Neither answered. A transport failure is an I/O problem; two answers that are not a
  // status (an HTML page, a 404) mean this is not a Cairn server: EXIT_IO as well, the status
  // every command gives that cause (lib/trpc-errors.ts, docs/cli.md).
  for (const r of [asLog, asWitness]) {
    if (transportCause(r.reason) !== undefined) throw remoteFailure(url, r.reason);
  }
  const what = httpStatusOf(asLog.reason) !== undefined ? `HTTP ${httpStatusOf(asLog.reason)}` : (asLog.reason as Error).message;
  throw new CommandFailure(`${url}: neither a Cairn log nor a Cairn witness answered its status (${what}): not a Cairn server`, EXIT_IO);
}

function remoteFailure(url: string, e: unknown): CommandFailure {
  const transport = transportCause(e);
  if (transport !== undefined) return new CommandFailure(`cannot reach ${url}: ${transport}`, EXIT_IO);
  const status = httpStatusOf(e);
  return new CommandFailure(`${url}: ${(e as Error).message}${status === undefined ? '' : ` (HTTP ${status})`}`, EXIT_FAIL);
}

/** "12 s ago", "3 min ago", "2 h ago", "4 d ago" (never for undefined). */
export function age(thenMs: number | null | undefined, nowMs: number): string {
  if (thenMs === null || thenMs === undefined) return 'never';
  const s = Math.max(0, Math.round((nowMs - thenMs) / 1000));
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  if (s < 172_800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => { widths[i] = Math.max(widths[i] ?? 0, c.length); });
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

/** The human table of a log's status. */
export function formatLogStatus(r: LogStatusReport): string[] {
  const s = r.status;
  const stamp = (ms: number | null) => (ms === null ? 'never' : `${age(ms, r.now)} (${new Date(ms).toISOString()})`);
  const lines = table([
    ['server', `log at ${r.url}`],
    ['origin', s.origin],
    ['size', `${s.size} (sequenced ${s.sequencedSize})`],
    ['latest', stamp(s.lastCheckpointTime)],
    ['cosigned', s.quorum === null ? 'no witnesses configured'
      : r.cosigned === null ? `none yet (quorum ${s.quorum})` : `size ${r.cosigned.size}, ${stamp(r.cosigned.time)} (quorum ${s.quorum})`],
    ['queue', `${s.queueDepth} entries`],
    ['halted', s.halted ?? 'no'],
    ['alarms', String(s.alarms.length)],
    ...(s.searchIndex === null ? [] : [['search index', searchIndexLine(s.searchIndex)]]),
  ]);
  if (s.witnesses.length > 0) {
    lines.push('', 'witnesses:');
    lines.push(...table([
      ['  name', 'cosigned', 'last answer', 'failures', 'last error'],
      ...s.witnesses.map((w) => [`  ${w.name}`, w.lastCosignedSize ?? '-', age(w.lastSuccessTime, r.now),
        String(w.consecutiveFailures), w.lastError ?? '-']),
    ]));
  }
  if (s.alarms.length > 0) {
    lines.push('', `alarms (newest last${s.alarms.length > STATUS_ALARM_LINES ? `, ${STATUS_ALARM_LINES} of ${s.alarms.length}` : ''}):`);
    for (const a of s.alarms.slice(-STATUS_ALARM_LINES)) {
      lines.push(`  ${new Date(a.time).toISOString()}  ${a.name}  ${a.kind}  ${a.message}${a.evidenceId === null ? '' : `  evidence ${a.evidenceId}`}`);
    }
  }
  return lines;
}

/** The search index row: how far it has indexed, or why it does not answer. */
function searchIndexLine(i: NonNullable<LogStatus['searchIndex']>): string {
  if (i.state === 'ready') return `indexed to ${i.cursor} of ${i.size} (lag ${i.lag})`;
  if (i.state === 'starting') return 'opening (events.search answers 503 until ready)';
  return `failed: ${i.error ?? 'unknown error'}`;
}

/** The human table of a witness's status. */
export function formatWitnessStatus(r: WitnessStatusReport): string[] {
  const s = r.status;
  const lines = table([
    ['server', `witness at ${r.url}`],
    ['name', s.name],
    ['vkey', s.cosignatureVkey],
    ['held', s.held ?? 'no'],
    ['peers', s.p2p === null ? 'not on the witness network' : `${s.p2p.connectedPeers.length} connected (peer ID ${s.p2p.peerId})`],
    ['evidence', r.evidence.length === 0 ? 'none' : `${r.evidence.length}${r.evidence.length >= STATUS_EVIDENCE_LIMIT ? '+' : ''} records`],
  ]);
  lines.push('', 'logs:');
  lines.push(...table([
    ['  origin', 'size', 'cosigned', 'state'],
    ...s.logs.map((l) => [`  ${l.origin}`, l.size ?? '-',
      l.cosignedAt === null ? 'never' : age(Number(l.cosignedAt) * 1000, r.now),
      l.blocked !== null ? `blocked (evidence ${l.blocked.evidenceId})` : !l.configured ? 'not trusted now' : 'ok']),
  ]));
  if (r.evidence.length > 0) {
    lines.push('', 'evidence (newest first):');
    for (const e of r.evidence) lines.push(`  ${e.id}  ${e.origin}  ${e.kind}  ${e.proven ? 'proven' : 'unproven'}  ${e.recordedAt}`);
  }
  return lines;
}

export const status = defineCommand({
  name: 'status',
  summary: 'Show what a running log or witness reports: sizes, checkpoint ages, witnesses, queue, alarms, evidence',
  details: `
Asks URL for its status as a log and as a witness (tRPC \`log.status\` / \`status\` under /trpc)
and prints the one that answers: for a log its origin, size, the age of the latest and of the
cosigned checkpoint, each witness with its last answer, the queue depth, alarms and, with
\`log serve --search-index\`, how far behind the search index is; for a
witness its logs with their cosigned sizes, its peers and its latest evidence records.
--json prints the full report as one JSON object ({"kind":"log"|"witness", …}).
Exit codes: 0 it answered, 3 unreachable or not a Cairn server (as in every command), 1 the
server refused a request.`,
  options: {
    url: { type: 'string', required: true, value: 'URL', description: 'the log\'s or the witness\'s URL' },
    json: { type: 'boolean', description: 'print the report as one JSON object' },
    ...caOption,
  },
  async run({ values, io }) {
    await trustCa(values.ca);
    const url = parseUrlOption('--url', values.url!);
    const report = await fetchStatus(url);
    if (values.json) io.out(JSON.stringify(report));
    else for (const l of report.kind === 'log' ? formatLogStatus(report) : formatWitnessStatus(report)) io.out(l);
    return 0;
  },
});
