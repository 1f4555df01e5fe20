/**
 * The `events` router: audit events in and out of the log's event store
 * (docs/design/event-store-contract.md, formats in docs/design/events.md).
 *
 * | procedure | token | answer |
 * |---|---|---|
 * | `submit` | writer, as its own source | indices, leaf hashes, sequence numbers, resends, receipts |
 * | `get` | reader or admin | the leaf, and the event and salt until erased |
 * | `prove` | reader or admin | the event proof file against the served (cosigned) checkpoint |
 * | `erase` | admin | what was erased, and the index of the erasure record |
 * | `sources` | reader or admin | every source's next sequence number and last index |
 * | `receiptKey` | public | the verifier key of the log's receipt key |
 * | `search` | reader or admin | hits of a query over the event index, each with its event proof (search.ts) |
 * | `tail` | reader or admin | subscription (SSE): new matching events, then their proofs (tail.ts) |
 *
 * Events travel as the JSON text of one OCSF event each and are parsed here with `parseEvent`
 * (strict JSON, OCSF validation, RFC 8785 canonical bytes) before the node sees them; one invalid
 * event refuses the whole batch with `invalid-event`, naming its position and JSON path and never
 * a value (event-errors.ts). Events count against the writer's quota like entries. Wire
 * conventions are the `log` router's: decimal strings for indices and sequence numbers, base64
 * for bytes.
 */
import { z } from 'zod';
import { formatEventProof, MAX_EVENT_SIZE, parseEvent, type ValidatedEvent } from '@cairn/events';
import { formatProofBundle, utf8DecodeStrict, utf8Encode } from '@cairn/formats';
import { ApiError, storedNothing } from '../errors.js';
import { describeEventError } from '../event-errors.js';
import { adminProcedure, authedProcedure, publicProcedure, readerProcedure, router, type ApiContext } from '../trpc.js';
import type { ServedEventInput, ServedEvents } from '../served-log.js';
import { decimalSchema, MAX_SUBMIT_ENTRIES, waitSchema } from '../schemas.js';
import { latestCheckpoint } from './log.js';
import { searchProcedure } from './search.js';
import { tailProcedure } from './tail.js';

/** Most events one `submit` call may carry (as many as entries). */
export const MAX_SUBMIT_EVENTS = MAX_SUBMIT_ENTRIES;
/** Most indices one `erase` call may name. */
export const MAX_ERASE_INDICES = 1_000;
/** Longest erasure reason (characters). */
export const MAX_ERASE_REASON = 1_024;
/** Longest idempotency key (printable ASCII characters). */
export const MAX_IDEMPOTENCY_KEY = 128;

const IDEMPOTENCY_KEY = /^[\x20-\x7e]+$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;

const b64 = (h: Uint8Array): string => Buffer.from(h.buffer, h.byteOffset, h.byteLength).toString('base64');

/** The event store, or `no-event-store`. */
function eventsOf(ctx: ApiContext): ServedEvents {
  if (ctx.events === undefined) throw new ApiError('no-event-store', 'this log serves no events');
  return ctx.events;
}

const submitInput = z
  .strictObject({
    events: z
      .array(z.string().min(1, 'an event is not empty').max(MAX_EVENT_SIZE, `an event may be at most ${MAX_EVENT_SIZE} bytes`))
      .min(1, 'submit at least one event')
      .max(MAX_SUBMIT_EVENTS, `submit at most ${MAX_SUBMIT_EVENTS} events per call`),
    seqs: z.array(decimalSchema).max(MAX_SUBMIT_EVENTS).optional(),
    idempotencyKeys: z
      .array(z.string().min(1).max(MAX_IDEMPOTENCY_KEY, `an idempotency key is at most ${MAX_IDEMPOTENCY_KEY} characters`)
        .regex(IDEMPOTENCY_KEY, 'an idempotency key is printable ASCII'))
      .max(MAX_SUBMIT_EVENTS)
      .optional(),
    wait: waitSchema.default('none'),
    receipts: z.boolean().default(true),
  })
  .superRefine((v, ctx) => {
    for (const k of ['seqs', 'idempotencyKeys'] as const) {
      if (v[k] !== undefined && v[k].length !== v.events.length) {
        ctx.addIssue({ code: 'custom', path: [k], message: `must have one value per event (${v.events.length}), not ${v[k].length}` });
      }
    }
  });

