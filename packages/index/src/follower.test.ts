// The follower: notifications and the timer catch the index up, never two runs at once; a failed
// run is reported and retried; stop() waits for the running catch-up. Uses a fake index that
// records calls (the real one is tested in event-index.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IndexError } from './errors.js';
import { startFollower } from './follower.js';

function fakeIndex() {
  let size = 0;
  let cursor = 0;
  let active = 0;
  let maxActive = 0;
  let calls = 0;
  let failNext = false;
  return {
    grow: (n: number) => void (size += n),
    get cursor() { return cursor; },
    get calls() { return calls; },
    get maxActive() { return maxActive; },
    failOnce: () => void (failNext = true),
    async catchUp(): Promise<{ indexed: number; cursor: bigint }> {
      calls++;
      active++;
      maxActive = Math.max(maxActive, active);
      try {
        await new Promise((r) => setImmediate(r));
        if (failNext) {
          failNext = false;
          throw new IndexError('store', 'event store: down');
        }
        const n = size - cursor;
        cursor = size;
        return { indexed: n, cursor: BigInt(cursor) };
      } finally {
        active--;
      }
    },
  };
}

test('notifications catch up, one run at a time, and a notification during a run is not lost', async () => {
  const index = fakeIndex();
  const f = startFollower(index, { intervalMs: 60_000 });
  try {
    await f.settled();
    for (let i = 0; i < 20; i++) {
      index.grow(3);
      f.notify();
    }
    await f.settled();
    assert.equal(index.cursor, 60);
    assert.equal(index.maxActive, 1);
    assert.ok(index.calls < 22, `coalesced: ${index.calls} runs for 20 notifications`);
  } finally {
    await f.stop();
  }
});

test('a failed run is reported; the next one goes on; stop() ends following', async () => {
  const index = fakeIndex();
  const errors: string[] = [];
  const f = startFollower(index, { intervalMs: 60_000, onError: (e) => errors.push(e.code) });
  await f.settled();
  index.grow(5);
  index.failOnce();
  await f.settled();
  assert.deepEqual(errors, ['store']);
  assert.equal(index.cursor, 0);
  await f.settled();
  assert.equal(index.cursor, 5);
  await f.stop();
  const calls = index.calls;
  index.grow(1);
  f.notify();
  await f.settled();
  assert.equal(index.calls, calls, 'no run after stop');
  assert.throws(() => startFollower(index, { intervalMs: 0 }), (e: unknown) => e instanceof IndexError && e.code === 'bad-option');
});

test('the timer alone catches up', async () => {
  const index = fakeIndex();
  const f = startFollower(index, { intervalMs: 5 });
  try {
    await f.settled();
    index.grow(4);
    // No notify: wait (bounded) for the timer to run.
    for (let i = 0; i < 400 && index.cursor < 4; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(index.cursor, 4);
  } finally {
    await f.stop();
  }
});
