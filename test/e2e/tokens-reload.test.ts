/**
 * Tokens apply without a restart: a running `cairn log serve --tokens FILE` takes a token added
 * with `cairn log tokens add` (file watch), refuses a token revoked with `cairn log tokens revoke`
 * from its next request on (here after SIGHUP, whose reload is logged before that request), and
 * keeps its tokens when the file on reload does not validate (logged, naming the field). SIGHUP
 * never stops it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TRPCClientError } from '@trpc/client';
import { createLogClient } from '@cairn/client';
import { encodeBase64 } from '@cairn/formats';
import { DAEMON_BOUND_MS, jsonLines, waitFor, makeLogFixture, runCli, runCliOk, spawnDaemon, tempDir, type Daemon, type LogFixture } from '../helpers/cli.js';

const entry = (text: string): string[] => [encodeBase64(new TextEncoder().encode(text))];

/** Polls `cond` every 50 ms until it holds; throws after the daemon bound naming `what`. */
/** The HTTP status of a submit with `token`: 200 when accepted. */
async function submitStatus(url: string, token: string, text: string): Promise<number> {
  try {
    await createLogClient(url, { token }).log.submit.mutate({ entries: entry(text) });
    return 200;
  } catch (e) {
    if (e instanceof TRPCClientError) return (e.data as { httpStatus?: number } | undefined)?.httpStatus ?? -1;
    throw e;
  }
}

describe('tokens reload in a running log', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let fx: LogFixture;
  let log: Daemon;
  let url: string;

  /** Sends SIGHUP and waits for the tokens reload it caused to be logged (ok or failed). */
  async function hangup(): Promise<Record<string, unknown>> {
    const seen = jsonLines(log.stderr).length;
    log.child.kill('SIGHUP');
    let found: Record<string, unknown> | undefined;
    await waitFor('the SIGHUP tokens reload to be logged', () => {
      found = jsonLines(log.stderr).slice(seen).find((l) => String(l.msg).startsWith('tokens reload') && l.reason === 'SIGHUP');
      return found !== undefined;
    });
    return found!;
  }

  before(async () => {
    tmp = await tempDir('cairn-tokens-');
    fx = await makeLogFixture(tmp.dir, 'tokens.example/log');
    log = spawnDaemon(['log', 'serve', '--data', join(tmp.dir, 'data'), '--key', fx.keyFile, '--listen', '127.0.0.1:0', '--tokens', fx.tokensFile]);
    url = (await log.line(/^cairn log listening on (\S+)$/))[1]!;
  });

  after(async () => {
    await log?.stop();
    await tmp?.cleanup();
  });

  test('the start-up lines say how tokens are reloaded', async () => {
    await log.line(/^tokens \S+ \(1\), reloaded when the file changes \(watched, \d+ ms debounce\) and on SIGHUP$/);
  });

  test('an added token works without a restart; a revoked one is refused from its next request', async () => {
    const added = (await runCliOk(['log', 'tokens', 'add', '--tokens', fx.tokensFile, '--source', 'late-source'])).trim();
    await waitFor('the added token to be accepted (file watch)', async () => (await submitStatus(url, added, 'added')) === 200);
    await runCliOk(['log', 'tokens', 'revoke', '--tokens', fx.tokensFile, '--source', 'late-source']);
    const reload = await hangup();
    assert.equal(reload.msg, 'tokens reloaded');
    assert.equal(await submitStatus(url, added, 'revoked'), 401);
    assert.equal(await submitStatus(url, fx.token, 'still valid'), 200);
    assert.ok(log.running(), 'log serve exited on SIGHUP');
  });

  test('a malformed tokens file on reload keeps the tokens in force and names the field', async () => {
    await writeFile(fx.tokensFile, JSON.stringify({ version: 1, tokens: [{ source: 'x', sha256: 'not-hex', quota: { entriesPerMinute: 1 } }] }));
    const reload = await hangup();
    assert.equal(reload.msg, 'tokens reload failed: keeping the tokens in force');
    assert.match(String(reload.error), /tokens\[0\]\.sha256: must be 64 lowercase hex/);
    assert.equal(await submitStatus(url, fx.token, 'kept'), 200);
    assert.ok(log.running(), 'log serve exited on SIGHUP');
  });

  test('revoking a source that has no token fails and names it', async () => {
    await writeFile(fx.tokensFile, JSON.stringify({ version: 1, tokens: [] }));
    const r = await runCli(['log', 'tokens', 'revoke', '--tokens', fx.tokensFile, '--source', 'nobody']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /source "nobody" has no token/);
  });
});
