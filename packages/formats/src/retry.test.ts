import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, backoffSleep, retry, RetryAbortedError } from './retry.js';

test('backoffDelay doubles from initialMs up to maxMs; jitter keeps it in [d/2, d]', () => {
  const policy = { initialMs: 100, maxMs: 1_000, jitter: false };
  assert.deepEqual([1, 2, 3, 4, 5, 60].map((a) => backoffDelay(a, policy)), [100, 200, 400, 800, 1_000, 1_000]);
  assert.equal(backoffDelay(3, { initialMs: 100, maxMs: 1_000 }, () => 0), 200);
  assert.equal(backoffDelay(3, { initialMs: 100, maxMs: 1_000 }, () => 0.5), 300);
});

test('backoffSleep ends on wake or abort, and says which', async () => {
  const wake = new AbortController();
  const woken = backoffSleep(60_000, { wake: wake.signal });
  wake.abort();
  assert.equal(await woken, 'woken');
  const stop = new AbortController();
  const aborted = backoffSleep(60_000, { signal: stop.signal });
  stop.abort();
  assert.equal(await aborted, 'aborted');
  assert.equal(await backoffSleep(1), 'elapsed');
});

test('retry: retries what delayOf allows, up to `retries`, then rethrows; false rethrows at once; abort while waiting', async () => {
  const policy = { initialMs: 1, maxMs: 2, jitter: false };
  let calls = 0;
  assert.equal(await retry(async (a) => { calls++; if (a < 3) throw new Error('transient'); return a; }, { policy, retries: 5, delayOf: () => undefined }), 3);
  assert.equal(calls, 3);
  calls = 0;
  await assert.rejects(retry(async () => { calls++; throw new Error('always'); }, { policy, retries: 2, delayOf: () => 0 }), /always/);
  assert.equal(calls, 3);
  calls = 0;
  await assert.rejects(retry(async () => { calls++; throw new Error('fatal'); }, { policy, retries: 9, delayOf: () => false }), /fatal/);
  assert.equal(calls, 1);
  const stop = new AbortController();
  const p = retry(async () => { throw new Error('down'); }, { policy: { initialMs: 60_000, maxMs: 60_000 }, retries: 3, delayOf: () => undefined, signal: stop.signal });
  stop.abort(new Error('stop'));
  await assert.rejects(p, (e: unknown) => e instanceof RetryAbortedError && (e.cause as Error).message === 'stop');
});
