import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openCheckpoint, openNote, parseVerifierKey, verifierKeyFromSigner, type Verifier } from '@cairn/formats';
import { verifyInclusion } from '@cairn/merkle';
import { LogNode, type LogNodeOptions } from '../node.js';
import { isLogError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { memoryStorage, type MemoryStorage } from '../storage/memory.js';
import { backend, entries, testKey } from '../test-helpers.js';
import type { CosignedCheckpoint } from './cosigned.js';
import { FakeWitness } from './fake-witness.js';

const LOG_VKEY = verifierKeyFromSigner(testKey());
const TIMING = { requestTimeoutMs: 1_000, startupTimeoutMs: 1_000, initialBackoffMs: 10, maxBackoffMs: 100 };
/** Upper bound of every wait in this file (never reached when things work). */
const BOUND_MS = 10_000;

async function until(what: string, pred: () => boolean): Promise<void> {
  const deadline = Date.now() + BOUND_MS;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Resolves `p` or fails the test after BOUND_MS. */
async function bounded<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), BOUND_MS);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function witnesses(n: number): Promise<FakeWitness[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => FakeWitness.start({ name: `witness-${i}.example`, logVkey: LOG_VKEY, seed: 40 + i })));
}

const closeAll = (ws: FakeWitness[]) => Promise.all(ws.map((w) => w.close()));

function open(ws: FakeWitness[], o: Partial<LogNodeOptions> = {}): Promise<LogNode> {
  return LogNode.open({
    storage: memoryStorage(),
    signerKey: testKey(),
    logger: silentLogger,
    checkpointIntervalMs: 5,
    witnesses: ws.map((w) => ({ url: w.url, vkey: w.vkey })),
    witnessTiming: TIMING,
    ...o,
  });
}

/** Verifies a cosigned note: log signature + at least `quorum` of `ws`; returns the witnesses that signed. */
function checkCosigned(node: LogNode, c: CosignedCheckpoint, ws: FakeWitness[], quorum: number): string[] {
  const log = parseVerifierKey(node.verifierKey);
  const opened = openCheckpoint(c.note, [log]);
  assert.equal(opened.checkpoint.size, c.size);
  assert.deepEqual(opened.checkpoint.rootHash, c.rootHash);
  const signers: string[] = [];
  for (const w of ws) {
    const v: Verifier = parseVerifierKey(w.vkey);
    try {
      openNote(c.note, [v]);
      signers.push(w.name);
    } catch (e) {
      assert.equal((e as { code?: string }).code, 'no-verified-signature', `a bad line for ${w.name}`);
    }
  }
  assert.ok(signers.length >= quorum, `${signers.length} cosignatures < quorum ${quorum}`);
  assert.deepEqual(c.cosigners.map((x) => x.name), signers);
  return signers;
}

test('3 witnesses, quorum 2: checkpoints are cosigned, served, and wait "cosigned" proofs verify', async () => {
  const ws = await witnesses(3);
  const node = await open(ws, { quorum: 2 });
  try {
    await node.start();
    const seen: bigint[] = [];
    node.onCosignedCheckpoint((c) => seen.push(c.size));
    const es = entries(7, 'cos');
    const r = await bounded('a cosigned checkpoint', node.submit(es, { wait: 'cosigned' }));
    const cp = r.checkpoint as CosignedCheckpoint;
    assert.ok(cp.size >= 7n);
    checkCosigned(node, cp, ws, 2);
    r.indices.forEach((index, i) => verifyInclusion(index, cp.size, r.leafHashes[i]!, r.proofs![i]!, cp.rootHash, backend));
    // What /checkpoint serves is a cosigned note, never behind, and status tells the witnesses' state.
    const served = node.servedCheckpoint() as CosignedCheckpoint;
    assert.ok(served.size >= cp.size);
    assert.equal(node.latestCosignedCheckpoint(), served);
    checkCosigned(node, served, ws, 2);
    await until('every witness to cosign size 7', () => node.status().witnesses.every((w) => w.lastCosignedSize === 7n));
    const st = node.status();
    assert.equal(st.quorum, 2);
    assert.equal(st.cosignedSize, node.latestCosignedCheckpoint()!.size);
    assert.equal(st.witnesses.length, 3);
    for (const w of st.witnesses) {
      assert.equal(w.consecutiveFailures, 0);
      assert.equal(typeof w.lastSuccessTime, 'number');
    }
    assert.deepEqual(st.alarms, []);
    assert.deepEqual(seen, [...seen].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), 'cosigned sizes never go backwards');
    // Each witness ended at the log's size.
    for (const w of ws) assert.equal(w.size, 7n);
  } finally {
    await node.stop();
    await closeAll(ws);
  }
});

