/**
 * classic-level (LevelDB) driver for {@link WitnessStorage}: the default store, one directory
 * per witness.
 *
 * Layout (keys are bytes; values UTF-8 JSON):
 * - `c\0<origin>` → the latest cosigned checkpoint `{ origin, size, root, note, cosignedAt }`
 *   (decimal strings for bigints, base64 for the root);
 * - `m\0<16 hex digits of a sequence number>` → a misbehaviour record (proof hashes in base64);
 * - `e\0<16 hex digits of a sequence number>` → an evidence record `{ id, origin, kind, proven,
 *   record, recordedAt }`, and `i\0<evidence id>` → that sequence number (one copy per id);
 * - `b\0<origin>` → the origin's block `{ origin, evidenceId, conflict, since }`;
 * - `k\0<conflict key>` → `1`: a cleared conflict (never blocks again);
 * - `f\0<origin>` → foreign cosignatures `{ origin, size, root, lines }`.
 *
 * Atomicity: every write goes through one in-process group-commit queue; a compare-and-swap is
 * evaluated against the store plus the writes queued ahead of it, with nothing in between;
 * LevelDB's LOCK file keeps other processes out. Durability: each group is one chained batch
 * written with `{ sync: true }` (one fsync), awaited before any swap in it resolves `true`.
 */
import { ClassicLevel } from 'classic-level';
import { WitnessError } from '../errors.js';
import {
  isAllowedSwap,
  matchesExpected,
  type ExpectedState,
  type ForeignCosignatures,
  type ListEvidenceOptions,
  type OriginBlock,
  type StoredEvidence,
  type ListMisbehaviourOptions,
  type MisbehaviourKind,
  type MisbehaviourRecord,
  type StoredCheckpoint,
  type WitnessStorage,
} from './types.js';

type Db = ClassicLevel<Uint8Array, Uint8Array>;

const CHECKPOINT_PREFIX = 'c\0';
const MISBEHAVIOUR_PREFIX = 'm\0';
const EVIDENCE_PREFIX = 'e\0';
const EVIDENCE_ID_PREFIX = 'i\0';
const BLOCK_PREFIX = 'b\0';
const CLEARED_PREFIX = 'k\0';
const FOREIGN_PREFIX = 'f\0';
const HEX_ID = /^[0-9a-f]{64}$/;
const KINDS: readonly MisbehaviourKind[] = ['bad-empty-root', 'unexpected-proof', 'inconsistent', 'fork'];
const DECIMAL = /^(0|[1-9][0-9]*)$/;

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

