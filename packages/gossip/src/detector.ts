/**
 * Split-view detection: compares each gossiped checkpoint with the witness's own latest for that
 * origin and turns conflicts into evidence (evidence.ts) that every honest peer ends up holding.
 *
 * On a gossiped checkpoint for a followed origin (verified under the configured log keys):
 * - same size, same root → `mergeCosignatures` (the witness unions the verified lines);
 * - same size, different roots → **equivocation** evidence;
 * - different sizes m < n (m > 0) → fetch PROOF(m, D[n]) and the size-m prefix root from the
 *   log's tiles of the larger tree (tiles-http.ts, authenticated against the signed root_n): a
 *   prefix root equal to root_m means consistent (remembered, never checked again); otherwise
 *   **inconsistency** evidence carrying the proof. If the log answers but does not serve what
 *   the proof needs (HTTP 4xx, tiles that do not match its own signed root, malformed tiles) →
 *   **unproven-inconsistency** evidence with the failure. Network errors, timeouts and 5xx are
 *   treated as transient: counted (`tileFetchFailures`), no evidence, the next gossip retries.
 *   Without a `logUrl` nothing can be checked and the checkpoint is only compared by size.
 *
 * Evidence is verified by `verifyEvidence` before use, persisted with `recordEvidence`, then
 * published on the alarm topic. Evidence received from the alarm topic is verified and recorded
 * too. De-duplication: by `evidenceId`, and by conflict (origin + both (size, root) pairs): a
 * node that already holds a proven record of a conflict records no other for it, so a split view
 * seen by k nodes costs O(k) records network-wide rather than O(k²). A received unproven record
 * makes this node try to prove the conflict itself (from its own view of the log).
 *
 * Concurrency: checks of one conflict are coalesced (one tile fetch in flight per pair).
 * Every handler catches its own errors (counted in `detectorErrors`); nothing throws into libp2p.
 */
import {
  ALG_ED25519,
  FormatError,
  formatVerifierKey,
  openCheckpoint,
  utf8DecodeStrict,
  utf8Encode,
  type Checkpoint,
  type Verifier,
} from '@cairn/formats';
import { bytesEqual } from '@cairn/merkle';
import { TileFetchError } from './errors.js';
import { conflictKey, evidenceCheckpoints, evidenceId, formatEvidence, type EvidenceKind, type EvidenceRecord, type ObservedNote } from './evidence.js';
import { verifyEvidence } from './evidence-verify.js';
import { createMetrics, type GossipMetrics } from './metrics.js';
import { consistencyFromTiles, DEFAULT_TILE_TIMEOUT_MS } from './tiles-http.js';
import type { GossipTopics } from './topics.js';

/** What the detector needs from a witness. Implemented by the witness node; faked in tests. */
export interface WitnessView {
  /** The configured log keys (and tiles prefix) of an origin, or undefined if not followed. */
  follows(origin: string): { readonly verifiers: readonly Verifier[]; readonly logUrl?: string } | undefined;
  /** The latest checkpoint this witness cosigned for the origin (exact note bytes). */
  latest(origin: string): { readonly note: Uint8Array; readonly size: bigint; readonly rootHash: Uint8Array } | undefined;
  /** Union the verified signature lines of `note` (same checkpoint body) into the stored latest. */
  mergeCosignatures(origin: string, note: Uint8Array): Promise<void>;
  /** Persist a record (durably) and stop cosigning the origin if the witness so decides. */
  recordEvidence(record: EvidenceRecord): Promise<void>;
}

export interface SplitViewDetectorOptions {
  readonly view: WitnessView;
  /** Who observes: a node name and its libp2p peer ID (may be ''). */
  readonly observer: { readonly name: string; readonly peerId: string };
  /** Publishes canonical evidence bytes on the alarm topic (`GossipTopics.publishEvidence`). */
  readonly publish?: (bytes: Uint8Array) => Promise<unknown>;
  readonly metrics?: GossipMetrics;
  readonly fetch?: typeof fetch;
  readonly tileTimeoutMs?: number;
  readonly now?: () => Date;
  readonly log?: (message: string) => void;
}

export type DetectorOutcome =
  | { readonly action: 'ignored'; readonly reason: string }
  | { readonly action: 'merged' }
  | { readonly action: 'consistent' }
  | { readonly action: 'duplicate' }
  | { readonly action: 'evidence'; readonly id: string; readonly record: EvidenceRecord; readonly proven: boolean };

interface Seen {
  readonly note: string;
  readonly checkpoint: Checkpoint;
  readonly from: string;
  readonly seenAt: string;
}

/** Pairs remembered as consistent (or conflicts with proven evidence) per detector. */
const MAX_REMEMBERED = 4096;

export class SplitViewDetector {
  readonly metrics: GossipMetrics;
  readonly #o: SplitViewDetectorOptions;
  readonly #ids = new Set<string>();
  readonly #proven = new Set<string>(); // conflict keys with a proven record held
  readonly #unproven = new Set<string>(); // conflict keys with only an unproven record held
  readonly #consistent = new Set<string>();
  readonly #inflight = new Map<string, Promise<DetectorOutcome>>();

