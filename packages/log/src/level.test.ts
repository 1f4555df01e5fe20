// LogNode on real LevelDB directories: reopen, crash recovery, integrity refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClassicLevel } from 'classic-level';
import { treeHash, verifyConsistency } from '@cairn/merkle';
import { LogNode, type LogNodeOptions } from './node.js';
import { openLevelStorage } from './storage/level.js';
import { silentLogger } from './logger.js';
import { KEY_CHECKPOINT, tileKey } from './storage/keys.js';
import { backend, entries, leavesOf, makeCore, testKey, tempDir } from './test-helpers.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const t = await tempDir();
  try {
    await fn(t.dir);
  } finally {
    await t.cleanup();
  }
}

async function openNode(dir: string, o: Partial<LogNodeOptions> = {}): Promise<LogNode> {
  const storage = await openLevelStorage(dir);
  try {
    return await LogNode.open({ storage, signerKey: testKey(), logger: silentLogger, checkpointIntervalMs: 5, ...o });
  } catch (e) {
    await storage.close();
    throw e;
  }
}

/** A log of `n` entries in `dir`, stopped. */
async function build(dir: string, n: number): Promise<void> {
  const node = await openNode(dir);
  await node.start();
  for (let i = 0; i < n; i += 1000) await node.submit(entries(Math.min(1000, n - i), `x${i}`));
  await node.stop();
}

/** Raw access to the store, for damage. */
async function raw(dir: string, fn: (db: ClassicLevel<Uint8Array, Uint8Array>) => Promise<void>): Promise<void> {
  const db = new ClassicLevel<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  try {
    await fn(db);
  } finally {
    await db.close();
  }
}

test('reopen after stop preserves entries, tiles and the checkpoint, and the log keeps growing consistently', async () => {
  await withDir(async (dir) => {
    const node = await openNode(dir);
    await node.start();
    const first = entries(600, 'a');
    await node.submit(first, { wait: 'checkpoint' });
    const cp1 = node.latestCheckpoint()!;
    await node.stop();

    const again = await openNode(dir);
    assert.deepEqual(again.latestCheckpoint()?.note, cp1.note);
    assert.deepEqual(await again.getEntries(590n, 600n), first.slice(590));
    assert.equal((await again.readTile(0, 2n, 88))?.length, 88 * 32);
    await again.start();
    const second = entries(100, 'b');
    const r = await again.submit(second, { wait: 'checkpoint' });
    assert.equal(r.indices[0], 600n);
    const cp2 = r.checkpoint!;
    assert.deepEqual(cp2.rootHash, treeHash(leavesOf([...first, ...second]), backend));
    verifyConsistency(cp1.size, cp2.size, cp1.rootHash, cp2.rootHash, await again.consistencyProof(cp1.size, cp2.size), backend);
    await again.stop();
  });
});

test('a crash after sequencing but before integration loses nothing: open integrates the entries', async () => {
  await withDir(async (dir) => {
    await build(dir, 300);
    // "Crash": entries made durable by the sequencer, no integration step ran.
    const storage = await openLevelStorage(dir);
    const core = await makeCore(storage);
    const acked = await core.sequencer.submit(entries(450, 'crash'));
    assert.equal(acked.indices[0], 300n);
    assert.equal(core.integrator.checkpoint.size, 300n);
    await storage.close();

    const node = await openNode(dir);
    assert.equal(node.latestCheckpoint()?.size, 750n);
    assert.deepEqual(await node.getEntry(749n), entries(450, 'crash')[449]);
    const all = [...entries(300, 'x0'), ...entries(450, 'crash')];
    assert.deepEqual(node.latestCheckpoint()?.rootHash, treeHash(leavesOf(all), backend));
    await node.start();
    await node.stop();
  });
});

test('a damaged rightmost tile makes open refuse, naming the tile and both roots', async () => {
  await withDir(async (dir) => {
    await build(dir, 600);
    await raw(dir, async (db) => {
      const t = (await db.get(tileKey(0, 2n)))!;
      t[5] = t[5]! ^ 1;
      await db.put(tileKey(0, 2n), t);
    });
    await assert.rejects(openNode(dir), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'integrity');
      assert.match(e.message, /tile\/0\/002\.p\/88/);
      assert.match(e.message, /stored root .* recomputed /);
      return true;
    });
  });
});

test('a damaged last full tile makes open refuse, naming it', async () => {
  await withDir(async (dir) => {
    await build(dir, 600);
    await raw(dir, async (db) => {
      const t = (await db.get(tileKey(0, 1n)))!;
      t[100] = t[100]! ^ 1;
      await db.put(tileKey(0, 1n), t);
    });
    await assert.rejects(openNode(dir), { code: 'integrity', message: /tile\/0\/001 does not hash/ });
  });
});

test('a missing tile makes open refuse, naming it', async () => {
  await withDir(async (dir) => {
    await build(dir, 600);
    await raw(dir, (db) => db.del(tileKey(0, 0n)));
    await assert.rejects(openNode(dir), { code: 'integrity', message: /tile\/0\/000 is missing/ });
  });
});

test('a truncated tile makes open refuse, naming it', async () => {
  await withDir(async (dir) => {
    await build(dir, 600);
    await raw(dir, async (db) => db.put(tileKey(0, 1n), (await db.get(tileKey(0, 1n)))!.slice(0, 100 * 32)));
    await assert.rejects(openNode(dir), { code: 'integrity', message: /tile\/0\/001 has 3200 bytes/ });
  });
});

test('a checkpoint signed by another key, a different origin or another key refuse to open', async () => {
  await withDir(async (dir) => {
    await build(dir, 10);
    await assert.rejects(openNode(dir, { origin: 'other.example/log' }), { code: 'integrity', message: /origin/ });
    await assert.rejects(openNode(dir, { signerKey: testKey(undefined, 8) }), { code: 'integrity', message: /log key/ });
    // A forged checkpoint record (signed by someone else) is refused too.
    const other = await (async () => {
      const t = await tempDir();
      const n = await openNode(t.dir, { signerKey: testKey(undefined, 9) });
      const cp = n.latestCheckpoint()!;
      await n.start();
      await n.stop();
      await t.cleanup();
      return cp;
    })();
    await raw(dir, async (db) => {
      const rec = (await db.get(KEY_CHECKPOINT))!;
      const forged = new Uint8Array(48 + other.note.length);
      forged.set(rec.subarray(0, 48));
      forged.set(other.note, 48);
      await db.put(KEY_CHECKPOINT, forged);
    });
    await assert.rejects(openNode(dir), { code: 'integrity', message: /does not verify/ });
  });
});
