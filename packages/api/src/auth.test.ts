import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createToken, loadTokens, mapCertificateSubject, parseTokensFile, revokeToken, TOKEN_PREFIX, TokenAuthenticator } from './auth.js';
import { ApiError } from './errors.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-api-auth-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ApiError, String(e));
    return e.code;
  }
  return 'none';
}

test('createToken stores only a hash, mode 0600, and the token authenticates', async () => {
  await withDir(async (dir) => {
    const file = join(dir, 'tokens.json');
    const token = await createToken(file, 'k8s-audit', { quota: { entriesPerMinute: 120 } });
    assert.ok(token.startsWith(TOKEN_PREFIX));
    assert.ok(token.length >= TOKEN_PREFIX.length + 43);
    const text = await readFile(file, 'utf8');
    assert.ok(!text.includes(token.slice(TOKEN_PREFIX.length)), 'token text must not be stored');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const parsed = parseTokensFile(text);
    assert.equal(parsed.tokens[0]!.source, 'k8s-audit');
    assert.equal(parsed.tokens[0]!.quota.entriesPerMinute, 120);

    const auth = await loadTokens(file);
    assert.equal(auth.authenticate(`Bearer ${token}`), 'k8s-audit');
    // Change the last character (to one it is not: a fixed 'A' would match 1 token in 64).
    const wrong = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    assert.equal(code(() => auth.authenticate(`Bearer ${wrong}`)), 'unauthorized');
    assert.equal(code(() => auth.authenticate(undefined)), 'unauthorized');
  });
});

test('createToken refuses a duplicate source unless replace, which revokes the old token', async () => {
  await withDir(async (dir) => {
    const file = join(dir, 'tokens.json');
    const first = await createToken(file, 'svc');
    const other = await createToken(file, 'other');
    await assert.rejects(createToken(file, 'svc'), (e: unknown) => e instanceof ApiError && /already has a token/.test(e.message));
    const second = await createToken(file, 'svc', { replace: true });
    const auth = await loadTokens(file);
    assert.equal(auth.size, 2);
    assert.equal(auth.authenticate(`Bearer ${second}`), 'svc');
    assert.equal(auth.authenticate(`Bearer ${other}`), 'other');
    assert.equal(code(() => auth.authenticate(`Bearer ${first}`)), 'unauthorized');
    await assert.rejects(createToken(file, 'bad name!'), /source name/);
    await assert.rejects(createToken(file, 'x', { quota: { entriesPerMinute: 0 } }), /quota: entriesPerMinute/);
  });
});

test('createToken uses the injected randomness (distinct tokens for distinct bytes)', async () => {
  await withDir(async (dir) => {
    const file = join(dir, 'tokens.json');
    const a = await createToken(file, 'a', { random: (n) => new Uint8Array(n).fill(1) });
    const b = await createToken(file, 'b', { random: (n) => new Uint8Array(n).fill(2) });
    assert.notEqual(a, b);
    assert.equal(a, TOKEN_PREFIX + Buffer.alloc(32, 1).toString('base64url'));
  });
});

test('loadTokens names the file and the bad field', async () => {
  await withDir(async (dir) => {
    const file = join(dir, 'tokens.json');
    const good = { source: 'a', sha256: 'ab'.repeat(32), quota: { entriesPerMinute: 10 } };
    const cases: [unknown, RegExp][] = [
      [{ version: 2, tokens: [] }, /version/],
      [{ version: 1, tokens: [{ ...good, sha256: 'AB'.repeat(32) }] }, /tokens\[0\]\.sha256: must be 64 lowercase hex/],
      [{ version: 1, tokens: [good, { ...good, quota: { entriesPerMinute: 1.5 } }] }, /tokens\[1\]\.quota\.entriesPerMinute/],
      [{ version: 1, tokens: [good, { ...good, sha256: 'cd'.repeat(32) }] }, /tokens\[1\]\.source: duplicate source name a/],
      [{ version: 1, tokens: [{ ...good, extra: 1 }] }, /tokens\[0\]/],
    ];
    for (const [content, re] of cases) {
      await writeFile(file, JSON.stringify(content));
      await assert.rejects(loadTokens(file), (e: unknown) => e instanceof ApiError && e.message.startsWith(file) && re.test(e.message));
    }
    await writeFile(file, '{not json');
    await assert.rejects(loadTokens(file), /not valid JSON/);
    await assert.rejects(loadTokens(join(dir, 'missing.json')), /not found/);
  });
});

test('token bucket: burst, refill per minute, refund, batch larger than the burst', () => {
  let now = 0;
  const auth = new TokenAuthenticator(
    { version: 1, tokens: [{ source: 's', sha256: 'ab'.repeat(32), quota: { entriesPerMinute: 600, burst: 100 } }] },
    { clock: () => now },
  );
  auth.chargeQuota('s', 100);
  assert.equal(code(() => auth.chargeQuota('s', 1)), 'quota-exceeded');
  now += 1_000; // 10 entries per second
  auth.chargeQuota('s', 10);
  assert.equal(code(() => auth.chargeQuota('s', 1)), 'quota-exceeded');
  auth.refundQuota('s', 5);
  auth.chargeQuota('s', 5);
  now += 60_000;
  auth.chargeQuota('s', 100); // refilled to the burst, not beyond
  assert.equal(code(() => auth.chargeQuota('s', 1)), 'quota-exceeded');
  assert.equal(code(() => auth.chargeQuota('s', 101)), 'batch-exceeds-quota');
});

