/**
 * A search index that opens after the server starts. Opening an embedded index (PGlite compiles
 * its WebAssembly) takes seconds of CPU, and the index is derived data: the log must serve and
 * ingest from the first moment, whatever the index does. `DeferredSearch` stands in for it
 * until then: `events.search` answers `search-index-starting` (503, retry later) while it opens
 * and `search-index-failed` (503) if it could not; `indexState()` says which, and once it is
 * `ready`, how far behind the log it is (cursor, size, lag) for `status`, `/metrics`, `/readyz`.
 *
 * ```ts
 * const search = new DeferredSearch();
 * await startLogServer({ node, events: node, search, listen });
 * search.ready(await EventIndex.open(await openPglite(dir), store));   // or search.fail(e)
 * ```
 */
import type { Query } from '@cairn/index/query';
import { ApiError } from './errors.js';
import type { ServedSearch, ServedSearchStatus } from './served-log.js';

/** What the deferred index must offer once open: `EventIndex` of @cairn/index fits. */
export interface OpenedSearchIndex extends Omit<ServedSearch, 'indexState'> {
  status(): Promise<{ readonly cursor: bigint; readonly size: bigint; readonly lag: bigint }>;
}

export class DeferredSearch implements ServedSearch {
  #index: OpenedSearchIndex | undefined;
  #error: string | undefined;

  /** The index is open: searches go to it from now on. */
  ready(index: OpenedSearchIndex): void {
    this.#index = index;
    this.#error = undefined;
  }

  /** The index could not be opened (`why`: a code and message with no event data). */
  fail(why: string): void {
    this.#index = undefined;
    this.#error = why === '' ? 'the index failed to open' : why;
  }

  /** The index is going away (the server stops): searches answer as if it were starting. */
  detach(): void {
    this.#index = undefined;
  }

  async search(query: Query, opts: { limit: number; before?: bigint; signal?: AbortSignal }): ReturnType<ServedSearch['search']> {
    return this.#open().search(query, opts);
  }

  async seqSpan(query: Query, opts: { before?: bigint; signal?: AbortSignal }): ReturnType<NonNullable<ServedSearch['seqSpan']>> {
    const open = this.#open();
    if (open.seqSpan === undefined) throw new ApiError('not-provable', 'this search index cannot map time bounds to sequence numbers');
    return open.seqSpan(query, opts);
  }

  async recheck(indices: readonly bigint[]): Promise<unknown> {
    return this.#open().recheck?.(indices);
  }

  async indexState(): Promise<ServedSearchStatus> {
    const index = this.#index;
    if (index !== undefined) {
      try {
        const s = await index.status();
        return { state: 'ready', cursor: s.cursor, size: s.size, lag: s.lag };
      } catch (e) {
        // Closed under us while stopping, or the database failed: report, never throw.
        return { state: 'failed', error: (e as Error).message };
      }
    }
    return this.#error === undefined ? { state: 'starting' } : { state: 'failed', error: this.#error };
  }

  #open(): OpenedSearchIndex {
    if (this.#index !== undefined) return this.#index;
    if (this.#error !== undefined) throw new ApiError('search-index-failed', 'the search index failed to open');
    throw new ApiError('search-index-starting', 'the search index is still opening; retry shortly');
  }
}

/** A search index's status as JSON (decimal strings for the sizes; null where not known). */
export function searchIndexReport(s: ServedSearchStatus): { state: ServedSearchStatus['state']; cursor: string | null; size: string | null; lag: string | null; error: string | null } {
  return { state: s.state, cursor: s.cursor?.toString() ?? null, size: s.size?.toString() ?? null, lag: s.lag?.toString() ?? null, error: s.error ?? null };
}
