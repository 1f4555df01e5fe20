#!/usr/bin/env node
// Builds the compiled `cairn` CLI: apps/cli/dist/cairn.js and its chunks, bundled by esbuild from
// the TypeScript sources (workspace packages through their `source` export condition), so that
// the CLI runs on plain Node with no loader and `npm pack` of apps/cli ships everything it needs.
//
// - Code splitting: each command's module is a chunk loaded by `import()` when the command runs,
//   so `cairn --help` evaluates only the entry (the registry and the argument parser).
// - `classic-level` (LevelDB, a native addon with prebuilt binaries) and `@electric-sql/pglite`
//   (the search index: it loads its WASM and data files from beside its own module, which a bundle
//   would break) stay external: they are the CLI package's runtime dependencies, installed by npm
//   next to the bundle. `pg-native` (a native client the `pg` driver of the PostgreSQL search
//   index can load on request, which Cairn never makes) is left out of the bundle, never installed.
// - The libp2p `Promise.withResolvers` polyfill (Node 20) is injected into the entry, so it is
//   evaluated before any chunk that loads libp2p.
//
// Runs at `pnpm install` (root `prepare`), in `pnpm build`, and before `npm pack` (prepack).
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = `${root}apps/cli`;
const outdir = `${cli}/dist`;

// Bundled CommonJS modules may `require()` Node built-ins; ESM output has no `require`.
const banner = "import { createRequire as __cairnCreateRequire } from 'node:module';\nconst require = __cairnCreateRequire(import.meta.url);";

const started = performance.now();
await rm(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { cairn: `${cli}/src/main.ts` },
  inject: [`${root}packages/gossip/src/polyfill.ts`],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  conditions: ['source'],
  external: ['classic-level', '@electric-sql/pglite', 'pg-native'],
  chunkNames: '[name]-[hash]',
  banner: { js: banner },
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
  metafile: true,
});
const outputs = Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.js'));
const ms = Math.round(performance.now() - started);
if (!process.argv.includes('--quiet')) {
  process.stdout.write(`build-cli: apps/cli/dist/cairn.js and ${outputs.length - 1} chunks in ${ms} ms\n`);
}
