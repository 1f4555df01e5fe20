/**
 * The log monitor (the engine of `cairn monitor`): follows one tiled log (c2sp.org/tlog-tiles at --url) under a
 * tlog-policy, one {@link LogMonitor.pass} at a time:
 *
 * 1. fetch `<url>/checkpoint` and verify it under the policy (log signature, witness quorum,
 *    cosignature timestamps) — failures raise `lost-quorum` / `invalid-checkpoint`;
 * 2. check it against the newest checkpoint verified before for its origin (CheckpointTracker,
 *    with a consistency proof built from the log's tiles and checked against the new root) —
 *    `fork` (same size, other root; or not provably append-only), `rollback` (smaller; or a
 *    witness going backwards);
 * 3. persist the note (atomically) so a restart resumes and keeps detecting forks and rollbacks;
 * 4. fetch and verify every entry bundle and hash tile not verified before (verifyNewLeaves),
 *    persisting the frontier as it goes — `bad-data` when they are malformed, disagree with the
 *    checkpoint, or the log answers that its stored copy failed its integrity check (evidence:
 *    the tile path and the problem);
 *    While doing so it checks every event leaf among the new entries against its source's
 *    sequence (sequences.ts) — `sequence` when one is malformed, skips a seq or repeats one, or
 *    when its source is one too many for the state (`too-many-sources`, once per log). The
 *    sequence state is saved with the frontier it belongs to, and the findings in the entries
 *    confirmed (their root is the checkpoint's, so each names a leaf of a signed tree) are saved
 *    with it as pending; a catch-up point past a finding is not saved, so a monitor stopped
 *    before then finds it again;
 * 5. raise the pending findings of every origin followed, and drop each from the state once it
 *    is raised (and delivered, with a webhook): a monitor that stops in between raises them after
 *    a restart — at least once, exactly once unless it stops after printing and before that save;
 * 6. `stall` when no new checkpoint (a different verified note) was seen for longer than the
 *    stall limit (once per stall; a new checkpoint re-arms it).
 *
 * Alarms print as one JSON line on the error output, go to the webhook, and are returned to the
 * caller (which decides about exiting). One alarm per distinct cause: serving the same forked
 * note again does not repeat it. An alarm the webhook did not accept (after its attempts) is
 * raised again at the next pass while its cause stands — for every kind: a fork, rollback or bad
 * data is found again, a stall is re-armed, a sequence finding stays pending in the state (so a
 * restarted monitor raises it too). Fetch failures are not alarms (they are reported and
 * returned; a log that stays unreachable ends up stalled).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { nodeBackend } from '@cairn/merkle/node';
import type { Policy } from '@cairn/formats';
import { verifyCheckpoint, type VerifiedCheckpoint } from '../checkpoint.js';
import { CheckpointTracker } from '../tracker.js';
import { FetchError, VerifyError } from '../errors.js';
import { EMPTY_FRONTIER, verifyNewLeaves, type LeafFrontier } from '../tail.js';
import { createTilesFetcher, type TilesFetcher } from '../tiles.js';
import { alarmFromError, alarmKindOf, EXIT_STALLED, postAlarm, sequenceAlarm, type Alarm, type WebhookOptions } from './alarms.js';
import { MAX_SOURCES, SequenceCheck, type SequenceFinding } from './sequences.js';
import { loadMonitorState, MAX_PENDING_FINDINGS, MonitorStateError, saveMonitorState, trackedSources, writeFileAtomic, type MonitorState, type OriginState } from './state.js';

/** Where the monitor writes its lines: results on `out`, diagnostics and alarms on `err`. */
export interface MonitorIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** A progress display for a long catch-up (the CLI draws a line on standard error). */
export interface MonitorProgress {
  add(n: number): void;
  done(): void;
}

const NO_PROGRESS: MonitorProgress = { add: () => {}, done: () => {} };

/** Minimum time between two saves of the catch-up frontier. */
export const PROGRESS_SAVE_MS = 2_000;
/** Catching up on fewer entries than this shows no progress line. */
export const PROGRESS_MIN_ENTRIES = 4_096;
/** Time allowed per HTTP attempt to the log. */
export const MONITOR_FETCH_TIMEOUT_MS = 10_000;
/** Most sequence alarms raised for one range of entries (a log lying on every leaf is counted past it). */
export const MAX_SEQUENCE_ALARMS = 100;

