/**
 * Creating a log's store, and the integrity checks run on every open.
 *
 * On creation one atomic synced batch writes the layout version, the origin, the verifier key,
 * the sequenced size 0 and a signed checkpoint for the empty tree, so `/checkpoint` always exists.
 *
 * On open, before anything is signed, the node refuses to start (LogError 'integrity', naming
 * what is wrong) unless:
 * - the stored origin and verifier key equal the configured ones;
 * - the stored checkpoint verifies under the log key, has the log's origin, and matches the
 *   stored (size, root) record;
 * - every tile the checkpoint size requires exists with the right width (full tiles 256
 *   hashes, the rightmost partial tile of each level exactly its width) — a scan of the tile keys;
 * - the rightmost tiles reproduce the stored root, and the last full tile of each level hashes
 *   to its entry in the tile above and matches its stored interior (derived data);
 * - the partial bundle's entries, the last full bundle and every sequenced-but-unintegrated
 *   entry exist.
 * Full tiles further left are not re-hashed on open (that would cost O(size)); each integration
 * step re-checks consistency with the signed checkpoint through them, their stored interiors are
 * checked node by node before a proof uses them (tiles.ts), and a stored bundle is parsed before
 * it is served (reads.ts): damage there answers LogError 'integrity' on the read that meets it.
 */
import { EMPTY_ROOT, TreeBuilder, bytesEqual, fullTileHash, leafHash, rootNodes, tileForNode, tileWidth, type HashBackend } from '@cairn/merkle';
import type { Signer, Verifier } from '@cairn/formats';
import { HASH_SIZE, TILE_HEIGHT, TILE_WIDTH } from './constants.js';
import { LogError } from './errors.js';
import { openStoredCheckpoint, signCheckpoint, type SignedCheckpoint } from './checkpoint.js';
import type { RightEdge } from './integrator.js';
import {
  KEY_CHECKPOINT, KEY_FORMAT, KEY_NEXT, KEY_ORIGIN, KEY_VKEY, LAYOUT_VERSION,
  bundleKey, decodeCheckpointRecord, encodeCheckpointRecord, entryKey, getU64, interiorKey, tileKey, u64,
} from './storage/keys.js';
import type { LogStorage } from './storage/types.js';
import { parseStoredBundle } from './reads.js';
import { ExpandedTile, nodeFromTile, tileName } from './tiles.js';

const utf8 = new TextEncoder();
const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b));
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const H = BigInt(TILE_HEIGHT);

/** Number of tile levels that hold anything in a tree of `size` (0 for the empty tree). */
function tileLevels(size: bigint): number {
  let n = 0;
  while (size >> (H * BigInt(n)) > 0n) n++;
  return n;
}

/** The log's identity, as configured. */
export interface LogIdentity {
  readonly origin: string;
  readonly verifierKey: string;
  readonly verifier: Verifier;
  readonly signer: Signer;
}

/** What open() found in storage. */
export interface OpenedState {
  readonly edge: RightEdge;
  /** The durable sequenced size (≥ the checkpoint size). */
  readonly sequencedSize: bigint;
  readonly created: boolean;
}

/** Opens or creates the store for `id`, running every check in the module comment. */
export async function openState(storage: LogStorage, id: LogIdentity, backend: HashBackend, now: number): Promise<OpenedState> {
  const [format, origin, vkey] = await storage.getMany([KEY_FORMAT, KEY_ORIGIN, KEY_VKEY]);
  if (format === undefined) {
    for await (const _ of storage.range({ gte: new Uint8Array([0]), lt: new Uint8Array([0xff]), limit: 1 })) {
      throw new LogError('integrity', 'the store holds data but no layout version: it is not a Cairn log store (or was damaged)');
    }
    const cp = signCheckpoint(id.origin, 0n, EMPTY_ROOT, id.signer, now);
    await storage.write(
      [
        { type: 'put', key: KEY_FORMAT, value: utf8.encode(LAYOUT_VERSION) },
        { type: 'put', key: KEY_ORIGIN, value: utf8.encode(id.origin) },
        { type: 'put', key: KEY_VKEY, value: utf8.encode(id.verifierKey) },
        { type: 'put', key: KEY_NEXT, value: u64(0n) },
        { type: 'put', key: KEY_CHECKPOINT, value: encodeCheckpointRecord(cp) },
      ],
      { sync: true },
    );
    return { edge: { checkpoint: cp, builderEdge: [], tiles: [], bundle: [] }, sequencedSize: 0n, created: true };
  }
  if (text(format) !== LAYOUT_VERSION) {
    throw new LogError('integrity', `unsupported store layout version ${JSON.stringify(text(format))}; expected ${LAYOUT_VERSION}`);
  }
  if (text(origin) !== id.origin) {
    throw new LogError('integrity', `the store belongs to origin ${JSON.stringify(text(origin))}, but this node is configured for ${JSON.stringify(id.origin)}`, {
      details: { storedOrigin: text(origin), configuredOrigin: id.origin },
    });
  }
  if (text(vkey) !== id.verifierKey) {
    throw new LogError('integrity', `the store was created with log key ${JSON.stringify(text(vkey))}, but this node is configured with ${JSON.stringify(id.verifierKey)}`, {
      details: { storedKey: text(vkey), configuredKey: id.verifierKey },
    });
  }
  const edge = await loadRightEdge(storage, id, backend);
  const nextBytes = await storage.get(KEY_NEXT);
  if (nextBytes === undefined || nextBytes.length !== 8) throw new LogError('integrity', 'the stored sequenced size is missing or malformed');
  const sequencedSize = getU64(nextBytes, 0);
  const size = edge.checkpoint.size;
  if (sequencedSize < size) {
    throw new LogError('integrity', `the stored sequenced size ${sequencedSize} is below the checkpoint size ${size}`);
  }
  await checkEntries(storage, size, sequencedSize);
  return { edge, sequencedSize, created: false };
}

