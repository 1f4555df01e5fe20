import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TilePathError } from './errors.js';
import { MAX_TILE_PATH_LENGTH, formatTileIndex, formatTilePath, parseTilePath } from './tilepath.js';
import type { EntryBundleRef, TileRef } from './tile.js';
import { loadVectors } from './test-support.js';

const tiles = loadVectors('tlog_tiles.json');
const isPathError = (code?: string) => (e: unknown) => e instanceof TilePathError && (code === undefined || e.code === code);

test('index encodings from tlog_tiles.json', () => {
  assert.equal(tiles.index_encoding.length, 4);
  for (const v of tiles.index_encoding) {
    assert.equal(formatTileIndex(BigInt(v.n)), v.encoded);
    assert.deepEqual(parseTilePath(`tile/0/${v.encoded}`), { level: 0, index: BigInt(v.n), width: 256 });
  }
  assert.equal(formatTileIndex(0n), '000');
  assert.equal(formatTileIndex(1234n), 'x001/234');
  assert.equal(formatTileIndex((1n << 64n) - 1n), 'x018/x446/x744/x073/x709/x551/615');
});

test('formatting examples', () => {
  assert.equal(formatTilePath({ level: 0, index: 1234n, width: 7 }), 'tile/0/x001/234.p/7');
  assert.equal(formatTilePath({ level: 1, index: 0n, width: 256 }), 'tile/1/000');
  assert.equal(formatTilePath({ entries: true, index: 273n, width: 112 }), 'tile/entries/273.p/112');
  assert.throws(() => formatTilePath({ level: 0, index: 0n, width: 0 }), isPathError('bad-width'));
  assert.throws(() => formatTilePath({ level: 0, index: 0n, width: 257 }), isPathError('bad-width'));
  assert.throws(() => formatTilePath({ level: 64, index: 0n, width: 1 }), isPathError('bad-level'));
  assert.throws(() => formatTilePath({ level: 0, index: -1n, width: 1 }), isPathError('bad-index'));
});

test('the tree-decomposition paths parse and re-format', () => {
  for (const d of tiles.tree_decompositions) {
    for (const p of d.rightmost_paths ?? d.paths) assert.equal(formatTilePath(parseTilePath(p)), p);
  }
});

test('PROTOCOLS §6.3 negative cases and other malformed paths are rejected', () => {
  const bad: [string, string][] = [
    ['tile/0/1', 'bad-index'],
    ['tile/0/x001', 'bad-index'],
    ['tile/0/001/002', 'bad-index'],
    ['tile/0/000.p/0', 'bad-width'],
    ['tile/0/000.p/256', 'bad-width'],
    ['tile/0/000.p/07', 'bad-width'],
    ['tile/64/000', 'bad-level'],
    ['tile/00/000', 'bad-level'],
    ['tile/-1/000', 'bad-level'],
    ['tile/0/x000/001', 'bad-index'],
    ['tile/0/x000/x001/002', 'bad-index'],
    ['tile/entries/x000/000', 'bad-index'],
    ['tile/0/0000', 'bad-index'],
    ['tile/0/00', 'bad-index'],
    ['tile/0/', 'bad-index'],
    ['tile/0', 'bad-index'],
    ['tile/', 'bad-index'],
    ['tile/0/000/', 'bad-index'],
    ['tile/0/X001/000', 'bad-index'],
    ['tile/0/x001//000', 'bad-index'],
    ['tile/0/000.p/', 'bad-width'],
    ['tile/0/000.p/1/', 'bad-width'],
    ['tile/0/000.p/+1', 'bad-width'],
    ['tile/0/000.p/1.p/2', 'bad-width'],
    ['tile/0/000.P/1', 'bad-index'],
    ['tile/0/000p/1', 'bad-index'],
    ['tile/0/00a', 'bad-index'],
    ['tile/0/x018/x446/x744/x073/x709/x551/616', 'bad-index'],
    ['tile/0/x001/x018/x446/x744/x073/x709/x551/615', 'bad-index'],
    ['tile/data/000', 'bad-level'],
    ['tile/ 0/000', 'bad-level'],
    ['tile/0/000 ', 'bad-index'],
    ['tile/0/٠٠٠', 'bad-index'],
    ['/tile/0/000', 'bad-prefix'],
    ['Tile/0/000', 'bad-prefix'],
    ['', 'bad-prefix'],
    ['tile/0/000\n', 'bad-index'],
    ['tile/0/' + '000/'.repeat(20) + '000', 'too-long'],
  ];
  for (const [p, code] of bad) assert.throws(() => parseTilePath(p), isPathError(code), JSON.stringify(p));
  assert.throws(() => parseTilePath(42 as unknown as string), isPathError('not-a-string'));
});

