/**
 * The tlog-witness surface against a real HTTP witness on 127.0.0.1:0: every step of
 * test/vectors/tlog_witness.json, the further rules from Sunlight's tests, and 16
 * concurrent add-checkpoint requests racing from the same old size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  TLOG_SIZE_CONTENT_TYPE,
  generateSignerKey,
  openNote,
  originHash,
  parseAddCheckpointRequest,
  parseCosignatureLines,
  parseNote,
  parseVerifierKey,
  signNote,
} from '@cairn/formats';
import { EMPTY_ROOT } from '@cairn/merkle';
import { MemoryWitnessStorage, Witness, type LogSpec } from '@cairn/witness';
import { TestLog, testSeed } from '@cairn/witness/testing';
import { startWitnessServer } from '../witness-server.js';

const VECTORS = join(import.meta.dirname, '..', '..', '..', '..', 'test', 'vectors');

interface Step {
  step: number;
  name: string;
  request_body: string;
  expected_status: number;
  expected_body_contains: string;
  expected_body_exact?: string;
}
interface Vectors {
  log: { origin: string; vkey: string };
  witness_name_in_tests: string;
  steps: Step[];
}
const vectors = JSON.parse(readFileSync(join(VECTORS, 'tlog_witness.json'), 'utf8')) as Vectors;

async function withWitness(logs: LogSpec[], fn: (url: string, witness: Witness, storage: MemoryWitnessStorage) => Promise<void>): Promise<void> {
  const storage = new MemoryWitnessStorage();
  const key = generateSignerKey(vectors.witness_name_in_tests, testSeed(7));
  const witness = new Witness({ key, logs, storage });
  const server = await startWitnessServer({ witness, listen: { host: '127.0.0.1', port: 0 } });
  try {
    await fn(server.url, witness, storage);
  } finally {
    await server.close();
  }
}

async function post(url: string, body: Uint8Array | string): Promise<{ status: number; type: string | null; text: string; headers: Headers }> {
  const res = await fetch(`${url}/add-checkpoint`, { method: 'POST', body, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text(), headers: res.headers };
}

function checkCosignature(witness: Witness, requestBody: Uint8Array | string, response: string): void {
  const note = new TextDecoder().decode(parseAddCheckpointRequest(typeof requestBody === 'string' ? new TextEncoder().encode(requestBody) : requestBody).checkpoint);
  const lines = parseCosignatureLines(response);
  assert.ok(lines.every((l) => l.name === witness.name), 'only our own lines');
  // Drop any line the request carried under our name (a forgery), then add the response.
  const parsed = parseNote(note);
  const theirs = parsed.signatures.filter((sig) => sig.name !== witness.name).map((sig) => sig.line + '\n').join('');
  const opened = openNote(parsed.text + '\n' + theirs + response, [parseVerifierKey(witness.cosignatureVkey)]);
  assert.equal(opened.verified.length, 1);
}

test('tlog_witness.json: every step against the HTTP witness', async () => {
  assert.equal(vectors.steps.length, 11);
  await withWitness([{ vkey: vectors.log.vkey }], async (url, witness) => {
    assert.equal(witness.name, 'example.com/witness');
    for (const s of vectors.steps) {
      const r = await post(url, s.request_body);
      assert.equal(r.status, s.expected_status, `step ${s.step} (${s.name}): ${r.text}`);
      assert.ok(r.text.includes(s.expected_body_contains), `step ${s.step} body ${JSON.stringify(r.text)}`);
      assert.equal(r.headers.get('access-control-allow-origin'), '*');
      if (s.expected_status === 409) {
        assert.equal(r.type, TLOG_SIZE_CONTENT_TYPE, `step ${s.step} content type`);
        assert.equal(r.text, s.expected_body_exact);
      }
      if (s.expected_status === 200) checkCosignature(witness, s.request_body, r.text);
    }
    // The monitoring GET serves the latest cosigned note: the log's verified line and ours.
    const m = await fetch(`${url}/${originHash(vectors.log.origin)}/checkpoint`);
    assert.equal(m.status, 200);
    const note = await m.text();
    const opened = openNote(note, [parseVerifierKey(vectors.log.vkey), parseVerifierKey(witness.cosignatureVkey)]);
    assert.equal(opened.verified.length, 2);
    assert.ok(note.startsWith(`${vectors.log.origin}\n5\n`));
    assert.equal((await fetch(`${url}/${originHash('example.com/never')}/checkpoint`)).status, 404);
  });
});

test('more_rules_from_sunlight_tests over HTTP', async () => {
  const log = new TestLog('example.com/sunlight-rules', 11);
  await withWitness([{ vkey: log.vkey }], async (url, witness, storage) => {
    // Extension lines: 400.
    assert.equal((await post(url, log.body(0n, 2n, { note: log.note(2n, { extensions: ['ext'] }) }))).status, 400);
    // Size 0 with a non-empty root: 422 (first submission).
    assert.equal((await post(url, log.body(0n, 0n, { note: log.note(0n, { rootHash: new Uint8Array(32).fill(2) }) }))).status, 422);
    // Cosign the empty tree; then a non-empty proof from old 0 is 422; an empty one grows to 5.
    const empty = log.body(0n, 0n, { note: log.note(0n, { rootHash: EMPTY_ROOT }) });
    const r0 = await post(url, empty);
    assert.equal(r0.status, 200);
    checkCosignature(witness, empty, r0.text);
    assert.equal((await post(url, log.body(0n, 0n, { note: log.note(0n, { rootHash: new Uint8Array(32).fill(2) }) }))).status, 422);
    assert.equal((await post(url, log.body(0n, 5n, { proof: [new Uint8Array(32)] }))).status, 422);
    // A forged line with the witness's own name and key ID is ignored and not stored.
    const forgedLine = parseNote(signNote(log.text(5n), [{ name: witness.name, keyId: witness.keyId, alg: 4, sign: () => new Uint8Array(72).fill(1) }])).signatures[0]!.line;
    const body = log.body(0n, 5n, { note: log.note(5n) + forgedLine + '\n' });
    const r = await post(url, body);
    assert.equal(r.status, 200, r.text);
    // Only the witness's own cosignature comes back, never the log's line.
    assert.deepEqual(parseCosignatureLines(r.text).map((l) => l.name), [witness.name]);
    assert.ok(!r.text.includes(forgedLine));
    checkCosignature(witness, body, r.text);
    assert.ok(!(await storage.latest(log.origin))!.note.includes(forgedLine));
    assert.equal((await post(url, log.body(5n, 6n))).status, 200);
  });
});

test('16 concurrent requests from the same old size: one 200, fifteen 409, the winner stored', async () => {
  const log = new TestLog('example.com/race', 12);
  await withWitness([{ vkey: log.vkey }], async (url, witness, storage) => {
    assert.equal((await post(url, log.body(0n, 4n))).status, 200);
    const sizes = Array.from({ length: 16 }, (_, i) => 5n + BigInt(i));
    const bodies = sizes.map((n) => log.body(4n, n));
    const results = await Promise.all(bodies.map((b) => post(url, b)));
    const winners = results.flatMap((r, i) => (r.status === 200 ? [i] : []));
    assert.equal(winners.length, 1, results.map((r) => r.status).join(','));
    const w = winners[0]!;
    for (const [i, r] of results.entries()) {
      if (i === w) continue;
      assert.equal(r.status, 409);
      assert.equal(r.type, TLOG_SIZE_CONTENT_TYPE);
      assert.ok(r.text === '4\n' || r.text === `${sizes[w]}\n`, r.text);
    }
    checkCosignature(witness, bodies[w]!, results[w]!.text);
    const stored = (await storage.latest(log.origin))!;
    assert.equal(stored.size, sizes[w]);
    assert.deepEqual(stored.rootHash, log.root(sizes[w]!));
    assert.ok(stored.note.endsWith(results[w]!.text));
  });
});
