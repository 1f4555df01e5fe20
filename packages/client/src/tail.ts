/**
 * Tailing a tiled log (c2sp.org/tlog-tiles, docs/protocols.md §6): verify every entry bundle and hash
 * tile of a verified checkpoint that was not verified before, in O(log n) memory, resuming from
 * a small {@link LeafFrontier} (the right edge of the tree verified so far).
 *
 * For a move from size V (already verified) to the verified checkpoint of size S it fetches the
 * tiles `newTilesBetween(V, S)` of @cairn/merkle and the entry bundles beside the level-0 ones:
 *
 * 1. every entry of each bundle must hash (SHA-256(0x00 || entry)) to the same entry of the
 *    level-0 tile at the width S implies;
 * 2. the leaf hashes of entries V..S−1 are appended to a `TreeBuilder` resumed from the frontier;
 *    each complete subtree of height 8·L (L ≥ 1) it produces must equal its entry in the level-L
 *    tile (so every new upper-tile entry is checked against hashes we computed ourselves);
 * 3. the builder's root must equal the checkpoint's root hash.
 *
 * A mismatch is a {@link VerifyError} `bad-log-data` whose evidence names the checkpoint note,
 * the index (leaf or tile entry), the size and the tile path: the log serves data that disagrees
 * with what it signed. So is a malformed tile or bundle, or the log answering that its stored
 * copy failed its integrity check (tiles.ts). Frontiers handed to `onProgress` mid-way are *unconfirmed* until the call
 * returns (step 3); keep the last returned one as the confirmed state.
 */
import { bytesEqual, defaultBackend, formatTilePath, HASH_SIZE, leafHash, newTilesBetween, TILE_HEIGHT, TreeBuilder, type HashBackend, type TileRef } from '@cairn/merkle';
import { VerifyError } from './errors.js';
import type { VerifiedCheckpoint } from './checkpoint.js';
import type { CallOptions } from './http.js';
import type { TilesFetcher } from './tiles.js';

/** Entry bundles (with their level-0 tiles) fetched at once. */
export const TAIL_FETCH_CONCURRENCY = 8;

/** How far the leaves of a log were verified: `size` leaves, and the right edge of that tree. */
export interface LeafFrontier {
  readonly size: bigint;
  /** Hashes of the complete subtrees of the tree of `size`, largest first (`TreeBuilder.rightEdge`). */
  readonly rightEdge: readonly Uint8Array[];
}

/** The frontier of the empty tree. */
export const EMPTY_FRONTIER: LeafFrontier = Object.freeze({ size: 0n, rightEdge: Object.freeze([]) as readonly Uint8Array[] });

/** Options of {@link verifyNewLeaves}. */
export interface VerifyNewLeavesOptions extends CallOptions {
  /** Hash backend (e.g. `nodeBackend` of `@cairn/merkle/node` on Node). */
  readonly backend?: HashBackend;
  /** Called after each group of bundles with the leaves verified so far (unconfirmed frontier). */
  readonly onProgress?: (frontier: LeafFrontier, total: bigint) => void | Promise<void>;
  /**
   * Called with each new entry (index ≥ `from.size`), in index order, once its leaf hash matched
   * its level-0 tile — still unconfirmed until the call returns, like the frontiers of
   * `onProgress` (which sees every entry below its frontier's size handed here first).
   */
  readonly onEntry?: (index: bigint, entry: Uint8Array) => void;
}

/** The result of {@link verifyNewLeaves}. */
export interface VerifiedLeaves {
  /** The confirmed frontier: `size` = the checkpoint's size. */
  readonly frontier: LeafFrontier;
  /** Leaves verified by this call. */
  readonly verified: bigint;
  /** Hash tiles checked by this call (level 0 and above). */
  readonly tiles: number;
}

function mismatch(cp: VerifiedCheckpoint, what: string, index: bigint, tile?: string): VerifyError {
  const problem = `${what} disagree with the verified checkpoint of size ${cp.size}`;
  return new VerifyError('bad-log-data', `the log's data is wrong: it serves ${problem}`, {
    note: cp.note, origin: cp.origin, size: cp.size, index, ...(tile !== undefined ? { tile } : {}), problem,
  });
}

