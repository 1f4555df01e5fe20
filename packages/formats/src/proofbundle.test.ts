import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  MAX_INCLUSION_PROOF_LINES,
  MAX_PROOF_BUNDLE_SIZE,
  PROOF_BUNDLE_HEADER,
  ProofBundleError,
  formatProofBundle,
  parseProofBundle,
} from './proofbundle.js';
import { encodeBase64, fromHexStrict } from './encoding.js';
import { parseCheckpointNote } from './checkpoint.js';

const VECTORS = join(import.meta.dirname, '..', '..', '..', 'test', 'vectors');
const vectors = (name: string): any => JSON.parse(readFileSync(join(VECTORS, name), 'utf8'));

const te = new TextEncoder();
const td = new TextDecoder();

// The c2sp.org/tlog-proof example, with its signatures elided as in the spec.
const SPEC_EXAMPLE = `c2sp.org/tlog-proof@v1
extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ
index 73894
gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=
B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=
EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=
RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=
AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=

example.com/fancylog
109482
sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=

— example.com/fancylog hI2DJw[...]1roloI=
— witness1.example mJirIklj[...]qY9v2B/5bg==
`;

function rejects(input: string | Uint8Array, code: string): void {
  assert.throws(() => parseProofBundle(input), (e: unknown) => e instanceof ProofBundleError && e.code === code, `expected ${code}`);
}

const cosig = vectors('cosignatures.json').ed25519_cosignatures[0];
const CHECKPOINT: string = cosig.full_checkpoint_file;
const HASH = encodeBase64(new Uint8Array(32).fill(1));

test('spec example parses (the note is returned verbatim, not verified)', () => {
  const p = parseProofBundle(SPEC_EXAMPLE);
  assert.equal(p.extra?.length, 39);
  assert.equal(td.decode(p.extra!.subarray(0, 30)), 'age-v1.2.1-darwin-arm64.tar.gz');
  assert.equal(p.index, 73894n);
  assert.equal(p.proof.length, 5);
  assert.equal(encodeBase64(p.proof[0]!), 'gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=');
  assert.ok(p.checkpoint.startsWith('example.com/fancylog\n109482\n'));
  assert.equal(p.checkpoint, SPEC_EXAMPLE.slice(SPEC_EXAMPLE.indexOf('\n\n') + 2));
  assert.equal(td.decode(formatProofBundle(p)), SPEC_EXAMPLE);
});

test('a bundle with a real inclusion proof and a real cosigned checkpoint', () => {
  const c = vectors('rfc6962_inclusion.json').generated_proofs.cases.find((x: any) => x.index === 5 && x.size === 8);
  const proof = c.proof_hex.map((h: string) => fromHexStrict(h, 32));
  const bytes = formatProofBundle({ index: 5n, proof, checkpoint: CHECKPOINT });
  const text = td.decode(bytes);
  assert.equal(text, `${PROOF_BUNDLE_HEADER}\nindex 5\n${proof.map((h: Uint8Array) => `${encodeBase64(h)}\n`).join('')}\n${CHECKPOINT}`);
  const p = parseProofBundle(bytes);
  assert.deepEqual(p, { index: 5n, proof, checkpoint: CHECKPOINT });
  assert.ok(!('extra' in p));
  // The checkpoint is exposed verbatim for later verification.
  assert.equal(parseCheckpointNote(p.checkpoint).checkpoint.origin, 'rome2026h1.example.org');
  assert.deepEqual(formatProofBundle({ ...p, checkpoint: te.encode(p.checkpoint) }), bytes);
});

test('limits: 63 proof lines pass, 64 fail; oversize fails before parsing', () => {
  const lines = (n: number) => Array.from({ length: n }, () => `${HASH}\n`).join('');
  assert.equal(parseProofBundle(`${PROOF_BUNDLE_HEADER}\nindex 0\n${lines(63)}\n${CHECKPOINT}`).proof.length, MAX_INCLUSION_PROOF_LINES);
  rejects(`${PROOF_BUNDLE_HEADER}\nindex 0\n${lines(64)}\n${CHECKPOINT}`, 'too-many-proof-lines');
  const big = `${PROOF_BUNDLE_HEADER}\nindex 0\n\n${'a'.repeat(MAX_PROOF_BUNDLE_SIZE)}`;
  rejects(big, 'too-large');
  rejects(te.encode(big), 'too-large');
  // Multi-byte characters: the UTF-8 size counts, not the string length.
  rejects(`${PROOF_BUNDLE_HEADER}\nindex 0\n\n${'é'.repeat(MAX_PROOF_BUNDLE_SIZE / 2)}`, 'too-large');
});

