/**
 * Tile math for c2sp.org/tlog-tiles (height 8): which tiles a tree has, which tile holds a
 * node, and hashing inside a tile.
 *
 * A level-L hash tile N holds up to 256 hashes; entry i is the complete-subtree node
 * (8L, 256N + i), i.e. MTH(D[(256N+i)·256^L, (256N+i+1)·256^L)). So a full level-0 tile is
 * 256 leaf hashes (8192 bytes, no framing) and entry i of a level-1 tile is the MTH of full
 * level-0 tile 256N+i. For a tree of size s, level L has floor(s / 256^L) entries; the
 * rightmost tile of a level is partial with `floor(s / 256^L) mod 256` entries (and absent when
 * that is 0). Partial tiles are never hashed into the level above. Example (spec): s = 70000 →
 * 273 full level-0 tiles + `tile/0/273.p/112`, one full level-1 tile + `tile/1/001.p/17`, and
 * `tile/2/000.p/1`.
 *
 * Entry bundles (`tile/entries/N[.p/W]`) share the index space of level-0 tiles: entry k of
 * bundle N hashes to entry k of level-0 tile N.
 */
import { checkUint64 } from './bits.js';
import { HASH_SIZE, defaultBackend, type HashBackend } from './hash.js';
import { MerkleError } from './errors.js';
import { checkNodeId, type NodeId } from './nodes.js';
import { treeHash } from './tree.js';

export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;
/** Bytes in a full hash tile: 256 × 32. */
export const FULL_TILE_BYTES = TILE_WIDTH * HASH_SIZE;

/** A hash tile: level L, index N, and width W (1..256; 256 = full, else `.p/W`). */
export interface TileRef {
  readonly level: number;
  readonly index: bigint;
  readonly width: number;
}

/** An entry bundle (`tile/entries/N[.p/W]`), aligned with level-0 tile N. */
export interface EntryBundleRef {
  readonly entries: true;
  readonly index: bigint;
  readonly width: number;
}

export function isEntryBundleRef(ref: TileRef | EntryBundleRef): ref is EntryBundleRef {
  return 'entries' in ref && ref.entries === true;
}

/** Where a complete node lives inside the tile that holds it. */
export interface TileNodeLocation {
  /** The tile (without width: the width depends on the tree size). */
  readonly tileLevel: number;
  readonly tileIndex: bigint;
  /** Level of the node inside the tile (0..7) and its index among that level's nodes. */
  readonly levelInTile: number;
  readonly indexInTile: number;
  /** The node is the MTH of tile entries [start, start + count). */
  readonly start: number;
  readonly count: number;
}

/**
 * The tile holding node (ℓ, i): L = ℓ div 8, r = ℓ mod 8, N = (i·2^r) div 256, entries
 * [(i·2^r) mod 256, … + 2^r).
 */
export function tileForNode(id: NodeId): TileNodeLocation {
  checkNodeId(id);
  const tileLevel = id.level >> 3;
  const r = id.level & 7;
  const first = id.index << BigInt(r);
  const start = Number(first & 255n);
  return { tileLevel, tileIndex: first >> 8n, levelInTile: r, indexInTile: start >> r, start, count: 1 << r };
}

/** Number of entries at tile level L in a tree of `size`: floor(size / 256^L). */
export function tileLevelCount(size: bigint, level: number): bigint {
  return size >> BigInt(TILE_HEIGHT * level);
}

/** Width of tile (L, N) in a tree of `size`: 256 if full, 1..255 if partial, 0 if absent. */
export function tileWidth(size: bigint, level: number, index: bigint): number {
  checkUint64(size, 'size');
  const rest = tileLevelCount(size, level) - (index << 8n);
  if (rest <= 0n) return 0;
  return rest >= 256n ? TILE_WIDTH : Number(rest);
}

/** The partial (rightmost, width < 256) tiles of a tree of `size`, by increasing level. */
export function tilesForSize(size: bigint): TileRef[] {
  checkUint64(size, 'size');
  const out: TileRef[] = [];
  for (let level = 0; ; level++) {
    const count = tileLevelCount(size, level);
    if (count === 0n) break;
    const width = Number(count & 255n);
    if (width > 0) out.push({ level, index: count >> 8n, width });
  }
  return out;
}

