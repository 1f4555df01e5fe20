/**
 * The persistent state of the log monitor (one JSON file in its state directory), so that a restarted
 * monitor resumes where it stopped: the latest verified checkpoint note per origin (re-verified
 * under the policy on load), when it was first seen (the stall clock), how far the log's
 * entries were verified (a Merkle frontier: size plus right-edge hashes, ≤ 64 of them), the
 * per-source sequence state of the event leaves among them (sequences.ts), and the sequence
 * findings among them not yet raised.
 *
 * ```json
 * {"version":3,"logs":{"demo.cairn.local/audit":{
 *   "checkpoint":"demo.cairn.local/audit\n5\n…\n\n— demo.cairn.local/audit …\n",
 *   "seenAt":1767225600000,
 *   "leaves":{"size":"5","rightEdge":["<base64>","<base64>"]},
 *   "sequences":{"bastion":["2","4"],"k8s":["1","2"]},
 *   "progress":{"size":"3","rightEdge":["…","…"]},
 *   "progressSequences":{"bastion":["1","1"]},
 *   "pending":[{"code":"sequence-gap","index":"4","source":"k8s","seq":"2","expected":"1","previousIndex":"2"}],
 *   "untrackedFrom":"7"}}}
 * ```
 *
 * `leaves` is confirmed (its root matched a verified checkpoint); `sequences` maps each source
 * seen among those entries to `[next seq, index of its last leaf]`. `progress`, when present, is a
 * frontier reached while catching up, confirmed only when the pass completes;
 * `progressSequences` comes with it and holds only the sources whose state differs there.
 * `pending` holds the sequence findings in the confirmed entries that were not raised yet (or
 * whose webhook delivery failed): they are saved with the frontier that moves past them and
 * dropped only once raised, so a crash between the two, or a webhook that is down, does not lose
 * them (at most {@link MAX_PENDING_FINDINGS}). `untrackedFrom` is the index of the first leaf of
 * a source the state had no room for (the `too-many-sources` finding, made once per log).
 * The file is written without indentation (one line: with many sources it is most of the
 * state); at most {@link MAX_SOURCES} sources in all, and {@link MAX_MONITOR_STATE_BYTES}.
 *
 * A version-2 state (before `pending` and `untrackedFrom`) is read as having neither.
 * A version-1 state (written before the sequence check) has no `sequences`: it is read with its
 * entries marked unverified (`leaves` back to the empty tree, `reverify` set to the size it had)
 * so that the monitor re-reads them all once and checks every source from seq 0 — a check that
 * started at the saved frontier could not tell a gap in a source's first leaves after it. Its
 * checkpoint is kept, so forks and rollbacks are still caught against it.
 *
 * Writes are atomic: a temporary file is written and fsync'd, renamed over the state file, and
 * the directory is fsync'd, so a crash leaves either the old or the new state (the frontier and
 * its sequence state always together).
 */
import { mkdir, open, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeBase64Strict, encodeBase64, MAX_NOTE_SIZE } from '@cairn/formats';
import { ClientError } from '../errors.js';
import { isValidSourceId } from '@cairn/events';
import { EMPTY_FRONTIER, type LeafFrontier } from '../tail.js';
import { MAX_SOURCES, SEQUENCE_PROBLEMS, type SequenceFinding, type SequenceProblem, type SourceSequence } from './sequences.js';

/** Why a monitor state could not be used: unreadable (I/O), invalid, or not under this policy. */
export type MonitorStateErrorCode = 'state-unreadable' | 'state-invalid' | 'state-mismatch';

/** The monitor's state directory cannot be used as it is; the message says what to do. */
export class MonitorStateError extends ClientError {
  declare readonly code: MonitorStateErrorCode;
  constructor(code: MonitorStateErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'MonitorStateError';
  }
}

/** File name of the state inside the state directory. */
export const MONITOR_STATE_FILE = 'monitor.json';
/** Largest state file accepted (a few KB per origin plus ≤ 120 bytes per source, twice while catching up). */
export const MAX_MONITOR_STATE_BYTES = 32 * 1024 * 1024;
/** The version of the state file written. */
export const MONITOR_STATE_VERSION = 3;
/** Most sequence findings kept per origin while not raised (further ones are counted and said). */
export const MAX_PENDING_FINDINGS = 1_000;
/** Most origins kept in one state file. */
const MAX_ORIGINS = 256;

