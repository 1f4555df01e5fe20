/**
 * The log's signed checkpoints (c2sp.org/tlog-checkpoint; bytes are built by @cairn/formats).
 *
 * The log signs exactly `origin\nsize\nbase64(root)\n` — no extension lines — with one Ed25519
 * (type 0x01) signature whose key name is the key's own name (by default the origin):
 *
 * ```
 * example.com/log
 * 3
 * <44-char base64 root>
 *
 * — example.com/log <base64(4-byte key ID || 64-byte signature)>
 * ```
 */
import { formatCheckpoint, openCheckpoint, signNote, type Signer, type Verifier } from '@cairn/formats';
import { LogError } from './errors.js';

/** A checkpoint the log signed: the exact note bytes and what they say. */
export interface SignedCheckpoint {
  /** The exact signed note bytes (serve these; never re-serialise). */
  readonly note: Uint8Array;
  readonly size: bigint;
  readonly rootHash: Uint8Array;
  /** When the log signed it (ms, from the injected clock). */
  readonly time: number;
}

const utf8 = new TextEncoder();

/** Signs the checkpoint for (size, root). */
export function signCheckpoint(origin: string, size: bigint, rootHash: Uint8Array, signer: Signer, time: number): SignedCheckpoint {
  const text = formatCheckpoint({ origin, size, rootHash, extensions: [] });
  return { note: utf8.encode(signNote(text, [signer])), size, rootHash: rootHash.slice(), time };
}

/**
 * Verifies stored checkpoint bytes against the log's key and returns what they say; throws
 * LogError 'integrity' naming the problem.
 */
export function openStoredCheckpoint(note: Uint8Array, verifier: Verifier, origin: string): { size: bigint; rootHash: Uint8Array } {
  let opened;
  try {
    opened = openCheckpoint(note, [verifier]);
  } catch (cause) {
    throw new LogError('integrity', `the stored checkpoint does not verify under the log key: ${(cause as Error).message}`, { cause });
  }
  const c = opened.checkpoint;
  if (c.origin !== origin) {
    throw new LogError('integrity', `the stored checkpoint has origin ${JSON.stringify(c.origin)}, expected ${JSON.stringify(origin)}`);
  }
  if (c.extensions.length !== 0) throw new LogError('integrity', 'the stored checkpoint has extension lines');
  return { size: c.size, rootHash: c.rootHash };
}
