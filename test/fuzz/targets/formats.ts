/**
 * Fuzz targets for the pure wire-format parsers of @cairn/formats and @cairn/merkle. Each parser
 * must accept or throw its own error class; where the format has an exact formatter, an accepted
 * input must also round-trip byte for byte (a lenient parser shows up as a broken round trip).
 */
import fc from 'fast-check';
import {
  BundleError,
  CheckpointError,
  KeyError,
  LogListError,
  MAX_ADD_CHECKPOINT_BODY,
  MAX_BUNDLE_ENTRIES,
  MAX_CHECKPOINT_TEXT_LENGTH,
  MAX_KEY_TEXT_LENGTH,
  MAX_NOTE_SIZE,
  MAX_POLICY_SIZE,
  NoteError,
  PolicyError,
  WitnessRequestError,
  WitnessResponseError,
  decodeSignerKey,
  formatAddCheckpointRequest,
  formatCheckpoint,
  formatCosignatureLines,
  formatEntryBundle,
  formatLogList,
  formatNote,
  formatPolicy,
  formatSignerKey,
  formatSizeBody,
  formatVerifierKey,
  openCheckpoint,
  openNote,
  parseAddCheckpointRequest,
  parseCheckpoint,
  parseCosignatureLines,
  parseEntryBundle,
  parseLogList,
  parseNote,
  parsePolicy,
  parseSignerKey,
  parseSizeBody,
  parseVerifierKey,
  utf8DecodeStrict,
  type ParsedNote,
} from '@cairn/formats';
import { bytesEqual, formatTilePath, parseTilePath, TilePathError } from '@cairn/merkle';
import { isDeepStrictEqual } from 'node:util';
import { loadPolicy, VerifyError } from '@cairn/client/verify';
import {
  ALL_VERIFIERS,
  ED,
  LOG_VKEY,
  WITNESSES,
  validAddCheckpointBodies,
  validCheckpointTexts,
  validEntryBundles,
  validKeys,
  validLogLists,
  validNotes,
  validPolicies,
  validWitnessResponses,
} from '../fixtures.js';
import { FuzzFailure, accepted, invariant, only, rejected, type FuzzTarget, type Outcome } from '../harness.js';
import { bytesOrString, fuzzBytes, pool, stringsOf, utf8 } from '../mutate.js';

const asText = (x: Uint8Array | string): string => (typeof x === 'string' ? x : utf8DecodeStrict(x));

/** Runs a formatter on parsed output; any throw breaks the round-trip invariant. */
function roundTrip<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new FuzzFailure(`${what} threw on input its parser accepted: ${(e as Error).message}`, { cause: e });
  }
}

export const noteTarget: FuzzTarget<Uint8Array | string> = {
  name: 'note',
  description: 'parseNote + openNote (log and witness verifiers): only NoteError; accepted notes round-trip through formatNote',
  arbitrary: bytesOrString(fuzzBytes(pool(validNotes().map(utf8)), { caps: [MAX_NOTE_SIZE] })),
  run(input) {
    let parsed: ParsedNote | undefined;
    const p = only([NoteError], 'parseNote', () => {
      parsed = parseNote(input);
    });
    if (!p.accepted) return rejected(`parse:${p.code}`);
    const text = asText(input);
    invariant(roundTrip('formatNote', () => formatNote(parsed!)) === text, 'formatNote(parseNote(x)) !== x');
    const o = only([NoteError], 'openNote', () => openNote(input, ALL_VERIFIERS));
    return o.accepted ? accepted('verified') : rejected(`open:${o.code}`);
  },
};

export const checkpointTarget: FuzzTarget<Uint8Array | string> = {
  name: 'checkpoint',
  description: 'parseCheckpoint (CheckpointError only, round-trips) + openCheckpoint (NoteError | CheckpointError only)',
  arbitrary: bytesOrString(fuzzBytes(pool([...validCheckpointTexts(), ...validNotes()].map(utf8)), { caps: [MAX_CHECKPOINT_TEXT_LENGTH] })),
  run(input) {
    let code = 'body:skipped';
    if (typeof input === 'string') {
      const c = only([CheckpointError], 'parseCheckpoint', () => {
        const cp = parseCheckpoint(input);
        invariant(roundTrip('formatCheckpoint', () => formatCheckpoint(cp)) === input, 'formatCheckpoint(parseCheckpoint(x)) !== x');
      });
      code = c.accepted ? 'body:accepted' : `body:${c.code}`;
    }
    const o = only([NoteError, CheckpointError], 'openCheckpoint', () => openCheckpoint(input, ALL_VERIFIERS));
    return o.accepted ? accepted(`${code}/verified`) : rejected(`${code}/${o.code}`);
  },
};