export interface LogMonitorOptions {
  readonly policy: Policy;
  readonly url: string;
  readonly stateDir: string;
  readonly webhook?: string | undefined;
  /** Raise `stall` when no new checkpoint was seen for longer than this. */
  readonly stallAfterMs: number;
  readonly io: MonitorIo;
  /** Starts a progress display for catching up on `total` entries (none when absent). */
  readonly progress?: (label: string, total: number) => MonitorProgress;
  /** The clock, ms since the epoch (injected for tests). */
  readonly clock?: () => number;
  readonly fetch?: typeof globalThis.fetch;
  readonly webhookOptions?: WebhookOptions;
  /** Most sources tracked in the state directory (default {@link MAX_SOURCES}; lower in tests). */
  readonly maxSources?: number;
}

/** The outcome of one pass. */
export interface PassResult {
  readonly alarms: Alarm[];
  /** Set when the log could not be read (nothing about its honesty follows). */
  readonly fetchError?: FetchError;
  /** The newest verified checkpoint after the pass, if any. */
  readonly latest?: VerifiedCheckpoint;
}

const sha = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 16);

export class LogMonitor {
  readonly #o: LogMonitorOptions;
  readonly #tiles: TilesFetcher;
  readonly #tracker: CheckpointTracker;
  readonly #state: MonitorState;
  readonly #clock: () => number;
  readonly #raised = new Set<string>();
  /** The key in #raised of each alarm of the pass under way (`stall` for a stall). */
  readonly #keys = new WeakMap<Alarm, string>();
  readonly #evidenceKept = new Set<string>();
  readonly #startedAt: number;
  #stallArmedAt: number | undefined;
  #lastSave = 0;
  #warnedFull = false;

  private constructor(o: LogMonitorOptions, state: MonitorState, tracker: CheckpointTracker) {
    this.#o = o;
    this.#state = state;
    this.#tracker = tracker;
    this.#clock = o.clock ?? Date.now;
    this.#startedAt = this.#clock();
    this.#tiles = createTilesFetcher(o.url, { timeoutMs: MONITOR_FETCH_TIMEOUT_MS, retries: 2, ...(o.fetch !== undefined ? { fetch: o.fetch } : {}) });
  }

  /** Loads (and re-verifies under the policy) the state in `stateDir`. */
  static async open(o: LogMonitorOptions): Promise<LogMonitor> {
    const state = await loadMonitorState(o.stateDir);
    const now = Math.floor((o.clock ?? Date.now)() / 1000);
    const verified: VerifiedCheckpoint[] = [];
    for (const [origin, s] of state.logs) {
      let cp: VerifiedCheckpoint;
      try {
        cp = verifyCheckpoint(s.checkpoint, o.policy, { now, origin });
      } catch (e) {
        if (!(e instanceof VerifyError)) throw e;
        throw new MonitorStateError(
          'state-mismatch',
          `the checkpoint of ${origin} saved in ${o.stateDir} does not verify under this policy (${e.code}: ${e.message}); ` +
            'use the policy it was verified with, or another state directory',
          { cause: e },
        );
      }
      if (s.leaves.size > cp.size || (s.progress !== undefined && s.progress.size > cp.size)) {
        throw new MonitorStateError('state-invalid', `the monitor state of ${origin} in ${o.stateDir} verified more entries than its checkpoint has`);
      }
      verified.push(cp);
      if (s.reverify !== undefined) {
        o.io.err(`monitor: the state of ${origin} was written before per-source sequence checks; ` +
          `re-reading its ${s.reverify} verified entries once to check every source from seq 0`);
      }
    }
    return new LogMonitor(o, state, new CheckpointTracker(verified));
  }

  /** The newest verified checkpoint per origin. */
  latest(origin: string): VerifiedCheckpoint | undefined {
    return this.#tracker.latest(origin);
  }

  /** Leaves verified (confirmed) for `origin`. */
  verifiedLeaves(origin: string): bigint {
    return this.#state.logs.get(origin)?.leaves.size ?? 0n;
  }