test('malformed bundles are rejected with specific codes', () => {
  const ok = `${PROOF_BUNDLE_HEADER}\nextra AQID\nindex 7\n${HASH}\n\n${CHECKPOINT}`;
  assert.equal(parseProofBundle(ok).index, 7n);
  rejects(`${PROOF_BUNDLE_HEADER}\nindex 7\n${HASH}\nexample.com/x\n`, 'no-separator');
  rejects('', 'no-separator');
  rejects(ok.replace('@v1', '@v2'), 'bad-header');
  rejects(` ${ok}`, 'bad-header');
  rejects(`\n${ok}`, 'bad-header');
  rejects(ok.replace(PROOF_BUNDLE_HEADER, `${PROOF_BUNDLE_HEADER}\r`), 'bad-head');
  rejects(ok.replace('index 7', 'index\t7'), 'bad-head');
  rejects(ok.replace('extra AQID', 'extra AQJ='), 'bad-extra');
  rejects(ok.replace('extra AQID', 'extra AQ'), 'bad-extra');
  rejects(ok.replace('extra AQID', 'extra '), 'bad-extra');
  rejects(ok.replace('extra AQID', 'extra  AQID'), 'bad-extra');
  assert.ok(!('extra' in parseProofBundle(ok.replace('extra AQID\n', ''))));
  rejects(ok.replace('extra AQID\nindex 7', 'index 7\nextra AQID'), 'bad-proof-line');
  rejects(ok.replace('index 7', 'index 07'), 'bad-index');
  rejects(ok.replace('index 7', 'index -7'), 'bad-index');
  rejects(ok.replace('index 7', 'index 9223372036854775808'), 'bad-index');
  rejects(ok.replace('index 7', 'Index 7'), 'bad-index');
  rejects(ok.replace('index 7', 'index'), 'bad-index');
  rejects(`${PROOF_BUNDLE_HEADER}\nextra AQID\n\n${CHECKPOINT}`, 'bad-index');
  rejects(`${PROOF_BUNDLE_HEADER}\n\n${CHECKPOINT}`, 'bad-index');
  rejects(ok.replace(HASH, encodeBase64(new Uint8Array(31))), 'bad-proof-line');
  rejects(ok.replace(HASH, HASH.slice(0, -1)), 'bad-proof-line');
  rejects(ok.replace(`${HASH}\n`, `${HASH} \n`), 'bad-proof-line');
  rejects(`${PROOF_BUNDLE_HEADER}\nindex 7\n\n`, 'empty-checkpoint');
  rejects(new Uint8Array([...te.encode(`${PROOF_BUNDLE_HEADER}\nindex 7\n\n`), 0xff, 0x0a]), 'bad-checkpoint');
  rejects('c2sp.org/tlog-proof@v1\nindex 0\n\n\udc00', 'bad-checkpoint');
  rejects(42 as unknown as string, 'bad-input');
});

test('formatProofBundle rejects invalid input', () => {
  const base = { index: 1n, proof: [new Uint8Array(32)], checkpoint: CHECKPOINT };
  const bad = (x: object, code: string) =>
    assert.throws(() => formatProofBundle({ ...base, ...x }), (e: unknown) => e instanceof ProofBundleError && e.code === code);
  bad({ extra: new Uint8Array(0) }, 'bad-extra');
  bad({ index: -1n }, 'bad-index');
  bad({ index: 1n << 63n }, 'bad-index');
  bad({ index: 1 }, 'bad-index');
  bad({ proof: [new Uint8Array(33)] }, 'bad-proof-line');
  bad({ proof: new Array(64).fill(new Uint8Array(32)) }, 'too-many-proof-lines');
  bad({ checkpoint: '' }, 'empty-checkpoint');
  bad({ checkpoint: new Uint8Array([0xc3]) }, 'bad-checkpoint');
  bad({ checkpoint: '\ud800' }, 'bad-checkpoint');
  bad({ checkpoint: 'x'.repeat(MAX_PROOF_BUNDLE_SIZE) }, 'too-large');
});

// ---- properties ----

const bundleArb = fc.record(
  {
    extra: fc.uint8Array({ minLength: 1, maxLength: 64 }),
    index: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }),
    proof: fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: MAX_INCLUSION_PROOF_LINES }),
    checkpoint: fc.string({ minLength: 1, maxLength: 200, unit: 'grapheme' }),
  },
  { requiredKeys: ['index', 'proof', 'checkpoint'] },
);

function onlyOwn(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof ProofBundleError, `unexpected ${String(e)}`);
  }
}

test('property: parse(format(x)) == x and format(parse(b)) == b', () => {
  fc.assert(
    fc.property(bundleArb, (x) => {
      const b = formatProofBundle(x);
      const p = parseProofBundle(b);
      assert.deepEqual(p, { ...x });
      assert.deepEqual(formatProofBundle(p), b);
    }),
    { numRuns: 200 },
  );
});

test('property: random, mutated and oversized input only throws ProofBundleError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), fc.string({ maxLength: 400 }), (b, s) => {
      onlyOwn(() => parseProofBundle(b));
      onlyOwn(() => parseProofBundle(s));
      onlyOwn(() => parseProofBundle(`${PROOF_BUNDLE_HEADER}\n${s}`));
    }),
    { numRuns: 500 },
  );
  const spec = te.encode(SPEC_EXAMPLE);
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (muts) => {
      const b = spec.slice();
      for (const [p, v] of muts) b[p % b.length] = v;
      onlyOwn(() => parseProofBundle(b));
    }),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 1000 }), (extra) => {
      onlyOwn(() => parseProofBundle(new Uint8Array(MAX_PROOF_BUNDLE_SIZE + extra)));
    }),
    { numRuns: 10 },
  );
});
