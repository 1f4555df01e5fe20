import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MerkleError } from './errors.js';
import { nodeBackend } from './node.js';
import { allTilesForSize, type TileRef } from './tile.js';
import { tileNodeReader, type ReadTiles } from './tilereader.js';
import { formatTilePath } from './tilepath.js';
import { consistencyProof, inclusionProof, rootHash } from './proof.js';
import { Reference, hex, makeLeaves, naiveTile } from './test-support.js';

const BIG = 70000;
const REF = new Reference(makeLeaves(BIG));
const isCode = (code: string) => (e: unknown) => e instanceof MerkleError && e.code === code;

/** All tiles of a tree of `size`, from the naive reference, keyed by path. */
function tileStore(size: number): Map<string, Uint8Array> {
  const m = new Map<string, Uint8Array>();
  for (const t of allTilesForSize(BigInt(size))) m.set(formatTilePath(t), naiveTile(REF, t.level, Number(t.index), t.width));
  return m;
}

function readerFrom(store: Map<string, Uint8Array>, log?: TileRef[][]): ReadTiles {
  return (refs) => {
    log?.push(refs);
    return refs.map((r) => {
      const d = store.get(formatTilePath(r));
      if (d === undefined) throw new Error(`no tile ${formatTilePath(r)}`);
      return d;
    });
  };
}

const SIZES = [1, 2, 255, 256, 257, 300, 511, 512, 65535, 65536, 65537, BIG];
const STORES = new Map(SIZES.map((s) => [s, tileStore(s)]));

test('tileNodeReader proofs equal direct proofs (plain and verifying)', () => {
  fc.assert(
    fc.property(fc.constantFrom(...SIZES), fc.nat(), fc.nat(), fc.boolean(), (size, a, b, verify) => {
      const store = STORES.get(size)!;
      const root = REF.mth(0, size);
      const log: TileRef[][] = [];
      const opts = verify ? { root, backend: nodeBackend } : { backend: nodeBackend };
      const reader = tileNodeReader(BigInt(size), readerFrom(store, log), opts);
      const direct = REF.reader(size);
      const index = BigInt(a % size);
      assert.deepEqual(inclusionProof(index, BigInt(size), reader).map(hex), inclusionProof(index, BigInt(size), direct).map(hex));
      assert.ok(log.length <= 1, 'one readTiles call per readNodes');
      const m = BigInt(1 + (b % size));
      assert.deepEqual(consistencyProof(m, BigInt(size), reader).map(hex), consistencyProof(m, BigInt(size), direct).map(hex));
      assert.equal(hex(rootHash(BigInt(size), reader)), hex(root));
    }),
    { numRuns: 150 },
  );
});

test('a verifying reader rejects tampered partial and full tiles', () => {
  const size = 65537;
  const root = REF.mth(0, size);
  const tamper = (path: string): Map<string, Uint8Array> => {
    const store = new Map(STORES.get(size)!);
    const d = store.get(path)!.slice();
    d[5]! ^= 1;
    store.set(path, d);
    return store;
  };
  // Partial tiles are checked against the root on first use.
  for (const p of ['tile/0/256.p/1', 'tile/2/000.p/1']) {
    const reader = tileNodeReader(BigInt(size), readerFrom(tamper(p)), { root });
    assert.throws(() => inclusionProof(0n, BigInt(size), reader), isCode('tile-root-mismatch'), p);
  }
  // Full tiles are checked against their parent entry.
  for (const p of ['tile/0/000', 'tile/0/100', 'tile/1/000']) {
    const reader = tileNodeReader(BigInt(size), readerFrom(tamper(p)), { root });
    const leaf = p === 'tile/1/000' ? 0n : BigInt(Number(p.slice(7)) * 256);
    assert.throws(() => inclusionProof(leaf, BigInt(size), reader), isCode('tile-hash-mismatch'), p);
  }
  // Untampered but wrong root.
  const wrong = tileNodeReader(BigInt(size), readerFrom(STORES.get(size)!), { root: REF.mth(0, size - 1) });
  assert.throws(() => rootHash(BigInt(size), wrong), isCode('tile-root-mismatch'));
  // Without a root the tampered tile goes unnoticed (and yields a different proof).
  const plain = tileNodeReader(BigInt(size), readerFrom(tamper('tile/0/000')));
  assert.notDeepEqual(inclusionProof(1n, BigInt(size), plain).map(hex), inclusionProof(1n, BigInt(size), REF.reader(size)).map(hex));
});

test('tile shape errors, longer tiles, and nodes outside the tree', () => {
  const size = 300;
  const store = STORES.get(size)!;
  const short = new Map(store);
  short.set('tile/0/001.p/44', store.get('tile/0/001.p/44')!.subarray(0, 43 * 32));
  assert.throws(() => inclusionProof(299n, 300n, tileNodeReader(300n, readerFrom(short))), isCode('bad-tile'));
  // A full tile served in place of the partial one is accepted (only the prefix is used).
  const longer = new Map(store);
  longer.set('tile/0/001.p/44', naiveTile(REF, 0, 1, 256));
  const root = REF.mth(0, size);
  assert.equal(hex(rootHash(300n, tileNodeReader(300n, readerFrom(longer), { root }))), hex(root));
  const reader = tileNodeReader(300n, readerFrom(store));
  assert.throws(() => reader.readNodes([{ level: 0, index: 300n }]), isCode('index-out-of-range'));
  assert.throws(() => reader.readNodes([{ level: 8, index: 1n }]), isCode('index-out-of-range'));
  assert.throws(() => tileNodeReader(300n, () => [])
    .readNodes([{ level: 0, index: 0n }]), isCode('bad-reader-result'));
});

test('tiles are cached across calls', () => {
  const log: TileRef[][] = [];
  const reader = tileNodeReader(BigInt(BIG), readerFrom(STORES.get(BIG)!, log), { root: REF.mth(0, BIG) });
  inclusionProof(12345n, BigInt(BIG), reader);
  const first = log.flat().length;
  inclusionProof(12346n, BigInt(BIG), reader);
  assert.equal(log.flat().length, first);
});