/** Loads and checks the checkpoint and the right edge of the tree. */
export async function loadRightEdge(storage: LogStorage, id: LogIdentity, backend: HashBackend): Promise<RightEdge> {
  const raw = await storage.get(KEY_CHECKPOINT);
  const rec = raw === undefined ? undefined : decodeCheckpointRecord(raw);
  if (rec === undefined) throw new LogError('integrity', 'the stored checkpoint is missing or malformed');
  const signed = openStoredCheckpoint(rec.note, id.verifier, id.origin);
  if (signed.size !== rec.size || !bytesEqual(signed.rootHash, rec.rootHash)) {
    throw new LogError('integrity', `the stored checkpoint note (size ${signed.size}) disagrees with its record (size ${rec.size})`);
  }
  const checkpoint: SignedCheckpoint = { note: rec.note, size: rec.size, rootHash: rec.rootHash, time: rec.time };
  const size = rec.size;
  await checkTilesExist(storage, size);
  // The rightmost tile of each level.
  const levels = tileLevels(size);
  const tiles: Uint8Array[][] = [];
  const raws: (Uint8Array | undefined)[] = [];
  for (let l = 0; l < levels; l++) {
    const w = tileWidth(size, l, size >> (H * BigInt(l + 1)));
    if (w === 0) {
      tiles.push([]);
      raws.push(undefined);
      continue;
    }
    const bytes = (await storage.get(tileKey(l, size >> (H * BigInt(l + 1))))) as Uint8Array; // existence checked above
    raws.push(bytes);
    tiles.push(Array.from({ length: w }, (_, j) => bytes.slice(j * HASH_SIZE, (j + 1) * HASH_SIZE)));
  }
  // The root from the right edge: every node of rootNodes(size) lies in a rightmost tile.
  const builderEdge = rootNodes(size).map((n) => nodeFromTile(raws[tileForNode(n).tileLevel] as Uint8Array, n, backend) as Uint8Array);
  const recomputed = TreeBuilder.resume(size, builderEdge, { backend }).root();
  if (!bytesEqual(recomputed, rec.rootHash)) {
    const names = raws.flatMap((r, l) => (r === undefined ? [] : [tileName(l, size >> (H * BigInt(l + 1)), r.length / HASH_SIZE)]));
    throw new LogError('integrity', `the stored tiles do not reproduce the signed root at size ${size}: stored root ${b64(rec.rootHash)}, recomputed ${b64(recomputed)} from ${names.join(', ')}`, {
      details: { size, storedRoot: rec.rootHash, recomputedRoot: recomputed, tiles: names },
    });
  }
  await checkLastFullTiles(storage, size, raws, backend);
  const bundleStart = (size >> H) << H;
  const bundle = await readEntryRange(storage, bundleStart, size);
  // The entries of the partial bundle must hash to the rightmost level-0 tile (≤ 255 hashes).
  checkEntriesAgainstTile(bundle, tiles[0] ?? [], bundleStart, backend);
  if (bundleStart > 0n) {
    const last = (bundleStart >> H) - 1n;
    const full = await storage.get(bundleKey(last));
    if (full === undefined) throw new LogError('integrity', `entry bundle ${last} is missing (needed for checkpoint size ${size})`);
    // The last full bundle must hash to the last full level-0 tile (256 leaf hashes).
    const tile = (await storage.get(tileKey(0, last))) as Uint8Array;
    const entries = parseStoredBundle(full, last);
    checkEntriesAgainstTile(entries, Array.from({ length: TILE_WIDTH }, (_, j) => tile.subarray(j * HASH_SIZE, (j + 1) * HASH_SIZE)), last << H, backend);
  }
  return { checkpoint, builderEdge, tiles, bundle };
}

