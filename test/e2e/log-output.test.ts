/**
 * `--log-format` and `--config` on a real `cairn log serve` process: in json mode every line on
 * stdout and stderr is one JSON object with an ISO 8601 UTC time (start-up lines included, and a
 * failure); in text mode log lines start with that time and the level; the options come from a
 * config file whose relative paths resolve against its directory, and flags override it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT, cliArgs, makeLogFixture, runCli, tempDir } from '../helpers/cli.js';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const BOUND_MS = 45_000;

/** Runs `cairn ARGS` until its stderr has a line matching `ready` (it handles signals by then), then SIGTERM; returns all lines. */
function serveUntil(args: string[], ready: RegExp): Promise<{ code: number | null; out: string[]; err: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cliArgs(args), { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let stopped = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no ${ready} within ${BOUND_MS} ms; stderr: ${err}`));
    }, BOUND_MS);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      if (!stopped && ready.test(err)) {
        stopped = true;
        child.kill('SIGTERM');
      }
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const lines = (s: string) => s.split('\n').filter((l) => l !== '');
      resolve({ code, out: lines(out), err: lines(err) });
    });
  });
}

test('json: every stdout and stderr line is a JSON record with an ISO 8601 UTC time', async () => {
  const tmp = await tempDir('cairn-logfmt-');
  try {
    const fx = await makeLogFixture(tmp.dir, 'logfmt.example/log');
    const r = await serveUntil(['log', 'serve', '--data', join(tmp.dir, 'd'), '--key', fx.keyFile, '--listen', '127.0.0.1:0',
      '--tokens', fx.tokensFile, '--log-format', 'json'], /"msg":"started"/);
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.ok(r.out.length >= 6 && r.err.length >= 3, `${r.out.join('\n')}\n${r.err.join('\n')}`);
    for (const l of [...r.out, ...r.err]) {
      const rec = JSON.parse(l) as Record<string, unknown>;
      assert.match(String(rec['time']), ISO_UTC, l);
      assert.ok(['debug', 'info', 'warn', 'error'].includes(String(rec['level'])), l);
      assert.equal(typeof rec['msg'], 'string', l);
    }
    const listening = r.out.map((l) => JSON.parse(l) as Record<string, unknown>).find((x) => String(x['msg']).startsWith('cairn log listening on '))!;
    assert.match(String(listening['url']), /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(listening['msg'], `cairn log listening on ${String(listening['url'])}`);
    const msgs = r.err.map((l) => (JSON.parse(l) as { msg: string }).msg);
    assert.ok(msgs.includes('started') && msgs.includes('stopped'), msgs.join(', '));
  } finally {
    await tmp.cleanup();
  }
});

test('json: witness serve too — every line a record, the vkey and URL as fields', async () => {
  const tmp = await tempDir('cairn-logfmt-');
  try {
    const fx = await makeLogFixture(tmp.dir, 'logfmt.example/log');
    const key = join(tmp.dir, 'w.key');
    const kg = await runCli(['keygen', '--name', 'w.logfmt.example', '--out', key, '--witness']);
    assert.equal(kg.code, 0, kg.stderr);
    const r = await serveUntil(['witness', 'serve', '--data', join(tmp.dir, 'w'), '--key', key, '--listen', '127.0.0.1:0',
      '--log', fx.vkey, '--log-format', 'json'], /"msg":"started"/);
    assert.equal(r.code, 0, r.err.join('\n'));
    const out = r.out.map((l) => JSON.parse(l) as Record<string, unknown>);
    const errs = r.err.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const rec of [...out, ...errs]) assert.match(String(rec['time']), ISO_UTC);
    const vkey = out.find((x) => String(x['msg']).startsWith('cosignature/v1 '))!;
    assert.equal(vkey['msg'], `cosignature/v1 ${String(vkey['vkey'])}`);
    assert.ok(out.some((x) => /^cairn witness listening on http:\/\/127\.0\.0\.1:\d+$/.test(String(x['msg']))));
    assert.ok(errs.some((x) => x['msg'] === 'stopped'));
  } finally {
    await tmp.cleanup();
  }
});

test('json: a failure after the options were read is a JSON error record too', async () => {
  const tmp = await tempDir('cairn-logfmt-');
  try {
    const fx = await makeLogFixture(tmp.dir, 'logfmt.example/log');
    await writeFile(join(tmp.dir, 'bad-tokens.json'), '{"not": "tokens"}');
    const r = await runCli(['log', 'serve', '--data', join(tmp.dir, 'd'), '--key', fx.keyFile, '--listen', '127.0.0.1:0',
      '--tokens', join(tmp.dir, 'bad-tokens.json'), '--log-format', 'json']);
    assert.equal(r.code, 2, r.stderr);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    assert.ok(lines.length >= 1);
    for (const l of lines) assert.match(String((JSON.parse(l) as { time: unknown }).time), ISO_UTC);
    const last = JSON.parse(lines.at(-1)!) as Record<string, unknown>;
    assert.equal(last['level'], 'error');
    assert.equal(last['exitCode'], 2);
    assert.match(String(last['msg']), /^cairn log serve: --tokens: /);
    // An invalid --log-format is a usage error naming the flag, in plain text.
    const bad = await runCli(['log', 'serve', '--data', 'd', '--key', fx.keyFile, '--listen', '127.0.0.1:0', '--log-format', 'xml']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--log-format must be one of text, json, got "xml"/);
  } finally {
    await tmp.cleanup();
  }
});

test('text, from a config file: start-up lines as written, log lines TIME LEVEL msg key=value; flags override the file', async () => {
  const tmp = await tempDir('cairn-logfmt-');
  try {
    const fx = await makeLogFixture(tmp.dir, 'logfmt.example/log');
    await mkdir(join(tmp.dir, 'etc'));
    // Relative paths in the file are relative to its directory (etc/), not to the working directory.
    await writeFile(join(tmp.dir, 'etc', 'log.yaml'),
      'data: ../data\nkey: ../log.key\nlisten: 127.0.0.1:1\ntokens: ../tokens.json\nlog-format: json\n');
    const r = await serveUntil(['log', 'serve', '--config', join(tmp.dir, 'etc', 'log.yaml'), '--listen', '127.0.0.1:0', '--log-format', 'text'],
      / INFO started /);
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.ok(r.out.some((l) => /^cairn log listening on http:\/\/127\.0\.0\.1:\d+$/.test(l)), r.out.join('\n'));
    assert.ok(r.out.includes(`vkey ${fx.vkey}`), r.out.join('\n'));
    assert.ok(r.out.some((l) => /^tokens \S+tokens\.json \(1\)/.test(l)), 'the tokens file named in the config was read');
    for (const l of r.err) {
      const m = /^(\S+) (DEBUG|INFO|WARN|ERROR) (.+)$/.exec(l);
      assert.ok(m, l);
      assert.match(m[1]!, ISO_UTC);
    }
    assert.ok(r.err.some((l) => / INFO started url=http:\/\/127\.0\.0\.1:\d+ /.test(l) && l.includes(`data=${join(tmp.dir, 'data')}`)), r.err.join('\n'));
  } finally {
    await tmp.cleanup();
  }
});
