/**
 * The sequencer: assigns consecutive indices to submitted entries and makes them durable.
 *
 * `submit` validates a call (entry sizes, count) before anything is queued, then puts it in a
 * bounded in-memory queue. A single writer takes everything queued, assigns consecutive indices,
 * writes the entries and the new sequenced size in ONE synced batch (a group commit: while one
 * write is in flight the next group accumulates), and only then resolves the callers. So an
 * acknowledged index is always fsync'd, and a refused call stores nothing.
 *
 * Back-pressure: entries accepted but not yet integrated (queued in memory, being written, or
 * durable but not yet in a checkpoint) are capped at `maxQueueEntries`; a call that would pass
 * the cap fails at once with LogError 'queue-full' carrying a `retryAfterMs` hint.
 *
 * Dedupe (optional): an entry whose leaf hash equals one sequenced since the last integration
 * (the in-memory window) or one already integrated (the `H` index) gets the earlier index and
 * is not stored again.
 *
 * Handoff to the integrator: after each durable commit the stored entries and the leaf hashes
 * computed here go into a SequencedBuffer (handoff.ts) the node shares between its sequencer and its
 * integrator; the integrator takes them from there instead of reading the entries
 * back from storage and hashing them a second time (profiled: the read-back and re-hash were a
 * fifth of the integration cost). The buffer holds only durable entries (copied at submit, so a
 * caller mutating its arrays later changes nothing) and is bounded in bytes; whatever it does not
 * hold (after a restart, or past the bound) the integrator reads from storage as before.
 *
 * Builders (`submitBuilt`): a queued request may carry, instead of fixed entries, a function the
 * single writer calls with the index its first entry will get and a per-group scratch map; it
 * returns the entries to append, extra storage operations and its result, all of which go into
 * the same synced write as the entries. The event store (events/) assigns per-source sequence
 * numbers and writes event bodies this way, so a leaf and its body are never apart. Builders run
 * one at a time in queue order, after the raw entries queued before them got their indices; a
 * builder that throws refuses only its own request (its state changes must not reach the scratch
 * map). Raw `submit` is the trivial builder: fixed entries, no extra ops.
 */
import { isReservedEntry, RESERVED_ENTRY_PREFIX } from '@cairn/events';
import { LogError } from './errors.js';
import { MAX_ENTRIES_PER_SUBMIT, MAX_ENTRY_SIZE } from './constants.js';
import { entryKey, KEY_NEXT, leafHashKey, u64, getU64 } from './storage/keys.js';
import type { LogStorage, StorageOp } from './storage/types.js';
import type { Logger } from './logger.js';
import type { SequencedBuffer } from './handoff.js';

/** What a sequenced call resolves to. */
export interface Sequenced {
  readonly indices: bigint[];
  readonly leafHashes: Uint8Array[];
}

/** Dependencies and settings of a {@link Sequencer}. */
export interface SequencerOptions {
  readonly storage: LogStorage;
  readonly hashLeaf: (entry: Uint8Array) => Uint8Array;
  /** The durable sequenced size at start. */
  readonly nextIndex: bigint;
  /** The current integrated size (for back-pressure and the dedupe window). */
  readonly integratedSize: () => bigint;
  readonly maxQueueEntries: number;
  readonly retryAfterMs: number;
  readonly dedupe: boolean;
  readonly logger: Logger;
  /** Called after each durable group commit with the new sequenced size. */
  readonly onSequenced?: (sequencedSize: bigint) => void;
  /** Where just-stored entries and their leaf hashes go for the integrator (optional). */
  readonly handoff?: SequencedBuffer;
}

/** What the writer hands a {@link Builder}. */
export interface BuildContext {
  /** The index the builder's first entry gets. */
  readonly start: bigint;
  /**
   * Scratch state shared by the builders of one group commit (empty at the start of each group):
   * what earlier builders of the group decided but has not been written yet. A builder that
   * throws must leave it unchanged.
   */
  readonly group: Map<string, unknown>;
}

