/**
 * `events.tail` (in the `events` router): a live tail of the event store with the query language
 * of `events.search` (docs/design/search.md), as a tRPC subscription (server-sent events).
 *
 * | procedure | token | answer |
 * |---|---|---|
 * | `tail` | reader or admin | a stream of `event` messages (each new matching event with its salt and leaf, once a signed checkpoint covers it) and `proof` messages (its event proof file, once the served checkpoint covers it) |
 *
 * Two message kinds, so a reader sees an event as soon as it is committed and can check at once
 * that it opens its leaf's commitment and matches the query, and gets the proof of inclusion in
 * the cosigned tree later (at once when the log has no witnesses). Each message is tracked with a
 * cursor `E:P`: events below E were delivered, and every matching event in [P, E) still owes its
 * proof. Resuming from a cursor (`lastEventId`, which tRPC's subscription link sends on
 * reconnection, or `cursor`) delivers the events from E and the proofs owed from P: no gap, no
 * duplicate. `from` starts at an index (default: the current signed size, only new events).
 *
 * Bounded ({@link DEFAULT_TAIL_BOUNDS}; a server may set others, `tailBounds` of its options): at
 * most `maxTails` subscriptions per log at once (`too-many-tails`, 429), at most `batch` events read
 * per step, and at most `maxPendingProofs` matching events owing proofs (a log whose witnesses
 * stall would otherwise grow this without end): past that the subscription ends with
 * `tail-overflow` (503), and the reader resumes from its last cursor later; a resume cursor may owe
 * proofs for at most `maxResumeOwed` entries (each is read again on resume). Every way a tail ends
 * (the reader goes away, an error, an overflow) gives its slot back. The token is checked again at
 * every step: a tail whose token was revoked meanwhile ends with `unauthorized`.
 * New checkpoints wake the tail (`onCheckpoint`/`onCosignedCheckpoint` when the log has them),
 * else it looks every `pollMs` ms.
 */
import { tracked } from '@trpc/server';
import { z } from 'zod';
import { formatEventProof } from '@cairn/events';
import { encodeBase64, formatProofBundle, utf8DecodeStrict } from '@cairn/formats';
import { extractFields, matches, MAX_QUERY_LENGTH, type Query } from '@cairn/index/query';
import { ApiError, toTRPCError } from '../errors.js';
import { READER_ROLES, readerProcedure, type ApiContext } from '../trpc.js';
import type { ServedLog } from '../served-log.js';
import { decimalSchema } from '../schemas.js';
import { DEFAULT_TAIL_BOUNDS } from '../tail-bounds.js';
import { parseSearchQuery } from './search.js';

const CURSOR = /^(0|[1-9][0-9]{0,18}):(0|[1-9][0-9]{0,18})$/;

const tailInput = z.strictObject({
  query: z.string().min(1, 'give a query (* for every event)').max(MAX_QUERY_LENGTH, `a query has at most ${MAX_QUERY_LENGTH} characters`),
  /** Start at this index (default: the current signed size). */
  from: decimalSchema.optional(),
  /** Resume: a cursor `E:P` from a message's id. */
  cursor: z.string().regex(CURSOR, 'must be a cursor E:P from a tail message').optional(),
  /** Set by tRPC's subscription link when it reconnects: the id of the last message received. */
  lastEventId: z.string().regex(CURSOR, 'must be a cursor E:P from a tail message').nullish(),
});

/** A tail message: a new matching event, or the proof of one delivered before. */
export type TailMessage =
  | { kind: 'event'; index: string; source: string; seq: string; event: string; salt: string; leaf: string }
  | { kind: 'proof'; index: string; treeSize: string; proof: string };

const open = new WeakMap<ServedLog, number>();

/** Resolves at the next checkpoint (signed or cosigned), after `pollMs`, or on abort. */
function nextCheckpoint(node: ServedLog, pollMs: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const offs: (() => void)[] = [];
    const done = () => {
      for (const off of offs) off();
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, pollMs);
    const n = node as ServedLog & { onCheckpoint?: (l: () => void) => () => void; onCosignedCheckpoint?: (l: () => void) => () => void };
    if (typeof n.onCheckpoint === 'function') offs.push(n.onCheckpoint(done));
    if (typeof n.onCosignedCheckpoint === 'function') offs.push(n.onCosignedCheckpoint(done));
    signal?.addEventListener('abort', done);
  });
}

/** Errors raised inside a subscription's generator do not pass the middleware: mapped here. */
export const tailProcedure = readerProcedure.input(tailInput).subscription(async function* (opts) {
  try {
    yield* tail(opts.ctx, opts.input, opts.signal);
  } catch (e) {
    throw toTRPCError(e);
  }
});

