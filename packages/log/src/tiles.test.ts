import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { tileNode } from '@cairn/merkle';
import { HASH_SIZE, TILE_WIDTH } from './constants.js';
import { ExpandedTile, FullTileCache, TileSet } from './tiles.js';
import { backend } from './test-helpers.js';
import { memoryStorage } from './storage/memory.js';
import { interiorKey, tileKey } from './storage/keys.js';

const tileOf = (width: number, seed: number): Uint8Array => {
  const t = new Uint8Array(width * HASH_SIZE);
  for (let i = 0; i < t.length; i++) t[i] = (i * 31 + seed * 17) & 0xff;
  return t;
};

test('ExpandedTile answers every complete subtree of a tile exactly as tileNode computes it', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: TILE_WIDTH }), fc.integer({ min: 0, max: 255 }), (width, seed) => {
      const tile = tileOf(width, seed);
      const e = ExpandedTile.compute(tile, backend);
      if (width === TILE_WIDTH) {
        const stored = ExpandedTile.fromInterior(tile, e.interior());
        assert.ok(stored !== undefined);
        for (let r = 0; r <= 8; r++) for (let i = 0; i < TILE_WIDTH >> r; i++) assert.deepEqual(stored.node(r, i), e.node(r, i));
      }
      for (let r = 0; r <= 8; r++) {
        const count = 1 << r;
        for (let i = 0; (i + 1) * count <= TILE_WIDTH; i++) {
          const got = e.node(r, i);
          if ((i + 1) * count <= width) assert.deepEqual(got, tileNode(tile, r, i, backend), `level ${r} node ${i} of width ${width}`);
          else assert.equal(got, undefined, `level ${r} node ${i} is beyond width ${width}`);
        }
      }
    }),
    { numRuns: 40 },
  );
});

test('a TileSet with a cache (and stored interiors) reads the same nodes as one without, and still reports narrow tiles', async () => {
  const storage = memoryStorage();
  const full = tileOf(TILE_WIDTH, 1);
  const partial = tileOf(100, 2);
  await storage.write([
    { type: 'put', key: tileKey(0, 0n), value: full },
    { type: 'put', key: interiorKey(0, 0n), value: ExpandedTile.compute(full, backend).interior() },
    { type: 'put', key: tileKey(0, 1n), value: partial },
  ], { sync: true });
  const ids = [
    { level: 3, index: 5n }, { level: 7, index: 1n }, { level: 0, index: 5n }, { level: 0, index: 300n },
    { level: 2, index: 64n + 24n }, { level: 5, index: 8n + 2n },
  ];
  const cache = new FullTileCache(8);
  for (let round = 0; round < 2; round++) {
    const withCache = new TileSet(backend);
    await withCache.fetch(ids, storage, cache);
    const plain = new TileSet(backend);
    await plain.fetch(ids, storage);
    assert.deepEqual(withCache.readNodes(ids), plain.readNodes(ids));
  }
  const beyond = { level: 6, index: 5n }; // entries [320, 384) of tile 0/1, which is 100 wide
  const ts = new TileSet(backend);
  await ts.fetch([beyond], storage, cache);
  assert.throws(() => ts.readNodes([beyond]), { code: 'integrity' });
});

test('a stored interior is checked against the tile above before a node of it is served: derived and primary damage are told apart', async () => {
  const full = tileOf(TILE_WIDTH, 3);
  const interior = ExpandedTile.compute(full, backend).interior();
  const top = interior.subarray(interior.length - HASH_SIZE); // the tile's hash
  const parent = new Uint8Array(HASH_SIZE * 2);
  parent.set(tileOf(1, 9), 0);
  parent.set(top, HASH_SIZE); // tile 0/1 is entry 1 of tile 1/0
  const ids = [{ level: 3, index: 8n * 4n + 5n }, { level: 0, index: 256n + 77n }, { level: 1, index: 128n + 9n }];
  const setUp = async (tile: Uint8Array, inner: Uint8Array | undefined, cache = new FullTileCache(8)) => {
    const storage = memoryStorage();
    await storage.write([
      { type: 'put', key: tileKey(0, 1n), value: tile },
      ...(inner !== undefined ? [{ type: 'put' as const, key: interiorKey(0, 1n), value: inner }] : []),
      { type: 'put', key: tileKey(1, 0n), value: parent },
    ], { sync: true });
    const ts = new TileSet(backend);
    await ts.fetch(ids, storage, cache);
    return ts;
  };
  const plain = new TileSet(backend);
  const pristine = memoryStorage();
  await pristine.write([{ type: 'put', key: tileKey(0, 1n), value: full }], { sync: true });
  await plain.fetch(ids, pristine);
  assert.deepEqual((await setUp(full, interior)).readNodes(ids), plain.readNodes(ids));

  // One byte of the stored interior edited (a level-3 node on the first id's path).
  const edited = interior.slice();
  edited[(128 + 64 + 5) * HASH_SIZE]! ^= 1; // level 3 starts after levels 1 and 2
  const bad = await setUp(full, edited);
  assert.throws(() => bad.readNodes([ids[0]!]), (e: Error & { code?: string; details?: Record<string, unknown> }) =>
    e.code === 'integrity' && e.details?.['part'] === 'interior' && /interior of tile\/0\/001 /.test(e.message));
  // Nodes whose path does not cross the edited one are still served, and correctly.
  assert.deepEqual(bad.readNodes([ids[1]!]), plain.readNodes([ids[1]!]));

  // A hash of the tile itself edited (primary data), interior left alone.
  const tile = full.slice();
  tile[77 * HASH_SIZE]! ^= 0x80;
  const badTile = await setUp(tile, interior);
  assert.throws(() => badTile.readNodes([{ level: 0, index: 256n + 76n }]), (e: Error & { code?: string; details?: Record<string, unknown> }) =>
    e.code === 'integrity' && e.details?.['part'] === 'tile' && /tile\/0\/001 does not hash to its entry in tile\/1\/000\.p\/2/.test(e.message));
  // The same, when the tile entered the cache through a plain tile read first, and when no
  // interior is stored at all: the tile is still checked against the tile above.
  const warm = new FullTileCache(8);
  warm.put(0, 1n, tile);
  const viaCache = await setUp(tile, interior, warm);
  assert.throws(() => viaCache.readNodes([{ level: 0, index: 256n + 76n }]), { code: 'integrity' });
  const noInterior = await setUp(tile, undefined);
  assert.throws(() => noInterior.readNodes([ids[0]!]), (e: Error & { details?: Record<string, unknown> }) => e.details?.['part'] === 'tile');
});
