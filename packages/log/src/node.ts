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
 */
import { leafHash } from '@cairn/merkle';
import { nodeBackend } from '@cairn/merkle/node';
import {
  DEFAULT_CHECKPOINT_INTERVAL_MS, DEFAULT_MAX_BATCH_ENTRIES, DEFAULT_MAX_QUEUE_ENTRIES, DEFAULT_RETRY_AFTER_MS,
} from './constants.js';
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

  private constructor(p: {
    id: LogIdentity; storage: LogStorage; clock: () => number; logger: Logger; intervalMs: number; maxBatch: number;
    integrator: Integrator; sequencer: Sequencer; reader: LogReader; witnesses: WitnessManager | undefined;
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
    node = new LogNode({ id, storage, clock, logger, intervalMs, maxBatch, integrator, sequencer, reader, witnesses });
    return node;
  }

  /** Starts accepting submissions. */
  async start(): Promise<void> {
    if (this.#state !== 'opened') throw new LogError('stopping', `cannot start a log node that is ${this.#state}`);
    this.#state = 'running';
    this.#witnesses?.offer();
  }

  /** Stops accepting, flushes the queue, integrates and signs what is pending, closes the store. */
  async stop(): Promise<void> {
    if (this.#state === 'stopping' || this.#state === 'stopped') return;
    this.#state = 'stopping';
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
    if (this.#state === 'opened') throw new LogError('not-started', 'the log node is not started');
    if (this.#state !== 'running') throw new LogError('stopping', 'the log is stopping');
    if (this.#halted !== undefined) throw this.#halted;
    const seq = await this.#sequencer.submit(entries, opts.signal);
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