async function* tail(ctx: ApiContext, input: z.infer<typeof tailInput>, signal: AbortSignal | undefined) {
  if (ctx.events === undefined) throw new ApiError('no-event-store', 'this log serves no events');
  const events = ctx.events;
  const node = ctx.node;
  const bounds = { ...DEFAULT_TAIL_BOUNDS, ...ctx.tailBounds };
  const query = parseSearchQuery(input.query);
  const resume = input.lastEventId ?? input.cursor;
  let nextEvent: bigint;
  let nextProof: bigint;
  if (resume !== undefined) {
    const m = CURSOR.exec(resume)!;
    nextEvent = BigInt(m[1]!);
    nextProof = BigInt(m[2]!);
    if (nextProof > nextEvent) throw new ApiError('bad-input', 'cursor: its proof position is past its event position');
    if (nextEvent - nextProof > BigInt(bounds.maxResumeOwed)) throw new ApiError('bad-input', `cursor: it owes proofs for more than ${bounds.maxResumeOwed} entries; resume from a later index`);
  } else {
    nextEvent = input.from ?? node.latestCheckpoint()?.size ?? 0n;
    nextProof = nextEvent;
  }
  const count = open.get(node) ?? 0;
  if (count >= bounds.maxTails) throw new ApiError('too-many-tails', `at most ${bounds.maxTails} tails at once on this log`);
  open.set(node, count + 1);
  // The slot is given back when the generator ends, or as soon as the request is aborted: a
  // generator suspended at a yield ends only when the server returns it, and the slot does not
  // depend on that.
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    signal?.removeEventListener('abort', release);
    open.set(node, (open.get(node) ?? 1) - 1);
  };
  signal?.addEventListener('abort', release);
  try {
    // Matching events below nextEvent whose proofs are still owed (found again on resume).
    const pending: bigint[] = [];
    const matching = async (i: bigint) => {
      const e = await events.getEvent(i);
      if (e === undefined || e.body === undefined) return undefined;
      const f = extractFields(e);
      return f !== undefined && matches(query, f) ? e : undefined;
    };
    for (let i = nextProof; i < nextEvent; i++) if ((await matching(i)) !== undefined) pending.push(i);
    const cursor = () => `${nextEvent}:${pending[0] ?? nextEvent}`;

    while (signal?.aborted !== true) {
      // The token may have been revoked since the subscription began (the tokens file reloaded).
      ctx.tokens?.authorize(ctx.authorization, READER_ROLES, 'reading events');
      const size = node.latestCheckpoint()?.size ?? 0n;
      let moved = false;
      const end = nextEvent + BigInt(bounds.batch) < size ? nextEvent + BigInt(bounds.batch) : size;
      for (let i = nextEvent; i < end; i++) {
        const e = await matching(i);
        if (e !== undefined && pending.length >= bounds.maxPendingProofs) {
          // Full: when the served checkpoint now covers the oldest owed proof, give the proofs
          // first (below) and read on from i at the next step; else the witnesses are behind.
          if ((node.servedCheckpoint()?.size ?? 0n) > pending[0]!) break;
          throw new ApiError('tail-overflow', `more than ${bounds.maxPendingProofs} events wait for a cosigned checkpoint: resume later from the last cursor`);
        }
        nextEvent = i + 1n;
        moved = true;
        if (e === undefined) continue;
        pending.push(i);
        const msg: TailMessage = {
          kind: 'event', index: i.toString(), source: e.source, seq: e.seq.toString(),
          event: utf8DecodeStrict(e.body!.canonical), salt: encodeBase64(e.body!.salt), leaf: encodeBase64(e.leaf),
        };
        yield tracked(cursor(), msg);
      }
      const served = node.servedCheckpoint();
      const covered = served === undefined ? [] : pending.filter((i) => i < served.size);
      if (served !== undefined && covered.length > 0) {
        const proofs = await node.inclusionProofs(covered, served.size);
        const checkpoint = utf8DecodeStrict(served.note);
        for (const [k, index] of covered.entries()) {
          pending.shift();
          const e = await events.getEvent(index);
          if (e === undefined || e.body === undefined) continue; // erased meanwhile: no proof to give
          const bundle = formatProofBundle({ index, proof: proofs[k]!, checkpoint });
          const msg: TailMessage = {
            kind: 'proof', index: index.toString(), treeSize: served.size.toString(),
            proof: utf8DecodeStrict(formatEventProof({ salt: e.body.salt, leaf: e.leaf, event: e.body.canonical, bundle })),
          };
          yield tracked(cursor(), msg);
        }
        moved = true;
      }
      if (!moved) await nextCheckpoint(node, bounds.pollMs, signal);
    }
  } finally {
    release();
  }
}