test('with one witness down (refusing connections) or hanging, the quorum is reached and ingestion never stalls', async () => {
  for (const fault of ['down', 'hang'] as const) {
    const ws = await witnesses(3);
    // Already faulty at start-up: that is logged, not fatal.
    if (fault === 'down') await ws[2]!.close();
    else ws[2]!.mode = 'hang';
    const node = await open(ws, { quorum: 2, witnessTiming: { ...TIMING, requestTimeoutMs: 200, startupTimeoutMs: 200 } });
    try {
      await node.start();
      for (let k = 0; k < 5; k++) {
        const r = await bounded('a signed checkpoint', node.submit(entries(3, `${fault}-${k}`), { wait: 'checkpoint' }));
        assert.ok(r.checkpoint!.size >= BigInt(3 * (k + 1)));
      }
      const r = await bounded('a cosigned checkpoint', node.submit(entries(2, `${fault}-last`), { wait: 'cosigned' }));
      const signers = checkCosigned(node, r.checkpoint as CosignedCheckpoint, ws, 2);
      assert.ok(!signers.includes(ws[2]!.name));
      await until('the dead witness to be reported', () => node.status().witnesses[2]!.consecutiveFailures > 0);
      const dead = node.status().witnesses[2]!;
      assert.equal(dead.lastCosignedSize, undefined);
      assert.match(dead.lastError ?? '', fault === 'hang' ? /timed out/ : /fetch failed|ECONNREFUSED|connect/i);
      assert.equal(node.status().queueDepth, 0);
    } finally {
      await bounded('stop', node.stop());
      await closeAll(ws);
    }
  }
});

test('a witness restarted with an empty data directory is resynced through 409 while the log goes on', async () => {
  const ws = await witnesses(3);
  const node = await open(ws, { quorum: 3 });
  try {
    await node.start();
    await bounded('cosigned 1', node.submit(entries(5, 'a'), { wait: 'cosigned' }));
    const w = ws[1]!;
    // The witness comes back empty (new data directory) on the same address.
    await w.close();
    w.state = undefined;
    const before = w.answers.length;
    await w.listen();
    for (let k = 0; k < 3; k++) await bounded('signed', node.submit(entries(4, `b${k}`), { wait: 'checkpoint' }));
    const r = await bounded('cosigned by all three again', node.submit(entries(1, 'c'), { wait: 'cosigned' }));
    const cp = r.checkpoint as CosignedCheckpoint;
    assert.equal(checkCosigned(node, cp, ws, 3).length, 3);
    const after = w.answers.slice(before);
    // It told its size (0) with a 409, then cosigned the log from old 0.
    assert.ok(after.some((a) => a.status === 409), JSON.stringify(after, (_, v) => (typeof v === 'bigint' ? `${v}` : v)));
    assert.ok(after.some((a) => a.status === 200 && a.old === 0n));
    assert.ok((w.size ?? 0n) >= cp.size);
    assert.deepEqual(node.status().alarms, []);
  } finally {
    await node.stop();
    await closeAll(ws);
  }
});