/** Every tile (full and partial) of a tree of `size`, by level then index. */
export function* allTilesForSize(size: bigint): Generator<TileRef> {
  checkUint64(size, 'size');
  for (let level = 0; ; level++) {
    const count = tileLevelCount(size, level);
    if (count === 0n) return;
    for (let index = 0n; index << 8n < count; index++) {
      const rest = count - (index << 8n);
      yield { level, index, width: rest >= 256n ? TILE_WIDTH : Number(rest) };
    }
  }
}

/**
 * Tiles of the tree of `newSize` that the tree of `oldSize` does not have (new tiles, and
 * wider versions of old partial tiles), by level then index: what a log writes when it grows.
 */
export function newTilesBetween(oldSize: bigint, newSize: bigint): TileRef[] {
  checkUint64(oldSize, 'old size');
  checkUint64(newSize, 'new size');
  if (oldSize > newSize) throw new MerkleError('size-order', `old size ${oldSize} > new size ${newSize}`);
  const out: TileRef[] = [];
  for (let level = 0; ; level++) {
    const oldCount = tileLevelCount(oldSize, level);
    const newCount = tileLevelCount(newSize, level);
    if (newCount === oldCount) break; // higher levels cannot change either
    for (let index = oldCount >> 8n; index << 8n < newCount; index++) {
      const rest = newCount - (index << 8n);
      out.push({ level, index, width: rest >= 256n ? TILE_WIDTH : Number(rest) });
    }
  }
  return out;
}

/** Entry bundles of `newSize` that `oldSize` lacks (the level-0 tiles of newTilesBetween). */
export function newEntryBundlesBetween(oldSize: bigint, newSize: bigint): EntryBundleRef[] {
  return newTilesBetween(oldSize, newSize)
    .filter((t) => t.level === 0)
    .map((t) => ({ entries: true, index: t.index, width: t.width }));
}

/** Checks that `data` has whole 32-byte entries, at least `entries` of them, at most 256. */
export function checkTileData(data: unknown, entries: number, what = 'tile'): asserts data is Uint8Array {
  if (!(data instanceof Uint8Array) || data.length % HASH_SIZE !== 0 || data.length > FULL_TILE_BYTES || data.length < entries * HASH_SIZE) {
    const got = data instanceof Uint8Array ? `${data.length} bytes` : typeof data;
    throw new MerkleError('bad-tile', `${what} must hold at least ${entries} whole hashes (≤ ${TILE_WIDTH}), got ${got}`);
  }
}

/**
 * The hash of the node at `levelInTile` (0..8), index `indexInTile` of that level, computed
 * from the tile's entries [indexInTile·2^level, (indexInTile+1)·2^level). Level 8 index 0 is
 * the hash of a full tile (its entry in the tile above).
 */
export function tileNode(tileData: Uint8Array, levelInTile: number, indexInTile: number, backend: HashBackend = defaultBackend): Uint8Array {
  if (!Number.isInteger(levelInTile) || levelInTile < 0 || levelInTile > TILE_HEIGHT) {
    throw new MerkleError('invalid-level', `level inside a tile must be 0..${TILE_HEIGHT}, got ${String(levelInTile)}`);
  }
  const count = 1 << levelInTile;
  if (!Number.isInteger(indexInTile) || indexInTile < 0 || (indexInTile + 1) * count > TILE_WIDTH) {
    throw new MerkleError('index-out-of-range', `no node ${String(indexInTile)} at level ${levelInTile} of a tile`);
  }
  const start = indexInTile * count;
  checkTileData(tileData, start + count);
  const hashes: Uint8Array[] = new Array<Uint8Array>(count);
  for (let i = 0; i < count; i++) hashes[i] = tileData.subarray((start + i) * HASH_SIZE, (start + i + 1) * HASH_SIZE);
  return treeHash(hashes, backend);
}

/** The hash of a full tile (its entry in the tile one level up). */
export function fullTileHash(tileData: Uint8Array, backend: HashBackend = defaultBackend): Uint8Array {
  checkTileData(tileData, TILE_WIDTH, 'full tile');
  return tileNode(tileData, TILE_HEIGHT, 0, backend);
}
