import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MerkleError } from './errors.js';
import { leafHash } from './hash.js';
import { nodeBackend } from './node.js';
import {
  allTilesForSize,
  fullTileHash,
  newEntryBundlesBetween,
  newTilesBetween,
  tileForNode,
  tileNode,
  tileWidth,
  tilesForSize,
  type TileRef,
} from './tile.js';
import { tilesForAppend } from './tilebuild.js';
import { tileNodeReader } from './tilereader.js';
import { formatTilePath } from './tilepath.js';
import { rootHash } from './proof.js';
import { Reference, hex, loadVectors, makeLeaves, naiveTile, unb64, unhex } from './test-support.js';

const vectors = loadVectors('tlog_tiles.json');
const BIG = 70000;
const REF = new Reference(makeLeaves(BIG));
const pathsOf = (refs: Iterable<TileRef>) => [...refs].map(formatTilePath);

test('tree decompositions for 70000, 256 and 300 (tlog_tiles.json)', () => {
  const [d70000, d256, d300] = vectors.tree_decompositions;
  assert.deepEqual(pathsOf(tilesForSize(70000n)), d70000.rightmost_paths);
  const all = [...allTilesForSize(70000n)];
  assert.equal(all.filter((t) => t.level === 0 && t.width === 256).length, 273);
  assert.equal(all.filter((t) => t.level === 1 && t.width === 256).length, 1);
  assert.deepEqual(pathsOf(all.filter((t) => t.width < 256)), d70000.rightmost_paths);
  assert.equal(all.length, 273 + 1 + 1 + 1 + 1);
  assert.deepEqual(pathsOf(allTilesForSize(256n)), d256.paths);
  assert.deepEqual(pathsOf(allTilesForSize(300n)), d300.paths);
  assert.deepEqual(pathsOf(tilesForSize(256n)), ['tile/1/000.p/1']);
  assert.deepEqual(tilesForSize(0n), []);
  assert.deepEqual([...allTilesForSize(0n)], []);
});

test('the real tile bytes of the 300-leaf tree (tlog_tiles.json) are reproduced', () => {
  const t = vectors.tile_contents_size_300;
  const leaves = Array.from({ length: 300 }, (_, i) => leafHash(new TextEncoder().encode(`record ${i}`), nodeBackend));
  const built = tilesForAppend(0n, leaves, () => [], nodeBackend);
  const byPath = new Map(built.map((b) => [formatTilePath(b.tile), hex(b.data)]));
  assert.deepEqual([...byPath.keys()], ['tile/0/000', 'tile/0/001.p/44', 'tile/1/000.p/1']);
  for (const p of byPath.keys()) assert.equal(byPath.get(p), t[`${p}_hex`], p);
  // And the tiles hash to the checkpoint root.
  const store = new Map(built.map((b) => [formatTilePath(b.tile), b.data]));
  const reader = tileNodeReader(300n, (refs) => refs.map((r) => store.get(formatTilePath(r))!), { root: unb64(t.checkpoint_root_base64) });
  assert.equal(hex(rootHash(300n, reader)), hex(unb64(t.checkpoint_root_base64)));
  assert.equal(hex(fullTileHash(unhex(t['tile/0/000_hex']))), t['tile/1/000.p/1_hex']);
});

test('tileForNode follows PROTOCOLS §6.4 and tileNode computes the node', () => {
  assert.deepEqual(tileForNode({ level: 0, index: 300n }), { tileLevel: 0, tileIndex: 1n, levelInTile: 0, indexInTile: 44, start: 44, count: 1 });
  assert.deepEqual(tileForNode({ level: 3, index: 40n }), { tileLevel: 0, tileIndex: 1n, levelInTile: 3, indexInTile: 8, start: 64, count: 8 });
  assert.deepEqual(tileForNode({ level: 8, index: 3n }), { tileLevel: 1, tileIndex: 0n, levelInTile: 0, indexInTile: 3, start: 3, count: 1 });
  assert.deepEqual(tileForNode({ level: 63, index: 0n }), { tileLevel: 7, tileIndex: 0n, levelInTile: 7, indexInTile: 0, start: 0, count: 128 });
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 16 }), fc.nat(), (level, k) => {
      const span = 2 ** level;
      const count = Math.floor(BIG / span);
      if (count === 0) return;
      const index = k % count;
      const loc = tileForNode({ level, index: BigInt(index) });
      const data = naiveTile(REF, loc.tileLevel, Number(loc.tileIndex), tileWidth(BigInt(BIG), loc.tileLevel, loc.tileIndex));
      assert.equal(hex(tileNode(data, loc.levelInTile, loc.indexInTile)), hex(REF.mth(index * span, (index + 1) * span)));
    }),
    { numRuns: 200 },
  );
});

test('tileNode and fullTileHash reject bad shapes', () => {
  const isCode = (code: string) => (e: unknown) => e instanceof MerkleError && e.code === code;
  const t = new Uint8Array(10 * 32);
  assert.throws(() => tileNode(t, 2, 2), isCode('bad-tile')); // needs entries 8..11
  assert.throws(() => tileNode(t.subarray(1), 0, 0), isCode('bad-tile'));
  assert.throws(() => tileNode(t, 9, 0), isCode('invalid-level'));
  assert.throws(() => tileNode(t, 8, 1), isCode('index-out-of-range'));
  assert.throws(() => fullTileHash(t), isCode('bad-tile'));
  assert.throws(() => tileNode(new Uint8Array(257 * 32), 0, 0), isCode('bad-tile'));
});

test('property: newTilesBetween == tiles of the new size not in the old size', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 140000 }), fc.integer({ min: 0, max: 140000 }), (a, b) => {
      const [o, n] = a <= b ? [a, b] : [b, a];
      const old = new Set(pathsOf(allTilesForSize(BigInt(o))));
      const want = pathsOf(allTilesForSize(BigInt(n))).filter((p) => !old.has(p));
      assert.deepEqual(pathsOf(newTilesBetween(BigInt(o), BigInt(n))), want);
      assert.deepEqual(
        newEntryBundlesBetween(BigInt(o), BigInt(n)).map(formatTilePath),
        want.filter((p) => p.startsWith('tile/0/')).map((p) => p.replace('tile/0/', 'tile/entries/')),
      );
    }),
    { numRuns: 150 },
  );
  assert.throws(() => newTilesBetween(2n, 1n), (e: unknown) => e instanceof MerkleError && e.code === 'size-order');
  assert.deepEqual(newTilesBetween(5n, 5n), []);
});

test('tilesForAppend in random batches builds exactly the naive tiles', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 9000 }), { minLength: 1, maxLength: 12 }), (steps) => {
      const store = new Map<string, Uint8Array>();
      let size = 0;
      for (const step of steps) {
        const n = Math.min(BIG, size + step);
        const reads: TileRef[][] = [];
        const built = tilesForAppend(BigInt(size), REF.leaves.slice(size, n), (refs) => {
          reads.push(refs);
          return refs.map((r) => store.get(formatTilePath(r))!);
        }, nodeBackend);
        assert.ok(reads.length <= 1);
        assert.deepEqual(built.map((b) => b.tile), newTilesBetween(BigInt(size), BigInt(n)));
        for (const b of built) store.set(formatTilePath(b.tile), b.data);
        size = n;
      }
      for (const t of allTilesForSize(BigInt(size))) {
        const got = store.get(formatTilePath(t));
        assert.ok(got !== undefined, formatTilePath(t));
        assert.equal(hex(got), hex(naiveTile(REF, t.level, Number(t.index), t.width)), formatTilePath(t));
      }
    }),
    { numRuns: 12 },
  );
});