test('a witness answering 422, or with a bad cosignature, raises alarms; foreign lines are ignored', async () => {
  const ws = await witnesses(3);
  ws[0]!.mode = 'reject-422';
  ws[1]!.mode = 'bad-signature';
  ws[2]!.mode = 'foreign-line';
  const warnings: { msg: string; fields: Record<string, unknown> | undefined }[] = [];
  const logger: Logger = { ...silentLogger, warn: (msg, fields) => void warnings.push({ msg, fields }) };
  const node = await open(ws, { quorum: 1, logger });
  try {
    await node.start();
    const r = await bounded('cosigned by the honest witness', node.submit(entries(3, 'x'), { wait: 'cosigned' }));
    const cp = r.checkpoint as CosignedCheckpoint;
    assert.deepEqual(checkCosigned(node, cp, ws, 1), [ws[2]!.name]);
    assert.doesNotMatch(new TextDecoder().decode(cp.note), /foreign\.example/u, 'lines of unknown keys are not merged');
    await until('alarms about both witnesses', () => {
      const kinds = new Set(node.status().alarms.map((a) => `${a.name}:${a.kind}`));
      return kinds.has(`${ws[0]!.name}:rejected`) && kinds.has(`${ws[1]!.name}:bad-cosignature`);
    });
    const st = node.status();
    const rejected = st.alarms.find((a) => a.kind === 'rejected')!;
    assert.equal(rejected.status, 422);
    assert.match(rejected.message, /consistency proof does not verify/u);
    assert.equal(rejected.url, ws[0]!.url);
    assert.ok(st.witnesses[0]!.alarms >= 1);
    assert.ok(st.witnesses[1]!.alarms >= 1);
    assert.equal(st.witnesses[2]!.alarms, 0);
    assert.ok(warnings.some((w) => w.msg === 'witness alarm' && w.fields?.['status'] === 422), 'alarms are logged as structured warnings');
  } finally {
    await node.stop();
    await closeAll(ws);
  }
});

test('start-up refuses a rolled-back data directory (a witness holds size 10, the log 5), naming both sizes', async () => {
  const ws = await witnesses(2);
  const storage = memoryStorage();
  let node = await open(ws, { storage, quorum: 2 });
  await node.start();
  await bounded('cosigned at 5', node.submit(entries(5, 'r'), { wait: 'cosigned' }));
  await node.stop();
  const at5 = storage.snapshot();
  node = await open(ws, { storage: memoryStorage(at5), quorum: 2 });
  await node.start();
  await bounded('cosigned at 10', node.submit(entries(5, 's'), { wait: 'cosigned' }));
  await node.stop();
  assert.equal(ws[1]!.size, 10n);
  // The data directory is "restored" from the copy taken at size 5.
  ws[0]!.mode = 'hang'; // one witness unreachable at start-up is not what stops it
  const err = await bounded('refusal', open(ws, { storage: memoryStorage(at5), quorum: 2, witnessTiming: { ...TIMING, startupTimeoutMs: 300 } }).then(
    () => assert.fail('open() should refuse'),
    (e: unknown) => e,
  ));
  assert.ok(isLogError(err, 'rolled-back'), String(err));
  assert.match(err.message, /witness-1\.example/u);
  assert.match(err.message, /size 10\b/u);
  assert.match(err.message, /size 5\b/u);
  assert.deepEqual((err.details?.['witnesses'] as { size: bigint }[]).map((w) => w.size), [10n]);
  assert.equal(err.details?.['size'], 5n);
  await closeAll(ws);
});

