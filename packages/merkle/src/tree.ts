/**
 * The Merkle Tree Hash (RFC 6962 §2.1, RFC 9162 §2.1.1): `MTH({}) = SHA-256("")`,
 * `MTH({d}) = leaf hash`, and for n > 1 with k the largest power of two < n,
 * `MTH(D) = node(MTH(D[0:k]), MTH(D[k:n]))`.
 *
 * {@link treeHash} computes it level by level (pair neighbours, carry an odd last hash up
 * unchanged), which yields exactly the left-full RFC tree without recursion.
 * {@link TreeBuilder} computes it incrementally from the right edge.
 */
import { EMPTY_ROOT, checkHash, defaultBackend, nodeHashUnchecked, type HashBackend } from './hash.js';
import { MerkleError } from './errors.js';
import { UINT64_LIMIT, checkUint64, popCount } from './bits.js';

/**
 * MTH over a list of 32-byte leaf hashes (not entries): n − 1 node hashes, O(log n) memory.
 * It folds the leaves left to right keeping the right-edge stack of complete subtrees (as
 * {@link TreeBuilder} does), so intermediate hashes die young: holding n/2 of them for a
 * level-by-level pass made 1M-leaf trees ~2× slower through garbage-collector pressure.
 */
export function treeHash(leafHashes: readonly Uint8Array[], backend: HashBackend = defaultBackend): Uint8Array {
  const n = leafHashes.length;
  if (n === 0) return EMPTY_ROOT.slice();
  for (let i = 0; i < n; i++) checkHash(leafHashes[i], 'leaf hash');
  if (n === 1) return (leafHashes[0] as Uint8Array).slice();
  const stack: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    let h = leafHashes[i] as Uint8Array;
    // Leaf i completes one subtree per trailing 1 bit of i.
    for (let k = i; (k & 1) === 1; k = k >>> 1) h = nodeHashUnchecked(stack.pop() as Uint8Array, h, backend);
    stack.push(h);
  }
  let root = stack[stack.length - 1] as Uint8Array;
  for (let j = stack.length - 2; j >= 0; j--) root = nodeHashUnchecked(stack[j] as Uint8Array, root, backend);
  return root;
}

/** Sizes below this are exact as doubles (2^53), so the append hot path can skip BigInt. */
const SAFE_SIZE = 1n << 53n;
const SAFE_SIZE_NUMBER = 2 ** 53;

/** Callback for every complete-subtree hash a {@link TreeBuilder} produces (level 0 = leaf). */
export type NodeSink = (level: number, index: bigint, hash: Uint8Array) => void;

/**
 * Incremental Merkle Tree Hash over appended leaf hashes, in O(log n) memory: it keeps the
 * hashes of the complete subtrees on the right edge (one per set bit of the size, largest
 * first), exactly the nodes `rootNodes(size)` names.
 *
 * ```ts
 * const b = new TreeBuilder();
 * b.append(leafHash(entry));
 * b.root(); // MTH of everything appended so far
 * ```
 */
export class TreeBuilder {
  readonly #backend: HashBackend;
  readonly #onNode: NodeSink | undefined;
  readonly #stack: Uint8Array[] = [];
  /** The size while it is below 2^53 (exact as a double); -1 once it is not. */
  #small = 0;
  /** The size once it reached 2^53 (uint64 needs BigInt). */
  #big = 0n;

  constructor(options?: { backend?: HashBackend; onNode?: NodeSink }) {
    this.#backend = options?.backend ?? defaultBackend;
    this.#onNode = options?.onNode;
  }

  /**
   * Resumes a builder for a tree of `size` leaves from the hashes of `rootNodes(size)`
   * (largest subtree first), for example read back from storage after a restart.
   */
  static resume(
    size: bigint,
    rightEdge: readonly Uint8Array[],
    options?: { backend?: HashBackend; onNode?: NodeSink },
  ): TreeBuilder {
    checkUint64(size, 'size');
    if (rightEdge.length !== popCount(size)) {
      throw new MerkleError('bad-reader-result', `a tree of size ${size} has ${popCount(size)} right-edge nodes, got ${rightEdge.length}`);
    }
    const b = new TreeBuilder(options);
    for (const h of rightEdge) {
      checkHash(h, 'right-edge hash');
      b.#stack.push(h.slice());
    }
    if (size < SAFE_SIZE) b.#small = Number(size);
    else {
      b.#small = -1;
      b.#big = size;
    }
    return b;
  }

  get size(): bigint {
    return this.#small >= 0 ? BigInt(this.#small) : this.#big;
  }

  /** Appends one 32-byte leaf hash. */
  append(leaf: Uint8Array): void {
    checkHash(leaf, 'leaf hash');
    const small = this.#small;
    if (small < 0 && this.#big + 1n >= UINT64_LIMIT) throw new MerkleError('invalid-size', 'tree is full');
    const sink = this.#onNode;
    const stack = this.#stack;
    let h: Uint8Array = leaf.slice();
    if (sink === undefined && small >= 0) {
      // Hot path (tree building): the index as a double, no BigInt arithmetic per level.
      let index = small;
      while (index % 2 === 1) {
        h = nodeHashUnchecked(stack.pop() as Uint8Array, h, this.#backend);
        index = (index - 1) / 2;
      }
    } else {
      let index = this.size;
      if (sink !== undefined) sink(0, index, h);
      let level = 0;
      while ((index & 1n) === 1n) {
        h = nodeHashUnchecked(stack.pop() as Uint8Array, h, this.#backend);
        index >>= 1n;
        level++;
        if (sink !== undefined) sink(level, index, h);
      }
    }
    stack.push(h);
    if (small >= 0 && small + 1 < SAFE_SIZE_NUMBER) this.#small = small + 1;
    else {
      this.#big = (small >= 0 ? BigInt(small) : this.#big) + 1n;
      this.#small = -1;
    }
  }

  /** Appends many leaf hashes. */
  appendAll(leaves: Iterable<Uint8Array>): void {
    for (const l of leaves) this.append(l);
  }

  /** MTH of the leaves appended so far (EMPTY_ROOT for none). O(log n) hashes. */
  root(): Uint8Array {
    const s = this.#stack;
    if (s.length === 0) return EMPTY_ROOT.slice();
    let h = s[s.length - 1] as Uint8Array;
    for (let i = s.length - 2; i >= 0; i--) h = nodeHashUnchecked(s[i] as Uint8Array, h, this.#backend);
    return h === s[s.length - 1] ? h.slice() : h;
  }

  /** Copies of the right-edge complete-subtree hashes (= the hashes of `rootNodes(size)`). */
  rightEdge(): Uint8Array[] {
    return this.#stack.map((h) => h.slice());
  }
}
