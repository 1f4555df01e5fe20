/** `cairn monitor`: follows a log under a trust policy and raises alarms (@cairn/client/monitor). */
import { MAX_POLICY_SIZE } from '@cairn/formats';
import { EXIT_CODES, EXIT_FETCH_FAILED, loadPolicy, VerifyError } from '@cairn/client';
import { EXIT_SEQUENCE, EXIT_STALLED, followLog, LogMonitor, MAX_SOURCES, MonitorStateError } from '@cairn/client/monitor';
import { CommandFailure, EXIT_IO, EXIT_USAGE, UsageError, defineCommand, type Io, type Values } from '../command.js';
import { readBounded } from '../lib/files.js';
import { caOption, parseIntOption, parseUrlOption } from '../lib/options.js';
import { trustCa } from '../lib/tls.js';
import { Progress } from '../lib/progress.js';
import { untilSignal } from '../lib/signals.js';
import { LOG_FORMAT_HELP, commandOutput, logFormatOption, parseLogFormat, type CommandOutput } from '../lib/log-output.js';

/** Default time between two polls of the log's checkpoint. */
export const DEFAULT_MONITOR_INTERVAL_MS = 5_000;
/** Default stall limit: no new checkpoint for an hour (a witness may lag up to about that). */
export const DEFAULT_STALL_AFTER_SECONDS = 3_600;

const options = {
  policy: { type: 'string', required: true, value: 'FILE', description: 'tlog-policy file (log key, witnesses, quorum)' },
  url: { type: 'string', required: true, value: 'URL', description: 'the log\'s tlog-tiles URL prefix (serves /checkpoint and /tile/...)' },
  state: { type: 'string', required: true, value: 'DIR', description: 'state directory: verified checkpoints and progress (created if absent)' },
  'alert-webhook': { type: 'string', value: 'URL', description: 'POST every alarm as JSON to this URL (5 s timeout, 3 attempts; refused: again at the next poll)' },
  'exit-on-alarm': { type: 'boolean', description: 'exit at the first alarm, with its exit status' },
  interval: { type: 'string', value: 'MS', description: `time between polls (default ${DEFAULT_MONITOR_INTERVAL_MS})` },
  'stall-after': { type: 'string', value: 'S', description: `alarm when no new checkpoint for S seconds (default ${DEFAULT_STALL_AFTER_SECONDS})` },
  once: { type: 'boolean', description: 'one pass, then exit: 0 when all is well' },
  ...caOption,
  ...logFormatOption,
} as const;

/** Parsed options of `cairn monitor` (every key present, undefined when not given). */
export type MonitorValues = Values<typeof options>;
/** The option names of `cairn monitor`. */
export const MONITOR_OPTION_NAMES = Object.keys(options) as (keyof typeof options)[];

function exitTable(): string {
  const rows: [number, string][] = [
    [0, 'all good (--once), or stopped by SIGINT/SIGTERM'],
    [EXIT_USAGE, 'usage error, or a state directory that does not verify under the policy'],
    [EXIT_FETCH_FAILED, 'the log could not be read (--once)'],
    [EXIT_CODES['quorum-not-met'], 'lost-quorum: the served checkpoint does not meet the policy quorum'],
    [EXIT_CODES['consistency-failed'], 'fork: a larger checkpoint not proven to extend the one verified'],
    [EXIT_CODES['stale-checkpoint'], 'rollback: a checkpoint smaller than one verified'],
    [EXIT_CODES.rollback, 'rollback: a witness cosigned an older tree after a newer one'],
    [EXIT_CODES.equivocation, 'fork: two checkpoints of one size with different roots'],
    [EXIT_CODES['bad-log-data'], 'bad-data: entry bundles or tiles are malformed, disagree with the checkpoint, or the log says its stored copy is corrupt'],
    [EXIT_STALLED, 'stall: no new checkpoint for longer than --stall-after'],
    [EXIT_SEQUENCE, 'sequence: an event leaf skips or repeats its source\'s seq, or is malformed; or too-many-sources'],
  ];
  rows.sort((a, b) => a[0] - b[0]);
  return rows.map(([n, w]) => `  ${String(n).padStart(3)}  ${w}`).join('\n') +
    '\n  (other verification failures: the codes of `cairn verify --help`)';
}

