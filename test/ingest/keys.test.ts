// The derived idempotency keys are keyed with a per-log secret (an unkeyed hash would fingerprint
// contents that erasure removed), and that secret is a private file created on first start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditIdempotencyKey, createIngestHandler, KEY_SECRET_FILE, loadOrCreateKeySecret, otlpKey } from '@cairn/ingest/listener';

test('the key secret file: 32 random bytes, mode 0600, created once and then reused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-ingest-key-'));
  try {
    const a = await loadOrCreateKeySecret(dir);
    assert.equal(a.length, 32);
    assert.equal((await stat(join(dir, KEY_SECRET_FILE))).mode & 0o777, 0o600);
    assert.deepEqual(await loadOrCreateKeySecret(dir), a);
    assert.deepEqual(new Uint8Array(await readFile(join(dir, KEY_SECRET_FILE))), a);
    const other = await mkdtemp(join(tmpdir(), 'cairn-ingest-key-'));
    try {
      assert.notDeepEqual(await loadOrCreateKeySecret(other), a);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
    await writeFile(join(dir, KEY_SECRET_FILE), new Uint8Array(5));
    await assert.rejects(loadOrCreateKeySecret(dir), /expected 32 bytes/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('derived keys depend on the secret and are not the plain hash of the event', () => {
  const event = { canonical: new TextEncoder().encode('{"class_uid":6003,"actor":{"user":{"name":"alice"}}}') };
  const s1 = new Uint8Array(32).fill(1);
  const s2 = new Uint8Array(32).fill(2);
  const k1 = otlpKey(s1, event, new Map());
  assert.equal(otlpKey(s1, event, new Map()), k1);
  assert.notEqual(otlpKey(s2, event, new Map()), k1);
  assert.ok(!k1.includes(createHash('sha256').update(event.canonical).digest('base64url')));
  const a1 = auditIdempotencyKey(s1, 'ResponseComplete', 'id-1', event.canonical);
  assert.match(a1, /^k8s\/ResponseComplete\/[A-Za-z0-9_-]{43}$/);
  assert.notEqual(auditIdempotencyKey(s2, 'ResponseComplete', 'id-1', event.canonical), a1);
  // auditID and bytes are length-delimited: moving a byte from one to the other changes the key.
  assert.notEqual(auditIdempotencyKey(s1, 'ResponseComplete', 'id-', new TextEncoder().encode('1' + '{"class_uid":6003,"actor":{"user":{"name":"alice"}}}').subarray(1)), a1);
  assert.throws(() => createIngestHandler({ sink: { submitEvents: async () => ({ indices: [], seqs: [], duplicate: [] }) }, keySecret: new Uint8Array(8) }), /32 bytes/);
});
