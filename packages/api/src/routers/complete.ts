/**
 * `events.search` with `complete: true`: a query over one source and a range of its sequence
 * numbers (`provableRange` of @cairn/index/query) answered with **every** leaf of that source in
 * the range, so the caller can check that no matching event was left out (docs/design/search.md,
 * "Completeness"). Each leaf of a page comes with its inclusion proof against the one served
 * (cosigned) checkpoint: a matching event as a hit (its event proof file, as a plain search), a
 * non-matching one with its event proof file too, or as its leaf alone when the leaf's own fields
 * (source, seq, time, class) already rule the match out, and an erased one as its leaf alone with
 * the index of the erasure record that names it (the caller proves that record itself).
 *
 * The range: the query's seq bounds; an open low end is seq 0, an open high end the source's last
 * seq below the served size (the **head**, which the caller cannot check: a later event of the
 * source may exist below that size). With a time bound and no seq bound on the same side, that
 * end comes from the index (untrusted): the smallest (for a lower time bound) or largest (for an
 * upper one) seq of the source whose time is in the range, widened by one to the neighbouring
 * leaf, so the caller sees that leaf's time fail the bound on its side.
 *
 * Pages go newest first (seq descending, as search results do): at most
 * {@link MAX_COMPLETE_LEAVES} leaves, about {@link MAX_COMPLETE_PAGE_BYTES} and at most `limit`
 * hits per call; `next` is the sequence
 * number to pass as `before` for the next page. Reads are bounded: seq → index lookups in ranges
 * of at most a page, the head found by doubling and halving over single lookups.
 */
import { formatEventProof } from '@cairn/events';
import { encodeBase64, formatProofBundle, utf8DecodeStrict } from '@cairn/formats';
import { extractFields, matches, matchesLeaf, provableRange, type ProvableRange, type Query } from '@cairn/index/query';
import { ApiError } from '../errors.js';
import type { ServedCheckpoint, ServedEvents, ServedSearch, ServedStoredEvent } from '../served-log.js';

/** Most leaves one page of a completeness answer walks. */
export const MAX_COMPLETE_LEAVES = 1000;
/**
 * Roughly the most bytes one page carries: a page ends at the leaf that reaches it (each leaf
 * counted as {@link LEAF_OVERHEAD_BYTES} plus its event, when it comes with one). Events may be
 * 64 KiB each: without it, 1,000 events that a body filter rules out (`actor:nobody`) would make
 * one reader call build some 70 MB.
 */
export const MAX_COMPLETE_PAGE_BYTES = 4 * 1024 * 1024;
/** What a leaf costs a page besides its event: leaf record, inclusion proof, checkpoint note, JSON. */
const LEAF_OVERHEAD_BYTES = 2048;
/** Events read from the store at once while a page is walked. */
const READ_AHEAD = 32;

/** What one end of the range is: the query's seq bound, seq 0, the neighbour of a time-mapped range, or the head. */
export type RangeEnd = 'bound' | 'start' | 'neighbour' | 'head';

/** A leaf of the range that is not a hit. */
export interface CompleteLeaf {
  readonly seq: string;
  readonly index: string;
  /** `event`: the event proof file of a non-matching event; `leaf`: its leaf decides; `erased`: the body is gone. */
  readonly kind: 'event' | 'leaf' | 'erased';
  /** `event`: the event proof file (cairn.dev/event-proof/v1). */
  readonly proof?: string;
  /** `leaf`, `erased`: the leaf record (base64) and its tlog-proof bundle. */
  readonly leaf?: string;
  readonly bundle?: string;
  /** `erased`: the index of the erasure record naming it (the caller proves that record with `events.prove`). */
  readonly record?: string;
}

/** The `complete` part of a search answer. */
export interface CompleteAnswer {
  readonly source: string;
  /** The whole range walked, neighbours included; null when it is empty (see `empty`). */
  readonly range: { readonly from: string; readonly to: string } | null;
  readonly low: RangeEnd;
  readonly high: RangeEnd;
  /** The source's last seq below the checkpoint size as this server sees it (null: none); not provable. */
  readonly head: string | null;
  /** Why the range is empty: the bounds exclude every seq, no event below the checkpoint, none in the time range (per the index). */
  readonly empty: 'bounds' | 'no-events' | 'no-time-match' | null;
  /** The seqs this page covers (null: none). */
  readonly span: { readonly from: string; readonly to: string } | null;
  /** The range's leaves of this page that are not hits, seq descending. */
  readonly leaves: CompleteLeaf[];
}

/** A hit of a completeness page, as plain search hits are served. */
export interface CompleteHit {
  readonly index: string;
  readonly source: string;
  readonly seq: string;
  readonly time: number;
  readonly classUid: number;
  readonly proof: string;
}

