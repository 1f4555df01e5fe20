import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { TRPCError } from '@trpc/server';
import { decodeBase64Strict, encodeBase64, openCheckpoint, parseProofBundle, parseVerifierKey, utf8Encode } from '@cairn/formats';
import { leafHash, verifyConsistency, verifyInclusion } from '@cairn/merkle';
import { createApiCaller } from '../router.js';
import { TokenAuthenticator } from '../auth.js';
import { ERROR_TABLE, errorCodeOf, httpStatusOf, retryAfterSecondsOf, storedNothing } from '../errors.js';
import { LogError } from '@cairn/log';
import { buildLeaf, parseEvent } from '@cairn/events';
import { FakeLog, FakeLogError } from '../testing/fake-log.js';
import { rejectsWith } from '../testing/rejects-with.js';

const TOKEN = 'cairn_test-token-for-source-a';
const sha256hex = (s: string) => createHash('sha256').update(s).digest('hex');
const DATA_CALLS = ['submit', 'getEntry', 'getEntries', 'readTile', 'readEntryBundle', 'inclusionProof', 'consistencyProof', 'findLeafIndex'];

function setup(opts: { perMinute?: number; burst?: number; token?: string | undefined; authorization?: string; noTokens?: boolean } = {}) {
  const node = new FakeLog();
  let now = 1_000_000;
  const tokens = new TokenAuthenticator(
    {
      version: 1,
      tokens: [{ source: 'source-a', sha256: sha256hex(TOKEN), quota: { entriesPerMinute: opts.perMinute ?? 100_000, ...(opts.burst ? { burst: opts.burst } : {}) } }],
    },
    { clock: () => now },
  );
  const token = 'token' in opts ? opts.token : TOKEN;
  const caller = createApiCaller({
    node,
    tokens: opts.noTokens ? undefined : tokens,
    authorization: opts.authorization ?? (token === undefined ? undefined : `Bearer ${token}`),
  });
  return { node, caller, advance: (ms: number) => (now += ms) };
}

const b64 = (s: string) => encodeBase64(utf8Encode(s));

function assertNoDataCalls(node: FakeLog): void {
  const bad = node.calls.filter((c) => DATA_CALLS.includes(c));
  assert.deepEqual(bad, [], `node was called: ${bad.join(', ')}`);
}

async function seeded(n: number) {
  const s = setup();
  await s.caller.log.submit({ entries: Array.from({ length: n }, (_, i) => b64(`entry ${i}`)) });
  s.node.resetCalls();
  return s;
}

test('submit returns consecutive decimal indices and base64 leaf hashes', async () => {
  const { caller, node } = setup();
  const r1 = await caller.log.submit({ entries: [b64('a'), b64('b')] });
  const r2 = await caller.log.submit({ entries: [b64('c')] });
  assert.deepEqual(r1.indices, ['0', '1']);
  assert.deepEqual(r2.indices, ['2']);
  assert.deepEqual(r1.leafHashes, [encodeBase64(leafHash(utf8Encode('a'))), encodeBase64(leafHash(utf8Encode('b')))]);
  assert.equal(r1.checkpoint, undefined);
  assert.equal(node.entries.length, 3);
});

test('submit with wait checkpoint returns a signed checkpoint and proofs that verify', async () => {
  const { caller, node } = await seeded(5);
  const r = await caller.log.submit({ entries: [b64('x'), b64('y'), b64('z')], wait: 'checkpoint' });
  assert.ok(r.checkpoint !== undefined && r.proofs !== undefined);
  const { checkpoint } = openCheckpoint(r.checkpoint, [parseVerifierKey(node.verifierKey)]);
  assert.equal(String(checkpoint.size), r.treeSize);
  r.indices.forEach((idx, k) => {
    verifyInclusion(BigInt(idx), checkpoint.size, decodeBase64Strict(r.leafHashes[k]!), r.proofs![k]!.map((p) => decodeBase64Strict(p)), checkpoint.rootHash);
  });
});

