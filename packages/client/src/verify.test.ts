// Verification with real keys (fixed seeds, fake clock) and real Merkle trees: positive cases and
// the negative matrix, one VerifyError code per cause.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { addSignatures, cosignatureSigner, formatCheckpoint, parseNote, parseSignerKey, signNote } from '@cairn/formats';
import { EMPTY_ROOT } from '@cairn/merkle';
import {
  CheckpointTracker,
  EXIT_CODES,
  MILLISECOND_TIMESTAMP_THRESHOLD,
  VerifyError,
  exitCodeOf,
  loadPolicy,
  verifyCheckpoint,
  verifyConsistencyProof,
  verifyInclusionProof,
  verifyProofBundle,
  type VerifyErrorCode,
} from './verify.js';
import {
  ENTRIES,
  IMPOSTOR_SKEY,
  LEAVES,
  LOG_SKEY,
  NOW,
  ORIGIN,
  POLICY_NONE_TEXT,
  POLICY_TEXT,
  WITNESSES,
  bundleFor,
  consistencyBetween,
  inclusionAt,
  rootAt,
  signedCheckpoint,
} from './test-fixtures.js';

const policy = loadPolicy(POLICY_TEXT);
const opts = { now: NOW };

function rejects(code: VerifyErrorCode, f: () => unknown): VerifyError {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof VerifyError, `expected VerifyError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

describe('verifyCheckpoint', () => {
  test('accepts the log signature plus 2 of 3 witnesses, and reports them', () => {
    const note = signedCheckpoint(13);
    const v = verifyCheckpoint(note, policy, opts);
    assert.equal(v.origin, ORIGIN);
    assert.equal(v.size, 13n);
    assert.deepEqual(v.rootHash, rootAt(13));
    assert.equal(v.note, note);
    assert.deepEqual(v.witnesses.map((w) => [w.name, w.timestamp]), [['w1', NOW - 10n], ['w2', NOW - 5n]]);
    assert.equal(v.logKeys.length, 1);
    assert.ok(v.logKeys[0]!.startsWith(`${ORIGIN}+`));
    // Bytes in, same result; all three witnesses is fine too.
    const all = signedCheckpoint(13, [0, 1, 2].map((w) => ({ witness: w, time: NOW })));
    assert.equal(verifyCheckpoint(new TextEncoder().encode(all), policy, opts).witnesses.length, 3);
  });

  test('wrong log key: a signature by another key under the log name does not count', () => {
    const e = rejects('bad-log-signature', () => verifyCheckpoint(signedCheckpoint(13, undefined, { logSkey: IMPOSTOR_SKEY }), policy, opts));
    assert.match(e.message, /no valid signature from the policy's log key/);
    assert.equal(e.evidence.origin, ORIGIN);
  });

  test('a tampered log signature line is rejected', () => {
    const note = signedCheckpoint(13);
    const lines = note.split('\n');
    const i = lines.findIndex((l) => l.startsWith(`\u2014 ${ORIGIN} `));
    const sig = lines[i]!;
    const flipped = sig.slice(0, -6) + (sig.at(-6) === 'A' ? 'B' : 'A') + sig.slice(-5);
    lines[i] = flipped;
    rejects('bad-log-signature', () => verifyCheckpoint(lines.join('\n'), policy, opts));
  });

  test('a log the policy does not list', () => {
    rejects('unknown-log', () => verifyCheckpoint(signedCheckpoint(3, undefined, { origin: 'other.example/log' }), policy, opts));
  });

  test('origin pinning', () => {
    const e = rejects('origin-mismatch', () => verifyCheckpoint(signedCheckpoint(3), policy, { ...opts, origin: 'example.com/else' }));
    assert.equal(e.evidence.origin, ORIGIN);
    assert.equal(verifyCheckpoint(signedCheckpoint(3), policy, { ...opts, origin: ORIGIN }).size, 3n);
  });

  test('quorum not met names the missing witnesses', () => {
    const one = rejects('quorum-not-met', () => verifyCheckpoint(signedCheckpoint(13, [{ witness: 2, time: NOW }]), policy, opts));
    assert.deepEqual(one.evidence.missing, ['w1', 'w2']);
    assert.deepEqual(one.evidence.verified, ['w3']);
    assert.match(one.message, /missing w1, w2/);
    const none = rejects('quorum-not-met', () => verifyCheckpoint(signedCheckpoint(13, []), policy, opts));
    assert.deepEqual(none.evidence.missing, ['w1', 'w2', 'w3']);
    // Quorum "none" needs only the log.
    assert.equal(verifyCheckpoint(signedCheckpoint(13, []), loadPolicy(POLICY_NONE_TEXT), opts).witnesses.length, 0);
  });

  test('future cosignature timestamps: beyond the skew is rejected, within it accepted', () => {
    const late = [{ witness: 0, time: NOW }, { witness: 1, time: NOW + 301n }];
    const e = rejects('cosignature-in-future', () => verifyCheckpoint(signedCheckpoint(13, late), policy, opts));
    assert.equal(e.evidence.witness, 'w2');
    assert.equal(e.evidence.timestamp, NOW + 301n);
    const ok = [{ witness: 0, time: NOW }, { witness: 1, time: NOW + 300n }];
    assert.equal(verifyCheckpoint(signedCheckpoint(13, ok), policy, opts).size, 13n);
    // The skew is configurable.
    rejects('cosignature-in-future', () => verifyCheckpoint(signedCheckpoint(13, ok), policy, { ...opts, maxFutureSkew: 60 }));
  });

  test('millisecond cosignature timestamps are named as such, before the future check', () => {
    const ms = [{ witness: 0, time: NOW * 1000n }, { witness: 1, time: NOW }];
    const e = rejects('cosignature-in-milliseconds', () => verifyCheckpoint(signedCheckpoint(13, ms), policy, opts));
    assert.equal(e.evidence.witness, 'w1');
    // Even with an absurd skew allowance, milliseconds stay milliseconds.
    rejects('cosignature-in-milliseconds', () => verifyCheckpoint(signedCheckpoint(13, ms), policy, { ...opts, maxFutureSkew: 10n ** 15n }));
    const edge = [{ witness: 0, time: MILLISECOND_TIMESTAMP_THRESHOLD - 1n }, { witness: 1, time: NOW }];
    rejects('cosignature-in-future', () => verifyCheckpoint(signedCheckpoint(13, edge), policy, opts));
  });

  test('a valid cosignature line copied from another checkpoint is rejected as invalid', () => {
    const other = signedCheckpoint(5, [{ witness: 0, time: NOW }]);
    const copied = parseNote(other).signatures.find((s) => s.name === 'w1.example.org')!.line;
    const target = signedCheckpoint(13, [{ witness: 1, time: NOW }, { witness: 2, time: NOW }]);
    const forged = `${target}${copied}\n`;
    const e = rejects('bad-cosignature', () => verifyCheckpoint(forged, policy, opts));
    assert.equal(e.evidence.witness, 'w1');
    assert.equal(e.evidence.note, forged);
  });

  test('malformed notes and checkpoint bodies', () => {
    rejects('malformed', () => verifyCheckpoint('not a note', policy, opts));
    rejects('malformed', () => verifyCheckpoint(new Uint8Array([0xff, 0xfe]), policy, opts));
    // Properly signed by the log key, but the body is not a canonical checkpoint (size "01").
    const badBody = signNote(`${ORIGIN}\n01\n${Buffer.from(rootAt(1)).toString('base64')}\n`, [parseSignerKey(LOG_SKEY)]);
    const e = rejects('malformed', () => verifyCheckpoint(badBody, policy, opts));
    assert.equal(e.evidence.note, badBody);
  });

  test('now is required and must be seconds', () => {
    rejects('bad-input', () => verifyCheckpoint(signedCheckpoint(3), policy, { now: -1 }));
    rejects('bad-input', () => verifyCheckpoint(signedCheckpoint(3), policy, undefined as never));
  });
});

describe('verifyProofBundle', () => {
  test('every entry of a real tree verifies, by entry bytes or by leaf hash', () => {
    for (const size of [1, 2, 5, 8, 13]) {
      const note = signedCheckpoint(size);
      for (let i = 0; i < size; i++) {
        const r = verifyProofBundle(bundleFor(i, size, note), policy, { ...opts, entry: ENTRIES[i]! });
        assert.equal(r.index, BigInt(i));
        assert.deepEqual(r.leafHash, LEAVES[i]);
        assert.equal(r.checkpoint.size, BigInt(size));
      }
    }
    const r = verifyProofBundle(bundleFor(4, 13), policy, { ...opts, leafHash: LEAVES[4]!, index: 4n });
    assert.equal(r.index, 4n);
  });

  test('tampered entry', () => {
    const tampered = new TextEncoder().encode('audit event 4 (edited)');
    const e = rejects('inclusion-failed', () => verifyProofBundle(bundleFor(4, 13), policy, { ...opts, entry: tampered }));
    assert.equal(e.evidence.index, 4n);
    assert.equal(e.evidence.size, 13n);
    assert.ok(e.evidence.note?.startsWith(ORIGIN));
    assert.equal(e.evidence.proof?.length, inclusionAt(4, 13).length);
  });

  test('wrong index: the bundle claims another index than its proof', () => {
    rejects('inclusion-failed', () => verifyProofBundle(bundleFor(5, 13, undefined, inclusionAt(4, 13)), policy, { ...opts, entry: ENTRIES[4]! }));
    rejects('inclusion-failed', () => verifyProofBundle(bundleFor(13, 13, undefined, inclusionAt(4, 13)), policy, { ...opts, entry: ENTRIES[4]! }));
    rejects('entry-mismatch', () => verifyProofBundle(bundleFor(4, 13), policy, { ...opts, entry: ENTRIES[4]!, index: 5n }));
    rejects('entry-mismatch', () => verifyProofBundle(bundleFor(4, 13), policy, { ...opts, entry: ENTRIES[4]!, leafHash: LEAVES[5]! }));
  });

  test('the checkpoint inside is verified under the policy', () => {
    const weak = signedCheckpoint(13, [{ witness: 0, time: NOW }]);
    rejects('quorum-not-met', () => verifyProofBundle(bundleFor(4, 13, weak), policy, { ...opts, entry: ENTRIES[4]! }));
    const forged = signedCheckpoint(13, undefined, { logSkey: IMPOSTOR_SKEY });
    rejects('bad-log-signature', () => verifyProofBundle(bundleFor(4, 13, forged), policy, { ...opts, entry: ENTRIES[4]! }));
  });

  test('bad bundles and missing leaf', () => {
    rejects('bad-bundle', () => verifyProofBundle('c2sp.org/tlog-proof@v2\nindex 0\n\nx\n', policy, { ...opts, entry: ENTRIES[0]! }));
    rejects('bad-input', () => verifyProofBundle(bundleFor(0, 1), policy, opts));
  });

  test('arbitrary bytes only ever fail with VerifyError', () => {
    const base = bundleFor(2, 13);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: base.length - 1 }), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        const mutated = base.slice();
        mutated[at] = byte;
        try {
          verifyProofBundle(mutated, policy, { ...opts, entry: ENTRIES[2]! });
          return mutated[at] === base[at];
        } catch (e) {
          return e instanceof VerifyError;
        }
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          verifyProofBundle(bytes, policy, { ...opts, entry: ENTRIES[0]! });
          return false;
        } catch (e) {
          return e instanceof VerifyError;
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('inclusion and consistency proofs', () => {
  test('inclusion against a checkpoint body', () => {
    const cp = verifyCheckpoint(signedCheckpoint(13), policy, opts);
    verifyInclusionProof(cp, 12n, LEAVES[12]!, inclusionAt(12, 13));
    verifyInclusionProof(cp.checkpoint, 0n, LEAVES[0]!, inclusionAt(0, 13));
    rejects('inclusion-failed', () => verifyInclusionProof(cp, 12n, LEAVES[11]!, inclusionAt(12, 13)));
    rejects('inclusion-failed', () => verifyInclusionProof(cp, 13n, LEAVES[12]!, inclusionAt(12, 13)));
  });

  test('consistency between every pair of sizes up to 13', () => {
    const cps = Array.from({ length: 14 }, (_, n) => ({ origin: ORIGIN, size: BigInt(n), rootHash: n === 0 ? EMPTY_ROOT : rootAt(n), extensions: [] }));
    for (let m = 0; m <= 13; m++) {
      for (let n = m; n <= 13; n++) {
        const proof = m === 0 ? [] : consistencyBetween(m, n);
        verifyConsistencyProof(cps[m]!, cps[n]!, proof);
        if (m > 0 && m < n) rejects('consistency-failed', () => verifyConsistencyProof(cps[m]!, { ...cps[n]!, rootHash: rootAt(n - 1) }, proof));
      }
    }
    rejects('consistency-failed', () => verifyConsistencyProof(cps[5]!, cps[3]!, []));
    rejects('consistency-failed', () => verifyConsistencyProof(cps[0]!, cps[3]!, [rootAt(1)]));
    rejects('consistency-failed', () => verifyConsistencyProof({ ...cps[0]!, rootHash: rootAt(1) }, cps[3]!, []));
  });
});

describe('CheckpointTracker', () => {
  const at = (size: number, cosigs = [{ witness: 0, time: NOW - 100n + BigInt(size) }, { witness: 1, time: NOW - 100n + BigInt(size) }]) =>
    verifyCheckpoint(signedCheckpoint(size, cosigs), policy, opts);

  test('moves forward only with a valid consistency proof', () => {
    const t = new CheckpointTracker();
    assert.equal(t.update(at(5)).changed, true);
    assert.equal(t.proofNeeded(at(13)), 5n);
    const missing = rejects('consistency-failed', () => t.update(at(13)));
    assert.match(missing.message, /required/);
    const wrong = rejects('consistency-failed', () => t.update(at(13), consistencyBetween(4, 13)));
    assert.ok(wrong.evidence.note?.includes('\n13\n') && wrong.evidence.knownNote?.includes('\n5\n'), 'both notes are evidence');
    assert.ok(wrong.evidence.proof !== undefined);
    assert.equal(t.latest(ORIGIN)!.size, 5n, 'a failed update changes nothing');
    const r = t.update(at(13), consistencyBetween(5, 13));
    assert.equal(r.changed, true);
    assert.equal(r.previous?.size, 5n);
    assert.equal(t.latest(ORIGIN)!.size, 13n);
    assert.equal(t.update(at(13)).changed, false, 'the same tree again changes nothing');
    assert.deepEqual(t.origins(), [ORIGIN]);
    assert.equal(t.snapshot().length, 1);
  });

  test('stale checkpoints are refused', () => {
    const t = new CheckpointTracker([at(13)]);
    const e = rejects('stale-checkpoint', () => t.update(at(5)));
    assert.equal(e.evidence.size, 5n);
    assert.equal(e.evidence.knownSize, 13n);
    assert.equal(t.latest(ORIGIN)!.size, 13n);
  });

  test('a witness that cosigned an older tree later than a newer one is a rollback', () => {
    const t = new CheckpointTracker([at(13, [{ witness: 0, time: NOW - 50n }, { witness: 1, time: NOW - 50n }])]);
    const older = at(5, [{ witness: 0, time: NOW - 10n }, { witness: 2, time: NOW - 60n }]);
    const e = rejects('rollback', () => t.update(older));
    assert.equal(e.evidence.witness, 'w1');
    // And the other way round: a newer tree with an earlier timestamp than the known older one.
    const t2 = new CheckpointTracker([at(5, [{ witness: 0, time: NOW - 10n }, { witness: 1, time: NOW - 10n }])]);
    rejects('rollback', () => t2.update(at(13, [{ witness: 0, time: NOW - 20n }, { witness: 2, time: NOW }]), consistencyBetween(5, 13)));
  });

  test('two log-signed trees of one size are an equivocation with both notes', () => {
    const t = new CheckpointTracker([at(5)]);
    const fork = verifyCheckpoint(signedCheckpoint(5, undefined, { root: rootAt(4) }), policy, opts);
    const e = rejects('equivocation', () => t.update(fork));
    assert.equal(e.evidence.note, fork.note);
    assert.equal(e.evidence.knownNote, t.latest(ORIGIN)!.note);
  });

  test('only checkpoints that went through verifyCheckpoint are accepted', () => {
    const real = at(5);
    rejects('bad-input', () => new CheckpointTracker().update({ ...real }));
  });
});

describe('errors', () => {
  test('every code has its own exit code, clear of 0–3', () => {
    const codes = Object.values(EXIT_CODES);
    assert.equal(new Set(codes).size, codes.length);
    for (const c of codes) assert.ok(c > 3 && c < 126, String(c));
    assert.equal(exitCodeOf(new VerifyError('rollback', 'x')), EXIT_CODES.rollback);
    assert.equal(exitCodeOf(new Error('x')), undefined);
  });

  test('toJSON keeps the evidence in JSON-safe form', () => {
    const e = rejects('inclusion-failed', () => verifyProofBundle(bundleFor(4, 13), policy, { ...opts, entry: ENTRIES[5]! }));
    const j = JSON.parse(JSON.stringify(e)) as { code: string; exitCode: number; evidence: { index: string; proof: string[]; leafHash: string } };
    assert.equal(j.code, 'inclusion-failed');
    assert.equal(j.exitCode, EXIT_CODES['inclusion-failed']);
    assert.equal(j.evidence.index, '4');
    assert.equal(j.evidence.leafHash, Buffer.from(LEAVES[5]!).toString('base64'));
    assert.equal(j.evidence.proof.length, inclusionAt(4, 13).length);
  });
});

describe('loadPolicy', () => {
  test('errors name the line', () => {
    const text = POLICY_TEXT.replace('group two-of-three 2', 'group two-of-three 4');
    const e = rejects('bad-policy', () => loadPolicy(text, 'policy.txt'));
    const line = text.split('\n').findIndex((l) => l.startsWith('group')) + 1;
    assert.equal(e.evidence.line, line);
    assert.match(e.message, new RegExp(`^policy.txt: line ${line}: `));
    assert.equal(rejects('bad-policy', () => loadPolicy('log nope\nquorum none\n')).evidence.line, 1);
    assert.equal(rejects('bad-policy', () => loadPolicy(`log ${'x'}\n`)).evidence.line, 1);
    rejects('bad-policy', () => loadPolicy(POLICY_NONE_TEXT.replace('quorum none\n', '')));
  });

  test('a witness key the policy lists but that signs as the log does not count as the log', () => {
    const w = WITNESSES[0]!;
    const note = addSignatures(formatCheckpointNote(3), [cosignatureSigner(w.skey, () => NOW)]);
    rejects('bad-log-signature', () => verifyCheckpoint(note, policy, opts));
  });
});

function formatCheckpointNote(size: number): string {
  // A note signed only by a witness: a text, then one signature line added later.
  const text = formatCheckpoint({ origin: ORIGIN, size: BigInt(size), rootHash: rootAt(size), extensions: [] });
  return signNote(text, [cosignatureSigner(WITNESSES[1]!.skey, () => NOW)]);
}
