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
  #size = 0n;

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
    b.#size = size;
    return b;
  }

  get size(): bigint {
    return this.#size;
  }

  /** Appends one 32-byte leaf hash. */
  append(leaf: Uint8Array): void {
    checkHash(leaf, 'leaf hash');
    if (this.#size + 1n >= UINT64_LIMIT) throw new MerkleError('invalid-size', 'tree is full');
    let h: Uint8Array = leaf.slice();
    let index = this.#size;
    const sink = this.#onNode;
    if (sink !== undefined) sink(0, index, h);
    let level = 0;
    while ((index & 1n) === 1n) {
      h = nodeHashUnchecked(this.#stack.pop() as Uint8Array, h, this.#backend);
      index >>= 1n;
      level++;
      if (sink !== undefined) sink(level, index, h);
    }
    this.#stack.push(h);
    this.#size++;
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
