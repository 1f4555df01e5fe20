import { parsePolicy, parseLogList } from '@cairn/formats';
for (const n of [1000, 10000, 30000, 60000]) {
  const s = 'x' + ' '.repeat(n) + 'y\nquorum none\n';
  let t = performance.now();
  try { parsePolicy(s); } catch (e) { }
  const a = performance.now() - t;
  t = performance.now();
  try { parseLogList('logs/v0\nx' + ' '.repeat(n) + 'y\n'); } catch (e) { }
  console.log(n, 'policy', Math.round(a), 'ms', 'loglist', Math.round(performance.now() - t), 'ms');
}
