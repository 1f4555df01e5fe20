import { targetByName } from './targets.js';
import { runTarget } from './harness.js';
for (const name of process.argv.slice(2)) {
  const t = targetByName(name)!;
  for (const timeoutMs of [undefined, 2000]) {
    const r = await runTarget(t, { runs: 2000, seed: 2, ...(timeoutMs ? { timeoutMs } : {}) });
    console.log(t.name, timeoutMs, r.cases, r.accepted, Math.round(r.ms), r.codes.slice(0, 8).map(([c, n]) => `${c}=${n}`).join(' '));
    if (r.failure) console.log(r.failure.error, '\n', r.failure.counterexample.slice(0, 800));
  }
}
process.exit(0);
