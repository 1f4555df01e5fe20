// The architecture checker fails when a rule is broken: a small workspace written to a temporary
// directory breaks each rule once (and does the allowed things once), and every break is reported.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { checkArchitecture, cycles, scanSource, type Violation } from './imports.js';

let root: string;

const exportsOf = (entries: Record<string, string>) => Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, { source: v, default: v }]));

async function pkg(dir: string, json: Record<string, unknown>, files: Record<string, string>): Promise<void> {
  await mkdir(join(root, dir), { recursive: true });
  await writeFile(join(root, dir, 'package.json'), JSON.stringify({ type: 'module', ...json }));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, dir, name)), { recursive: true });
    await writeFile(join(root, dir, name), text);
  }
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'cairn-arch-'));
  await pkg('packages/merkle', { name: '@cairn/merkle', exports: exportsOf({ '.': './src/index.ts', './node': './src/node.ts' }) }, {
    'src/index.ts': "export { hash } from './hash.js';\n",
    // Broken: the main entry reaches node:crypto and Buffer.
    'src/hash.ts': "import { createHash } from 'node:crypto';\nexport const hash = (b: Uint8Array) => Buffer.from(createHash('sha256').update(b).digest());\n",
    // Allowed: the ./node entry may use Node.
    'src/node.ts': "import { createHash } from 'node:crypto';\nexport const nodeHash = createHash;\n",
  });
  await pkg('packages/formats', { name: '@cairn/formats', exports: exportsOf({ '.': './src/index.ts' }) }, {
    // Broken: formats imports another workspace package (and does not declare it).
    'src/index.ts': "import { hash } from '@cairn/merkle';\n// import { x } from '@cairn/api'; — comments never count\nexport const note = 'import \"node:fs\"';\nexport const h = hash;\n",
  });
  await pkg('packages/client', {
    name: '@cairn/client',
    exports: exportsOf({ '.': './src/index.ts', './verify': './src/verify.ts' }),
    // Broken: a core package lists @cairn/api under dependencies.
    dependencies: { '@cairn/api': 'workspace:*', '@cairn/formats': 'workspace:*' },
  }, {
    'src/index.ts': "export * from './verify.js';\nexport * from './typed.js';\nexport * from './loads-api.js';\nexport * from './c.js';\n",
    'src/verify.ts': "import { note } from '@cairn/formats';\nexport const v = note;\n",
    // Allowed: the routers' types.
    'src/typed.ts': "import type { ApiRouter } from '@cairn/api';\nexport type R = ApiRouter;\n",
    // Broken: runtime code of api in a core package.
    'src/loads-api.ts': "import { startLogServer } from '@cairn/api';\nexport const s = startLogServer;\n",
    // Broken: a cycle c → d → c, one side type-only.
    'src/c.ts': "import { d } from './d.js';\nexport const c = () => d;\n",
    'src/d.ts': "import type { c } from './c.js';\nexport const d = 1;\nexport type C = typeof c;\n",
  });
  await pkg('packages/log', {
    name: '@cairn/log',
    exports: exportsOf({ '.': './src/index.ts' }),
    // Broken: declares witness, which nothing imports.
    dependencies: { '@cairn/merkle': 'workspace:*', '@cairn/witness': 'workspace:*' },
  }, {
    // Broken: a deep import past the exports, and a relative import into another package.
    'src/index.ts': "import { hash } from '@cairn/merkle/src/hash.js';\nimport { v } from '../../client/src/verify.js';\nexport const x = [hash, v];\n",
  });
  // Allowed: an app bundles workspace packages (devDependencies), and runs a program it does not import.
  await pkg('apps/tool', { name: '@cairn/tool', bin: { tool: './bin/tool.js' }, devDependencies: { '@cairn/formats': 'workspace:*' } }, {
    'src/main.ts': "import { note } from '@cairn/formats';\nconsole.log(note);\n",
  });
  await pkg('apps/timer', { name: '@cairn/timer', dependencies: { '@cairn/tool': 'workspace:*' } }, { 'src/main.ts': 'export const runs = 1;\n' });
  await pkg('packages/witness', { name: '@cairn/witness', exports: exportsOf({ '.': './src/index.ts' }) }, { 'src/index.ts': 'export const w = 1;\n' });
  await pkg('packages/api', { name: '@cairn/api', exports: exportsOf({ '.': './src/index.ts' }) }, {
    'src/index.ts': 'export const startLogServer = 1;\nexport type ApiRouter = { log: 1 };\n',
  });
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

