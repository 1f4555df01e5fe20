/**
 * `LogNode`: the log operator core (the contract is docs/design/log-node-contract.md).
 *
 * Lifecycle: `LogNode.open(opts)` creates or checks the store (recovery.ts) and integrates any
 * sequenced-but-unintegrated entries; `start()` accepts submissions; `stop()` refuses new ones,
 * flushes the queue, integrates and signs what is pending, and closes the store.
 *
 * Integration runs at most every `checkpointIntervalMs` while entries wait, or at once when
 * `maxBatchEntries` wait; steps never overlap. After each durable step the node publishes: the
 * latest checkpoint, `onCheckpoint` listeners, and `wait: 'checkpoint'` submitters (with their
 * inclusion proofs). An integrity failure halts integration for good (nothing more is signed)
 * and is reported to every waiter and in `status()`.
 *
 * With `witnesses` configured (witness/manager.ts), open() first checks that no witness holds a
 * larger tree than the stored one (LogError 'rolled-back'), before anything new is signed; each
 * new checkpoint is then sent to every witness, and once `quorum` of them cosigned one it becomes
 * the latest cosigned checkpoint: persisted, served by `servedCheckpoint()`, published to
 * `onCosignedCheckpoint` listeners and `wait: 'cosigned'` submitters.
 *
 * The event store (events/, contract docs/design/event-store-contract.md) shares the sequencer:
 * `submitEvents` and `eraseEvents` run as builders in its single writer, so an event's leaf and
 * body, or an erasure's tombstones and its record, are one synced write. With a retention policy
 * the node erases expired events every `retentionIntervalMs` through the same path.
 */
import { MAX_SEQUENCE } from '@cairn/events';
import { leafHash } from '@cairn/merkle';
import { nodeBackend } from '@cairn/merkle/node';
import {
  DEFAULT_CHECKPOINT_INTERVAL_MS, DEFAULT_MAX_BATCH_ENTRIES, DEFAULT_MAX_QUEUE_ENTRIES, DEFAULT_RETRY_AFTER_MS, MAX_SEQ_SPAN,
} from './constants.js';
import { checkSource } from './events/submit.js';
import { SizeWaiters } from './waiters.js';
import { LogError } from './errors.js';
import type { SignedCheckpoint } from './checkpoint.js';
import { Integrator } from './integrator.js';
import { identity } from './identity.js';
import { jsonLogger, type Logger } from './logger.js';
import { LogReader } from './reads.js';
import { loadRightEdge, openState, type LogIdentity } from './recovery.js';
import { SequencedBuffer } from './handoff.js';
import { Sequencer } from './sequencer.js';
import type { LogStorage } from './storage/types.js';
import { FullTileCache } from './tiles.js';
import type { LogNodeOptions, LogStatus, SubmitOptions, SubmitResult } from './options.js';
import { resolveWitnesses } from './witness/config.js';
import { loadCosigned, type CosignedCheckpoint } from './witness/cosigned.js';
import { WitnessManager } from './witness/manager.js';
import { DEFAULT_RECEIPT_MMD_MS, EventStore, receiptKey } from './events/store.js';
import { MAX_ERASE_INDICES } from './events/erase.js';
import { DEFAULT_RETENTION_INTERVAL_MS, checkRetentionPolicy, expiredEvents, type RetentionPolicy } from './events/retention.js';
import type { EraseReason, EraseResult, EventInput, EventSourceState, EventSubmitOptions, EventSubmitResult, StoredEvent } from './events/types.js';

/** Failed integration attempts stop() makes before giving up (the entries stay durable). */
const STOP_STEP_ATTEMPTS = 3;

/** Full tiles kept in memory for proofs and tile reads (8 KiB each). */
export const DEFAULT_TILE_CACHE_TILES = 1024;

export type { LogNodeOptions, SubmitOptions, SubmitResult, LogStatus } from './options.js';

type State = 'opened' | 'running' | 'stopping' | 'stopped';

function positiveInt(name: string, v: number | undefined, dflt: number, min: number): number {
  const x = v ?? dflt;
  if (!Number.isSafeInteger(x) || x < min) throw new LogError('config', `${name} must be an integer ≥ ${min}, got ${String(v)}`);
  return x;
}