test('reads: checkpoint, status, entry, entries, proofs and proof bundle', async () => {
  const { caller, node } = await seeded(10);
  const cp = await caller.log.checkpoint();
  assert.equal(cp.size, '10');
  const vk = parseVerifierKey(node.verifierKey);
  const { checkpoint } = openCheckpoint(cp.note, [vk]);
  assert.equal(encodeBase64(checkpoint.rootHash), cp.rootHash);

  const st = await caller.log.status();
  assert.equal(st.size, '10');
  assert.equal(st.origin, node.origin);

  assert.equal((await caller.log.entry({ index: '3' })).data, b64('entry 3'));
  const range = await caller.log.entries({ from: '2', to: '5' });
  assert.deepEqual(range.entries, [b64('entry 2'), b64('entry 3'), b64('entry 4')]);
  assert.deepEqual((await caller.log.entries({ from: '10', to: '10' })).entries, []);

  const byIndex = await caller.log.inclusionProof({ index: '7' });
  assert.equal(byIndex.treeSize, '10');
  assert.ok(byIndex.checkpoint !== undefined);
  verifyInclusion(7n, 10n, node.leaves[7]!, byIndex.proof.map((p) => decodeBase64Strict(p)), checkpoint.rootHash);
  const byHash = await caller.log.inclusionProof({ leafHash: encodeBase64(node.leaves[4]!), treeSize: '6' });
  assert.equal(byHash.index, '4');
  assert.equal(byHash.checkpoint, undefined);

  await caller.log.submit({ entries: [b64('more')] });
  const cp11 = openCheckpoint((await caller.log.checkpoint()).note, [vk]).checkpoint;
  const cons = await caller.log.consistencyProof({ m: '10', n: '11' });
  verifyConsistency(10n, 11n, checkpoint.rootHash, cp11.rootHash, cons.proof.map((p) => decodeBase64Strict(p)));
  assert.deepEqual((await caller.log.consistencyProof({ m: '0', n: '11' })).proof, []);

  const bundle = parseProofBundle((await caller.log.proofBundle({ index: '2' })).bundle);
  assert.equal(bundle.index, 2n);
  const bcp = openCheckpoint(bundle.checkpoint, [vk]).checkpoint;
  verifyInclusion(2n, bcp.size, node.leaves[2]!, bundle.proof, bcp.rootHash);
});

test('non-canonical sizes and indices are BAD_REQUEST and reach nothing', async () => {
  const { caller, node } = await seeded(3);
  for (const index of ['01', '-1', '+1', '1e3', ' 1', '1 ', '', '0x1', '1.0', '9223372036854775808', '99999999999999999999', '١']) {
    await rejectsWith(caller.log.entry({ index }), 'BAD_REQUEST', /index/);
    await rejectsWith(caller.log.inclusionProof({ index }), 'BAD_REQUEST');
    await rejectsWith(caller.log.consistencyProof({ m: '1', n: index }), 'BAD_REQUEST');
  }
  // @ts-expect-error numbers are not accepted
  await rejectsWith(caller.log.entry({ index: 1 }), 'BAD_REQUEST');
  // @ts-expect-error unknown fields are refused
  await rejectsWith(caller.log.entry({ index: '1', extra: true }), 'BAD_REQUEST');
  assertNoDataCalls(node);
});

test('ranges: from > to and oversized ranges are BAD_REQUEST; beyond the tree is NOT_FOUND', async () => {
  const { caller, node } = await seeded(3);
  await rejectsWith(caller.log.entries({ from: '2', to: '1' }), 'BAD_REQUEST', /from \(2\) must not exceed to \(1\)/);
  await rejectsWith(caller.log.entries({ from: '0', to: '257' }), 'BAD_REQUEST', /at most 256/);
  await rejectsWith(caller.log.entries({ from: '0', to: '4' }), 'NOT_FOUND', /beyond the tree of size 3/);
  await rejectsWith(caller.log.entry({ index: '3' }), 'NOT_FOUND');
  await rejectsWith(caller.log.inclusionProof({ index: '0', treeSize: '4' }), 'NOT_FOUND');
  await rejectsWith(caller.log.inclusionProof({ index: '2', treeSize: '2' }), 'NOT_FOUND');
  await rejectsWith(caller.log.consistencyProof({ m: '2', n: '1' }), 'BAD_REQUEST');
  await rejectsWith(caller.log.consistencyProof({ m: '1', n: '4' }), 'NOT_FOUND');
  await rejectsWith(caller.log.proofBundle({ index: '3' }), 'NOT_FOUND');
  await rejectsWith(caller.log.inclusionProof({}), 'BAD_REQUEST', /exactly one of index and leafHash/);
  await rejectsWith(caller.log.inclusionProof({ index: '0', leafHash: encodeBase64(new Uint8Array(32)) }), 'BAD_REQUEST');
  assertNoDataCalls(node);
  await rejectsWith(caller.log.inclusionProof({ leafHash: encodeBase64(new Uint8Array(32)) }), 'NOT_FOUND', /no entry with leaf hash/);
});

