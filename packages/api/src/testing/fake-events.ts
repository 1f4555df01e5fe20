/**
 * A small in-memory event store implementing the ServedEvents contract
 * (docs/design/event-store-contract.md) on top of a ServedLog (the FakeLog), for the tests of
 * this package: real leaf records, real salts and commitments, real signed receipts (a key from
 * a fixed seed), the sequence and idempotency rules of the contract applied in order and all or
 * nothing, and erasure with a recorded Event Log Activity event from the source `cairn`.
 * Submissions run one at a time, as in the log's single writer. Not exported from the package.
 */
import { buildLeaf, receiptKeyName, signReceipt, validateEvent } from '@cairn/events';
import { generateSignerKey, parseSignerKey, verifierKeyFromSigner } from '@cairn/formats';
import { LogError, type LogErrorCode } from '@cairn/log';
import type {
  ServedEraseResult,
  ServedEventInput,
  ServedEvents,
  ServedEventSource,
  ServedEventSubmitOptions,
  ServedEventSubmitResult,
  ServedLog,
  ServedStoredEvent,
} from '../served-log.js';

/** The receipt deadline of every fake event unless the constructor says otherwise (POSIX seconds). */
export const FAKE_DEADLINE = 1_700_000_060n;
const RECEIPT_SEED = new Uint8Array(32).fill(9);

interface Stored {
  index: bigint;
  source: string;
  seq: bigint;
  leaf: Uint8Array;
  leafHash: Uint8Array;
  receipt: string;
  body: { canonical: Uint8Array; salt: Uint8Array } | undefined;
  erased: { record: bigint; time: number; reason: string; by: string } | undefined;
}

interface SourceState {
  next: bigint;
  last: bigint | undefined;
  bySeq: Map<bigint, bigint>;
  byKey: Map<string, bigint>;
}

const fail = (code: string, message: string, details: Record<string, unknown>): LogError =>
  new LogError(code as LogErrorCode, message, { details });

const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

export class FakeEventStore implements ServedEvents {
  readonly receiptSignerKey: string;
  readonly receiptVerifierKey: string | undefined;
  /** Names of the methods called, in order. */
  readonly calls: string[] = [];
  /** The receipt deadline of every event (POSIX seconds). */
  readonly deadline: bigint;
  readonly #log: ServedLog;
  readonly #events = new Map<bigint, Stored>();
  readonly #sources = new Map<string, SourceState>();
  #chain: Promise<unknown> = Promise.resolve();
  #salt = 0;

  constructor(log: ServedLog, opts: { receiptKey?: boolean; deadline?: bigint } = {}) {
    this.#log = log;
    this.deadline = opts.deadline ?? FAKE_DEADLINE;
    this.receiptSignerKey = generateSignerKey(receiptKeyName(log.origin), RECEIPT_SEED);
    this.receiptVerifierKey = opts.receiptKey === false ? undefined : verifierKeyFromSigner(this.receiptSignerKey);
  }

