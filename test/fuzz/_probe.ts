import { TARGETS } from './targets.js';
import { runTarget } from './harness.js';
for (const t of TARGETS) {
  const r = await runTarget(t, { runs: 200, seed: 1, timeoutMs: 2000 });
  console.log(t.name, r.cases, r.accepted, r.rejected, Math.round(r.ms), r.codes.slice(0, 6).map(([c, n]) => `${c}=${n}`).join(' '));
  if (r.failure) console.log(r.failure.error, '\n', r.failure.counterexample.slice(0, 800));
}
process.exit(0);