  constructor(options: SplitViewDetectorOptions) {
    this.#o = options;
    this.metrics = options.metrics ?? createMetrics();
  }

  /** Compares a gossiped checkpoint note with the local latest (see the module comment). */
  async checkCheckpoint(origin: string, note: Uint8Array, from: string): Promise<DetectorOutcome> {
    const f = this.#o.view.follows(origin);
    if (f === undefined) return { action: 'ignored', reason: 'origin not followed' };
    const gossiped = this.#open(note, f.verifiers, origin, from);
    if (gossiped === undefined) return { action: 'ignored', reason: 'note does not verify under the log keys' };
    const latest = this.#o.view.latest(origin);
    if (latest === undefined) return { action: 'ignored', reason: 'no local checkpoint to compare with' };
    if (latest.size === gossiped.checkpoint.size && bytesEqual(latest.rootHash, gossiped.checkpoint.rootHash)) {
      await this.#o.view.mergeCosignatures(origin, note);
      this.metrics.cosignaturesMerged++;
      return { action: 'merged' };
    }
    const local = this.#open(latest.note, f.verifiers, origin, 'local');
    if (local === undefined) return { action: 'ignored', reason: 'the local latest does not verify under the log keys' };
    return this.#compare(origin, f, local, gossiped);
  }

  /**
   * Compares two log-signed notes of `origin` directly (e.g. a checkpoint the witness refused and
   * the one it knew: its stored checkpoint, or a larger one learned from a peer), as a gossiped
   * note is compared with the local latest.
   */
  async checkPair(origin: string, a: Uint8Array, b: Uint8Array, fromA: string, fromB: string): Promise<DetectorOutcome> {
    const f = this.#o.view.follows(origin);
    if (f === undefined) return { action: 'ignored', reason: 'origin not followed' };
    const x = this.#open(a, f.verifiers, origin, fromA);
    const y = this.#open(b, f.verifiers, origin, fromB);
    if (x === undefined || y === undefined) return { action: 'ignored', reason: 'note does not verify under the log keys' };
    return this.#compare(origin, f, x, y);
  }

