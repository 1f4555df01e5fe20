/**
 * Runs one fuzz target in a worker thread for main.ts, so that a synchronous hang (a regex that
 * backtracks forever, an endless loop) can be detected and the worker terminated. Heartbeat: a
 * shared Int32Array `[cases started, in a case (0/1)]` that main.ts polls. Messages to the
 * parent: `{ type: 'progress', done }` and finally `{ type: 'result', report }`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runTarget } from './harness.js';
import { targetByName } from './targets.js';

/** What main.ts passes as workerData. */
export interface WorkerJob {
  readonly target: string;
  readonly runs: number;
  readonly seed: number;
  readonly timeoutMs: number;
  readonly path?: string;
  readonly heartbeat: SharedArrayBuffer;
}

const job = workerData as WorkerJob;
const beat = new Int32Array(job.heartbeat);
const target = targetByName(job.target);
if (target === undefined) throw new Error(`unknown target ${job.target}`);

const report = await runTarget(target, {
  runs: job.runs,
  seed: job.seed,
  timeoutMs: job.timeoutMs,
  ...(job.path !== undefined ? { path: job.path } : {}),
  progressEvery: 2000,
  onProgress: (done) => parentPort!.postMessage({ type: 'progress', done }),
  hooks: {
    beforeCase: () => {
      Atomics.add(beat, 0, 1);
      Atomics.store(beat, 1, 1);
    },
    afterCase: () => Atomics.store(beat, 1, 0),
  },
});
await target.close?.();
parentPort!.postMessage({ type: 'result', report });
