/**
 * `events.search` (in the `events` router): a query over the event index (@cairn/index), each hit served with what proves
 * it, so the caller trusts neither the index nor this server (docs/design/search.md).
 *
 * | procedure | token | answer |
 * |---|---|---|
 * | `search` | reader or admin | hits newest first, each with its event proof file against the served (cosigned) checkpoint; `next` to page on; with `complete`, every leaf of the source's range proven too (complete.ts) |
 *
 * The query is parsed here (`parseQuery` of `@cairn/index/query`): a bad one is `bad-query` (400)
 * whose message points at the column, with a caret line of the caller's own query. Only events the
 * served checkpoint covers are searched (`before` is capped at its size), so every hit has an
 * inclusion proof now. The index is untrusted here too: a hit whose event is gone (erased since
 * it was indexed: the index is asked to recheck it), is not an event, or does not match the
 * query when re-checked on the event itself is left out. So a page may hold fewer hits than
 * `limit` while `next` still says there is more.
 */
import { z } from 'zod';
import { formatEventProof } from '@cairn/events';
import { formatProofBundle, utf8DecodeStrict } from '@cairn/formats';
import { extractFields, formatQueryError, matches, MAX_QUERY_LENGTH, parseQuery, QueryError, type EventFields, type Query } from '@cairn/index/query';
import { ApiError } from '../errors.js';
import { readerProcedure, type ApiContext } from '../trpc.js';
import type { ServedSearch, ServedStoredEvent } from '../served-log.js';
import { decimalSchema } from '../schemas.js';
import { latestCheckpoint } from './log.js';
import { completePage, requireProvable, type CompleteAnswer } from './complete.js';

/** Most hits per `search` call (each carries an event and its proof). */
export const MAX_SEARCH_HITS = 100;
/** Hits per call unless asked. */
export const DEFAULT_SEARCH_HITS = 50;

const searchInput = z.strictObject({
  query: z.string().min(1, 'give a query (* for every event)').max(MAX_QUERY_LENGTH, `a query has at most ${MAX_QUERY_LENGTH} characters`),
  limit: z.number().int().min(1).max(MAX_SEARCH_HITS, `at most ${MAX_SEARCH_HITS} hits per call`).default(DEFAULT_SEARCH_HITS),
  /** The `next` of the previous page: only events below this log index (with `complete`, below this sequence number of the source). */
  before: decimalSchema.optional(),
  /**
   * Prove the answer complete: every leaf of the query's source in its seq range (or time range
   * mapped to one) with its inclusion proof (docs/design/search.md, "Completeness"). The query
   * must name one source and a seq or time range at its top level, else `not-provable`.
   */
  complete: z.boolean().optional(),
  /**
   * The clock for `now` in the query (ms since the epoch); the server's when absent. A client that
   * re-checks the answer sends its own, so both read the same bounds (a completeness proof's
   * non-matching leaves are judged on them).
   */
  now: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});

function searchOf(ctx: ApiContext): ServedSearch {
  if (ctx.events === undefined) throw new ApiError('no-event-store', 'this log serves no events');
  if (ctx.search === undefined) throw new ApiError('no-search-index', 'this log keeps no search index');
  return ctx.search;
}

/** Parses a search or tail query; a bad one is `bad-query` (400) pointing at the column. */
export function parseSearchQuery(text: string, now = Date.now()): Query {
  try {
    return parseQuery(text, { now });
  } catch (e) {
    if (e instanceof QueryError) throw new ApiError('bad-query', formatQueryError(text, e));
    throw e;
  }
}

/**
 * Hits newest first (log index descending), at most `limit`, among the events the served
 * checkpoint covers: per hit its index, source, sequence number, time, class and the event proof
 * file (`cairn.dev/event-proof/v1`: event, salt, leaf, tlog-proof bundle), which the events
 * package's `verifyEventProof` checks offline. The query language is docs/design/search.md's; a
 * bad query is `bad-query`, its message pointing at the column. `next`: pass as `before` for the
 * next page (null on the last); `indexedTo`: the index had looked at every entry below it.
 * With `complete: true` (a query over one source and a seq or time range, else `not-provable`):
 * `complete` holds the range and, for every leaf of it in this page that is not a hit, its proof
 * (docs/design/search.md, "Completeness"); `next` is then a sequence number, and `indexedTo` null.
 */
export const searchProcedure = readerProcedure.input(searchInput).query(async ({ ctx, input, signal }) => {
  const search = searchOf(ctx);
  const events = ctx.events!;
  const query = parseSearchQuery(input.query, input.now);
  const range = input.complete === true ? requireProvable(query) : undefined;
  const signed = latestCheckpoint(ctx.node);
  const served = ctx.node.servedCheckpoint();
  if (served === undefined) throw new ApiError('no-checkpoint', 'no checkpoint is cosigned yet: nothing can be proven');
  if (range !== undefined) {
    const page = await completePage({
      query, range, events, search, served, inclusionProofs: (i, size) => ctx.node.inclusionProofs(i, size),
      limit: input.limit, before: input.before, signal,
    });
    return { treeSize: served.size.toString(), checkpoint: utf8DecodeStrict(served.note), hits: page.hits, next: page.next, indexedTo: null, complete: page.complete };
  }
  const before = input.before === undefined || input.before > served.size ? served.size : input.before;
  const page = await search.search(query, { limit: input.limit, before, ...(signal !== undefined ? { signal } : {}) });
  const kept: { hit: (typeof page.hits)[number]; e: ServedStoredEvent & { body: NonNullable<ServedStoredEvent['body']> }; f: EventFields }[] = [];
  const gone: bigint[] = [];
  for (const hit of page.hits) {
    if (hit.index >= before || hit.index >= signed.size) continue; // the index answered outside what was asked
    const e = await events.getEvent(hit.index);
    if (e === undefined) continue;
    if (e.body === undefined) {
      gone.push(hit.index);
      continue;
    }
    const f = extractFields(e);
    if (f === undefined || !matches(query, f)) continue;
    kept.push({ hit, e: e as ServedStoredEvent & { body: NonNullable<ServedStoredEvent['body']> }, f });
  }
  if (gone.length > 0) await search.recheck?.(gone);
  const proofs = kept.length === 0 ? [] : await ctx.node.inclusionProofs(kept.map((k) => k.hit.index), served.size);
  const checkpoint = utf8DecodeStrict(served.note);
  return {
    treeSize: served.size.toString(),
    checkpoint,
    hits: kept.map(({ e, f }, i) => {
      const bundle = formatProofBundle({ index: e.index, proof: proofs[i]!, checkpoint });
      return {
        index: e.index.toString(),
        source: e.source,
        seq: e.seq.toString(),
        time: f.time,
        classUid: f.class_uid,
        proof: utf8DecodeStrict(formatEventProof({ salt: e.body.salt, leaf: e.leaf, event: e.body.canonical, bundle })),
      };
    }),
    next: page.next === undefined ? null : page.next.toString(),
    indexedTo: page.indexedTo.toString() as string | null,
    complete: null as CompleteAnswer | null,
  };
});
