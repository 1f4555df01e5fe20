// One compliance suite that every LogStorage driver runs (memory and classic-level).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryStorage } from './memory.js';
import { openLevelStorage } from './level.js';
import type { LogStorage } from './types.js';
import { entryKey, tileKey, u64 } from './keys.js';
import { tempDir } from '../test-helpers.js';

const drivers: [string, () => Promise<{ s: LogStorage; done: () => Promise<void> }>][] = [
  ['memory', async () => ({ s: memoryStorage(), done: async () => {} })],
  ['level', async () => {
    const t = await tempDir();
    const s = await openLevelStorage(t.dir);
    return { s, done: async () => { await s.close(); await t.cleanup(); } };
  }],
];

for (const [name, make] of drivers) {
  test(`${name}: get/getMany/write/range honour the contract`, async () => {
    const { s, done } = await make();
    try {
      assert.equal(await s.get(entryKey(1n)), undefined);
      await s.write([
        { type: 'put', key: entryKey(2n), value: u64(2n) },
        { type: 'put', key: entryKey(256n), value: u64(256n) },
        { type: 'put', key: entryKey(1n), value: u64(1n) },
        { type: 'put', key: tileKey(0, 0n), value: new Uint8Array([9]) },
        { type: 'put', key: entryKey(3n), value: u64(3n) },
        { type: 'del', key: entryKey(3n) },
      ], { sync: true });
      assert.deepEqual(await s.get(entryKey(2n)), u64(2n));
      assert.deepEqual(await s.getMany([entryKey(1n), entryKey(3n), entryKey(256n)]), [u64(1n), undefined, u64(256n)]);
      const seen: Uint8Array[] = [];
      for await (const [, v] of s.range({ gte: entryKey(0n), lt: entryKey(1000n) })) seen.push(v);
      assert.deepEqual(seen, [u64(1n), u64(2n), u64(256n)], 'big-endian keys iterate in numeric order, other families excluded');
      const limited: Uint8Array[] = [];
      for await (const [k] of s.range({ gte: entryKey(0n), lt: entryKey(1000n), limit: 2 })) limited.push(k);
      assert.deepEqual(limited, [entryKey(1n), entryKey(2n)]);
      assert.deepEqual(await s.getMany([]), []);
    } finally {
      await done();
    }
  });
}

for (const [name, make] of drivers) {
  test(`${name}: compact (when the driver has it) changes nothing reads return`, async () => {
    const { s, done } = await make();
    try {
      await s.write([{ type: 'put', key: entryKey(1n), value: u64(1n) }, { type: 'put', key: entryKey(2n), value: u64(2n) }], { sync: true });
      await s.compact?.({ gte: entryKey(0n), lt: entryKey(10n) });
      await s.write([{ type: 'put', key: entryKey(1n), value: u64(11n) }, { type: 'del', key: entryKey(2n) }], { sync: true });
      await s.compact?.({ gte: entryKey(0n), lt: entryKey(10n) });
      assert.deepEqual(await s.getMany([entryKey(1n), entryKey(2n)]), [u64(11n), undefined]);
      const all: Uint8Array[] = [];
      for await (const [k] of s.range({ gte: entryKey(0n), lt: entryKey(10n) })) all.push(k);
      assert.deepEqual(all, [entryKey(1n)]);
    } finally {
      await done();
    }
  });
}

test('level: a second open of the same directory fails with a storage error', async () => {
  const t = await tempDir();
  const s = await openLevelStorage(t.dir);
  try {
    await assert.rejects(openLevelStorage(t.dir), { code: 'storage' });
  } finally {
    await s.close();
    await t.cleanup();
  }
});
