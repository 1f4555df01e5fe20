/**
 * The `witness` tRPC router: read-only views of a `@cairn/witness` Witness, served at `/trpc` by
 * `startWitnessServer`. Writes go through the tlog-witness HTTP path (`POST /add-checkpoint`),
 * never through tRPC.
 *
 * - `status` → `{ name, cosignatureVkey, logs: [{ origin, configured, qpd, size, rootHash, cosignedAt }] }`
 *   (size and cosignedAt are decimal strings, rootHash base64; null when never cosigned);
 * - `misbehaviour({ origin?, limit? })` → possible-misbehaviour records, newest first, each with
 *   both notes, the proof (base64) and the time.
 * - `evidence({ origin?, limit? })` → split-view evidence records, newest first:
 *   `{ id, origin, kind, proven, recordedAt, record }` where `record` is the canonical evidence
 *   JSON line (re-verifiable offline with `cairn evidence verify`);
 * - `status` also tells, per log, `blocked: { evidenceId, since } | null` (the witness stopped
 *   cosigning it after proven misbehaviour) and, on the witness network, `p2p`: its peer ID,
 *   addresses, connected peers and gossip counters (accepted / rejected by reason …), and
 *   `p2p.peerSync`: the start-up sync (state, each peer and what it holds, checkpoints learned);
 * - per log, `known: { size, from, learnedAt } | null` — a larger log-signed checkpoint learned
 *   from a peer that the witness has not yet caught up with (add-checkpoint answers 409 with its
 *   size meanwhile) — and `caughtUp: { fromSize, size, from, at } | null`, the last catch-up;
 *   `held` says why add-checkpoint answers 503 `syncing` now (null when it does not).
 *
 * This router has its own tRPC instance (its context is a witness, not a log); errors are
 * mapped through the one witness table in http/witness.ts. Plain JSON on the wire, like the
 * log router.
 */
import { initTRPC, TRPCError } from '@trpc/server';
import { z } from 'zod';
import { isWitnessError, type MisbehaviourRecord, type Witness } from '@cairn/witness';
import { witnessErrorRule, witnessPublicMessage } from '../errors.js';

/** The witness-network part of the status (from `@cairn/gossip/witness`). */
export interface WitnessP2pStatus {
  readonly peerId: string;
  readonly multiaddrs: readonly string[];
  readonly connectedPeers: readonly string[];
  /** Gossip counters (a plain JSON object). */
  readonly metrics: unknown;
  /** The start-up sync with peer witnesses and the catch-up counters (a plain JSON object). */
  readonly peerSync?: unknown;
}

/** What every witness procedure sees. */
export interface WitnessApiContext {
  readonly witness: Witness;
  /** Present when the witness is on the libp2p witness network. */
  readonly p2p?: (() => WitnessP2pStatus) | undefined;
}

/** Most misbehaviour records one call returns. */
export const MAX_MISBEHAVIOUR_PAGE = 1000;
/** Records returned when no limit is given. */
export const DEFAULT_MISBEHAVIOUR_PAGE = 100;
/** Most evidence records one call returns. */
export const MAX_EVIDENCE_PAGE = 1000;
/** Evidence records returned when no limit is given. */
export const DEFAULT_EVIDENCE_PAGE = 100;

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

const evidenceInput = z
  .strictObject({
    origin: z.string().min(1).max(1024).optional(),
    limit: z.number().int().min(1).max(MAX_EVIDENCE_PAGE).optional(),
  })
  .optional();

/** The witness router, served at `/trpc` by `startWitnessServer`: read-only views of one witness. */
export const witnessRouter = t.router({
  /**
   * The witness's name and cosignature key, and per log: the latest cosigned size, root and
   * time, whether it is blocked after proven misbehaviour, a larger checkpoint learned from a
   * peer (`known`), the last catch-up; `held` says why add-checkpoint answers 503 now; `p2p` the
   * witness-network view (peer ID, addresses, peers, gossip counters, start-up sync) or null.
   */
  status: procedure.query(async ({ ctx }) => {
    const s = await ctx.witness.status();
    return {
      name: s.name,
      cosignatureVkey: s.cosignatureVkey,
      held: s.held ?? null,
      logs: s.logs.map((l) => ({
        origin: l.origin,
        configured: l.configured,
        qpd: l.qpd ?? null,
        size: l.size?.toString() ?? null,
        rootHash: l.rootHash === undefined ? null : b64(l.rootHash),
        cosignedAt: l.cosignedAt?.toString() ?? null,
        blocked: l.blocked === undefined ? null : { evidenceId: l.blocked.evidenceId, since: l.blocked.since },
        known: l.known === undefined ? null : { size: l.known.size.toString(), from: l.known.from, learnedAt: l.known.learnedAt },
        caughtUp: l.caughtUp === undefined ? null : { fromSize: l.caughtUp.fromSize.toString(), size: l.caughtUp.size.toString(), from: l.caughtUp.from, at: l.caughtUp.at },
      })),
      p2p: ctx.p2p?.() ?? null,
    };
  }),
  /**
   * Possible-misbehaviour records (refused checkpoints that conflict with what the witness
   * holds), newest first: both notes, the consistency proof (base64), the time and the reason.
   */
  misbehaviour: procedure.input(misbehaviourInput).query(async ({ ctx, input }) => {
    const records = await ctx.witness.misbehaviour({
      limit: input?.limit ?? DEFAULT_MISBEHAVIOUR_PAGE,
      ...(input?.origin === undefined ? {} : { origin: input.origin }),
    });
    return records.map(recordOut);
  }),
  /**
   * Split-view evidence records, newest first: `{ id, origin, kind, proven, recordedAt, record }`,
   * where `record` is the canonical evidence JSON line (`cairn evidence verify` re-checks it offline).
   */
  evidence: procedure.input(evidenceInput).query(async ({ ctx, input }) => {
    const records = await ctx.witness.evidence({
      limit: input?.limit ?? DEFAULT_EVIDENCE_PAGE,
      ...(input?.origin === undefined ? {} : { origin: input.origin }),
    });
    return records.map((e) => ({ id: e.id, origin: e.origin, kind: e.kind, proven: e.proven, recordedAt: e.recordedAt, record: e.record }));
  }),
});

/** The router type for `@trpc/client`. */
export type WitnessRouter = typeof witnessRouter;

/** `createWitnessCaller({ witness })`: calls procedures in-process, without HTTP. */
export const createWitnessCaller = t.createCallerFactory(witnessRouter);
