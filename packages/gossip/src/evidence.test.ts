import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { consistencyProof, treeHash } from '@cairn/merkle';
import { EvidenceError } from './errors.js';
import { evidenceConflictKey, evidenceId, formatEvidence, parseEvidence, type EvidenceRecord } from './evidence.js';
import { verifyEvidence } from './evidence-verify.js';
import { ORIGIN, forkLeaves, logKey, readerOf, signedCheckpoint } from './test-support.js';

const KEY = logKey();
const OTHER = logKey(ORIGIN, 9);
const A = forkLeaves('A', 5, 16);
const B = forkLeaves('B', 5, 16);
const T0 = '2026-07-01T12:00:00.000Z';
const PEER = '12D3KooWKnDdG3iXw9eTFijk3EWSunZcFi54Zka4wmtqtt6rPxc8';

function record(over: Partial<EvidenceRecord> & Pick<EvidenceRecord, 'kind' | 'notes'>): EvidenceRecord {
  return { version: 1, origin: ORIGIN, logVkeys: [KEY.vkey], observer: { name: 'witness-1', peerId: PEER }, createdAt: T0, ...over };
}
const seen = (note: string, from = 'local') => ({ note, seenAt: T0, from });

function equivocation(): EvidenceRecord {
  return record({ kind: 'equivocation', notes: [seen(signedCheckpoint(KEY, A, 10)), seen(signedCheckpoint(KEY, B, 10), PEER)] });
}

function inconsistency(m: number, n: number, small = A, large = B, proofFrom = large): EvidenceRecord {
  const pow2 = (m & (m - 1)) === 0;
  return record({
    kind: 'inconsistency',
    notes: [seen(signedCheckpoint(KEY, small, m)), seen(signedCheckpoint(KEY, large, n), PEER)],
    consistency: {
      oldSize: BigInt(m),
      newSize: BigInt(n),
      proof: consistencyProof(BigInt(m), BigInt(n), readerOf(proofFrom.slice(0, n))),
      ...(pow2 ? { prefixRoot: treeHash(proofFrom.slice(0, m)) } : {}),
    },
  });
}

test('equivocation: two log-signed roots for one size are proven, with the record keys or trusted keys', () => {
  const r = equivocation();
  assert.deepEqual(verifyEvidence(r), { proven: true, kind: 'equivocation', reason: verifyEvidence(r).reason, notesVerified: true });
  assert.equal(verifyEvidence(r, { logVkeys: [KEY.vkey] }).proven, true);
  assert.equal(verifyEvidence(r, { verifiers: [KEY.verifier] }).proven, true);
  // Under a key the caller trusts that did not sign, nothing is proven.
  assert.equal(verifyEvidence(r, { logVkeys: [OTHER.vkey] }).proven, false);
});

test('inconsistency: a proof from the forked larger tree binds root_n and shows a different prefix', () => {
  for (const [m, n] of [[10, 12], [8, 12], [6, 7], [6, 16], [15, 16]] as const) {
    const r = inconsistency(m, n);
    const v = verifyEvidence(r);
    assert.equal(v.proven, true, `${m}→${n}: ${v.reason}`);
    assert.equal(parseEvidence(formatEvidence(r)).consistency?.prefixRoot !== undefined, (m & (m - 1)) === 0);
  }
  // Forked before size 5 only: the honest prefix case is not evidence.
  const honest = inconsistency(5, 12);
  assert.equal(verifyEvidence(honest).proven, false);
  assert.match(verifyEvidence(honest).reason, /consistent/);
});

test('tampered records are not proven', () => {
  const r = inconsistency(10, 12);
  const c = r.consistency!;
  const flipped = c.proof.map((h, i) => (i === 0 ? Uint8Array.from(h, (b, j) => (j === 0 ? b ^ 1 : b)) : h));
  const cases: [string, EvidenceRecord][] = [
    ['proof element changed', { ...r, consistency: { ...c, proof: flipped } }],
    ['proof truncated', { ...r, consistency: { ...c, proof: c.proof.slice(1) } }],
    ['notes swapped', { ...r, notes: [r.notes[1], r.notes[0]] }],
    ['sizes do not match', { ...r, consistency: { ...c, oldSize: 9n } }],
    ['proof from the smaller view\'s own continuation', inconsistency(10, 12, A, B, A)],
    ['power-of-two prefix root from the smaller view', inconsistency(8, 12, A, B, A)],
    ['equal roots', record({ kind: 'equivocation', notes: [seen(signedCheckpoint(KEY, A, 10)), seen(signedCheckpoint(KEY, A, 10))] })],
    ['different sizes as equivocation', record({ kind: 'equivocation', notes: [seen(signedCheckpoint(KEY, A, 10)), seen(signedCheckpoint(KEY, B, 11))] })],
    ['signed by two different keys', record({ kind: 'equivocation', logVkeys: [KEY.vkey, OTHER.vkey], notes: [seen(signedCheckpoint(KEY, A, 10)), seen(signedCheckpoint(OTHER, B, 10))] })],
    ['other origin', { ...equivocation(), origin: 'example.com/other' }],
  ];
  for (const [what, bad] of cases) {
    assert.equal(verifyEvidence(bad).proven, false, what);
  }
  // A note whose signature line is altered does not verify.
  const note = r.notes[1].note;
  const i = note.lastIndexOf('\n', note.length - 2) + 20;
  const broken = note.slice(0, i) + (note[i] === 'A' ? 'B' : 'A') + note.slice(i + 1);
  assert.equal(verifyEvidence({ ...r, notes: [r.notes[0], { ...r.notes[1], note: broken }] }).proven, false);
});

