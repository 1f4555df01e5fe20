import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  MAX_ADD_CHECKPOINT_BODY,
  MAX_CONSISTENCY_PROOF_LINES,
  TLOG_SIZE_CONTENT_TYPE,
  WitnessRequestError,
  WitnessResponseError,
  formatAddCheckpointRequest,
  formatCosignatureLines,
  formatSizeBody,
  isOriginHash,
  monitoringCheckpointPath,
  originHash,
  parseAddCheckpointRequest,
  parseCosignatureLines,
  parseSizeBody,
} from './witness.js';
import { encodeBase64 } from './encoding.js';
import { FormatError, NoteError } from './errors.js';
import { parseNote } from './note.js';
import { parseCheckpoint } from './checkpoint.js';

const VECTORS = join(import.meta.dirname, '..', '..', '..', 'test', 'vectors');
const vectors = (name: string): any => JSON.parse(readFileSync(join(VECTORS, name), 'utf8'));
const witnessVectors = vectors('tlog_witness.json');
const cosigVectors = vectors('cosignatures.json');

const te = new TextEncoder();
const td = new TextDecoder();
const enc = (s: string): Uint8Array => te.encode(s);

function rejectsRequest(body: string | Uint8Array, code: string): void {
  assert.throws(
    () => parseAddCheckpointRequest(typeof body === 'string' ? enc(body) : body),
    (e: unknown) => e instanceof WitnessRequestError && e.code === code,
    `expected ${code}`,
  );
}

function rejectsResponse(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof WitnessResponseError && e.code === code, `expected ${code}`);
}

const SPEC_NOTE =
  'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n' +
  '— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n' +
  '— example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n';
const SPEC_PROOF = [
  'PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=',
  'jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=',
  '5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=',
  '/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=',
];
const SPEC_BODY = `old 20852014\n${SPEC_PROOF.join('\n')}\n\n${SPEC_NOTE}`;
const HASH = encodeBase64(new Uint8Array(32).fill(0x2a));

test('spec example body (PROTOCOLS §5.2) parses and re-formats byte for byte', () => {
  const req = parseAddCheckpointRequest(enc(SPEC_BODY));
  assert.equal(req.oldSize, 20852014n);
  assert.deepEqual(req.proof.map(encodeBase64), SPEC_PROOF);
  assert.equal(td.decode(req.checkpoint), SPEC_NOTE);
  assert.deepEqual(formatAddCheckpointRequest(req), enc(SPEC_BODY));
  assert.deepEqual(formatAddCheckpointRequest({ ...req, checkpoint: SPEC_NOTE }), enc(SPEC_BODY));
});

test('every tlog_witness.json request body: parses, or is rejected as malformed (400)', () => {
  const steps = witnessVectors.steps as { step: number; request_body: string; expected_status: number }[];
  assert.ok(steps.length >= 11);
  for (const s of steps) {
    const body = enc(s.request_body);
    const req = parseAddCheckpointRequest(body);
    assert.deepEqual(formatAddCheckpointRequest(req), body, `step ${s.step} re-format`);
    const head = s.request_body.slice(0, s.request_body.indexOf('\n\n'));
    assert.equal(req.oldSize, BigInt(head.split('\n')[0]!.slice(4)));
    assert.equal(req.proof.length, head.split('\n').length - 1);
    let noteError: unknown;
    try {
      parseCheckpoint(parseNote(req.checkpoint).text);
    } catch (e) {
      noteError = e;
    }
    if (s.expected_status === 400) {
      // The 400 steps are well-formed bodies whose note or checkpoint is malformed.
      assert.ok(noteError instanceof FormatError, `step ${s.step} must be malformed`);
    } else if (noteError !== undefined) {
      // Step 2 mangles a log signature into base64 with non-zero trailing bits: Go decodes it and
      // fails the signature (403); our canonical note parser already rejects the line.
      assert.equal(s.expected_status, 403, `step ${s.step}: ${String(noteError)}`);
      assert.ok(noteError instanceof NoteError && noteError.code === 'bad-signature-line', String(noteError));
    }
  }
});

test('409 bodies of the scenario', () => {
  for (const s of witnessVectors.steps.filter((x: any) => x.expected_status === 409)) {
    const size = parseSizeBody(s.expected_body_exact);
    assert.equal(formatSizeBody(size), s.expected_body_exact);
    assert.equal(parseSizeBody(enc(s.expected_body_exact)), size);
  }
  assert.equal(TLOG_SIZE_CONTENT_TYPE, 'text/x.tlog.size');
  assert.equal(formatSizeBody(0n), '0\n');
  assert.equal(parseSizeBody('9223372036854775807\n'), 9223372036854775807n);
});