test('bad entries: oversized, bad base64, too many, none — BAD_REQUEST and nothing stored', async () => {
  const { caller, node } = setup();
  const max = encodeBase64(new Uint8Array(65_535));
  const over = encodeBase64(new Uint8Array(65_536));
  await rejectsWith(caller.log.submit({ entries: [b64('ok'), over] }), 'BAD_REQUEST', /entries\[1\].*65535/);
  for (const bad of ['aGk', 'aGl=', 'aG k=', 'aGk=\n', '====', 'a', '_-8=', 'aGk=aGk=']) {
    await rejectsWith(caller.log.submit({ entries: [bad] }), 'BAD_REQUEST', /entries\[0\].*base64/);
  }
  await rejectsWith(caller.log.submit({ entries: Array.from({ length: 1001 }, () => 'AA==') }), 'BAD_REQUEST', /at most 1000/);
  await rejectsWith(caller.log.submit({ entries: [] }), 'BAD_REQUEST', /at least one/);
  // @ts-expect-error wait must be 'none', 'checkpoint' or 'cosigned'
  await rejectsWith(caller.log.submit({ entries: ['AA=='], wait: 'forever' }), 'BAD_REQUEST');
  assertNoDataCalls(node);
  assert.deepEqual((await caller.log.submit({ entries: [max] })).indices, ['0']);
  assert.equal(node.entries[0]!.length, 65_535);
});