test('unproven-inconsistency is never proven, though its notes verify', () => {
  const r = record({ kind: 'unproven-inconsistency', notes: inconsistency(10, 12).notes, failure: 'http-status: GET tile/0/000.p/12 answered 404' });
  const v = verifyEvidence(r);
  assert.equal(v.proven, false);
  assert.equal(v.notesVerified, true);
  assert.equal(v.kind, 'unproven-inconsistency');
  assert.deepEqual(parseEvidence(formatEvidence(r)), r);
});

test('round trip: parse(format(r)) = r, one canonical text, stable id and conflict key', () => {
  for (const r of [equivocation(), inconsistency(10, 12), inconsistency(8, 12)]) {
    const text = formatEvidence(r);
    assert.ok(text.endsWith('}\n'));
    assert.deepEqual(parseEvidence(text), r);
    assert.deepEqual(parseEvidence(new TextEncoder().encode(text)), r);
    assert.equal(formatEvidence(parseEvidence(text)), text);
    assert.match(evidenceId(r), /^[0-9a-f]{64}$/);
    assert.equal(evidenceId(r), evidenceId(parseEvidence(text)));
    // Same conflict seen by another observer: another id, same conflict key.
    const other = { ...r, observer: { name: 'witness-2', peerId: PEER } };
    assert.notEqual(evidenceId(other), evidenceId(r));
    assert.equal(evidenceConflictKey(other), evidenceConflictKey(r));
    // Re-spaced JSON is refused as non-canonical.
    const spaced = JSON.stringify(JSON.parse(text), null, 1) + '\n';
    assert.throws(() => parseEvidence(spaced), (e: unknown) => e instanceof EvidenceError && e.code === 'non-canonical');
  }
});

test('strict parsing: wrong shapes are EvidenceError with the documented codes', () => {
  const text = formatEvidence(equivocation());
  const obj = JSON.parse(text);
  const bad = (o: unknown) => JSON.stringify(o) + '\n';
  const code = (c: string) => (e: unknown) => e instanceof EvidenceError && e.code === c;
  assert.throws(() => parseEvidence('x'.repeat(256 * 1024 + 1)), code('too-large'));
  assert.throws(() => parseEvidence(new Uint8Array([0xff, 0xfe])), code('bad-utf8'));
  assert.throws(() => parseEvidence('{'), code('bad-json'));
  assert.throws(() => parseEvidence(42 as unknown as string), code('bad-input'));
  assert.throws(() => parseEvidence(bad({ ...obj, version: 2 })), code('bad-field'));
  assert.throws(() => parseEvidence(bad({ ...obj, extra: 1 })), code('bad-field'));
  assert.throws(() => parseEvidence(bad({ ...obj, kind: 'fork' })), code('bad-field'));
  assert.throws(() => parseEvidence(bad({ ...obj, notes: [obj.notes[0]] })), code('bad-field'));
  assert.throws(() => parseEvidence(bad({ ...obj, createdAt: '2026-07-01T12:00:00Z' })), code('bad-field'));
  assert.throws(() => parseEvidence(bad({ ...obj, logVkeys: [] })), code('bad-field'));
  assert.throws(() => parseEvidence(bad({ ...obj, consistency: { oldSize: '1', newSize: '2', proof: [] } })), code('bad-field'));
  assert.throws(() => parseEvidence(bad({ ...obj, notes: [{ ...obj.notes[0], note: 'not a note\n' }, obj.notes[1]] })), code('bad-field'));
  assert.throws(() => parseEvidence(bad({ ...obj, notes: [{ ...obj.notes[0], from: 'peer 0' }, obj.notes[1]] })), code('bad-field'));
  const inc = JSON.parse(formatEvidence(inconsistency(10, 12)));
  assert.throws(() => parseEvidence(bad({ ...inc, consistency: { ...inc.consistency, oldSize: '010' } })), code('bad-field'));
  assert.throws(() => parseEvidence(bad({ ...inc, consistency: { ...inc.consistency, proof: ['AAAA'] } })), code('bad-field'));
  assert.throws(() => parseEvidence(bad({ ...inc, consistency: { ...inc.consistency, prefixRoot: inc.consistency.proof[0] } })), code('bad-field'));
});

test('fast-check: random and mutated input only ever throws EvidenceError; accepted input is canonical', () => {
  const canonical = [formatEvidence(equivocation()), formatEvidence(inconsistency(8, 12))];
  const mutated = fc
    .tuple(fc.constantFrom(...canonical), fc.nat(), fc.string({ maxLength: 4 }), fc.nat({ max: 3 }))
    .map(([t, pos, s, del]) => {
      const i = pos % t.length;
      return t.slice(0, i) + s + t.slice(i + del);
    });
  const input = fc.oneof(fc.string(), fc.json(), mutated, fc.uint8Array({ maxLength: 64 }));
  fc.assert(
    fc.property(input, (x) => {
      try {
        const r = parseEvidence(x);
        assert.equal(formatEvidence(r), typeof x === 'string' ? x : new TextDecoder().decode(x));
        verifyEvidence(r); // never throws
      } catch (e) {
        assert.ok(e instanceof EvidenceError, `unexpected ${(e as Error)?.name}: ${(e as Error)?.message}`);
      }
    }),
    { numRuns: 500 },
  );
});
