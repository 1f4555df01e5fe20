/**
 * Test helpers (exported as `@cairn/witness/testing`; never used by production code): a tiny
 * in-memory log with a fixed-seed key that signs checkpoints and builds add-checkpoint bodies
 * with real RFC 6962 consistency proofs, and a fake clock.
 */
import {
  formatAddCheckpointRequest,
  formatCheckpoint,
  generateSignerKey,
  parseSignerKey,
  signNote,
  verifierKeyFromSigner,
  type KeyedSigner,
} from '@cairn/formats';
import { consistencyProof, leafHash, treeHash, type NodeReader } from '@cairn/merkle';

/** A deterministic 32-byte seed from a small number. */
export function testSeed(n: number): Uint8Array {
  const s = new Uint8Array(32);
  s.fill(n & 0xff);
  s[0] = 0x5a;
  return s;
}

/** A log of `entry <i>` leaves whose checkpoints are signed by a fixed-seed key. */
export class TestLog {
  readonly origin: string;
  readonly skey: string;
  readonly vkey: string;
  readonly signer: KeyedSigner;
  readonly #leaves: Uint8Array[] = [];

  constructor(origin = 'example.com/test-log', seed = 1) {
    this.origin = origin;
    this.skey = generateSignerKey(origin, testSeed(seed));
    this.vkey = verifierKeyFromSigner(this.skey);
    this.signer = parseSignerKey(this.skey);
  }

  #grow(size: bigint): void {
    while (BigInt(this.#leaves.length) < size) this.#leaves.push(leafHash(new TextEncoder().encode(`entry ${this.#leaves.length}`)));
  }

  /** The root of the first `size` leaves. */
  root(size: bigint): Uint8Array {
    this.#grow(size);
    return treeHash(this.#leaves.slice(0, Number(size)));
  }

  /** The checkpoint text of `size` (optionally with another root or extension lines). */
  text(size: bigint, opts: { rootHash?: Uint8Array; extensions?: string[] } = {}): string {
    return formatCheckpoint({ origin: this.origin, size, rootHash: opts.rootHash ?? this.root(size), extensions: opts.extensions ?? [] });
  }

  /** The signed checkpoint note of `size`. */
  note(size: bigint, opts: { rootHash?: Uint8Array; extensions?: string[] } = {}): string {
    return signNote(this.text(size, opts), [this.signer]);
  }

  /** RFC 6962 consistency proof from `m` to `n` (empty when m is 0 or m = n). */
  proof(m: bigint, n: bigint): Uint8Array[] {
    if (m === 0n || m === n) return [];
    this.#grow(n);
    const leaves = this.#leaves;
    const reader: NodeReader = {
      readNodes: (ids) => ids.map(({ level, index }) => {
        const start = Number(index) << level;
        return treeHash(leaves.slice(start, start + (1 << level)));
      }),
    };
    return consistencyProof(m, n, reader);
  }

  /** An add-checkpoint body from `old` to `size` with the right proof unless one is given. */
  body(old: bigint, size: bigint, opts: { proof?: Uint8Array[]; note?: string } = {}): Uint8Array {
    return formatAddCheckpointRequest({ oldSize: old, proof: opts.proof ?? this.proof(old, size), checkpoint: opts.note ?? this.note(size) });
  }
}

/** A settable clock in milliseconds. */
export class FakeClock {
  ms: number;
  constructor(ms = 1_700_000_000_000) {
    this.ms = ms;
  }
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}
