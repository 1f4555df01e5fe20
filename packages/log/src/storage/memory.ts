/**
 * In-memory {@link LogStorage} for unit tests. Nothing is durable; `sync` is ignored. Writes are
 * applied atomically (all ops of one call at once) after a microtask, like a real driver.
 *
 * Test hooks: `failNextWrite(err)` makes the next write reject without applying anything (a
 * "crash before persist"); `holdWrites()` stalls writes until released (to force races); `writes` counts completed writes; `snapshot()`/`memoryStorage(from)`
 * let a test "reopen" the same contents.
 */
import type { LogStorage, StorageOp, StorageRange } from './types.js';

const hexOf = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const bytesOf = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

/** A memory store with test hooks. */
export interface MemoryStorage extends LogStorage {
  /** Number of writes applied so far. */
  readonly writes: number;
  /** Makes the next write reject with `err`, applying nothing. */
  failNextWrite(err: Error): void;
  /** Holds every write (issued now or later) before it applies, until the returned function is called. */
  holdWrites(): () => void;
  /** A copy of the contents (hex key → value), for reopening in a new memoryStorage. */
  snapshot(): Map<string, Uint8Array>;
  /** Direct mutation for corruption tests (bypasses atomic writes). */
  rawPut(key: Uint8Array, value: Uint8Array): void;
  rawDelete(key: Uint8Array): void;
}

/** A fresh memory store, optionally initialised from a {@link MemoryStorage.snapshot}. */
export function memoryStorage(from?: Map<string, Uint8Array>): MemoryStorage {
  // Hex keys of equal-length prefixes sort like the bytes they encode (hex is order-preserving).
  const data = new Map<string, Uint8Array>(from ?? []);
  let writes = 0;
  let failure: Error | undefined;
  let closed = false;
  let gate: Promise<void> | undefined;
  const check = () => {
    if (closed) throw new Error('memory storage is closed');
  };
  return {
    name: 'memory',
    get writes() {
      return writes;
    },
    async get(key) {
      check();
      const v = data.get(hexOf(key));
      return v === undefined ? undefined : v.slice();
    },
    async getMany(keys) {
      check();
      return keys.map((k) => data.get(hexOf(k))?.slice());
    },
    async write(ops: readonly StorageOp[]) {
      check();
      const copied = ops.map((op) =>
        op.type === 'put' ? { type: op.type, key: hexOf(op.key), value: op.value.slice() } : { type: op.type, key: hexOf(op.key) },
      );
      await Promise.resolve();
      while (gate !== undefined) await gate;
      if (failure !== undefined) {
        const err = failure;
        failure = undefined;
        throw err;
      }
      for (const op of copied) {
        if (op.type === 'put') data.set(op.key, op.value as Uint8Array);
        else data.delete(op.key);
      }
      writes++;
    },
    async *range(r: StorageRange) {
      check();
      const gte = hexOf(r.gte);
      const lt = hexOf(r.lt);
      const keys = [...data.keys()].filter((k) => k >= gte && k < lt).sort();
      const limit = r.limit ?? Infinity;
      let n = 0;
      for (const k of keys) {
        if (n++ >= limit) return;
        const v = data.get(k);
        if (v !== undefined) yield [bytesOf(k), v.slice()] as const;
      }
    },
    async compact() {
      check(); // nothing old is kept: a put replaces, a del removes
    },
    async close() {
      closed = true;
    },
    failNextWrite(err) {
      failure = err;
    },
    holdWrites() {
      let release!: () => void;
      const g = new Promise<void>((resolve) => (release = resolve));
      gate = g;
      return () => {
        if (gate === g) gate = undefined;
        release();
      };
    },
    snapshot() {
      return new Map([...data].map(([k, v]) => [k, v.slice()]));
    },
    rawPut(key, value) {
      data.set(hexOf(key), value.slice());
    },
    rawDelete(key) {
      data.delete(hexOf(key));
    },
  };
}
