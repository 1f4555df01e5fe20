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
 *
 * Interior nodes: a node at level r inside a tile is the MTH of 2^r tile hashes, so a proof in a
 * tree of 2^20 computed straight from tiles costs ~500 SHA-256 (profiled: ~1k proofs/s). A
 * {@link FullTileCache} therefore also keeps, per tile, every interior level computed once
 * ({@link ExpandedTile}): for full tiles as long as the tile stays cached, for the (few) partial
 * right-edge tiles in a small map keyed by width. A proof then costs lookups only.
 */
import { formatTilePath, tileForNode, tileNode, type HashBackend, type NodeId, type NodeReader } from '@cairn/merkle';
import { HASH_SIZE, TILE_WIDTH } from './constants.js';
import { LogError } from './errors.js';
import { interiorKey, tileKey } from './storage/keys.js';
import type { LogStorage } from './storage/types.js';

/** A tile's coordinates. */
export interface TileId {
  readonly level: number;
  readonly index: bigint;
}

/** A readable name for a tile, in tlog-tiles path style (`tile/0/273.p/112`, without x-groups). */
export function tileName(level: number, index: bigint, width: number): string {
  return formatTilePath({ level, index, width });
}

const mapKey = (level: number, index: bigint): string => `${level}/${index}`;

/** The hash of node `id` from the bytes of the tile holding it; undefined if the tile is too narrow. */
export function nodeFromTile(tile: Uint8Array, id: NodeId, backend: HashBackend): Uint8Array | undefined {
  const t = tileForNode(id);
  if ((t.start + t.count) * HASH_SIZE > tile.length || tile.length % HASH_SIZE !== 0) return undefined;
  if (t.count === 1) return tile.slice(t.start * HASH_SIZE, (t.start + 1) * HASH_SIZE);
  return tileNode(tile, t.levelInTile, t.indexInTile, backend);
}

/**
 * A tile with all its interior levels: `levels[r]` holds the hashes of the complete subtrees of
 * 2^r tile hashes (level 0 = the tile itself), as many as the width allows.
 */
export class ExpandedTile {
  readonly width: number;
  readonly #levels: Uint8Array[];

  /**
   * A full tile with its stored interior ({@link ExpandedTile.interior}); undefined when the
   * interior does not have the right length (then the caller recomputes it).
   */
  static fromInterior(tile: Uint8Array, interior: Uint8Array): ExpandedTile | undefined {
    if (tile.length !== TILE_WIDTH * HASH_SIZE || interior.length !== (TILE_WIDTH - 1) * HASH_SIZE) return undefined;
    const levels = [tile];
    for (let n = TILE_WIDTH >> 1, off = 0; n > 0; off += n * HASH_SIZE, n >>= 1) levels.push(interior.subarray(off, off + n * HASH_SIZE));
    return new ExpandedTile(levels);
  }

  /** Computes every interior level of `tile` (width − 1 node hashes for a full tile). */
  static compute(tile: Uint8Array, backend: HashBackend): ExpandedTile {
    const width = Math.floor(tile.length / HASH_SIZE);
    const levels = [tile];
    const scratch = new Uint8Array(1 + 2 * HASH_SIZE);
    scratch[0] = 0x01;
    for (let prev = tile, n = width >> 1; n > 0; n >>= 1) {
      const cur = new Uint8Array(n * HASH_SIZE);
      for (let j = 0; j < n; j++) {
        scratch.set(prev.subarray(2 * j * HASH_SIZE, (2 * j + 2) * HASH_SIZE), 1);
        cur.set(backend.sha256(scratch), j * HASH_SIZE);
      }
      levels.push(cur);
      prev = cur;
    }
    return new ExpandedTile(levels);
  }

  private constructor(levels: Uint8Array[]) {
    this.width = Math.floor((levels[0] as Uint8Array).length / HASH_SIZE);
    this.#levels = levels;
  }

