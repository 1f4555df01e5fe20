/**
 * A small in-memory log implementing the ServedLog contract, for the tests of this package.
 * It integrates and signs a real checkpoint (Ed25519, key from a fixed seed) on every submit,
 * computes tiles and proofs with @cairn/merkle from its leaf list, and records every call so
 * tests can assert that bad requests never reach it. Not exported from the package.
 */
import {
  formatCheckpoint,
  formatEntryBundle,
  generateSignerKey,
  parseSignerKey,
  signNote,
  utf8Encode,
  verifierKeyFromSigner,
} from '@cairn/formats';
import {
  consistencyProof,
  EMPTY_ROOT,
  inclusionProof,
  leafHash,
  treeHash,
  type NodeReader,
} from '@cairn/merkle';
import { LogError, type LogErrorCode } from '@cairn/log';
import type { ServedCheckpoint, ServedLog, ServedStatus, ServedSubmitResult } from '../served-log.js';

/** The log core's error, with the retry hint as a plain argument. */
export class FakeLogError extends LogError {
  constructor(code: LogErrorCode, message: string, retryAfterMs?: number) {
    super(code, message, retryAfterMs === undefined ? undefined : { retryAfterMs });
  }
}

export const FAKE_ORIGIN = 'example.com/fake-log';
const SEED = new Uint8Array(32).fill(7);

export class FakeLog implements ServedLog {
  readonly origin = FAKE_ORIGIN;
  readonly signerKey = generateSignerKey(FAKE_ORIGIN, SEED);
  readonly verifierKey = verifierKeyFromSigner(this.signerKey);
  readonly entries: Uint8Array[] = [];
  readonly leaves: Uint8Array[] = [];
  /** Names of the methods called, in order. */
  readonly calls: string[] = [];
  /** When set, the next submit throws it (and stores nothing). */
  failNextSubmit: Error | undefined;
  /** When set, submits wait for it before storing (to hold requests in flight). */
  submitGate: Promise<void> | undefined;
  #checkpoint: ServedCheckpoint | undefined;
  readonly #signer = parseSignerKey(this.signerKey);
  readonly #reader: NodeReader = {
    readNodes: (ids) =>
      ids.map(({ level, index }) => {
        const start = Number(index) * 2 ** level;
        return treeHash(this.leaves.slice(start, start + 2 ** level));
      }),
  };

  constructor(opts: { signEmpty?: boolean } = {}) {
    if (opts.signEmpty !== false) this.#sign();
  }

  #sign(): ServedCheckpoint {
    const size = BigInt(this.leaves.length);
    const rootHash = this.leaves.length === 0 ? EMPTY_ROOT : treeHash(this.leaves);
    const text = formatCheckpoint({ origin: this.origin, size, rootHash, extensions: [] });
    this.#checkpoint = { note: utf8Encode(signNote(text, [this.#signer])), size, rootHash, time: 1_700_000_000_000 + this.leaves.length };
    return this.#checkpoint;
  }

  /** Clears the call log. */
  resetCalls(): void {
    this.calls.length = 0;
  }

  async submit(entries: Uint8Array[], opts?: { wait?: 'none' | 'checkpoint'; signal?: AbortSignal }): Promise<ServedSubmitResult> {
    this.calls.push('submit');
    const fail = this.failNextSubmit;
    if (fail !== undefined) {
      this.failNextSubmit = undefined;
      throw fail;
    }
    await (this.submitGate ?? Promise.resolve());
    const first = this.leaves.length;
    const hashes = entries.map((e) => leafHash(e));
    this.entries.push(...entries.map((e) => e.slice()));
    this.leaves.push(...hashes);
    const indices = entries.map((_, i) => BigInt(first + i));
    const checkpoint = this.#sign();
    if (opts?.wait === undefined || opts.wait === 'none') return { indices, leafHashes: hashes };
    const proofs = indices.map((i) => inclusionProof(i, checkpoint.size, this.#reader));
    return { indices, leafHashes: hashes, checkpoint, proofs };
  }

  latestCheckpoint(): ServedCheckpoint | undefined {
    this.calls.push('latestCheckpoint');
    return this.#checkpoint;
  }

  /** The fake has no witnesses: it serves the signed checkpoint. */
  servedCheckpoint(): ServedCheckpoint | undefined {
    this.calls.push('servedCheckpoint');
    return this.#checkpoint;
  }

  latestCosignedCheckpoint(): ServedCheckpoint | undefined {
    this.calls.push('latestCosignedCheckpoint');
    return undefined;
  }

  async readTile(level: number, index: bigint, width: number): Promise<Uint8Array | undefined> {
    this.calls.push('readTile');
    const span = 256 ** level;
    const first = Number(index) * 256;
    if ((first + width) * span > this.leaves.length) return undefined;
    const out = new Uint8Array(width * 32);
    for (let i = 0; i < width; i++) {
      const start = (first + i) * span;
      out.set(treeHash(this.leaves.slice(start, start + span)), i * 32);
    }
    return out;
  }

  async readEntryBundle(index: bigint, width: number): Promise<Uint8Array | undefined> {
    this.calls.push('readEntryBundle');
    const first = Number(index) * 256;
    if (first + width > this.entries.length) return undefined;
    return formatEntryBundle(this.entries.slice(first, first + width));
  }

  async getEntry(index: bigint): Promise<Uint8Array> {
    this.calls.push('getEntry');
    const e = this.entries[Number(index)];
    if (e === undefined) throw new FakeLogError('not-found', `no entry ${index}`);
    return e;
  }

  async getEntries(from: bigint, to: bigint): Promise<Uint8Array[]> {
    this.calls.push('getEntries');
    return this.entries.slice(Number(from), Number(to));
  }

  async inclusionProof(index: bigint, size: bigint): Promise<Uint8Array[]> {
    this.calls.push('inclusionProof');
    return inclusionProof(index, size, this.#reader);
  }

  async findLeafIndex(hash: Uint8Array): Promise<bigint | undefined> {
    this.calls.push('findLeafIndex');
    const i = this.leaves.findIndex((h) => h.length === hash.length && h.every((b, k) => b === hash[k]));
    return i < 0 ? undefined : BigInt(i);
  }

  async inclusionProofs(indices: readonly bigint[], size: bigint): Promise<Uint8Array[][]> {
    this.calls.push('inclusionProofs');
    return indices.map((i) => inclusionProof(i, size, this.#reader));
  }

  async consistencyProof(m: bigint, n: bigint): Promise<Uint8Array[]> {
    this.calls.push('consistencyProof');
    return consistencyProof(m, n, this.#reader);
  }

  status(): ServedStatus {
    this.calls.push('status');
    const size = BigInt(this.leaves.length);
    return { size, sequencedSize: size, lastCheckpointTime: this.#checkpoint?.time, queueDepth: 0 };
  }
}
export { FakeEventStore, FAKE_DEADLINE } from './fake-events.js';