test('replace: a revoked token is refused at once; an unchanged quota keeps its level (no refill by reload)', async () => {
  await withDir(async (dir) => {
    const file = join(dir, 'tokens.json');
    const a = await createToken(file, 'a', { quota: { entriesPerMinute: 10 } });
    const b = await createToken(file, 'b', { quota: { entriesPerMinute: 10 } });
    let now = 1_000_000;
    const auth = await loadTokens(file, { clock: () => now });
    assert.equal(auth.authenticate(`Bearer ${b}`), 'b');
    auth.chargeQuota('a', 10);
    await revokeToken(file, 'b');
    auth.replace(parseTokensFile(await readFile(file, 'utf8')));
    assert.equal(auth.size, 1);
    assert.equal(code(() => auth.authenticate(`Bearer ${b}`)), 'unauthorized');
    assert.equal(auth.authenticate(`Bearer ${a}`), 'a');
    assert.equal(code(() => auth.chargeQuota('a', 1)), 'quota-exceeded');
    now += 6_000; // one entry refilled at 10 per minute
    auth.chargeQuota('a', 1);
    await assert.rejects(revokeToken(file, 'b'), (e: unknown) => e instanceof ApiError && /source "b" has no token/.test(e.message));
  });
});

test('roles: absent means writer; createToken --role stores it; the source name cairn is reserved', async () => {
  await withDir(async (dir) => {
    const file = join(dir, 'tokens.json');
    const w = await createToken(file, 'writer-1');
    const r = await createToken(file, 'auditor', { role: 'reader' });
    const a = await createToken(file, 'dpo', { role: 'admin' });
    const parsed = parseTokensFile(await readFile(file, 'utf8'));
    assert.equal(parsed.tokens[0]!.role, undefined, 'a writer record is written as before, without role');
    assert.equal(parsed.tokens[1]!.role, 'reader');
    const auth = await loadTokens(file);
    assert.deepEqual(auth.principal(`Bearer ${w}`), { source: 'writer-1', role: 'writer' });
    assert.deepEqual(auth.principal(`Bearer ${r}`), { source: 'auditor', role: 'reader' });
    assert.equal(auth.authorize(`Bearer ${a}`, ['reader', 'admin'], 'reading events').role, 'admin');
    assert.equal(code(() => auth.authorize(`Bearer ${r}`, ['admin'], 'erasing events')), 'forbidden');
    assert.equal(code(() => auth.authorize(`Bearer ${w}`, ['reader', 'admin'], 'reading events')), 'forbidden');
    assert.equal(code(() => auth.authorize('Bearer nope', ['writer'], 'submissions')), 'unauthorized');
    await assert.rejects(createToken(file, 'cairn'), (e: unknown) => e instanceof ApiError && /reserved/.test(e.message));
    await assert.rejects(createToken(file, 'x', { role: 'root' as never }), (e: unknown) => e instanceof ApiError && /role must be one of writer, reader, admin/.test(e.message));
  });
  const rec = (extra: Record<string, unknown>) => JSON.stringify({ version: 1, tokens: [{ source: 's', sha256: 'a'.repeat(64), quota: { entriesPerMinute: 1 }, ...extra }] });
  assert.equal(code(() => parseTokensFile(rec({ role: 'root' }))), 'bad-input');
  assert.match((() => { try { parseTokensFile(rec({ role: 'root' })); } catch (e) { return (e as Error).message; } return ''; })(), /tokens\[0\]\.role/);
  assert.match((() => { try { parseTokensFile(rec({ source: 'cairn' })); } catch (e) { return (e as Error).message; } return ''; })(), /tokens\[0\]\.source: "cairn" is reserved/);
});

test('a client certificate subject maps to a writer source, with or without a token; subjects are unique', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-auth-cert-'));
  try {
    const file = join(dir, 'tokens.json');
    const token = await createToken(file, 'k8s');
    await mapCertificateSubject(file, 'rsyslog', 'CN=rsyslog.example.org,O=Example');
    const auth = await loadTokens(file);
    assert.equal(auth.sourceOfCertificate('CN=rsyslog.example.org,O=Example'), 'rsyslog');
    assert.equal(auth.sourceOfCertificate('CN=rsyslog.example.org'), undefined);
    assert.equal(auth.principal(`Bearer ${token}`).source, 'k8s');
    assert.equal(auth.size, 1, 'the certificate-only source has no token');
    const rec = JSON.parse(await readFile(file, 'utf8')).tokens[1];
    assert.equal(rec.sha256, undefined);
    await assert.rejects(mapCertificateSubject(file, 'other', 'CN=rsyslog.example.org,O=Example'), /already mapped to source rsyslog/);
    await assert.rejects(mapCertificateSubject(file, 'rsyslog', 'CN=x'), /already exists/);
    await assert.rejects(mapCertificateSubject(file, 'x', 'not a subject'), /TYPE=value/);
    assert.throws(() => parseTokensFile(JSON.stringify({ version: 1, tokens: [{ source: 'a', quota: { entriesPerMinute: 1 } }] })), /needs sha256 \(a token\) or clientCertSubject/);
    assert.throws(() => parseTokensFile(JSON.stringify({ version: 1, tokens: [{ source: 'a', role: 'reader', clientCertSubject: 'CN=a', quota: { entriesPerMinute: 1 } }] })), /client certificate source is a writer/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
