/**
 * The event store of a log node: submitting events (through the sequencer's single writer, so a
 * leaf and its body share one synced write), receipts, reads (getEvent, eventSources) and
 * erasure followed by compaction. The node (node.ts) owns the life cycle and the waits; this
 * module owns the event keys (see ../storage/keys.ts) and their meaning.
 */
import { receiptKeyName, signReceipt } from '@cairn/events';
import { parseSignerKey, verifierKeyFromSigner, ALG_ED25519, type Ed25519Backend, type Signer } from '@cairn/formats';
import { nodeEd25519 } from '@cairn/formats/node';
import { LogError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Sequencer } from '../sequencer.js';
import { eventKey, getU64, seqKey, SOURCE_KEYS, sourceOfKey } from '../storage/keys.js';
import { eraseBuilder, validateErase } from './erase.js';
import { decodeEventRecord, decodeIndex, decodeSourceState } from './records.js';
import { submitBuilder, validateEventInputs, type EventAnswer, type EventDeps } from './submit.js';
import type { EraseReason, EraseResult, EventInput, EventSourceState, StoredEvent } from './types.js';

/** The receipt deadline's maximum merge delay, ms, unless configured. */
export const DEFAULT_RECEIPT_MMD_MS = 60_000;

/** The receipt key of a node: its signer and its vkey text. */
export interface ReceiptKey {
  readonly signer: Signer;
  readonly verifierKey: string;
}

/**
 * Parses the receipt signer key; LogError 'config' unless it is a valid Ed25519 key named
 * `<origin>/receipt` (so it can never be the checkpoint key). Signs with node:crypto unless
 * another backend is given (as the checkpoint key: identity.ts); the portable one was 3–4× slower
 * per event under load (docs/benchmarks.md, "Audit events").
 */
export function receiptKey(text: string, origin: string, backend: Ed25519Backend | undefined): ReceiptKey {
  const ed25519 = backend ?? nodeEd25519;
  let want: string;
  try {
    want = receiptKeyName(origin);
  } catch (cause) {
    throw new LogError('config', 'receipts need an origin that is a valid key name', { cause });
  }
  let signer: Signer;
  let verifierKey: string;
  try {
    signer = parseSignerKey(text, { ed25519 });
    verifierKey = verifierKeyFromSigner(text, ALG_ED25519, { ed25519 });
  } catch (cause) {
    throw new LogError('config', `receiptSignerKey is not a valid Ed25519 signer key: ${(cause as Error).message}`, { cause });
  }
  if (signer.name !== want) throw new LogError('config', `receiptSignerKey must be named "${want}", not "${signer.name}"`, { details: { want, got: signer.name } });
  return { signer, verifierKey };
}

/** What {@link EventStore.submit} resolves to (before any wait). */
export interface EventSequenced {
  readonly answers: EventAnswer[];
  readonly receipts?: string[];
}

/** See the module comment. */
export class EventStore {
  readonly #deps: EventDeps;
  readonly #origin: string;
  readonly #sequencer: Sequencer;
  readonly #receipt: ReceiptKey | undefined;
  readonly #logger: Logger;

  constructor(p: { deps: EventDeps; origin: string; sequencer: Sequencer; receipt: ReceiptKey | undefined; logger: Logger }) {
    this.#deps = p.deps;
    this.#origin = p.origin;
    this.#sequencer = p.sequencer;
    this.#receipt = p.receipt;
    this.#logger = p.logger;
  }

  get receiptVerifierKey(): string | undefined {
    return this.#receipt?.verifierKey;
  }

