/**
 * What a malicious operator does to a STOPPED log's LevelDB directory, through @cairn/log's own
 * storage driver (`openLevelStorage`): rewrite an entry, rewrite a hash tile, truncate the tree.
 *
 * The key layout is packages/log/src/storage/keys.ts (not exported, so it is restated here, as an
 * attacker reading the source would): one ASCII prefix byte, numbers as u64 big-endian.
 *   `M`name (format, origin, vkey, next, checkpoint, cosigned) · `E` u64 index (an entry while its
 *   bundle is partial) · `B` u64 bundle index (a full bundle) · `T` u8 level u64 index (latest
 *   version of a hash tile, W·32 bytes) · `I` u8 level u64 index (interior of a full tile) ·
 *   `H` 32-byte leaf hash (dedupe index → u64 index).
 * Checkpoint record (`Mcheckpoint`, `Mcosigned`): u64 size | 32-byte root | u64 time (ms) | note.
 */
import { formatEntryBundle, parseCheckpointNote, parseEntryBundle, utf8Encode } from '@cairn/formats';
import { openLevelStorage, type StorageOp } from '@cairn/log';

const ENTRIES_PER_BUNDLE = 256n;
const TILE_WIDTH = 256n;
const HASH = 32;

const P = { E: 0x45, B: 0x42, T: 0x54, I: 0x49, H: 0x48, M: 0x4d } as const;

function u64(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v);
  return b;
}
const readU64 = (b: Uint8Array, off: number): bigint => new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(off);
const prefixed = (p: number, n: bigint): Uint8Array => Uint8Array.of(p, ...u64(n));
const metaKey = (name: string): Uint8Array => Uint8Array.of(P.M, ...utf8Encode(name));
export const entryKey = (i: bigint): Uint8Array => prefixed(P.E, i);
export const bundleKey = (n: bigint): Uint8Array => prefixed(P.B, n);
export const tileKey = (level: number, index: bigint): Uint8Array => Uint8Array.of(P.T, level, ...u64(index));
const family = (p: number) => ({ gte: Uint8Array.of(p), lt: Uint8Array.of(p + 1) });

/** Opens a stopped log's store, runs `edit` to collect operations, applies them in one synced batch. */
async function editStore(dir: string, edit: (s: Awaited<ReturnType<typeof openLevelStorage>>) => Promise<StorageOp[]>): Promise<void> {
  const s = await openLevelStorage(dir);
  try {
    const ops = await edit(s);
    await s.write(ops, { sync: true });
  } finally {
    await s.close();
  }
}

/**
 * Replaces entry `index` by `replacement` in the stored data (inside its full bundle, or its `E`
 * key when its bundle is still partial). The hash tiles are left alone, so the tree still hashes
 * to the signed root: this is an operator trying to change what an audit record says.
 * Returns where the entry was ('bundle' or 'entry key').
 */
export async function rewriteEntry(dir: string, index: bigint, replacement: Uint8Array): Promise<'bundle' | 'entry key'> {
  let where: 'bundle' | 'entry key' = 'entry key';
  await editStore(dir, async (s) => {
    const e = await s.get(entryKey(index));
    if (e !== undefined) return [{ type: 'put', key: entryKey(index), value: replacement }];
    const n = index / ENTRIES_PER_BUNDLE;
    const b = await s.get(bundleKey(n));
    if (b === undefined) throw new Error(`entry ${index} is neither an E key nor in bundle ${n}`);
    const entries = parseEntryBundle(b, Number(ENTRIES_PER_BUNDLE));
    entries[Number(index % ENTRIES_PER_BUNDLE)] = replacement;
    where = 'bundle';
    return [{ type: 'put', key: bundleKey(n), value: formatEntryBundle(entries) }];
  });
  return where;
}

/** Flips one bit of hash `hashIndex` in stored tile `level`/`index` (the tile keeps its width). */
export async function flipTileHash(dir: string, level: number, index: bigint, hashIndex: number): Promise<void> {
  await editStore(dir, async (s) => {
    const t = await s.get(tileKey(level, index));
    if (t === undefined) throw new Error(`tile ${level}/${index} is not stored`);
    const v = t.slice();
    v[hashIndex * HASH] = (v[hashIndex * HASH] as number) ^ 0x80;
    return [{ type: 'put', key: tileKey(level, index), value: v }];
  });
}

/**
 * Truncates the stored tree to the size of `note` (a checkpoint the log signed earlier at that
 * size; it may carry cosignatures): entries, bundles, tiles and dedupe keys past it are removed,
 * partial tiles cut to their width, the partial bundle's entries put back as `E` keys, and the
 * checkpoint and cosigned records replaced by `note`. Done carefully enough that the log's own
 * start-up integrity checks cannot tell (only the witnesses can).
 */
export async function truncateTo(dir: string, note: string): Promise<bigint> {
  const { checkpoint } = parseCheckpointNote(note);
  const m = checkpoint.size;
  await editStore(dir, async (s) => {
    const ops: StorageOp[] = [];
    for await (const [k] of s.range(family(P.E))) if (readU64(k, 1) >= m) ops.push({ type: 'del', key: k });
    const partialBundle = m / ENTRIES_PER_BUNDLE;
    for await (const [k, v] of s.range(family(P.B))) {
      const n = readU64(k, 1);
      if (n < partialBundle) continue;
      ops.push({ type: 'del', key: k });
      if (n === partialBundle) {
        const entries = parseEntryBundle(v, Number(ENTRIES_PER_BUNDLE));
        for (let j = 0n; n * ENTRIES_PER_BUNDLE + j < m; j++) ops.push({ type: 'put', key: entryKey(n * ENTRIES_PER_BUNDLE + j), value: entries[Number(j)]! });
      }
    }
    for (const p of [P.T, P.I]) {
      for await (const [k, v] of s.range(family(p))) {
        const level = k[1] as number;
        const index = readU64(k, 2);
        const nodes = m >> (8n * BigInt(level)); // nodes at this tile level's bottom row
        const full = nodes / TILE_WIDTH;
        const width = nodes % TILE_WIDTH;
        if (index < full) continue;
        if (p === P.T && index === full && width > 0n) ops.push({ type: 'put', key: k, value: v.slice(0, Number(width) * HASH) });
        else ops.push({ type: 'del', key: k });
      }
    }
    for await (const [k, v] of s.range(family(P.H))) if (readU64(v, 0) >= m) ops.push({ type: 'del', key: k });
    const noteBytes = utf8Encode(note);
    const record = new Uint8Array(16 + HASH + noteBytes.length);
    record.set(u64(m), 0);
    record.set(checkpoint.rootHash, 8);
    record.set(u64(BigInt(Date.now())), 8 + HASH);
    record.set(noteBytes, 16 + HASH);
    ops.push({ type: 'put', key: metaKey('next'), value: u64(m) });
    ops.push({ type: 'put', key: metaKey('checkpoint'), value: record });
    ops.push({ type: 'put', key: metaKey('cosigned'), value: record });
    return ops;
  });
  return m;
}
