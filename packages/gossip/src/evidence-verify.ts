/**
 * Offline verification of split-view evidence (evidence.ts). No network, no clock; pure and
 * browser-safe.
 *
 * Both notes must verify under one common log key (the caller's trusted keys if given, else the
 * record's own `logVkeys`: then the record proves that whoever holds those keys signed two
 * conflicting statements), and both checkpoints must carry the record's origin. Then:
 *
 * - **equivocation** is proven when the sizes are equal and the roots differ: a log signs
 *   exactly one tree per size, so two roots for one size is a fork.
 * - **inconsistency** is proven when sizes m < n (m > 0) and the proof binds as follows. Run
 *   the RFC 9162 §2.1.4.2 steps over the proof (with `prefixRoot` prepended when m is a power
 *   of two) to get the two roots it commits to, `first` (size m) and `second` (size n)
 *   (`consistencyRoots` in @cairn/merkle). If `second == root_n` — the root the log signed at
 *   size n — then the proof's hashes are (up to SHA-256 collisions) nodes of that signed tree,
 *   so `first` is the root of the first m leaves of the tree the log committed to at size n. If
 *   `first != root_m` — the root the log signed at size m — the log signed a size-m tree that
 *   is not a prefix of its size-n tree: no append-only history contains both checkpoints. The
 *   proof need not come from an honest source: whoever built it, a proof that reproduces
 *   `root_n` pins the prefix. (A proof whose `second` differs from `root_n` proves nothing:
 *   anyone can write one.)
 * - **unproven-inconsistency** is never proven: the log did not serve what a proof needs, which
 *   is suspicious (and alarmed) but not a third-party-verifiable fork.
 */
import { FormatError, openCheckpoint, parseVerifierKey, type Checkpoint, type Verifier } from '@cairn/formats';
import { bytesEqual, consistencyRoots, MerkleError } from '@cairn/merkle';
import type { EvidenceKind, EvidenceRecord } from './evidence.js';

export interface VerifyEvidenceOptions {
  /** Trusted log vkeys; when given (or `verifiers`), the record's own `logVkeys` are ignored. */
  readonly logVkeys?: readonly string[];
  /** Trusted log verifiers (already parsed). */
  readonly verifiers?: readonly Verifier[];
}

export interface EvidenceVerdict {
  readonly proven: boolean;
  readonly kind: EvidenceKind;
  readonly reason: string;
  /** Both notes verified under a common log key with the record's origin (whatever the outcome). */
  readonly notesVerified: boolean;
}

function describe(e: unknown): string {
  if (e instanceof FormatError || e instanceof MerkleError) return `${e.code}: ${e.message}`;
  throw e;
}

const keyOf = (v: Pick<Verifier, 'name' | 'keyId'>): string => `${v.keyId}:${v.name}`;

/** Verifies a parsed record (see the module comment). Never throws for bad evidence. */
export function verifyEvidence(record: EvidenceRecord, options: VerifyEvidenceOptions = {}): EvidenceVerdict {
  const kind = record.kind;
  let notesVerified = false;
  const no = (reason: string): EvidenceVerdict => ({ proven: false, kind, reason, notesVerified });
  const yes = (reason: string): EvidenceVerdict => ({ proven: true, kind, reason, notesVerified });

  let verifiers: readonly Verifier[];
  if (options.verifiers !== undefined) verifiers = options.verifiers;
  else {
    try {
      verifiers = (options.logVkeys ?? record.logVkeys).map((k) => parseVerifierKey(k));
    } catch (e) {
      return no(`bad log vkey: ${describe(e)}`);
    }
  }
  if (verifiers.length === 0) return no('no log keys to verify with');

  const cps: Checkpoint[] = [];
  const signers: Set<string>[] = [];
  for (const [i, n] of record.notes.entries()) {
    try {
      const opened = openCheckpoint(n.note, verifiers);
      cps.push(opened.checkpoint);
      signers.push(new Set(opened.verified.map(keyOf)));
    } catch (e) {
      return no(`note ${i} does not verify under the log keys: ${describe(e)}`);
    }
  }
  const [a, b] = cps as [Checkpoint, Checkpoint];
  if (![...signers[0]!].some((k) => signers[1]!.has(k))) return no('the two notes share no verified log key');
  if (a.origin !== record.origin || b.origin !== record.origin) return no('a note origin differs from the record origin');
  notesVerified = true;

  switch (kind) {
    case 'equivocation':
      if (a.size !== b.size) return no(`equivocation needs equal sizes, got ${a.size} and ${b.size}`);
      if (bytesEqual(a.rootHash, b.rootHash)) return no('the two checkpoints have the same root');
      return yes(`the log signed two different roots for size ${a.size}`);
    case 'inconsistency': {
      const c = record.consistency;
      if (c === undefined) return no('no consistency proof');
      if (!(a.size < b.size)) return no(`inconsistency needs notes[0] smaller than notes[1], got ${a.size} and ${b.size}`);
      if (c.oldSize !== a.size || c.newSize !== b.size) return no('the proof sizes do not match the notes');
      let roots: { first: Uint8Array; second: Uint8Array };
      try {
        roots = consistencyRoots(a.size, b.size, c.proof, c.prefixRoot);
      } catch (e) {
        return no(`the proof is malformed: ${describe(e)}`);
      }
      if (!bytesEqual(roots.second, b.rootHash)) return no(`the proof does not lead to the signed root at size ${b.size}`);
      if (bytesEqual(roots.first, a.rootHash)) return no(`the checkpoints are consistent (${a.size} is a prefix of ${b.size})`);
      return yes(`the log's tree at size ${b.size} does not extend the tree it signed at size ${a.size}`);
    }
    case 'unproven-inconsistency':
      return no(`unproven: the log did not produce a consistency proof (${record.failure ?? 'no reason given'})`);
  }
}
