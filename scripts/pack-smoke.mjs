#!/usr/bin/env node
// The CLI as a user installs it, checked in CI: `npm pack` of apps/cli (its prepack bundles the
// CLI), `npm i -g` of the tarball into a temporary --prefix, then from a directory outside the
// repository the installed `cairn --help`, and `cairn demo` until it prints its cosigned
// checkpoint, then SIGTERM (it must stop its children and exit 0), and `cairn log serve
// --search-index` until its index is ready (PGlite loads its files from beside its own module).
// Every step is bounded. Needs the registry for the package's dependencies (classic-level,
// PGlite). Exit 0 when all passed.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Bounds of the steps (ms). */
const PACK_TIMEOUT_MS = 120_000;
const INSTALL_TIMEOUT_MS = 180_000;
const HELP_TIMEOUT_MS = 30_000;
const DEMO_TIMEOUT_MS = 120_000;
const DEMO_STOP_TIMEOUT_MS = 30_000;
const INDEX_READY = /^search index ready: PGlite in .* \(indexed to \d+ of \d+, lag \d+\)$/m;
const COSIGNED = /^cosigned checkpoint \(\S+\): size \d+, cosigned by \S.*$/m;

// A clean environment for npm and the installed CLI: nothing inherited from a pnpm run.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|NODE_PATH$|NODE_OPTIONS$)/i.test(k)));
env.FORCE_COLOR = '0';

/** Runs a command to completion (bounded); rejects on a non-zero exit. */
function run(file, args, { cwd, timeoutMs }) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { out += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { out += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => { clearTimeout(timer); reject(e); });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${file} ${args.join(' ')} ended with ${code ?? signal}:\n${out.slice(-4000)}`));
    });
  });
}

/**
 * Starts `cairn ARGS`, waits for a line matching `want` (the demo's cosigned checkpoint, the
 * search index being ready), then stops it with SIGTERM and expects a clean exit.
 */
function untilLine(cairn, args, want, cwd) {
  const name = `cairn ${args[0]}${args[1] === 'serve' ? ' serve' : ''}`;
  return new Promise((resolve, reject) => {
    const child = spawn(cairn, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stopping = false;
    const fail = (why) => { child.kill('SIGKILL'); reject(new Error(`${name}: ${why}\n${out.slice(-4000)}`)); };
    const start = setTimeout(() => fail(`no line ${want} within ${DEMO_TIMEOUT_MS} ms`), DEMO_TIMEOUT_MS);
    let stop;
    const onData = (d) => {
      out += d;
      if (!stopping && want.test(out)) {
        stopping = true;
        clearTimeout(start);
        child.kill('SIGTERM');
        stop = setTimeout(() => fail(`did not stop within ${DEMO_STOP_TIMEOUT_MS} ms of SIGTERM`), DEMO_STOP_TIMEOUT_MS);
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    child.once('error', (e) => { clearTimeout(start); clearTimeout(stop); reject(e); });
    child.once('close', (code, signal) => {
      clearTimeout(start);
      clearTimeout(stop);
      if (!stopping) reject(new Error(`${name} exited (${code ?? signal}) before a line ${want}:\n${out.slice(-4000)}`));
      else if (code !== 0) reject(new Error(`${name} exited with ${code ?? signal} after SIGTERM:\n${out.slice(-4000)}`));
      else resolve(want.exec(out)[0]);
    });
  });
}

const t0 = performance.now();
const tmp = await mkdtemp(join(tmpdir(), 'cairn-pack-'));
try {
  await run('npm', ['pack', '--silent', '--pack-destination', tmp], { cwd: join(root, 'apps/cli'), timeoutMs: PACK_TIMEOUT_MS });
  const tarball = (await readdir(tmp)).find((f) => /^cairn-.*\.tgz$/.test(f));
  if (tarball === undefined) throw new Error(`npm pack made no cairn-*.tgz in ${tmp}`);
  const prefix = join(tmp, 'prefix');
  await run('npm', ['i', '-g', `./${tarball}`, '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error'], { cwd: tmp, timeoutMs: INSTALL_TIMEOUT_MS });
  const cairn = join(prefix, 'bin', 'cairn');
  const help = await run(cairn, ['--help'], { cwd: tmp, timeoutMs: HELP_TIMEOUT_MS });
  if (!/^Usage: .*cairn <command>/m.test(help) || !/^ {2}demo /m.test(help)) throw new Error(`cairn --help printed:\n${help}`);
  const line = await untilLine(cairn, ['demo', '--dir', join(tmp, 'demo')], COSIGNED, tmp);
  // PGlite (the search index) is a runtime dependency beside the bundle: it must load its files.
  await run(cairn, ['keygen', '--name', 'pack.example/log', '--out', join(tmp, 'log.key')], { cwd: tmp, timeoutMs: HELP_TIMEOUT_MS });
  const index = await untilLine(cairn, ['log', 'serve', '--data', join(tmp, 'log'), '--key', join(tmp, 'log.key'),
    '--listen', '127.0.0.1:0', '--search-index', join(tmp, 'index'), '--log-format', 'text'], INDEX_READY, tmp);
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  process.stdout.write(`pack: ${tarball} installed with npm i -g; cairn --help ok; cairn demo: ${line.trim()}; ` +
    `log serve: ${index.trim()}; stopped cleanly (${s} s)\n`);
} catch (e) {
  process.stderr.write(`pack: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
} finally {
  await rm(tmp, { recursive: true, force: true });
}
