/**
 * The persistent state of `cairn monitor` (one JSON file in --state DIR), so that a restarted
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
import { z } from 'zod';
import { decodeBase64Strict, encodeBase64, MAX_NOTE_SIZE } from '@cairn/formats';
import type { LeafFrontier } from '@cairn/client';
import { CommandFailure, EXIT_IO, EXIT_USAGE } from '../command.js';
import { fsyncDir } from './files.js';

/** File name of the state inside --state DIR. */
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

const decimal = z.string().regex(/^(0|[1-9][0-9]{0,18})$/);
const hash = z.string().length(44);
const frontierSchema = z.strictObject({ size: decimal, rightEdge: z.array(hash).max(64) });
const fileSchema = z.strictObject({
  version: z.literal(1),
  logs: z.record(
    z.string().min(1).max(1024),
    z.strictObject({
      checkpoint: z.string().min(1).max(MAX_NOTE_SIZE),
      seenAt: z.number().int().nonnegative(),
      leaves: frontierSchema,
      progress: frontierSchema.optional(),
    }),
  ),
});

function frontierIn(f: z.infer<typeof frontierSchema>): LeafFrontier {
  return { size: BigInt(f.size), rightEdge: f.rightEdge.map((h) => decodeBase64Strict(h, 32)) };
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
    if (st.size > MAX_MONITOR_STATE_BYTES) throw new CommandFailure(`${path} is larger than ${MAX_MONITOR_STATE_BYTES} bytes`, EXIT_USAGE);
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { logs: new Map() };
    if (e instanceof CommandFailure) throw e;
    throw new CommandFailure(`cannot read ${path}: ${(e as Error).message}`, EXIT_IO);
  }
  let parsed: z.infer<typeof fileSchema>;
  try {
    parsed = fileSchema.parse(JSON.parse(text));
    if (Object.keys(parsed.logs).length > MAX_ORIGINS) throw new Error(`more than ${MAX_ORIGINS} origins`);
    const logs = new Map<string, OriginState>();
    for (const [origin, s] of Object.entries(parsed.logs)) {
      logs.set(origin, {
        checkpoint: s.checkpoint,
        seenAt: s.seenAt,
        leaves: frontierIn(s.leaves),
        ...(s.progress !== undefined ? { progress: frontierIn(s.progress) } : {}),
      });
    }
    return { logs };
  } catch (e) {
    const why = e instanceof z.ZodError ? e.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : (e as Error).message;
    throw new CommandFailure(`${path} is not a valid monitor state (${why}); move it away to start over (this forgets what was verified)`, EXIT_USAGE);
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
  await fsyncDir(dir);
}
