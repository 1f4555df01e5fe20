/**
 * classic-level (LevelDB) driver for {@link WitnessStorage}: the default store, one directory
 * per witness.
 *
 * Layout (keys are bytes; values UTF-8 JSON):
 * - `c\0<origin>` → the latest cosigned checkpoint `{ origin, size, root, note, cosignedAt }`
 *   (decimal strings for bigints, base64 for the root);
 * - `m\0<16 hex digits of a sequence number>` → a misbehaviour record (proof hashes in base64).
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
  type ListMisbehaviourOptions,
  type MisbehaviourKind,
  type MisbehaviourRecord,
  type StoredCheckpoint,
  type WitnessStorage,
} from './types.js';

type Db = ClassicLevel<Uint8Array, Uint8Array>;

const CHECKPOINT_PREFIX = 'c\0';
const MISBEHAVIOUR_PREFIX = 'm\0';
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

/** Opens (creating if needed) the LevelDB witness store in `dir`. */
export async function openLevelWitnessStorage(dir: string): Promise<WitnessStorage> {
  const db: Db = new ClassicLevel<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  try {
    await db.open();
  } catch (cause) {
    throw new WitnessError('storage', `cannot open the witness store at ${dir} (in use by another process?)`, { cause });
  }
  let next = 0n;
  const last = await db.keys({ ...prefixRange(MISBEHAVIOUR_PREFIX), reverse: true, limit: 1 }).all();
  if (last.length === 1) {
    const hex = dec.decode(last[0]!).slice(MISBEHAVIOUR_PREFIX.length);
    if (!/^[0-9a-f]{16}$/.test(hex)) throw corrupt('misbehaviour key');
    next = BigInt(`0x${hex}`) + 1n;
  }
  return new LevelWitnessStorage(db, dir, next);
}

/** One write waiting for the next group commit. */
interface PendingWrite {
  /** Adds its puts to the batch (or decides not to); returns its result. Runs in queue order. */
  readonly apply: (overlay: Map<string, StoredCheckpoint | undefined>, puts: [Uint8Array, Uint8Array][]) => boolean;
  readonly what: string;
  readonly resolve: (ok: boolean) => void;
  readonly reject: (e: unknown) => void;
}

class LevelWitnessStorage implements WitnessStorage {
  readonly name: string;
  readonly #db: Db;
  #nextSeq: bigint;
  /** Writes waiting for the next group commit, in arrival order. */
  #pending: PendingWrite[] = [];
  /** The group commit in progress, if any. */
  #writing: Promise<void> | undefined;

  constructor(db: Db, dir: string, nextSeq: bigint) {
    this.#db = db;
    this.name = `level:${dir}`;
    this.#nextSeq = nextSeq;
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
      const overlay = new Map<string, StoredCheckpoint | undefined>();
      const puts: [Uint8Array, Uint8Array][] = [];
      const results: (boolean | { error: unknown })[] = group.map((w) => {
        try {
          return w.apply(overlay, puts);
        } catch (error) {
          return { error };
        }
      });
      try {
        if (puts.length > 0) {
          const batch = this.#db.batch();
          for (const [k, v] of puts) batch.put(k, v);
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
    return this.#enqueue(`the checkpoint of ${next.origin}`, (overlay, puts) => {
      const current = overlay.has(next.origin) ? overlay.get(next.origin) : this.#read(next.origin);
      if (!matchesExpected(current, expected) || !isAllowedSwap(current, next)) return false;
      overlay.set(next.origin, next);
      puts.push([checkpointKey(next.origin), encodeCheckpoint(next)]);
      return true;
    });
  }

  async recordMisbehaviour(record: MisbehaviourRecord): Promise<void> {
    await this.#enqueue(`a misbehaviour record of ${record.origin}`, (_overlay, puts) => {
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

  async close(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
    await this.#db.close();
  }
}
