/**
 * Gossip messages of @cairn/gossip: the checkpoint-topic validator and the alarm-topic
 * (evidence) validator. Contract (topics.ts): validators never throw and answer accept, reject or
 * ignore; reason `internal-error` means a bug was swallowed, so it counts as a failure here.
 * `parseEvidence` throws only EvidenceError, and the alarm validator rejects as `malformed` or
 * `oversized` exactly what parseEvidence rejects.
 *
 * Evidence inputs start from canonical records of every kind (proven equivocation, proven
 * inconsistency with and without `prefixRoot`, a consistent pair, unproven), then get JSON-aware
 * mutations (replace, delete or add a field anywhere, keeping the canonical key order) or byte
 * mutations.
 */
import fc from 'fast-check';
import { MAX_CHECKPOINT_MESSAGE_SIZE, MAX_EVIDENCE_SIZE, EvidenceError, formatEvidence, parseEvidence, validateCheckpointMessage, validateEvidenceMessage, type EvidenceRecord, type Validation } from '@cairn/gossip';
import { signNote, type Verifier } from '@cairn/formats';
import {
  IMPOSTOR_SIGNER, LOG_ORIGIN, LOG_SIGNER, LOG_VERIFIER, LOG_VKEY, WITNESSES, checkpointText, consistencyBetween, rootAt, validNotes,
} from '../fixtures.js';
import { accepted, classify, invariant, rejected, type FuzzTarget, type Outcome } from '../harness.js';
import { fuzzBytes, pool, utf8 } from '../mutate.js';

const LOG_VERIFIERS: readonly Verifier[] = [LOG_VERIFIER];
const logVerifiers = (origin: string): readonly Verifier[] | undefined => (origin === LOG_ORIGIN ? LOG_VERIFIERS : undefined);

function checkValidation(v: Validation<unknown>, what: string): Outcome {
  invariant(typeof v === 'object' && v !== null && ['accept', 'reject', 'ignore'].includes(v.result), `${what} returned ${String(v)}`);
  if (v.result === 'accept') return accepted('accept');
  invariant(v.reason !== 'internal-error', `${what} swallowed an internal error`);
  return rejected(`${v.result}:${v.reason}`);
}

const gossipNotes = (): Uint8Array[] => [
  ...validNotes().map(utf8),
  utf8(signNote(checkpointText(3, { origin: 'example.com/other' }), [LOG_SIGNER])),
  utf8(signNote(checkpointText(3), [IMPOSTOR_SIGNER])),
];

export interface GossipCheckpointInput {
  readonly data: Uint8Array;
  readonly origin: string;
}

export const gossipCheckpointTarget: FuzzTarget<GossipCheckpointInput> = {
  name: 'gossip-checkpoint',
  description: 'validateCheckpointMessage (checkpoint topic): never throws, accept/reject/ignore, never internal-error',
  arbitrary: fc.record({
    data: fuzzBytes(pool(gossipNotes()), { caps: [MAX_CHECKPOINT_MESSAGE_SIZE] }),
    origin: fc.constantFrom(LOG_ORIGIN, LOG_ORIGIN, 'example.com/other'),
  }),
  run({ data, origin }) {
    const verifiers = origin === LOG_ORIGIN ? LOG_VERIFIERS : [WITNESSES[0]!.verifier];
    return checkValidation(validateCheckpointMessage(data, origin, verifiers), 'validateCheckpointMessage');
  },
};

const note = (size: number, root?: Uint8Array): string => signNote(checkpointText(size, root === undefined ? {} : { root }), [LOG_SIGNER]);
const seen = (n: string, from = 'local') => ({ note: n, seenAt: '2026-07-01T12:00:00.000Z', from });
const base = {
  version: 1 as const,
  origin: LOG_ORIGIN,
  logVkeys: [LOG_VKEY],
  observer: { name: 'witness-1', peerId: '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo' },
  createdAt: '2026-07-01T12:00:00.300Z',
};

