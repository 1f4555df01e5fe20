/**
 * The idempotency keys the listener derives for producers that send none of their own
 * (Kubernetes audit events, OTLP records), and the per-log secret they are keyed with.
 *
 * Why keyed: the event store keeps idempotency keys after an event's contents are erased, so an
 * unkeyed hash of the event would let anyone who can guess the contents confirm them afterwards
 * (a fingerprint of erased personal data). Every derived key is HMAC-SHA-256 under a secret of
 * this log: 32 random bytes in the file `ingest-key` of the log's data directory, mode 0600,
 * created on first start and never sent anywhere. Losing the file only means a resend that spans
 * the loss is stored twice.
 *
 * Why over the bytes: a Kubernetes `auditID` is chosen by the apiserver's client (its `Audit-ID`
 * header), so keying by auditID alone lets one request's events collide with another's (409 for a
 * whole batch). Keying by the auditID and the event's own bytes keeps exact resends deduplicated
 * and makes different events never share a key.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Bytes of the per-log secret. */
export const KEY_SECRET_BYTES = 32;
/** Its file name in the log's data directory. */
export const KEY_SECRET_FILE = 'ingest-key';

const encoder = new TextEncoder();

/** base64url(HMAC-SHA-256(secret, each part as 8-byte big-endian length ‖ bytes)): 43 characters. */
export function keyedDigest(secret: Uint8Array, ...parts: readonly (string | Uint8Array)[]): string {
  const mac = createHmac('sha256', secret);
  const len = Buffer.alloc(8);
  for (const p of parts) {
    const bytes = typeof p === 'string' ? encoder.encode(p) : p;
    len.writeBigUInt64BE(BigInt(bytes.length));
    mac.update(len);
    mac.update(bytes);
  }
  return mac.digest('base64url');
}

/** The idempotency key of a Kubernetes audit event: `k8s/<stage>/<keyed digest of auditID ‖ bytes>`. */
export function auditIdempotencyKey(secret: Uint8Array, stage: string, auditID: string, bytes: Uint8Array): string {
  return `k8s/${stage}/${keyedDigest(secret, 'k8s-audit', auditID, bytes)}`;
}

/** Checks a secret given to the listener. */
export function checkKeySecret(secret: Uint8Array): void {
  if (!(secret instanceof Uint8Array) || secret.length < KEY_SECRET_BYTES) throw new TypeError(`the ingest key secret must be at least ${KEY_SECRET_BYTES} bytes`);
}

/**
 * Reads the per-log secret from `dir/ingest-key`, creating it (32 random bytes, mode 0600,
 * fsync'd) when absent. A file of another size is refused: it is not ours.
 */
export async function loadOrCreateKeySecret(dir: string): Promise<Uint8Array> {
  const file = join(dir, KEY_SECRET_FILE);
  try {
    const bytes = new Uint8Array(await readFile(file));
    if (bytes.length !== KEY_SECRET_BYTES) throw new Error(`${file}: expected ${KEY_SECRET_BYTES} bytes, found ${bytes.length}`);
    return bytes;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await mkdir(dir, { recursive: true });
  const secret = new Uint8Array(randomBytes(KEY_SECRET_BYTES));
  let h;
  try {
    h = await open(file, 'wx', 0o600);
  } catch (e) {
    // Created meanwhile by another start: use that one.
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateKeySecret(dir);
    throw e;
  }
  try {
    await h.writeFile(secret);
    await h.sync();
  } finally {
    await h.close();
  }
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
  return secret;
}