type WithBody = ServedStoredEvent & { body: NonNullable<ServedStoredEvent['body']> };

/** The reason a query cannot be answered with a completeness proof, as the 400 the caller gets. */
export function requireProvable(query: Query): ProvableRange {
  const r = provableRange(query);
  if (!r.ok) throw new ApiError('not-provable', r.reason);
  return r.range;
}

/**
 * The source's last seq whose index is below `size` (undefined: none): a source's indices grow
 * with its seqs, so "below size" holds for a prefix of its seqs; found by doubling, then halving.
 */
async function headBelow(events: ServedEvents, source: string, size: bigint, max: bigint): Promise<bigint | undefined> {
  const present = async (seq: bigint): Promise<boolean> => {
    const r = await events.eventIndices(source, seq, seq);
    return r.length === 1 && r[0]!.seq === seq && r[0]!.index < size;
  };
  if (!(await present(0n))) return undefined;
  let lo = 0n; // present
  let hi = max + 1n; // absent: no seq beyond the largest a leaf holds
  for (let step = 1n; lo + step <= max; step *= 2n) {
    if (!(await present(lo + step))) {
      hi = lo + step;
      break;
    }
    lo += step;
  }
  while (hi - lo > 1n) {
    const mid: bigint = lo + (hi - lo) / 2n;
    if (await present(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** The range of a completeness answer: see the module comment. */
async function rangeOf(
  r: ProvableRange, events: ServedEvents, search: ServedSearch, size: bigint, signal: AbortSignal | undefined,
): Promise<{ from: bigint; to: bigint; low: RangeEnd; high: RangeEnd; head: bigint | undefined; empty: CompleteAnswer['empty'] }> {
  const MAX = (1n << 63n) - 1n;
  const head = await headBelow(events, r.source, size, MAX);
  let low: RangeEnd = r.seq.from === undefined ? 'start' : 'bound';
  let from = r.seq.from ?? 0n;
  let high: RangeEnd = r.seq.to === undefined ? 'head' : 'bound';
  let to = r.seq.to ?? head ?? -1n;
  const empty = (why: CompleteAnswer['empty']) => ({ from, to, low, high, head, empty: why });
  if (r.seq.from !== undefined && r.seq.to !== undefined && r.seq.from > r.seq.to) return empty('bounds');
  if (head === undefined || from > head) return empty('no-events');
  if (to > head) {
    to = head;
    high = 'head';
  }
  // Only a time bound maps an open seq end, and only on its own side: with no lower time bound the
  // low end stays seq 0 (start), with no upper one the high end stays the head.
  const mapLow = r.seq.from === undefined && r.time?.from !== undefined;
  const mapHigh = r.seq.to === undefined && r.time?.to !== undefined;
  if (r.time !== undefined && (mapLow || mapHigh)) {
    if (search.seqSpan === undefined) throw new ApiError('not-provable', 'this log\'s search index cannot map time bounds to sequence numbers: give seq bounds');
    const items: Query[] = [{ kind: 'keyword', column: 'source', value: r.source }];
    if (r.seq.from !== undefined) items.push({ kind: 'seq', op: '>=', value: r.seq.from });
    if (r.seq.to !== undefined) items.push({ kind: 'seq', op: '<=', value: r.seq.to });
    if (r.time.from !== undefined) items.push({ kind: 'int', column: 'time', op: '>=', value: r.time.from });
    if (r.time.to !== undefined) items.push({ kind: 'int', column: 'time', op: '<=', value: r.time.to });
    const { span } = await search.seqSpan({ kind: 'and', items }, { before: size, ...(signal === undefined ? {} : { signal }) });
    if (span === undefined || span.min > head || span.min < from || span.max < span.min) return empty('no-time-match');
    if (mapLow) {
      from = span.min === 0n ? 0n : span.min - 1n;
      low = span.min === 0n ? 'start' : 'neighbour';
    }
    if (mapHigh) {
      const top = span.max > head ? head : span.max;
      to = top < head ? top + 1n : head;
      high = top < head ? 'neighbour' : 'head';
    }
  }
  if (from > to) return empty('no-events');
  return { from, to, low, high, head, empty: null };
}

/**
 * One page of a completeness answer below `before` (a seq; the first page when undefined): the
 * hits (at most `limit`) and the other leaves, every one proven against `served`.
 */
export async function completePage(p: {
  query: Query; range: ProvableRange; events: ServedEvents; search: ServedSearch; served: ServedCheckpoint;
  inclusionProofs: (indices: readonly bigint[], size: bigint) => Promise<Uint8Array[][]>;
  limit: number; before: bigint | undefined; signal: AbortSignal | undefined;
}): Promise<{ hits: CompleteHit[]; complete: CompleteAnswer; next: string | null }> {
  const { query, events, served, signal } = p;
  const source = p.range.source;
  const g = await rangeOf(p.range, events, p.search, served.size, signal);
  const base = {
    source, low: g.low, high: g.high, head: g.head === undefined ? null : g.head.toString(), empty: g.empty,
    range: g.empty === null ? { from: g.from.toString(), to: g.to.toString() } : null,
  };
  const top = p.before === undefined || p.before > g.to ? g.to : p.before - 1n;
  if (g.empty !== null || top < g.from) return { hits: [], complete: { ...base, span: null, leaves: [] }, next: null };

  const floor = top - BigInt(MAX_COMPLETE_LEAVES) + 1n > g.from ? top - BigInt(MAX_COMPLETE_LEAVES) + 1n : g.from;
  const found = await events.eventIndices(source, floor, top);
  if (found.length !== Number(top - floor + 1n) || found.some((x, i) => x.seq !== floor + BigInt(i) || x.index >= served.size)) {
    throw new Error(`the event store's seq lookups of a source are not contiguous below the checkpoint in [${floor}, ${top}]`);
  }
  type Item = { seq: bigint; e: ServedStoredEvent; kind: 'hit' | CompleteLeaf['kind'] };
  const items: Item[] = [];
  let hits = 0;
  let bytes = 0;
  let batch: (ServedStoredEvent | undefined)[] = [];
  let batchTop = found.length - 1; // found[] position of batch[0]
  let batchLow = found.length; // lowest found[] position the batch holds
  for (let i = found.length - 1; i >= 0 && hits < p.limit && bytes < MAX_COMPLETE_PAGE_BYTES; i--) {
    const { seq, index } = found[i]!;
    if (i < batchLow) {
      // Reads go to the store READ_AHEAD at a time; at most READ_AHEAD − 1 are read past the last hit.
      signal?.throwIfAborted();
      batchLow = Math.max(0, i - READ_AHEAD + 1);
      batchTop = i;
      batch = await Promise.all(found.slice(batchLow, i + 1).reverse().map((x) => events.getEvent(x.index)));
    }
    const e = batch[batchTop - i];
    if (e === undefined || e.source !== source || e.seq !== seq) throw new Error(`the event store holds no event of the source at index ${index} for seq ${seq}`);
    bytes += LEAF_OVERHEAD_BYTES;
    if (e.body === undefined) {
      items.push({ seq, e, kind: 'erased' });
      continue;
    }
    const f = extractFields(e);
    if (f === undefined) throw new Error(`the leaf at index ${index} is not an event leaf record`);
    if (matches(query, f)) {
      hits++;
      items.push({ seq, e, kind: 'hit' });
    } else {
      const leafSays = matchesLeaf(query, { source: f.source, seq: f.seq, time: f.time, class_uid: f.class_uid });
      items.push({ seq, e, kind: leafSays === false ? 'leaf' : 'event' });
    }
    if (items[items.length - 1]!.kind !== 'leaf') bytes += e.body.canonical.length;
  }
  const proofs = await p.inclusionProofs(items.map((x) => x.e.index), served.size);
  const checkpoint = utf8DecodeStrict(served.note);
  const outHits: CompleteHit[] = [];
  const leaves: CompleteLeaf[] = [];
  items.forEach(({ seq, e, kind }, i) => {
    const bundle = formatProofBundle({ index: e.index, proof: proofs[i]!, checkpoint });
    if (kind === 'hit' || kind === 'event') {
      const b = (e as WithBody).body;
      const proof = utf8DecodeStrict(formatEventProof({ salt: b.salt, leaf: e.leaf, event: b.canonical, bundle }));
      if (kind === 'event') {
        leaves.push({ seq: seq.toString(), index: e.index.toString(), kind, proof });
        return;
      }
      const f = extractFields(e)!;
      outHits.push({ index: e.index.toString(), source, seq: seq.toString(), time: f.time, classUid: f.class_uid, proof });
      return;
    }
    leaves.push({
      seq: seq.toString(), index: e.index.toString(), kind, leaf: encodeBase64(e.leaf), bundle: utf8DecodeStrict(bundle),
      ...(kind === 'erased' && e.erased !== undefined ? { record: e.erased.record.toString() } : {}),
    });
  });
  const last = items[items.length - 1]!.seq;
  return {
    hits: outHits,
    complete: { ...base, span: { from: last.toString(), to: top.toString() }, leaves },
    next: last > g.from ? last.toString() : null,
  };
}