test('a raw entry shaped as an event leaf is refused before the node and the quota: 400 reserved-entry', async () => {
  const { caller, node } = setup({ perMinute: 60, burst: 2 });
  const forged = encodeBase64(
    buildLeaf({
      source: 'cairn', seq: 0n, salt: new Uint8Array(32).fill(1),
      event: parseEvent(utf8Encode(JSON.stringify({
        class_uid: 3002, category_uid: 3, activity_id: 1, type_uid: 300201, severity_id: 1, status_id: 1,
        time: 1767225600000, metadata: { version: '1.3.0', product: { name: 'sshd' } }, user: { name: 'mallory' },
      }))),
    }).bytes,
  );
  for (const bad of [forged, b64('cairn.dev/event-leaf/v9\n')]) {
    const e = await rejectsWith(caller.log.submit({ entries: [b64('ok'), bad] }), 'BAD_REQUEST', /entries\[1\] begins with cairn\.dev\/event-leaf\//);
    assert.equal(errorCodeOf(e.cause), 'reserved-entry');
    assert.equal(httpStatusOf(e.cause), 400);
  }
  assertNoDataCalls(node);
  // No quota was charged for the refusals (burst 2).
  assert.deepEqual((await caller.log.submit({ entries: [b64('a'), b64('b')] })).indices, ['0', '1']);
  // The core's own refusal maps through the same row.
  const core = new LogError('reserved-entry', 'entry 0 begins with cairn.dev/event-leaf/');
  assert.equal(httpStatusOf(core), 400);
  assert.equal(storedNothing(core), true);
});

test('auth: missing, malformed, wrong token or no tokens configured → UNAUTHORIZED, nothing stored', async () => {
  for (const token of [undefined, '', 'wrong', `${TOKEN}x`]) {
    const { caller, node } = setup({ token });
    await rejectsWith(caller.log.submit({ entries: ['AA=='] }), 'UNAUTHORIZED');
    // Auth comes before input validation: bad input without a token is still UNAUTHORIZED.
    await rejectsWith(caller.log.submit({ entries: ['bad'] }), 'UNAUTHORIZED');
    assertNoDataCalls(node);
    assert.equal((await caller.log.status()).size, '0', 'reads stay public');
  }
  for (const authorization of [`Basic ${TOKEN}`, `Bearer  ${TOKEN}`, `Bearer ${TOKEN} x`, `Bearer ${'a'.repeat(600)}`]) {
    const { caller, node } = setup({ authorization });
    await rejectsWith(caller.log.submit({ entries: ['AA=='] }), 'UNAUTHORIZED', /malformed Authorization header/);
    assertNoDataCalls(node);
  }
  assert.ok(await setup({ authorization: `bearer ${TOKEN}` }).caller.log.submit({ entries: ['AA=='] }));
  const { caller } = setup({ noTokens: true });
  await rejectsWith(caller.log.submit({ entries: ['AA=='] }), 'UNAUTHORIZED', /no tokens are configured/);
});

test('quota: a token bucket per source; 429 with a retry hint, refilled over time', async () => {
  const { caller, node, advance } = setup({ perMinute: 60, burst: 10 });
  await caller.log.submit({ entries: Array.from({ length: 6 }, () => 'AA==') });
  const e = await rejectsWith(caller.log.submit({ entries: Array.from({ length: 6 }, () => 'AA==') }), 'TOO_MANY_REQUESTS', /quota exceeded for source source-a/);
  assert.equal(retryAfterSecondsOf(e), 2);
  assert.equal(node.entries.length, 6);
  await rejectsWith(caller.log.submit({ entries: Array.from({ length: 11 }, () => 'AA==') }), 'BAD_REQUEST', /exceeds the quota burst of 10/);
  advance(2_000);
  await caller.log.submit({ entries: Array.from({ length: 6 }, () => 'AA==') });
  assert.equal(node.entries.length, 12);
});

test('log errors map through the table: queue-full → 429 with Retry-After, quota refunded', async () => {
  const { caller, node } = setup({ perMinute: 60, burst: 13 });
  node.failNextSubmit = new FakeLogError('queue-full', 'sequencing queue is full', 2_500);
  const e = await rejectsWith(caller.log.submit({ entries: Array.from({ length: 10 }, () => 'AA==') }), 'TOO_MANY_REQUESTS', /queue is full/);
  assert.equal(e.cause instanceof FakeLogError && e.cause.code, 'queue-full');
  assert.equal(retryAfterSecondsOf(e), 3);
  // The refused 10 entries were given back to the bucket.
  await caller.log.submit({ entries: Array.from({ length: 10 }, () => 'AA==') });
  node.failNextSubmit = new FakeLogError('stopping', 'node is stopping');
  await rejectsWith(caller.log.submit({ entries: ['AA=='] }), 'SERVICE_UNAVAILABLE');
  node.failNextSubmit = new FakeLogError('integrity', 'tile 0/000 root mismatch at /var/secret');
  const internal = await rejectsWith(caller.log.submit({ entries: ['AA=='] }), 'INTERNAL_SERVER_ERROR');
  assert.doesNotMatch(internal.message, /secret/);
  node.failNextSubmit = new Error('boom');
  await rejectsWith(caller.log.submit({ entries: ['AA=='] }), 'INTERNAL_SERVER_ERROR');
});

test('property: any index string is accepted iff canonical, else BAD_REQUEST', async () => {
  const { caller } = await seeded(1);
  await fc.assert(
    fc.asyncProperty(fc.oneof(fc.string(), fc.stringMatching(/^[0-9]{1,21}$/), fc.bigInt({ min: 0n, max: 1n << 64n }).map(String)), async (index) => {
      const canonical = /^(0|[1-9][0-9]*)$/.test(index) && BigInt(index) <= (1n << 63n) - 1n;
      try {
        await caller.log.entry({ index });
        assert.ok(canonical && index === '0');
      } catch (e) {
        assert.ok(e instanceof TRPCError);
        assert.equal(e.code, canonical ? 'NOT_FOUND' : 'BAD_REQUEST', `${JSON.stringify(index)}: ${e.message}`);
      }
    }),
    { numRuns: 300 },
  );
});

test('inclusionProofs returns one verifiable proof per index and refuses bad batches', async () => {
  const { node, caller } = setup();
  await caller.log.submit({ entries: Array.from({ length: 37 }, (_, i) => b64(`entry ${i}`)) });
  const cp = await caller.log.checkpoint();
  const root = decodeBase64Strict(cp.rootHash);
  const indices = ['0', '5', '36', '5', '17'];
  const r = await caller.log.inclusionProofs({ indices });
  assert.equal(r.treeSize, '37');
  assert.equal(r.checkpoint, cp.note);
  assert.equal(r.proofs.length, indices.length);
  const unpack = (packed: string): Uint8Array[] => {
    const bytes = decodeBase64Strict(packed);
    assert.equal(bytes.length % 32, 0);
    return Array.from({ length: bytes.length / 32 }, (_, j) => bytes.slice(j * 32, j * 32 + 32));
  };
  indices.forEach((i, k) => verifyInclusion(BigInt(i), 37n, node.leaves[Number(i)]!, unpack(r.proofs[k]!), root));
  const older = await caller.log.inclusionProofs({ indices: ['3'], treeSize: '10' });
  assert.equal(older.checkpoint, undefined);
  assert.equal(older.treeSize, '10');
  node.calls.length = 0;
  await rejectsWith(caller.log.inclusionProofs({ indices: [] }), 'BAD_REQUEST', /at least one/);
  await rejectsWith(caller.log.inclusionProofs({ indices: Array.from({ length: 1001 }, () => '0') }), 'BAD_REQUEST', /at most 1000/);
  await rejectsWith(caller.log.inclusionProofs({ indices: ['01'] }), 'BAD_REQUEST');
  await rejectsWith(caller.log.inclusionProofs({ indices: ['1', '37'] }), 'NOT_FOUND', /not in the tree/);
  await rejectsWith(caller.log.inclusionProofs({ indices: ['1'], treeSize: '38' }), 'NOT_FOUND', /beyond/);
  assert.ok(!node.calls.includes('inclusionProofs'), 'nothing reached the node');
});

test('an integrity failure of a read answers its own code with the tile path and problem, never the internal message', async () => {
  const { caller, node } = setup();
  await caller.log.submit({ entries: [b64('a')] });
  node.getEntry = async () => {
    throw new LogError('integrity', 'stored entry bundle at /var/secret/db is malformed', {
      details: { tile: 'tile/entries/000', problem: 'entry 3 declares 24931 bytes but 10856 remain' },
    });
  };
  const e = await rejectsWith(caller.log.entry({ index: '0' }), 'INTERNAL_SERVER_ERROR', /integrity check.*tile\/entries\/000: entry 3 declares 24931 bytes but 10856 remain/);
  assert.doesNotMatch(e.message, /secret/);
  assert.equal(errorCodeOf(e.cause), 'integrity');
  assert.equal(httpStatusOf(e.cause), ERROR_TABLE.integrity.status);
});

test('the table has a row for every code and says which submissions stored nothing', () => {
  for (const code of ['queue-full', 'stopping', 'not-started', 'entry-too-large', 'too-many-entries', 'invalid-entry', 'aborted'] as const) {
    assert.equal(storedNothing(new LogError(code, 'x')), true, code);
  }
  for (const code of ['integrity', 'storage', 'config', 'rolled-back', 'not-found'] as const) {
    assert.equal(storedNothing(new LogError(code, 'x')), false, code);
    assert.ok(ERROR_TABLE[code].status >= 400, code);
  }
  assert.equal(storedNothing(new Error('unknown')), false);
});

test('an internal failure is logged with the procedure path and the error name and code, never its message', async () => {
  const node = new FakeLog();
  const logged: { msg: string; fields?: Record<string, unknown> }[] = [];
  const tokens = new TokenAuthenticator({ version: 1, tokens: [{ source: 'source-a', sha256: sha256hex(TOKEN), quota: { entriesPerMinute: 100 } }] });
  const caller = createApiCaller({
    node, tokens, authorization: `Bearer ${TOKEN}`,
    logger: { info: () => undefined, warn: () => undefined, error: (msg, fields) => logged.push({ msg, ...(fields ? { fields } : {}) }) },
  });
  node.failNextSubmit = Object.assign(new Error('row of user alice-secret at 192.0.2.77', { cause: new RangeError('value alice-secret') }), { code: 'EIO' });
  await rejectsWith(caller.log.submit({ entries: [b64('x')] }), 'INTERNAL_SERVER_ERROR');
  assert.deepEqual(logged, [{ msg: 'procedure failed', fields: { path: 'log.submit', error: { name: 'Error', code: 'EIO', cause: { name: 'RangeError' } } } }]);
});
