/**
 * classic-level (LevelDB) driver for {@link WitnessStorage}: the default store, one directory
 * per witness.
 *
 * Layout (keys are bytes; values UTF-8 JSON):
 * - `c\0<origin>` → the latest cosigned checkpoint `{ origin, size, root, note, cosignedAt }`
 *   (decimal strings for bigints, base64 for the root);
 * - `m\0<16 hex digits of a sequence number>` → a misbehaviour record (proof hashes in base64).
 *
 * Atomicity: every write goes through one in-process queue, so a compare-and-swap reads the
 * current record and writes the new one with nothing in between; LevelDB's LOCK file keeps other
 * processes out. Durability: each write is a chained batch written with `{ sync: true }` (one
 * fsync), awaited before the swap resolves `true`.
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

class LevelWitnessStorage implements WitnessStorage {
  readonly name: string;
  readonly #db: Db;
  #queue: Promise<unknown> = Promise.resolve();
  #nextSeq: bigint;

  constructor(db: Db, dir: string, nextSeq: bigint) {
    this.#db = db;
    this.name = `level:${dir}`;
    this.#nextSeq = nextSeq;
  }

  /** Runs `task` after every earlier write has finished (one writer at a time). */
  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
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
    return this.#serial(async () => {
      const current = this.#read(next.origin);
      if (!matchesExpected(current, expected) || !isAllowedSwap(current, next)) return false;
      try {
        await this.#db.batch().put(checkpointKey(next.origin), encodeCheckpoint(next)).write({ sync: true });
      } catch (cause) {
        throw new WitnessError('storage', `cannot store the checkpoint of ${next.origin}`, { cause });
      }
      return true;
    });
  }

  recordMisbehaviour(record: MisbehaviourRecord): Promise<void> {
    return this.#serial(async () => {
      const key = misbehaviourKey(this.#nextSeq);
      try {
        await this.#db.batch().put(key, encodeRecord(record)).write({ sync: true });
      } catch (cause) {
        throw new WitnessError('storage', `cannot record misbehaviour of ${record.origin}`, { cause });
      }
      this.#nextSeq++;
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
    await this.#queue;
    await this.#db.close();
  }
}