/** What a {@link Builder} returns. */
export interface Built<R> {
  /** Entries appended at start, start + 1, … (may be empty). */
  readonly entries: readonly Uint8Array[];
  /** Their leaf hashes, when the builder computed them (else the sequencer hashes). */
  readonly leafHashes?: readonly Uint8Array[];
  /** More operations for the same atomic, synced write. */
  readonly ops?: readonly StorageOp[];
  /** What the request resolves to once the write is durable. */
  readonly result: R;
}

/** Runs in the single writer; see the module comment. May read storage. */
export type Builder<R> = (ctx: BuildContext) => Promise<Built<R>> | Built<R>;

interface Request {
  /** Raw entries, or (with `build`) the most entries the builder may append (for back-pressure). */
  readonly entries: readonly Uint8Array[];
  readonly count: number;
  readonly build: Builder<unknown> | undefined;
  readonly resolve: (r: any) => void; // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly reject: (e: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: (() => void) | undefined;
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');


/** Checks one submit call; throws LogError before anything is queued. */
export function validateEntries(entries: readonly Uint8Array[]): void {
  if (!Array.isArray(entries)) throw new LogError('invalid-entry', 'entries must be an array of Uint8Array');
  if (entries.length > MAX_ENTRIES_PER_SUBMIT) {
    throw new LogError('too-many-entries', `${entries.length} entries in one call; at most ${MAX_ENTRIES_PER_SUBMIT}`, {
      details: { count: entries.length, max: MAX_ENTRIES_PER_SUBMIT },
    });
  }
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (!(e instanceof Uint8Array)) throw new LogError('invalid-entry', `entry ${i} is not a Uint8Array`);
    if (e.length > MAX_ENTRY_SIZE) {
      throw new LogError('entry-too-large', `entry ${i} is ${e.length} bytes; at most ${MAX_ENTRY_SIZE}`, {
        details: { entry: i, size: e.length, max: MAX_ENTRY_SIZE },
      });
    }
    // Only the event store (builders, which do not pass here) appends event leaves: a raw entry
    // that could parse as one would be a forged event with a valid event proof.
    if (isReservedEntry(e)) {
      throw new LogError('reserved-entry', `entry ${i} begins with ${RESERVED_ENTRY_PREFIX}, reserved for the log's event leaves; submit events through the event API`, {
        details: { entry: i },
      });
    }
  }
}

/**
 * Copies a call's entries into one buffer (views into it), so what is written, hashed and handed
 * to the integrator is what was submitted even if the caller reuses its arrays afterwards.
 */
function copyEntries(entries: readonly Uint8Array[]): Uint8Array[] {
  let total = 0;
  for (const e of entries) total += e.length;
  const buf = new Uint8Array(total);
  const out: Uint8Array[] = new Array(entries.length);
  let off = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as Uint8Array;
    buf.set(e, off);
    out[i] = buf.subarray(off, off + e.length);
    off += e.length;
  }
  return out;
}

/** Single-writer group-commit sequencer. */
export class Sequencer {
  readonly #o: SequencerOptions;
  #queue: Request[] = [];
  #queuedEntries = 0;
  #inFlightEntries = 0;
  #next: bigint;
  #writing = false;
  #scheduled = false;
  #closing = false;
  #idle: (() => void)[] = [];
  /** Dedupe window: hex leaf hash → index, for sequenced entries not yet integrated. */
  readonly #window = new Map<string, bigint>();
  readonly #windowOrder: { hash: string; index: bigint }[] = [];
  #windowHead = 0;

  constructor(o: SequencerOptions) {
    this.#o = o;
    this.#next = o.nextIndex;
  }

  /** The durable sequenced size. */
  get sequencedSize(): bigint {
    return this.#next;
  }

  /** Entries queued in memory or being written. */
  get queueDepth(): number {
    return this.#queuedEntries + this.#inFlightEntries;
  }