/** What the monitor remembers about one log origin. */
export interface OriginState {
  /** The latest verified checkpoint note, exactly as served. */
  checkpoint: string;
  /** When that note was first seen, ms since the epoch. */
  seenAt: number;
  /** Leaves verified and confirmed against a verified checkpoint. */
  leaves: LeafFrontier;
  /** Per source among the `leaves.size` entries verified: next seq, index of its last leaf. */
  sequences: Map<string, SourceSequence>;
  /** Leaves hashed while catching up, not yet confirmed (resume point). */
  progress?: LeafFrontier | undefined;
  /** With `progress`: the sources whose sequence state differs at `progress.size`. */
  progressSequences?: Map<string, SourceSequence> | undefined;
  /** Sequence findings in the confirmed entries not raised (or not delivered) yet, in index order. */
  pending?: SequenceFinding[] | undefined;
  /** The index of the first leaf of a source beyond the bound on sources (`too-many-sources` was found there). */
  untrackedFrom?: bigint | undefined;
  /** Not saved: set on loading a version-1 state, the entries it had verified (now to re-read). */
  reverify?: bigint | undefined;
}

export interface MonitorState {
  logs: Map<string, OriginState>;
}

const DECIMAL = /^(0|[1-9][0-9]{0,18})$/;
/** Most right-edge hashes of a frontier (one per bit of a 64-bit size). */
const MAX_RIGHT_EDGE = 64;

type Obj = Record<string, unknown>;

function fields(v: unknown, where: string, allowed: readonly string[]): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${where}: not an object`);
  for (const k of Object.keys(v)) if (!allowed.includes(k)) throw new Error(`${where}.${k}: unknown field`);
  return v as Obj;
}

function frontierIn(v: unknown, where: string): LeafFrontier {
  const f = fields(v, where, ['size', 'rightEdge']);
  if (typeof f['size'] !== 'string' || !DECIMAL.test(f['size'])) throw new Error(`${where}.size: not a canonical decimal`);
  const edge = f['rightEdge'];
  if (!Array.isArray(edge) || edge.length > MAX_RIGHT_EDGE) throw new Error(`${where}.rightEdge: not a list of at most ${MAX_RIGHT_EDGE} hashes`);
  return {
    size: BigInt(f['size']),
    rightEdge: edge.map((h, i) => {
      if (typeof h !== 'string' || h.length !== 44) throw new Error(`${where}.rightEdge.${i}: not a base64 hash`);
      return decodeBase64Strict(h, 32);
    }),
  };
}

/** The largest `next` a source can have: one past the largest seq (2^63 − 1). */
const MAX_NEXT = 1n << 63n;

function sequencesIn(v: unknown, where: string, size: bigint): Map<string, SourceSequence> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${where}: not an object`);
  const out = new Map<string, SourceSequence>();
  for (const [source, pair] of Object.entries(v)) {
    if (!isValidSourceId(source)) throw new Error(`${where}: "${String(source).slice(0, 70)}" is not a source id`);
    if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((x) => typeof x === 'string' && DECIMAL.test(x))) {
      throw new Error(`${where}.${source}: not [next seq, last index] as canonical decimals`);
    }
    const [next, last] = [BigInt(pair[0] as string), BigInt(pair[1] as string)];
    if (next < 1n || next > MAX_NEXT) throw new Error(`${where}.${source}: next seq ${next} out of range 1..2^63`);
    if (last >= size) throw new Error(`${where}.${source}: last index ${last} is not below the ${size} entries it covers`);
    out.set(source, { next, last });
  }
  return out;
}

const FINDING_NUMBERS = ['index', 'seq', 'expected', 'previousIndex', 'limit'] as const;

