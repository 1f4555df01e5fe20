/**
 * Test-only fixtures (not exported by the package): a log key and three witness keys from fixed
 * seeds, a policy (2 of 3 witnesses), a real Merkle tree of small entries, and helpers that sign
 * and cosign checkpoints with a fake clock.
 */
import {
  cosignatureSigner,
  cosignatureVerifierKey,
  formatCheckpoint,
  formatProofBundle,
  generateSignerKey,
  parseSignerKey,
  signNote,
  utf8Encode,
  verifierKeyFromSigner,
} from '@cairn/formats';
import { consistencyProof, inclusionProof, leafHash, treeHash, type NodeReader } from '@cairn/merkle';

export const ORIGIN = 'example.com/cairn-client-test';
/** The fake "now" of every test, POSIX seconds. */
export const NOW = 1_750_000_000n;

const seed = (n: number): Uint8Array => new Uint8Array(32).fill(n);

export const LOG_SKEY = generateSignerKey(ORIGIN, seed(1));
export const LOG_VKEY = verifierKeyFromSigner(LOG_SKEY);
/** Same name as the log, another key: a key the policy does not trust. */
export const IMPOSTOR_SKEY = generateSignerKey(ORIGIN, seed(9));

export const WITNESSES = [
  { name: 'w1', skey: generateSignerKey('w1.example.org', seed(2)) },
  { name: 'w2', skey: generateSignerKey('w2.example.org', seed(3)) },
  { name: 'w3', skey: generateSignerKey('w3.example.org', seed(4)) },
] as const;

export const POLICY_TEXT = [
  '# the test log and two of three witnesses',
  `log ${LOG_VKEY}`,
  ...WITNESSES.map((w) => `witness ${w.name} ${cosignatureVerifierKey(w.skey)}`),
  'group two-of-three 2 w1 w2 w3',
  'quorum two-of-three',
  '',
].join('\n');

export const POLICY_NONE_TEXT = `log ${LOG_VKEY}\nquorum none\n`;

export const ENTRIES: Uint8Array[] = Array.from({ length: 13 }, (_, i) => utf8Encode(`audit event ${i}`));
export const LEAVES = ENTRIES.map((e) => leafHash(e));

/** A node reader over the first `size` leaves (complete subtrees only). */
export function readerFor(leaves: readonly Uint8Array[]): NodeReader {
  return {
    readNodes: (ids) =>
      ids.map(({ level, index }) => {
        const start = Number(index) << level;
        return treeHash(leaves.slice(start, start + (1 << level)));
      }),
  };
}

export const rootAt = (size: number, leaves: readonly Uint8Array[] = LEAVES): Uint8Array => treeHash(leaves.slice(0, size));
export const inclusionAt = (index: number, size: number): Uint8Array[] => inclusionProof(BigInt(index), BigInt(size), readerFor(LEAVES.slice(0, size)));
export const consistencyBetween = (m: number, n: number): Uint8Array[] => consistencyProof(BigInt(m), BigInt(n), readerFor(LEAVES.slice(0, n)));

export interface CosignSpec {
  /** Index into WITNESSES. */
  readonly witness: number;
  /** Cosignature timestamp, POSIX seconds. */
  readonly time: bigint;
}

/** The checkpoint body of the tree of `size` (or of an explicit root). */
export function checkpointText(size: number, root: Uint8Array = rootAt(size), origin = ORIGIN): string {
  return formatCheckpoint({ origin, size: BigInt(size), rootHash: root, extensions: [] });
}

/** Signs a checkpoint with the log key (or `logSkey`) and cosigns it as specified. */
export function signedCheckpoint(
  size: number,
  cosigs: readonly CosignSpec[] = [{ witness: 0, time: NOW - 10n }, { witness: 1, time: NOW - 5n }],
  opts: { root?: Uint8Array; logSkey?: string; origin?: string } = {},
): string {
  const text = checkpointText(size, opts.root ?? rootAt(size), opts.origin ?? ORIGIN);
  const signers = [
    parseSignerKey(opts.logSkey ?? LOG_SKEY),
    ...cosigs.map((c) => cosignatureSigner(WITNESSES[c.witness]!.skey, () => c.time)),
  ];
  return signNote(text, signers);
}

/** A tlog-proof bundle for entry `index` in the tree of `size`. */
export function bundleFor(index: number, size: number, note: string = signedCheckpoint(size), proof = inclusionAt(index, size)): Uint8Array {
  return formatProofBundle({ index: BigInt(index), proof, checkpoint: note });
}
