// @cairn/events is pure and browser-safe: walk the import graph of its entry point and fail on
// any Node built-in, any Node-only global, and any workspace package but @cairn/merkle and
// @cairn/formats (the import rule: events stands on the pure packages only).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const packagesDir = resolve(here, '../..');
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
// A global used as a value (not an object key such as OCSF's `process:` attribute, nor a property).
const NODE_GLOBALS = /(?<![.\w])(Buffer|process|require|__dirname|__filename|setImmediate)\b(?!\s*:)/;
const ALLOWED_WORKSPACE = new Set(['@cairn/merkle', '@cairn/formats']);

const stripComments = (src: string): string => src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
const stripStrings = (src: string): string => src.replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g, "''");

function resolveWorkspace(spec: string): string {
  const [, name, sub] = /^@cairn\/([^/]+)(\/.*)?$/.exec(spec)!;
  const pkgDir = join(packagesDir, name!);
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { exports: Record<string, { source: string }> };
  return join(pkgDir, pkg.exports[sub === undefined ? '.' : `.${sub}`]!.source);
}

test('@cairn/events imports no Node built-in, uses no Node-only global, and imports only merkle and formats of ours', () => {
  const seen = new Set<string>();
  const external = new Set<string>();
  const workspace = new Set<string>();
  const queue = [join(here, 'index.ts')];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const src = stripComments(readFileSync(file, 'utf8'));
    for (const m of src.matchAll(IMPORT)) {
      const spec = (m[1] ?? m[2] ?? m[3])!;
      if (spec.startsWith('.')) queue.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else if (spec.startsWith('@cairn/')) {
        if (file.startsWith(here)) workspace.add(spec);
        queue.push(resolveWorkspace(spec));
      } else external.add(spec);
    }
    if (!file.endsWith('.test.ts')) {
      const code = stripStrings(src);
      assert.ok(!NODE_GLOBALS.test(code), `${file} uses a Node-only global (${NODE_GLOBALS.exec(code)?.[0]})`);
    }
  }
  assert.ok([...seen].some((f) => f.includes(join('formats', 'src'))), 'the walk reaches @cairn/formats');
  assert.ok(external.has('canonicalize'), 'the walk reaches canonicalize');
  for (const spec of external) assert.ok(!BUILTINS.has(spec) && !spec.startsWith('node:'), `Node built-in ${spec} reached from @cairn/events`);
  for (const spec of workspace) assert.ok(ALLOWED_WORKSPACE.has(spec), `@cairn/events imports ${spec}`);
  assert.ok([...seen].every((f) => !f.endsWith('test-fixtures.ts')), 'test fixtures are not part of the package');
});
