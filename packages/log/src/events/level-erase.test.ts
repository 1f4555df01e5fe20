/**
 * Erasure on disk (LevelDB): after eraseEvents and a close, neither the salt nor a distinctive
 * value of the event is in any file of the data directory, while the leaf and every inclusion
 * proof of it still verify after a reopen. Two places for the body before erasure: a table file
 * (written in an earlier session), or still the write-ahead log (same session).
 *
 * LevelDB Snappy-compresses table blocks, so a string may be stored as back-references and not
 * show literally even when present. So each case runs twice: with compression off, where any
 * byte still there shows (the user name and the salt are checked), and with the default
 * compression, where the random 32-byte salts still show literally (they do not compress).
 * Sanity checks make sure the scan can see what it looks for: the other events' values are found.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { leafHash, verifyInclusion } from '@cairn/merkle';
import { LogNode } from '../node.js';
import { openLevelStorage } from '../storage/level.js';
import { silentLogger } from '../logger.js';
import { authEvent, backend, tempDir, testKey } from '../test-helpers.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const randomName = (): string => `u-${Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('hex')}`;

async function filesContaining(dir: string, needle: Uint8Array): Promise<string[]> {
  const hits: string[] = [];
  for (const name of await readdir(dir)) {
    if ((await readFile(join(dir, name))).indexOf(needle) >= 0) hits.push(name);
  }
  return hits;
}

for (const compression of [false, true]) {
  for (const where of ['a table file (earlier session)', 'the write-ahead log (same session)']) {
    test(`an erased event's salt and values leave every file of the store: body in ${where}, compression ${compression ? 'on' : 'off'}`, async () => {
      const tmp = await tempDir();
      const open = async () => {
        const n = await LogNode.open({ storage: await openLevelStorage(tmp.dir, { compression }), signerKey: testKey(), logger: silentLogger, checkpointIntervalMs: 1 });
        await n.start();
        return n;
      };
      try {
        let node = await open();
        const user = randomName();
        const otherNames = Array.from({ length: 50 }, randomName);
        const r = await node.submitEvents('bastion', [authEvent(user), ...otherNames.map((n) => authEvent(n))].map((event) => ({ event })), { wait: 'checkpoint' });
        const index = r.indices[0] as bigint;
        const salt = (await node.getEvent(index))!.body!.salt;
        const otherSalt = (await node.getEvent(r.indices[7]!))!.body!.salt;
        if (where.startsWith('a table')) {
          await node.stop();
          assert.ok((await filesContaining(tmp.dir, salt)).length > 0, 'before erasure the salt is on disk (the scan can see it)');
          node = await open();
        }
        const e = await node.eraseEvents([index], { reason: 'data subject request', by: 'admin-1' });
        assert.deepEqual(e.erased, [index]);
        await node.stop();

        assert.deepEqual(await filesContaining(tmp.dir, salt), [], 'the salt is in no file');
        assert.ok((await filesContaining(tmp.dir, otherSalt)).length > 0, "another event's salt is still there");
        if (!compression) {
          assert.deepEqual(await filesContaining(tmp.dir, utf8(user)), [], 'the user name is in no file');
          assert.ok((await filesContaining(tmp.dir, utf8(otherNames[7]!))).length > 0, "another event's user name is still there");
        }

        node = await open();
        const cp = (await node.submit([new Uint8Array([1])], { wait: 'checkpoint' })).checkpoint!;
        const got = (await node.getEvent(index))!;
        assert.equal(got.body, undefined);
        assert.equal(got.erased?.record, e.record);
        assert.deepEqual(leafHash(got.leaf, backend), r.leafHashes[0]);
        verifyInclusion(index, cp.size, r.leafHashes[0]!, await node.inclusionProof(index, cp.size), cp.rootHash, backend);
        const old = r.checkpoint!;
        verifyInclusion(index, old.size, r.leafHashes[0]!, await node.inclusionProof(index, old.size), old.rootHash, backend);
        assert.deepEqual(r.proofs![0], await node.inclusionProof(index, old.size), 'the proof given at submission is unchanged');
        await node.stop();
      } finally {
        await tmp.cleanup();
      }
    });
  }
}