/** Each entry's leaf hash equals its hash in the level-0 tile; else names the first that differs. */
function checkEntriesAgainstTile(entries: readonly Uint8Array[], hashes: readonly Uint8Array[], first: bigint, backend: HashBackend): void {
  for (let j = 0; j < entries.length; j++) {
    const want = hashes[j];
    if (want === undefined || !bytesEqual(leafHash(entries[j] as Uint8Array, backend), want)) {
      throw new LogError('integrity', `stored entry ${first + BigInt(j)} does not hash to its leaf in ${tileName(0, first >> H, hashes.length)}`, {
        details: { index: first + BigInt(j) },
      });
    }
  }
}

/** Every tile the size needs exists, with the right width. */
async function checkTilesExist(storage: LogStorage, size: bigint): Promise<void> {
  const levels = tileLevels(size);
  for (let l = 0; l < levels; l++) {
    const full = size >> (H * BigInt(l + 1));
    const partial = tileWidth(size, l, full);
    const end = partial > 0 ? full + 1n : full;
    let expect = 0n;
    for await (const [k, v] of storage.range({ gte: tileKey(l, 0n), lt: tileKey(l, end) })) {
      const index = getU64(k, 2);
      if (index !== expect) break;
      const want = index < full ? TILE_WIDTH : partial;
      if (v.length !== want * HASH_SIZE) {
        throw new LogError('integrity', `stored tile ${tileName(l, index, want)} has ${v.length} bytes; checkpoint size ${size} needs ${want * HASH_SIZE}`, {
          details: { tileLevel: l, tileIndex: index, bytes: v.length, expectedBytes: want * HASH_SIZE },
        });
      }
      expect++;
    }
    if (expect < end) {
      const want = expect < full ? TILE_WIDTH : partial;
      throw new LogError('integrity', `stored tile ${tileName(l, expect, want)} is missing (needed for checkpoint size ${size})`, {
        details: { tileLevel: l, tileIndex: expect, size },
      });
    }
  }
}

/** The last full tile of each level hashes to its entry in the tile above. */
async function checkLastFullTiles(storage: LogStorage, size: bigint, raws: readonly (Uint8Array | undefined)[], backend: HashBackend): Promise<void> {
  for (let l = 0; l + 1 < raws.length; l++) {
    const full = size >> (H * BigInt(l + 1));
    if (full === 0n) continue;
    const last = full - 1n;
    const tile = (await storage.get(tileKey(l, last))) as Uint8Array;
    const parentIndex = last >> H;
    const parent = parentIndex === size >> (H * BigInt(l + 2)) ? raws[l + 1] : await storage.get(tileKey(l + 1, parentIndex));
    const expected = parent === undefined ? undefined : nodeFromTile(parent, { level: TILE_HEIGHT * (l + 1), index: last }, backend);
    const actual = fullTileHash(tile, backend);
    if (expected === undefined || !bytesEqual(actual, expected)) {
      throw new LogError('integrity', `stored tile ${tileName(l, last, TILE_WIDTH)} does not hash to its entry in tile ${l + 1}/${parentIndex}`, {
        details: { tileLevel: l, tileIndex: last, computed: actual, expected },
      });
    }
    // Its stored interior (derived data) must be the tile's own: 255 hashes per level, once.
    const interior = await storage.get(interiorKey(l, last));
    if (interior !== undefined && !bytesEqual(interior, ExpandedTile.compute(tile, backend).interior())) {
      throw new LogError('integrity', `the stored interior of ${tileName(l, last, TILE_WIDTH)} does not match the tile (derived data in the log's storage is corrupt)`, {
        details: { tile: tileName(l, last, TILE_WIDTH), part: 'interior' },
      });
    }
  }
}

/** Reads entries [from, to); all must exist. */
export async function readEntryRange(storage: LogStorage, from: bigint, to: bigint): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  let expect = from;
  if (to <= from) return out;
  for await (const [k, v] of storage.range({ gte: entryKey(from), lt: entryKey(to) })) {
    if (getU64(k, 1) !== expect) break;
    out.push(v);
    expect++;
  }
  if (expect < to) throw new LogError('integrity', `stored entry ${expect} is missing (needed up to ${to})`, { details: { missingIndex: expect } });
  return out;
}

async function checkEntries(storage: LogStorage, size: bigint, sequenced: bigint): Promise<void> {
  let expect = size;
  for await (const [k] of storage.range({ gte: entryKey(size), lt: entryKey(sequenced) })) {
    if (getU64(k, 1) !== expect) break;
    expect++;
  }
  if (expect < sequenced) {
    throw new LogError('integrity', `sequenced entry ${expect} is missing (sequenced size ${sequenced}, integrated ${size})`, {
      details: { missingIndex: expect, sequencedSize: sequenced, size },
    });
  }
}
