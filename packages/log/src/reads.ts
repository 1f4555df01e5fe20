/**
 * Public reads of a log node: tiles, entry bundles, entries and proofs, all bounded by the
 * latest signed checkpoint (anything beyond it is undefined / LogError 'not-found').
 *
 * - A tile of width W is the first W·32 bytes of the stored (latest) version.
 * - A full bundle is stored as is; a partial bundle of width W is built from the stored entries
 *   (or, if its bundle filled up meanwhile, from the first W entries of the full bundle).
 * - Proofs: the nodes a proof needs are planned with merkle's `*ProofNodes`, their tiles are
 *   fetched in one `getMany` (immutable full tiles come from an LRU), then merkle computes the
 *   proof synchronously over a {@link TileSet}.
 * - An entry of a full bundle is stored only in the bundle (256 entries), so reading one means
 *   parsing the bundle. The last {@link PARSED_BUNDLES} parsed full bundles are kept (a full
 *   bundle never changes), and concurrent reads of one bundle share one parse: an indexer reading
 *   events in order, or a search serving 100 hits, parsed the same 256 entries for each of them.
 *   Each caller gets its own copy of an entry, as before.
 */
import {
  buildProof, consistencyProof, formatTilePath, consistencyProofNodes, inclusionProofPlan, tileWidth, type HashBackend,
} from '@cairn/merkle';
import { formatEntryBundle, parseEntryBundle } from '@cairn/formats';
import { HASH_SIZE, MAX_RANGE, TILE_HEIGHT, TILE_WIDTH } from './constants.js';
import { LogError } from './errors.js';
import { bundleKey, entryKey, getU64, leafHashKey, tileKey } from './storage/keys.js';
import type { LogStorage } from './storage/types.js';
import { FullTileCache, TileSet } from './tiles.js';

const H = BigInt(TILE_HEIGHT);
const MAX_LEVEL = 63;
/** Parsed full entry bundles kept (each ~256 entries: ~256 KB for 1 KB entries). */
export const PARSED_BUNDLES = 8;

/** Reads over one store; `size()` is the latest signed size. */
export class LogReader {
  readonly #storage: LogStorage;
  readonly #backend: HashBackend;
  readonly #cache: FullTileCache;
  readonly #size: () => bigint;
  /** Parsed full bundles by index, least recently used first; a failed parse is not kept. */
  readonly #bundles = new Map<bigint, Promise<Uint8Array[]>>();

  constructor(storage: LogStorage, backend: HashBackend, cache: FullTileCache, size: () => bigint) {
    this.#storage = storage;
    this.#backend = backend;
    this.#cache = cache;
    this.#size = size;
  }

