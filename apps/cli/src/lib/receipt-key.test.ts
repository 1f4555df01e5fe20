import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSignerKey } from '@cairn/formats';
import { UsageError } from '../command.js';
import { loadReceiptKey, RECEIPT_KEY_FILE } from './receipt-key.js';

test('the receipt key: made once in the data directory (0600), reused, checked against the origin', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-receipt-key-'));
  try {
    const data = join(dir, 'data');
    const first = await loadReceiptKey(data, undefined, 'log.example.org/audit');
    assert.equal(first.created, true);
    assert.equal(first.path, join(data, RECEIPT_KEY_FILE));
    assert.match(first.vkey, /^log\.example\.org\/audit\/receipt\+[0-9a-f]{8}\+/);
    assert.equal((await stat(first.path)).mode & 0o777, 0o600);
    const again = await loadReceiptKey(data, undefined, 'log.example.org/audit');
    assert.deepEqual([again.created, again.vkey], [false, first.vkey]);
    // Another origin: the stored key is refused, naming the name it must have.
    await assert.rejects(loadReceiptKey(data, undefined, 'other.example/log'), (e: unknown) => e instanceof UsageError && /must be named "other\.example\/log\/receipt"/.test(e.message));
    // --receipt-key FILE must exist and be the origin's receipt key (never the checkpoint key).
    await assert.rejects(loadReceiptKey(data, join(dir, 'missing.key'), 'log.example.org/audit'), (e: unknown) => e instanceof UsageError && /--receipt-key: .* does not exist/.test(e.message));
    const ckey = join(dir, 'checkpoint.key');
    await writeFile(ckey, generateSignerKey('log.example.org/audit') + '\n');
    await assert.rejects(loadReceiptKey(data, ckey, 'log.example.org/audit'), /must be named "log\.example\.org\/audit\/receipt"/);
    const own = join(dir, 'own-receipt.key');
    await writeFile(own, generateSignerKey('log.example.org/audit/receipt') + '\n');
    const given = await loadReceiptKey(data, own, 'log.example.org/audit');
    assert.equal(given.created, false);
    assert.equal(given.signerKey, (await readFile(own, 'utf8')).trim());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