/** The command body, with the stop signal injectable for in-process tests. */
export async function runMonitor(
  values: Values<typeof options>,
  io: Io,
  until: () => Promise<string> = untilSignal,
  deps: { clock?: () => number; progressWrite?: (s: string) => void } = {},
): Promise<number> {
  const out = commandOutput(parseLogFormat(values['log-format']), io, deps.clock);
  const url = parseUrlOption('--url', values.url!);
  const webhook = values['alert-webhook'] === undefined ? undefined : parseUrlOption('--alert-webhook', values['alert-webhook']);
  const interval = values.interval === undefined ? DEFAULT_MONITOR_INTERVAL_MS : parseIntOption('--interval', values.interval, 10, 86_400_000);
  const stallAfter = values['stall-after'] === undefined ? DEFAULT_STALL_AFTER_SECONDS : parseIntOption('--stall-after', values['stall-after'], 1, 10 ** 8);
  let policy;
  try {
    policy = loadPolicy(await readBounded(values.policy!, MAX_POLICY_SIZE), values.policy!);
  } catch (e) {
    if (e instanceof VerifyError) throw new UsageError(e.message);
    throw e;
  }
  const write = deps.progressWrite ?? (out.format === 'json'
    ? (s: string) => { if (s.trim() !== '') out.logger.info(s.trim()); }
    : (s: string) => void process.stderr.write(s));
  let monitor: LogMonitor;
  try {
    monitor = await LogMonitor.open({
      policy, url, stateDir: values.state!, webhook, stallAfterMs: stallAfter * 1000, io: monitorIo(out, io),
      progress: (label, total) => new Progress(label, write, total),
      ...(deps.clock !== undefined ? { clock: deps.clock } : {}),
    });
  } catch (e) {
    if (e instanceof MonitorStateError) throw new CommandFailure(e.message, e.code === 'state-unreadable' ? EXIT_IO : EXIT_USAGE);
    throw e;
  }
  out.logger.info(`monitor: following ${url} under ${values.policy} (state in ${values.state}${values.once ? ', one pass' : `, every ${interval} ms`})`, { url });

  if (values.once) {
    const r = await monitor.pass();
    if (r.alarms.length > 0) return r.alarms[0]!.exitCode;
    if (r.fetchError !== undefined) throw new CommandFailure(`cannot read the log: ${r.fetchError.message}`, EXIT_FETCH_FAILED);
    return 0;
  }

  const stop = new AbortController();
  void until().then((why) => {
    out.logger.info(`monitor: stopping (${why})`, { signal: why });
    stop.abort();
  });
  const alarmed = await followLog(monitor, { intervalMs: interval, signal: stop.signal, exitOnAlarm: values['exit-on-alarm'] === true });
  if (alarmed !== undefined) {
    stop.abort();
    return alarmed.alarms[0]!.exitCode;
  }
  return 0;
}

/**
 * What the monitor engine prints, in --log-format: its report lines (stdout) unchanged; its
 * stderr lines as log records, an alarm (a JSON object) as an error record carrying the alarm's
 * fields, anything else as a warning.
 */
function monitorIo(out: CommandOutput, io: Io): Io {
  return {
    out: (line) => io.out(line),
    err: (line) => {
      if (line.startsWith('{')) {
        const alarm = JSON.parse(line) as Record<string, unknown>;
        out.logger.error(`alarm ${String(alarm['alarm'])}`, alarm);
      } else {
        out.logger.warn(line);
      }
    },
  };
}

export const monitor = defineCommand({
  name: 'monitor',
  summary: 'Follow a log: verify every checkpoint, tile and entry; alarm on forks, rollbacks, stalls, lost quorum, sequence gaps',
  details: `
Polls --url/checkpoint every --interval ms and verifies it under --policy (log signature, the
witness quorum, cosignature timestamps); checks that each new checkpoint extends every one seen
before (consistency proofs built from the log's tiles and checked against its signed root);
fetches every entry bundle and hash tile it has not verified yet and checks them against the
verified checkpoint (progress on standard error while catching up). A tile or bundle that is
malformed, or that the log answers is corrupt in its own storage, is bad data too.

Every event leaf (an entry beginning with cairn.dev/event-leaf/) must parse and carry the next
seq of its source, 0 for a new one: the contiguous numbering a search's completeness proof for
a source's seq range relies on. A malformed event leaf, a skipped seq (sequence-gap) or a seq
below the next one (sequence-repeat) is a sequence alarm, raised once the entries are verified
against the checkpoint, with the entry index, source, seq seen and expected, and the index of
the source's previous leaf. At most ${MAX_SOURCES} sources are tracked per state directory: the
first leaf of a source beyond that is a sequence alarm too (too-many-sources, once per log),
and leaves of sources first seen from there on are not checked. A search's completeness proof
for a source holds only while a monitor tracks the source.

--state keeps the latest verified checkpoint, how far the entries were verified, each
source's next seq and the sequence findings not raised yet (written atomically with fsync), so
a restart resumes, still detects forks and rollbacks against what it saw before, and raises
the findings a stop cut off. A state written before sequence checks makes
the monitor re-read the entries once, to check every source from seq 0.

Alarms: one error record each on standard error (with --log-format json one JSON object:
{"time", "level":"error", "msg":"alarm fork", "alarm":"fork"|"rollback"|"lost-quorum"|
"invalid-checkpoint"|"bad-data"|"stall"|"sequence", "code", "exitCode", "message",
"evidence": {both notes, sizes, proof, entry index, ...}, "field.time": the alarm's time}),
POSTed as JSON to --alert-webhook (with its time as "time"; an alarm the webhook did not
accept is raised again at the next poll while its cause stands), and kept in DIR/evidence/ for
forks and rollbacks. A "new checkpoint" for --stall-after is any verified note that differs
from the last one (a larger tree or fresh cosignatures). Without --exit-on-alarm the monitor
keeps running; SIGINT/SIGTERM stop it. With --once it makes one pass and exits with the status
of the first alarm, 3 if the log could not be read, 0 when all is well (for cron and tests).

The verification report (one line per new checkpoint and per verified range of entries) goes
to standard output as plain lines in either format; log records go to standard error.
${LOG_FORMAT_HELP}

Exit status:
${exitTable()}

Config file example (\`pnpm cairn monitor --config monitor.yaml\`):
  policy: policy.txt             # paths are relative to the file's directory
  url: http://127.0.0.1:8080
  state: monitor-state
  interval: 5000`,
  configFile: true,
  options,
  async run({ values, io }) {
    await trustCa(values.ca);
    return runMonitor(values, io);
  },
});