  /** Validates, queues and makes a batch durable; signs receipts if asked. */
  async submit(source: string, events: readonly EventInput[], receipts: boolean, signal: AbortSignal | undefined): Promise<EventSequenced> {
    validateEventInputs(source, events);
    if (receipts && this.#receipt === undefined) throw new LogError('no-receipt-key', 'receipts were asked for but the log has no receipt key');
    if (events.length === 0) return { answers: [], ...(receipts ? { receipts: [] } : {}) };
    const copied = events.map((e) => ({ ...e, event: { ...e.event, canonical: e.event.canonical.slice() } }));
    const answers = await this.#sequencer.submitBuilt(submitBuilder(this.#deps, source, copied), copied.length, signal);
    if (!receipts) return { answers };
    const signer = (this.#receipt as ReceiptKey).signer;
    return {
      answers,
      receipts: answers.map((a) => signReceipt({ origin: this.#origin, index: a.index, leafHash: a.leafHash, source, seq: a.seq, deadline: a.deadline }, signer)),
    };
  }

  /** The stored event at `index` (leaf read through `leafAt`); undefined if it holds none. */
  async get(index: bigint, leafAt: (i: bigint) => Promise<Uint8Array>): Promise<StoredEvent | undefined> {
    const v = await this.#deps.storage.get(eventKey(index));
    if (v === undefined) return undefined;
    const r = decodeEventRecord(index, v);
    const leaf = await leafAt(index);
    return {
      index, source: r.source, seq: r.seq, leaf, deadline: r.deadline,
      ...(r.body === undefined ? {} : { body: { canonical: r.body.canonical, salt: r.body.salt } }),
      ...(r.erased === undefined ? {} : { erased: { ...r.erased, ...(await this.#erasureWhy(r.erased.record)) } }),
    };
  }

  /** The reason and `by` of the erasure record at `record`, from its body (none once it is erased itself). */
  async #erasureWhy(record: bigint): Promise<{ reason?: string; by?: string }> {
    const v = await this.#deps.storage.get(eventKey(record));
    const body = v === undefined ? undefined : decodeEventRecord(record, v).body;
    if (body === undefined) return {};
    let ev: { status_detail?: unknown; actor?: { user?: { name?: unknown } } };
    try {
      ev = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body.canonical)) as typeof ev;
    } catch (cause) {
      throw new LogError('integrity', `the erasure record at index ${record} is not JSON`, { cause, details: { index: record } });
    }
    const by = ev.actor?.user?.name;
    return {
      ...(typeof ev.status_detail === 'string' ? { reason: ev.status_detail } : {}),
      ...(typeof by === 'string' ? { by } : {}),
    };
  }

  /**
   * The indices of `source`'s events with seq in [from, to], ascending by seq, from the seq →
   * index lookup (one range read); stops at the first index `below` does not cover. The caller
   * bounds the range.
   */
  async indicesOf(source: string, from: bigint, to: bigint, below: bigint): Promise<{ seq: bigint; index: bigint }[]> {
    const out: { seq: bigint; index: bigint }[] = [];
    const prefix = seqKey(source, 0n).length - 8;
    for await (const [k, v] of this.#deps.storage.range({ gte: seqKey(source, from), lt: seqKey(source, to + 1n) })) {
      const index = decodeIndex(v);
      if (index >= below) break; // a source's indices grow with its seqs: the rest are beyond too
      out.push({ seq: getU64(k, prefix), index });
    }
    return out;
  }

  /** Every source with at least one event, in byte order of the source id. */
  async sources(): Promise<EventSourceState[]> {
    const out: EventSourceState[] = [];
    for await (const [k, v] of this.#deps.storage.range(SOURCE_KEYS)) {
      const source = sourceOfKey(k);
      const s = decodeSourceState(source, v);
      out.push({ source, nextSeq: s.nextSeq, lastIndex: s.lastIndex });
    }
    return out;
  }

  /**
   * Erases events (see erase.ts) and has the store compact their keys before and after the
   * write (LogStorage.compact), so that the old bytes leave the files on disk.
   */
  async erase(indices: readonly bigint[], why: EraseReason, signal: AbortSignal | undefined): Promise<EraseResult> {
    const sorted = validateErase(indices, why);
    const range = { gte: eventKey(sorted[0] as bigint), lt: eventKey((sorted[sorted.length - 1] as bigint) + 1n) };
    await this.#compact(range);
    const r = await this.#sequencer.submitBuilt(eraseBuilder(this.#deps, this.#origin, sorted, why), 1, signal);
    if (r.erased.length > 0) {
      this.#logger.info('events erased', { count: r.erased.length, record: r.record });
      await this.#compact(range);
    }
    return r;
  }

  async #compact(range: { gte: Uint8Array; lt: Uint8Array }): Promise<void> {
    try {
      await this.#deps.storage.compact?.(range);
    } catch (e) {
      // The erasure itself is durable; LevelDB's own compactions drop the old values later.
      this.#logger.error('compaction for an erasure failed', { error: e });
    }
  }
}