export const keysTarget: FuzzTarget<string> = {
  name: 'keys',
  description: 'parseVerifierKey and parseSignerKey: only KeyError; accepted keys round-trip through their formatters',
  arbitrary: stringsOf(fuzzBytes(pool(validKeys().map(utf8)), { caps: [MAX_KEY_TEXT_LENGTH] })),
  run(input) {
    const v = only([KeyError], 'parseVerifierKey', () => {
      const k = parseVerifierKey(input, ED);
      invariant(roundTrip('formatVerifierKey', () => formatVerifierKey(k.name, k.alg, k.publicKey)) === input, 'vkey does not round-trip');
    });
    const s = only([KeyError], 'parseSignerKey', () => {
      const k = parseSignerKey(input, ED);
      const seed = decodeSignerKey(input, ED).seed;
      invariant(roundTrip('formatSignerKey', () => formatSignerKey(k.name, seed, ED)) === input, 'skey does not round-trip');
    });
    const code = `vkey:${v.code}/skey:${s.code}`;
    return v.accepted || s.accepted ? accepted(code) : rejected(code);
  },
};

export const addCheckpointTarget: FuzzTarget<Uint8Array> = {
  name: 'add-checkpoint',
  description: 'parseAddCheckpointRequest: only WitnessRequestError; accepted bodies round-trip',
  arbitrary: fuzzBytes(pool(validAddCheckpointBodies()), { caps: [MAX_ADD_CHECKPOINT_BODY] }),
  run(input) {
    return only([WitnessRequestError], 'parseAddCheckpointRequest', () => {
      const r = parseAddCheckpointRequest(input);
      invariant(bytesEqual(roundTrip('formatAddCheckpointRequest', () => formatAddCheckpointRequest(r)), input), 'body does not round-trip');
    });
  },
};

const tileRefs = fc.record({
  level: fc.oneof(fc.integer({ min: 0, max: 63 }), fc.constant('entries' as const)),
  index: fc.oneof(fc.bigInt({ min: 0n, max: 5000n }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })),
  width: fc.oneof(fc.integer({ min: 1, max: 255 }), fc.constant(256)),
}).map((r) => utf8(formatTilePath(r.level === 'entries' ? { entries: true, index: r.index, width: r.width } : { level: r.level, index: r.index, width: r.width })));

/** Tile paths: formatted from random references, then mutated. */
export const tilePathArbitrary = stringsOf(fuzzBytes(tileRefs, { maxRandomLength: 80 }));

export const tilePathTarget: FuzzTarget<string> = {
  name: 'tile-path',
  description: 'parseTilePath: only TilePathError; accepted paths round-trip through formatTilePath',
  arbitrary: tilePathArbitrary,
  run(input) {
    return only([TilePathError], 'parseTilePath', () => {
      const ref = parseTilePath(input);
      invariant(roundTrip('formatTilePath', () => formatTilePath(ref)) === input, 'tile path does not round-trip');
    });
  },
};

// Policy lines assembled from keywords, known names and keys: reaches the semantic checks.
const policyName = fc.constantFrom('w1', 'w2', 'w3', 'g1', 'g2', 'none', 'x', '#c');
const policyKey = fc.constantFrom(LOG_VKEY, ...WITNESSES.map((w) => w.vkey), 'not+a+key', `${LOG_VKEY}x`);
const policyLine = fc.oneof(
  fc.tuple(policyKey, fc.option(fc.constantFrom('https://x/', 'u'), { nil: undefined })).map(([k, u]) => `log ${k}${u === undefined ? '' : ` ${u}`}`),
  fc.tuple(policyName, policyKey).map(([n, k]) => `witness ${n} ${k}`),
  fc.tuple(policyName, fc.constantFrom('all', 'any', '0', '1', '2', '3', '01', '1000000000'), fc.array(policyName, { maxLength: 4 }))
    .map(([n, t, ms]) => `group ${n} ${t} ${ms.join(' ')}`),
  policyName.map((n) => `quorum ${n}`),
  fc.constantFrom('# comment', '', '  ', '\t# x'),
);
const structuredPolicies = fc.array(policyLine, { maxLength: 10 }).map((ls) => utf8(ls.join('\n') + '\n'));