/** A log operator node. See the module comment. */
export class LogNode {
  readonly origin: string;
  /** The vkey text of the log key (`<name>+<id>+<b64>`). */
  readonly verifierKey: string;
  readonly #storage: LogStorage;
  readonly #clock: () => number;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #maxBatch: number;
  readonly #integrator: Integrator;
  readonly #sequencer: Sequencer;
  readonly #reader: LogReader;
  readonly #listeners = new Set<(c: SignedCheckpoint) => void>();
  readonly #waiters = new SizeWaiters<SignedCheckpoint>();
  #state: State = 'opened';
  #latest: SignedCheckpoint;
  #timer: NodeJS.Timeout | undefined;
  #stepping: Promise<void> | undefined;
  #halted: LogError | undefined;
  readonly #witnesses: WitnessManager | undefined;
  readonly #events: EventStore;
  readonly #retention: { policy: RetentionPolicy; intervalMs: number } | undefined;
  #retentionTimer: NodeJS.Timeout | undefined;
  #retentionRun: Promise<unknown> | undefined;

  private constructor(p: {
    id: LogIdentity; storage: LogStorage; clock: () => number; logger: Logger; intervalMs: number; maxBatch: number;
    integrator: Integrator; sequencer: Sequencer; reader: LogReader; witnesses: WitnessManager | undefined;
    events: EventStore; retention: { policy: RetentionPolicy; intervalMs: number } | undefined;
  }) {
    this.origin = p.id.origin;
    this.verifierKey = p.id.verifierKey;
    this.#storage = p.storage;
    this.#clock = p.clock;
    this.#logger = p.logger;
    this.#intervalMs = p.intervalMs;
    this.#maxBatch = p.maxBatch;
    this.#integrator = p.integrator;
    this.#sequencer = p.sequencer;
    this.#reader = p.reader;
    this.#latest = p.integrator.checkpoint;
    this.#witnesses = p.witnesses;
    this.#events = p.events;
    this.#retention = p.retention;
  }

