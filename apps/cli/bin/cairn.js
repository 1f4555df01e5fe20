#!/usr/bin/env node
// The `cairn` command: runs the compiled CLI in ../dist (built by `pnpm build`, and at
// `pnpm install` in the repository; shipped in the package made by `npm pack`).
let cli;
try {
  cli = await import('../dist/cairn.js');
} catch (e) {
  if (e?.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('cairn.js')) {
    process.stderr.write('cairn: the CLI is not built (no dist/cairn.js); run `pnpm build` in the repository\n');
    process.exit(2);
  }
  throw e;
}
cli.runMain();
