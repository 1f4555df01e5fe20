/**
 * The persistent state of the log monitor (one JSON file in its state directory), so that a restarted
 * monitor resumes where it stopped: the latest verified checkpoint note per origin (re-verified
 * under the policy on load), when it was first seen (the stall clock), and how far the log's
 * entries were verified (a Merkle frontier: size plus right-edge hashes, ≤ 64 of them).
 *
 * ```json
 * {"version":1,"logs":{"demo.cairn.local/audit":{
 *   "checkpoint":"demo.cairn.local/audit\n5\n…\n\n— demo.cairn.local/audit …\n",
 *   "seenAt":1767225600000,
 *   "leaves":{"size":"5","rightEdge":["<base64>","<base64>"]},
 *   "progress":{"size":"3","rightEdge":["…","…"]}}}}
 * ```
 *
 * `leaves` is confirmed (its root matched a verified checkpoint); `progress`, when present, is a
 * frontier reached while catching up, confirmed only when the pass completes. Writes are atomic:
 * a temporary file is written and fsync'd, renamed over the state file, and the directory is
 * fsync'd, so a crash leaves either the old or the new state.
 */
import { mkdir, open, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeBase64Strict, encodeBase64, MAX_NOTE_SIZE } from '@cairn/formats';
import { ClientError } from '../errors.js';
import type { LeafFrontier } from '../tail.js';

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
/** Largest state file accepted (a few KB per origin in practice). */
export const MAX_MONITOR_STATE_BYTES = 4 * 1024 * 1024;
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
  /** Leaves hashed while catching up, not yet confirmed (resume point). */
  progress?: LeafFrontier | undefined;
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

function originIn(v: unknown, where: string): OriginState {
  const s = fields(v, where, ['checkpoint', 'seenAt', 'leaves', 'progress']);
  const cp = s['checkpoint'];
  if (typeof cp !== 'string' || cp.length === 0 || cp.length > MAX_NOTE_SIZE) throw new Error(`${where}.checkpoint: not a note of at most ${MAX_NOTE_SIZE} characters`);
  const seenAt = s['seenAt'];
  if (typeof seenAt !== 'number' || !Number.isSafeInteger(seenAt) || seenAt < 0) throw new Error(`${where}.seenAt: not a non-negative integer`);
  return {
    checkpoint: cp,
    seenAt,
    leaves: frontierIn(s['leaves'], `${where}.leaves`),
    ...(s['progress'] !== undefined ? { progress: frontierIn(s['progress'], `${where}.progress`) } : {}),
  };
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
    if (doc['version'] !== 1) throw new Error('version: not 1');
    const entries = Object.entries(fields(doc['logs'], 'logs', Object.keys(doc['logs'] ?? {})));
    if (entries.length > MAX_ORIGINS) throw new Error(`more than ${MAX_ORIGINS} origins`);
    const logs = new Map<string, OriginState>();
    for (const [origin, s] of entries) {
      if (origin.length === 0 || origin.length > 1024) throw new Error('logs: an origin of 1..1024 characters');
      logs.set(origin, originIn(s, `logs.${origin}`));
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
      ...(s.progress !== undefined ? { progress: frontierOut(s.progress) } : {}),
    };
  }
  await writeFileAtomic(join(dir, MONITOR_STATE_FILE), JSON.stringify({ version: 1, logs }, null, 1) + '\n', dir);
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
