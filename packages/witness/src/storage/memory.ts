/**
 * In-memory {@link WitnessStorage} for unit tests. Same semantics as the LevelDB driver except
 * durability: everything is lost with the process. Records are copied in and out, so callers
 * cannot change stored state by mutating what they passed or got.
 */
import {
  isAllowedSwap,
  matchesExpected,
  type ExpectedState,
  type ForeignCosignatures,
  type ListEvidenceOptions,
  type OriginBlock,
  type StoredEvidence,
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
  readonly #evidence: StoredEvidence[] = [];
  readonly #evidenceIds = new Set<string>();
  readonly #blocks = new Map<string, OriginBlock>();
  readonly #cleared = new Set<string>();
  readonly #foreign = new Map<string, ForeignCosignatures>();
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

  async addEvidence(evidence: StoredEvidence, block?: OriginBlock): Promise<boolean> {
    this.#open();
    if (this.#evidenceIds.has(evidence.id)) return false;
    this.#evidenceIds.add(evidence.id);
    this.#evidence.push({ ...evidence });
    if (block !== undefined && !this.#blocks.has(block.origin) && !this.#cleared.has(block.conflict)) this.#blocks.set(block.origin, { ...block });
    return true;
  }

  async listEvidence(opts?: ListEvidenceOptions): Promise<StoredEvidence[]> {
    this.#open();
    const all = this.#evidence.filter((e) => opts?.origin === undefined || e.origin === opts.origin).reverse();
    return all.slice(0, opts?.limit ?? all.length).map((e) => ({ ...e }));
  }

  async block(origin: string): Promise<OriginBlock | undefined> {
    this.#open();
    const b = this.#blocks.get(origin);
    return b === undefined ? undefined : { ...b };
  }

  async listBlocks(): Promise<OriginBlock[]> {
    this.#open();
    return [...this.#blocks.values()].map((b) => ({ ...b }));
  }

  async clearBlock(origin: string): Promise<OriginBlock | undefined> {
    this.#open();
    const b = this.#blocks.get(origin);
    if (b === undefined) return undefined;
    this.#blocks.delete(origin);
    this.#cleared.add(b.conflict);
    return { ...b };
  }

  async foreignCosignatures(origin: string): Promise<ForeignCosignatures | undefined> {
    this.#open();
    const f = this.#foreign.get(origin);
    return f === undefined ? undefined : { ...f, rootHash: f.rootHash.slice(), lines: [...f.lines] };
  }

  async putForeignCosignatures(f: ForeignCosignatures): Promise<void> {
    this.#open();
    this.#foreign.set(f.origin, { ...f, rootHash: f.rootHash.slice(), lines: [...f.lines] });
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
