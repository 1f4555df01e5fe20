/**
 * The `log` router: submissions (authenticated) and reads (public) of one log.
 *
 * Wire conventions (see schemas.ts): sizes and indices are canonical decimal strings ≤ 2^63−1,
 * bytes are padded standard base64, checkpoints are the exact signed note text. Every input is
 * bounded and fully validated before the node is called; reads past the latest signed
 * checkpoint fail with NOT_FOUND without touching the node.
 */
import { z } from 'zod';
import { isReservedEntry, RESERVED_ENTRY_PREFIX } from '@cairn/events';
import { formatProofBundle, utf8DecodeStrict } from '@cairn/formats';
import { ApiError, storedNothing } from '../errors.js';
import { authedProcedure, publicProcedure, router } from '../trpc.js';
import type { ServedCheckpoint, ServedLog } from '../served-log.js';
import { searchIndexReport } from '../deferred-search.js';
import {
  decimalSchema,
  entrySchema,
  hashSchema,
  MAX_ENTRIES_RANGE,
  MAX_PROOFS_PER_CALL,
  MAX_SUBMIT_ENTRIES,
  waitSchema,
} from '../schemas.js';


/** The latest signed checkpoint, or NOT_FOUND when the log has signed none yet. */
export function latestCheckpoint(node: ServedLog): ServedCheckpoint {
  const c = node.latestCheckpoint();
  if (c === undefined) throw new ApiError('no-checkpoint', 'the log has not signed a checkpoint yet');
  return c;
}

function checkpointOut(c: ServedCheckpoint) {
  return { note: noteText(c), size: c.size.toString(), rootHash: b64(c.rootHash), time: c.time };
}

function noteText(c: ServedCheckpoint): string {
  return utf8DecodeStrict(c.note);
}

/** Canonical padded base64 through Node's native encoder (the API is server-side only). */
const b64 = (h: Uint8Array): string => Buffer.from(h.buffer, h.byteOffset, h.byteLength).toString('base64');
const proofOut = (p: readonly Uint8Array[]): string[] => p.map(b64);
/** A proof as ONE base64 string of its hashes concatenated (32·k bytes): the bulk encoding. */
const packedProof = (p: readonly Uint8Array[]): string => Buffer.concat(p).toString('base64');

function requireInTree(index: bigint, size: bigint, what = 'entry'): void {
  if (index >= size) throw new ApiError('beyond-tree', `${what} ${index} is not in the tree of size ${size}`);
}

const submitInput = z.strictObject({
  entries: z
    .array(entrySchema)
    .min(1, 'submit at least one entry')
    .max(MAX_SUBMIT_ENTRIES, `submit at most ${MAX_SUBMIT_ENTRIES} entries per call`),
  wait: waitSchema.default('none'),
});

const inclusionInput = z
  .strictObject({
    index: decimalSchema.optional(),
    leafHash: hashSchema.optional(),
    treeSize: decimalSchema.optional(),
  })
  .refine((v) => (v.index === undefined) !== (v.leafHash === undefined), 'give exactly one of index and leafHash');

