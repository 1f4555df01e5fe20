// Every bug `pnpm fuzz` found, replayed through the same fuzz target that found it (so the
// target's contract is what is checked), plus the direct call. The timeouts only turn a hang
// into a failure; nothing here asserts a speed.
//
// 1. policy / log-list (fixed in @cairn/formats, blanks.ts): lines were trimmed with
//    /^[ \t]+|[ \t]+$/g, which is quadratic in a run of blanks between two words. A 64 KiB
//    policy line took ~12 s; a logs/v0 list (capped at 16 MiB, fetched by witnesses from the
//    network) with one such line would never finish. Found as a HANG (policy, seed 7, case 3283).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogListError, MAX_POLICY_SIZE, PolicyError, parseLogList, parsePolicy, utf8Encode } from '@cairn/formats';
import { VerifyError, loadPolicy } from '@cairn/client/verify';
import { WitnessError, logSpecsFromLogList } from '@cairn/witness';
import { logListTarget, policyTarget } from './targets/formats.js';
import { POLICY_TEXT, validLogLists } from './fixtures.js';

const blanks = (n: number, c = ' '): string => c.repeat(n);

test('policy: a long run of blanks inside a line is rejected, not a hang', { timeout: 30_000 }, async () => {
  // The shape of the fuzz counterexample: a valid policy with a run of tabs inserted in a key.
  const at = POLICY_TEXT.indexOf('+B');
  const input = `${POLICY_TEXT.slice(0, at)}${blanks(40_000, '\t')}${POLICY_TEXT.slice(at)}`;
  assert.deepEqual(await policyTarget.run(input), { accepted: false, code: 'bad-vkey' });
  const line = `quorum x${blanks(MAX_POLICY_SIZE - 50)}y`;
  assert.throws(() => parsePolicy(`${line}\n`), (e: unknown) => e instanceof PolicyError && e.code === 'bad-arity');
  assert.throws(() => loadPolicy(utf8Encode(line)), (e: unknown) => e instanceof VerifyError && e.code === 'bad-policy');
});

test('log list: a long run of blanks inside a line is rejected, not a hang', { timeout: 30_000 }, async () => {
  const valid = validLogLists()[0]!;
  const at = valid.indexOf('qpd ') + 'qpd'.length;
  const input = `${valid.slice(0, at)}1${blanks(40_000)}${valid.slice(at)}`;
  assert.deepEqual(await logListTarget.run(input), { accepted: false, code: 'unexpected-line' });
  const big = `logs/v0\nvkey x${blanks(8 * 1024 * 1024)}y\n`;
  assert.throws(() => parseLogList(big), (e: unknown) => e instanceof LogListError && e.code === 'bad-vkey');
  // The witness loads its log list through the same parser.
  assert.throws(() => logSpecsFromLogList(big), (e: unknown) => e instanceof WitnessError && e.code === 'config');
});
