// verifyNewLeaves over an in-memory tiled log of 70,500 entries (three tile levels): a full
// catch-up, a resume from a frontier and from mid-way progress, and every kind of lie in the
// bundles and tiles (entry vs level-0 tile, a consistent rewrite of both, an upper-tile entry).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPolicy, verifyCheckpoint, VerifyError, verifyNewLeaves, EMPTY_FRONTIER, type LeafFrontier, type TilesFetcher } from './index.js';
import { fullTileHash, HASH_SIZE, leafHash, treeHash, TreeBuilder, type TileRef } from '@cairn/merkle';
import { utf8Encode } from '@cairn/formats';
import { NOW, POLICY_TEXT, signedCheckpoint } from './test-fixtures.js';

const N = 70_500;
const entries = Array.from({ length: N }, (_, i) => utf8Encode(`tail event ${i}`));
const leaves = entries.map((e) => leafHash(e));
const policy = loadPolicy(POLICY_TEXT);

/** Hashes at each tile level: level 0 = leaves; level L entry i = hash of full tile (L−1, i). */
function levels(ls: Uint8Array[]): Uint8Array[][] {
  const out = [ls];
  for (;;) {
    const below = out[out.length - 1]!;
    const up: Uint8Array[] = [];
    for (let t = 0; (t + 1) * 256 <= below.length; t++) {
      const data = new Uint8Array(256 * HASH_SIZE);
      for (let k = 0; k < 256; k++) data.set(below[t * 256 + k]!, k * HASH_SIZE);
      up.push(fullTileHash(data));
    }
    if (up.length === 0) return out;
    out.push(up);
  }
}

interface Fake extends TilesFetcher {
  fetched: string[];
}

function fakeTiles(es: Uint8Array[], tamper: { level?: number; entry?: number; hash?: Uint8Array; upperFrom?: Uint8Array[] } = {}): Fake {
  const lv = levels(es.map((e) => leafHash(e)));
  if (tamper.upperFrom !== undefined) lv.splice(1, lv.length - 1, ...levels(tamper.upperFrom.map((e) => leafHash(e))).slice(1));
  if (tamper.level !== undefined) lv[tamper.level]![tamper.entry!] = tamper.hash!;
  const fetched: string[] = [];
  const fail = () => Promise.reject(new Error('not used'));
  return {
    prefix: 'http://fake',
    fetched,
    checkpoint: fail,
    entry: fail,
    inclusionProof: fail,
    consistencyProof: fail,
    consistencyWithPrefixRoot: fail,
    async tile(ref: TileRef) {
      fetched.push(`tile/${ref.level}/${ref.index}.p/${ref.width}`);
      const hs = lv[ref.level]!.slice(Number(ref.index) * 256, Number(ref.index) * 256 + ref.width);
      const out = new Uint8Array(ref.width * HASH_SIZE);
      hs.forEach((h, k) => out.set(h, k * HASH_SIZE));
      return out;
    },
    async entryBundle(index: bigint, width: number) {
      fetched.push(`entries/${index}.p/${width}`);
      return es.slice(Number(index) * 256, Number(index) * 256 + width);
    },
  };
}

const checkpointAt = (size: number) =>
  verifyCheckpoint(signedCheckpoint(size, undefined, { root: treeHash(leaves.slice(0, size)) }), policy, { now: NOW });

test('catch up from empty across three tile levels, then resume from the frontier', async () => {
  const tiles = fakeTiles(entries);
  const first = await verifyNewLeaves(tiles, checkpointAt(66_000), EMPTY_FRONTIER);
  assert.equal(first.verified, 66_000n);
  assert.deepEqual(first.frontier.rightEdge, (() => { const b = new TreeBuilder(); b.appendAll(leaves.slice(0, 66_000)); return b.rightEdge(); })());
  assert.ok(tiles.fetched.includes('tile/1/0.p/256') && tiles.fetched.includes('tile/2/0.p/1'), tiles.fetched.filter((f) => !f.startsWith('e')).join(' '));

  tiles.fetched.length = 0;
  const second = await verifyNewLeaves(tiles, checkpointAt(N), first.frontier);
  assert.equal(second.verified, BigInt(N - 66_000));
  // Only bundles from the one holding entry 66,000 on were fetched (257 = floor(66000/256)).
  const bundles = tiles.fetched.filter((f) => f.startsWith('entries/')).map((f) => Number(f.split('/')[1]!.split('.')[0]));
  assert.equal(Math.min(...bundles), Math.floor(66_000 / 256));
  assert.equal(bundles.length, Math.ceil(N / 256) - Math.floor(66_000 / 256));
});

