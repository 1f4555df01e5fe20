// The import rules of docs/design/house.md over the whole workspace: one walk of every import of
// packages/* and apps/* (imports.ts). The checker itself is shown failing on a small broken tree
// in checker.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { checkArchitecture, Workspace } from './imports.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('every import of packages/ and apps/ runs one way', () => {
  const violations = checkArchitecture(root);
  assert.deepEqual(violations.map((v) => `${v.rule}: ${v.message}`), []);
});

test('the walk reaches what it should: browser entries through their workspace imports, Node entries to node:*', () => {
  const ws = new Workspace(root);
  const verify = [...ws.reach(join(root, 'packages/client/src/verify.ts'))].map((f) => ws.rel(f));
  assert.ok(verify.some((f) => f.startsWith('packages/formats/src/')), 'client/verify reaches @cairn/formats');
  assert.ok(verify.some((f) => f.startsWith('packages/merkle/src/')), 'client/verify reaches @cairn/merkle');
  assert.ok(!verify.includes('packages/client/src/log-api.ts'), 'client/verify does not pull in the fetchers');
  const events = [...ws.reach(join(root, 'packages/events/src/index.ts'))].map((f) => ws.rel(f));
  assert.ok(events.some((f) => f.startsWith('packages/formats/src/')), 'events reaches @cairn/formats');
  assert.ok(!events.some((f) => f.endsWith('test-fixtures.ts')), 'test fixtures are not part of @cairn/events');
  const formatsNode = ws.resolveWorkspace('@cairn/formats/node')!.file!;
  assert.ok(ws.scan(formatsNode).imports.some((i) => i.spec === 'node:crypto'), 'the scanner sees the Node import of formats/node');
  assert.ok(ws.scan(join(root, 'packages/client/src/api-client.ts')).imports.some((i) => i.spec === '@cairn/api' && i.typeOnly), 'the client takes only the router types from @cairn/api');
});
