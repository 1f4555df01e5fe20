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
 *
 * The stored interior is derived data and is never served unchecked: an interior read from
 * storage is anchored on the tile's own hash in the tile above (primary data, written in the same
 * batch), and each node is verified top-down before it is used — its pair must hash to its
 * verified parent (one SHA-256 per level, memoised per cached tile, so a proof costs ≤ 8 hashes
 * per tile the first time and lookups afterwards; checking a whole interior would cost 255).
 * The tile's own hashes (level 0) are verified the same way, so an edited old hash tile on a
 * proof's path is caught too. A mismatch is a LogError 'integrity' naming the tile and whether
 * the interior (derived) or the tile itself (or its parent entry) is wrong.
 */
import { bytesEqual, formatTilePath, tileForNode, tileNode, type HashBackend, type NodeId, type NodeReader } from '@cairn/merkle';
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

/** Offset of level r's flags in a full tile's verified-node bitmap (256 + 128 + … + 1 = 511 nodes). */
const LEVEL_OFFSET = [0, 256, 384, 448, 480, 496, 504, 508, 510];
const TOP_LEVEL = 8;

/** How a stored interior is checked: against the tile's entry in the tile above. */
interface InteriorCheck {
  readonly anchor: Uint8Array;
  readonly backend: HashBackend;
  /** The tile's name for messages (`tile/0/5`). */
  readonly name: string;
  readonly parentName: string;
  readonly verified: Uint8Array;
}

/**
 * A tile with all its interior levels: `levels[r]` holds the hashes of the complete subtrees of
 * 2^r tile hashes (level 0 = the tile itself), as many as the width allows.
 */
export class ExpandedTile {
  readonly width: number;
  readonly #levels: Uint8Array[];
  readonly #check: InteriorCheck | undefined;

  /**
   * A full tile with its stored interior ({@link ExpandedTile.interior}); undefined when the
   * interior does not have the right length (then the caller recomputes it). With `check`, every
   * node is verified (top-down from `check.anchor`, the tile's hash in the tile above) before
   * {@link ExpandedTile.node} returns it; a node that does not verify throws LogError 'integrity'.
   */
  static fromInterior(
    tile: Uint8Array,
    interior: Uint8Array,
    check?: { readonly anchor: Uint8Array; readonly backend: HashBackend; readonly name: string; readonly parentName: string },
  ): ExpandedTile | undefined {
    if (tile.length !== TILE_WIDTH * HASH_SIZE || interior.length !== (TILE_WIDTH - 1) * HASH_SIZE) return undefined;
    const levels = [tile];
    for (let n = TILE_WIDTH >> 1, off = 0; n > 0; off += n * HASH_SIZE, n >>= 1) levels.push(interior.subarray(off, off + n * HASH_SIZE));
    return new ExpandedTile(levels, check === undefined ? undefined : { ...check, verified: new Uint8Array(2 * TILE_WIDTH - 1) });
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
    return new ExpandedTile(levels, undefined);
  }

