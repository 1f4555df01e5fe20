/**
 * Keys, a small Merkle tree and valid inputs for the fuzz targets, all from fixed seeds and built
 * with the real formatters (so mutations start from exactly what our code emits). Keys: one log
 * (Ed25519, type 0x01), an impostor key with the log's name, and three witnesses (cosignature/v1,
 * type 0x04) under a 2-of-3 policy. Signing uses the node:crypto backend for speed.
 */
import {
  ALG_ED25519,
  cosignatureSigner,
  cosignatureVerifierKey,
  formatAddCheckpointRequest,
  formatCheckpoint,
  formatCosignatureLines,
  formatEntryBundle,
  formatLogList,
  formatPolicy,
  formatProofBundle,
  formatSizeBody,
  generateSignerKey,
  parseNote,
  parsePolicy,
  parseSignerKey,
  parseVerifierKey,
  signNote,
  utf8Encode,
  verifierKeyFromSigner,
  type Signer,
  type Verifier,
} from '@cairn/formats';
import { nodeEd25519 } from '@cairn/formats/node';
import { consistencyProof, EMPTY_ROOT, inclusionProof, leafHash, treeHash, type NodeReader } from '@cairn/merkle';

/** Ed25519 options: node:crypto backend. */
export const ED = { ed25519: nodeEd25519 } as const;
/** The verifier's clock (POSIX seconds) for every target that needs one. */
export const NOW = 1_750_000_000n;

const seed = (n: number): Uint8Array => new Uint8Array(32).fill(n);

export const LOG_ORIGIN = 'example.com/fuzz-log';
export const LOG_SKEY = generateSignerKey(LOG_ORIGIN, seed(1), ED);
export const LOG_VKEY = verifierKeyFromSigner(LOG_SKEY, ALG_ED25519, ED);
export const LOG_SIGNER: Signer = parseSignerKey(LOG_SKEY, ED);
export const LOG_VERIFIER: Verifier = parseVerifierKey(LOG_VKEY, ED);
/** Same name as the log, another key. */
export const IMPOSTOR_SKEY = generateSignerKey(LOG_ORIGIN, seed(9), ED);
export const IMPOSTOR_SIGNER: Signer = parseSignerKey(IMPOSTOR_SKEY, ED);

export const WITNESSES = [1, 2, 3].map((i) => {
  const skey = generateSignerKey(`w${i}.example.org`, seed(i + 1), ED);
  const vkey = cosignatureVerifierKey(skey, ED);
  return { name: `w${i}`, skey, vkey, verifier: parseVerifierKey(vkey, ED) };
});

/** A cosigner of witness `i` whose clock says `time`. */
export function cosigner(i: number, time: bigint = NOW - 10n): Signer {
  return cosignatureSigner(WITNESSES[i]!.skey, () => time, ED);
}

/** Every known verifier: the log and the three witnesses. */
export const ALL_VERIFIERS: readonly Verifier[] = [LOG_VERIFIER, ...WITNESSES.map((w) => w.verifier)];

export const POLICY_TEXT = [
  '# fuzz policy: the log and two of three witnesses',
  `log ${LOG_VKEY} https://log.example.com/`,
  ...WITNESSES.map((w) => `witness ${w.name} ${w.vkey}`),
  'group two-of-three 2 w1 w2 w3',
  'quorum two-of-three',
  '',
].join('\n');
export const POLICY = parsePolicy(POLICY_TEXT);

/** Entries of the fixture tree; their leaf hashes; node reader. */
export const ENTRIES: readonly Uint8Array[] = Array.from({ length: 40 }, (_, i) => utf8Encode(`fuzz event ${i}`));
export const LEAVES: readonly Uint8Array[] = ENTRIES.map((e) => leafHash(e));

export function readerFor(leaves: readonly Uint8Array[]): NodeReader {
  return {
    readNodes: (ids) =>
      ids.map(({ level, index }) => {
        const start = Number(index) * 2 ** level;
        return treeHash(leaves.slice(start, start + 2 ** level));
      }),
  };
}

export const rootAt = (size: number): Uint8Array => (size === 0 ? EMPTY_ROOT : treeHash(LEAVES.slice(0, size)));
export const inclusionAt = (index: number, size: number): Uint8Array[] =>
  inclusionProof(BigInt(index), BigInt(size), readerFor(LEAVES.slice(0, size)));
export const consistencyBetween = (m: number, n: number): Uint8Array[] =>
  m === 0 || m === n ? [] : consistencyProof(BigInt(m), BigInt(n), readerFor(LEAVES.slice(0, n)));

/** The checkpoint text of the fixture tree at `size`. */
export function checkpointText(size: number, opts: { root?: Uint8Array; origin?: string; extensions?: string[] } = {}): string {
  return formatCheckpoint({ origin: opts.origin ?? LOG_ORIGIN, size: BigInt(size), rootHash: opts.root ?? rootAt(size), extensions: opts.extensions ?? [] });
}

/** A checkpoint of `size` signed by the log and cosigned by the witnesses listed. */
export function cosignedCheckpoint(size: number, witnesses: readonly number[] = [0, 1], opts: { root?: Uint8Array; time?: bigint } = {}): string {
  return signNote(checkpointText(size, opts.root === undefined ? {} : { root: opts.root }), [
    LOG_SIGNER,
    ...witnesses.map((w) => cosigner(w, opts.time)),
  ]);
}

function memo<T>(f: () => T): () => T {
  let v: T | undefined;
  let done = false;
  return () => {
    if (!done) {
      v = f();
      done = true;
    }
    return v as T;
  };
}