test('progress frontiers are valid resume points; onEntry sees each new entry once, in order, before the frontier passes it', async () => {
  const tiles = fakeTiles(entries);
  const seen: LeafFrontier[] = [];
  const handed: bigint[] = [];
  await verifyNewLeaves(tiles, checkpointAt(10_000), EMPTY_FRONTIER, {
    onProgress: (f) => {
      assert.equal(BigInt(handed.length), f.size, 'every entry below the frontier was handed first');
      seen.push(f);
    },
    onEntry: (i, e) => {
      assert.equal(i, BigInt(handed.length));
      assert.deepEqual(e, entries[Number(i)]);
      handed.push(i);
    },
  });
  assert.equal(handed.length, 10_000);
  assert.ok(seen.length >= 2);
  assert.ok(seen.every((f, i) => i === 0 || f.size > seen[i - 1]!.size));
  const mid = seen[1]!;
  const resumed: bigint[] = [];
  const r = await verifyNewLeaves(tiles, checkpointAt(12_345), mid, { onEntry: (i) => { resumed.push(i); } });
  assert.equal(r.verified, 12_345n - mid.size);
  assert.equal(r.frontier.size, 12_345n);
  assert.deepEqual([resumed[0], resumed.length], [mid.size, Number(12_345n - mid.size)], 'a resume hands only the entries past its frontier');
});

test('lies in bundles or tiles are bad-log-data with the checkpoint as evidence', async () => {
  const cp = checkpointAt(66_000);
  const isLie = (what: RegExp) => (e: unknown) => e instanceof VerifyError && e.code === 'bad-log-data' && e.evidence.note === cp.note && what.test(e.message);

  // An entry that does not hash to its level-0 tile entry.
  const swapped = entries.slice();
  swapped[300] = utf8Encode('rewritten');
  const bundleLie = fakeTiles(entries);
  bundleLie.entryBundle = async (index, width) => (index === 1n ? swapped : entries).slice(Number(index) * 256, Number(index) * 256 + width);
  await assert.rejects(verifyNewLeaves(bundleLie, cp, EMPTY_FRONTIER), isLie(/entry bundle 1/));

  // Entry and level-0 tile rewritten together: caught by the level-1 tile.
  await assert.rejects(verifyNewLeaves(fakeTiles(swapped, { upperFrom: entries }), cp, EMPTY_FRONTIER), isLie(/level-1 tile 0 \(entry 1\)/));
  // Every tile rewritten consistently: caught by the signed root.
  await assert.rejects(verifyNewLeaves(fakeTiles(swapped), cp, EMPTY_FRONTIER), isLie(/signed root/));

  // A wrong upper-tile entry.
  await assert.rejects(verifyNewLeaves(fakeTiles(entries, { level: 1, entry: 7, hash: leaves[0]! }), cp, EMPTY_FRONTIER), isLie(/level-1 tile 0 \(entry 7\)/));

  // A rewrite in the partial tail (no upper tile above it): caught by the signed root.
  const tail = entries.slice();
  tail[65_999] = utf8Encode('rewritten tail');
  await assert.rejects(verifyNewLeaves(fakeTiles(tail), cp, EMPTY_FRONTIER), isLie(/signed root/));

  // A frontier that is not one, or larger than the checkpoint.
  await assert.rejects(verifyNewLeaves(fakeTiles(entries), cp, { size: 3n, rightEdge: [] }), (e: unknown) => e instanceof VerifyError && e.code === 'bad-input');
  await assert.rejects(verifyNewLeaves(fakeTiles(entries), checkpointAt(5), { size: 6n, rightEdge: [] }), (e: unknown) => e instanceof VerifyError && e.code === 'bad-input');
});