  /**
   * Opens the log in `opts.storage`, creating it on first use. Runs the integrity checks of
   * recovery.ts (LogError 'integrity' on failure); with witnesses, loads the persisted cosigned
   * checkpoint and runs the start-up check (LogError 'rolled-back'); then integrates
   * sequenced-but-unintegrated entries.
   */
  static async open(opts: LogNodeOptions): Promise<LogNode> {
    const clock = opts.clock ?? Date.now;
    const logger = opts.logger ?? jsonLogger({ clock });
    const backend = opts.hashBackend ?? nodeBackend;
    const intervalMs = opts.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
    if (!Number.isFinite(intervalMs) || intervalMs < 0) throw new LogError('config', 'checkpointIntervalMs must be ≥ 0');
    const maxBatch = positiveInt('maxBatchEntries', opts.maxBatchEntries, DEFAULT_MAX_BATCH_ENTRIES, 1);
    const maxQueue = positiveInt('maxQueueEntries', opts.maxQueueEntries, DEFAULT_MAX_QUEUE_ENTRIES, 1);
    const retryAfterMs = positiveInt('retryAfterMs', opts.retryAfterMs, DEFAULT_RETRY_AFTER_MS, 0);
    const cacheTiles = positiveInt('tileCacheTiles', opts.tileCacheTiles, DEFAULT_TILE_CACHE_TILES, 0);
    const id = identity(opts, logger);
    const receipt = opts.receiptSignerKey === undefined ? undefined : receiptKey(opts.receiptSignerKey, id.origin, opts.ed25519);
    const receiptMmdMs = positiveInt('receiptMmdMs', opts.receiptMmdMs, DEFAULT_RECEIPT_MMD_MS, 0);
    const retention = opts.retention === undefined ? undefined : {
      policy: checkRetentionPolicy(opts.retention),
      intervalMs: positiveInt('retentionIntervalMs', opts.retentionIntervalMs, DEFAULT_RETENTION_INTERVAL_MS, 1),
    };
    const random = opts.random ?? ((b: Uint8Array) => crypto.getRandomValues(b));
    const witnessConfig = resolveWitnesses(opts.witnesses, opts.quorum, opts.witnessTiming, opts.ed25519);
    const { storage } = opts;

    const state = await openState(storage, id, backend, clock());
    const cache = new FullTileCache(cacheTiles);
    const handoff = new SequencedBuffer();
    const integrator = new Integrator(
      { storage, backend, signer: id.signer, origin: id.origin, clock, logger, tileCache: cache, reload: () => loadRightEdge(storage, id, backend), handoff },
      state.edge,
    );
    logger.info(state.created ? 'log created' : 'log opened', {
      origin: id.origin, storage: storage.name, size: state.edge.checkpoint.size, sequencedSize: state.sequencedSize, vkey: id.verifierKey,
    });
    let node: LogNode | undefined;
    // Until the node exists, the integrator's checkpoint is the latest signed one.
    const latest = (): SignedCheckpoint => (node === undefined ? integrator.checkpoint : node.#latest);
    const reader = new LogReader(storage, backend, cache, () => latest().size);
    let witnesses: WitnessManager | undefined;
    if (witnessConfig.witnesses.length > 0) {
      const consistencyProof = (m: bigint, n: bigint) => reader.consistencyProof(m, n);
      const stored = await loadCosigned({
        storage, id, witnesses: witnessConfig.witnesses, quorum: witnessConfig.quorum, latest: integrator.checkpoint, consistencyProof, backend, logger,
      });
      witnesses = new WitnessManager({ config: witnessConfig, storage, logger, clock, origin: id.origin, latest, consistencyProof, stream: opts.witnessStream }, stored);
      // Before anything new is signed: refuse to sign over a tree a witness has seen grow larger.
      await witnesses.startupCheck(integrator.checkpoint);
    }
    // Re-integrate what was made durable but not signed before the last stop or crash.
    while (integrator.checkpoint.size < state.sequencedSize) {
      const cp = await integrator.step(state.sequencedSize);
      logger.info('recovered sequenced entries', { size: cp?.size });
    }
    const sequencer = new Sequencer({
      storage,
      hashLeaf: (e) => leafHash(e, backend),
      nextIndex: state.sequencedSize,
      integratedSize: () => latest().size,
      maxQueueEntries: maxQueue,
      retryAfterMs,
      dedupe: opts.dedupe ?? false,
      logger,
      onSequenced: () => {
        if (node !== undefined) node.#kick();
      },
      handoff,
    });
    const events = new EventStore({ deps: { storage, backend, clock, random, receiptMmdMs }, origin: id.origin, sequencer, receipt, logger });
    node = new LogNode({ id, storage, clock, logger, intervalMs, maxBatch, integrator, sequencer, reader, witnesses, events, retention });
    return node;
  }

  /** Starts accepting submissions. */
  async start(): Promise<void> {
    if (this.#state !== 'opened') throw new LogError('stopping', `cannot start a log node that is ${this.#state}`);
    this.#state = 'running';
    this.#witnesses?.offer();
    this.#scheduleRetention(this.#retention?.intervalMs ?? 0);
  }

  /** Stops accepting, flushes the queue, integrates and signs what is pending, closes the store. */
  async stop(): Promise<void> {
    if (this.#state === 'stopping' || this.#state === 'stopped') return;
    this.#state = 'stopping';
    if (this.#retentionTimer !== undefined) clearTimeout(this.#retentionTimer);
    this.#retentionTimer = undefined;
    await this.#retentionRun;
    await this.#sequencer.close();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#stepping;
    for (let attempt = 0; attempt < STOP_STEP_ATTEMPTS && this.#halted === undefined; attempt++) {
      if (this.#latest.size >= this.#sequencer.sequencedSize) break;
      const before = this.#latest.size;
      await this.#runStep();
      if (this.#latest.size > before) attempt = -1; // progress: keep going
    }
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const err = new LogError('stopping', 'the log stopped before a checkpoint covered the entries');
    this.#waiters.rejectAll(err);
    await this.#witnesses?.stop();
    await this.#storage.close();
    this.#state = 'stopped';
    this.#logger.info('log stopped', { size: this.#latest.size });
  }

  /** Sequences `entries`; resolves once they are durable (or, with wait 'checkpoint', signed). */
  async submit(entries: Uint8Array[], opts: SubmitOptions = {}): Promise<SubmitResult> {
    this.#checkRunning();
    const seq = await this.#sequencer.submit(entries, opts.signal);
    return this.#settle(seq, opts);
  }

  /**
   * Submits events of `source` (docs/design/event-store-contract.md): all or nothing; resolves
   * once the leaves and bodies are durable (or, with `wait`, covered by a checkpoint). Resends
   * get the stored answer with `duplicate: true`. LogError 'invalid-source', 'seq-regression',
   * 'seq-gap', 'idempotency-conflict', 'erased', 'no-receipt-key', and those of `submit`.
   */
  async submitEvents(source: string, events: EventInput[], opts: EventSubmitOptions = {}): Promise<EventSubmitResult> {
    this.#checkRunning();
    const r = await this.#events.submit(source, events, opts.receipts === true, opts.signal);
    const settled = await this.#settle({ indices: r.answers.map((a) => a.index), leafHashes: r.answers.map((a) => a.leafHash) }, opts);
    return {
      ...settled,
      seqs: r.answers.map((a) => a.seq),
      duplicate: r.answers.map((a) => a.duplicate),
      ...(r.receipts === undefined ? {} : { receipts: r.receipts }),
    };
  }

  /** The vkey text of the receipt key `<origin>/receipt` (undefined: no receipt key configured). */
  get receiptVerifierKey(): string | undefined {
    return this.#events.receiptVerifierKey;
  }

  /** The event at `index`; undefined when it holds no event or lies beyond the latest signed checkpoint. */
  async getEvent(index: bigint): Promise<StoredEvent | undefined> {
    if (typeof index !== 'bigint' || index < 0n) throw new LogError('invalid-argument', 'index must be a bigint ≥ 0');
    if (index >= this.#latest.size) return undefined;
    return this.#events.get(index, (i) => this.#reader.getEntry(i));
  }

  /**
   * The log indices of `source`'s events with sequence numbers in [from, to] (at most
   * {@link MAX_SEQ_SPAN} of them), ascending by seq; events beyond the latest signed checkpoint
   * are left out. A source's seqs are contiguous from 0 and its indices grow with them, so the
   * answer is every seq of the range up to the source's last signed one. LogError
   * 'invalid-source' or 'invalid-argument' for a bad source or range.
   */
  async eventIndices(source: string, from: bigint, to: bigint): Promise<{ seq: bigint; index: bigint }[]> {
    checkSource(source, true);
    if (typeof from !== 'bigint' || typeof to !== 'bigint' || from < 0n || to < from || to > MAX_SEQUENCE) {
      throw new LogError('invalid-argument', `a seq range is 0 ≤ from ≤ to ≤ ${MAX_SEQUENCE}`);
    }
    if (to - from >= BigInt(MAX_SEQ_SPAN)) throw new LogError('invalid-argument', `at most ${MAX_SEQ_SPAN} sequence numbers per read`);
    return this.#events.indicesOf(source, from, to, this.#latest.size);
  }

  /** Every source with events: its next sequence number and newest index. */
  eventSources(): Promise<EventSourceState[]> {
    return this.#events.sources();
  }

  /**
   * Erases the bodies of events (tombstones) and appends the Event Log Activity record, in one
   * synced write; then compacts the store. LogError 'not-an-event' (nothing erased) if an index
   * holds no durable event.
   */
  async eraseEvents(indices: bigint[], why: EraseReason, opts: { signal?: AbortSignal } = {}): Promise<EraseResult> {
    this.#checkRunning();
    return this.#events.erase(indices, why, opts.signal);
  }

  /**
   * Runs retention once now (the schedule calls it every `retentionIntervalMs`): erases the
   * events the policy expired at the clock's time, at most MAX_ERASE_INDICES. Undefined without
   * a policy or when nothing expired.
   */
  async runRetention(): Promise<EraseResult | undefined> {
    this.#checkRunning();
    if (this.#retention === undefined) return undefined;
    const expired = await expiredEvents(this.#storage, this.#retention.policy, this.#clock(), MAX_ERASE_INDICES);
    if (expired.length === 0) return undefined;
    return this.#events.erase(expired, { reason: 'retention policy', by: 'retention' }, undefined);
  }

  #scheduleRetention(delayMs: number): void {
    if (this.#retention === undefined || this.#state !== 'running') return;
    this.#retentionTimer = setTimeout(() => {
      this.#retentionTimer = undefined;
      const run = this.runRetention().then(
        (r) => (r !== undefined && r.erased.length + r.alreadyErased.length >= MAX_ERASE_INDICES ? 0 : (this.#retention as { intervalMs: number }).intervalMs),
        (e: unknown) => {
          if (this.#state === 'running') this.#logger.error('retention run failed; will retry', { error: e });
          return (this.#retention as { intervalMs: number }).intervalMs;
        },
      );
      this.#retentionRun = run;
      void run.then((next) => {
        this.#retentionRun = undefined;
        this.#scheduleRetention(next);
      });
    }, delayMs);
    this.#retentionTimer.unref?.();
  }

  #checkRunning(): void {
    if (this.#state === 'opened') throw new LogError('not-started', 'the log node is not started');
    if (this.#state !== 'running') throw new LogError('stopping', 'the log is stopping');
    if (this.#halted !== undefined) throw this.#halted;
  }

  /** Applies `opts.wait` to a durable result: waits for a covering checkpoint and adds the proofs. */
  async #settle(seq: { indices: bigint[]; leafHashes: Uint8Array[] }, opts: SubmitOptions): Promise<SubmitResult> {
    if ((opts.wait !== 'checkpoint' && opts.wait !== 'cosigned') || seq.indices.length === 0) return seq;
    let need = 0n;
    for (const i of seq.indices) if (i + 1n > need) need = i + 1n;
    let cp: SignedCheckpoint;
    if (opts.wait === 'cosigned' && this.#witnesses !== undefined) {
      if (this.#halted !== undefined && (this.#witnesses.cosigned()?.size ?? -1n) < need) throw this.#halted;
      cp = await this.#witnesses.waitFor(need, opts.signal);
    } else {
      cp = await this.#waitFor(need, opts.signal);
    }
    const proofs = await this.#reader.inclusionProofs(seq.indices, cp.size);
    return { ...seq, checkpoint: cp, proofs };
  }

  /** The latest signed checkpoint (log signature only). */
  latestCheckpoint(): SignedCheckpoint | undefined {
    return this.#latest;
  }

  /**
   * A witness became reachable again (e.g. its libp2p connection came back): `target` is its
   * configured URL or multiaddr, or its peer ID. Ends that witness's retry backoff, if any.
   */
  witnessReachable(target: string): void {
    this.#witnesses?.reachable(target);
  }

  /** The latest checkpoint cosigned by a quorum of witnesses (undefined without witnesses, or until one is). */
  latestCosignedCheckpoint(): CosignedCheckpoint | undefined {
    return this.#witnesses?.cosigned();
  }

  /**
   * What `/checkpoint` serves: the latest cosigned checkpoint when witnesses are configured
   * (undefined until a quorum cosigned one), else the latest signed checkpoint.
   */
  servedCheckpoint(): SignedCheckpoint | undefined {
    return this.#witnesses === undefined ? this.#latest : this.#witnesses.cosigned();
  }

  /**
   * Calls `listener` after each new cosigned checkpoint is persisted (a larger one, or a note of
   * the same size with more cosignatures); returns an unsubscribe function. Never called without witnesses.
   */
  onCosignedCheckpoint(listener: (c: CosignedCheckpoint) => void): () => void {
    return this.#witnesses?.onCosigned(listener) ?? (() => undefined);
  }
  readTile(level: number, index: bigint, width: number): Promise<Uint8Array | undefined> {
    return this.#reader.readTile(level, index, width);
  }
  readEntryBundle(index: bigint, width: number): Promise<Uint8Array | undefined> {
    return this.#reader.readEntryBundle(index, width);
  }
  getEntry(index: bigint): Promise<Uint8Array> {
    return this.#reader.getEntry(index);
  }
  getEntries(from: bigint, to: bigint): Promise<Uint8Array[]> {
    return this.#reader.getEntries(from, to);
  }
  /** Inclusion proofs for several indices in one tree size, sharing one tile fetch. */
  inclusionProofs(indices: readonly bigint[], size: bigint): Promise<Uint8Array[][]> {
    return this.#reader.inclusionProofs(indices, size);
  }

  inclusionProof(index: bigint, size: bigint): Promise<Uint8Array[]> {
    return this.#reader.inclusionProof(index, size);
  }
  consistencyProof(m: bigint, n: bigint): Promise<Uint8Array[]> {
    return this.#reader.consistencyProof(m, n);
  }
  findLeafIndex(leafHash: Uint8Array): Promise<bigint | undefined> {
    return this.#reader.findLeafIndex(leafHash);
  }

  status(): LogStatus {
    const w = this.#witnesses?.status();
    return {
      size: this.#latest.size,
      sequencedSize: this.#sequencer.sequencedSize,
      lastCheckpointTime: this.#latest.time,
      queueDepth: this.#sequencer.queueDepth,
      ...(this.#halted === undefined ? {} : { halted: this.#halted.message }),
      ...(w?.cosignedSize === undefined ? {} : { cosignedSize: w.cosignedSize }),
      ...(w === undefined ? {} : { quorum: w.quorum }),
      witnesses: w?.witnesses ?? [],
      alarms: w?.alarms ?? [],
    };
  }

  /** Calls `listener` after each new checkpoint is durable; returns an unsubscribe function. */
  onCheckpoint(listener: (c: SignedCheckpoint) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  #waitFor(size: bigint, signal: AbortSignal | undefined): Promise<SignedCheckpoint> {
    if (this.#latest.size >= size) return Promise.resolve(this.#latest);
    if (this.#halted !== undefined) return Promise.reject(this.#halted);
    return this.#waiters.wait(size, signal, 'a checkpoint');
  }


  /** Schedules an integration step: now if enough entries wait, else at the next interval. */
  #kick(): void {
    if (this.#halted !== undefined || this.#stepping !== undefined || this.#state === 'stopped') return;
    const pending = this.#sequencer.sequencedSize - this.#latest.size;
    if (pending <= 0n) return;
    const due = this.#latest.time + this.#intervalMs - this.#clock();
    if (pending >= BigInt(this.#maxBatch) || due <= 0) {
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = undefined;
      void this.#runStep();
    } else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#kick();
      }, Math.min(due, this.#intervalMs));
    }
  }

  #runStep(): Promise<void> {
    if (this.#stepping !== undefined) return this.#stepping;
    const run = async () => {
      try {
        const cp = await this.#integrator.step(this.#sequencer.sequencedSize);
        if (cp !== undefined) this.#publish(cp);
      } catch (e) {
        if (e instanceof LogError && e.code === 'integrity') {
          this.#halted = e;
          this.#logger.error('integration halted', { error: e, details: e.details });
          this.#waiters.rejectAll(e);
          this.#witnesses?.rejectWaiters(e);
        } else {
          this.#logger.error('integration step failed; will retry', { error: e });
          await new Promise((r) => setTimeout(r, this.#intervalMs || 10));
        }
      } finally {
        this.#stepping = undefined;
      }
      if (this.#state === 'running') this.#kick();
    };
    const p = run();
    this.#stepping = p;
    return p;
  }

  #publish(cp: SignedCheckpoint): void {
    this.#latest = cp;
    this.#sequencer.integrated(cp.size);
    this.#logger.debug('checkpoint signed', { size: cp.size });
    this.#waiters.release(cp);
    this.#witnesses?.offer();
    for (const l of this.#listeners) {
      try {
        l(cp);
      } catch (e) {
        this.#logger.warn('onCheckpoint listener threw', { error: e });
      }
    }
  }
}
