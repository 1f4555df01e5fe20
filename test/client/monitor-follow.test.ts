/**
 * `cairn monitor` following a log (no --once) keeps no listener per poll: many poll cycles
 * against a real log leave the stop signal with its one listener and print no
 * MaxListenersExceededWarning (which a leak of one abort listener per poll did after ~10 polls).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { followLog, pause, type PassResult } from '@cairn/client/monitor';
import { MONITOR_OPTION_NAMES, runMonitor, type MonitorValues } from '../../apps/cli/src/commands/monitor.js';
import { events, LOG_VKEY, startRealLog, workDir } from './monitor-fixtures.js';

/** Poll cycles run by each test: well past Node's default of 10 listeners per signal. */
const CYCLES = 60;
/** Bound on the whole follow run (a bound, not a timing assertion). */
const BOUND_MS = 30_000;

const values = (set: Partial<MonitorValues>): MonitorValues =>
  ({ ...Object.fromEntries(MONITOR_OPTION_NAMES.map((k) => [k, undefined])), ...set }) as MonitorValues;

/** Collects the MaxListenersExceededWarnings emitted while `fn` runs. */
async function leakWarnings(fn: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const onWarning = (w: Error) => { if (w.name === 'MaxListenersExceededWarning') seen.push(w.message); };
  process.on('warning', onWarning);
  try {
    await fn();
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
  } finally {
    process.off('warning', onWarning);
  }
  return seen;
}

test('followLog: the stop signal keeps the same listeners over many cycles', async () => {
  const stop = new AbortController();
  const before = getEventListeners(stop.signal, 'abort').length;
  const counts: number[] = [];
  let passes = 0;
  const warnings = await leakWarnings(async () => {
    const r = await followLog({
      pass: async (): Promise<PassResult> => {
        passes++;
        counts.push(getEventListeners(stop.signal, 'abort').length);
        if (passes === CYCLES) stop.abort();
        return { alarms: [] };
      },
    }, { intervalMs: 1, signal: stop.signal });
    assert.equal(r, undefined);
  });
  assert.equal(passes, CYCLES);
  assert.deepEqual(new Set(counts), new Set([before]), 'no listener left behind by a pause');
  assert.deepEqual(warnings, []);
});

test('pause ends early on abort and removes its listener either way', async () => {
  const c = new AbortController();
  await pause(1, c.signal);
  assert.equal(getEventListeners(c.signal, 'abort').length, 0);
  const long = pause(60_000, c.signal);
  assert.equal(getEventListeners(c.signal, 'abort').length, 1);
  c.abort();
  await long;
  assert.equal(getEventListeners(c.signal, 'abort').length, 0);
  await pause(60_000, c.signal); // already aborted: returns at once
});

test('cairn monitor following a real log for many polls prints no MaxListenersExceededWarning', async () => {
  const log = await startRealLog();
  const w = await workDir(`log ${LOG_VKEY}\nquorum none\n`);
  try {
    await log.node.submit(events(20, 'follow'), { wait: 'checkpoint' });
    let clockCalls = 0;
    const clock = () => { clockCalls++; return Date.now(); };
    const err: string[] = [];
    // A steady-state pass reads the clock at most 3 times, so this is at least CYCLES passes.
    const until = () => new Promise<string>((resolve) => {
      const started = Date.now();
      const t = setInterval(() => {
        if (clockCalls >= 3 * CYCLES || Date.now() - started > BOUND_MS) {
          clearInterval(t);
          resolve('test');
        }
      }, 5);
    });
    let code = -1;
    const warnings = await leakWarnings(async () => {
      code = await runMonitor(values({ policy: w.policy, url: log.url, state: w.state, interval: '10' }),
        { out: () => {}, err: (l) => err.push(l) }, until, { clock });
    });
    assert.equal(code, 0, err.join('\n'));
    assert.ok(clockCalls >= 3 * CYCLES, `the monitor made enough passes before the bound (${clockCalls} clock reads)`);
    assert.deepEqual(err.filter((l) => 'alarm' in (JSON.parse(l) as object)), [], 'no alarms'); // --log-format json: every line a record
    assert.deepEqual(warnings, []);
  } finally {
    await w.cleanup();
    await log.close();
  }
});
