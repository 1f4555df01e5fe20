/**
 * `DeferredSearch`: while the index opens, searches answer `search-index-starting` (503 with
 * Retry-After), after a failure `search-index-failed` (503); once ready they reach the index,
 * and `indexState()` reports the index's cursor and lag — never throwing, even when the index does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuery } from '@cairn/index/query';
import { DeferredSearch, searchIndexReport, type OpenedSearchIndex } from './deferred-search.js';
import { ApiError, httpStatusOf } from './errors.js';

const query = parseQuery('*');

function fakeIndex(over: Partial<OpenedSearchIndex> = {}): OpenedSearchIndex & { rechecked: bigint[] } {
  const rechecked: bigint[] = [];
  return {
    rechecked,
    search: async () => ({ hits: [{ index: 7n }], indexedTo: 9n }),
    recheck: async (i) => { rechecked.push(...i); },
    status: async () => ({ cursor: 9n, size: 12n, lag: 3n }),
    ...over,
  };
}

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  const e = await p.then(() => assert.fail('expected a refusal'), (x: unknown) => x);
  assert.ok(e instanceof ApiError);
  return e;
}

test('starting: searches are refused with search-index-starting (503, retry later)', async () => {
  const d = new DeferredSearch();
  const e = await refusal(d.search(query, { limit: 5 }));
  assert.equal(e.code, 'search-index-starting');
  assert.equal(httpStatusOf(e), 503);
  assert.deepEqual(await d.indexState(), { state: 'starting' });
  assert.deepEqual(searchIndexReport(await d.indexState()), { state: 'starting', cursor: null, size: null, lag: null, error: null });
});

test('ready: searches and rechecks reach the index; the state has its cursor and lag', async () => {
  const d = new DeferredSearch();
  const index = fakeIndex();
  d.ready(index);
  assert.deepEqual(await d.search(query, { limit: 5 }), { hits: [{ index: 7n }], indexedTo: 9n });
  await d.recheck([3n]);
  assert.deepEqual(index.rechecked, [3n]);
  assert.deepEqual(searchIndexReport(await d.indexState()), { state: 'ready', cursor: '9', size: '12', lag: '3', error: null });
  d.detach();
  assert.equal((await refusal(d.search(query, { limit: 5 }))).code, 'search-index-starting');
});

test('failed: searches are refused with search-index-failed; a failing status is reported, not thrown', async () => {
  const d = new DeferredSearch();
  d.fail('schema: the index database holds schema version 0');
  const e = await refusal(d.search(query, { limit: 5 }));
  assert.equal(e.code, 'search-index-failed');
  assert.equal(httpStatusOf(e), 503);
  assert.deepEqual(await d.indexState(), { state: 'failed', error: 'schema: the index database holds schema version 0' });

  const broken = new DeferredSearch();
  broken.ready(fakeIndex({ status: async () => { throw new Error('the index is closed'); } }));
  assert.deepEqual(await broken.indexState(), { state: 'failed', error: 'the index is closed' });
});