test('monitoring paths: origin hashes of the vectors', () => {
  for (const m of witnessVectors.monitoring_paths) {
    assert.equal(originHash(m.origin), m.origin_hash_hex);
    assert.ok(isOriginHash(m.origin_hash_hex));
    assert.equal(`<monitoring prefix>/${monitoringCheckpointPath(m.origin)}`, m.path);
  }
  for (const c of cosigVectors.ed25519_cosignatures) {
    const origin = c.checkpoint_text.split('\n')[0];
    assert.equal(monitoringCheckpointPath(origin), c.monitoring_path);
  }
  assert.ok(!isOriginHash('000DE184301123b9278c086a7d9f68c9577e83872224c197058fd90784ea9706'));
  assert.ok(!isOriginHash('abc'));
  assert.throws(() => originHash(''), WitnessRequestError);
  assert.throws(() => originHash('\ud800'), WitnessRequestError);
});

test('malformed add-checkpoint bodies are rejected with specific codes', () => {
  rejectsRequest(`old 5\n${HASH}\n${SPEC_NOTE.replace('\n\n', '\n')}`, 'no-separator');
  rejectsRequest('old 5\n', 'no-separator');
  rejectsRequest('', 'no-separator');
  rejectsRequest(`old 01\n\n${SPEC_NOTE}`, 'bad-old-line');
  rejectsRequest(`old -1\n\n${SPEC_NOTE}`, 'bad-old-line');
  rejectsRequest(`old +1\n\n${SPEC_NOTE}`, 'bad-old-line');
  rejectsRequest(`old  1\n\n${SPEC_NOTE}`, 'bad-old-line');
  rejectsRequest(`old 1 \n\n${SPEC_NOTE}`, 'bad-old-line');
  rejectsRequest(`old\n\n${SPEC_NOTE}`, 'bad-old-line');
  rejectsRequest(`Old 1\n\n${SPEC_NOTE}`, 'bad-old-line');
  rejectsRequest(`old 9223372036854775808\n\n${SPEC_NOTE}`, 'bad-old-line');
  rejectsRequest(`\n\n${SPEC_NOTE}`, 'bad-old-line');
  rejectsRequest(`${HASH}\nold 1\n\n${SPEC_NOTE}`, 'bad-old-line');
  rejectsRequest('old 1\r\n\r\nexample.com/x\n', 'no-separator');
  rejectsRequest(`old 1\r\n\r\n${SPEC_NOTE}`, 'bad-head');
  rejectsRequest(`old 1\r\n\n${SPEC_NOTE}`, 'bad-head');
  rejectsRequest(`old 1\n${HASH}\r\n\n${SPEC_NOTE}`, 'bad-head');
  rejectsRequest(`old 1\t\n\n${SPEC_NOTE}`, 'bad-head');
  rejectsRequest(`old 1\n${HASH.replace('K', 'é')}\n\n${SPEC_NOTE}`, 'bad-head');
  const lines64 = Array.from({ length: 64 }, () => HASH).join('\n');
  rejectsRequest(`old 1\n${lines64}\n\n${SPEC_NOTE}`, 'too-many-proof-lines');
  const lines63 = Array.from({ length: 63 }, () => HASH).join('\n');
  assert.equal(parseAddCheckpointRequest(enc(`old 1\n${lines63}\n\n${SPEC_NOTE}`)).proof.length, 63);
  rejectsRequest(`old 1\n${HASH.slice(0, -2)}=\n\n${SPEC_NOTE}`, 'bad-proof-line');
  rejectsRequest(`old 1\n${encodeBase64(new Uint8Array(31))}\n\n${SPEC_NOTE}`, 'bad-proof-line');
  rejectsRequest(`old 1\n${encodeBase64(new Uint8Array(33))}\n\n${SPEC_NOTE}`, 'bad-proof-line');
  rejectsRequest(`old 1\n${HASH.replace('=', '')}\n\n${SPEC_NOTE}`, 'bad-proof-line');
  rejectsRequest(`old 1\nKgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\n\n${SPEC_NOTE}`, 'bad-proof-line');
  rejectsRequest(`old 1\n ${HASH}\n\n${SPEC_NOTE}`, 'bad-proof-line');
  rejectsRequest(`old 1\n${HASH.replace('K', '-')}\n\n${SPEC_NOTE}`, 'bad-proof-line');
  rejectsRequest('old 1\n\n', 'empty-note');
  rejectsRequest(`old 1\n${HASH}\n\n`, 'empty-note');
  const big = new Uint8Array(MAX_ADD_CHECKPOINT_BODY + 1).fill(0x61);
  big.set(enc('old 0\n\n'));
  rejectsRequest(big, 'too-large');
  assert.throws(() => parseAddCheckpointRequest('old 0\n\nx' as unknown as Uint8Array), WitnessRequestError);
});

