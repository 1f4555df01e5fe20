/**
 * `@cairn/client/monitor` — the log monitor (Node only: it keeps its state in a directory and
 * hashes with node:crypto). {@link LogMonitor} follows one tiled log under a tlog-policy, one
 * pass at a time, and raises {@link Alarm}s: fork, rollback, lost-quorum, invalid-checkpoint,
 * bad-data, stall, sequence (an event leaf that breaks its source's contiguous numbering). `cairn monitor` is this engine plus argument handling and printing.
 *
 * @example
 * ```ts
 * import { loadPolicy } from '@cairn/client';
 * import { LogMonitor } from '@cairn/client/monitor';
 *
 * const monitor = await LogMonitor.open({
 *   policy: loadPolicy(policyText), url: 'http://127.0.0.1:8080', stateDir: './monitor-state',
 *   stallAfterMs: 3_600_000, io: { out: console.log, err: console.error },
 * });
 * const { alarms } = await monitor.pass();
 * ```
 */
export {
  LogMonitor,
  MAX_SEQUENCE_ALARMS,
  MONITOR_FETCH_TIMEOUT_MS,
  PROGRESS_MIN_ENTRIES,
  PROGRESS_SAVE_MS,
  type LogMonitorOptions,
  type MonitorIo,
  type MonitorProgress,
  type PassResult,
} from './engine.js';
export { followLog, pause, type FollowOptions } from './loop.js';
export {
  alarmFromError,
  alarmKindOf,
  EXIT_SEQUENCE,
  EXIT_STALLED,
  postAlarm,
  sequenceAlarm,
  WEBHOOK_ATTEMPTS,
  WEBHOOK_BACKOFF_MS,
  WEBHOOK_TIMEOUT_MS,
  type Alarm,
  type AlarmKind,
  type WebhookOptions,
} from './alarms.js';
export {
  loadMonitorState,
  MAX_MONITOR_STATE_BYTES,
  MONITOR_STATE_FILE,
  MAX_PENDING_FINDINGS,
  MONITOR_STATE_VERSION,
  MonitorStateError,
  saveMonitorState,
  trackedSources,
  writeFileAtomic,
  type MonitorState,
  type MonitorStateErrorCode,
  type OriginState,
} from './state.js';
export {
  describeFinding,
  MAX_SOURCES,
  SEQUENCE_PROBLEMS,
  SequenceCheck,
  type SequenceFinding,
  type SequenceMap,
  type SequenceProblem,
  type SourceSequence,
} from './sequences.js';
