/**
 * Adversarial e2e: damage to a STOPPED log's stored data that its start-up checks do not re-hash
 * (they check the right edge and the last full tile and bundle of each level, not the whole log),
 * and what each party then says. Real `cairn log serve` processes on 127.0.0.1; `cairn monitor
 * --once` and `cairn verify --url` run in-process through the CLI's argument parsing.
 *
 * One 600-entry log (bundles 0 and 1 full, 2 partial) is built once; every case edits its own
 * copy of the data directory through @cairn/log's storage driver:
 *
 * | edit (old = left of the last full one) | log | monitor --once | verify --url |
 * |---|---|---|---|
 * | entry length prefix in old bundle 0 | serves; `log.entry` and `tile/entries/000` answer 500 `integrity` naming the bundle | bad-data alarm (27), evidence: tile path + problem | 27, "the log's data is wrong" |
 * | hash 4 of old tile 0/0 | serves; proofs through it answer `integrity` (tile) | bad-data (27), evidence tile/0/000 | 27 for entry 5 |
 * | stored interior of old tile 0/0 (derived) | serves; proofs through the edited node answer `integrity` (interior); others are right | no alarm: the served tiles are right | 27 for entry 2, 0 for entry 300 |
 * | interior of the last full tile 0/1, or the last full bundle's prefix | refuses to start, naming it | — | — |
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createLogClient, EXIT_CODES } from '@cairn/client';
import { openLevelStorage } from '@cairn/log';
import { alarmsOf, cli, makeCluster, policyText, sizeOf, type Cluster } from './harness.js';
import { flipTileHash } from './store.js';

const ORIGIN = 'tamper-data.e2e.example/log';
const BAD_DATA = EXIT_CODES['bad-log-data'];
const HASH = 32;

// The key layout of packages/log/src/storage/keys.ts, restated as an attacker reading it would.
const u64 = (v: bigint): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v);
  return b;
};
const bundleKey = (n: bigint): Uint8Array => Uint8Array.of(0x42, ...u64(n));
const interiorKey = (level: number, index: bigint): Uint8Array => Uint8Array.of(0x49, level, ...u64(index));

/** Rewrites one stored value of a stopped log in place. */
async function editValue(dir: string, key: Uint8Array, edit: (v: Uint8Array) => void): Promise<void> {
  const s = await openLevelStorage(dir);
  try {
    const v = (await s.get(key))?.slice();
    if (v === undefined) throw new Error('no such key in the store');
    edit(v);
    await s.write([{ type: 'put', key, value: v }], { sync: true });
  } finally {
    await s.close();
  }
}

/** Sets the 2-byte length prefix of entry `k` of stored full bundle `n` to `declared` (0x6163 = 24931). */
async function corruptLengthPrefix(dir: string, n: bigint, k: number, declared = 0x6163): Promise<number> {
  let remain = 0;
  await editValue(dir, bundleKey(n), (v) => {
    let o = 0;
    for (let j = 0; j < k; j++) o += 2 + ((v[o]! << 8) | v[o + 1]!);
    v[o] = declared >> 8;
    v[o + 1] = declared & 0xff;
    remain = v.length - o - 2;
  });
  return remain;
}

/** The tRPC error of a log read: HTTP status, Cairn code and message. */
async function readError(p: Promise<unknown>): Promise<{ status: unknown; code: unknown; message: string }> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof Error && e.name === 'TRPCClientError', String(e));
    const data = (e as Error & { data?: { httpStatus?: unknown; cairnCode?: unknown } }).data;
    return { status: data?.httpStatus, code: data?.cairnCode, message: e.message };
  }
  throw new Error('the read succeeded');
}

