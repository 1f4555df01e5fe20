/**
 * Adversarial e2e, scenarios 1–4: an operator with root on the log host edits the STOPPED log's
 * LevelDB directory (through @cairn/log's own storage driver) and restarts it. Real processes: a
 * `cairn log serve` with three `cairn witness serve` (quorum 2) on 127.0.0.1; clients are the CLI's
 * `verify`, `prove` and `monitor` (in-process, same argument parsing).
 *
 * One set-up serves all four: history at 300 entries (a copy of the data directory is kept: the
 * "old backup"), then 600 entries cosigned by every witness, seen by two monitors (one under the
 * quorum policy, one trusting the log key alone) and by a source holding an offline proof bundle.
 * Every scenario works on its own copy of that 600-entry directory and of the monitor states.
 *
 * 1. an entry rewritten in place: in the partial bundle (or the last full one) → refused at start,
 *    naming the entry (start-up re-hashes those against the right-edge level-0 tiles); in an older
 *    bundle → the log starts (it does not re-hash the whole log at start), and any fresh monitor or
 *    `verify --url` of that entry fails: bad-data / bad-log-data 27 (the log's entry is not proven
 *    by its own tiles); the holder of the true bytes still verifies.
 * 2. a hash tile rewritten → the last full tile of a level: refused at start, naming it; an older
 *    tile: the log starts, a fresh monitor alarms bad-data (27), `verify` of a covered entry 27
 *    (the log refuses the proof: its own check of the tile fails). More kinds of damage to stored
 *    data (malformed bundles, stored interiors) are in tamper-data.test.ts.
 * 3. the tail truncated (to a checkpoint it signed and had cosigned at 300) → refused with the
 *    witnesses (rolled-back, naming witness and sizes); started without them it serves the old
 *    cosigned note and every monitor that saw 600 alarms `rollback` (23); the offline bundle of a
 *    truncated entry still verifies (the acknowledgement is not lost for its holder).
 * 4. an older copy of the data directory restored → refused with the witnesses; started without
 *    them and fed new entries (a fork) → monitors alarm fork (22) / lost-quorum (18); re-attached
 *    to the witnesses once it is larger → every witness answers 422 and records misbehaviour,
 *    nothing of the fork gets cosigned, and the monitors alarm rollback (23) on what it serves.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { EXIT_CODES } from '@cairn/client';
import { alarmsOf, cli, makeCluster, policyText, sizeOf, until, type Cluster } from './harness.js';
import { flipTileHash, rewriteEntry, truncateTo } from './store.js';

const ORIGIN = 'tamper.e2e.example/log';

describe('operator edits the stopped log\'s data directory (scenarios 1–4)', { timeout: 240_000 }, () => {
  let c: Cluster;
  let policyQ: string; // log key + 2 of 3 witnesses
  let policyL: string; // log key only (quorum none): the monitor trusts no witness
  let pristine: string; // the 600-entry data directory, never started again
  let backup300: string; // the data directory as it was at 300 entries
  let note300: string; // the cosigned checkpoint served at 300
  let note600: string;
  let stateQ: string;
  let stateL: string;
  let bundle400: string; // an offline proof bundle for entry 400 (exported at 600)
  let entry400: string;
  let bundle5: string;
  let entry5: string;

  const ws = () => c.witnesses;
  const allAt = async (size: bigint) => {
    const s = await c.log.status();
    return s.witnesses.length === 3 && s.witnesses.every((w) => w.lastCosignedSize === size.toString());
  };
  /** `monitor --once` on a copy of a saved state (the saved one stays as it was). */
  const monitorCopy = async (policy: string, state: string, name: string) => {
    const copy = await c.copy(state, name);
    return cli(['monitor', '--once', '--policy', policy, '--url', c.log.url, '--state', copy]);
  };

  before(async () => {
    c = await makeCluster(ORIGIN, 3);
    await Promise.all(ws().map((w) => w.start()));
    policyQ = await c.file('policy-q.txt', policyText(c.log.vkey, ws(), 2));
    policyL = await c.file('policy-log-only.txt', policyText(c.log.vkey, ws(), 0));
    await c.log.start({ witnesses: ws(), quorum: 2 });
    await c.log.submit(300, 'first');
    await until('every witness at 300', () => allAt(300n));
    note300 = (await c.log.served())!;
    assert.equal(sizeOf(note300), 300n);
    assert.equal((await c.log.stop()).code, 0);
    backup300 = await c.copy(c.log.data, 'backup-at-300');

    await c.log.start({ witnesses: ws(), quorum: 2 });
    await c.log.submit(300, 'second');
    await until('every witness at 600', () => allAt(600n));
    note600 = (await c.log.served())!;
    assert.equal(sizeOf(note600), 600n);
    for (const [i, name] of [[400n, 'entry400'], [5n, 'entry5']] as const) {
      const got = await cli(['get', '--url', c.log.url, '--index', String(i), '--out', join(c.dir, name)]);
      assert.equal(got.code, 0, got.err.join('\n'));
      const p = await cli(['prove', '--url', c.log.url, '--index', String(i), '--out', join(c.dir, `${name}.tlog-proof`)]);
      assert.equal(p.code, 0, p.err.join('\n'));
    }
    [entry400, bundle400, entry5, bundle5] = ['entry400', 'entry400.tlog-proof', 'entry5', 'entry5.tlog-proof'].map((n) => join(c.dir, n)) as [string, string, string, string];
    stateQ = join(c.dir, 'monitor-q');
    stateL = join(c.dir, 'monitor-l');
    for (const [policy, state] of [[policyQ, stateQ], [policyL, stateL]] as const) {
      const m = await cli(['monitor', '--once', '--policy', policy, '--url', c.log.url, '--state', state]);
      assert.equal(m.code, 0, m.err.join('\n'));
      assert.ok(m.out.some((l) => l.startsWith(`entries ${ORIGIN} 0..599 verified`)), m.out.join('\n'));
    }
    assert.equal((await c.log.stop()).code, 0);
    pristine = await c.copy(c.log.data, 'pristine-600');
  });

  after(async () => {
    await c?.close();
  });

  test('1. an entry rewritten: in the partial bundle, log serve refuses naming it; in an older bundle, a fresh monitor alarms bad-data, verify --url blames the log\'s data; the true bytes still verify', async () => {
    const edge = await c.copy(pristine, 's1-edge');
    assert.equal(await rewriteEntry(edge, 590n, new TextEncoder().encode('{"actor":"nobody","action":"nothing here either"}')), 'entry key');
    const refused = await c.log.refuse({ data: edge, witnesses: ws(), quorum: 2 });
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /stored entry 590 does not hash to its leaf in tile\/0\/002\.p\/88/);

    const data = await c.copy(pristine, 's1');
    assert.equal(await rewriteEntry(data, 5n, new TextEncoder().encode('{"actor":"nobody","action":"nothing"}')), 'bundle');
    // The log's start-up checks re-hash the right edge, not every old entry: it starts.
    await c.log.start({ data, witnesses: ws(), quorum: 2 });
    try {
      assert.equal(sizeOf((await c.log.served())!), 600n);
      // A fresh monitor fetches every bundle and checks it against the tiles and the signed root.
      const fresh = await cli(['monitor', '--once', '--policy', policyQ, '--url', c.log.url, '--state', join(c.dir, 'monitor-fresh-s1')]);
      assert.equal(fresh.code, EXIT_CODES['bad-log-data'], fresh.err.join('\n'));
      const [alarm] = alarmsOf(fresh);
      assert.equal(alarm?.alarm, 'bad-data');
      assert.equal(alarm?.evidence['tile'], 'tile/0/000');
      // A client verifying the entry from the log (bundle + bytes fetched there): the log's own
      // entry and proof disagree, so it is the log's data that is wrong.
      for (const index of ['5']) {
        const v = await cli(['verify', '--policy', policyQ, '--url', c.log.url, '--index', index, '--json']);
        assert.equal(v.code, EXIT_CODES['bad-log-data'], `index ${index}: ${v.err.join('\n')}`);
        assert.equal(JSON.parse(v.out.join('\n')).code, 'bad-log-data');
        assert.match(v.err.join('\n'), /the log's data is wrong: the entry it serves at index 5 is not proven/);
      }
      // The source kept its entry's true bytes and bundle: still proven; the forged bytes are not.
      assert.equal((await cli(['verify', '--policy', policyQ, '--bundle', bundle5, '--index', '5', '--entry-file', entry5])).code, 0);
      const forged = await c.file('forged5', '{"actor":"nobody","action":"nothing"}');
      const bad = await cli(['verify', '--policy', policyQ, '--bundle', bundle5, '--index', '5', '--entry-file', forged]);
      assert.equal(bad.code, EXIT_CODES['inclusion-failed'], bad.err.join('\n'));
    } finally {
      assert.equal((await c.log.stop()).code, 0);
    }
  });

  test('2a. the last full hash tile of a level rewritten: log serve refuses to start, naming the tile', async () => {
    const data = await c.copy(pristine, 's2a');
    await flipTileHash(data, 0, 1n, 17); // 600 = 2·256 + 88: tile 0/1 is the last full level-0 tile
    const r = await c.log.refuse({ data, witnesses: ws(), quorum: 2 });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /cannot open the log in .*stored tile tile\/0\/001 does not hash to its entry in tile 1\/0/);
    assert.doesNotMatch(r.stdout, /listening/);
  });

  test('2b. an older hash tile rewritten: the log starts, a fresh monitor alarms bad-data (27), verify of a covered entry blames the log\'s data (27)', async () => {
    const data = await c.copy(pristine, 's2b');
    await flipTileHash(data, 0, 0n, 4); // leaf hash 4: the sibling in entry 5's inclusion proof
    await c.log.start({ data, witnesses: ws(), quorum: 2 });
    try {
      const fresh = await cli(['monitor', '--once', '--policy', policyQ, '--url', c.log.url, '--state', join(c.dir, 'monitor-fresh-s2')]);
      assert.equal(fresh.code, EXIT_CODES['bad-log-data'], fresh.err.join('\n'));
      assert.equal(alarmsOf(fresh)[0]?.alarm, 'bad-data');
      const v = await cli(['verify', '--policy', policyQ, '--url', c.log.url, '--index', '5', '--entry-file', entry5, '--json']);
      assert.equal(v.code, EXIT_CODES['bad-log-data'], v.err.join('\n'));
      // The offline bundle exported before the edit is unaffected.
      assert.equal((await cli(['verify', '--policy', policyQ, '--bundle', bundle5, '--index', '5', '--entry-file', entry5])).code, 0);
    } finally {
      assert.equal((await c.log.stop()).code, 0);
    }
  });

  test('3. the tail truncated to an earlier cosigned checkpoint: refused (witnesses hold 600); without witnesses every monitor alarms rollback (23)', async () => {
    const data = await c.copy(pristine, 's3');
    assert.equal(await truncateTo(data, note300), 300n);
    const r = await c.log.refuse({ data, witnesses: ws(), quorum: 2 });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /witness w\d\.e2e\.example \(http:\/\/127\.0\.0\.1:\d+\) has cosigned size 600 for tamper\.e2e\.example\/log, but this log's latest signed checkpoint has size 300/);
    assert.match(r.stderr, /refusing to start/);

    // The operator drops the witnesses: the truncation is clean enough for the log's own checks.
    await c.log.start({ data });
    try {
      assert.equal(await c.log.served(), note300, 'it serves the old cosigned note');
      for (const [policy, state, name] of [[policyQ, stateQ, 'q'], [policyL, stateL, 'l']] as const) {
        const m = await monitorCopy(policy, state, `monitor-s3-${name}`);
        assert.equal(m.code, EXIT_CODES['stale-checkpoint'], m.err.join('\n'));
        const [a] = alarmsOf(m);
        assert.equal(a?.alarm, 'rollback');
        assert.equal(a?.evidence['knownSize'], '600');
        assert.equal(a?.evidence['size'], '300');
      }
      // Entry 400 was acknowledged and cosigned at 600: its holder can still prove it.
      assert.equal((await cli(['verify', '--policy', policyQ, '--bundle', bundle400, '--index', '400', '--entry-file', entry400])).code, 0);
      const gone = await cli(['verify', '--policy', policyQ, '--url', c.log.url, '--index', '400']);
      assert.equal(gone.code, 3, 'the truncated log cannot serve it');
    } finally {
      assert.equal((await c.log.stop()).code, 0);
    }
  });

  test('4. an older copy restored and extended: refused with witnesses; forks detected by monitors; re-attached, every witness answers 422 and nothing is cosigned', async () => {
    const data = await c.copy(backup300, 's4');
    const r = await c.log.refuse({ data, witnesses: ws(), quorum: 2 });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /has cosigned size 600 .* latest signed checkpoint has size 300/);

    // Without witnesses it starts and keeps submitting: a fork of the 600-entry history.
    await c.log.start({ data });
    try {
      await c.log.submit(350, 'fork', 'checkpoint');
      assert.equal(sizeOf((await c.log.served())!), 650n);
      const l = await monitorCopy(policyL, stateL, 'monitor-s4-l');
      assert.equal(l.code, EXIT_CODES['consistency-failed'], l.err.join('\n'));
      assert.equal(alarmsOf(l)[0]?.alarm, 'fork');
      const q = await monitorCopy(policyQ, stateQ, 'monitor-s4-q');
      assert.equal(q.code, EXIT_CODES['quorum-not-met'], q.err.join('\n'));
      assert.equal(alarmsOf(q)[0]?.alarm, 'lost-quorum');
    } finally {
      assert.equal((await c.log.stop()).code, 0);
    }

    // Re-attached: 650 > 600 so the start-up check passes, but no witness can be shown 600 → 650.
    const before = await Promise.all(ws().map(async (w) => (await w.trpc().misbehaviour.query({ origin: ORIGIN })).length));
    await c.log.start({ data, witnesses: ws(), quorum: 2 });
    try {
      await until('a 422 from every witness', async () => new Set((await c.log.status()).alarms.filter((a) => a.status === 422).map((a) => a.url)).size === 3);
      const s = await c.log.status();
      assert.equal(s.cosignedSize, '300', 'nothing of the fork was cosigned');
      for (const [i, w] of ws().entries()) {
        const st = (await w.trpc().status.query()).logs.find((x) => x.origin === ORIGIN)!;
        assert.equal(st.size, '600', `${w.name} kept its state`);
        const mis = await w.trpc().misbehaviour.query({ origin: ORIGIN });
        assert.ok(mis.length > before[i]!, `${w.name} recorded the refused request`);
        assert.equal(mis[0]!.kind, 'inconsistent');
        assert.equal(sizeOf(mis[0]!.offeredNote), 650n);
        assert.equal(sizeOf(mis[0]!.storedNote!), 600n);
      }
      // What it serves is the stale cosigned note at 300: every monitor that saw 600 alarms.
      assert.equal(await c.log.served(), note300);
      const q = await monitorCopy(policyQ, stateQ, 'monitor-s4-q2');
      assert.equal(q.code, EXIT_CODES['stale-checkpoint'], q.err.join('\n'));
      assert.equal(alarmsOf(q)[0]?.alarm, 'rollback');
    } finally {
      assert.equal((await c.log.stop()).code, 0);
    }
  });

  test('4b. an older copy restored while the witnesses are unreachable at start-up: it starts, but once they answer it gets witness-ahead alarms and nothing new is cosigned', async () => {
    const data = await c.copy(backup300, 's4b');
    await Promise.all(ws().map((w) => w.stop()));
    try {
      // An unreachable witness is not fatal at start-up (it is logged), so the restored copy starts.
      await c.log.start({ data, witnesses: ws(), quorum: 2 });
      assert.ok(c.log.proc!.stderr.some((l) => l.includes('"witness not checked at start-up"')));
      await c.log.submit(100, 'unwitnessed', 'checkpoint');
    } finally {
      await Promise.all(ws().map((w) => w.start()));
    }
    try {
      await until('witness-ahead alarms from every witness', async () => {
        const s = await c.log.status();
        return new Set(s.alarms.filter((a) => a.kind === 'witness-ahead' && a.witnessSize === '600').map((a) => a.url)).size === 3;
      });
      const s = await c.log.status();
      assert.equal(s.size, '400', 'it signed a fork of the 600-entry history (its memory was restored)');
      assert.equal(s.cosignedSize, '300', '…which no witness cosigned');
      assert.equal(await c.log.served(), note300, 'clients are served the stale cosigned note');
      for (const w of ws()) assert.equal((await w.trpc().status.query()).logs.find((x) => x.origin === ORIGIN)!.size, '600');
      const q = await monitorCopy(policyQ, stateQ, 'monitor-s4b-q');
      assert.equal(q.code, EXIT_CODES['stale-checkpoint'], q.err.join('\n'));
    } finally {
      assert.equal((await c.log.stop()).code, 0);
    }
  });
});
