import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as merkle from './index.js';
import { leafHash, treeHash, inclusionProof, verifyInclusion, isInclusionValid, type NodeReader } from './index.js';
import { nodeBackend } from './node.js';

test('the index.ts doc example works as written', () => {
  const leaves = ['a', 'b', 'c'].map((s) => leafHash(new TextEncoder().encode(s)));
  const root = treeHash(leaves);
  const reader: NodeReader = {
    readNodes: (ids) =>
      ids.map(({ level, index }) => {
        const start = Number(index) << level;
        return treeHash(leaves.slice(start, start + (1 << level)));
      }),
  };
  const proof = inclusionProof(2n, 3n, reader);
  verifyInclusion(2n, 3n, leaves[2]!, proof, root);
  assert.equal(isInclusionValid(1n, 3n, leaves[2]!, proof, root), false);
  assert.deepEqual(inclusionProof(2n, 3n, reader, nodeBackend), proof);
});

test('the public surface exports the documented names', () => {
  for (const name of [
    'HASH_SIZE', 'EMPTY_ROOT', 'nobleBackend', 'leafHash', 'nodeHash', 'treeHash', 'TreeBuilder',
    'rootNodes', 'inclusionProofNodes', 'consistencyProofNodes', 'inclusionProof', 'consistencyProof', 'rootHash',
    'verifyInclusion', 'verifyConsistency', 'storedHashIndex', 'splitStoredHashIndex', 'storedHashCount',
    'TILE_HEIGHT', 'TILE_WIDTH', 'tileForNode', 'tilesForSize', 'allTilesForSize', 'newTilesBetween', 'tileNode',
    'tileNodeReader', 'tilesForAppend', 'formatTilePath', 'parseTilePath', 'MerkleError', 'ProofError', 'TilePathError',
  ]) {
    assert.ok(name in merkle, name);
  }
  assert.equal(merkle.TILE_HEIGHT, 8);
  assert.equal(merkle.TILE_WIDTH, 256);
  assert.equal(merkle.HASH_SIZE, 32);
  assert.ok(new merkle.ProofError('root-mismatch', 'x') instanceof merkle.MerkleError);
  assert.ok(new merkle.TilePathError('bad-index', 'x') instanceof merkle.MerkleError);
});
