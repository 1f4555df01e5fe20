/**
 * A {@link NodeReader} over c2sp.org/tlog-tiles hash tiles, for a tree of a fixed size.
 *
 * Each requested node (ℓ, i) maps to the tile (ℓ div 8, (i·2^(ℓ mod 8)) div 256) at the width
 * that tile has in the tree of `size`; the tiles of one `readNodes` call are fetched in a
 * single `readTiles` call and cached for the reader's lifetime (create one reader per tree
 * size and task; the cache is not bounded).
 *
 * With `root` (a trusted root for `size`, e.g. from a verified checkpoint) every tile is
 * authenticated before use, the way golang.org/x/mod/sumdb/tlog's TileHashReader does it:
 * - the partial tiles of `size` (`tilesForSize(size)`) together hold every right-edge node, so
 *   they are fetched on the first call and must hash to `root` ('tile-root-mismatch');
 * - a full tile must hash to its entry in its parent tile (fetched and checked first, up to a
 *   partial tile, since the top tile of a tree is always partial) ('tile-hash-mismatch').
 *
 * `readTiles` contract: return one byte array per requested TileRef, in order. It may return a
 * longer version of a partial tile (e.g. the full tile, as clients may fetch as a fallback):
 * only the first `width` hashes are used.
 */
import { checkUint64 } from './bits.js';
import { bytesEqual, defaultBackend, HASH_SIZE, checkHash, type HashBackend } from './hash.js';
import { MerkleError } from './errors.js';
import { checkNodeId, type NodeId, type NodeReader } from './nodes.js';
import { rootHash } from './proof.js';
import { TILE_WIDTH, checkTileData, fullTileHash, tileForNode, tileNode, tileWidth, tilesForSize, type TileRef } from './tile.js';

export type ReadTiles = (tiles: TileRef[]) => Uint8Array[];

export interface TileNodeReaderOptions {
  backend?: HashBackend;
  /** Trusted root of the tree of `size`: when given, every tile is verified before use. */
  root?: Uint8Array;
}

function tileKey(level: number, index: bigint): string {
  return `${level}/${index}`;
}

export function tileNodeReader(size: bigint, readTiles: ReadTiles, options: TileNodeReaderOptions = {}): NodeReader {
  checkUint64(size, 'size');
  const backend = options.backend ?? defaultBackend;
  const root = options.root;
  if (root !== undefined) checkHash(root, 'root');
  const cache = new Map<string, Uint8Array>(); // verified (when root is given) tile bytes, trimmed to width
  let rootChecked = root === undefined;

  const refFor = (level: number, index: bigint): TileRef => ({ level, index, width: tileWidth(size, level, index) });

  function fetch(refs: TileRef[]): Map<string, Uint8Array> {
    const got = new Map<string, Uint8Array>();
    if (refs.length === 0) return got;
    const datas = readTiles(refs);
    if (!Array.isArray(datas) || datas.length !== refs.length) {
      throw new MerkleError('bad-reader-result', `readTiles returned ${Array.isArray(datas) ? datas.length : typeof datas} tiles for ${refs.length}`);
    }
    refs.forEach((ref, i) => {
      const data: unknown = datas[i];
      checkTileData(data, ref.width, `tile ${ref.level}/${ref.index} (width ${ref.width})`);
      got.set(tileKey(ref.level, ref.index), data.subarray(0, ref.width * HASH_SIZE));
    });
    return got;
  }

  function load(needed: Map<string, TileRef>): void {
    if (root === undefined) {
      for (const [k, data] of fetch([...needed.values()].filter((r) => !cache.has(tileKey(r.level, r.index))))) cache.set(k, data);
      return;
    }
    // Close the set upwards: every full tile needs its parent, up to a partial or cached tile.
    const want = new Map<string, TileRef>();
    const add = (ref: TileRef): void => {
      for (let r = ref; ; ) {
        const k = tileKey(r.level, r.index);
        if (cache.has(k) || want.has(k)) return;
        want.set(k, r);
        if (r.width < TILE_WIDTH) return;
        r = refFor(r.level + 1, r.index >> 8n);
      }
    };
    if (!rootChecked) for (const t of tilesForSize(size)) add(t);
    for (const ref of needed.values()) add(ref);
    const got = fetch([...want.values()]);
    const view = (k: string): Uint8Array | undefined => cache.get(k) ?? got.get(k);

    if (!rootChecked) {
      const partialReader: NodeReader = { readNodes: (ids) => ids.map((id) => nodeFromTiles(id, view)) };
      if (!bytesEqual(rootHash(size, partialReader, backend), root)) {
        throw new MerkleError('tile-root-mismatch', `the partial tiles of size ${size} do not hash to the trusted root`, { evidence: { size } });
      }
      for (const t of tilesForSize(size)) cache.set(tileKey(t.level, t.index), got.get(tileKey(t.level, t.index)) as Uint8Array);
      rootChecked = true;
    }
    // Verify full tiles top-down, so each parent is trusted before its children.
    const order = [...want.values()].filter((r) => r.width === TILE_WIDTH).sort((a, b) => b.level - a.level);
    for (const ref of order) {
      const k = tileKey(ref.level, ref.index);
      const parent = cache.get(tileKey(ref.level + 1, ref.index >> 8n));
      const data = got.get(k) as Uint8Array;
      if (parent === undefined) throw new MerkleError('bad-tile', `internal error: parent of tile ${k} not verified`);
      const slot = Number(ref.index & 255n) * HASH_SIZE;
      if (!bytesEqual(fullTileHash(data, backend), parent.subarray(slot, slot + HASH_SIZE))) {
        throw new MerkleError('tile-hash-mismatch', `tile ${k} does not hash to its entry in the tile above`, { evidence: { tile: ref } });
      }
      cache.set(k, data);
    }
  }

  function nodeFromTiles(id: NodeId, view: (k: string) => Uint8Array | undefined): Uint8Array {
    const loc = tileForNode(id);
    const data = view(tileKey(loc.tileLevel, loc.tileIndex));
    if (data === undefined) throw new MerkleError('bad-tile', `internal error: tile for node (${id.level}, ${id.index}) not loaded`);
    return tileNode(data, loc.levelInTile, loc.indexInTile, backend);
  }

  return {
    readNodes(ids: readonly NodeId[]): Uint8Array[] {
      const needed = new Map<string, TileRef>();
      for (const id of ids) {
        checkNodeId(id);
        if ((id.index + 1n) << BigInt(id.level) > size) {
          throw new MerkleError('index-out-of-range', `node (${id.level}, ${id.index}) is not complete in a tree of size ${size}`);
        }
        const loc = tileForNode(id);
        const k = tileKey(loc.tileLevel, loc.tileIndex);
        if (!cache.has(k) && !needed.has(k)) needed.set(k, refFor(loc.tileLevel, loc.tileIndex));
      }
      if (needed.size > 0 || !rootChecked) load(needed);
      return ids.map((id) => nodeFromTiles(id, (k) => cache.get(k)));
    },
  };
}