function findingsIn(v: unknown, where: string, size: bigint): SequenceFinding[] {
  if (!Array.isArray(v) || v.length > MAX_PENDING_FINDINGS) throw new Error(`${where}: not a list of at most ${MAX_PENDING_FINDINGS} findings`);
  return v.map((x, i) => {
    const at = `${where}.${i}`;
    const f = fields(x, at, ['code', ...FINDING_NUMBERS, 'source', 'problem']);
    if (!SEQUENCE_PROBLEMS.includes(f['code'] as SequenceProblem)) throw new Error(`${at}.code: not one of ${SEQUENCE_PROBLEMS.join(', ')}`);
    const out: Record<string, unknown> = { code: f['code'] };
    for (const k of FINDING_NUMBERS) {
      const n = f[k];
      if (n === undefined) continue;
      if (typeof n !== 'string' || !DECIMAL.test(n)) throw new Error(`${at}.${k}: not a canonical decimal`);
      out[k] = BigInt(n);
    }
    if (out['index'] === undefined) throw new Error(`${at}.index: missing`);
    if ((out['index'] as bigint) >= size) throw new Error(`${at}.index: not below the ${size} entries verified`);
    if (f['source'] !== undefined) {
      if (typeof f['source'] !== 'string' || !isValidSourceId(f['source'])) throw new Error(`${at}.source: not a source id`);
      out['source'] = f['source'];
    }
    if (f['problem'] !== undefined) {
      if (typeof f['problem'] !== 'string' || f['problem'].length > 1024) throw new Error(`${at}.problem: not a text of at most 1024 characters`);
      out['problem'] = f['problem'];
    }
    return out as unknown as SequenceFinding;
  });
}

function findingsOut(fs: readonly SequenceFinding[]): Record<string, string>[] {
  return fs.map((f) => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(f)) if (v !== undefined) out[k] = String(v);
    return out;
  });
}

const ORIGIN_FIELDS: Record<number, readonly string[]> = {
  1: ['checkpoint', 'seenAt', 'leaves', 'progress'],
  2: ['checkpoint', 'seenAt', 'leaves', 'sequences', 'progress', 'progressSequences'],
  3: ['checkpoint', 'seenAt', 'leaves', 'sequences', 'progress', 'progressSequences', 'pending', 'untrackedFrom'],
};

function originIn(v: unknown, where: string, version: number): OriginState {
  const s = fields(v, where, ORIGIN_FIELDS[version]!);
  const cp = s['checkpoint'];
  if (typeof cp !== 'string' || cp.length === 0 || cp.length > MAX_NOTE_SIZE) throw new Error(`${where}.checkpoint: not a note of at most ${MAX_NOTE_SIZE} characters`);
  const seenAt = s['seenAt'];
  if (typeof seenAt !== 'number' || !Number.isSafeInteger(seenAt) || seenAt < 0) throw new Error(`${where}.seenAt: not a non-negative integer`);
  const leaves = frontierIn(s['leaves'], `${where}.leaves`);
  const progress = s['progress'] !== undefined ? frontierIn(s['progress'], `${where}.progress`) : undefined;
  if (version === 1) {
    return { checkpoint: cp, seenAt, leaves: EMPTY_FRONTIER, sequences: new Map(), ...(leaves.size > 0n ? { reverify: leaves.size } : {}) };
  }
  if (s['sequences'] === undefined) throw new Error(`${where}.sequences: missing`);
  if ((progress === undefined) !== (s['progressSequences'] === undefined)) throw new Error(`${where}: progress and progressSequences come together`);
  if (progress !== undefined && progress.size < leaves.size) throw new Error(`${where}.progress: behind leaves`);
  const untrackedFrom = s['untrackedFrom'];
  if (untrackedFrom !== undefined && (typeof untrackedFrom !== 'string' || !DECIMAL.test(untrackedFrom) || BigInt(untrackedFrom) >= leaves.size)) {
    throw new Error(`${where}.untrackedFrom: not a canonical decimal below the ${leaves.size} entries verified`);
  }
  return {
    checkpoint: cp,
    seenAt,
    leaves,
    sequences: sequencesIn(s['sequences'], `${where}.sequences`, leaves.size),
    ...(progress !== undefined ? { progress, progressSequences: sequencesIn(s['progressSequences'], `${where}.progressSequences`, progress.size) } : {}),
    ...(s['pending'] !== undefined ? { pending: findingsIn(s['pending'], `${where}.pending`, leaves.size) } : {}),
    ...(untrackedFrom !== undefined ? { untrackedFrom: BigInt(untrackedFrom) } : {}),
  };
}