test('the split is at the first blank line; later blank lines belong to the note', () => {
  const req = parseAddCheckpointRequest(enc(`old 0\n\n\n${SPEC_NOTE}`));
  assert.equal(td.decode(req.checkpoint), `\n${SPEC_NOTE}`);
  assert.equal(req.proof.length, 0);
});

test('formatAddCheckpointRequest rejects invalid input', () => {
  const ok = { oldSize: 1n, proof: [new Uint8Array(32)], checkpoint: SPEC_NOTE };
  const bad = (x: object, code: string) =>
    assert.throws(() => formatAddCheckpointRequest({ ...ok, ...x }), (e: unknown) => e instanceof WitnessRequestError && e.code === code);
  bad({ oldSize: -1n }, 'bad-old-line');
  bad({ oldSize: 1n << 63n }, 'bad-old-line');
  bad({ oldSize: 1 }, 'bad-old-line');
  bad({ proof: Array.from({ length: MAX_CONSISTENCY_PROOF_LINES + 1 }, () => new Uint8Array(32)) }, 'too-many-proof-lines');
  bad({ proof: [new Uint8Array(31)] }, 'bad-proof-line');
  bad({ checkpoint: '' }, 'empty-note');
  bad({ checkpoint: new Uint8Array(0) }, 'empty-note');
  bad({ checkpoint: '\udc00' }, 'bad-input');
  bad({ checkpoint: 'x'.repeat(MAX_ADD_CHECKPOINT_BODY) }, 'too-large');
});

test('size bodies are strict', () => {
  for (const s of ['', '\n', '3', '03\n', '-1\n', '+1\n', '3\n\n', ' 3\n', '3 \n', '3\r\n', '9223372036854775808\n', '1e3\n']) {
    assert.throws(() => parseSizeBody(s), WitnessResponseError, JSON.stringify(s));
  }
  rejectsResponse(() => parseSizeBody('1'.repeat(100) + '\n'), 'too-large');
  rejectsResponse(() => parseSizeBody(new Uint8Array([0x33, 0xff, 0x0a])), 'bad-char');
  rejectsResponse(() => formatSizeBody(-1n), 'bad-size-body');
});

test('cosignature lines: real witness lines round-trip', () => {
  const body = cosigVectors.ed25519_cosignatures.map((c: any) => `${c.cosignature_line}\n`).join('');
  const lines = parseCosignatureLines(body);
  assert.equal(lines.length, cosigVectors.ed25519_cosignatures.length);
  for (const [i, c] of cosigVectors.ed25519_cosignatures.entries()) {
    const l = lines[i]!;
    assert.equal(l.name, c.cosigner_name);
    assert.equal(l.keyId, parseInt(c.key_id_hex, 16));
    assert.equal(l.payload.length, 72);
    assert.equal(l.line, c.cosignature_line);
  }
  assert.equal(formatCosignatureLines(lines), body);
  assert.deepEqual(parseCosignatureLines(enc(body)), lines);
});

