/**
 * Submitting events: the checks made before anything is queued, and the builder the sequencer's
 * single writer runs for a batch (sequencer.ts, "Builders").
 *
 * In the writer, with the index its first leaf will get, the builder reads the source's state
 * (the group's scratch state first: what earlier batches of the same group commit decided, then
 * storage), applies the rules of docs/design/event-store-contract.md in order — an idempotency
 * key seen before, or a `seq` below the next one, is a resend when the stored canonical bytes
 * are equal (the stored answer, no new leaf), else a conflict; a `seq` above the next one is a
 * gap — and for each new event draws a fresh salt, builds the leaf (@cairn/events `buildLeaf`)
 * and adds the body, the seq → index and key → index lookups, the retention index and the new
 * source state to the same synced write as the leaf. Any refusal throws before the scratch
 * state is touched, so the batch is all or nothing and the group's other batches are unaffected.
 */
import { buildLeaf, isValidSourceId, MAX_CLASS_UID, MAX_EVENT_SIZE, MAX_LEAF_TIME, MAX_SEQUENCE } from '@cairn/events';
import type { HashBackend } from '@cairn/merkle';
import { MAX_ENTRIES_PER_SUBMIT, RESERVED_SOURCE } from '../constants.js';
import { LogError } from '../errors.js';
import type { BuildContext, Built, Builder } from '../sequencer.js';
import { eventKey, idempotencyKey, retentionKey, seqKey, sourceKey, u64 } from '../storage/keys.js';
import type { LogStorage, StorageOp } from '../storage/types.js';
import {
  decodeEventRecord, decodeIndex, decodeSourceState, encodeBody, encodeRetention, encodeSourceState, SALT_BYTES, type SourceState,
} from './records.js';
import type { EventInput } from './types.js';

/** Salts drawn per call of the random source (2048 × 32 bytes = the getRandomValues limit). */
const SALT_POOL = 2048;

/** An idempotency key: 1–128 printable ASCII characters. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x20-\x7e]{1,128}$/;

/** What the builders need from the node. */
export interface EventDeps {
  readonly storage: LogStorage;
  readonly backend: HashBackend;
  /** ms since the epoch. */
  readonly clock: () => number;
  /** Fills its argument with random bytes and returns it (crypto.getRandomValues). */
  readonly random: (buf: Uint8Array) => Uint8Array;
  /** Added to the commit time for the receipt deadline. */
  readonly receiptMmdMs: number;
}

/** One event's answer, before receipts. */
export interface EventAnswer {
  readonly index: bigint;
  readonly seq: bigint;
  readonly leafHash: Uint8Array;
  readonly deadline: bigint;
  readonly duplicate: boolean;
}

/** An event decided in the current group but maybe not written yet. */
interface Pending {
  readonly index: bigint;
  readonly seq: bigint;
  readonly canonical: Uint8Array;
  readonly salt: Uint8Array;
  readonly deadline: bigint;
}

/** A source's scratch state in one group commit. */
interface GroupSource {
  state: SourceState;
  readonly bySeq: Map<bigint, Pending>;
  readonly byKey: Map<string, Pending>;
}

const groupKey = (source: string): string => `source:${source}`;

const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && Buffer.compare(a, b) === 0;

/** Refuses a bad source id; `allowReserved` only for the log's own records. */
export function checkSource(source: unknown, allowReserved = false): asserts source is string {
  if (!isValidSourceId(source)) {
    throw new LogError('invalid-source', 'a source id is 1–64 characters of A–Z a–z 0–9 . _ - starting with a letter or digit');
  }
  if (source === RESERVED_SOURCE && !allowReserved) {
    throw new LogError('invalid-source', `the source id "${RESERVED_SOURCE}" is reserved for the log's own records`);
  }
}

function bad(i: number, field: string, must: string): LogError {
  return new LogError('invalid-argument', `event ${i}: ${field} ${must}`, { details: { event: i, field } });
}

