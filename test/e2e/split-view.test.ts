/**
 * Adversarial e2e, scenario 6: a split view. The operator runs TWO `cairn log serve` processes
 * with the same key and origin (two data directories: two histories) and shows history A to
 * witnesses 0–1 and history B to witnesses 2–3 (each log configured with its half, quorum 2, so
 * each half cosigns happily). The four `cairn witness serve` processes form a libp2p full mesh
 * (--p2p-listen, --peer … each other) and gossip what they cosign; each knows the log's tiles at
 * the URL of the history it was shown (--log VKEY@URL).
 *
 * Expected: every honest witness ends up holding proven evidence (`cairn evidence list` from its
 * API, `cairn evidence verify --vkey LOG` exit 0 / PROVEN, kind equivocation or inconsistency),
 * and stops cosigning the origin: both logs' next add-checkpoint gets 403 naming the evidence
 * (shown in the log's status alarms), and a direct add-checkpoint too.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { formatAddCheckpointRequest } from '@cairn/formats';
import { loadOrCreatePeerIdentity } from '@cairn/gossip';
import { cli, E2eLog, freePort, makeCluster, sizeOf, until, type Cluster } from './harness.js';

const ORIGIN = 'split.e2e.example/log';

describe('split view across disjoint witness sets, gossiped over libp2p (scenario 6)', { timeout: 240_000 }, () => {
  let c: Cluster;
  let logA: E2eLog;
  let logB: E2eLog;

  before(async () => {
    c = await makeCluster(ORIGIN, 4);
    logA = c.log;
    logB = new E2eLog(c.dir, ORIGIN, join(c.dir, 'log-data-b'));
    logB.vkey = logA.vkey;
    logB.token = logA.token;
    const [portA, portB] = [await freePort(), await freePort()];
    const p2p = await Promise.all(c.witnesses.map(async (w) => ({
      port: await freePort(),
      // The identity `witness serve` will load from its data directory (`cairn witness p2p-id`).
      id: (await loadOrCreatePeerIdentity(w.data)).peerId.toString(),
    })));
    for (const w of c.witnesses) {
      w.logUrl = `http://127.0.0.1:${w.index < 2 ? portA : portB}`;
      w.extra = ['--p2p-listen', `/ip4/127.0.0.1/tcp/${p2p[w.index]!.port}`];
      for (const o of c.witnesses) {
        if (o === w) continue;
        w.extra.push('--peer', `/ip4/127.0.0.1/tcp/${p2p[o.index]!.port}/p2p/${p2p[o.index]!.id}=${o.vkey}`);
      }
    }
    await Promise.all(c.witnesses.map((w) => w.start()));
    await until('a full libp2p mesh', async () => {
      for (const w of c.witnesses) if (((await w.trpc().status.query()).p2p?.connectedPeers ?? []).length < 3) return false;
      return true;
    });
    const [a, b] = [c.witnesses.slice(0, 2), c.witnesses.slice(2)];
    await Promise.all([
      logA.start({ witnesses: a, quorum: 2, port: portA }),
      logB.start({ witnesses: b, quorum: 2, port: portB }),
    ]);
  });
  after(async () => {
    await logB?.stop('SIGKILL');
    await c?.close();
  });

  test('every honest witness holds proven evidence, `evidence verify` exits 0, and cosigning stops with 403 naming it', async () => {
    // Each half of the network is shown its own history of the same size. A witness that already
    // learned the other history's checkpoint from a peer refuses it (422), so a half may not reach
    // its quorum: the split view becomes evidence either way, and no witness cosigns both.
    const [ra, rb] = await Promise.all([logA.submit(10, 'history-A', 'checkpoint'), logB.submit(10, 'history-B', 'checkpoint')]);
    assert.equal(sizeOf(ra.checkpoint!), 10n);
    assert.equal(sizeOf(rb.checkpoint!), 10n);
    assert.notEqual(ra.checkpoint!.split('\n')[2], rb.checkpoint!.split('\n')[2], 'two roots for one size');

    await until('proven evidence and a block at every witness', async () => {
      for (const w of c.witnesses) {
        const st = (await w.trpc().status.query()).logs.find((l) => l.origin === ORIGIN);
        if (st?.blocked == null) return false;
      }
      return true;
    });
    const blocks = new Map<number, string>();
    for (const w of c.witnesses) {
      const listed = await cli(['evidence', 'list', '--url', w.url, '--origin', ORIGIN]);
      assert.equal(listed.code, 0, listed.err.join('\n'));
      assert.ok(listed.out.length >= 1, `${w.name} lists its evidence`);
      const st = (await w.trpc().status.query()).logs.find((l) => l.origin === ORIGIN)!;
      blocks.set(w.index, st.blocked!.evidenceId);
      let proven = 0;
      for (const [k, line] of listed.out.entries()) {
        const file = await c.file(`evidence-${w.index}-${k}.json`, line + '\n');
        const v = await cli(['evidence', 'verify', file, '--vkey', logA.vkey]);
        if (v.code !== 0) continue;
        proven++;
        assert.ok(v.out.some((l) => l.startsWith('PROVEN: ')), v.out.join('\n'));
        assert.ok(v.out.some((l) => /^kind (equivocation|inconsistency)$/.test(l)), v.out.join('\n'));
        assert.ok(v.out.some((l) => l === `origin ${ORIGIN}`));
      }
      assert.ok(proven >= 1, `${w.name} holds at least one record that verifies offline`);
      const ids = (await w.trpc().evidence.query({ origin: ORIGIN })).map((e) => e.id);
      assert.ok(ids.includes(st.blocked!.evidenceId), 'the block names a record it holds');
    }

    // Both logs go on: every witness now answers 403 naming the evidence; nothing more is cosigned.
    const [na, nb] = await Promise.all([logA.submit(3, 'more-A', 'checkpoint'), logB.submit(3, 'more-B', 'checkpoint')]);
    for (const [log, half, next] of [[logA, c.witnesses.slice(0, 2), na], [logB, c.witnesses.slice(2), nb]] as const) {
      await until('403 alarms from both witnesses of the half', async () => {
        const s = await log.status();
        return half.every((w) => s.alarms.some((a) => a.url === w.url && a.status === 403 && a.evidenceId === blocks.get(w.index)));
      });
      const s = await log.status();
      assert.ok(BigInt(s.cosignedSize ?? '0') <= 10n, `nothing after the split view is cosigned (${s.cosignedSize})`);
      assert.ok(sizeOf(next.checkpoint!) > 10n);
    }
    // A direct request with a valid log signature is refused the same way.
    const again = await c.witnesses[3]!.add(formatAddCheckpointRequest({ oldSize: 0n, proof: [], checkpoint: ra.checkpoint! }));
    assert.equal(again.status, 403);
    assert.match(again.text, new RegExp(`evidence ${blocks.get(3)}`));
  });
});