export const policyTarget: FuzzTarget<Uint8Array | string> = {
  name: 'policy',
  description: 'parsePolicy: only PolicyError (accepted policies re-parse equal after formatPolicy); client loadPolicy: only VerifyError',
  arbitrary: bytesOrString(fuzzBytes(fc.oneof(pool(validPolicies().map(utf8)), structuredPolicies), { caps: [MAX_POLICY_SIZE] })),
  run: (input) => runPolicy(input),
};

function runPolicy(input: Uint8Array | string): Outcome {
  const p = only([PolicyError], 'parsePolicy', () => {
    const policy = parsePolicy(input);
    let text: string | undefined;
    try {
      text = formatPolicy(policy);
    } catch (e) {
      // formatPolicy is stricter about tokens than the parser (e.g. a URL starting with '#').
      if (!(e instanceof PolicyError)) throw e;
    }
    if (text !== undefined) invariant(isDeepStrictEqual(parsePolicy(text), policy), 'parsePolicy(formatPolicy(p)) differs from p');
  });
  const l = only([VerifyError], 'loadPolicy', () => loadPolicy(input));
  invariant(p.accepted === l.accepted, `parsePolicy ${p.code} but loadPolicy ${l.code}`);
  return p;
}

const logListLine = fc.oneof(
  fc.constantFrom(`vkey ${LOG_VKEY}`, `vkey ${WITNESSES[0]!.vkey}`, 'vkey x', 'logs/v0', '# c', ''),
  fc.constantFrom('qpd ', 'origin ', 'contact ', 'vkey ').chain((k) => fc.constantFrom('1', '0', '2147483647', '2147483648', '01', 'a b', '', ' x').map((v) => k + v)),
);
const structuredLogLists = fc.array(logListLine, { maxLength: 12 }).map((ls) => utf8(`logs/v0\n${ls.join('\n')}\n`));

export const logListTarget: FuzzTarget<Uint8Array | string> = {
  name: 'log-list',
  description: 'parseLogList: only LogListError; accepted lists re-parse equal after formatLogList',
  arbitrary: bytesOrString(fuzzBytes(fc.oneof(pool(validLogLists().map(utf8)), structuredLogLists))),
  run(input) {
    return only([LogListError], 'parseLogList', () => {
      const l = parseLogList(input);
      const again = parseLogList(roundTrip('formatLogList', () => formatLogList(l)));
      invariant(isDeepStrictEqual(again, l), 'parseLogList(formatLogList(l)) differs from l');
    });
  },
};

export const witnessResponseTarget: FuzzTarget<Uint8Array | string> = {
  name: 'witness-response',
  description: 'parseCosignatureLines and parseSizeBody (200 and 409 bodies): only WitnessResponseError; both round-trip',
  arbitrary: bytesOrString(fuzzBytes(pool(validWitnessResponses()), { caps: [20, 128 * 1024] })),
  run(input) {
    const lines = only([WitnessResponseError], 'parseCosignatureLines', () => {
      const ls = parseCosignatureLines(input);
      invariant(roundTrip('formatCosignatureLines', () => formatCosignatureLines(ls)) === asText(input), 'cosignature lines do not round-trip');
    });
    const size = only([WitnessResponseError], 'parseSizeBody', () => {
      const n = parseSizeBody(input);
      invariant(formatSizeBody(n) === asText(input), 'size body does not round-trip');
    });
    const code = `lines:${lines.code}/size:${size.code}`;
    return lines.accepted || size.accepted ? accepted(code) : rejected(code);
  },
};

export const entryBundleTarget: FuzzTarget<{ bytes: Uint8Array; count: number | undefined }> = {
  name: 'entry-bundle',
  description: 'parseEntryBundle (with and without an expected count, valid or not): only BundleError; accepted bundles round-trip',
  arbitrary: fc.record({
    bytes: fuzzBytes(pool(validEntryBundles()), { caps: [2 + 0xffff] }),
    count: fc.oneof(
      fc.constant(undefined),
      fc.integer({ min: 1, max: MAX_BUNDLE_ENTRIES }),
      fc.constantFrom(0, -1, 257, 1.5, Number.NaN, Infinity, 2 ** 53),
    ),
  }),
  run({ bytes, count }) {
    return only([BundleError], 'parseEntryBundle', () => {
      const entries = parseEntryBundle(bytes, count);
      invariant(bytesEqual(roundTrip('formatEntryBundle', () => formatEntryBundle(entries)), bytes), 'bundle does not round-trip');
    });
  },
};
