/**
 * docs/api.md's generated parts match the routers and error tables of @cairn/api: every
 * procedure of every exported router is documented with its kind, and every error code with its
 * status. When this fails, run `pnpm docs:api` and commit docs/api.md.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { ERROR_TABLE, WITNESS_ERROR_TABLE } from '@cairn/api';
import { API_DOC, renderApiDoc, rootRouters } from '../../scripts/api-docs.js';

test('docs/api.md is up to date with the routers and error tables (else: run pnpm docs:api)', async () => {
  const current = await readFile(API_DOC, 'utf8');
  assert.equal(current, await renderApiDoc(current), 'docs/api.md is out of date: run pnpm docs:api');
});

test('every procedure of every router and every error code is in docs/api.md', async () => {
  const doc = await readFile(API_DOC, 'utf8');
  const roots = rootRouters().map(([name]) => name);
  assert.ok(roots.includes('apiRouter') && roots.includes('witnessRouter'), `roots: ${roots.join(', ')}`);
  assert.ok(!roots.includes('logRouter'), 'a router nested in another is documented under it');
  for (const [name, r] of rootRouters()) {
    for (const [path, p] of Object.entries(r.procedures)) {
      assert.ok(doc.includes(`#### \`${path}\` (${p._def.type}, \`${name}\`)`), `${name} ${path}`);
    }
  }
  // Submissions need a token; reads do not.
  assert.match(doc, /#### `log\.submit` \(mutation, `apiRouter`\)\n\n[^\n]*(\n[^\n]+)*\n\nAuthentication: `authedProcedure`/);
  assert.match(doc, /#### `log\.entry` \(query, `apiRouter`\)\n\n[^\n]*(\n[^\n]+)*\n\nAuthentication: `publicProcedure`/);
  for (const [code, rule] of Object.entries(ERROR_TABLE)) assert.ok(doc.includes(`| \`${code}\` | ${rule.status} | \`${rule.trpc}\` |`), code);
  for (const [code, rule] of Object.entries(WITNESS_ERROR_TABLE)) assert.ok(doc.includes(`| \`${code}\` | ${rule.status} | \`${rule.trpc}\` |`), code);
});