  /** Queues `entries`; resolves once they are durable. */
  submit(entries: readonly Uint8Array[], signal?: AbortSignal): Promise<Sequenced> {
    try {
      validateEntries(entries);
    } catch (e) {
      return Promise.reject(e);
    }
    if (entries.length === 0 && !this.#closing && !signal?.aborted) return Promise.resolve({ indices: [], leafHashes: [] });
    return this.#enqueue<Sequenced>(copyEntries(entries), entries.length, undefined, signal);
  }

  /**
   * Queues a builder that appends at most `maxEntries` entries (counted for back-pressure);
   * resolves with its result once its write is durable, or rejects with what it threw.
   */
  submitBuilt<R>(build: Builder<R>, maxEntries: number, signal?: AbortSignal): Promise<R> {
    return this.#enqueue<R>([], maxEntries, build as Builder<unknown>, signal);
  }

  #enqueue<R>(entries: Uint8Array[], count: number, build: Builder<unknown> | undefined, signal: AbortSignal | undefined): Promise<R> {
    if (this.#closing) return Promise.reject(new LogError('stopping', 'the log is stopping'));
    if (signal?.aborted) return Promise.reject(new LogError('aborted', 'submit aborted', { cause: signal.reason }));
    const backlog = Number(this.#next - this.#o.integratedSize());
    if (this.queueDepth + backlog + count > this.#o.maxQueueEntries) {
      return Promise.reject(
        new LogError('queue-full', `sequencing queue full (${this.queueDepth + backlog} entries waiting); retry later`, {
          retryAfterMs: this.#o.retryAfterMs,
          details: { waiting: this.queueDepth + backlog, max: this.#o.maxQueueEntries },
        }),
      );
    }
    return new Promise<R>((resolve, reject) => {
      let req: Request;
      const onAbort =
        signal === undefined
          ? undefined
          : () => {
              const at = this.#queue.indexOf(req);
              if (at < 0) return; // already taken: it will be written and acknowledged
              this.#queue.splice(at, 1);
              this.#queuedEntries -= req.count;
              reject(new LogError('aborted', 'submit aborted before sequencing', { cause: signal.reason }));
              this.#checkIdle();
            };
      req = { entries, count, build, resolve, reject, signal, onAbort };
      signal?.addEventListener('abort', onAbort as () => void, { once: true });
      this.#queue.push(req);
      this.#queuedEntries += count;
      this.#schedule();
    });
  }

  /** Forgets dedupe-window entries below the new integrated size. */
  integrated(size: bigint): void {
    const order = this.#windowOrder;
    while (this.#windowHead < order.length) {
      const w = order[this.#windowHead] as { hash: string; index: bigint };
      if (w.index >= size) break;
      if (this.#window.get(w.hash) === w.index) this.#window.delete(w.hash);
      this.#windowHead++;
    }
    if (this.#windowHead > 4096 && this.#windowHead * 2 > order.length) {
      order.splice(0, this.#windowHead);
      this.#windowHead = 0;
    }
  }

  /** Stops accepting calls and resolves once everything queued has been written (or failed). */
  async close(): Promise<void> {
    this.#closing = true;
    if (this.#queue.length === 0 && !this.#writing) return;
    await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  #schedule(): void {
    if (this.#scheduled || this.#writing) return;
    this.#scheduled = true;
    // setImmediate lets submits that arrive in the same event-loop turn share one commit.
    setImmediate(() => {
      this.#scheduled = false;
      void this.#writeLoop();
    });
  }

  async #writeLoop(): Promise<void> {
    if (this.#writing) return;
    this.#writing = true;
    try {
      while (this.#queue.length > 0) {
        const group = this.#queue;
        this.#queue = [];
        this.#inFlightEntries = this.#queuedEntries;
        this.#queuedEntries = 0;
        for (const r of group) if (r.onAbort !== undefined) r.signal?.removeEventListener('abort', r.onAbort);
        await this.#commit(group);
        this.#inFlightEntries = 0;
      }
    } finally {
      this.#writing = false;
      this.#checkIdle();
    }
  }

  #checkIdle(): void {
    if (this.#queue.length > 0 || this.#writing) return;
    const waiters = this.#idle;
    this.#idle = [];
    for (const w of waiters) w();
  }

  async #commit(group: readonly Request[]): Promise<void> {
    const { storage, hashLeaf, dedupe } = this.#o;
    let next = this.#next;
    const ops: StorageOp[] = [];
    const results: unknown[] = new Array(group.length);
    /** Requests refused by their builder: answered with the error, never written. */
    const refused: ({ error: unknown } | undefined)[] = new Array(group.length);
    const added: { hash: string; index: bigint }[] = [];
    const stored: Uint8Array[] = [];
    const storedHashes: Uint8Array[] = [];
    try {
      const hashes = group.map((r) => r.entries.map((e) => hashLeaf(e)));
      const known = dedupe ? await this.#lookupIntegrated(hashes.flat()) : new Map<string, bigint>();
      const local = new Map<string, bigint>();
      const scratch = new Map<string, unknown>();
      for (let g = 0; g < group.length; g++) {
        const req = group[g] as Request;
        if (req.build !== undefined) {
          let built: Built<unknown>;
          try {
            built = await req.build({ start: next, group: scratch });
          } catch (e) {
            refused[g] = { error: e };
            continue;
          }
          for (let i = 0; i < built.entries.length; i++) {
            const e = built.entries[i] as Uint8Array;
            ops.push({ type: 'put', key: entryKey(next), value: e });
            stored.push(e);
            storedHashes.push(built.leafHashes?.[i] ?? hashLeaf(e));
            next++;
          }
          if (built.ops !== undefined) for (const op of built.ops) ops.push(op);
          results[g] = built.result;
          continue;
        }
        const hs = hashes[g] as Uint8Array[];
        const indices: bigint[] = new Array(hs.length);
        for (let i = 0; i < hs.length; i++) {
          const h = hs[i] as Uint8Array;
          if (dedupe) {
            const k = hex(h);
            const earlier = local.get(k) ?? known.get(k);
            if (earlier !== undefined) {
              indices[i] = earlier;
              continue;
            }
            local.set(k, next);
            added.push({ hash: k, index: next });
          }
          ops.push({ type: 'put', key: entryKey(next), value: req.entries[i] as Uint8Array });
          stored.push(req.entries[i] as Uint8Array);
          storedHashes.push(h);
          indices[i] = next++;
        }
        results[g] = { indices, leafHashes: hs } satisfies Sequenced;
      }
      if (next !== this.#next) ops.push({ type: 'put', key: KEY_NEXT, value: u64(next) });
      if (ops.length > 0) await storage.write(ops, { sync: true });
    } catch (cause) {
      this.#o.logger.error('sequencing write failed', { error: cause, entries: this.#inFlightEntries });
      const err = new LogError('storage', 'could not store the entries durably', { cause });
      for (const r of group) r.reject(err);
      return;
    }
    const before = this.#next;
    this.#o.handoff?.append(before, stored, storedHashes);
    this.#next = next;
    for (const a of added) {
      this.#window.set(a.hash, a.index);
      this.#windowOrder.push(a);
    }
    for (let g = 0; g < group.length; g++) {
      const r = group[g] as Request;
      const no = refused[g];
      if (no !== undefined) r.reject(no.error);
      else r.resolve(results[g]);
    }
    if (next !== before) this.#o.onSequenced?.(next);
  }

  /**
   * Earlier indices of `hashes`: from the window (read first, synchronously) and then from the
   * `H` index. The window is pruned only after the integrator's write of `H` keys resolved, so an
   * entry leaving the window between the two reads is found in `H`.
   */
  async #lookupIntegrated(hashes: readonly Uint8Array[]): Promise<Map<string, bigint>> {
    const found = new Map<string, bigint>();
    const unique = new Map<string, Uint8Array>();
    for (const h of hashes) {
      const k = hex(h);
      const w = this.#window.get(k);
      if (w !== undefined) found.set(k, w);
      else unique.set(k, h);
    }
    if (unique.size === 0) return found;
    const keys = [...unique.keys()];
    const values = await this.#o.storage.getMany([...unique.values()].map(leafHashKey));
    for (let i = 0; i < keys.length; i++) {
      const v = values[i];
      if (v !== undefined && v.length === 8) found.set(keys[i] as string, getU64(v, 0));
    }
    return found;
  }
}
