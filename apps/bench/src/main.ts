/**
 * `pnpm bench <suite> [options]`: Cairn's benchmarks. Each prints one line per figure with its
 * conditions; results and commands are recorded in docs/benchmarks.md. Suites: core.
 */
import { parseArgs } from 'node:util';
import { benchCore } from './core.js';

const HELP = `Usage: pnpm bench <suite> [options]

Suites:
  core    tree building, proof verification, Ed25519 and cosignature rates (each backend)

Options:
  --entries N   entries for tree building (default 1000000)
  --quick       shorter runs (for smoke tests)
  -h, --help    show this help`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: { entries: { type: 'string' }, quick: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help || positionals.length === 0) {
    process.stdout.write(HELP + '\n');
    return values.help ? 0 : 2;
  }
  const entries = values.entries === undefined ? 1_000_000 : Number(values.entries);
  if (!Number.isSafeInteger(entries) || entries < 1) {
    process.stderr.write(`--entries must be a positive integer\n`);
    return 2;
  }
  for (const suite of positionals) {
    if (suite === 'core') await benchCore({ entries, quick: values.quick === true });
    else {
      process.stderr.write(`unknown suite ${suite}\n${HELP}\n`);
      return 2;
    }
  }
  return 0;
}

main(process.argv.slice(2)).then((c) => { process.exitCode = c; }, (e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
