/**
 * An idle log catches up as soon as its witnesses come back (real processes on 127.0.0.1): a
 * `cairn log serve` with two witnesses (quorum 2) that are down from the start, so it fails to
 * reach them and backs off (here from a first delay of 30 s, as after a long outage); entries are
 * signed but not cosigned and nothing new arrives. (The test runs no longer for the long first delay:
 * the probe ends it; it only keeps a slow machine's witness start-up from outlasting it.) Then both witnesses start: the log's TCP
 * probe sees them reachable, the backoff ends (counted in /metrics and logged) and the
 * cosigned checkpoint catches up — long before any backoff would have run out on its own.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeCluster, until, type Cluster } from './harness.js';

const ORIGIN = 'idle.e2e.example/log';
/** The first retry delay given to the log; its backoff after two failures is at least this. */
const RETRY_MIN_MS = 30_000;
/** Bound on the catch-up once both witnesses listen: well below any backoff the log is in. */
const CATCH_UP_BOUND_MS = 20_000;

describe('idle catch-up when witnesses return', { timeout: 150_000 }, () => {
  let c: Cluster;

  before(async () => {
    c = await makeCluster(ORIGIN, 2);
  });
  after(async () => {
    await c?.close();
  });

  test('the backoff is ended by a probe and the cosigned checkpoint catches up', async () => {
    const [w0, w1] = c.witnesses as [NonNullable<Cluster['witnesses'][0]>, NonNullable<Cluster['witnesses'][0]>];
    await c.log.start({ witnesses: [w0, w1], quorum: 2, extra: ['--witness-retry-min', String(RETRY_MIN_MS), '--witness-retry-max', '60000'] });
    const r = await c.log.submit(3, 'idle', 'checkpoint');
    const size = r.indices.at(-1)! + 1n;
    // Both witnesses failed at least twice (start-up check, first send): each is in a backoff of ≥ RETRY_MIN_MS.
    await until('both witnesses failing', async () => (await c.log.status()).witnesses.every((w) => w.consecutiveFailures >= 2));
    const before = await c.log.status();
    assert.equal(before.cosignedSize ?? null, null, "nothing is cosigned while the witnesses are down");

    await Promise.all([w0.start(), w1.start()]);
    await until('the cosigned checkpoint to catch up', async () => (await c.log.status()).cosignedSize === size.toString(), CATCH_UP_BOUND_MS);

    // The catch-up came from the probe ending the backoff, not from the backoff running out.
    const metrics = await (await fetch(`${c.log.url}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
    for (const w of [w0, w1]) {
      const line = new RegExp(`^cairn_log_witness_backoffs_ended_total\\{[^}]*witness="${w.name.replace(/\./g, '\\.')}"[^}]*by="probe"\\} ([0-9]+)$`, 'm').exec(metrics);
      assert.ok(line !== null && Number(line[1]) >= 1, `a probe ended ${w.name}'s backoff:\n${metrics}`);
    }
    const logLines = c.log.proc!.stderr.filter((l) => l.includes('witness reachable again'));
    assert.ok(logLines.some((l) => l.includes('"by":"probe"')), 'the early end is logged');
    const served = await c.log.served();
    assert.ok(served !== undefined && served.split('\n')[1] === size.toString(), 'GET /checkpoint serves the cosigned checkpoint');
  });
});
