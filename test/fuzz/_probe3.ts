import fc from 'fast-check';
import { targetByName } from './targets.js';
for (const name of process.argv.slice(2)) {
  const t = targetByName(name)!;
  let s = performance.now();
  const xs = fc.sample(t.arbitrary, { numRuns: 2000, seed: 2 });
  const gen = performance.now() - s;
  s = performance.now();
  let big = 0; let bigMs = 0;
  for (const x of xs) { const a = performance.now(); try { await t.run(x); } catch {} const d = performance.now() - a; const len = (x as any).length ?? (x as any).body?.length ?? 0; if (len > 60000) { big++; bigMs += d; } }
  console.log(name, 'gen', Math.round(gen), 'run', Math.round(performance.now() - s), 'big', big, Math.round(bigMs));
}
process.exit(0);