test('Go sumdb tile/<H>/… paths (tlog_tiles.json, contrast only) are all rejected', () => {
  const cases = tiles.go_sumdb_paths_with_height.cases;
  assert.equal(cases.length, 8);
  for (const c of cases) assert.throws(() => parseTilePath(c.path), isPathError(), c.path);
  // Dropping the H element of a valid Go hash-tile path gives the C2SP path of the same tile
  // (partial widths agree; full widths differ: 2^H there, 256 here).
  for (const c of cases) {
    if (c.invalid === true || typeof c.L !== 'number') continue;
    const parsed = parseTilePath(c.path.replace(/^tile\/\d+\//, 'tile/')) as TileRef;
    assert.equal(parsed.level, c.L);
    assert.equal(parsed.index, BigInt(c.N));
    if (c.path.includes('.p/')) assert.equal(parsed.width, c.W);
    else assert.equal(parsed.width, 256);
  }
});

const tileRef: fc.Arbitrary<TileRef | EntryBundleRef> = fc.oneof(
  fc.record({ level: fc.integer({ min: 0, max: 63 }), index: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), width: fc.integer({ min: 1, max: 256 }) }),
  fc.record({ entries: fc.constant(true as const), index: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), width: fc.integer({ min: 1, max: 256 }) }),
  fc.record({ level: fc.integer({ min: 0, max: 63 }), index: fc.bigInt({ min: 0n, max: 5000n }), width: fc.integer({ min: 1, max: 256 }) }),
).map((r) => ({ ...r })); // fc.record objects have a null prototype

test('property: parse(format(ref)) == ref', () => {
  fc.assert(
    fc.property(tileRef, (ref) => {
      const p = formatTilePath(ref);
      assert.ok(p.length <= MAX_TILE_PATH_LENGTH);
      assert.deepEqual(parseTilePath(p), ref);
    }),
    { numRuns: 500 },
  );
});

/** Parses or returns the TilePathError; any other throw fails the test. */
function tryParse(p: string): string | undefined {
  try {
    const ref = parseTilePath(p);
    assert.equal(formatTilePath(ref), p, 'accepted paths are canonical');
    return p;
  } catch (e) {
    assert.ok(e instanceof TilePathError, `${JSON.stringify(p)}: ${String(e)}`);
    return undefined;
  }
}

test('property: random strings only ever throw TilePathError, and accepted ones are canonical', () => {
  const alphabet = fc.constantFrom(...'tile/entries0123456789x.p/-+ 0'.split(''), '/', 'x', '.p/', '000', 'tile/');
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.array(alphabet, { maxLength: 20 }).map((a) => a.join(''))), (s) => {
      tryParse(s);
      tryParse(`tile/${s}`);
      tryParse(`tile/0/${s}`);
    }),
    { numRuns: 1000 },
  );
});

test('property: mutated valid paths only ever throw TilePathError, and accepted ones are canonical', () => {
  const edit = fc.record({ at: fc.nat(), kind: fc.constantFrom('delete', 'insert', 'replace'), ch: fc.constantFrom(...'0123456789x./p-ea'.split('')) });
  fc.assert(
    fc.property(tileRef, fc.array(edit, { minLength: 1, maxLength: 3 }), (ref, edits) => {
      let p = formatTilePath(ref);
      for (const e of edits) {
        const i = e.at % (p.length + 1);
        if (e.kind === 'delete') p = p.slice(0, i) + p.slice(i + 1);
        else if (e.kind === 'insert') p = p.slice(0, i) + e.ch + p.slice(i);
        else p = p.slice(0, i) + e.ch + p.slice(i + 1);
      }
      tryParse(p);
    }),
    { numRuns: 1000 },
  );
});
