/**
 * The integrator: folds sequenced entries into hash tiles and entry bundles, checks the new tree
 * extends the last signed one, signs a checkpoint, and persists it all in ONE synced batch.
 *
 * Memory stays flat in the log size: only the right edge is kept — the {@link TreeBuilder}
 * stack (one hash per set bit of the size), the rightmost partial tile of each level (< 256
 * hashes each) and the entries of the partial bundle (< 256). A level-l tile entry is the root
 * of a full level-(l−1) tile, i.e. tree node (8l, i), which the builder reports as it completes;
 * partial tiles therefore never feed upward.
 *
 * One step, for the sequenced entries [size, target):
 *   read entries → leaf hashes → builder (tiles fill) → bundles fill → new root →
 *   consistency proof old→new from the new tiles, verified against the stored old root →
 *   sign → write tiles + bundles + leaf-hash index + checkpoint (one synced batch) → publish.
 * If anything fails after the in-memory edge moved, the edge is reloaded from storage before
 * the next step, so the integrator only ever extends what it durably signed.
 */
import {
  TreeBuilder,
  consistencyProof,
  consistencyProofNodes,
  leafHash,
  verifyConsistency,
  type HashBackend,
} from '@cairn/merkle';
import { formatEntryBundle, type Signer } from '@cairn/formats';
import { HASH_SIZE, MAX_INTEGRATE_STEP_ENTRIES, TILE_HEIGHT, TILE_WIDTH } from './constants.js';
import { LogError } from './errors.js';
import { signCheckpoint, type SignedCheckpoint } from './checkpoint.js';
import { bundleKey, encodeCheckpointRecord, entryKey, getU64, interiorKey, KEY_CHECKPOINT, leafHashKey, tileKey, u64 } from './storage/keys.js';
import type { LogStorage, StorageOp } from './storage/types.js';
import { ExpandedTile, FullTileCache, TileSet } from './tiles.js';
import type { SequencedBuffer } from './handoff.js';
import type { Logger } from './logger.js';

/** Most entry bytes one step reads into memory. */
export const MAX_INTEGRATE_STEP_BYTES = 64 * 1024 * 1024;

/** The in-memory right edge of the tree at the last signed size. */
export interface RightEdge {
  /** The last signed checkpoint (its size is the integrated size). */
  readonly checkpoint: SignedCheckpoint;
  /** TreeBuilder right-edge hashes (`rootNodes(size)`, largest first). */
  readonly builderEdge: readonly Uint8Array[];
  /** Per tile level, the hashes of the rightmost partial tile (empty when the level has none). */
  readonly tiles: readonly (readonly Uint8Array[])[];
  /** Entries of the partial entry bundle. */
  readonly bundle: readonly Uint8Array[];
}

/** Dependencies of an {@link Integrator}. */
export interface IntegratorOptions {
  readonly storage: LogStorage;
  readonly backend: HashBackend;
  readonly signer: Signer;
  readonly origin: string;
  readonly clock: () => number;
  readonly logger: Logger;
  readonly tileCache: FullTileCache;
  /** Reloads the right edge from storage (after a failed step). */
  readonly reload: () => Promise<RightEdge>;
  /** Entries the sequencer just stored, with their leaf hashes (read from storage when absent). */
  readonly handoff?: SequencedBuffer;
}

interface StepContext {
  readonly fullTiles: { level: number; index: bigint; bytes: Uint8Array }[];
  readonly dirty: Set<number>;
}

const concat = (hashes: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(hashes.length * HASH_SIZE);
  for (let i = 0; i < hashes.length; i++) out.set(hashes[i] as Uint8Array, i * HASH_SIZE);
  return out;
};

/** Integrates sequenced entries, one step at a time. Steps must not overlap (the caller serialises). */
export class Integrator {
  readonly #o: IntegratorOptions;
  #checkpoint!: SignedCheckpoint;
  #builder!: TreeBuilder;
  #tiles!: Uint8Array[][];
  #bundle!: Uint8Array[];
  #ctx: StepContext | undefined;
  #stale = false;

  constructor(o: IntegratorOptions, edge: RightEdge) {
    this.#o = o;
    this.#adopt(edge);
  }

  /** The last signed checkpoint; its size is the integrated size. */
  get checkpoint(): SignedCheckpoint {
    return this.#checkpoint;
  }