export const logRouter = router({
  /** Appends entries; answers once they are durable (and, with wait 'checkpoint', signed). */
  submit: authedProcedure.input(submitInput).mutation(async ({ ctx, input, signal }) => {
    const n = input.entries.length;
    // The core refuses these too (every path); checked here first for a message naming the field.
    const reserved = input.entries.findIndex((e) => isReservedEntry(e));
    if (reserved >= 0) {
      throw new ApiError('reserved-entry', `entries[${reserved}] begins with ${RESERVED_ENTRY_PREFIX}, which is reserved for the log's event leaves; submit events with events.submit`);
    }
    ctx.tokens.chargeQuota(ctx.source, n);
    let res;
    try {
      res = await ctx.node.submit(input.entries, { wait: input.wait, ...(signal !== undefined ? { signal } : {}) });
    } catch (e) {
      if (storedNothing(e)) ctx.tokens.refundQuota(ctx.source, n);
      throw e;
    }
    ctx.logger?.info('submitted', { source: ctx.source, entries: n, first: res.indices[0]?.toString() });
    return {
      indices: res.indices.map((i) => i.toString()),
      leafHashes: res.leafHashes.map(b64),
      ...(res.checkpoint !== undefined ? { checkpoint: noteText(res.checkpoint), treeSize: res.checkpoint.size.toString() } : {}),
      ...(res.proofs !== undefined ? { proofs: res.proofs.map(proofOut) } : {}),
    };
  }),

  /** The latest signed checkpoint: exact note text, size, root hash and signing time (ms). */
  checkpoint: publicProcedure.query(({ ctx }) => checkpointOut(latestCheckpoint(ctx.node))),

  /**
   * The newest checkpoint that met the witness quorum, with the log signature and every
   * cosignature gathered (NOT_FOUND without witnesses or before the first quorum).
   */
  cosignedCheckpoint: publicProcedure.query(({ ctx }) => {
    const c = ctx.node.latestCosignedCheckpoint();
    if (c === undefined) throw new ApiError('no-checkpoint', 'no checkpoint has met the witness quorum yet');
    return checkpointOut(c);
  }),

  /** One entry by index. */
  entry: publicProcedure.input(z.strictObject({ index: decimalSchema })).query(async ({ ctx, input }) => {
    requireInTree(input.index, latestCheckpoint(ctx.node).size);
    const data = await ctx.node.getEntry(input.index);
    return { index: input.index.toString(), data: b64(data) };
  }),

  /** Entries [from, to), at most MAX_ENTRIES_RANGE of them. */
  entries: publicProcedure
    .input(z.strictObject({ from: decimalSchema, to: decimalSchema }))
    .query(async ({ ctx, input }) => {
      const { from, to } = input;
      if (from > to) throw new ApiError('bad-range', `from (${from}) must not exceed to (${to})`);
      if (to - from > BigInt(MAX_ENTRIES_RANGE)) {
        throw new ApiError('bad-range', `at most ${MAX_ENTRIES_RANGE} entries per call; asked for ${to - from}`);
      }
      const size = latestCheckpoint(ctx.node).size;
      if (to > size) throw new ApiError('beyond-tree', `range end ${to} is beyond the tree of size ${size}`);
      const entries = from === to ? [] : await ctx.node.getEntries(from, to);
      return { from: from.toString(), entries: entries.map(b64) };
    }),

  /**
   * Inclusion proof for an entry (by index or leaf hash) in the tree of `treeSize` (default: the
   * latest checkpoint, whose note text is returned too, so proof and checkpoint always match).
   */
  inclusionProof: publicProcedure.input(inclusionInput).query(async ({ ctx, input }) => {
    const latest = latestCheckpoint(ctx.node);
    const treeSize = input.treeSize ?? latest.size;
    if (treeSize > latest.size) throw new ApiError('beyond-tree', `tree size ${treeSize} is beyond the latest checkpoint (size ${latest.size})`);
    let index: bigint;
    if (input.index !== undefined) {
      index = input.index;
      requireInTree(index, treeSize);
    } else {
      const found = await ctx.node.findLeafIndex(input.leafHash!);
      if (found === undefined || found >= treeSize) {
        throw new ApiError('not-found', `no entry with leaf hash ${b64(input.leafHash!)} in the tree of size ${treeSize}`);
      }
      index = found;
    }
    const proof = await ctx.node.inclusionProof(index, treeSize);
    return {
      index: index.toString(),
      treeSize: treeSize.toString(),
      proof: proofOut(proof),
      ...(input.treeSize === undefined ? { checkpoint: noteText(latest) } : {}),
    };
  }),

  /**
   * Inclusion proofs for many entries (by index) in one tree size (default: the latest
   * checkpoint, whose note is returned): the batched read path for auditors and SIEM pipelines
   * that verify many events at once. At most MAX_PROOFS_PER_CALL indices. Each proof comes as
   * one base64 string of its hashes concatenated (leaf sibling first; 32 bytes each), which
   * keeps a 1000-proof answer compact; split it into 32-byte hashes to verify.
   */
  inclusionProofs: publicProcedure
    .input(z.strictObject({
      indices: z.array(decimalSchema).min(1, 'ask for at least one index')
        .max(MAX_PROOFS_PER_CALL, `at most ${MAX_PROOFS_PER_CALL} indices per call`),
      treeSize: decimalSchema.optional(),
    }))
    .query(async ({ ctx, input }) => {
      const latest = latestCheckpoint(ctx.node);
      const treeSize = input.treeSize ?? latest.size;
      if (treeSize > latest.size) throw new ApiError('beyond-tree', `tree size ${treeSize} is beyond the latest checkpoint (size ${latest.size})`);
      input.indices.forEach((i) => requireInTree(i, treeSize));
      const proofs = await ctx.node.inclusionProofs(input.indices, treeSize);
      return {
        treeSize: treeSize.toString(),
        proofs: proofs.map(packedProof),
        ...(input.treeSize === undefined ? { checkpoint: noteText(latest) } : {}),
      };
    }),

  /**
   * Consistency proof between tree sizes m ≤ n ≤ the latest checkpoint. For m = 0 or m = n the
   * proof is empty by definition and the node is not asked.
   */
  consistencyProof: publicProcedure
    .input(z.strictObject({ m: decimalSchema, n: decimalSchema }))
    .query(async ({ ctx, input }) => {
      const { m, n } = input;
      if (m > n) throw new ApiError('bad-range', `m (${m}) must not exceed n (${n})`);
      const size = latestCheckpoint(ctx.node).size;
      if (n > size) throw new ApiError('beyond-tree', `tree size ${n} is beyond the latest checkpoint (size ${size})`);
      const proof = m === 0n || m === n ? [] : await ctx.node.consistencyProof(m, n);
      return { m: m.toString(), n: n.toString(), proof: proofOut(proof) };
    }),

  /**
   * A c2sp.org/tlog-proof bundle for one entry against the served checkpoint (the cosigned one
   * when witnesses are configured, so the bundle carries the cosignatures a policy needs).
   */
  proofBundle: publicProcedure.input(z.strictObject({ index: decimalSchema })).query(async ({ ctx, input }) => {
    const latest = ctx.node.servedCheckpoint() ?? latestCheckpoint(ctx.node);
    requireInTree(input.index, latest.size);
    const proof = await ctx.node.inclusionProof(input.index, latest.size);
    return {
      index: input.index.toString(),
      treeSize: latest.size.toString(),
      bundle: utf8DecodeStrict(formatProofBundle({ index: input.index, proof, checkpoint: latest.note })),
    };
  }),

  /** Size, sequenced size, last checkpoint time (ms) and queue depth, plus the log's identity. */
  status: publicProcedure.query(async ({ ctx }) => {
    const s = ctx.node.status();
    const searchIndex = ctx.search?.indexState === undefined ? null : searchIndexReport(await ctx.search.indexState());
    return {
      origin: ctx.node.origin,
      verifierKey: ctx.node.verifierKey,
      size: s.size.toString(),
      sequencedSize: s.sequencedSize.toString(),
      lastCheckpointTime: s.lastCheckpointTime ?? null,
      queueDepth: s.queueDepth,
      halted: s.halted ?? null,
      cosignedSize: s.cosignedSize?.toString() ?? null,
      quorum: s.quorum ?? null,
      witnesses: (s.witnesses ?? []).map((w) => ({
        url: w.url,
        name: w.name,
        knownSize: w.knownSize?.toString() ?? null,
        lastCosignedSize: w.lastCosignedSize?.toString() ?? null,
        lastSuccessTime: w.lastSuccessTime ?? null,
        lastError: w.lastError ?? null,
        consecutiveFailures: w.consecutiveFailures,
      })),
      alarms: (s.alarms ?? []).map((a) => ({
        time: a.time,
        url: a.url,
        name: a.name,
        kind: a.kind,
        status: a.status ?? null,
        message: a.message,
        checkpointSize: a.checkpointSize.toString(),
        witnessSize: a.witnessSize?.toString() ?? null,
        evidenceId: a.evidenceId ?? null,
      })),
      /** The search index (null without one): state, cursor, lag behind `size`. */
      searchIndex,
    };
  }),
});

/** The type of {@link logRouter}. */
export type LogRouter = typeof logRouter;