  private constructor(levels: Uint8Array[], check: InteriorCheck | undefined) {
    this.width = Math.floor((levels[0] as Uint8Array).length / HASH_SIZE);
    this.#levels = levels;
    this.#check = check;
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
    if (level === undefined || index < 0 || (index + 1) * HASH_SIZE > level.length) return undefined;
    if (this.#check !== undefined) this.#verify(this.#check, r, index);
    return level.slice(index * HASH_SIZE, (index + 1) * HASH_SIZE);
  }

  #hashAt(r: number, i: number): Uint8Array {
    return (this.#levels[r] as Uint8Array).subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE);
  }

  /** Verifies node (r, i) top-down: the top against the anchor, each pair against its parent. */
  #verify(c: InteriorCheck, r: number, i: number): void {
    if (c.verified[(LEVEL_OFFSET[r] as number) + i] === 1) return;
    if (r === TOP_LEVEL) {
      if (!bytesEqual(this.#hashAt(r, 0), c.anchor)) this.#fail(c);
      c.verified[LEVEL_OFFSET[r] as number] = 1;
      return;
    }
    const p = i >> 1;
    this.#verify(c, r + 1, p);
    const scratch = new Uint8Array(1 + 2 * HASH_SIZE);
    scratch[0] = 0x01;
    scratch.set((this.#levels[r] as Uint8Array).subarray(2 * p * HASH_SIZE, (2 * p + 2) * HASH_SIZE), 1);
    if (!bytesEqual(c.backend.sha256(scratch), this.#hashAt(r + 1, p))) this.#fail(c);
    c.verified[(LEVEL_OFFSET[r] as number) + 2 * p] = 1;
    c.verified[(LEVEL_OFFSET[r] as number) + 2 * p + 1] = 1;
  }

  /** Names what is wrong: the stored interior (derived data) or the tile against the tile above. */
  #fail(c: InteriorCheck): never {
    const top = ExpandedTile.compute(this.#levels[0] as Uint8Array, c.backend).#hashAt(TOP_LEVEL, 0);
    if (bytesEqual(top, c.anchor)) {
      throw new LogError('integrity', `the stored interior of ${c.name} does not match the tile (derived data in the log's storage is corrupt)`, {
        details: { tile: c.name, part: 'interior' },
      });
    }
    throw new LogError('integrity', `stored ${c.name} does not hash to its entry in ${c.parentName} (the log's stored tiles are corrupt)`, {
      details: { tile: c.name, parent: c.parentName, part: 'tile', computed: top, expected: c.anchor },
    });
  }
}

/** A full tile's interior as stored, with the tile's hash in the tile above to check it against. */
export interface StoredInterior {
  readonly interior: Uint8Array;
  readonly anchor: Uint8Array;
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

  /** Whether a full tile (by identity) already has its expanded form memoised. */
  hasExpanded(tile: Uint8Array): boolean {
    return this.#expanded.has(tile);
  }

  /** The memoised expanded form of a full tile (by identity), if any; never computes one. */
  knownExpanded(tile: Uint8Array): ExpandedTile | undefined {
    return this.#expanded.get(tile);
  }

  /**
   * The expanded form of `tile` (bytes of tile level/index as stored), memoised: full tiles by
   * identity (the cached array is handed out again), partial ones by width (a partial tile of a
   * given width never changes: later versions only append hashes).
   */
  expanded(level: number, index: bigint, tile: Uint8Array, backend: HashBackend, stored?: StoredInterior): ExpandedTile {
    if (tile.length === TILE_WIDTH * HASH_SIZE) {
      let e = this.#expanded.get(tile);
      if (e === undefined) {
        const check = stored === undefined ? undefined : {
          anchor: stored.anchor, backend, name: tileName(level, index, TILE_WIDTH), parentName: tileName(level + 1, index >> 8n, Number(index & 255n) + 1),
        };
        e = (stored !== undefined ? ExpandedTile.fromInterior(tile, stored.interior, check) : undefined) ?? ExpandedTile.compute(tile, backend);
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
    // Full tiles cached by another read (a tile GET) without their checked expansion.
    const unexpanded: { t: TileId; tile: Uint8Array }[] = [];
    for (const [k, n] of needed) {
      if (this.#tiles.has(k)) continue;
      const cached = cache?.getAtLeast(n.level, n.index, n.bytes);
      if (cached !== undefined) {
        this.#tiles.set(k, cached);
        if (n.bytes > HASH_SIZE && cached.length === TILE_WIDTH * HASH_SIZE && !cache!.hasExpanded(cached)) unexpanded.push({ t: n, tile: cached });
      }
      // With a cache, a tile that is not the right-edge one also brings its stored interior.
      else missing.set(k, { level: n.level, index: n.index, interior: cache !== undefined && n.bytes > HASH_SIZE });
    }
    if (missing.size === 0 && unexpanded.length === 0) return;
    const list = [...missing.values()];
    const keys = list.map((t) => tileKey(t.level, t.index));
    for (const t of list) if (t.interior) keys.push(interiorKey(t.level, t.index));
    for (const u of unexpanded) keys.push(interiorKey(u.t.level, u.t.index));
    const values = await storage.getMany(keys);
    let j = list.length;
    const toExpand: { t: TileId; tile: Uint8Array; interior: Uint8Array | undefined }[] = [];
    for (let i = 0; i < list.length; i++) {
      const t = list[i] as TileId & { interior: boolean };
      const v = values[i];
      const interior = t.interior ? values[j++] : undefined;
      if (v === undefined) continue; // reported by readNodes with the node that needs it
      this.#tiles.set(mapKey(t.level, t.index), v);
      cache?.put(t.level, t.index, v);
      if (t.interior && v.length === TILE_WIDTH * HASH_SIZE && cache !== undefined && !cache.hasExpanded(v)) toExpand.push({ t, tile: v, interior });
    }
    for (const u of unexpanded) toExpand.push({ ...u, interior: values[j++] });
    if (toExpand.length > 0 && cache !== undefined) await this.#expandStored(toExpand, storage, cache);
  }

  /**
   * Expands full tiles from their stored interiors (or, when none is stored, from their own
   * hashes), each checked against its hash in the tile above (fetched when not held), so that a
   * tile edited in storage cannot yield a proof either. Without that parent entry nothing can be
   * checked: the tile is expanded from its own hashes.
   */
  async #expandStored(items: readonly { t: TileId; tile: Uint8Array; interior: Uint8Array | undefined }[], storage: LogStorage, cache: FullTileCache): Promise<void> {
    const parentOf = (t: TileId): TileId & { bytes: number } => ({ level: t.level + 1, index: t.index >> 8n, bytes: (Number(t.index & 255n) + 1) * HASH_SIZE });
    const parents = new Map<string, Uint8Array | undefined>();
    const toRead: TileId[] = [];
    for (const { t } of items) {
      const p = parentOf(t);
      const k = mapKey(p.level, p.index);
      if (parents.has(k)) continue;
      const held = this.#tiles.get(k);
      const have = held !== undefined && held.length >= p.bytes ? held : cache.getAtLeast(p.level, p.index, p.bytes);
      parents.set(k, have);
      if (have === undefined) toRead.push(p);
    }
    if (toRead.length > 0) {
      const got = await storage.getMany(toRead.map((p) => tileKey(p.level, p.index)));
      toRead.forEach((p, i) => parents.set(mapKey(p.level, p.index), got[i]));
    }
    for (const { t, tile, interior } of items) {
      const p = parentOf(t);
      const parent = parents.get(mapKey(p.level, p.index));
      const anchor = parent !== undefined && parent.length >= p.bytes ? parent.subarray(p.bytes - HASH_SIZE, p.bytes) : undefined;
      // No stored interior (an older store): the tile's own expansion, still checked against the anchor.
      const inner = interior ?? (anchor === undefined ? undefined : ExpandedTile.compute(tile, this.#backend).interior());
      cache.expanded(t.level, t.index, tile, this.#backend, anchor === undefined || inner === undefined ? undefined : { interior: inner, anchor: anchor.slice() });
    }
  }

  readNodes(ids: readonly NodeId[]): Uint8Array[] {
    return ids.map((id) => {
      const t = tileForNode(id);
      const tile = this.#tiles.get(mapKey(t.tileLevel, t.tileIndex));
      let h: Uint8Array | undefined;
      if (tile !== undefined) {
        if (this.#cache === undefined || tile.length % HASH_SIZE !== 0) h = nodeFromTile(tile, id, this.#backend);
        // A tile hash itself: checked through the tile's stored interior when one is in use.
        else if (t.count === 1) h = this.#cache.knownExpanded(tile)?.node(0, t.start) ?? nodeFromTile(tile, id, this.#backend);
        else h = this.#cache.expanded(t.tileLevel, t.tileIndex, tile, this.#backend).node(t.levelInTile, t.indexInTile);
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
