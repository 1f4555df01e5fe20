// The verify entry point must stay browser-safe: walk its import graph (our sources and the
// workspace packages it reaches) and fail on any Node built-in import or Node-only global.
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
const NODE_GLOBALS = /\b(Buffer|process|require|__dirname|__filename|setImmediate)\b/;

function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
}

function stripStrings(src: string): string {
  return src.replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g, "''");
}

/** `@cairn/x[/sub]` → the source file its package.json exports under the `source` condition. */
function resolveWorkspace(spec: string): string {
  const [, name, sub] = /^@cairn\/([^/]+)(\/.*)?$/.exec(spec)!;
  const pkgDir = join(packagesDir, name!);
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { exports: Record<string, { source: string }> };
  const entry = pkg.exports[sub === undefined ? '.' : `.${sub}`];
  assert.ok(entry, `${spec} is not exported`);
  return join(pkgDir, entry.source);
}

function importGraph(entry: string): { files: string[]; external: Set<string> } {
  const seen = new Set<string>();
  const external = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const src = stripComments(readFileSync(file, 'utf8'));
    for (const m of src.matchAll(IMPORT)) {
      const spec = (m[1] ?? m[2] ?? m[3])!;
      if (spec.startsWith('.')) queue.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else if (spec.startsWith('@cairn/')) queue.push(resolveWorkspace(spec));
      else external.add(spec);
    }
  }
  return { files: [...seen], external };
}

test('@cairn/client/verify imports no Node built-in and uses no Node-only global', () => {
  const { files, external } = importGraph(join(here, 'verify.ts'));
  assert.ok(files.some((f) => f.includes(`${join('formats', 'src')}`)), 'the walk reaches @cairn/formats');
  assert.ok(files.some((f) => f.includes(`${join('merkle', 'src')}`)), 'the walk reaches @cairn/merkle');
  for (const spec of external) assert.ok(!BUILTINS.has(spec) && !spec.startsWith('node:'), `Node built-in ${spec} reached from verify.ts`);
  for (const f of files) {
    if (f.endsWith('.test.ts')) continue;
    const code = stripStrings(stripComments(readFileSync(f, 'utf8')));
    const hit = NODE_GLOBALS.exec(code);
    assert.equal(hit, null, `${f} uses ${hit?.[1]}`);
  }
  // The walk itself works: the fetch entry does reach non-verify modules.
  assert.ok(!files.some((f) => f.endsWith('log-api.ts')), 'verify.ts does not pull in the fetchers');
});

test('the import scanner sees Node imports when they are there', () => {
  const { external } = importGraph(join(packagesDir, 'formats', 'src', 'node.ts'));
  assert.ok(external.has('node:crypto'));
});