  /** One poll of the log. Never throws for what the log does; returns the alarms raised. */
  async pass(signal?: AbortSignal): Promise<PassResult> {
    const alarms: Alarm[] = [];
    const call = signal !== undefined ? { signal } : {};
    let latest: VerifiedCheckpoint | undefined;
    let fetchError: FetchError | undefined;
    try {
      latest = await this.#follow(alarms, call);
    } catch (e) {
      if (!(e instanceof FetchError)) throw e;
      fetchError = e;
      if (e.code !== 'aborted') this.#o.io.err(`monitor: cannot read ${this.#o.url}: ${e.message}`);
    }
    const pending = this.#raisePending(alarms);
    const stall = this.#checkStall();
    if (stall !== undefined) {
      this.#keys.set(stall, 'stall');
      alarms.push(stall);
    }
    for (const a of alarms) this.#o.io.err(JSON.stringify(a));
    const url = this.#o.webhook;
    const failures = url === undefined
      ? alarms.map(() => undefined)
      : await Promise.all(alarms.map((a) => postAlarm(url, a, { ...this.#o.webhookOptions, ...(signal !== undefined ? { signal } : {}) })));
    let raised = false;
    alarms.forEach((a, i) => {
      const failure = failures[i];
      if (failure !== undefined) {
        this.#o.io.err(`monitor: ${failure}; the ${a.alarm} alarm is raised again at the next pass while its cause stands`);
        const key = this.#keys.get(a);
        if (key === 'stall') this.#stallArmedAt = undefined;
        else if (key !== undefined) this.#raised.delete(key);
        return;
      }
      const p = pending.get(a);
      if (p === undefined) return;
      p.st.pending = p.st.pending?.filter((f) => f !== p.finding);
      raised = true;
    });
    if (raised) await this.#save();
    return { alarms, ...(fetchError !== undefined ? { fetchError } : {}), ...(latest !== undefined ? { latest } : {}) };
  }

  async #follow(alarms: Alarm[], call: { signal?: AbortSignal }): Promise<VerifiedCheckpoint | undefined> {
    const now = this.#clock();
    const note = await this.#tiles.checkpoint(call);
    let cp: VerifiedCheckpoint;
    try {
      cp = verifyCheckpoint(note, this.#o.policy, { now: Math.floor(now / 1000) });
    } catch (e) {
      if (!(e instanceof VerifyError)) throw e;
      const known = this.#knownNoteFor(e.evidence.origin);
      this.#raise(alarms, e, 'checkpoint', `${e.code}:${sha(note)}`, known !== undefined ? { knownNote: known } : {});
      return undefined;
    }
    const known = this.#tracker.latest(cp.origin);
    let proof: Uint8Array[] | undefined;
    const from = this.#tracker.proofNeeded(cp);
    if (from !== undefined) {
      try {
        proof = await this.#tiles.consistencyProof(from, cp.size, cp.rootHash, call);
      } catch (e) {
        if (!(e instanceof VerifyError)) throw e;
        if (e.code === 'bad-log-data') {
          // A malformed tile (or one the log says is corrupt): bad data, whatever it would have proven.
          this.#raise(alarms, e, 'tracker', `bad-data:${sha(note)}:${e.evidence.tile ?? ''}`, { note: cp.note, origin: cp.origin });
          return known;
        }
        // The log's tiles do not hash to its own new root: no proof it extends what we saw.
        const err = new VerifyError('consistency-failed', `the log cannot prove that size ${cp.size} extends size ${from}: ${e.message}`, {
          note: cp.note, ...(known !== undefined ? { knownNote: known.note } : {}), origin: cp.origin, size: cp.size, knownSize: from,
        }, { cause: e });
        this.#raise(alarms, err, 'tracker', `fork:${sha(note)}`);
        return known;
      }
    }
    try {
      this.#tracker.update(cp, proof);
    } catch (e) {
      if (!(e instanceof VerifyError)) throw e;
      const key = `${e.code}:${sha(note)}`;
      const alarm = this.#raise(alarms, e, 'tracker', key);
      if (alarm !== undefined && (alarm.alarm === 'fork' || alarm.alarm === 'rollback') && !this.#evidenceKept.has(key)) {
        this.#evidenceKept.add(key); // once, though the alarm is raised again while the webhook refuses it
        await this.#keepEvidence(alarm);
      }
      return known;
    }
    const latest = this.#tracker.latest(cp.origin)!;
    let st = this.#state.logs.get(cp.origin);
    if (st === undefined || st.checkpoint !== note) {
      const grew = st === undefined || latest.size > (known?.size ?? -1n);
      // A new note: everything else about the origin (frontier, sequences, pending findings) is kept.
      st = { ...(st ?? { leaves: EMPTY_FRONTIER, sequences: new Map() }), checkpoint: note, seenAt: now };
      this.#state.logs.set(cp.origin, st);
      this.#stallArmedAt = undefined;
      await this.#save();
      const ws = cp.witnesses.map((w) => w.name).join(', ') || 'none';
      this.#o.io.out(`checkpoint ${cp.origin} size ${cp.size} root ${Buffer.from(cp.rootHash).toString('base64')} ` +
        `cosigned by ${ws} (quorum ${this.#o.policy.quorum})${grew ? '' : ' (same tree, new cosignatures)'}`);
    }
    await this.#verifyLeaves(alarms, latest, st, call);
    return latest;
  }

  async #verifyLeaves(alarms: Alarm[], cp: VerifiedCheckpoint, st: OriginState, call: { signal?: AbortSignal }): Promise<void> {
    if (st.leaves.size >= cp.size) return;
    const start = st.progress ?? st.leaves;
    const total = cp.size - start.size;
    const progress = total >= BigInt(PROGRESS_MIN_ENTRIES) && this.#o.progress !== undefined
      ? this.#o.progress(`${cp.origin}: entries verified`, Number(total))
      : NO_PROGRESS;
    let others = 0;
    for (const s of this.#state.logs.values()) if (s !== st) others += trackedSources(s);
    const seq = new SequenceCheck(st.sequences, st.progressSequences, Math.max(0, (this.#o.maxSources ?? MAX_SOURCES) - others), st.untrackedFrom !== undefined);
    const findings: SequenceFinding[] = [];
    let unlisted = 0;
    let reported = start.size;
    try {
      const r = await verifyNewLeaves(this.#tiles, cp, start, {
        ...call,
        backend: nodeBackend,
        onEntry: (index, entry) => {
          const f = seq.check(index, entry);
          if (f === undefined) return;
          if (findings.length < MAX_SEQUENCE_ALARMS || f.code === 'too-many-sources') findings.push(f);
          else unlisted++;
        },
        onProgress: async (f: LeafFrontier) => {
          progress.add(Number(f.size - reported));
          reported = f.size;
          // A resume point past a finding not yet raised would lose it: keep the one before.
          if (findings.length > 0) return;
          st.progress = f;
          st.progressSequences = new Map(seq.changes);
          if (this.#clock() - this.#lastSave >= PROGRESS_SAVE_MS) await this.#save();
        },
      });
      progress.add(Number(cp.size - reported));
      progress.done();
      st.leaves = r.frontier;
      st.sequences = seq.merged();
      st.progress = undefined;
      st.progressSequences = undefined;
      st.reverify = undefined;
      // The findings move into the state with the frontier past them: raised by pass() (now, or after a restart).
      const kept = st.pending ?? [];
      const room = Math.max(0, MAX_PENDING_FINDINGS - kept.length);
      st.pending = [...kept, ...findings.slice(0, room)];
      unlisted += Math.max(0, findings.length - room);
      if (seq.firstUntracked !== undefined) st.untrackedFrom = seq.firstUntracked;
      await this.#save();
      this.#o.io.out(`entries ${cp.origin} 0..${cp.size - 1n} verified (${r.verified} new, ${r.tiles} tiles checked; ` +
        `${seq.leaves} event leaves, ${seq.sources} sources in all${findings.length + unlisted > 0 ? `, ${findings.length + unlisted} out of sequence` : ''})`);
    } catch (e) {
      progress.done();
      if (e instanceof VerifyError) {
        st.progress = undefined; // start again from the confirmed frontier next time
        st.progressSequences = undefined;
        await this.#save();
        this.#raise(alarms, e, 'leaves', `leaves:${sha(cp.note)}`);
        return;
      }
      if (st.progress !== undefined) await this.#save();
      throw e;
    }
    if (unlisted > 0) this.#o.io.err(`monitor: ${unlisted} more event leaves of ${cp.origin} up to entry ${cp.size - 1n} are out of sequence ` +
      `(alarms are raised for the first ${MAX_SEQUENCE_ALARMS} of a pass, and at most ${MAX_PENDING_FINDINGS} wait to be raised)`);
    if (seq.untracked > 0n && !this.#warnedFull) {
      this.#warnedFull = true;
      this.#o.io.err(`monitor: the state tracks at most ${this.#o.maxSources ?? MAX_SOURCES} sources; ` +
        `${seq.untracked} event leaves of ${cp.origin} belong to sources beyond that, whose sequences are not checked (alarm too-many-sources)`);
    }
  }

  /**
   * Adds an alarm for each pending finding of each origin not raised yet by this process; returns
   * which finding each alarm is for (dropped from the state once raised and delivered). The
   * evidence is the origin's latest verified note: its tree holds every confirmed entry.
   */
  #raisePending(alarms: Alarm[]): Map<Alarm, { st: OriginState; finding: SequenceFinding }> {
    const out = new Map<Alarm, { st: OriginState; finding: SequenceFinding }>();
    for (const [origin, st] of this.#state.logs) {
      for (const finding of st.pending ?? []) {
        const key = `sequence:${origin}:${finding.index}`;
        if (this.#raised.has(key)) continue;
        this.#raised.add(key);
        const a = sequenceAlarm(finding, origin, st.checkpoint, this.#o.url, this.#clock());
        this.#keys.set(a, key);
        out.set(a, { st, finding });
        alarms.push(a);
      }
    }
    return out;
  }

  #checkStall(): Alarm | undefined {
    const now = this.#clock();
    // The newest "first seen" time over the origins followed (monitor start if none yet).
    let last = this.#startedAt;
    let note: string | undefined;
    let origin: string | undefined;
    if (this.#state.logs.size > 0) {
      last = -1;
      for (const [o, s] of this.#state.logs) {
        if (s.seenAt > last) [last, note, origin] = [s.seenAt, s.checkpoint, o];
      }
    }
    if (now - last <= this.#o.stallAfterMs || this.#stallArmedAt === last) return undefined;
    this.#stallArmedAt = last;
    const seconds = Math.floor((now - last) / 1000);
    return {
      alarm: 'stall',
      ...(origin !== undefined ? { origin } : {}),
      url: this.#o.url,
      time: new Date(now).toISOString(),
      code: 'stall',
      exitCode: EXIT_STALLED,
      message: `no new checkpoint from ${this.#o.url} for ${seconds} s (limit ${Math.floor(this.#o.stallAfterMs / 1000)} s)`,
      evidence: { ...(note !== undefined ? { note } : {}), lastNewCheckpointAt: new Date(last).toISOString(), seconds, stallAfterSeconds: this.#o.stallAfterMs / 1000 },
    };
  }

  #raise(alarms: Alarm[], e: VerifyError, stage: 'checkpoint' | 'tracker' | 'leaves', key: string, extra: Record<string, unknown> = {}): Alarm | undefined {
    if (this.#raised.has(key)) return undefined;
    this.#raised.add(key);
    const a = alarmFromError(e, alarmKindOf(e, stage), this.#o.url, this.#clock(), extra);
    this.#keys.set(a, key);
    alarms.push(a);
    return a;
  }

  #knownNoteFor(origin: unknown): string | undefined {
    if (typeof origin === 'string') return this.#state.logs.get(origin)?.checkpoint;
    return this.#state.logs.size === 1 ? [...this.#state.logs.values()][0]!.checkpoint : undefined;
  }

  async #keepEvidence(a: Alarm): Promise<void> {
    const dir = join(this.#o.stateDir, 'evidence');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const name = `${a.time.replace(/[:.]/g, '-')}-${a.alarm}.json`;
    await writeFileAtomic(join(dir, name), JSON.stringify(a, null, 1) + '\n', dir);
  }

  async #save(): Promise<void> {
    this.#lastSave = this.#clock();
    await saveMonitorState(this.#o.stateDir, this.#state);
  }
}

