/**
 * docs/api.md's generated parts match the routers and error tables of @cairn/api: every
 * procedure of every exported router is documented with its kind, and every error code with its
 * status. When this fails, run `pnpm docs:api` and commit docs/api.md.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatSignerKey } from '@cairn/formats';
import { LogNode, memoryStorage, silentLogger } from '@cairn/log';
import {
  createToken, ERROR_TABLE, HEALTHZ_PATH, loadTokens, READYZ_PATH, startLogServer, WITNESS_ERROR_TABLE,
} from '@cairn/api';
import { API_DOC, renderApiDoc, rootRouters } from '../../scripts/api-docs.js';
import { tempDir } from '../helpers/cli.js';

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

test('the hand-written paths are the servers\' paths, and the curl examples work against a real log', async () => {
  const doc = await readFile(API_DOC, 'utf8');
  for (const p of [HEALTHZ_PATH, READYZ_PATH, '/metrics', '/trpc', '/checkpoint', '/add-checkpoint']) assert.ok(doc.includes(`\`${p}`), p);
  const sh = /^```sh\n([\s\S]*?)^```$/m.exec(doc)?.[1];
  assert.ok(sh !== undefined, 'docs/api.md has a sh block of examples');
  const { dir, cleanup } = await tempDir('cairn-api-doc-');
  const node = await LogNode.open({ storage: memoryStorage(), signerKey: formatSignerKey('api-doc.example.org/log', new Uint8Array(32).fill(3)), logger: silentLogger, checkpointIntervalMs: 5 });
  await node.start();
  const tokensFile = join(dir, 'tokens.json');
  const token = await createToken(tokensFile, 'docs');
  const server = await startLogServer({ node, listen: { host: '127.0.0.1', port: 0 }, tokens: await loadTokens(tokensFile) });
  try {
    await node.submit([new TextEncoder().encode('first')], { wait: 'checkpoint' });
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn('bash', ['-c', `set -euo pipefail\n${sh}`], { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LOG: server.url, TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (text += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`the examples did not finish: ${err}`)); }, 60_000);
      child.on('close', (code) => { clearTimeout(timer); if (code === 0) resolve(text); else reject(new Error(`exit ${code}: ${err}\n${text}`)); });
    });
    // curl prints no newline after a JSON answer: split the answers where one object ends.
    const answers = out.replace(/\}\{"result"/g, '}\n{"result"').trim().split('\n').map((l) => JSON.parse(l) as { result?: { data?: Record<string, unknown> }; error?: unknown });
    assert.equal(answers.length, 3, out);
    for (const a of answers) assert.ok(a.result?.data !== undefined && a.error === undefined, JSON.stringify(a));
    assert.match(String(answers[0]!.result!.data!['note']), /^api-doc\.example\.org\/log\n/);
    assert.equal(answers[1]!.result!.data!['data'], Buffer.from('first').toString('base64'));
    assert.deepEqual(answers[2]!.result!.data!['indices'], ['1']);
  } finally {
    await server.close();
    await node.stop();
    await cleanup();
  }
});
