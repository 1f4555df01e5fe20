/**
 * What an operator holding the log's signer key (and nothing else) can forge: checkpoints over
 * any tree, consistency proofs over trees it builds itself, notes with signature lines removed,
 * replayed or made with keys it invents. Pure helpers over the public formats.
 */
import { readFile } from 'node:fs/promises';
import {
  addSignatures, cosignatureSigner, decodeBase64Strict, formatAddCheckpointRequest, formatCheckpoint, generateSignerKey,
  parseNote, parseSignerKey, signNote,
} from '@cairn/formats';
import { consistencyProof, leafHash, treeHash, type NodeReader } from '@cairn/merkle';
import type { LogClient } from '@cairn/client';

/** The signer of a key file written by `cairn keygen`. */
export async function signerFromFile(file: string) {
  return parseSignerKey((await readFile(file, 'utf8')).trim());
}

/** A log-signed checkpoint note (no cosignatures) for (origin, size, root). */
export function signCheckpoint(signer: ReturnType<typeof parseSignerKey>, origin: string, size: bigint, root: Uint8Array): string {
  return signNote(formatCheckpoint({ origin, size, rootHash: root, extensions: [] }), [signer]);
}

/** A node reader over a list of leaf hashes held in memory. */
export function readerOf(leaves: readonly Uint8Array[]): NodeReader {
  return {
    readNodes: (ids) => ids.map(({ level, index }) => {
      const start = Number(index) << level;
      return treeHash(leaves.slice(start, start + (1 << level)));
    }),
  };
}

/** The leaf hashes of the log's first `n` entries (tRPC `entries`, 256 at a time). */
export async function leafHashesOf(log: LogClient, n: bigint): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let from = 0n; from < n; from += 256n) {
    const to = from + 256n < n ? from + 256n : n;
    const r = await log.log.entries.query({ from: from.toString(), to: to.toString() });
    for (const e of r.entries) out.push(leafHash(decodeBase64Strict(e)));
  }
  return out;
}

/**
 * A fork: the first `shared` leaves of `real`, then `extra` invented ones; returns its leaves, a
 * log-signed checkpoint at its full size and an add-checkpoint body from `shared` (with the proof).
 */
export function forkFrom(signer: ReturnType<typeof parseSignerKey>, origin: string, real: readonly Uint8Array[], shared: bigint, extra: number, tag: string) {
  const leaves = [...real.slice(0, Number(shared)), ...Array.from({ length: extra }, (_, i) => leafHash(new TextEncoder().encode(`${tag}-${i}`)))];
  const size = BigInt(leaves.length);
  const note = signCheckpoint(signer, origin, size, treeHash(leaves));
  const proof = shared === 0n ? [] : consistencyProof(shared, size, readerOf(leaves));
  return { leaves, size, note, body: formatAddCheckpointRequest({ oldSize: shared, proof, checkpoint: note }) };
}

/** The signature lines of a note whose key name is `name`. */
export function linesOf(note: string, name: string): string[] {
  return parseNote(note).signatures.filter((s) => s.name === name).map((s) => s.line);
}

/** `note` with the signature lines of the named keys removed and `add` appended (text untouched). */
export function editSignatures(note: string, drop: readonly string[], add: readonly string[] = []): string {
  const parsed = parseNote(note);
  const kept = parsed.signatures.filter((s) => !drop.includes(s.name)).map((s) => s.line);
  return `${parsed.text}\n${[...kept, ...add].join('\n')}\n`;
}

/** A cosignature/v1 line under witness name `name` made with a freshly invented key. */
export function inventedCosignature(note: string, name: string, timestamp: bigint): string {
  const signer = cosignatureSigner(generateSignerKey(name), () => timestamp);
  const signed = addSignatures(note, [signer]);
  return linesOf(signed, name).find((l) => !note.includes(l))!;
}
