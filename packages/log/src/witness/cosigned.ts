/**
 * Cosigned checkpoints: the log's signed checkpoint note with the witnesses' cosignature/v1
 * lines appended (c2sp.org/tlog-cosignature, c2sp.org/signed-note). One note carries the log
 * signature first, then one line per cosigning witness in configuration order:
 *
 * ```
 * example.com/log
 * 5
 * QJ4dV0Xb5kq2xG7k2jEO8J5u6t1ZQ9pQm2vWbq1cS9k=
 *
 * — example.com/log Az3grlgt…=                     (type 0x01, the log key)
 * — witness-a.example.org 5Q1yAAAAAGmJ…=           (type 0x04, 104 base64 characters each)
 * — witness-b.example.org pQ8qAAAAAGmJ…=
 * ```
 *
 * The latest one is persisted under the `M` `cosigned` key (checkpoint record encoding) and,
 * on open, checked before it is served again: the log signature must verify, it must be
 * consistent with the latest signed checkpoint (LogError 'integrity' otherwise), and it must
 * still carry a quorum of the configured witnesses (else it is not served: the configuration
 * changed and the witnesses will cosign again).
 */
import {
  cosignatureTimestamp,
  formatNote,
  openNote,
  parseNote,
  FormatError,
  type NoteSignature,
} from '@cairn/formats';
import { EMPTY_ROOT, bytesEqual, verifyConsistency, type HashBackend } from '@cairn/merkle';
import { openStoredCheckpoint, type SignedCheckpoint } from '../checkpoint.js';
import { LogError } from '../errors.js';
import type { LogIdentity } from '../recovery.js';
import { decodeCheckpointRecord, encodeCheckpointRecord, KEY_COSIGNED } from '../storage/keys.js';
import type { LogStorage } from '../storage/types.js';
import type { Logger } from '../logger.js';
import type { PreparedCheckpoint } from './client.js';
import type { ResolvedWitness } from './config.js';

/** A witness whose cosignature a cosigned note carries. */
export interface Cosigner {
  readonly name: string;
  readonly url: string;
  /** The cosignature/v1 timestamp (POSIX seconds). */
  readonly timestamp: bigint;
}

/** A checkpoint the log signed and a quorum of witnesses cosigned; `note` holds every signature. */
export interface CosignedCheckpoint extends SignedCheckpoint {
  /** The configured witnesses whose cosignatures `note` carries, in configuration order. */
  readonly cosigners: readonly Cosigner[];
}

const utf8 = new TextEncoder();

/** The log's note with `sigs` (verified witness lines, in configuration order) appended. */
export function mergeCosignatures(p: PreparedCheckpoint, sigs: readonly { witness: ResolvedWitness; sig: NoteSignature }[]): CosignedCheckpoint {
  const parsed = parseNote(p.checkpoint.note);
  const note = formatNote({ text: parsed.text, signatures: [...parsed.signatures, ...sigs.map((s) => s.sig)] });
  const { size, rootHash, time } = p.checkpoint;
  return {
    note: utf8.encode(note), size, rootHash, time,
    cosigners: sigs.map((s) => ({ name: s.witness.name, url: s.witness.url, timestamp: cosignatureTimestamp(s.sig) })),
  };
}

/** The write that persists `c` (sync it). */
export function cosignedWrite(c: CosignedCheckpoint): { type: 'put'; key: Uint8Array; value: Uint8Array } {
  return { type: 'put', key: KEY_COSIGNED, value: encodeCheckpointRecord(c) };
}

/** Dependencies of {@link loadCosigned}. */
export interface LoadCosignedOptions {
  readonly storage: LogStorage;
  readonly id: Pick<LogIdentity, 'origin' | 'verifier'>;
  readonly witnesses: readonly ResolvedWitness[];
  readonly quorum: number;
  readonly latest: SignedCheckpoint;
  readonly consistencyProof: (m: bigint, n: bigint) => Promise<Uint8Array[]>;
  readonly backend: HashBackend;
  readonly logger: Logger;
}

/** Loads and checks the persisted cosigned checkpoint (see the module comment). */
export async function loadCosigned(o: LoadCosignedOptions): Promise<CosignedCheckpoint | undefined> {
  const raw = await o.storage.get(KEY_COSIGNED);
  if (raw === undefined) return undefined;
  const rec = decodeCheckpointRecord(raw);
  if (rec === undefined) throw new LogError('integrity', 'the stored cosigned checkpoint record is malformed');
  const signed = openStoredCheckpoint(rec.note, o.id.verifier, o.id.origin);
  if (signed.size !== rec.size || !bytesEqual(signed.rootHash, rec.rootHash)) {
    throw new LogError('integrity', `the stored cosigned checkpoint note (size ${signed.size}) disagrees with its record (size ${rec.size})`);
  }
  const latest = o.latest;
  if (rec.size > latest.size) {
    throw new LogError('integrity', `the stored cosigned checkpoint has size ${rec.size}, beyond the signed checkpoint's ${latest.size}`, {
      details: { cosignedSize: rec.size, size: latest.size },
    });
  }
  try {
    if (rec.size === latest.size) {
      if (!bytesEqual(rec.rootHash, latest.rootHash)) throw new Error('same size, different root');
    } else if (rec.size === 0n) {
      if (!bytesEqual(rec.rootHash, EMPTY_ROOT)) throw new Error('size 0 with a root other than the empty tree');
    } else {
      verifyConsistency(rec.size, latest.size, rec.rootHash, latest.rootHash, await o.consistencyProof(rec.size, latest.size), o.backend);
    }
  } catch (cause) {
    if (cause instanceof LogError) throw cause;
    throw new LogError('integrity', `the stored cosigned checkpoint (size ${rec.size}) is not consistent with the signed checkpoint (size ${latest.size}): ${(cause as Error).message}`, {
      cause, details: { cosignedSize: rec.size, size: latest.size, cosignedRoot: rec.rootHash, root: latest.rootHash },
    });
  }
  const cosigners: Cosigner[] = [];
  for (const w of o.witnesses) {
    try {
      const opened = openNote(rec.note, [w.verifier]);
      const sig = opened.verified[0];
      if (sig !== undefined) cosigners.push({ name: w.name, url: w.url, timestamp: cosignatureTimestamp(sig) });
    } catch (e) {
      if (!(e instanceof FormatError) || e.code === 'no-verified-signature') continue;
      o.logger.warn('the stored cosigned checkpoint carries a bad line for a configured witness; not serving it', { witness: w.url, error: e });
      return undefined;
    }
  }
  if (cosigners.length < o.quorum) {
    o.logger.warn('the stored cosigned checkpoint lacks a quorum of the configured witnesses; not serving it', {
      size: rec.size, cosigners: cosigners.length, quorum: o.quorum,
    });
    return undefined;
  }
  return { note: rec.note, size: rec.size, rootHash: rec.rootHash, time: rec.time, cosigners };
}