/** Signed notes: plain, cosigned, impostor-signed, several texts. */
export const validNotes = memo((): string[] => {
  const out: string[] = [];
  for (const size of [0, 1, 2, 7, 13, 40]) {
    out.push(signNote(checkpointText(size), [LOG_SIGNER]));
    out.push(cosignedCheckpoint(size, [0, 1, 2]));
  }
  out.push(signNote('hello\nworld\n', [LOG_SIGNER, IMPOSTOR_SIGNER]));
  out.push(signNote('a single line of free text\n', [cosigner(2)]));
  out.push(signNote(checkpointText(5, { extensions: ['ext one', 'ext two'] }), [LOG_SIGNER, cosigner(0, 1n << 62n)]));
  out.push(signNote('\u00e9t\u00e9 \u{1f600}\n\n', [IMPOSTOR_SIGNER]));
  return out;
});

/** Checkpoint note texts (bodies only). */
export const validCheckpointTexts = memo((): string[] => [
  checkpointText(0),
  checkpointText(1),
  checkpointText(40),
  checkpointText(3, { extensions: ['extension line'] }),
  formatCheckpoint({ origin: 'o', size: (1n << 63n) - 1n, rootHash: new Uint8Array(32).fill(0xff), extensions: [] }),
]);

/** vkeys and skeys of several names and both types. */
export const validKeys = memo((): string[] => {
  const names = ['example.com/log', 'a', 'w\u00e9.example', 'name/with/slashes', '\u{1f600}'];
  const out: string[] = [];
  names.forEach((n, i) => {
    const skey = generateSignerKey(n, seed(20 + i), ED);
    out.push(skey, verifierKeyFromSigner(skey, ALG_ED25519, ED), cosignatureVerifierKey(skey, ED));
  });
  return out;
});

/** Add-checkpoint bodies of the fixture log (correct proofs), for several (old, size) pairs. */
export const validAddCheckpointBodies = memo((): Uint8Array[] => {
  const pairs: [number, number][] = [[0, 0], [0, 1], [0, 5], [1, 2], [3, 7], [4, 8], [7, 13], [13, 40], [40, 40], [1, 40]];
  return pairs.map(([m, n]) =>
    formatAddCheckpointRequest({ oldSize: BigInt(m), proof: consistencyBetween(m, n), checkpoint: signNote(checkpointText(n), [LOG_SIGNER]) }));
});

/** Proof bundles for several entries, cosigned by two witnesses (some with `extra`). */
export const validProofBundles = memo((): Uint8Array[] => {
  const out: Uint8Array[] = [];
  for (const [index, size] of [[0, 1], [0, 2], [5, 13], [12, 13], [31, 40], [39, 40]] as const) {
    const checkpoint = cosignedCheckpoint(size, [0, 2]);
    out.push(formatProofBundle({ index: BigInt(index), proof: inclusionAt(index, size), checkpoint }));
    out.push(formatProofBundle({ extra: utf8Encode(`extra ${index}`), index: BigInt(index), proof: inclusionAt(index, size), checkpoint }));
  }
  return out;
});

/** Policies: the fixture one, a `none` quorum, nested groups, comments and URLs. */
export const validPolicies = memo((): string[] => [
  POLICY_TEXT,
  `log ${LOG_VKEY}\nquorum none\n`,
  formatPolicy({
    logs: [{ vkey: LOG_VKEY }],
    witnesses: WITNESSES.map((w) => ({ name: w.name, vkey: w.vkey, url: `https://${w.name}.example.org/` })),
    groups: [{ name: 'g1', threshold: 'any', members: ['w1', 'w2'] }, { name: 'g2', threshold: 'all', members: ['g1', 'w3'] }],
    quorum: 'g2',
  }),
  `  # indented comment\n\tlog\t${LOG_VKEY}  \nwitness w1 ${WITNESSES[0]!.vkey}\n\nquorum w1\n`,
]);

/** `logs/v0` lists. */
export const validLogLists = memo((): string[] => [
  formatLogList({ logs: [{ vkey: LOG_VKEY, origin: LOG_ORIGIN, qpd: 86400, contact: 'ops@example.com' }] }),
  formatLogList({
    logs: [
      { vkey: LOG_VKEY, origin: 'example.org/other-origin', qpd: 24, contact: 'ops (at) example.org' },
      { vkey: verifierKeyFromSigner(IMPOSTOR_SKEY, ALG_ED25519, ED), origin: LOG_ORIGIN, qpd: 2147483647, contact: 'x' },
    ],
  }),
  `# comment\nlogs/v0\n\n  vkey ${LOG_VKEY}\nqpd 1\ncontact a b c\n`,
]);

/** 200 bodies (cosignature lines) and 409 bodies (sizes). */
export const validWitnessResponses = memo((): Uint8Array[] => {
  const note = cosignedCheckpoint(7, [0, 1, 2]);
  const sigs = parseNote(note).signatures;
  return [
    utf8Encode(formatCosignatureLines(sigs.slice(1, 2))),
    utf8Encode(formatCosignatureLines(sigs)),
    utf8Encode(formatSizeBody(0n)),
    utf8Encode(formatSizeBody(12345n)),
    utf8Encode(formatSizeBody((1n << 63n) - 1n)),
  ];
});

/** Entry bundles: full, partial, with empty and 64 KiB entries. */
export const validEntryBundles = memo((): Uint8Array[] => [
  formatEntryBundle(ENTRIES.slice(0, 1) as Uint8Array[]),
  formatEntryBundle(ENTRIES.slice(0, 13) as Uint8Array[]),
  formatEntryBundle([new Uint8Array(0), utf8Encode('hi'), new Uint8Array(0)]),
  formatEntryBundle(Array.from({ length: 256 }, (_, i) => utf8Encode(`e${i}`))),
  formatEntryBundle([new Uint8Array(0xffff).fill(0x61), utf8Encode('tail')]),
]);