/** Checks a submitEvents call before anything is queued (LogError 'invalid-source', 'too-many-entries', 'invalid-argument'). */
export function validateEventInputs(source: unknown, events: readonly EventInput[]): void {
  checkSource(source);
  if (!Array.isArray(events)) throw new LogError('invalid-argument', 'events must be an array');
  if (events.length > MAX_ENTRIES_PER_SUBMIT) {
    throw new LogError('too-many-entries', `${events.length} events in one call; at most ${MAX_ENTRIES_PER_SUBMIT}`, {
      details: { count: events.length, max: MAX_ENTRIES_PER_SUBMIT },
    });
  }
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as EventInput;
    if (typeof e !== 'object' || e === null || typeof e.event !== 'object' || e.event === null) throw bad(i, 'event', 'is missing');
    const { canonical, time, classUid } = e.event;
    if (!(canonical instanceof Uint8Array) || canonical.length === 0 || canonical.length > MAX_EVENT_SIZE) {
      throw bad(i, 'event.canonical', `must be 1–${MAX_EVENT_SIZE} bytes`);
    }
    if (!Number.isSafeInteger(time) || time < 0 || BigInt(time) > MAX_LEAF_TIME) throw bad(i, 'event.time', 'must be an integer ≥ 0 (ms)');
    if (!Number.isSafeInteger(classUid) || classUid < 0 || BigInt(classUid) > MAX_CLASS_UID) throw bad(i, 'event.classUid', `must be an integer in [0, ${MAX_CLASS_UID}]`);
    if (e.seq !== undefined && (typeof e.seq !== 'bigint' || e.seq < 0n || e.seq > MAX_SEQUENCE)) throw bad(i, 'seq', `must be a bigint in [0, ${MAX_SEQUENCE}]`);
    if (e.idempotencyKey !== undefined && (typeof e.idempotencyKey !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(e.idempotencyKey))) {
      throw bad(i, 'idempotencyKey', 'must be 1–128 printable ASCII characters');
    }
  }
}

/** New leaves and ops planned by {@link planEvents}, plus the step that records them in the group. */
export interface Plan extends Built<EventAnswer[]> {
  readonly leafHashes: Uint8Array[];
  /** Publishes the plan's decisions to the group's scratch state (call only if the request goes ahead). */
  readonly commit: () => void;
}

/**
 * Decides a batch of `source` in the writer (see the module comment). Throws LogError
 * 'seq-regression', 'seq-gap', 'idempotency-conflict', 'erased' (a resend of an erased event
 * cannot be compared) or 'integrity'; never changes `ctx.group` itself (see {@link Plan.commit}).
 */