  #state(source: string): SourceState {
    let s = this.#sources.get(source);
    if (s === undefined) {
      s = { next: 0n, last: undefined, bySeq: new Map(), byKey: new Map() };
      this.#sources.set(source, s);
    }
    return s;
  }

  #nextSalt(): Uint8Array {
    this.#salt++;
    const salt = new Uint8Array(32);
    new DataView(salt.buffer).setUint32(0, this.#salt);
    salt[31] = 0xa5;
    return salt;
  }

  submitEvents(source: string, events: ServedEventInput[], opts: ServedEventSubmitOptions = {}): Promise<ServedEventSubmitResult> {
    this.calls.push('submitEvents');
    const run = this.#chain.then(() => this.#submit(source, events, opts));
    this.#chain = run.catch(() => {});
    return run;
  }

  async #submit(source: string, events: ServedEventInput[], opts: ServedEventSubmitOptions, internal = false): Promise<ServedEventSubmitResult> {
    if (source === 'cairn' && !internal) throw fail('invalid-source', 'the source "cairn" is reserved', { source });
    const st = this.#state(source);
    // Plan the batch against a tentative state; nothing is stored unless every event passes.
    let next = st.next;
    const keys = new Map<string, { index?: bigint; canonical: Uint8Array; pos: number }>();
    const plan: ({ dup: Stored } | { seq: bigint; input: ServedEventInput; pos: number })[] = [];
    events.forEach((e, pos) => {
      const c = e.event.canonical;
      if (e.idempotencyKey !== undefined) {
        const at = st.byKey.get(e.idempotencyKey);
        const stored = at === undefined ? undefined : this.#events.get(at)!;
        const inBatch = keys.get(e.idempotencyKey);
        if (stored !== undefined && stored.body !== undefined) {
          if (!same(stored.body.canonical, c)) throw fail('idempotency-conflict', `event ${pos}: idempotency key seen before with another event`, { position: pos, source });
          plan.push({ dup: stored });
          return;
        }
        if (inBatch !== undefined && !same(inBatch.canonical, c)) throw fail('idempotency-conflict', `event ${pos}: idempotency key used twice in the batch with different events`, { position: pos, source });
      }
      if (e.seq !== undefined && e.seq < next) {
        const at = st.bySeq.get(e.seq);
        const stored = at === undefined ? undefined : this.#events.get(at)!;
        if (stored?.body !== undefined && same(stored.body.canonical, c)) {
          plan.push({ dup: stored });
          return;
        }
        throw fail('seq-regression', `event ${pos}: sequence number ${e.seq} of source ${source} is taken by another event; the next is ${next}`, { position: pos, source, expected: next });
      }
      if (e.seq !== undefined && e.seq > next) {
        throw fail('seq-gap', `event ${pos}: sequence number ${e.seq} of source ${source} leaves a gap; the next is ${next}`, { position: pos, source, expected: next });
      }
      if (e.idempotencyKey !== undefined) keys.set(e.idempotencyKey, { canonical: c, pos });
      plan.push({ seq: next, input: e, pos });
      next++;
    });
    const fresh = plan.filter((p): p is { seq: bigint; input: ServedEventInput; pos: number } => !('dup' in p));
    const built = fresh.map((p) => {
      const salt = this.#nextSalt();
      return { p, salt, leaf: buildLeaf({ source, seq: p.seq, event: p.input.event, salt }) };
    });
    const wait = opts.wait ?? 'none';
    const res = built.length === 0 ? undefined : await this.#log.submit(built.map((b) => b.leaf.bytes), { wait: 'none', ...(opts.signal ? { signal: opts.signal } : {}) });
    const signer = parseSignerKey(this.receiptSignerKey);
    built.forEach((b, k) => {
      const index = res!.indices[k]!;
      const receipt = signReceipt({ origin: this.#log.origin, index, leafHash: b.leaf.leafHash, source, seq: b.p.seq, deadline: this.deadline }, signer);
      const s: Stored = { index, source, seq: b.p.seq, leaf: b.leaf.bytes, leafHash: b.leaf.leafHash, receipt, body: { canonical: b.p.input.event.canonical, salt: b.salt }, erased: undefined };
      this.#events.set(index, s);
      st.bySeq.set(b.p.seq, index);
      if (b.p.input.idempotencyKey !== undefined) st.byKey.set(b.p.input.idempotencyKey, index);
      st.next = b.p.seq + 1n;
      st.last = index;
    });
    const byPos = new Map(built.map((b, k) => [b.p.pos, this.#events.get(res!.indices[k]!)!]));
    const answers = plan.map((p, pos) => ('dup' in p ? p.dup : byPos.get(pos)!));
    const out: ServedEventSubmitResult = {
      indices: answers.map((a) => a.index),
      leafHashes: answers.map((a) => a.leafHash),
      seqs: answers.map((a) => a.seq),
      duplicate: plan.map((p) => 'dup' in p),
      ...(opts.receipts === true ? { receipts: answers.map((a) => a.receipt) } : {}),
    };
    if (wait === 'none') return out;
    const checkpoint = this.#log.latestCheckpoint()!;
    const proofs = await Promise.all(answers.map((a) => this.#log.inclusionProof(a.index, checkpoint.size)));
    return { ...out, checkpoint, proofs };
  }

  async getEvent(index: bigint): Promise<ServedStoredEvent | undefined> {
    this.calls.push('getEvent');
    const s = this.#events.get(index);
    if (s === undefined) return undefined;
    return {
      index: s.index, source: s.source, seq: s.seq, leaf: s.leaf, deadline: this.deadline,
      ...(s.body !== undefined ? { body: s.body } : {}),
      ...(s.erased !== undefined ? { erased: s.erased } : {}),
    };
  }

  eraseEvents(indices: bigint[], why: { reason: string; by: string }): Promise<ServedEraseResult> {
    this.calls.push('eraseEvents');
    const run = this.#chain.then(() => this.#erase(indices, why));
    this.#chain = run.catch(() => {});
    return run;
  }

  async #erase(indices: bigint[], why: { reason: string; by: string }): Promise<ServedEraseResult> {
    for (const i of indices) if (!this.#events.has(i)) throw fail('not-an-event', `index ${i} holds no event`, { index: i });
    const erased = indices.filter((i) => this.#events.get(i)!.body !== undefined);
    const alreadyErased = indices.filter((i) => this.#events.get(i)!.body === undefined);
    if (erased.length === 0) return { erased: [], alreadyErased, record: undefined };
    const time = 1_700_000_000_000;
    const event = validateEvent({
      class_uid: 1008, category_uid: 1, activity_id: 2, type_uid: 100802, severity_id: 1, status_id: 1, time,
      metadata: { version: '1.3.0', product: { name: 'cairn' } },
      message: `erased events ${erased.join(', ')}`,
    });
    const rec = await this.#submit('cairn', [{ event }], {}, true);
    const record = rec.indices[0]!;
    for (const i of erased) {
      const s = this.#events.get(i)!;
      s.body = undefined;
      s.erased = { record, time, reason: why.reason, by: why.by };
    }
    return { erased, alreadyErased, record };
  }

  async eventIndices(source: string, from: bigint, to: bigint): Promise<{ seq: bigint; index: bigint }[]> {
    this.calls.push('eventIndices');
    const size = this.#log.latestCheckpoint()?.size ?? 0n;
    return [...this.#events.values()]
      .filter((s) => s.source === source && s.seq >= from && s.seq <= to && s.index < size)
      .sort((a, b) => (a.seq < b.seq ? -1 : 1))
      .map((s) => ({ seq: s.seq, index: s.index }));
  }

  async eventSources(): Promise<ServedEventSource[]> {
    this.calls.push('eventSources');
    return [...this.#sources.entries()].map(([source, s]) => ({ source, nextSeq: s.next, lastIndex: s.last }));
  }
}
