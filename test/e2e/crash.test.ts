/**
 * Adversarial e2e, scenario 9: `kill -9` of the log and of witnesses while sources submit.
 *
 * A `cairn log serve` (fixed port, quorum 2 of 3) and three `cairn witness serve` processes run
 * under load: SUBMITTERS tRPC clients (random batches, alternating wait 'none' and wait
 * 'cosigned') and a poller of GET /checkpoint and of every witness's monitoring GET. CYCLES times,
 * after a random delay, either the log or one witness is SIGKILLed and restarted on the same data
 * directory and port. Checked:
 * - live: no witness's monitoring GET ever shows a smaller size than it showed before (across its
 *   own restarts too), and a restarted witness holds at least every size it was seen cosigning;
 * - a restarted log starts at a size ≥ every entry acknowledged and every checkpoint served;
 * - at the end: every acknowledged entry is present with its bytes, every note ever served
 *   verifies under the 2-of-3 policy and is consistent with the final tree, and every witness
 *   catches up to the final size.
 * CAIRN_E2E_CRASH_SEED replays the delays and batch sizes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogClient, loadPolicy, verifyCheckpoint } from '@cairn/client';
import { decodeBase64Strict, encodeBase64 } from '@cairn/formats';
import { bytesEqual, leafHash, treeHash, verifyConsistency } from '@cairn/merkle';
import { freePort, makeCluster, policyText, sizeOf, sleep, until, type Cluster, type E2eWitness } from './harness.js';
import { linesOf } from './forge.js';
import { prng } from '../helpers/random.js';

const ORIGIN = 'crash.e2e.example/log';
const CYCLES = 6;
const SUBMITTERS = 3;
const MAX_BATCH = 40;
const KILL_DELAY_MIN_MS = 300;
const KILL_DELAY_MAX_MS = 1200;
const SUBMIT_TIMEOUT_MS = 20_000;

const seed = process.env.CAIRN_E2E_CRASH_SEED !== undefined ? Number(process.env.CAIRN_E2E_CRASH_SEED) : Date.now() % 2 ** 31;

describe(`kill -9 of the log and of witnesses under load (scenario 9, seed ${seed})`, { timeout: 240_000 }, () => {
  let c: Cluster;
  let port: number;
  const rand = prng(seed);
  const acked = new Map<bigint, string>();
  const served = new Set<string>();
  /** Per witness: the largest size its monitoring GET showed. */
  const witnessMax = new Map<number, bigint>();
  const problems: string[] = [];
  let stopLoad = false;
  let counter = 0;

  before(async () => {
    c = await makeCluster(ORIGIN, 3);
    port = await freePort();
    await Promise.all(c.witnesses.map((w) => w.start()));
    await c.log.start({ witnesses: c.witnesses, quorum: 2, port, intervalMs: 25 });
  });
  after(async () => {
    stopLoad = true;
    await c?.close();
  });

  async function submitter(id: number): Promise<void> {
    const client = createLogClient(`http://127.0.0.1:${port}`, { token: c.log.token });
    for (let call = 0; !stopLoad; call++) {
      const n = 1 + Math.floor(rand() * MAX_BATCH);
      const entries = Array.from({ length: n }, () => encodeBase64(new TextEncoder().encode(`crash-${id}-${counter++}-${rand()}`)));
      const wait = (call + id) % 2 === 0 ? 'cosigned' : 'none';
      let r;
      try {
        r = await client.log.submit.mutate({ entries, wait }, { signal: AbortSignal.timeout(SUBMIT_TIMEOUT_MS) });
      } catch {
        await sleep(20); // the log is down, or the answer was lost: nothing was promised
        continue;
      }
      r.indices.forEach((x, i) => {
        const index = BigInt(x);
        if (acked.has(index)) problems.push(`index ${index} acknowledged twice`);
        acked.set(index, entries[i]!);
      });
      if (r.checkpoint !== undefined) served.add(r.checkpoint);
    }
  }

  async function poller(): Promise<void> {
    while (!stopLoad) {
      try {
        const note = await c.log.served();
        if (note !== undefined) served.add(note);
      } catch { /* log down */ }
      for (const w of c.witnesses) {
        if (!w.proc?.running()) continue;
        try {
          const note = await w.checkpoint(ORIGIN);
          if (note === undefined) continue;
          const size = sizeOf(note);
          const max = witnessMax.get(w.index) ?? -1n;
          if (size < max) problems.push(`${w.name} went back from ${max} to ${size}`);
          else witnessMax.set(w.index, size);
        } catch { /* witness down */ }
      }
      await sleep(20);
    }
  }

  /** The largest size a served note shows `w` cosigning. */
  const cosignedBy = (w: E2eWitness): bigint => {
    let max = -1n;
    for (const n of served) if (linesOf(n, w.name).length > 0 && sizeOf(n) > max) max = sizeOf(n);
    return max;
  };

  test('every acknowledged entry survives, every cosigned checkpoint stays consistent, no witness goes back', async () => {
    const load = [...Array.from({ length: SUBMITTERS }, (_, i) => submitter(i)), poller()];
    try {
      for (let cycle = 0; cycle < CYCLES; cycle++) {
        await sleep(KILL_DELAY_MIN_MS + Math.floor(rand() * (KILL_DELAY_MAX_MS - KILL_DELAY_MIN_MS)));
        if (cycle % 2 === 0) {
          const exit = await c.log.stop('SIGKILL');
          assert.equal(exit.signal, 'SIGKILL', `cycle ${cycle}: the log exited on its own: ${c.log.proc!.tail()}`);
          let floor = 0n;
          for (const i of acked.keys()) if (i + 1n > floor) floor = i + 1n;
          for (const n of served) if (sizeOf(n) > floor) floor = sizeOf(n);
          await c.log.start({ witnesses: c.witnesses, quorum: 2, port, intervalMs: 25 });
          const start = BigInt(/^checkpoint \S+ \(size (\d+)\)$/m.exec(c.log.proc!.stdout.join('\n'))![1]!);
          assert.ok(start >= floor, `cycle ${cycle}: the log restarted at ${start}, below ${floor} acknowledged or served`);
        } else {
          const w = c.witnesses[((cycle - 1) / 2) % c.witnesses.length]!;
          const exit = await w.stop('SIGKILL');
          assert.equal(exit.signal, 'SIGKILL', `cycle ${cycle}: ${w.name} exited on its own: ${w.proc!.tail()}`);
          const mustHold = cosignedBy(w);
          await w.start();
          const now = await w.checkpoint(ORIGIN);
          const size = now === undefined ? -1n : sizeOf(now);
          assert.ok(size >= mustHold, `cycle ${cycle}: ${w.name} restarted at ${size} but was seen cosigning ${mustHold}`);
        }
      }
      await sleep(500);
    } finally {
      stopLoad = true;
      await Promise.all(load);
    }
    assert.deepEqual(problems, []);
    assert.ok(acked.size > 0, 'nothing was acknowledged: the load tested nothing');

    // Quiet: the log catches up (integrates, gets cosigned), every witness reaches the final size.
    const client = createLogClient(c.log.url);
    await until('every witness at the final size', async () => {
      const s = await client.log.status.query();
      return s.size === s.sequencedSize && s.cosignedSize === s.size && s.witnesses.every((w) => w.lastCosignedSize === s.size);
    });
    const finalNote = (await c.log.served())!;
    served.add(finalNote);
    const policy = loadPolicy(new TextEncoder().encode(policyText(c.log.vkey, c.witnesses, 2)), 'policy');
    const now = Math.floor(Date.now() / 1000) + 5;
    const final = verifyCheckpoint(finalNote, policy, { now });

    const leaves: Uint8Array[] = [];
    for (let from = 0n; from < final.size; from += 256n) {
      const to = from + 256n < final.size ? from + 256n : final.size;
      const got = await client.log.entries.query({ from: from.toString(), to: to.toString() });
      got.entries.forEach((e, j) => {
        const want = acked.get(from + BigInt(j));
        if (want !== undefined) assert.equal(e, want, `entry ${from + BigInt(j)} differs from what was acknowledged`);
        leaves.push(leafHash(decodeBase64Strict(e)));
      });
    }
    for (const i of acked.keys()) assert.ok(i < final.size, `acknowledged index ${i} is beyond the final size ${final.size}`);
    assert.ok(bytesEqual(treeHash(leaves), final.rootHash), 'the final root is the tree hash of the entries served');

    for (const note of served) {
      let cp;
      try {
        cp = verifyCheckpoint(note, policy, { now });
      } catch (e) {
        assert.fail(`a served note does not verify under the 2-of-3 policy (${(e as { code?: string }).code}): ${note}`);
      }
      if (cp.size === 0n) continue;
      const p = await client.log.consistencyProof.query({ m: cp.size.toString(), n: final.size.toString() });
      verifyConsistency(cp.size, final.size, cp.rootHash, final.rootHash, p.proof.map((h) => decodeBase64Strict(h, 32)));
    }
    for (const w of c.witnesses) assert.equal(sizeOf((await w.checkpoint(ORIGIN))!), final.size);
    process.stdout.write(`# e2e crash: seed ${seed}, ${CYCLES} kills, ${acked.size} entries acknowledged, final size ${final.size}, ${served.size} distinct notes served\n`);
  });
});
