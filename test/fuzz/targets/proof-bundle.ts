/**
 * tlog-proof bundles: `parseProofBundle` (only ProofBundleError; accepted bundles round-trip)
 * and the whole offline verification `verifyProofBundle` of @cairn/client under the fixture
 * policy (only VerifyError). The options are fuzzed too (clock, entry, leaf hash, index,
 * origin), with `match` meaning "the right entry for the bundle's index", so that mutated bundles
 * reach signature, quorum and inclusion checks. Soundness: an accepted bundle must prove a leaf
 * of the fixture tree at its index under the fixture root.
 */
import fc from 'fast-check';
import { MAX_PROOF_BUNDLE_SIZE, ProofBundleError, formatProofBundle, parseProofBundle, type ProofBundle } from '@cairn/formats';
import { VerifyError, verifyProofBundle, type VerifyProofBundleOptions } from '@cairn/client/verify';
import { bytesEqual } from '@cairn/merkle';
import { ENTRIES, LEAVES, LOG_ORIGIN, NOW, POLICY, rootAt, validProofBundles } from '../fixtures.js';
import { FuzzFailure, accepted, invariant, only, rejected, type FuzzTarget } from '../harness.js';
import { bytesOrString, fuzzBytes, pool, utf8 } from '../mutate.js';

type Choice<T> = 'match' | T | undefined;

export interface ProofBundleInput {
  readonly bundle: Uint8Array | string;
  readonly now: unknown;
  readonly maxFutureSkew: unknown;
  readonly entry: Choice<Uint8Array>;
  readonly leafHash: Choice<Uint8Array>;
  readonly index: Choice<bigint>;
  readonly origin: string | undefined;
}

const clock = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<unknown>(NOW, Number(NOW)) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(0, -1, -1n, Number.NaN, Infinity, 1e300, 2 ** 53, 0.5, '1750000000', null) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }) },
);

const arbitrary: fc.Arbitrary<ProofBundleInput> = fc.record({
  bundle: bytesOrString(fuzzBytes(pool(validProofBundles()), { caps: [MAX_PROOF_BUNDLE_SIZE] })),
  now: clock,
  maxFutureSkew: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: clock }),
  entry: fc.oneof(
    { weight: 6, arbitrary: fc.constant<'match'>('match') },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  ),
  leafHash: fc.oneof(
    { weight: 6, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: fc.constant<'match'>('match') },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 0, maxLength: 40 }) },
    { weight: 1, arbitrary: fc.constantFrom(...LEAVES) },
  ),
  index: fc.oneof(
    { weight: 6, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: fc.constant<'match'>('match') },
    { weight: 1, arbitrary: fc.bigInt({ min: -2n, max: 50n }) },
  ),
  origin: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(LOG_ORIGIN, 'example.com/other') }),
});

function options(input: ProofBundleInput, parsed: ProofBundle | undefined): VerifyProofBundleOptions {
  const i = parsed === undefined ? undefined : Number(parsed.index);
  const pick = <T>(c: Choice<T>, right: T | undefined): T | undefined => (c === 'match' ? right : c);
  const entry = pick(input.entry, i === undefined ? undefined : ENTRIES[i]);
  const leafHash = pick(input.leafHash, i === undefined ? undefined : LEAVES[i]);
  const index = pick(input.index, parsed?.index);
  // Deliberately loose: the options come from callers and must be checked (bad-input).
  return {
    now: input.now as bigint,
    ...(input.maxFutureSkew !== undefined ? { maxFutureSkew: input.maxFutureSkew as bigint } : {}),
    ...(entry !== undefined ? { entry } : {}),
    ...(leafHash !== undefined ? { leafHash } : {}),
    ...(index !== undefined ? { index } : {}),
    ...(input.origin !== undefined ? { origin: input.origin } : {}),
  };
}

export const proofBundleTarget: FuzzTarget<ProofBundleInput> = {
  name: 'proof-bundle',
  description: 'parseProofBundle (only ProofBundleError, round-trips) + client verifyProofBundle under a 2-of-3 policy (only VerifyError, sound)',
  arbitrary,
  run(input) {
    let parsed: ProofBundle | undefined;
    const p = only([ProofBundleError], 'parseProofBundle', () => {
      parsed = parseProofBundle(input.bundle);
      let again: Uint8Array;
      try {
        again = formatProofBundle(parsed);
      } catch (e) {
        throw new FuzzFailure(`formatProofBundle threw on an accepted bundle: ${(e as Error).message}`, { cause: e });
      }
      invariant(bytesEqual(again, typeof input.bundle === 'string' ? utf8(input.bundle) : input.bundle), 'bundle does not round-trip');
    });
    const opts = options(input, parsed);
    let code = '';
    const v = only([VerifyError], 'verifyProofBundle', () => {
      const r = verifyProofBundle(input.bundle, POLICY, opts);
      const i = Number(r.index);
      invariant(r.index < BigInt(LEAVES.length) && bytesEqual(r.leafHash, LEAVES[i]!), `accepted a leaf that is not entry ${r.index}`);
      invariant(r.checkpoint.size <= BigInt(LEAVES.length) && bytesEqual(r.checkpoint.rootHash, rootAt(Number(r.checkpoint.size))), 'accepted a foreign root');
      code = 'verified';
    });
    invariant(p.accepted || !v.accepted, 'verifyProofBundle accepted a bundle parseProofBundle rejects');
    return v.accepted ? accepted(code) : rejected(p.accepted ? `verify:${v.code}` : `parse:${p.code}`);
  },
};