export async function planEvents(ctx: BuildContext, deps: EventDeps, source: string, events: readonly EventInput[]): Promise<Plan> {
  const { storage } = deps;
  const g = ctx.group.get(groupKey(source)) as GroupSource | undefined;
  const start = g?.state ?? decodeSourceState(source, await storage.get(sourceKey(source)));
  const bySeq = new Map<bigint, Pending>();
  const byKey = new Map<string, Pending>();
  const accepted = BigInt(Math.max(0, Math.floor(deps.clock())));
  const deadline = (accepted + BigInt(Math.max(0, Math.ceil(deps.receiptMmdMs)))) / 1000n;
  let nextSeq = start.nextSeq;
  let index = ctx.start;
  let pool: Uint8Array = new Uint8Array(0);
  let poolAt = 0;
  const entries: Uint8Array[] = [];
  const leafHashes: Uint8Array[] = [];
  const ops: StorageOp[] = [];
  const answers: EventAnswer[] = [];
  const fail = (code: 'seq-regression' | 'seq-gap' | 'idempotency-conflict' | 'erased', i: number, message: string, extra: Record<string, unknown> = {}) =>
    new LogError(code, `event ${i}: ${message}`, { details: { event: i, source, expected: nextSeq, ...extra } });

  /** The stored (or pending) event at `at`, for a resend; 'erased' if its body is gone. */
  const stored = async (at: bigint): Promise<Pending | 'erased'> => {
    const v = await storage.get(eventKey(at));
    if (v === undefined) throw new LogError('integrity', `the event at index ${at} of source ${source} is missing`, { details: { index: at, source } });
    const r = decodeEventRecord(at, v);
    if (r.body === undefined) return 'erased';
    return { index: at, seq: r.seq, canonical: r.body.canonical, salt: r.body.salt, deadline: r.deadline };
  };
  const byKeyLookup = async (key: string): Promise<Pending | 'erased' | undefined> => {
    const p = byKey.get(key) ?? g?.byKey.get(key);
    if (p !== undefined) return p;
    const v = await storage.get(idempotencyKey(source, key));
    return v === undefined ? undefined : stored(decodeIndex(v));
  };
  const bySeqLookup = async (seq: bigint): Promise<Pending | 'erased'> => {
    const p = bySeq.get(seq) ?? g?.bySeq.get(seq);
    if (p !== undefined) return p;
    const v = await storage.get(seqKey(source, seq));
    if (v === undefined) throw new LogError('integrity', `source ${source} has no event with seq ${seq} below its next ${nextSeq}`, { details: { source, seq } });
    return stored(decodeIndex(v));
  };
  /** The stored answer (the leaf is rebuilt from the stored salt: same bytes, same leaf). */
  const resend = (e: EventInput, p: Pending): void => {
    const leafHash = buildLeaf({ source, seq: p.seq, event: e.event, salt: p.salt, backend: deps.backend }).leafHash;
    answers.push({ index: p.index, seq: p.seq, leafHash, deadline: p.deadline, duplicate: true });
  };

  for (let i = 0; i < events.length; i++) {
    const e = events[i] as EventInput;
    if (e.idempotencyKey !== undefined) {
      const p = await byKeyLookup(e.idempotencyKey);
      if (p === 'erased') throw fail('erased', i, 'resends an erased event (its idempotency key was used)');
      if (p !== undefined) {
        if (!bytesEqual(p.canonical, e.event.canonical) || (e.seq !== undefined && e.seq !== p.seq)) {
          throw fail('idempotency-conflict', i, 'its idempotency key was used for another event', { index: p.index });
        }
        resend(e, p);
        continue;
      }
    }
    if (e.seq !== undefined && e.seq !== nextSeq) {
      if (e.seq > nextSeq) throw fail('seq-gap', i, `seq ${e.seq} skips ahead; the next is ${nextSeq}`);
      const p = await bySeqLookup(e.seq);
      if (p === 'erased') throw fail('erased', i, `resends seq ${e.seq}, which was erased`);
      if (!bytesEqual(p.canonical, e.event.canonical)) throw fail('seq-regression', i, `seq ${e.seq} was used for another event; the next is ${nextSeq}`, { index: p.index });
      resend(e, p);
      continue;
    }
    const seq = nextSeq++;
    if (poolAt === pool.length) {
      // One call per up to SALT_POOL salts (getRandomValues takes at most 65536 bytes; per-call
      // overhead showed in profiles when each event drew its own).
      const want = SALT_BYTES * Math.min(SALT_POOL, events.length - i);
      pool = deps.random(new Uint8Array(want));
      if (!(pool instanceof Uint8Array) || pool.length !== want) throw new LogError('config', 'the random source did not fill the buffer it was given');
      poolAt = 0;
    }
    const salt = pool.subarray(poolAt, poolAt + SALT_BYTES);
    poolAt += SALT_BYTES;
    const built = buildLeaf({ source, seq, event: e.event, salt, backend: deps.backend });
    const p: Pending = { index, seq, canonical: e.event.canonical, salt: built.salt, deadline };
    bySeq.set(seq, p);
    if (e.idempotencyKey !== undefined) {
      byKey.set(e.idempotencyKey, p);
      ops.push({ type: 'put', key: idempotencyKey(source, e.idempotencyKey), value: u64(index) });
    }
    entries.push(built.bytes);
    leafHashes.push(built.leafHash);
    ops.push(
      { type: 'put', key: eventKey(index), value: encodeBody({ seq, accepted, deadline, source, body: { salt: built.salt, canonical: e.event.canonical } }) },
      { type: 'put', key: seqKey(source, seq), value: u64(index) },
      { type: 'put', key: retentionKey(accepted, index), value: encodeRetention(e.event.classUid, source) },
    );
    answers.push({ index, seq, leafHash: built.leafHash, deadline, duplicate: false });
    index++;
  }
  const state: SourceState = entries.length === 0 ? start : { nextSeq, lastIndex: index - 1n };
  if (entries.length > 0) ops.push({ type: 'put', key: sourceKey(source), value: encodeSourceState(state) });
  return {
    entries, leafHashes, ops, result: answers,
    commit: () => {
      const mine = g ?? { state, bySeq: new Map(), byKey: new Map() };
      mine.state = state;
      for (const [k, v] of bySeq) mine.bySeq.set(k, v);
      for (const [k, v] of byKey) mine.byKey.set(k, v);
      ctx.group.set(groupKey(source), mine);
    },
  };
}

/** The sequencer builder of one submitEvents batch. */
export function submitBuilder(deps: EventDeps, source: string, events: readonly EventInput[]): Builder<EventAnswer[]> {
  return async (ctx) => {
    const plan = await planEvents(ctx, deps, source, events);
    plan.commit();
    return plan;
  };
}
