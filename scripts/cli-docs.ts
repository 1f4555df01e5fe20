/**
 * `pnpm docs:cli`: rewrites the generated parts of docs/cli.md — the command list (from the
 * CLI's registry) and the exit-status table (apps/cli/src/lib/exit-codes.ts, built from the
 * constants the commands use). `--check` only compares, and fails when the file is out of date
 * (test/docs/cli-docs.test.ts runs that check).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { commands } from '../apps/cli/src/registry.js';
import { exitCodesMarkdown } from '../apps/cli/src/lib/exit-codes.js';
import { replaceSection } from './doc-sections.js';

export const CLI_DOC = fileURLToPath(new URL('../docs/cli.md', import.meta.url));

/** The command list: one row per command, with its one-line summary and the common options it takes. */
export async function commandsMarkdown(): Promise<string> {
  const rows: string[] = [];
  for (const entry of commands) {
    const c = await entry.load();
    const common = [c.options['json'] ? '`--json`' : '', c.options['ca'] ? '`--ca`' : '', c.configFile ? '`--config`' : ''].filter(Boolean).join(' ');
    rows.push(`| \`cairn ${entry.name}\` | ${entry.summary.replace(/\|/g, '\\|')} | ${common} |`);
  }
  return ['| command | what it does | takes |', '|---|---|---|', ...rows].join('\n');
}

/** docs/cli.md as the generators would write it, from its current text. */
export async function renderCliDoc(current: string): Promise<string> {
  return replaceSection(replaceSection(current, 'commands', await commandsMarkdown()), 'exit-codes', exitCodesMarkdown());
}

async function main(): Promise<void> {
  const current = await readFile(CLI_DOC, 'utf8');
  const next = await renderCliDoc(current);
  if (process.argv.includes('--check')) {
    if (next !== current) {
      process.stderr.write('docs/cli.md is out of date: run pnpm docs:cli\n');
      process.exitCode = 1;
    }
    return;
  }
  if (next !== current) await writeFile(CLI_DOC, next);
  process.stdout.write(next === current ? 'docs/cli.md is up to date\n' : 'wrote docs/cli.md\n');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();