/** Parses every event of a batch; the first invalid one refuses the batch, by position and path. */
function parseBatch(texts: readonly string[]): ValidatedEvent[] {
  return texts.map((text, i) => {
    // A lone surrogate (from a `\ud800` escape in the request) would become U+FFFD in UTF-8: refuse it.
    if (!text.isWellFormed()) throw new ApiError('invalid-event', `event ${i}: $: not well-formed Unicode (lone-surrogate)`);
    try {
      return parseEvent(utf8Encode(text));
    } catch (e) {
      throw new ApiError('invalid-event', `event ${i}: ${describeEventError(e)}`);
    }
  });
}

const eraseInput = z.strictObject({
  indices: z.array(decimalSchema).min(1, 'name at least one index').max(MAX_ERASE_INDICES, `at most ${MAX_ERASE_INDICES} indices per call`),
  reason: z
    .string()
    .min(1, 'give a reason')
    .max(MAX_ERASE_REASON, `at most ${MAX_ERASE_REASON} characters`)
    .refine((s) => s.isWellFormed() && !CONTROL.test(s), 'no control characters'),
});

const indexInput = z.strictObject({ index: decimalSchema });

export const eventsRouter = router({
  /**
   * Appends events as the token's source; answers once durable (with `wait`, once a signed or
   * cosigned checkpoint covers them). Per event: index, leaf hash, sequence number, whether it
   * was a resend answered from the store, the attributes moved into `unmapped`, and (unless
   * `receipts: false`) the signed receipt.
   */
  submit: authedProcedure.input(submitInput).mutation(async ({ ctx, input, signal }) => {
    const events = eventsOf(ctx);
    const n = input.events.length;
    ctx.tokens.chargeQuota(ctx.source, n);
    let res;
    let parsed: ValidatedEvent[];
    try {
      parsed = parseBatch(input.events);
      const batch: ServedEventInput[] = parsed.map((event, i) => ({
        event,
        ...(input.seqs !== undefined ? { seq: input.seqs[i]! } : {}),
        ...(input.idempotencyKeys !== undefined ? { idempotencyKey: input.idempotencyKeys[i]! } : {}),
      }));
      res = await events.submitEvents(ctx.source, batch, {
        wait: input.wait,
        receipts: input.receipts,
        ...(signal !== undefined ? { signal } : {}),
      });
    } catch (e) {
      if (storedNothing(e)) ctx.tokens.refundQuota(ctx.source, n);
      throw e;
    }
    const fresh = res.duplicate.filter((d) => !d).length;
    if (fresh < n) ctx.tokens.refundQuota(ctx.source, n - fresh); // resends take no new room
    ctx.logger?.info('events submitted', { source: ctx.source, events: n, resends: n - fresh, first: res.indices[0]?.toString() });
    return {
      indices: res.indices.map((i) => i.toString()),
      leafHashes: res.leafHashes.map(b64),
      seqs: res.seqs.map((s) => s.toString()),
      duplicate: [...res.duplicate],
      moved: parsed.map((p) => [...p.moved]),
      ...(res.receipts !== undefined ? { receipts: [...res.receipts] } : {}),
      ...(res.checkpoint !== undefined
        ? { checkpoint: utf8DecodeStrict(res.checkpoint.note), treeSize: res.checkpoint.size.toString() }
        : {}),
      ...(res.proofs !== undefined ? { proofs: res.proofs.map((p) => p.map(b64)) } : {}),
    };
  }),

  /**
   * One event: its public leaf, its source and sequence number, and its body, or once erased the
   * index of the erasure record and its time (with the reason and who asked, read from that
   * record while it is not erased itself).
   */
  get: readerProcedure.input(indexInput).query(async ({ ctx, input }) => {
    const events = eventsOf(ctx);
    const size = latestCheckpoint(ctx.node).size;
    if (input.index >= size) throw new ApiError('beyond-tree', `index ${input.index} is not in the tree of size ${size}`);
    const e = await events.getEvent(input.index);
    if (e === undefined) throw new ApiError('not-an-event', `index ${input.index} holds a raw entry, not an event`);
    return {
      index: e.index.toString(),
      source: e.source,
      seq: e.seq.toString(),
      leaf: b64(e.leaf),
      deadline: e.deadline.toString(),
      ...(e.body !== undefined ? { event: utf8DecodeStrict(e.body.canonical), salt: b64(e.body.salt) } : {}),
      ...(e.erased !== undefined
        ? {
            erased: {
              record: e.erased.record.toString(), time: e.erased.time,
              ...(e.erased.reason === undefined ? {} : { reason: e.erased.reason }),
              ...(e.erased.by === undefined ? {} : { by: e.erased.by }),
            },
          }
        : {}),
    };
  }),

  /**
   * The event proof (`cairn.dev/event-proof/v1`): the event, its salt, its leaf and a tlog-proof
   * bundle of the leaf against the served checkpoint — the newest cosigned one with witnesses,
   * else the newest signed one. An erased event has no proof (`erased`, 410): its leaf's
   * tlog-proof bundle (`log.proofBundle`) still verifies.
   */
  prove: readerProcedure.input(indexInput).query(async ({ ctx, input }) => {
    const events = eventsOf(ctx);
    const signed = latestCheckpoint(ctx.node);
    if (input.index >= signed.size) throw new ApiError('beyond-tree', `index ${input.index} is not in the tree of size ${signed.size}`);
    const e = await events.getEvent(input.index);
    if (e === undefined) throw new ApiError('not-an-event', `index ${input.index} holds a raw entry, not an event`);
    if (e.body === undefined) {
      const rec = e.erased === undefined ? '' : ` by the record at index ${e.erased.record}`;
      throw new ApiError('erased', `event ${input.index} was erased${rec}; its leaf still has a tlog-proof bundle (log.proofBundle)`);
    }
    const served = ctx.node.servedCheckpoint() ?? signed;
    if (input.index >= served.size) {
      throw new ApiError('beyond-tree', `event ${input.index} is logged but not yet covered by the served (cosigned) checkpoint of size ${served.size}`);
    }
    const proof = await ctx.node.inclusionProof(input.index, served.size);
    const bundle = formatProofBundle({ index: input.index, proof, checkpoint: utf8DecodeStrict(served.note) });
    const file = formatEventProof({ salt: e.body.salt, leaf: e.leaf, event: e.body.canonical, bundle });
    return { index: input.index.toString(), treeSize: served.size.toString(), proof: utf8DecodeStrict(file) };
  }),

  /**
   * Erases events' bodies and salts (the leaves stay: every proof stays valid) and records the
   * erasure as an Event Log Activity event of the source `cairn`, naming the admin token as who
   * asked. The reason is kept only in that record, never beside the erased events: a ticket
   * reference, not personal data. Erasing an erased event is not an error: it is listed in
   * `alreadyErased`.
   */
  erase: adminProcedure.input(eraseInput).mutation(async ({ ctx, input, signal }) => {
    const events = eventsOf(ctx);
    const size = latestCheckpoint(ctx.node).size;
    for (const i of input.indices) if (i >= size) throw new ApiError('beyond-tree', `index ${i} is not in the tree of size ${size}`);
    const unique = [...new Set(input.indices)];
    const r = await events.eraseEvents(unique, { reason: input.reason, by: ctx.source }, signal !== undefined ? { signal } : {});
    ctx.logger?.info('events erased', { by: ctx.source, erased: r.erased.length, alreadyErased: r.alreadyErased.length, record: r.record?.toString() });
    return {
      erased: r.erased.map((i) => i.toString()),
      alreadyErased: r.alreadyErased.map((i) => i.toString()),
      record: r.record?.toString() ?? null,
    };
  }),

  /** Every source: its next sequence number and the index of its last event. */
  sources: readerProcedure.query(async ({ ctx }) => {
    const list = await eventsOf(ctx).eventSources();
    return list.map((s) => ({ source: s.source, nextSeq: s.nextSeq.toString(), lastIndex: s.lastIndex?.toString() ?? null }));
  }),

  /** The verifier key of the log's receipt key (`<origin>/receipt`). */
  receiptKey: publicProcedure.query(({ ctx }) => {
    const vkey = eventsOf(ctx).receiptVerifierKey;
    if (vkey === undefined) throw new ApiError('no-receipt-key', 'the log has no receipt key');
    return { vkey };
  }),

  search: searchProcedure,
  tail: tailProcedure,
});

/** The type of {@link eventsRouter}. */
export type EventsRouter = typeof eventsRouter;
