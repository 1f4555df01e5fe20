import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  allTilesForSize, treeHash, verifyConsistency, verifyInclusion, EMPTY_ROOT, leafHash,
} from '@cairn/merkle';
import { formatEntryBundle, openCheckpoint, parseVerifierKey, verifierKeyFromSigner } from '@cairn/formats';
import { memoryStorage } from './storage/memory.js';
import { LogReader } from './reads.js';
import { FullTileCache } from './tiles.js';
import { backend, enc, entries, leavesOf, makeCore, naiveTile, ORIGIN, testKey } from './test-helpers.js';


async function checkAllTiles(reader: LogReader, leaves: readonly Uint8Array[], size: bigint): Promise<void> {
  for (const t of allTilesForSize(size)) {
    assert.deepEqual(await reader.readTile(t.level, t.index, t.width), naiveTile(leaves, t.level, t.index, t.width), `tile ${t.level}/${t.index}.p/${t.width}`);
    if (t.width < 256) assert.equal(await reader.readTile(t.level, t.index, t.width + 1), undefined);
  }
}

test('tiles, bundles and roots equal a naive build from all leaves, for random batch splits', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 140 }), { minLength: 1, maxLength: 8 }), async (batches) => {
      const storage = memoryStorage();
      const core = await makeCore(storage);
      const reader = new LogReader(storage, backend, new FullTileCache(4), () => core.integrator.checkpoint.size);
      const all: Uint8Array[] = [];
      for (const [b, n] of batches.entries()) {
        const es = entries(n, `b${b}`);
        await core.sequencer.submit(es);
        all.push(...es);
        const old = core.integrator.checkpoint;
        const cp = await core.integrate();
        const leaves = leavesOf(all);
        assert.equal(cp.size, BigInt(all.length));
        assert.deepEqual(cp.rootHash, treeHash(leaves, backend));
        if (old.size > 0n) verifyConsistency(old.size, cp.size, old.rootHash, cp.rootHash, await reader.consistencyProof(old.size, cp.size), backend);
      }
      const leaves = leavesOf(all);
      const size = BigInt(all.length);
      await checkAllTiles(reader, leaves, size);
      for (let n = 0n; n * 256n < size; n++) {
        const width = Number(size - n * 256n > 256n ? 256n : size - n * 256n);
        const expected = formatEntryBundle(all.slice(Number(n) * 256, Number(n) * 256 + width));
        assert.deepEqual(await reader.readEntryBundle(n, width), expected);
        if (width > 1) assert.deepEqual(await reader.readEntryBundle(n, width - 1), formatEntryBundle(all.slice(Number(n) * 256, Number(n) * 256 + width - 1)));
      }
      assert.equal(await reader.readEntryBundle(size >> 8n, 256), undefined);
    }),
    { numRuns: 25 },
  );
});

test('a tree past 65,536 leaves fills level-1 tiles and starts level 2', async () => {
  const storage = memoryStorage();
  const core = await makeCore(storage);
  const all = entries(65_536 + 300, 'big');
  for (let i = 0; i < all.length; i += 10_000) await core.sequencer.submit(all.slice(i, i + 10_000));
  const cp = await core.integrate();
  const leaves = leavesOf(all);
  assert.deepEqual(cp.rootHash, treeHash(leaves, backend));
  const reader = new LogReader(storage, backend, new FullTileCache(4), () => core.integrator.checkpoint.size);
  assert.deepEqual(await reader.readTile(2, 0n, 1), naiveTile(leaves, 2, 0n, 1));
  assert.deepEqual(await reader.readTile(1, 1n, 1), naiveTile(leaves, 1, 1n, 1));
  assert.deepEqual(await reader.readTile(1, 0n, 256), naiveTile(leaves, 1, 0n, 256));
  assert.deepEqual(await reader.readTile(0, 256n, 44), naiveTile(leaves, 0, 256n, 44));
  assert.equal(await reader.readTile(2, 0n, 2), undefined);
  // Entries of full bundles are read back from the bundles.
  assert.deepEqual(await reader.getEntries(65_530n, 65_540n), all.slice(65_530, 65_540));
});

test('the checkpoint text is exact and verifies with the vkey', async () => {
  const core = await makeCore(memoryStorage());
  const empty = core.integrator.checkpoint;
  const vkey = parseVerifierKey(verifierKeyFromSigner(testKey()));
  const text0 = new TextDecoder().decode(empty.note);
  assert.equal(text0.split('\n\n')[0] + '\n', `${ORIGIN}\n0\n${Buffer.from(EMPTY_ROOT).toString('base64')}\n`);
  await core.sequencer.submit([enc('hello'), enc('world')]);
  const cp = await core.integrate();
  const text = new TextDecoder().decode(cp.note);
  const root = treeHash([leafHash(enc('hello'), backend), leafHash(enc('world'), backend)], backend);
  const body = `${ORIGIN}\n2\n${Buffer.from(root).toString('base64')}\n`;
  assert.ok(text.startsWith(body + '\n— ' + ORIGIN + ' '), text);
  assert.ok(text.endsWith('\n'));
  assert.equal(text.split('\n').length, 6, 'body (3 lines), blank line, one signature line, final LF');
  const opened = openCheckpoint(cp.note, [vkey]);
  assert.equal(opened.checkpoint.size, 2n);
  assert.deepEqual(opened.checkpoint.extensions, []);
  assert.equal(opened.verified.length, 1);
});

test('inclusion and consistency proofs verify against every checkpoint', async () => {
  const storage = memoryStorage();
  const core = await makeCore(storage);
  const reader = new LogReader(storage, backend, new FullTileCache(8), () => core.integrator.checkpoint.size);
  const all: Uint8Array[] = [];
  const cps = [];
  for (const n of [1, 2, 5, 250, 7, 300]) {
    const es = entries(n, `p${all.length}`);
    await core.sequencer.submit(es);
    all.push(...es);
    cps.push(await core.integrate());
  }
  const leaves = leavesOf(all);
  for (const cp of cps) {
    for (let i = 0n; i < cp.size; i += 1n + cp.size / 17n) {
      verifyInclusion(i, cp.size, leaves[Number(i)]!, await reader.inclusionProof(i, cp.size), cp.rootHash, backend);
    }
    for (const old of cps) {
      if (old.size > cp.size) continue;
      const proof = await reader.consistencyProof(old.size, cp.size);
      verifyConsistency(old.size, cp.size, old.rootHash, cp.rootHash, proof, backend);
    }
  }
  const last = cps[cps.length - 1]!;
  await assert.rejects(reader.inclusionProof(0n, last.size + 1n), { code: 'not-found' });
  await assert.rejects(reader.inclusionProof(last.size, last.size), { code: 'not-found' });
  await assert.rejects(reader.consistencyProof(5n, 3n), { code: 'invalid-argument' });
  assert.equal(await reader.findLeafIndex(leaves[300]!), 300n);
  assert.equal(await reader.findLeafIndex(leafHash(enc('never'), backend)), undefined);
});

test('a failed integration write signs nothing and the next step recovers from storage', async () => {
  const storage = memoryStorage();
  const core = await makeCore(storage);
  await core.sequencer.submit(entries(300));
  storage.failNextWrite(new Error('io error'));
  await assert.rejects(core.integrator.step(core.sequencer.sequencedSize), /io error/);
  assert.equal(core.integrator.checkpoint.size, 0n);
  const cp = await core.integrate();
  assert.deepEqual(cp.rootHash, treeHash(leavesOf(entries(300)), backend));
});