/** Canonical evidence records of every kind. */
export function validEvidence(): string[] {
  const records: EvidenceRecord[] = [
    { ...base, kind: 'equivocation', notes: [seen(note(7)), seen(note(7, rootAt(8)), '12D3KooWabc')] },
    {
      ...base, kind: 'inconsistency', notes: [seen(note(4, rootAt(5))), seen(note(13))],
      consistency: { oldSize: 4n, newSize: 13n, proof: consistencyBetween(4, 13), prefixRoot: rootAt(4) },
    },
    {
      ...base, kind: 'inconsistency', notes: [seen(note(5, rootAt(6))), seen(note(13))],
      consistency: { oldSize: 5n, newSize: 13n, proof: consistencyBetween(5, 13) },
    },
    { ...base, kind: 'inconsistency', notes: [seen(note(5)), seen(note(13))], consistency: { oldSize: 5n, newSize: 13n, proof: consistencyBetween(5, 13) } },
    { ...base, kind: 'unproven-inconsistency', notes: [seen(note(5)), seen(note(9, rootAt(3)))], failure: 'GET tile/0/000.p/9: 404' },
  ];
  return records.map(formatEvidence);
}

/** A JSON-aware edit: at the `at`-th value (pre-order), replace it, delete it, or add a field/element. */
interface JsonEdit {
  readonly at: number;
  readonly op: 'replace' | 'delete' | 'add';
  readonly key: string;
  readonly value: unknown;
}

function applyJsonEdit(text: string, e: JsonEdit): string {
  const root: unknown = JSON.parse(text);
  const slots: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach((x, i) => { slots.push({ parent: v, key: i }); walk(x); });
    else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) { slots.push({ parent: v as Record<string, unknown>, key: k }); walk(x); }
  };
  walk(root);
  const s = slots[e.at % slots.length]!;
  const parent = s.parent as Record<string | number, unknown>;
  if (e.op === 'replace') parent[s.key] = e.value;
  else if (e.op === 'delete') {
    if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 1);
    else delete parent[s.key];
  } else if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 0, e.value);
  else parent[e.key] = e.value;
  return JSON.stringify(root) + '\n';
}

const jsonEdit: fc.Arbitrary<JsonEdit> = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('replace' as const, 'replace' as const, 'delete' as const, 'add' as const),
  key: fc.constantFrom('x', 'kind', 'prefixRoot', 'failure', 'consistency', '__proto__', 'version'),
  value: fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom<unknown>('', '0', '01', '-1', '9223372036854775808', 1, 1.5, -0, 1e21, null, true, [], {},
      'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', '2026-02-30T12:00:00.000Z', '12D3KooW', LOG_VKEY, WITNESSES[0]!.vkey,
      'equivocation', 'inconsistency', 'unproven-inconsistency', note(1)),
  ),
});

const evidenceSeeds = pool(validEvidence().map(utf8));
const jsonMutated = fc.tuple(fc.constantFrom(...validEvidence()), fc.array(jsonEdit, { minLength: 1, maxLength: 3 }))
  .map(([t, es]) => utf8(es.reduce(applyJsonEdit, t)));

export const gossipEvidenceTarget: FuzzTarget<Uint8Array> = {
  name: 'gossip-evidence',
  description: 'parseEvidence (only EvidenceError) + validateEvidenceMessage (alarm topic): never throws, never internal-error, agrees with parseEvidence',
  arbitrary: fc.oneof(
    { weight: 1, arbitrary: fuzzBytes(evidenceSeeds, { caps: [MAX_EVIDENCE_SIZE] }) },
    { weight: 1, arbitrary: jsonMutated },
  ),
  run(data) {
    let parsed = true;
    try {
      parseEvidence(data);
    } catch (e) {
      classify(e, [EvidenceError], 'parseEvidence');
      parsed = false;
    }
    const v = validateEvidenceMessage(data, logVerifiers);
    const o = checkValidation(v, 'validateEvidenceMessage');
    if (!parsed) invariant(v.result === 'reject' && (v.reason === 'malformed' || v.reason === 'oversized'), `parseEvidence rejects but the validator says ${o.code}`);
    return o;
  },
};
