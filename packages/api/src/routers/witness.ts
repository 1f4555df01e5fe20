/**
 * The `witness` tRPC router: read-only views of a `@cairn/witness` Witness, served at `/trpc` by
 * `startWitnessServer`. Writes go through the tlog-witness HTTP path (`POST /add-checkpoint`),
 * never through tRPC.
 *
 * - `status` → `{ name, cosignatureVkey, logs: [{ origin, configured, qpd, size, rootHash, cosignedAt }] }`
 *   (size and cosignedAt are decimal strings, rootHash base64; null when never cosigned);
 * - `misbehaviour({ origin?, limit? })` → possible-misbehaviour records, newest first, each with
 *   both notes, the proof (base64) and the time.
 *
 * This router has its own tRPC instance (its context is a witness, not a log); errors are
 * mapped through the one witness table in http/witness.ts. Plain JSON on the wire, like the
 * log router.
 */
import { initTRPC, TRPCError } from '@trpc/server';
import { z } from 'zod';
import { isWitnessError, type MisbehaviourRecord, type Witness } from '@cairn/witness';
import { witnessErrorRule, witnessPublicMessage } from '../http/witness.js';

/** What every witness procedure sees. */
export interface WitnessApiContext {
  readonly witness: Witness;
}

/** Most misbehaviour records one call returns. */
export const MAX_MISBEHAVIOUR_PAGE = 1000;
/** Records returned when no limit is given. */
export const DEFAULT_MISBEHAVIOUR_PAGE = 100;

const t = initTRPC.context<WitnessApiContext>().create({
  errorFormatter({ shape, error }) {
    return {
      ...shape,
      data: { ...shape.data, cairnCode: isWitnessError(error.cause) ? error.cause.code : null, stack: undefined },
    };
  },
});

const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (result.ok) return result;
  const err = result.error;
  if (err.code !== 'INTERNAL_SERVER_ERROR' || err.cause === undefined) throw err;
  const rule = witnessErrorRule(err.cause);
  throw new TRPCError({ code: rule.trpc, message: witnessPublicMessage(err.cause), cause: err.cause });
});

const procedure = t.procedure.use(mapErrors);

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

function recordOut(r: MisbehaviourRecord) {
  return {
    kind: r.kind,
    origin: r.origin,
    time: r.time.toString(),
    oldSize: r.oldSize.toString(),
    storedNote: r.storedNote ?? null,
    offeredNote: r.offeredNote,
    proof: r.proof.map(b64),
    reason: r.reason,
  };
}

const misbehaviourInput = z
  .strictObject({
    origin: z.string().min(1).max(1024).optional(),
    limit: z.number().int().min(1).max(MAX_MISBEHAVIOUR_PAGE).optional(),
  })
  .optional();

/** The witness router. */
export const witnessRouter = t.router({
  status: procedure.query(async ({ ctx }) => {
    const s = await ctx.witness.status();
    return {
      name: s.name,
      cosignatureVkey: s.cosignatureVkey,
      logs: s.logs.map((l) => ({
        origin: l.origin,
        configured: l.configured,
        qpd: l.qpd ?? null,
        size: l.size?.toString() ?? null,
        rootHash: l.rootHash === undefined ? null : b64(l.rootHash),
        cosignedAt: l.cosignedAt?.toString() ?? null,
      })),
    };
  }),
  misbehaviour: procedure.input(misbehaviourInput).query(async ({ ctx, input }) => {
    const records = await ctx.witness.misbehaviour({
      limit: input?.limit ?? DEFAULT_MISBEHAVIOUR_PAGE,
      ...(input?.origin === undefined ? {} : { origin: input.origin }),
    });
    return records.map(recordOut);
  }),
});

/** The router type for `@trpc/client`. */
export type WitnessRouter = typeof witnessRouter;

/** `createWitnessCaller({ witness })`: calls procedures in-process, without HTTP. */
export const createWitnessCaller = t.createCallerFactory(witnessRouter);
