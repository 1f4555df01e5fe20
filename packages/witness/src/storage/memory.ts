/**
 * In-memory {@link WitnessStorage} for unit tests. Same semantics as the LevelDB driver except
 * durability: everything is lost with the process. Records are copied in and out, so callers
 * cannot change stored state by mutating what they passed or got.
 */
import {
  isAllowedSwap,
  matchesExpected,
  type ExpectedState,
  type ListMisbehaviourOptions,
  type MisbehaviourRecord,
  type StoredCheckpoint,
  type WitnessStorage,
} from './types.js';

function copyCheckpoint(c: StoredCheckpoint): StoredCheckpoint {
  return { ...c, rootHash: c.rootHash.slice() };
}

function copyRecord(r: MisbehaviourRecord): MisbehaviourRecord {
  return { ...r, proof: r.proof.map((p) => p.slice()) };
}

/** A volatile store; `swaps` counts successful swaps (for tests). */
export class MemoryWitnessStorage implements WitnessStorage {
  readonly name = 'memory';
  readonly #latest = new Map<string, StoredCheckpoint>();
  readonly #misbehaviour: MisbehaviourRecord[] = [];
  #closed = false;
  swaps = 0;

  #open(): void {
    if (this.#closed) throw new Error('memory witness storage is closed');
  }

  async latest(origin: string): Promise<StoredCheckpoint | undefined> {
    this.#open();
    const c = this.#latest.get(origin);
    return c === undefined ? undefined : copyCheckpoint(c);
  }

  async listLatest(): Promise<StoredCheckpoint[]> {
    this.#open();
    return [...this.#latest.values()].map(copyCheckpoint);
  }

  async compareAndSwap(expected: ExpectedState | undefined, next: StoredCheckpoint): Promise<boolean> {
    this.#open();
    // Synchronous from here on: nothing can interleave between the compare and the swap.
    const current = this.#latest.get(next.origin);
    if (!matchesExpected(current, expected) || !isAllowedSwap(current, next)) return false;
    this.#latest.set(next.origin, copyCheckpoint(next));
    this.swaps++;
    return true;
  }

  async recordMisbehaviour(record: MisbehaviourRecord): Promise<void> {
    this.#open();
    this.#misbehaviour.push(copyRecord(record));
  }

  async listMisbehaviour(opts?: ListMisbehaviourOptions): Promise<MisbehaviourRecord[]> {
    this.#open();
    const all = this.#misbehaviour.filter((r) => opts?.origin === undefined || r.origin === opts.origin).reverse();
    return all.slice(0, opts?.limit ?? all.length).map(copyRecord);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