  /** Levels 1..8 concatenated (for a full tile: 128 + 64 + … + 1 = 255 hashes), as stored under `I`. */
  interior(): Uint8Array {
    let n = 0;
    for (let r = 1; r < this.#levels.length; r++) n += (this.#levels[r] as Uint8Array).length;
    const out = new Uint8Array(n);
    for (let r = 1, off = 0; r < this.#levels.length; r++) {
      out.set(this.#levels[r] as Uint8Array, off);
      off += (this.#levels[r] as Uint8Array).length;
    }
    return out;
  }

  /** Node `index` of level `r` inside the tile (a copy), or undefined beyond the width. */
  node(r: number, index: number): Uint8Array | undefined {
    const level = this.#levels[r];
    if (level === undefined || (index + 1) * HASH_SIZE > level.length) return undefined;
    return level.slice(index * HASH_SIZE, (index + 1) * HASH_SIZE);
  }
}

/** Partial (right-edge) tiles kept expanded, keyed by level, index and width. */
const PARTIAL_EXPANDED_MAX = 64;

/** A small LRU of immutable full tiles (and their expanded interior levels). */
export class FullTileCache {
  readonly #max: number;
  readonly #map = new Map<string, Uint8Array>();
  readonly #expanded = new WeakMap<Uint8Array, ExpandedTile>();
  readonly #partial = new Map<string, ExpandedTile>();
  /** The latest version of right-edge (partial) tiles, by level/index. */
  readonly #edge = new Map<string, Uint8Array>();

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
    this.#edge.delete(k);
    this.#map.delete(k);
    this.#map.set(k, tile);
    if (this.#map.size > this.#max) this.#map.delete(this.#map.keys().next().value as string);
  }

  /**
   * Records the latest version of a partial (right-edge) tile, as the integrator just wrote it.
   * Any narrower version is a prefix of it, so it serves every signed size up to its width.
   */
  putPartial(level: number, index: bigint, tile: Uint8Array): void {
    if (tile.length >= TILE_WIDTH * HASH_SIZE || tile.length % HASH_SIZE !== 0 || this.#max === 0) return;
    const k = mapKey(level, index);
    const old = this.#edge.get(k);
    if (old !== undefined && old.length >= tile.length) return;
    this.#edge.delete(k);
    this.#edge.set(k, tile);
    if (this.#edge.size > PARTIAL_EXPANDED_MAX) this.#edge.delete(this.#edge.keys().next().value as string);
  }

  /** A cached version of tile (level, index) at least `minBytes` long: full, or the latest partial. */
  getAtLeast(level: number, index: bigint, minBytes: number): Uint8Array | undefined {
    const full = this.get(level, index);
    if (full !== undefined) return full;
    const edge = this.#edge.get(mapKey(level, index));
    return edge !== undefined && edge.length >= minBytes ? edge : undefined;
  }

  /**
   * The expanded form of `tile` (bytes of tile level/index as stored), memoised: full tiles by
   * identity (the cached array is handed out again), partial ones by width (a partial tile of a
   * given width never changes: later versions only append hashes).
   */
  expanded(level: number, index: bigint, tile: Uint8Array, backend: HashBackend, interior?: Uint8Array): ExpandedTile {
    if (tile.length === TILE_WIDTH * HASH_SIZE) {
      let e = this.#expanded.get(tile);
      if (e === undefined) {
        e = (interior !== undefined ? ExpandedTile.fromInterior(tile, interior) : undefined) ?? ExpandedTile.compute(tile, backend);
        if (this.#max > 0) this.#expanded.set(tile, e);
      }
      return e;
    }
    const k = `${level}/${index}/${tile.length}`;
    let e = this.#partial.get(k);
    if (e === undefined) {
      e = ExpandedTile.compute(tile, backend);
      this.#partial.set(k, e);
      if (this.#partial.size > PARTIAL_EXPANDED_MAX) this.#partial.delete(this.#partial.keys().next().value as string);
    }
    return e;
  }
}

/** Tiles fetched for a set of nodes, served synchronously as a NodeReader. */
export class TileSet implements NodeReader {
  readonly #tiles = new Map<string, Uint8Array>();
  readonly #backend: HashBackend;
  #cache: FullTileCache | undefined;

  constructor(backend: HashBackend) {
    this.#backend = backend;
  }

  /** Adds tile bytes (e.g. the overlay of tiles built in this integration step). */
  add(level: number, index: bigint, tile: Uint8Array): void {
    this.#tiles.set(mapKey(level, index), tile);
  }

  /** Loads every tile `ids` need and is not held yet: from the cache, then storage. */
  async fetch(ids: readonly NodeId[], storage: LogStorage, cache?: FullTileCache): Promise<void> {
    if (cache !== undefined) this.#cache = cache;
    // The bytes each tile must have for these nodes.
    const needed = new Map<string, TileId & { bytes: number }>();
    for (const id of ids) {
      const t = tileForNode(id);
      const k = mapKey(t.tileLevel, t.tileIndex);
      const bytes = (t.start + t.count) * HASH_SIZE;
      const n = needed.get(k);
      if (n === undefined) needed.set(k, { level: t.tileLevel, index: t.tileIndex, bytes });
      else if (bytes > n.bytes) n.bytes = bytes;
    }
    const missing = new Map<string, TileId & { interior: boolean }>();
    for (const [k, n] of needed) {
      if (this.#tiles.has(k)) continue;
      const cached = cache?.getAtLeast(n.level, n.index, n.bytes);
      if (cached !== undefined) this.#tiles.set(k, cached);
      // With a cache, a tile that is not the right-edge one also brings its stored interior.
      else missing.set(k, { level: n.level, index: n.index, interior: cache !== undefined && n.bytes > HASH_SIZE });
    }
    if (missing.size === 0) return;
    const list = [...missing.values()];
    const keys = list.map((t) => tileKey(t.level, t.index));
    for (const t of list) if (t.interior) keys.push(interiorKey(t.level, t.index));
    const values = await storage.getMany(keys);
    let j = list.length;
    for (let i = 0; i < list.length; i++) {
      const t = list[i] as TileId & { interior: boolean };
      const v = values[i];
      const interior = t.interior ? values[j++] : undefined;
      if (v === undefined) continue; // reported by readNodes with the node that needs it
      this.#tiles.set(mapKey(t.level, t.index), v);
      cache?.put(t.level, t.index, v);
      if (interior !== undefined && cache !== undefined) cache.expanded(t.level, t.index, v, this.#backend, interior);
    }
  }

  readNodes(ids: readonly NodeId[]): Uint8Array[] {
    return ids.map((id) => {
      const t = tileForNode(id);
      const tile = this.#tiles.get(mapKey(t.tileLevel, t.tileIndex));
      let h: Uint8Array | undefined;
      if (tile !== undefined) {
        h = this.#cache === undefined || t.count === 1 || tile.length % HASH_SIZE !== 0
          ? nodeFromTile(tile, id, this.#backend)
          : this.#cache.expanded(t.tileLevel, t.tileIndex, tile, this.#backend).node(t.levelInTile, t.indexInTile);
      }
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
