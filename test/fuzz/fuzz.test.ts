// Every fuzz target of targets.ts at a small count (`ciRuns`, default 400 cases), in-process,
// so `pnpm test` runs the same properties as `pnpm fuzz` on every change. The seed is random
// unless CAIRN_FUZZ_SEED is set; a failure prints the seed, path and counterexample and the
// `pnpm fuzz` command that replays it. CAIRN_FUZZ_RUNS overrides the count of every target.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CI_RUNS, runTarget } from './harness.js';
import { TARGETS } from './targets.js';

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  assert.match(v, /^-?[0-9]+$/, `${name} must be an integer`);
  return Number(v);
}

const seed = envInt('CAIRN_FUZZ_SEED') ?? Math.floor(Math.random() * 0x7fffffff);
const runsOverride = envInt('CAIRN_FUZZ_RUNS');

describe(`fuzz targets at CI counts (seed ${seed})`, () => {
  after(async () => {
    for (const t of TARGETS) await t.close?.();
  });

  for (const target of TARGETS) {
    test(target.name, async (t) => {
      const runs = runsOverride ?? target.ciRuns ?? DEFAULT_CI_RUNS;
      const r = await runTarget(target, { runs, seed, timeoutMs: 10_000 });
      const f = r.failure;
      assert.equal(f, undefined, f === undefined ? '' : [
        `${target.name}: ${f.error}`,
        f.report,
        `replay: pnpm fuzz --target ${target.name} --seed ${f.seed}${f.path === null ? '' : ` --path ${f.path}`}`,
      ].join('\n'));
      assert.equal(r.cases, runs);
      // Both shallow and deep paths: more than one distinct outcome in every target.
      assert.ok(r.codes.length >= 2, `only one outcome: ${JSON.stringify(r.codes)}`);
      t.diagnostic(`${r.cases} cases, ${r.accepted} accepted, ${r.codes.length} outcome codes, ${Math.round(r.ms)} ms`);
    });
  }
});