/**
 * Fetches and verifies the entries `from.size` .. `checkpoint.size − 1` of the log behind `tiles`
 * (and the hash tiles that hold them) against the verified `checkpoint`; `from` must describe a
 * prefix of that tree (the frontier returned for an earlier checkpoint the caller proved it
 * consistent with). Throws VerifyError (`bad-log-data`, `bad-input`) or FetchError.
 */
export async function verifyNewLeaves(
  tiles: TilesFetcher,
  checkpoint: VerifiedCheckpoint,
  from: LeafFrontier,
  opts: VerifyNewLeavesOptions = {},
): Promise<VerifiedLeaves> {
  const size = checkpoint.size;
  if (typeof from?.size !== 'bigint' || from.size < 0n || from.size > size) {
    throw new VerifyError('bad-input', `cannot verify leaves from ${String(from?.size)} up to a checkpoint of size ${size}`);
  }
  const backend = opts.backend ?? defaultBackend;
  const call = opts.signal !== undefined ? { signal: opts.signal } : {};
  let builder: TreeBuilder;
  // Complete subtrees of height 8L (L ≥ 1) produced by the builder, to check against tile L.
  let pending: { level: number; index: bigint; hash: Uint8Array }[] = [];
  const onNode = (level: number, index: bigint, hash: Uint8Array): void => {
    if (level > 0 && level % TILE_HEIGHT === 0) pending.push({ level: level / TILE_HEIGHT, index, hash });
  };
  try {
    builder = TreeBuilder.resume(from.size, from.rightEdge, { backend, onNode });
  } catch (cause) {
    throw new VerifyError('bad-input', `not a frontier of a tree of size ${from.size}`, {}, { cause });
  }
  const refs = newTilesBetween(from.size, size);
  const level0 = refs.filter((r) => r.level === 0);
  const upper = new Map<number, { ref: TileRef; data: Uint8Array }>(); // the current tile of each level ≥ 1
  let tilesChecked = 0;

  const checkUpper = async (): Promise<void> => {
    for (const n of pending) {
      const index = n.index >> 8n;
      let cur = upper.get(n.level);
      if (cur === undefined || cur.ref.index !== index) {
        const ref = refs.find((r) => r.level === n.level && r.index === index);
        if (ref === undefined) throw mismatch(checkpoint, `tile plan (no level-${n.level} tile ${index})`, n.index);
        cur = { ref, data: await tiles.tile(ref, call) };
        upper.set(n.level, cur);
        tilesChecked++;
      }
      const k = Number(n.index & 255n);
      if (!bytesEqual(cur.data.subarray(k * HASH_SIZE, (k + 1) * HASH_SIZE), n.hash)) {
        throw mismatch(checkpoint, `level-${n.level} tile ${index} (entry ${k})`, n.index, formatTilePath(cur.ref));
      }
    }
    pending = [];
  };

  for (let i = 0; i < level0.length; i += TAIL_FETCH_CONCURRENCY) {
    const group = level0.slice(i, i + TAIL_FETCH_CONCURRENCY);
    const fetched = await Promise.all(group.map((ref) => Promise.all([tiles.entryBundle(ref.index, ref.width, call), tiles.tile(ref, call)])));
    for (let g = 0; g < group.length; g++) {
      const ref = group[g]!;
      const [entries, tile] = fetched[g]!;
      const first = ref.index << 8n;
      for (let k = 0; k < ref.width; k++) {
        const h = leafHash(entries[k]!, backend);
        if (!bytesEqual(h, tile.subarray(k * HASH_SIZE, (k + 1) * HASH_SIZE))) {
          throw mismatch(checkpoint, `entry bundle ${ref.index} or level-0 tile ${ref.index}`, first + BigInt(k), formatTilePath(ref));
        }
        if (first + BigInt(k) >= builder.size) {
          opts.onEntry?.(builder.size, entries[k]!);
          builder.append(h);
        }
      }
      tilesChecked++;
    }
    await checkUpper();
    if (opts.onProgress !== undefined && builder.size < size) await opts.onProgress({ size: builder.size, rightEdge: builder.rightEdge() }, size);
  }
  if (builder.size !== size) throw mismatch(checkpoint, 'tile plan', builder.size);
  if (!bytesEqual(builder.root(), checkpoint.rootHash)) throw mismatch(checkpoint, 'entries and tiles (they do not hash to the signed root)', size);
  return { frontier: { size, rightEdge: builder.rightEdge() }, verified: size - from.size, tiles: tilesChecked };
}