describe('stored data damaged where start-up does not look: the log, the monitor and verify each name it', { timeout: 120_000 }, () => {
  let c: Cluster;
  let policy: string;
  let pristine: string;

  const monitorFresh = (name: string) => cli(['monitor', '--once', '--policy', policy, '--url', c.log.url, '--state', join(c.dir, name)]);
  const verifyUrl = (index: number) => cli(['verify', '--policy', policy, '--url', c.log.url, '--index', String(index), '--json']);
  const api = () => createLogClient(c.log.url).log;

  before(async () => {
    c = await makeCluster(ORIGIN, 0);
    policy = await c.file('policy.txt', policyText(c.log.vkey, [], 0));
    await c.log.start();
    await c.log.submit(600, 'history', 'checkpoint');
    assert.equal(sizeOf((await c.log.served())!), 600n);
    assert.equal((await c.log.stop()).code, 0);
    pristine = await c.copy(c.log.data, 'pristine-600');
  });

  after(async () => {
    await c?.close();
  });

  test('an old entry bundle with a corrupt length prefix: integrity answers from the log, bad-data from the monitor, 27 from verify', async () => {
    const data = await c.copy(pristine, 'old-bundle');
    const remain = await corruptLengthPrefix(data, 0n, 3);
    const problem = new RegExp(`declares 24931 bytes but ${remain} remain`);
    await c.log.start({ data });
    try {
      // The log: the entry read and the bundle itself answer its integrity error, naming the bundle.
      const e = await readError(api().entry.query({ index: '0' }));
      assert.equal(e.status, 500);
      assert.equal(e.code, 'integrity');
      assert.match(e.message, /integrity check.*tile\/entries\/000/);
      assert.match(e.message, problem);
      const tile = await fetch(`${c.log.url}/tile/entries/000`, { signal: AbortSignal.timeout(10_000) });
      assert.equal(tile.status, 500);
      assert.equal(tile.headers.get('cairn-error-code'), 'integrity');
      assert.match(await tile.text(), problem);
      // Entries of other bundles are served as before.
      assert.equal((await api().entry.query({ index: '300' })).index, '300');

      const m = await monitorFresh('monitor-bundle');
      assert.equal(m.code, BAD_DATA, m.err.join('\n'));
      const [alarm] = alarmsOf(m);
      assert.equal(alarm?.alarm, 'bad-data');
      assert.equal(alarm?.code, 'bad-log-data');
      assert.equal(alarm?.evidence['tile'], 'tile/entries/000');
      assert.match(String(alarm?.evidence['problem']), problem);
      assert.doesNotMatch(m.err.join('\n'), /cannot read the log/);

      const v = await verifyUrl(0);
      assert.equal(v.code, BAD_DATA, v.err.join('\n'));
      assert.match(v.err.join('\n'), /bad-log-data: the log's data is wrong/);
      assert.equal(JSON.parse(v.out.join('\n')).code, 'bad-log-data');
    } finally {
      assert.equal((await c.log.stop()).code, 0);
    }
  });

  test('an old hash tile edited: proofs through it answer integrity (tile), the monitor alarms bad-data naming it, verify exits 27', async () => {
    const data = await c.copy(pristine, 'old-tile');
    await flipTileHash(data, 0, 0n, 4); // leaf hash 4: the sibling in entry 5's inclusion proof
    await c.log.start({ data });
    try {
      const e = await readError(api().inclusionProof.query({ index: '5' }));
      assert.equal(e.code, 'integrity');
      assert.match(e.message, /tile\/0\/000 \(tile\)/);

      const m = await monitorFresh('monitor-tile');
      assert.equal(m.code, BAD_DATA, m.err.join('\n'));
      const [alarm] = alarmsOf(m);
      assert.equal(alarm?.alarm, 'bad-data');
      assert.equal(alarm?.evidence['tile'], 'tile/0/000');
      assert.match(String(alarm?.evidence['problem']), /disagree with the verified checkpoint of size 600/);

      const v = await verifyUrl(5);
      assert.equal(v.code, BAD_DATA, v.err.join('\n'));
      assert.match(v.err.join('\n'), /the log's data is wrong.*tile\/0\/000/);
    } finally {
      assert.equal((await c.log.stop()).code, 0);
    }
  });

  test('an old stored interior edited: the proofs through the edited node answer integrity (interior), the rest stay right; nothing served is wrong', async () => {
    const data = await c.copy(pristine, 'old-interior');
    // Level 2, node 1 of tile 0/0 (entries 4..7): on entry 2's inclusion path, not on entry 300's.
    await editValue(data, interiorKey(0, 0n), (v) => { v[(128 + 1) * HASH]! ^= 0x01; });
    await c.log.start({ data });
    try {
      for (let round = 0; round < 2; round++) { // the second answer comes from the log's tile cache
        const e = await readError(api().inclusionProof.query({ index: '2' }));
        assert.equal(e.code, 'integrity');
        assert.match(e.message, /tile\/0\/000 \(interior\)/);
      }
      const v = await verifyUrl(2);
      assert.equal(v.code, BAD_DATA, v.err.join('\n'));
      assert.match(v.err.join('\n'), /the log's data is wrong.*interior/);
      const ok = await verifyUrl(300);
      assert.equal(ok.code, 0, ok.err.join('\n'));
      // The tiles and bundles the log serves are untouched: a monitor finds nothing to alarm on.
      const m = await monitorFresh('monitor-interior');
      assert.equal(m.code, 0, m.err.join('\n'));
      assert.deepEqual(alarmsOf(m), []);
    } finally {
      assert.equal((await c.log.stop()).code, 0);
    }
  });

  test('the last full tile\'s interior or the last full bundle damaged: log serve refuses to start, naming it', async () => {
    const interior = await c.copy(pristine, 'last-interior');
    await editValue(interior, interiorKey(0, 1n), (v) => { v[7]! ^= 0x40; });
    const r1 = await c.log.refuse({ data: interior });
    assert.equal(r1.code, 1, r1.stderr);
    assert.match(r1.stderr, /the stored interior of tile\/0\/001 does not match the tile/);
    assert.doesNotMatch(r1.stdout, /listening/);

    const bundle = await c.copy(pristine, 'last-bundle');
    await corruptLengthPrefix(bundle, 1n, 0);
    const r2 = await c.log.refuse({ data: bundle });
    assert.equal(r2.code, 1, r2.stderr);
    assert.match(r2.stderr, /stored entry bundle tile\/entries\/001 is malformed: .*24931/);
  });
});