function prefixRange(prefix: string): { gte: Uint8Array; lt: Uint8Array } {
  const gte = enc.encode(prefix);
  const lt = gte.slice();
  lt[lt.length - 1]! += 1;
  return { gte, lt };
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

function fromB64(s: unknown, what: string): Uint8Array {
  if (typeof s !== 'string') throw corrupt(what);
  const bytes = new Uint8Array(Buffer.from(s, 'base64'));
  if (b64(bytes) !== s) throw corrupt(what);
  return bytes;
}

function big(s: unknown, what: string): bigint {
  if (typeof s !== 'string' || !DECIMAL.test(s)) throw corrupt(what);
  return BigInt(s);
}

function str(s: unknown, what: string): string {
  if (typeof s !== 'string') throw corrupt(what);
  return s;
}

function corrupt(what: string): WitnessError {
  return new WitnessError('storage', `witness store is corrupt: bad ${what}`);
}

function parseJson(value: Uint8Array, what: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(dec.decode(value));
    if (typeof v === 'object' && v !== null) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw corrupt(what);
}

function encodeCheckpoint(c: StoredCheckpoint): Uint8Array {
  return enc.encode(JSON.stringify({
    origin: c.origin, size: c.size.toString(), root: b64(c.rootHash), note: c.note, cosignedAt: c.cosignedAt.toString(),
  }));
}

function decodeCheckpoint(value: Uint8Array): StoredCheckpoint {
  const v = parseJson(value, 'checkpoint record');
  return {
    origin: str(v['origin'], 'origin'),
    size: big(v['size'], 'size'),
    rootHash: fromB64(v['root'], 'root'),
    note: str(v['note'], 'note'),
    cosignedAt: big(v['cosignedAt'], 'cosignedAt'),
  };
}

function encodeRecord(r: MisbehaviourRecord): Uint8Array {
  return enc.encode(JSON.stringify({
    kind: r.kind, origin: r.origin, time: r.time.toString(), oldSize: r.oldSize.toString(),
    storedNote: r.storedNote ?? null, offeredNote: r.offeredNote, proof: r.proof.map(b64), reason: r.reason,
  }));
}

function decodeRecord(value: Uint8Array): MisbehaviourRecord {
  const v = parseJson(value, 'misbehaviour record');
  const kind = v['kind'];
  if (!KINDS.includes(kind as MisbehaviourKind)) throw corrupt('misbehaviour kind');
  const proof = v['proof'];
  if (!Array.isArray(proof)) throw corrupt('proof');
  return {
    kind: kind as MisbehaviourKind,
    origin: str(v['origin'], 'origin'),
    time: big(v['time'], 'time'),
    oldSize: big(v['oldSize'], 'oldSize'),
    storedNote: v['storedNote'] === null ? undefined : str(v['storedNote'], 'storedNote'),
    offeredNote: str(v['offeredNote'], 'offeredNote'),
    proof: proof.map((p) => fromB64(p, 'proof hash')),
    reason: str(v['reason'], 'reason'),
  };
}

function checkpointKey(origin: string): Uint8Array {
  return enc.encode(CHECKPOINT_PREFIX + origin);
}

function misbehaviourKey(seq: bigint): Uint8Array {
  return enc.encode(MISBEHAVIOUR_PREFIX + seq.toString(16).padStart(16, '0'));
}

function encodeJson(v: unknown): Uint8Array {
  return enc.encode(JSON.stringify(v));
}

function decodeEvidence(value: Uint8Array): StoredEvidence {
  const v = parseJson(value, 'evidence record');
  const id = str(v['id'], 'evidence id');
  if (!HEX_ID.test(id) || typeof v['proven'] !== 'boolean' || typeof v['recordedAt'] !== 'number') throw corrupt('evidence record');
  return {
    id, origin: str(v['origin'], 'origin'), kind: str(v['kind'], 'evidence kind'), proven: v['proven'],
    record: str(v['record'], 'evidence'), recordedAt: v['recordedAt'],
  };
}

function decodeBlock(value: Uint8Array): OriginBlock {
  const v = parseJson(value, 'block');
  if (typeof v['since'] !== 'number') throw corrupt('block time');
  return { origin: str(v['origin'], 'origin'), evidenceId: str(v['evidenceId'], 'evidence id'), conflict: str(v['conflict'], 'conflict'), since: v['since'] };
}

function decodeForeign(value: Uint8Array): ForeignCosignatures {
  const v = parseJson(value, 'foreign cosignatures');
  const lines = v['lines'];
  if (!Array.isArray(lines)) throw corrupt('foreign cosignature lines');
  return {
    origin: str(v['origin'], 'origin'), size: big(v['size'], 'size'), rootHash: fromB64(v['root'], 'root'),
    lines: lines.map((l) => str(l, 'foreign cosignature line')),
  };
}

/** The next sequence number after the last key with `prefix`. */
async function nextSeq(db: Db, prefix: string): Promise<bigint> {
  const last = await db.keys({ ...prefixRange(prefix), reverse: true, limit: 1 }).all();
  if (last.length === 0) return 0n;
  const hex = dec.decode(last[0]!).slice(prefix.length);
  if (!/^[0-9a-f]{16}$/.test(hex)) throw corrupt(`${prefix[0]} key`);
  return BigInt(`0x${hex}`) + 1n;
}

/** Opens (creating if needed) the LevelDB witness store in `dir`. */
export async function openLevelWitnessStorage(dir: string): Promise<WitnessStorage> {
  const db: Db = new ClassicLevel<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  try {
    await db.open();
  } catch (cause) {
    throw new WitnessError('storage', `cannot open the witness store at ${dir} (in use by another process?)`, { cause });
  }
  try {
    return new LevelWitnessStorage(db, dir, await nextSeq(db, MISBEHAVIOUR_PREFIX), await nextSeq(db, EVIDENCE_PREFIX));
  } catch (e) {
    await db.close();
    throw e;
  }
}

/** The writes of one group commit, and what they changed so far (read before the store). */
interface Group {
  readonly overlay: Map<string, StoredCheckpoint | undefined>;
  /** Other keys written in this group: value, or null when deleted. */
  readonly raw: Map<string, Uint8Array | null>;
  readonly puts: ([Uint8Array, Uint8Array] | [Uint8Array, null])[];
}

/** One write waiting for the next group commit. */
interface PendingWrite {
  /** Adds its writes to the group (or decides not to); returns its result. Runs in queue order. */
  readonly apply: (group: Group) => boolean;
  readonly what: string;
  readonly resolve: (ok: boolean) => void;
  readonly reject: (e: unknown) => void;
}

class LevelWitnessStorage implements WitnessStorage {
  readonly name: string;
  readonly #db: Db;
  #nextSeq: bigint;
  #nextEvidenceSeq: bigint;
  /** Writes waiting for the next group commit, in arrival order. */
  #pending: PendingWrite[] = [];
  /** The group commit in progress, if any. */
  #writing: Promise<void> | undefined;

  constructor(db: Db, dir: string, nextSeq: bigint, nextEvidenceSeq: bigint) {
    this.#db = db;
    this.name = `level:${dir}`;
    this.#nextSeq = nextSeq;
    this.#nextEvidenceSeq = nextEvidenceSeq;
  }

  /**
   * Group commit: every write that arrives while a synced batch is in flight joins the next
   * batch, so concurrent requests for different logs share one fsync. Each write's
   * compare-and-swap is evaluated in arrival order against the store plus the writes ahead of it
   * in the same batch (`overlay`), so the result is exactly that of running them one by one; no
   * caller is answered before the batch holding its write is on disk.
   */
  #enqueue(what: string, apply: PendingWrite['apply']): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.#pending.push({ apply, what, resolve, reject });
      if (this.#writing === undefined) this.#writing = this.#drain();
    });
  }

  async #drain(): Promise<void> {
    // Yield once first: `#writing` must be assigned before this can finish (and clear it).
    await Promise.resolve();
    while (this.#pending.length > 0) {
      const group = this.#pending;
      this.#pending = [];
      const g: Group = { overlay: new Map(), raw: new Map(), puts: [] };
      const puts = g.puts;
      const results: (boolean | { error: unknown })[] = group.map((w) => {
        try {
          return w.apply(g);
        } catch (error) {
          return { error };
        }
      });
      try {
        if (puts.length > 0) {
          const batch = this.#db.batch();
          for (const [k, v] of puts) {
            if (v === null) batch.del(k);
            else batch.put(k, v);
          }
          await batch.write({ sync: true });
        }
      } catch (cause) {
        for (const w of group) w.reject(new WitnessError('storage', `cannot store ${w.what}`, { cause }));
        continue;
      }
      group.forEach((w, i) => {
        const r = results[i]!;
        if (typeof r === 'boolean') w.resolve(r);
        else w.reject(r.error);
      });
    }
    this.#writing = undefined;
  }

  #read(origin: string): StoredCheckpoint | undefined {
    const v = this.#db.getSync(checkpointKey(origin));
    return v === undefined || v === null ? undefined : decodeCheckpoint(v);
  }

  async latest(origin: string): Promise<StoredCheckpoint | undefined> {
    return this.#read(origin);
  }

  async listLatest(): Promise<StoredCheckpoint[]> {
    const values = await this.#db.values(prefixRange(CHECKPOINT_PREFIX)).all();
    return values.map(decodeCheckpoint);
  }

  compareAndSwap(expected: ExpectedState | undefined, next: StoredCheckpoint): Promise<boolean> {
    return this.#enqueue(`the checkpoint of ${next.origin}`, ({ overlay, puts }) => {
      const current = overlay.has(next.origin) ? overlay.get(next.origin) : this.#read(next.origin);
      if (!matchesExpected(current, expected) || !isAllowedSwap(current, next)) return false;
      overlay.set(next.origin, next);
      puts.push([checkpointKey(next.origin), encodeCheckpoint(next)]);
      return true;
    });
  }

  async recordMisbehaviour(record: MisbehaviourRecord): Promise<void> {
    await this.#enqueue(`a misbehaviour record of ${record.origin}`, ({ puts }) => {
      puts.push([misbehaviourKey(this.#nextSeq++), encodeRecord(record)]);
      return true;
    });
  }

  async listMisbehaviour(opts?: ListMisbehaviourOptions): Promise<MisbehaviourRecord[]> {
    const limit = opts?.limit ?? Infinity;
    const out: MisbehaviourRecord[] = [];
    const it = this.#db.values({ ...prefixRange(MISBEHAVIOUR_PREFIX), reverse: true });
    try {
      for (;;) {
        if (out.length >= limit) break;
        const chunk = await it.nextv(256);
        if (chunk.length === 0) break;
        for (const v of chunk) {
          const r = decodeRecord(v);
          if (opts?.origin !== undefined && r.origin !== opts.origin) continue;
          out.push(r);
          if (out.length >= limit) break;
        }
      }
    } finally {
      await it.close();
    }
    return out;
  }

  /** A key's value as of the writes queued ahead in this group. */
  #get(g: Group, key: string): Uint8Array | undefined {
    if (g.raw.has(key)) return g.raw.get(key) ?? undefined;
    return this.#db.getSync(enc.encode(key)) ?? undefined;
  }

  #set(g: Group, key: string, value: Uint8Array | null): void {
    g.raw.set(key, value);
    g.puts.push([enc.encode(key), value]);
  }

  addEvidence(evidence: StoredEvidence, block?: OriginBlock): Promise<boolean> {
    if (!HEX_ID.test(evidence.id)) return Promise.reject(new WitnessError('storage', `evidence id ${evidence.id} is not 64 hex digits`));
    return this.#enqueue(`evidence ${evidence.id}`, (g) => {
      const idKey = EVIDENCE_ID_PREFIX + evidence.id;
      if (this.#get(g, idKey) !== undefined) return false;
      const seq = (this.#nextEvidenceSeq++).toString(16).padStart(16, '0');
      this.#set(g, EVIDENCE_PREFIX + seq, encodeJson(evidence));
      this.#set(g, idKey, enc.encode(seq));
      if (block !== undefined && this.#get(g, BLOCK_PREFIX + block.origin) === undefined && this.#get(g, CLEARED_PREFIX + block.conflict) === undefined) {
        this.#set(g, BLOCK_PREFIX + block.origin, encodeJson(block));
      }
      return true;
    });
  }

  async listEvidence(opts?: ListEvidenceOptions): Promise<StoredEvidence[]> {
    const limit = opts?.limit ?? Infinity;
    const out: StoredEvidence[] = [];
    const it = this.#db.values({ ...prefixRange(EVIDENCE_PREFIX), reverse: true });
    try {
      while (out.length < limit) {
        const chunk = await it.nextv(256);
        if (chunk.length === 0) break;
        for (const v of chunk) {
          const e = decodeEvidence(v);
          if (opts?.origin !== undefined && e.origin !== opts.origin) continue;
          out.push(e);
          if (out.length >= limit) break;
        }
      }
    } finally {
      await it.close();
    }
    return out;
  }

  async block(origin: string): Promise<OriginBlock | undefined> {
    const v = this.#db.getSync(enc.encode(BLOCK_PREFIX + origin));
    return v === undefined || v === null ? undefined : decodeBlock(v);
  }

  async listBlocks(): Promise<OriginBlock[]> {
    return (await this.#db.values(prefixRange(BLOCK_PREFIX)).all()).map(decodeBlock);
  }

  async clearBlock(origin: string): Promise<OriginBlock | undefined> {
    let removed: OriginBlock | undefined;
    await this.#enqueue(`the block of ${origin}`, (g) => {
      const v = this.#get(g, BLOCK_PREFIX + origin);
      if (v === undefined) return false;
      removed = decodeBlock(v);
      this.#set(g, BLOCK_PREFIX + origin, null);
      this.#set(g, CLEARED_PREFIX + removed.conflict, enc.encode('1'));
      return true;
    });
    return removed;
  }

  async foreignCosignatures(origin: string): Promise<ForeignCosignatures | undefined> {
    const v = this.#db.getSync(enc.encode(FOREIGN_PREFIX + origin));
    return v === undefined || v === null ? undefined : decodeForeign(v);
  }

  async putForeignCosignatures(f: ForeignCosignatures): Promise<void> {
    await this.#enqueue(`foreign cosignatures of ${f.origin}`, (g) => {
      this.#set(g, FOREIGN_PREFIX + f.origin, encodeJson({ origin: f.origin, size: f.size.toString(), root: b64(f.rootHash), lines: f.lines }));
      return true;
    });
  }

  async close(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
    await this.#db.close();
  }
}