test('cosignature lines: malformed bodies are errors, never skipped', () => {
  const good = `${cosigVectors.ed25519_cosignatures[0].cosignature_line}\n`;
  rejectsResponse(() => parseCosignatureLines(''), 'empty');
  rejectsResponse(() => parseCosignatureLines(good.slice(0, -1)), 'missing-newline');
  rejectsResponse(() => parseCosignatureLines(`${good}\n`), 'bad-line');
  rejectsResponse(() => parseCosignatureLines(`\n${good}`), 'bad-line');
  rejectsResponse(() => parseCosignatureLines(`${good}garbage\n`), 'bad-line');
  rejectsResponse(() => parseCosignatureLines(good.replace('— ', '- ')), 'bad-line');
  rejectsResponse(() => parseCosignatureLines(good.replace('\n', '\r\n')), 'bad-char');
  rejectsResponse(() => parseCosignatureLines(good.replace('— ', '—  ')), 'bad-name');
  rejectsResponse(() => parseCosignatureLines(good.replace('witness.example.org', 'a+b')), 'bad-name');
  rejectsResponse(() => parseCosignatureLines('— witness.example.org\n'), 'bad-line');
  rejectsResponse(() => parseCosignatureLines(good.replace(' uKLP', ' uKLP ')), 'bad-signature');
  rejectsResponse(() => parseCosignatureLines(good.replace(/ \S+\n$/, ' AAAA\n')), 'bad-signature');
  rejectsResponse(() => parseCosignatureLines(good.replace(/==\n$/, '\n')), 'bad-signature');
  rejectsResponse(() => parseCosignatureLines(good.repeat(101)), 'too-many-lines');
  rejectsResponse(() => parseCosignatureLines('x'.repeat(200 * 1024)), 'too-large');
  rejectsResponse(() => parseCosignatureLines(new Uint8Array([0xe2, 0x80, 0x0a])), 'bad-char');
  rejectsResponse(() => formatCosignatureLines([]), 'empty');
  rejectsResponse(() => formatCosignatureLines([{ name: 'a b', keyId: 1, payload: new Uint8Array(1) }]), 'bad-name');
  rejectsResponse(() => formatCosignatureLines([{ name: 'a', keyId: -1, payload: new Uint8Array(1) }]), 'bad-signature');
  rejectsResponse(() => formatCosignatureLines([{ name: 'a', keyId: 1, payload: new Uint8Array(0) }]), 'bad-signature');
});

// ---- properties ----

const hashArb = fc.uint8Array({ minLength: 32, maxLength: 32 });
const noteArb = fc.string({ minLength: 1, maxLength: 200 }).filter((s) => s.isWellFormed());

function only<E>(cls: new (...a: any[]) => E, f: () => unknown): void {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof cls, `unexpected ${String(e)}`);
  }
}

test('property: request round trip', () => {
  fc.assert(
    fc.property(
      fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }),
      fc.array(hashArb, { maxLength: MAX_CONSISTENCY_PROOF_LINES }),
      noteArb,
      (oldSize, proof, note) => {
        const body = formatAddCheckpointRequest({ oldSize, proof, checkpoint: note });
        const req = parseAddCheckpointRequest(body);
        assert.deepEqual(req, { oldSize, proof, checkpoint: enc(note) });
        assert.deepEqual(formatAddCheckpointRequest(req), body);
      },
    ),
    { numRuns: 200 },
  );
});

test('property: random, mutated and oversized request bodies only throw WitnessRequestError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), (b) => only(WitnessRequestError, () => parseAddCheckpointRequest(b))),
    { numRuns: 500 },
  );
  const spec = enc(SPEC_BODY);
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (muts) => {
      const b = spec.slice();
      for (const [p, v] of muts) b[p % b.length] = v;
      only(WitnessRequestError, () => parseAddCheckpointRequest(b));
    }),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 4096 }), (extra) => {
      const b = new Uint8Array(MAX_ADD_CHECKPOINT_BODY + 1 + extra);
      only(WitnessRequestError, () => parseAddCheckpointRequest(b));
    }),
    { numRuns: 20 },
  );
});

test('property: response parsers only throw WitnessResponseError', () => {
  const good = `${cosigVectors.ed25519_cosignatures[0].cosignature_line}\n`;
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), (s, b) => {
      only(WitnessResponseError, () => parseCosignatureLines(s));
      only(WitnessResponseError, () => parseCosignatureLines(b));
      only(WitnessResponseError, () => parseSizeBody(s));
      only(WitnessResponseError, () => parseSizeBody(b));
    }),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(fc.nat(), fc.string({ maxLength: 3 }), (pos, ins) => {
      const p = pos % good.length;
      only(WitnessResponseError, () => parseCosignatureLines(good.slice(0, p) + ins + good.slice(p + 1)));
    }),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }), (n) => assert.equal(parseSizeBody(formatSizeBody(n)), n)),
    { numRuns: 100 },
  );
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          name: fc.stringMatching(/^[a-z0-9./-]{1,20}$/),
          keyId: fc.nat({ max: 0xffffffff }),
          payload: fc.uint8Array({ minLength: 1, maxLength: 80 }),
        }),
        { minLength: 1, maxLength: 5 },
      ),
      (lines) => {
        const body = formatCosignatureLines(lines);
        const parsed = parseCosignatureLines(body);
        assert.deepEqual(parsed.map(({ name, keyId, payload }) => ({ name, keyId, payload })), lines.map((l) => ({ ...l })));
        assert.equal(formatCosignatureLines(parsed), body);
      },
    ),
    { numRuns: 100 },
  );
});