function has(vs: readonly Violation[], rule: Violation['rule'], ...parts: string[]): void {
  assert.ok(
    vs.some((v) => v.rule === rule && parts.every((p) => v.message.includes(p))),
    `expected a ${rule} violation mentioning ${parts.join(', ')}; got:\n${vs.map((v) => `${v.rule}: ${v.message}`).join('\n')}`,
  );
}

test('each broken rule is reported, and only those', () => {
  const vs = checkArchitecture(root);
  has(vs, 'pure', 'packages/merkle/src/hash.ts', 'node:crypto');
  has(vs, 'pure', 'packages/merkle/src/hash.ts', 'Buffer');
  has(vs, 'pure', 'packages/formats/src/index.ts', '@cairn/merkle');
  has(vs, 'layer', 'packages/client/src/loads-api.ts', '@cairn/api');
  has(vs, 'layer', 'packages/client/package.json', '@cairn/api', 'dependencies');
  has(vs, 'cycle', 'packages/client/src/c.ts → packages/client/src/d.ts');
  has(vs, 'declared', 'packages/formats/src/index.ts', '@cairn/merkle');
  has(vs, 'declared', 'packages/log/package.json', '@cairn/witness');
  has(vs, 'exports', '@cairn/merkle/src/hash.js');
  has(vs, 'exports', '../../client/src/verify.js');
  // Allowed: ./node entries use Node; the client takes the routers' types; comments and strings never count.
  assert.ok(!vs.some((v) => v.message.includes('packages/merkle/src/node.ts')), 'the ./node entry may import node:*');
  assert.ok(!vs.some((v) => v.message.includes('typed.ts')), 'import type of the router types is allowed');
  assert.ok(!vs.some((v) => v.message.includes('node:fs')), 'a string is not an import');
  assert.ok(!vs.some((v) => v.message.includes('apps/')), 'an app may bundle devDependencies and depend on a program');
  assert.equal(vs.filter((v) => v.rule === 'layer' && v.message.includes('formats/src')).length, 0, 'a comment is not an import');
  assert.equal(vs.length, 10, vs.map((v) => `${v.rule}: ${v.message}`).join('\n'));
});

test('the scanner tells type-only imports from loads, including dynamic imports', () => {
  const { imports, globals } = scanSource('x.ts', [
    "import type { A } from 'a';",
    "import { type B } from 'b';",
    "export type { C } from 'c';",
    "export * from 'd';",
    "const e = await import('e');",
    "type F = import('f').F;",
    'const o = { process: 1 }; o.process;',
  ].join('\n'));
  assert.deepEqual(imports, [
    { spec: 'a', typeOnly: true },
    { spec: 'b', typeOnly: false }, // kept at run time under verbatimModuleSyntax
    { spec: 'c', typeOnly: true },
    { spec: 'd', typeOnly: false },
    { spec: 'e', typeOnly: false },
    { spec: 'f', typeOnly: true },
  ]);
  assert.deepEqual([...globals], []);
});

test('cycles are found, including a self-import, and a DAG has none', () => {
  assert.deepEqual(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]])), [['a', 'b', 'c']]);
  assert.deepEqual(cycles(new Map([['a', ['a']]])), [['a']]);
  assert.deepEqual(cycles(new Map([['a', ['b', 'c']], ['b', ['c']], ['c', []]])), []);
});
