/**
 * docs/cli.md's generated parts (the command list and the exit-status table) match the code:
 * the registry and apps/cli/src/lib/exit-codes.ts, whose numbers come from the constants the
 * commands exit with. When this fails, run `pnpm docs:cli` and commit docs/cli.md.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { EXIT_CODES } from '@cairn/client';
import { CLI_DOC, renderCliDoc } from '../../scripts/cli-docs.js';
import { exitCodeRows } from '../../apps/cli/src/lib/exit-codes.js';
import { NOTE_EXIT_ROWS } from '../../apps/cli/src/commands/note-verify.js';

test('docs/cli.md is up to date with the registry and the exit codes (else: run pnpm docs:cli)', async () => {
  const current = await readFile(CLI_DOC, 'utf8');
  assert.equal(current, await renderCliDoc(current), 'docs/cli.md is out of date: run pnpm docs:cli');
});

test('the exit-status table has one row per status, and every verification cause is in it', () => {
  const rows = exitCodeRows();
  const statuses = rows.map((r) => r[0]);
  assert.equal(new Set(statuses).size, statuses.length, 'one row per status');
  for (const [code, n] of Object.entries(EXIT_CODES)) {
    assert.ok(rows.some((r) => r[0] === n && r[1] === code), `${code} (${n}) is in the table`);
  }
  // note verify uses only statuses of the shared table, under the same cause names.
  for (const [n, what] of NOTE_EXIT_ROWS) {
    const row = rows.find((r) => r[0] === n);
    assert.ok(row !== undefined && what.startsWith(`${row[1]}:`), `note verify's ${n} is ${row?.[1]}`);
    assert.match(row[3], /note verify/);
  }
});