/** Sources tracked for one origin: the confirmed ones and those first seen while catching up. */
export function trackedSources(s: OriginState): number {
  let n = s.sequences.size;
  for (const k of s.progressSequences?.keys() ?? []) if (!s.sequences.has(k)) n++;
  return n;
}

function sequencesOut(m: ReadonlyMap<string, SourceSequence>): Record<string, [string, string]> {
  const out: Record<string, [string, string]> = {};
  for (const [source, { next, last }] of m) out[source] = [next.toString(), last.toString()];
  return out;
}

function frontierOut(f: LeafFrontier): { size: string; rightEdge: string[] } {
  return { size: f.size.toString(), rightEdge: f.rightEdge.map(encodeBase64) };
}

/** Reads the state in `dir` (empty state if there is none yet); creates `dir` if needed. */
export async function loadMonitorState(dir: string): Promise<MonitorState> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, MONITOR_STATE_FILE);
  let text: string;
  try {
    const st = await stat(path);
    if (st.size > MAX_MONITOR_STATE_BYTES) throw new MonitorStateError('state-invalid', `${path} is larger than ${MAX_MONITOR_STATE_BYTES} bytes`);
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { logs: new Map() };
    if (e instanceof MonitorStateError) throw e;
    throw new MonitorStateError('state-unreadable', `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    const doc = fields(JSON.parse(text), 'state', ['version', 'logs']);
    const version = doc['version'];
    if (version !== 1 && version !== 2 && version !== MONITOR_STATE_VERSION) throw new Error(`version: not 1, 2 or ${MONITOR_STATE_VERSION}`);
    const entries = Object.entries(fields(doc['logs'], 'logs', Object.keys(doc['logs'] ?? {})));
    if (entries.length > MAX_ORIGINS) throw new Error(`more than ${MAX_ORIGINS} origins`);
    const logs = new Map<string, OriginState>();
    let sources = 0;
    for (const [origin, s] of entries) {
      if (origin.length === 0 || origin.length > 1024) throw new Error('logs: an origin of 1..1024 characters');
      const st = originIn(s, `logs.${origin}`, version);
      sources += trackedSources(st);
      if (sources > MAX_SOURCES) throw new Error(`more than ${MAX_SOURCES} sources`);
      logs.set(origin, st);
    }
    return { logs };
  } catch (e) {
    throw new MonitorStateError('state-invalid', `${path} is not a valid monitor state (${(e as Error).message}); move it away to start over (this forgets what was verified)`, { cause: e });
  }
}

/** Writes the state atomically (temporary file + fsync + rename + directory fsync). */
export async function saveMonitorState(dir: string, state: MonitorState): Promise<void> {
  const logs: Record<string, unknown> = {};
  for (const [origin, s] of [...state.logs.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    logs[origin] = {
      checkpoint: s.checkpoint,
      seenAt: s.seenAt,
      leaves: frontierOut(s.leaves),
      sequences: sequencesOut(s.sequences),
      ...(s.progress !== undefined ? { progress: frontierOut(s.progress), progressSequences: sequencesOut(s.progressSequences ?? new Map()) } : {}),
      ...(s.pending !== undefined && s.pending.length > 0 ? { pending: findingsOut(s.pending) } : {}),
      ...(s.untrackedFrom !== undefined ? { untrackedFrom: s.untrackedFrom.toString() } : {}),
    };
  }
  await writeFileAtomic(join(dir, MONITOR_STATE_FILE), JSON.stringify({ version: MONITOR_STATE_VERSION, logs }) + '\n', dir);
}

/** Writes `text` to `path` atomically and durably (`dir` is the directory holding it). */
export async function writeFileAtomic(path: string, text: string, dir: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
