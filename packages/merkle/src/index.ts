/**
 * @cairn/merkle — RFC 6962 / RFC 9162 Merkle trees and c2sp.org/tlog-tiles tile math.
 * Pure and synchronous: `Uint8Array` in and out, sizes and indices `bigint` (uint64).
 *
 * - hashing: `leafHash`, `nodeHash`, `EMPTY_ROOT`, pluggable SHA-256 (`HashBackend`;
 *   `nodeBackend` from `@cairn/merkle/node` is faster on Node);
 * - tree hash: `treeHash` (whole list), `TreeBuilder` (incremental, O(log n) memory);
 * - proofs over complete-subtree nodes: plan (`inclusionProofNodes`, `consistencyProofNodes`,
 *   `rootNodes`) then generate (`inclusionProof`, `consistencyProof`, `rootHash`) from a
 *   `NodeReader`; verify with `verifyInclusion` / `verifyConsistency` (throw `ProofError`);
 * - tiles: `tileForNode`, `tilesForSize`, `newTilesBetween`, `tileNode`, `tileNodeReader`,
 *   `tilesForAppend`, and strict `parseTilePath` / `formatTilePath`;
 * - Go sumdb stored-hash indexing: `storedHashIndex`, `splitStoredHashIndex`, `storedHashCount`;
 * - subtrees [start, end) (draft-ietf-plants-merkle-tree-certs §4, for sign-subtree/tlog-mirror):
 *   `isValidSubtree`, `subtreeInclusionProof`/`verifySubtreeInclusion`,
 *   `subtreeConsistencyProof`/`verifySubtreeConsistency`; `consistencyRoots` for evidence.
 *
 * @example
 * ```ts
 * import { leafHash, treeHash, inclusionProof, verifyInclusion, type NodeReader } from '@cairn/merkle';
 *
 * const leaves = ['a', 'b', 'c'].map((s) => leafHash(new TextEncoder().encode(s)));
 * const root = treeHash(leaves);
 * // A reader of complete-subtree hashes; here computed from the leaf list.
 * const reader: NodeReader = {
 *   readNodes: (ids) =>
 *     ids.map(({ level, index }) => {
 *       const start = Number(index) << level;
 *       return treeHash(leaves.slice(start, start + (1 << level)));
 *     }),
 * };
 * const proof = inclusionProof(2n, 3n, reader);
 * verifyInclusion(2n, 3n, leaves[2]!, proof, root); // throws ProofError if invalid
 * ```
 */
export { MerkleError, ProofError, TilePathError } from './errors.js';
export type { MerkleErrorCode, ProofErrorCode, TilePathErrorCode } from './errors.js';
export {
  HASH_SIZE,
  LEAF_PREFIX,
  NODE_PREFIX,
  EMPTY_ROOT,
  nobleBackend,
  defaultBackend,
  leafHash,
  nodeHash,
  bytesEqual,
} from './hash.js';
export type { HashBackend } from './hash.js';
export { treeHash, TreeBuilder } from './tree.js';
export type { NodeSink } from './tree.js';
export { nodeKey, rangeNodes, rootNodes } from './nodes.js';
export type { NodeId, NodeReader } from './nodes.js';
export {
  inclusionProofPlan,
  consistencyProofPlan,
  inclusionProofNodes,
  consistencyProofNodes,
  buildProof,
  inclusionProof,
  consistencyProof,
  rootHash,
} from './proof.js';
export type { ProofPlan } from './proof.js';
export { verifyInclusion, verifyConsistency, isInclusionValid, isConsistencyValid, rootFromInclusionProof } from './verify.js';
export { consistencyRoots } from './consistency-roots.js';
export type { ConsistencyRoots } from './consistency-roots.js';
export {
  isValidSubtree,
  subtreeHash,
  subtreeInclusionProofPlan,
  subtreeConsistencyProofPlan,
  subtreeInclusionProof,
  subtreeConsistencyProof,
  verifySubtreeInclusion,
  verifySubtreeConsistency,
  isSubtreeInclusionValid,
  isSubtreeConsistencyValid,
} from './subtree.js';
export { storedHashIndex, splitStoredHashIndex, storedHashCount } from './stored.js';
export {
  TILE_HEIGHT,
  TILE_WIDTH,
  FULL_TILE_BYTES,
  isEntryBundleRef,
  tileForNode,
  tileLevelCount,
  tileWidth,
  tilesForSize,
  allTilesForSize,
  newTilesBetween,
  newEntryBundlesBetween,
  tileNode,
  fullTileHash,
} from './tile.js';
export type { TileRef, EntryBundleRef, TileNodeLocation } from './tile.js';
export { tileNodeReader } from './tilereader.js';
export type { ReadTiles, TileNodeReaderOptions } from './tilereader.js';
export { tilesForAppend } from './tilebuild.js';
export type { BuiltTile } from './tilebuild.js';
export { MAX_TILE_PATH_LENGTH, MAX_TILE_LEVEL, formatTileIndex, formatTilePath, parseTilePath } from './tilepath.js';
