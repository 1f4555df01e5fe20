/**
 * Witness fan-out and cosignature collection for a log node (docs/trust-model.md: witnesses make the log's commitments append-only).
 *
 * On every new signed checkpoint the manager pokes one {@link WitnessClient} per witness; each
 * runs on its own, so a slow or dead witness never blocks ingestion, integration or the other
 * witnesses (and it coalesces: it only ever sends the newest checkpoint). Verified cosignature
 * lines are gathered per checkpoint; once at least `quorum` distinct witnesses cosigned one,
 * the log note plus all gathered lines becomes the latest **cosigned** checkpoint — never
 * smaller than the previous one (a later, richer note of the same size replaces it). Each new
 * cosigned checkpoint is persisted (synced) before it is published to listeners and to
 * `wait: 'cosigned'` submitters, so a restart serves it at once.
 *
 * Start-up check (before the node signs anything new): every witness is sent the latest signed
 * checkpoint with `old 0`. A 409 tells its size; if any witness holds a larger size than the
 * log, the data directory was restored or rolled back and open() fails with LogError
 * 'rolled-back'. Unreachable witnesses are logged, not fatal.
 */
import { bytesEqual } from '@cairn/merkle';
import { parseNote, type NoteSignature } from '@cairn/formats';
import type { SignedCheckpoint } from '../checkpoint.js';
import { SizeWaiters } from '../waiters.js';
import { LogError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { LogStorage } from '../storage/types.js';
import { MAX_WITNESS_ALARMS, type ResolvedWitnesses } from './config.js';
import { WitnessClient, type PreparedCheckpoint, type WitnessAlarm, type WitnessState } from './client.js';
import { cosignedWrite, mergeCosignatures, type CosignedCheckpoint } from './cosigned.js';
import { postAddCheckpoint, streamTransport, tcpReachable, type ReachabilityProbe, type StreamExchange } from './http.js';

/** Dependencies of a {@link WitnessManager}. */
export interface WitnessManagerDeps {
  readonly config: ResolvedWitnesses;
  readonly storage: LogStorage;
  readonly logger: Logger;
  readonly clock: () => number;
  readonly origin: string;
  /** The node's latest signed checkpoint. */
  readonly latest: () => SignedCheckpoint;
  readonly consistencyProof: (m: bigint, n: bigint) => Promise<Uint8Array[]>;
  /** The libp2p add-checkpoint exchange, for witnesses given by a `/p2p/` multiaddr. */
  readonly stream?: StreamExchange | undefined;
  /** The light check run while backing off from an unreachable witness (default: a TCP connect, {@link tcpReachable}). */
  readonly probe?: ReachabilityProbe | undefined;
  /** Jitter source (tests). */
  readonly random?: () => number;
}

/** The witness part of the node status. */
export interface WitnessesStatus {
  readonly quorum: number;
  readonly cosignedSize: bigint | undefined;
  readonly witnesses: WitnessState[];
  /** The most recent alarms, oldest first (at most MAX_WITNESS_ALARMS). */
  readonly alarms: WitnessAlarm[];
}

interface Gathered {
  readonly p: PreparedCheckpoint;
  readonly sigs: Map<number, NoteSignature>;
}

const utf8 = new TextEncoder();
/** Checkpoints whose cosignatures are gathered at once (older ones are dropped first). */
const MAX_GATHERED = 16;

/** Collects cosignatures from the configured witnesses. See the module comment. */
export class WitnessManager {
  readonly quorum: number;
  readonly #d: WitnessManagerDeps;
  readonly #clients: WitnessClient[];
  readonly #gathered = new Map<bigint, Gathered>();
  readonly #listeners = new Set<(c: CosignedCheckpoint) => void>();
  readonly #waiters = new SizeWaiters<CosignedCheckpoint>();
  #alarms: WitnessAlarm[] = [];
  #prepared: PreparedCheckpoint | undefined;
  #cosigned: CosignedCheckpoint | undefined;
  #chain: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(deps: WitnessManagerDeps, stored: CosignedCheckpoint | undefined) {
    this.#d = deps;
    this.quorum = deps.config.quorum;
    this.#cosigned = stored;
    const overStream = deps.stream === undefined ? undefined : streamTransport(deps.stream);
    if (overStream === undefined && deps.config.witnesses.some((w) => w.transport === 'libp2p')) {
      throw new LogError('config', 'a witness is given by a libp2p multiaddr, but the node has no libp2p transport (witnessStream)');
    }
    this.#clients = deps.config.witnesses.map(
      (witness, i) =>
        new WitnessClient({
          send: witness.transport === 'libp2p' ? overStream! : postAddCheckpoint,
          witness,
          timing: deps.config.timing,
          logger: deps.logger,
          clock: deps.clock,
          latest: () => this.#prepare(deps.latest()),
          consistencyProof: deps.consistencyProof,
          onCosignature: (p, sig) => this.#onCosignature(i, p, sig),
          onAlarm: (a) => this.#onAlarm(a),
          probe: deps.probe ?? tcpReachable,
          ...(deps.random === undefined ? {} : { random: deps.random }),
        }),
    );
  }

  /**
   * The start-up check of the module comment, for `cp` (the latest signed checkpoint before
   * anything new is signed). Throws LogError 'rolled-back' naming the witness and both sizes.
   */
  async startupCheck(cp: SignedCheckpoint): Promise<void> {
    const p = this.#prepare(cp);
    const results = await Promise.all(this.#clients.map(async (c) => ({ c, r: await c.probe(p, this.#d.config.timing.startupTimeoutMs) })));
    const ahead: { name: string; url: string; size: bigint }[] = [];
    for (const { c, r } of results) {
      const w = c.witness;
      if (r.kind === 'size' && r.size > cp.size) ahead.push({ name: w.name, url: w.url, size: r.size });
      else if (r.kind === 'failed') this.#d.logger.warn('witness not checked at start-up', { witness: w.url, name: w.name, error: r.message });
      else this.#d.logger.info('witness checked at start-up', { witness: w.url, name: w.name, witnessSize: r.kind === 'size' ? r.size : cp.size });
    }
    await this.#chain;
    const first = ahead[0];
    if (first !== undefined) {
      throw new LogError(
        'rolled-back',
        `witness ${first.name} (${first.url}) has cosigned size ${first.size} for ${this.#d.origin}, but this log's latest signed checkpoint has size ${cp.size}: ` +
          'the data directory was restored from an older copy or rolled back; refusing to start (signing now would fork the log)',
        { details: { origin: this.#d.origin, size: cp.size, witnesses: ahead } },
      );
    }
  }

  /** A new signed checkpoint exists (also called once at start): send it to every witness. */
  offer(): void {
    if (this.#stopped) return;
    if (this.quorum === 0) {
      // No cosignature needed: the signed checkpoint is cosigned as it is (lines are added as they come).
      const p = this.#prepare(this.#d.latest());
      this.#maybePublish(this.#gather(p));
    }
    for (const c of this.#clients) c.offer();
  }

  /**
   * A witness became reachable again (a libp2p reconnect): `target` is its configured URL or
   * multiaddr, or the peer ID its multiaddr ends in. Ends that client's backoff, if any.
   */
  reachable(target: string): void {
    for (const c of this.#clients) {
      const url = c.witness.url;
      if (url === target || (c.witness.transport === 'libp2p' && url.endsWith(`/p2p/${target}`))) c.reachable();
    }
  }

  /** The latest cosigned checkpoint (undefined until a quorum cosigned one). */
  cosigned(): CosignedCheckpoint | undefined {
    return this.#cosigned;
  }

  /** Resolves once a cosigned checkpoint of at least `size` exists. */
  waitFor(size: bigint, signal: AbortSignal | undefined): Promise<CosignedCheckpoint> {
    if (this.#cosigned !== undefined && this.#cosigned.size >= size) return Promise.resolve(this.#cosigned);
    if (this.#stopped) return Promise.reject(new LogError('stopping', 'the log is stopping'));
    return this.#waiters.wait(size, signal, 'a cosigned checkpoint');
  }


  /** Calls `listener` after each new cosigned checkpoint is persisted; returns an unsubscribe function. */
  onCosigned(listener: (c: CosignedCheckpoint) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** Rejects every waiter (integration halted, or stopping). */
  rejectWaiters(err: unknown): void {
    this.#waiters.rejectAll(err);
  }

  status(): WitnessesStatus {
    return {
      quorum: this.quorum,
      cosignedSize: this.#cosigned?.size,
      witnesses: this.#clients.map((c) => c.state()),
      alarms: [...this.#alarms],
    };
  }

  /** Aborts every exchange, waits for pending persistence, rejects waiters. Call before closing storage. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await Promise.all(this.#clients.map((c) => c.stop()));
    await this.#chain;
    this.rejectWaiters(new LogError('stopping', 'the log stopped before a cosigned checkpoint covered the entries'));
  }

  #prepare(cp: SignedCheckpoint): PreparedCheckpoint {
    if (this.#prepared?.checkpoint !== cp) this.#prepared = { checkpoint: cp, text: utf8.encode(parseNote(cp.note).text) };
    return this.#prepared;
  }

  #gather(p: PreparedCheckpoint): Gathered {
    const size = p.checkpoint.size;
    let g = this.#gathered.get(size);
    if (g === undefined || !bytesEqual(g.p.checkpoint.note, p.checkpoint.note)) {
      g = { p, sigs: new Map() };
      this.#gathered.set(size, g);
      if (this.#gathered.size > MAX_GATHERED) {
        const smallest = [...this.#gathered.keys()].reduce((a, b) => (b < a ? b : a));
        this.#gathered.delete(smallest);
      }
    }
    return g;
  }

  #onCosignature(index: number, p: PreparedCheckpoint, sig: NoteSignature): void {
    if (this.#stopped) return;
    const current = this.#cosigned?.size;
    if (current !== undefined && p.checkpoint.size < current) return; // a quorum already covers more
    const g = this.#gather(p);
    g.sigs.set(index, sig);
    this.#maybePublish(g);
  }

  #maybePublish(g: Gathered): void {
    if (g.sigs.size < this.quorum) return;
    const witnesses = this.#d.config.witnesses;
    const sigs = [...g.sigs].sort(([a], [b]) => a - b).map(([i, sig]) => ({ witness: witnesses[i]!, sig }));
    const c = mergeCosignatures(g.p, sigs);
    this.#chain = this.#chain.then(() => this.#persistAndPublish(c));
  }

  /** Runs serialised on #chain, so cosigned checkpoints are persisted and published in order. */
  async #persistAndPublish(c: CosignedCheckpoint): Promise<void> {
    const cur = this.#cosigned;
    if (cur !== undefined && (c.size < cur.size || (c.size === cur.size && c.cosigners.length <= cur.cosigners.length))) return;
    try {
      await this.#d.storage.write([cosignedWrite(c)], { sync: true });
    } catch (e) {
      // The note is self-verifying, so serving it is still right; only a restart would not see it.
      this.#d.logger.error('could not persist the cosigned checkpoint', { size: c.size, error: e });
    }
    this.#cosigned = c;
    for (const size of this.#gathered.keys()) if (size < c.size) this.#gathered.delete(size);
    this.#d.logger.debug('checkpoint cosigned', { size: c.size, cosigners: c.cosigners.map((x) => x.name) });
    this.#waiters.release(c);
    for (const l of this.#listeners) {
      try {
        l(c);
      } catch (e) {
        this.#d.logger.warn('onCosignedCheckpoint listener threw', { error: e });
      }
    }
  }

  #onAlarm(a: WitnessAlarm): void {
    this.#alarms.push(a);
    if (this.#alarms.length > MAX_WITNESS_ALARMS) this.#alarms.splice(0, this.#alarms.length - MAX_WITNESS_ALARMS);
  }
}