  async readTile(level: number, index: bigint, width: number): Promise<Uint8Array | undefined> {
    checkTileArgs(level, index, width);
    if (width > tileWidth(this.#size(), level, index)) return undefined;
    let tile = width === TILE_WIDTH ? this.#cache.get(level, index) : undefined;
    tile ??= await this.#storage.get(tileKey(level, index));
    if (tile === undefined || tile.length < width * HASH_SIZE) {
      throw new LogError('integrity', `stored tile ${level}/${index} is ${tile === undefined ? 'missing' : `only ${tile.length / HASH_SIZE} wide`}; width ${width} was signed`);
    }
    if (width === TILE_WIDTH) this.#cache.put(level, index, tile);
    return tile.slice(0, width * HASH_SIZE);
  }

  async readEntryBundle(index: bigint, width: number): Promise<Uint8Array | undefined> {
    checkTileArgs(0, index, width);
    if (width > tileWidth(this.#size(), 0, index)) return undefined;
    if (width < TILE_WIDTH) {
      const start = index << H;
      const keys = Array.from({ length: width }, (_, j) => entryKey(start + BigInt(j)));
      const entries = await this.#storage.getMany(keys);
      if (entries.every((e) => e !== undefined)) return formatEntryBundle(entries as Uint8Array[]);
    }
    const full = await this.#storage.get(bundleKey(index));
    if (full === undefined) throw new LogError('integrity', `entry bundle ${index} is missing from storage`);
    // Parsed before it is served, full or cut: a stored bundle that is not 256 well-formed entries
    // is the log's storage being wrong, never something to hand to a client.
    const entries = parseStoredBundle(full, index);
    return width === TILE_WIDTH ? full : formatEntryBundle(entries.slice(0, width));
  }

  async getEntry(index: bigint): Promise<Uint8Array> {
    const [e] = await this.getEntries(index, index + 1n);
    return e as Uint8Array;
  }

  async getEntries(from: bigint, to: bigint): Promise<Uint8Array[]> {
    if (typeof from !== 'bigint' || typeof to !== 'bigint' || from < 0n || to < from) {
      throw new LogError('invalid-argument', `bad entry range [${String(from)}, ${String(to)})`);
    }
    if (to - from > BigInt(MAX_RANGE)) throw new LogError('range-too-large', `at most ${MAX_RANGE} entries per call`);
    const size = this.#size();
    if (to > size) throw new LogError('not-found', `entries up to ${to} requested; the signed tree has ${size}`, { details: { size } });
    const out = await this.#storage.getMany(Array.from({ length: Number(to - from) }, (_, j) => entryKey(from + BigInt(j))));
    const bundles = new Map<bigint, Uint8Array[]>();
    for (let j = 0; j < out.length; j++) {
      if (out[j] !== undefined) continue;
      const i = from + BigInt(j);
      const n = i >> H;
      let b = bundles.get(n);
      if (b === undefined) {
        b = await this.#fullBundle(n, i);
        bundles.set(n, b);
      }
      const e = b[Number(i & 255n)];
      if (e === undefined) throw new LogError('integrity', `entry bundle ${n} is too short for entry ${i}`);
      out[j] = e.slice();
    }
    return out as Uint8Array[];
  }

  /** The parsed full bundle `n` (for entry `i`, named in errors), from the cache or storage. */
  #fullBundle(n: bigint, i: bigint): Promise<Uint8Array[]> {
    let p = this.#bundles.get(n);
    if (p !== undefined) {
      this.#bundles.delete(n); // most recently used goes last
      this.#bundles.set(n, p);
      return p;
    }
    p = (async () => {
      const raw = await this.#storage.get(bundleKey(n));
      if (raw === undefined) throw new LogError('integrity', `entry ${i} is missing from storage (neither entry nor bundle ${n})`);
      return parseStoredBundle(raw, n);
    })();
    this.#bundles.set(n, p);
    if (this.#bundles.size > PARSED_BUNDLES) this.#bundles.delete(this.#bundles.keys().next().value!);
    p.catch(() => {
      if (this.#bundles.get(n) === p) this.#bundles.delete(n);
    });
    return p;
  }

  async inclusionProof(index: bigint, size: bigint): Promise<Uint8Array[]> {
    return (await this.inclusionProofs([index], size))[0] as Uint8Array[];
  }

  /** Inclusion proofs for several indices in one tree size, sharing one tile fetch. */
  async inclusionProofs(indices: readonly bigint[], size: bigint): Promise<Uint8Array[][]> {
    this.#checkSize(size);
    for (const index of indices) {
      if (typeof index !== 'bigint' || index < 0n || index >= size) {
        throw new LogError('not-found', `index ${String(index)} is not in a tree of size ${size}`, { details: { index, size } });
      }
    }
    // Plan once: the same plans name the tiles to fetch and then build the proofs.
    const plans = indices.map((i) => inclusionProofPlan(i, size));
    const tiles = new TileSet(this.#backend);
    await tiles.fetch(plans.flatMap((p) => p.flat()), this.#storage, this.#cache);
    const folds = new Map<string, Uint8Array>(); // right-edge subtrees shared by the batch
    return plans.map((p) => buildProof(p, tiles, this.#backend, folds));
  }

  /** PROOF(m, n); empty for m = 0 (nothing to prove from the empty tree) and for m = n. */
  async consistencyProof(m: bigint, n: bigint): Promise<Uint8Array[]> {
    this.#checkSize(n);
    if (typeof m !== 'bigint' || m < 0n || m > n) throw new LogError('invalid-argument', `bad consistency sizes ${String(m)} → ${n}`);
    if (m === 0n || m === n) return [];
    const tiles = new TileSet(this.#backend);
    await tiles.fetch(consistencyProofNodes(m, n), this.#storage, this.#cache);
    return consistencyProof(m, n, tiles, this.#backend);
  }

  /** The index of an integrated entry with this leaf hash (with duplicates allowed, the latest). */
  async findLeafIndex(leafHash: Uint8Array): Promise<bigint | undefined> {
    if (!(leafHash instanceof Uint8Array) || leafHash.length !== HASH_SIZE) {
      throw new LogError('invalid-argument', 'a leaf hash is 32 bytes');
    }
    const v = await this.#storage.get(leafHashKey(leafHash));
    if (v === undefined || v.length !== 8) return undefined;
    const index = getU64(v, 0);
    return index < this.#size() ? index : undefined;
  }

  #checkSize(size: bigint): void {
    if (typeof size !== 'bigint' || size < 0n) throw new LogError('invalid-argument', `bad tree size ${String(size)}`);
    const latest = this.#size();
    if (size > latest) throw new LogError('not-found', `tree size ${size} is beyond the latest checkpoint (${latest})`, { details: { size, latest } });
  }
}

/** A stored full entry bundle's 256 entries; a malformed one is LogError 'integrity' naming its tile path. */
export function parseStoredBundle(raw: Uint8Array, index: bigint): Uint8Array[] {
  try {
    return parseEntryBundle(raw, TILE_WIDTH);
  } catch (cause) {
    const path = formatTilePath({ entries: true, index, width: TILE_WIDTH });
    const problem = cause instanceof Error ? cause.message : String(cause);
    throw new LogError('integrity', `stored entry bundle ${path} is malformed: ${problem}`, { cause, details: { tile: path, problem } });
  }
}

function checkTileArgs(level: number, index: bigint, width: number): void {
  if (!Number.isInteger(level) || level < 0 || level > MAX_LEVEL) throw new LogError('invalid-argument', `tile level must be 0..${MAX_LEVEL}`);
  if (typeof index !== 'bigint' || index < 0n || index >= 1n << 64n) throw new LogError('invalid-argument', 'tile index must be a uint64 bigint');
  if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH) throw new LogError('invalid-argument', `tile width must be 1..${TILE_WIDTH}`);
}