  #adopt(edge: RightEdge): void {
    this.#checkpoint = edge.checkpoint;
    this.#builder = TreeBuilder.resume(edge.checkpoint.size, edge.builderEdge, {
      backend: this.#o.backend,
      onNode: (level, index, hash) => this.#onNode(level, index, hash),
    });
    this.#tiles = edge.tiles.map((t) => [...t]);
    this.#bundle = [...edge.bundle];
  }

  #onNode(level: number, index: bigint, hash: Uint8Array): void {
    if (level % TILE_HEIGHT !== 0) return;
    const ctx = this.#ctx as StepContext;
    const l = level / TILE_HEIGHT;
    const tile = (this.#tiles[l] ??= []);
    tile.push(hash);
    ctx.dirty.add(l);
    if (tile.length === TILE_WIDTH) {
      ctx.fullTiles.push({ level: l, index: index >> BigInt(TILE_HEIGHT), bytes: concat(tile) });
      this.#tiles[l] = [];
    }
  }

  /**
   * Integrates entries [size, min(target, size + step cap)) and signs a checkpoint for them.
   * Returns the new checkpoint, or undefined when there was nothing to do.
   */
  async step(target: bigint): Promise<SignedCheckpoint | undefined> {
    if (this.#stale) {
      this.#adopt(await this.#o.reload());
      this.#stale = false;
    }
    const old = this.#checkpoint;
    const from = old.size;
    const cap = from + BigInt(MAX_INTEGRATE_STEP_ENTRIES);
    const limit = target < cap ? target : cap;
    if (limit <= from) return undefined;
    const buffered = this.#o.handoff?.slice(from, limit, MAX_INTEGRATE_STEP_BYTES);
    const entries = buffered?.entries ?? (await this.#readEntries(from, limit));
    const to = from + BigInt(entries.length);
    try {
      const cp = await this.#integrate(old, entries, buffered?.hashes, to);
      this.#o.handoff?.dropBelow(to);
      return cp;
    } catch (e) {
      this.#stale = true;
      throw e;
    } finally {
      this.#ctx = undefined;
    }
  }

  async #readEntries(from: bigint, limit: bigint): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    let bytes = 0;
    let expect = from;
    for await (const [k, v] of this.#o.storage.range({ gte: entryKey(from), lt: entryKey(limit) })) {
      const index = getU64(k, 1);
      if (index !== expect) break;
      out.push(v);
      expect++;
      bytes += v.length;
      if (bytes >= MAX_INTEGRATE_STEP_BYTES) break;
    }
    if (out.length === 0 || (expect < limit && bytes < MAX_INTEGRATE_STEP_BYTES)) {
      throw new LogError('integrity', `sequenced entry ${expect} is missing from storage (integrating [${from}, ${limit}))`, {
        details: { missingIndex: expect, from, to: limit },
      });
    }
    return out;
  }

  /** `hashes`, when given, are the leaf hashes of `entries` as the sequencer computed them. */
  async #integrate(old: SignedCheckpoint, entries: readonly Uint8Array[], hashes: readonly Uint8Array[] | undefined, to: bigint): Promise<SignedCheckpoint> {
    const { storage, backend } = this.#o;
    const ctx: StepContext = { fullTiles: [], dirty: new Set() };
    this.#ctx = ctx;
    const ops: StorageOp[] = [];
    let index = old.size;
    for (let k = 0; k < entries.length; k++) {
      const entry = entries[k] as Uint8Array;
      const h = hashes !== undefined ? (hashes[k] as Uint8Array) : leafHash(entry, backend);
      ops.push({ type: 'put', key: leafHashKey(h), value: u64(index) });
      this.#builder.append(h);
      this.#bundle.push(entry);
      if (this.#bundle.length === TILE_WIDTH) {
        const n = index >> BigInt(TILE_HEIGHT);
        ops.push({ type: 'put', key: bundleKey(n), value: formatEntryBundle(this.#bundle) });
        for (let i = n << BigInt(TILE_HEIGHT); i <= index; i++) ops.push({ type: 'del', key: entryKey(i) });
        this.#bundle = [];
      }
      index++;
    }
    // New tile versions: the full tiles completed in this step, then the partial right edge.
    const overlay = new TileSet(backend);
    for (const t of ctx.fullTiles) {
      ops.push({ type: 'put', key: tileKey(t.level, t.index), value: t.bytes });
      // Derived: the tile's interior nodes, so proofs from storage need no hashing (tiles.ts).
      ops.push({ type: 'put', key: interiorKey(t.level, t.index), value: ExpandedTile.compute(t.bytes, backend).interior() });
      overlay.add(t.level, t.index, t.bytes);
    }
    const partials: { level: number; index: bigint; bytes: Uint8Array }[] = [];
    for (const l of ctx.dirty) {
      const hashes = this.#tiles[l] as Uint8Array[];
      if (hashes.length === 0) continue;
      const n = to >> BigInt(TILE_HEIGHT * (l + 1));
      const bytes = concat(hashes);
      ops.push({ type: 'put', key: tileKey(l, n), value: bytes });
      overlay.add(l, n, bytes);
      partials.push({ level: l, index: n, bytes });
    }
    const rootHash = this.#builder.root();
    await this.#checkConsistency(old, to, rootHash, overlay);
    const cp = signCheckpoint(this.#o.origin, to, rootHash, this.#o.signer, this.#o.clock());
    ops.push({ type: 'put', key: KEY_CHECKPOINT, value: encodeCheckpointRecord(cp) });
    await storage.write(ops, { sync: true });
    for (const t of ctx.fullTiles) this.#o.tileCache.put(t.level, t.index, t.bytes);
    for (const t of partials) this.#o.tileCache.putPartial(t.level, t.index, t.bytes);
    this.#checkpoint = cp;
    return cp;
  }

  /** Proves old → new from the new tiles (overlay over storage) and verifies it against the stored old root. */
  async #checkConsistency(old: SignedCheckpoint, to: bigint, rootHash: Uint8Array, overlay: TileSet): Promise<void> {
    if (old.size === 0n) return;
    const { backend, storage } = this.#o;
    try {
      await overlay.fetch(consistencyProofNodes(old.size, to), storage);
      const proof = consistencyProof(old.size, to, overlay, backend);
      verifyConsistency(old.size, to, old.rootHash, rootHash, proof, backend);
    } catch (cause) {
      this.#o.logger.error('refusing to sign: new tree is not consistent with the last signed checkpoint', {
        oldSize: old.size,
        newSize: to,
        error: cause,
      });
      if (cause instanceof LogError) throw cause;
      throw new LogError('integrity', `the tree at size ${to} is not consistent with the signed checkpoint at size ${old.size}: ${(cause as Error).message}`, {
        cause,
        details: { oldSize: old.size, newSize: to, oldRoot: old.rootHash, newRoot: rootHash },
      });
    }
  }
}
