/**
 * Test-only helpers (not exported from the package): vector loading, hex, and naive
 * recursive references for MTH, PATH and SUBPROOF written straight from RFC 6962 §2.1 on top
 * of node:crypto directly (independent of hash.ts).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NodeId, NodeReader } from './nodes.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const VECTORS_DIR = join(REPO_ROOT, 'test', 'vectors');

export function loadVectors(name: string): any {
  return JSON.parse(readFileSync(join(VECTORS_DIR, name), 'utf8'));
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
export const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));

function sha(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

export const refLeaf = (entry: Uint8Array): Uint8Array => sha(new Uint8Array([0]), entry);
export const refNode = (l: Uint8Array, r: Uint8Array): Uint8Array => sha(new Uint8Array([1]), l, r);

/** Largest power of two strictly below n (n ≥ 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Naive recursive RFC 6962 references over a fixed list of leaf hashes, memoized by range. */
export class Reference {
  readonly #memo = new Map<string, Uint8Array>();
  constructor(readonly leaves: readonly Uint8Array[]) {}

  mth(lo: number, hi: number): Uint8Array {
    const n = hi - lo;
    if (n === 0) return sha();
    if (n === 1) return this.leaves[lo] as Uint8Array;
    const key = `${lo},${hi}`;
    let h = this.#memo.get(key);
    if (h === undefined) {
      const k = split(n);
      h = refNode(this.mth(lo, lo + k), this.mth(lo + k, hi));
      this.#memo.set(key, h);
    }
    return h;
  }

  /** PATH(m, D[lo:hi]). */
  path(m: number, lo: number, hi: number): Uint8Array[] {
    const n = hi - lo;
    if (n === 1) return [];
    const k = split(n);
    if (m < k) return [...this.path(m, lo, lo + k), this.mth(lo + k, hi)];
    return [...this.path(m - k, lo + k, hi), this.mth(lo, lo + k)];
  }

  /** SUBPROOF(m, D[lo:hi], b). */
  subproof(m: number, lo: number, hi: number, b: boolean): Uint8Array[] {
    const n = hi - lo;
    if (m === n) return b ? [] : [this.mth(lo, hi)];
    const k = split(n);
    if (m <= k) return [...this.subproof(m, lo, lo + k, b), this.mth(lo + k, hi)];
    return [...this.subproof(m - k, lo + k, hi, false), this.mth(lo, lo + k)];
  }

  /** A NodeReader serving complete subtrees of these leaves (throws on incomplete ones). */
  reader(size = this.leaves.length, log?: NodeId[][]): NodeReader {
    return {
      readNodes: (ids) => {
        log?.push([...ids]);
        return ids.map(({ level, index }) => {
          const lo = Number(index) * 2 ** level;
          const hi = lo + 2 ** level;
          if (hi > size) throw new Error(`node (${level}, ${index}) is not complete in size ${size}`);
          return this.mth(lo, hi);
        });
      },
    };
  }
}

/** Deterministic leaf hashes of entries "leaf <i>" (i = 0..n-1). */
export function makeLeaves(n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) out.push(refLeaf(new TextEncoder().encode(`leaf ${i}`)));
  return out;
}

/** Naive bytes of tile (level, index, width): entries are naive MTHs of 256^level leaves. */
export function naiveTile(ref: Reference, level: number, index: number, width: number): Uint8Array {
  const span = 256 ** level;
  const out = new Uint8Array(width * 32);
  for (let i = 0; i < width; i++) {
    const lo = (index * 256 + i) * span;
    out.set(ref.mth(lo, lo + span), i * 32);
  }
  return out;
}
