/**
 * Hash tiles as the log stores them, and a NodeReader over them.
 *
 * tlog-tiles (height 8): tile (L, N) holds the hashes of tree nodes (8L, N·256 + j) for
 * j < width. A tree node (ℓ, i) lives in tile L = ℓ div 8, N = (i·2^r) div 256 with r = ℓ mod 8,
 * and is the MTH of the 2^r tile hashes starting at (i·2^r) mod 256. The store keeps only the
 * latest version of each tile; any narrower (older) version is a prefix of it.
 *
 * Proof generation is synchronous over a NodeReader, while storage is async: {@link TileSet}
 * fetches the tiles that a list of nodes needs (from an overlay of freshly built tiles, a cache
 * of immutable full tiles, then storage), after which its reader answers synchronously.
 */
import { tileForNode, tileNode, type HashBackend, type NodeId, type NodeReader } from '@cairn/merkle';
import { HASH_SIZE, TILE_WIDTH } from './constants.js';
import { LogError } from './errors.js';
import { tileKey } from './storage/keys.js';
import type { LogStorage } from './storage/types.js';

/** A tile's coordinates. */
export interface TileId {
  readonly level: number;
  readonly index: bigint;
}

/** A readable name for a tile, in tlog-tiles path style (`tile/0/273.p/112`, without x-groups). */
export function tileName(level: number, index: bigint, width: number): string {
  return `tile/${level}/${index}${width === TILE_WIDTH ? '' : `.p/${width}`}`;
}

const mapKey = (level: number, index: bigint): string => `${level}/${index}`;

/** The hash of node `id` from the bytes of the tile holding it; undefined if the tile is too narrow. */
export function nodeFromTile(tile: Uint8Array, id: NodeId, backend: HashBackend): Uint8Array | undefined {
  const t = tileForNode(id);
  if ((t.start + t.count) * HASH_SIZE > tile.length || tile.length % HASH_SIZE !== 0) return undefined;
  if (t.count === 1) return tile.slice(t.start * HASH_SIZE, (t.start + 1) * HASH_SIZE);
  return tileNode(tile, t.levelInTile, t.indexInTile, backend);
}

/** A small LRU of immutable full tiles. */
export class FullTileCache {
  readonly #max: number;
  readonly #map = new Map<string, Uint8Array>();
  constructor(max: number) {
    this.#max = max;
  }
  get(level: number, index: bigint): Uint8Array | undefined {
    const k = mapKey(level, index);
    const v = this.#map.get(k);
    if (v !== undefined) {
      this.#map.delete(k);
      this.#map.set(k, v);
    }
    return v;
  }
  put(level: number, index: bigint, tile: Uint8Array): void {
    if (tile.length !== TILE_WIDTH * HASH_SIZE || this.#max === 0) return;
    const k = mapKey(level, index);
    this.#map.delete(k);
    this.#map.set(k, tile);
    if (this.#map.size > this.#max) this.#map.delete(this.#map.keys().next().value as string);
  }
}

/** Tiles fetched for a set of nodes, served synchronously as a NodeReader. */
export class TileSet implements NodeReader {
  readonly #tiles = new Map<string, Uint8Array>();
  readonly #backend: HashBackend;

  constructor(backend: HashBackend) {
    this.#backend = backend;
  }

  /** Adds tile bytes (e.g. the overlay of tiles built in this integration step). */
  add(level: number, index: bigint, tile: Uint8Array): void {
    this.#tiles.set(mapKey(level, index), tile);
  }

  /** Loads every tile `ids` need and is not held yet: from the cache, then storage. */
  async fetch(ids: readonly NodeId[], storage: LogStorage, cache?: FullTileCache): Promise<void> {
    const missing = new Map<string, TileId>();
    for (const id of ids) {
      const t = tileForNode(id);
      const k = mapKey(t.tileLevel, t.tileIndex);
      if (this.#tiles.has(k) || missing.has(k)) continue;
      const cached = cache?.get(t.tileLevel, t.tileIndex);
      if (cached !== undefined) this.#tiles.set(k, cached);
      else missing.set(k, { level: t.tileLevel, index: t.tileIndex });
    }
    if (missing.size === 0) return;
    const list = [...missing.values()];
    const values = await storage.getMany(list.map((t) => tileKey(t.level, t.index)));
    for (let i = 0; i < list.length; i++) {
      const t = list[i] as TileId;
      const v = values[i];
      if (v === undefined) continue; // reported by readNodes with the node that needs it
      this.#tiles.set(mapKey(t.level, t.index), v);
      cache?.put(t.level, t.index, v);
    }
  }

  readNodes(ids: readonly NodeId[]): Uint8Array[] {
    return ids.map((id) => {
      const t = tileForNode(id);
      const tile = this.#tiles.get(mapKey(t.tileLevel, t.tileIndex));
      const h = tile === undefined ? undefined : nodeFromTile(tile, id, this.#backend);
      if (h === undefined) {
        const width = tile === undefined ? 0 : tile.length / HASH_SIZE;
        throw new LogError('integrity', `stored tile ${t.tileLevel}/${t.tileIndex} ${tile === undefined ? 'is missing' : `has width ${width}`}; node (${id.level}, ${id.index}) needs ${t.start + t.count} hashes`, {
          details: { tileLevel: t.tileLevel, tileIndex: t.tileIndex, width, node: id },
        });
      }
      return h;
    });
  }
}