test('a restart serves the persisted cosigned checkpoint at once, even with every witness unreachable', async () => {
  const ws = await witnesses(3);
  const storage = memoryStorage();
  let node = await open(ws, { storage, quorum: 2 });
  await node.start();
  const r = await bounded('cosigned', node.submit(entries(6, 'p'), { wait: 'cosigned' }));
  await until('a note with all three cosignatures', () => (node.latestCosignedCheckpoint()?.cosigners.length ?? 0) === 3);
  const before = node.latestCosignedCheckpoint()!;
  await node.stop();
  await closeAll(ws);
  node = await open(ws, { storage: memoryStorage((storage as MemoryStorage).snapshot()), quorum: 2 });
  try {
    const served = node.servedCheckpoint() as CosignedCheckpoint;
    assert.deepEqual(served.note, before.note);
    assert.ok(served.size >= r.checkpoint!.size);
    checkCosigned(node, served, ws, 3);
    assert.equal(node.status().cosignedSize, served.size);
  } finally {
    await node.stop();
  }
});

test('quorum 0 serves each signed checkpoint at once and adds cosignatures as they come; no witnesses serves the signed one', async () => {
  const ws = await witnesses(1);
  const node = await open(ws, { quorum: 0 });
  try {
    await node.start();
    const r = await bounded('cosigned', node.submit(entries(2, 'q'), { wait: 'cosigned' }));
    assert.ok(r.checkpoint!.size >= 2n);
    await until('the witness line to be added', () => (node.latestCosignedCheckpoint()?.cosigners.length ?? 0) === 1);
    checkCosigned(node, node.latestCosignedCheckpoint()!, ws, 1);
  } finally {
    await node.stop();
    await closeAll(ws);
  }
  const plain = await LogNode.open({ storage: memoryStorage(), signerKey: testKey(), logger: silentLogger, checkpointIntervalMs: 5 });
  await plain.start();
  const r = await bounded('signed', plain.submit(entries(2, 'n'), { wait: 'cosigned' }));
  assert.equal(plain.servedCheckpoint(), plain.latestCheckpoint());
  assert.equal(plain.latestCosignedCheckpoint(), undefined);
  assert.ok(r.checkpoint!.size >= 2n);
  assert.deepEqual(plain.status().witnesses, []);
  await plain.stop();
});

test('a slow witness gets one request at a time, only ever the newest checkpoint, and catches up', async () => {
  const ws = await witnesses(2);
  ws[1]!.delayMs = 50;
  const node = await open(ws, { quorum: 1 });
  try {
    await node.start();
    for (let k = 0; k < 10; k++) await bounded('signed', node.submit(entries(2, `s${k}`), { wait: 'checkpoint' }));
    const size = node.latestCheckpoint()!.size;
    await until('the slow witness to catch up', () => node.status().witnesses[1]!.lastCosignedSize === size);
    assert.equal(ws[1]!.maxInFlight, 1);
    const sizes = ws[1]!.answers.filter((a) => a.status === 200).map((a) => a.size!);
    assert.deepEqual(sizes, [...sizes].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), 'never an older checkpoint after a newer one');
    assert.equal(new Set(sizes).size, sizes.length);
  } finally {
    await node.stop();
    await closeAll(ws);
  }
});

test('witness options are validated', async () => {
  const [w] = await witnesses(1);
  try {
    const bad = async (o: Partial<LogNodeOptions>, re: RegExp) => {
      await assert.rejects(open([w!], o), (e: unknown) => isLogError(e, 'config') && re.test(e.message));
    };
    await bad({ quorum: 2 }, /quorum/u);
    await bad({ quorum: -1 }, /quorum/u);
    await bad({ witnesses: [{ url: w!.url, vkey: LOG_VKEY }] }, /cosignature\/v1/u);
    await bad({ witnesses: [{ url: 'ftp://x', vkey: w!.vkey }] }, /http/u);
    await bad({ witnesses: [{ url: w!.url, vkey: w!.vkey }, { url: w!.url, vkey: w!.vkey }] }, /twice/u);
    await bad({ witnessTiming: { requestTimeoutMs: 0 } }, /requestTimeoutMs/u);
  } finally {
    await w!.close();
  }
});
