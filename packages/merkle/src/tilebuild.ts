/**
 * Building the hash tiles a log writes when it grows from `oldSize` by some new leaves.
 *
 * Level by level: the new entries of level L are appended to the old partial tile of that
 * level (read back through `readTiles`, all in one call), cut into tiles, and every tile that
 * becomes full contributes its hash as a new entry of level L+1. The result is exactly the
 * tiles of `newTilesBetween(oldSize, oldSize + n)`, with their bytes, by level then index.
 */
import { checkUint64 } from './bits.js';
import { HASH_SIZE, checkHash, defaultBackend, type HashBackend } from './hash.js';
import { MerkleError } from './errors.js';
import { TILE_WIDTH, checkTileData, fullTileHash, newTilesBetween, tileLevelCount, type TileRef } from './tile.js';
import type { ReadTiles } from './tilereader.js';

export interface BuiltTile {
  readonly tile: TileRef;
  readonly data: Uint8Array;
}

export function tilesForAppend(
  oldSize: bigint,
  newLeafHashes: readonly Uint8Array[],
  readTiles: ReadTiles,
  backend: HashBackend = defaultBackend,
): BuiltTile[] {
  checkUint64(oldSize, 'old size');
  for (const h of newLeafHashes) checkHash(h, 'leaf hash');
  const newSize = oldSize + BigInt(newLeafHashes.length);
  checkUint64(newSize, 'new size');
  const planned = newTilesBetween(oldSize, newSize);

  // The old partial tiles that grow: the first tile of each changing level, when it had entries.
  const toRead: TileRef[] = [];
  for (let level = 0; ; level++) {
    const oldCount = tileLevelCount(oldSize, level);
    if (tileLevelCount(newSize, level) === oldCount) break;
    const width = Number(oldCount & 255n);
    if (width > 0) toRead.push({ level, index: oldCount >> 8n, width });
  }
  const prefixes = new Map<number, Uint8Array>();
  if (toRead.length > 0) {
    const datas = readTiles(toRead);
    if (!Array.isArray(datas) || datas.length !== toRead.length) {
      throw new MerkleError('bad-reader-result', `readTiles returned the wrong number of tiles for ${toRead.length}`);
    }
    toRead.forEach((ref, i) => {
      const data: unknown = datas[i];
      checkTileData(data, ref.width, `tile ${ref.level}/${ref.index}`);
      prefixes.set(ref.level, data.subarray(0, ref.width * HASH_SIZE));
    });
  }

  const out: BuiltTile[] = [];
  let entries: readonly Uint8Array[] = newLeafHashes;
  let p = 0;
  for (let level = 0; entries.length > 0; level++) {
    const oldCount = tileLevelCount(oldSize, level);
    const next: Uint8Array[] = [];
    let e = 0; // entries consumed at this level
    let index = oldCount >> 8n;
    let filled = Number(oldCount & 255n);
    while (e < entries.length) {
      const width = Math.min(TILE_WIDTH, filled + entries.length - e);
      const data = new Uint8Array(width * HASH_SIZE);
      if (filled > 0) data.set(prefixes.get(level) as Uint8Array, 0);
      for (let i = filled; i < width; i++) data.set(entries[e++] as Uint8Array, i * HASH_SIZE);
      const tile = { level, index, width };
      const expect = planned[p++];
      if (expect === undefined || expect.level !== level || expect.index !== index || expect.width !== width) {
        throw new MerkleError('bad-tile', `internal error: built tile ${level}/${index}.${width} out of plan`);
      }
      out.push({ tile, data });
      if (width === TILE_WIDTH) next.push(fullTileHash(data, backend));
      index++;
      filled = 0;
    }
    entries = next;
  }
  if (p !== planned.length) throw new MerkleError('bad-tile', 'internal error: tile plan not fully built');
  return out;
}