  /** Verifies and records evidence received from the alarm topic. */
  async receiveEvidence(record: EvidenceRecord): Promise<DetectorOutcome> {
    const id = evidenceId(record);
    if (this.#ids.has(id)) return { action: 'duplicate' };
    const f = this.#o.view.follows(record.origin);
    if (f === undefined) return { action: 'ignored', reason: 'origin not followed' };
    const verdict = verifyEvidence(record, { verifiers: f.verifiers });
    if (!verdict.proven && !(record.kind === 'unproven-inconsistency' && verdict.notesVerified)) {
      return { action: 'ignored', reason: verdict.reason };
    }
    const [a, b] = evidenceCheckpoints(record);
    const key = conflictKey(record.origin, a, b);
    if (this.#proven.has(key) || (!verdict.proven && this.#unproven.has(key))) {
      this.#ids.add(id);
      return { action: 'duplicate' };
    }
    await this.#record(id, key, record, verdict.proven);
    if (!verdict.proven) {
      // Try to prove it ourselves: our view of the log may serve the tiles.
      const [x, y] = record.notes.map((n, i) => this.#open(utf8Encode(n.note), f.verifiers, record.origin, n.from, i === 0 ? a : b));
      if (x !== undefined && y !== undefined) await this.#compare(record.origin, f, x, y);
    }
    return { action: 'evidence', id, record, proven: verdict.proven };
  }

  /** Wires the detector to gossip topics; returns a function that unwires it. */
  attach(topics: GossipTopics): () => void {
    const onError = (e: unknown): void => {
      this.metrics.detectorErrors++;
      this.#o.log?.(`split-view detector: ${(e as Error)?.message ?? String(e)}`);
    };
    const off1 = topics.onCheckpoint((m) => void this.checkCheckpoint(m.origin, m.note, m.from).catch(onError));
    const off2 = topics.onEvidence((m) => void this.receiveEvidence(m.record).catch(onError));
    return () => {
      off1();
      off2();
    };
  }

  /** Whether this detector recorded (or created) the evidence with this id. */
  hasEvidence(id: string): boolean {
    return this.#ids.has(id);
  }

  #now(): string {
    return (this.#o.now?.() ?? new Date()).toISOString();
  }

  #open(note: Uint8Array, verifiers: readonly Verifier[], origin: string, from: string, parsed?: Checkpoint): Seen | undefined {
    try {
      const checkpoint = openCheckpoint(note, verifiers).checkpoint;
      if (checkpoint.origin !== origin || (parsed !== undefined && checkpoint.size !== parsed.size)) return undefined;
      return { note: utf8DecodeStrict(note), checkpoint, from, seenAt: this.#now() };
    } catch (e) {
      if (e instanceof FormatError) return undefined;
      throw e;
    }
  }

  #compare(origin: string, f: NonNullable<ReturnType<WitnessView['follows']>>, x: Seen, y: Seen): Promise<DetectorOutcome> {
    const key = conflictKey(origin, x.checkpoint, y.checkpoint);
    if (this.#proven.has(key)) return Promise.resolve({ action: 'duplicate' });
    if (this.#consistent.has(key)) return Promise.resolve({ action: 'consistent' });
    const running = this.#inflight.get(key);
    if (running !== undefined) return running;
    const p = this.#compareNow(origin, f, x, y, key).finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, p);
    return p;
  }

  async #compareNow(origin: string, f: NonNullable<ReturnType<WitnessView['follows']>>, x: Seen, y: Seen, key: string): Promise<DetectorOutcome> {
    const [small, large] = x.checkpoint.size <= y.checkpoint.size ? [x, y] : [y, x];
    const m = small.checkpoint.size;
    const n = large.checkpoint.size;
    if (m === n) {
      if (bytesEqual(small.checkpoint.rootHash, large.checkpoint.rootHash)) return { action: 'consistent' };
      return this.#emit(origin, f, 'equivocation', [x, y], key, {});
    }
    if (m === 0n) return { action: 'consistent' }; // the empty tree is a prefix of every tree
    if (f.logUrl === undefined) return { action: 'ignored', reason: 'no log URL to fetch a consistency proof from' };
    this.metrics.consistencyChecks++;
    let got;
    try {
      got = await consistencyFromTiles(f.logUrl, m, n, large.checkpoint.rootHash, {
        ...(this.#o.fetch === undefined ? {} : { fetch: this.#o.fetch }),
        timeoutMs: this.#o.tileTimeoutMs ?? DEFAULT_TILE_TIMEOUT_MS,
      });
    } catch (e) {
      if (!(e instanceof TileFetchError)) throw e;
      this.metrics.tileFetchFailures++;
      const status = typeof e.evidence?.['status'] === 'number' ? (e.evidence['status'] as number) : 0;
      const transient = e.code === 'network' || (e.code === 'http-status' && (status >= 500 || status === 429));
      if (transient) return { action: 'ignored', reason: `could not reach the log: ${e.message}` };
      if (this.#unproven.has(key)) return { action: 'duplicate' };
      return this.#emit(origin, f, 'unproven-inconsistency', [small, large], key, { failure: `${e.code}: ${e.message}`.slice(0, 1000) });
    }
    if (bytesEqual(got.prefixRoot, small.checkpoint.rootHash)) {
      if (this.#consistent.size >= MAX_REMEMBERED) this.#consistent.clear();
      this.#consistent.add(key);
      return { action: 'consistent' };
    }
    const pow2 = (m & (m - 1n)) === 0n;
    const consistency = { oldSize: m, newSize: n, proof: got.proof, ...(pow2 ? { prefixRoot: got.prefixRoot } : {}) };
    return this.#emit(origin, f, 'inconsistency', [small, large], key, { consistency });
  }

  async #emit(
    origin: string,
    f: NonNullable<ReturnType<WitnessView['follows']>>,
    kind: EvidenceKind,
    [a, b]: [Seen, Seen],
    key: string,
    extra: Pick<EvidenceRecord, 'consistency' | 'failure'>,
  ): Promise<DetectorOutcome> {
    const note = (s: Seen): ObservedNote => ({ note: s.note, seenAt: s.seenAt, from: s.from });
    const record: EvidenceRecord = {
      version: 1,
      kind,
      origin,
      logVkeys: f.verifiers.filter((v) => v.alg === ALG_ED25519).slice(0, 16).map((v) => formatVerifierKey(v.name, v.alg, v.publicKey)),
      notes: [note(a), note(b)],
      ...extra,
      observer: { name: this.#o.observer.name, peerId: this.#o.observer.peerId },
      createdAt: this.#now(),
    };
    const verdict = verifyEvidence(record, { verifiers: f.verifiers });
    if (kind !== 'unproven-inconsistency' && !verdict.proven) {
      return { action: 'ignored', reason: `own evidence does not verify: ${verdict.reason}` };
    }
    const id = evidenceId(record);
    await this.#record(id, key, record, verdict.proven);
    this.metrics.evidenceCreated[kind]++;
    if (this.#o.publish !== undefined) {
      try {
        await this.#o.publish(utf8Encode(formatEvidence(record)));
        this.metrics.evidencePublished++;
      } catch (e) {
        this.#o.log?.(`publishing evidence ${id} failed: ${(e as Error).message}`);
      }
    }
    return { action: 'evidence', id, record, proven: verdict.proven };
  }

  async #record(id: string, key: string, record: EvidenceRecord, proven: boolean): Promise<void> {
    await this.#o.view.recordEvidence(record);
    this.#ids.add(id);
    (proven ? this.#proven : this.#unproven).add(key);
    this.metrics.evidenceRecorded++;
  }
}
