/**
 * Crash harness for the event store: a child process runs a LogNode on LevelDB under event load
 * (event-crash-child.ts: four sources, own seqs and idempotency keys, assigned seqs, neither)
 * and is killed with SIGKILL at a random moment, then restarted on the same directory. Every
 * batch the child printed was acknowledged (submitEvents resolved: durable).
 *
 * After the last cycle the parent opens the store itself and checks:
 * - every acknowledged event is at its index with its source, seq and exact canonical body;
 * - per source, the stored seqs are exactly 0 … nextSeq−1, each once (none skipped or doubled),
 *   and for the sources numbering themselves the event at seq s is the one that seq names;
 * - resending acknowledged batches (same seqs and idempotency keys) answers the same indices,
 *   `duplicate: true`, and appends nothing.
 *
 * CI runs DEFAULT_CYCLES cycles; CAIRN_EVENT_CRASH_CYCLES=50 for a longer run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { parseLeaf } from '@cairn/events';
import { LogNode, openLevelStorage, silentLogger, type EventInput } from '@cairn/log';
import { REPO_ROOT, tempDir } from '../helpers/cli.js';
import { CRASH_SIGNER_KEY, eventFor, SEQ_SOURCES, SOURCES } from './event-crash-child.js';

const DEFAULT_CYCLES = 6;
const KILL_DELAY_MIN_MS = 150;
const KILL_DELAY_MAX_MS = 800;
const CHILD = join(REPO_ROOT, 'test/log/event-crash-child.ts');

const cycles = (() => {
  const v = process.env.CAIRN_EVENT_CRASH_CYCLES;
  if (v === undefined || v === '') return DEFAULT_CYCLES;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`CAIRN_EVENT_CRASH_CYCLES must be a positive integer, got ${v}`);
  return n;
})();

interface Ack {
  readonly source: string;
  readonly seqs: bigint[];
  readonly indices: bigint[];
  readonly keys: string[];
}

/** Runs one child until killed; returns the batches it acknowledged. */
async function cycle(dir: string, n: number): Promise<Ack[]> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', CHILD, dir, String(n)], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const acks: Ack[] = [];
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  const lines = createInterface({ input: child.stdout });
  const closed = new Promise((r) => lines.once('close', r));
  lines.on('line', (line) => {
    if (line === 'ready') return ready();
    let a: { source: string; seqs: string[]; indices: string[]; keys: string[] };
    try {
      a = JSON.parse(line) as typeof a;
    } catch {
      return; // the last line, cut by the kill: never acknowledged to anyone
    }
    acks.push({ source: a.source, seqs: a.seqs.map(BigInt), indices: a.indices.map(BigInt), keys: a.keys });
  });
  const early = exited.then((e) => {
    throw new Error(`the child exited (${e.code ?? e.signal}) before it was killed: ${stderr}`);
  });
  try {
    await Promise.race([isReady, early]);
    await Promise.race([new Promise((r) => setTimeout(r, KILL_DELAY_MIN_MS + Math.random() * (KILL_DELAY_MAX_MS - KILL_DELAY_MIN_MS))), early]);
  } finally {
    child.kill('SIGKILL');
  }
  early.catch(() => undefined);
  const e = await exited;
  assert.equal(e.signal, 'SIGKILL', stderr);
  await closed;
  return acks;
}

test(`the event store survives ${cycles} SIGKILL cycles: no acknowledged event lost, no seq skipped or doubled, resends answered`, { timeout: 60_000 + cycles * 20_000 }, async () => {
  const tmp = await tempDir('cairn-event-crash-');
  try {
    const acks: Ack[] = [];
    for (let c = 0; c < cycles; c++) acks.push(...(await cycle(tmp.dir, c)));
    assert.ok(acks.length > 0, 'nothing was acknowledged: the harness tested nothing');

    const node = await LogNode.open({ storage: await openLevelStorage(tmp.dir), signerKey: CRASH_SIGNER_KEY, logger: silentLogger, checkpointIntervalMs: 1 });
    await node.start();
    try {
      const size = node.latestCheckpoint()!.size;
      // Every acknowledged event, as acknowledged.
      const seen = new Map<bigint, string>();
      for (const a of acks) {
        a.indices.forEach((index, i) => {
          const key = `${a.source}/${a.seqs[i]}/${a.keys[i]}`;
          assert.equal(seen.get(index) ?? key, key, `index ${index} acknowledged for two different events`);
          seen.set(index, key);
        });
      }
      for (const a of acks) {
        for (let i = 0; i < a.indices.length; i++) {
          const index = a.indices[i]!;
          assert.ok(index < size, `acknowledged index ${index} is beyond the recovered size ${size}`);
          const got = await node.getEvent(index);
          assert.ok(got !== undefined, `acknowledged event at ${index} is missing`);
          assert.equal(got.source, a.source);
          assert.equal(got.seq, a.seqs[i]);
          assert.deepEqual(got.body?.canonical, eventFor(a.keys[i]!).canonical, `body of ${index}`);
        }
      }
      // Per source: seqs 0 … next−1, each exactly once, and contiguous with the source state.
      const bySource = new Map<string, Map<bigint, bigint>>();
      for (let index = 0n; index < size; index++) {
        const e = await node.getEvent(index);
        assert.ok(e !== undefined, `index ${index} holds no event (only events were submitted)`);
        const leaf = parseLeaf(e.leaf);
        assert.equal(leaf.source, e.source);
        assert.equal(leaf.seq, e.seq);
        const m = bySource.get(e.source) ?? new Map<bigint, bigint>();
        assert.equal(m.has(e.seq), false, `${e.source} seq ${e.seq} appears twice (indices ${m.get(e.seq)} and ${index})`);
        m.set(e.seq, index);
        bySource.set(e.source, m);
        if (SEQ_SOURCES.includes(e.source)) assert.deepEqual(e.body?.canonical, eventFor(`${e.source}-${e.seq}`).canonical);
      }
      const states = await node.eventSources();
      for (const s of states) {
        const m = bySource.get(s.source)!;
        assert.equal(BigInt(m.size), s.nextSeq, `${s.source}: ${m.size} events but next seq ${s.nextSeq}`);
        for (let q = 0n; q < s.nextSeq; q++) assert.ok(m.has(q), `${s.source} seq ${q} is missing`);
        assert.equal(s.lastIndex, m.get(s.nextSeq - 1n));
      }
      assert.deepEqual(states.map((s) => s.source).sort(), [...bySource.keys()].sort());

      // Resends of acknowledged batches: same indices, duplicates, nothing appended.
      const before = node.status().sequencedSize;
      const resend = SOURCES.flatMap((src) => acks.filter((a) => a.source === src && src !== 'plain').slice(-3));
      for (const a of resend) {
        const inputs: EventInput[] = a.keys.map((k, i) => ({
          event: eventFor(k),
          idempotencyKey: k,
          ...(SEQ_SOURCES.includes(a.source) ? { seq: a.seqs[i]! } : {}),
        }));
        const r = await node.submitEvents(a.source, inputs);
        assert.deepEqual(r.indices, a.indices, `resend of a ${a.source} batch`);
        assert.deepEqual(r.seqs, a.seqs);
        assert.ok(r.duplicate.every((d) => d));
      }
      assert.equal(node.status().sequencedSize, before, 'resends appended nothing');
      process.stdout.write(`# event crash harness: ${cycles} cycles, ${acks.length} batches acknowledged, ${size} events, ${resend.length} batches resent\n`);
    } finally {
      await node.stop();
    }
  } finally {
    await tmp.cleanup();
  }
});
