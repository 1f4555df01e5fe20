import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { leafHash } from '@cairn/merkle';
import { LeafError } from './errors.js';
import { parseEvent } from './event.js';
import { buildLeaf, commitEvent, formatLeaf, MAX_LEAF_SIZE, MAX_LEAF_TIME, MAX_SEQUENCE, parseLeaf, type EventLeaf } from './leaf.js';
import { EVENTS, jsonBytes, PERSONAL_DATA } from './test-fixtures.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const SALT = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const sha256 = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();

function rejects(text: string | Uint8Array, code: string): void {
  assert.throws(() => parseLeaf(typeof text === 'string' ? enc(text) : text), (e: unknown) => e instanceof LeafError && e.code === code, String(text));
}

test('a leaf record has the documented exact bytes', () => {
  const event = parseEvent(jsonBytes(EVENTS[3002]));
  const built = buildLeaf({ source: 'okta-prod', seq: 41n, event, salt: SALT });
  const commitment = sha256(Buffer.concat([SALT, event.canonical]));
  const want = `cairn.dev/event-leaf/v1\nsource okta-prod\nseq 41\ntime 1767225600000\nclass 3002\ncommitment ${commitment.toString('base64')}\n`;
  assert.equal(new TextDecoder().decode(built.bytes), want);
  assert.deepEqual(built.leafHash, new Uint8Array(sha256(Buffer.concat([Buffer.from([0]), Buffer.from(want)]))));
  assert.deepEqual(built.leafHash, leafHash(built.bytes));
  assert.deepEqual(built.salt, SALT);
  assert.deepEqual(parseLeaf(built.bytes), { source: 'okta-prod', seq: 41n, time: 1767225600000n, classUid: 3002n, commitment: new Uint8Array(commitment) });
  assert.deepEqual(formatLeaf(parseLeaf(built.bytes)), built.bytes);
});

test('no personal data in a leaf: events full of user names and IPs leave none in the leaf bytes', () => {
  let n = 0;
  for (const [uid, e] of Object.entries(EVENTS)) {
    const event = parseEvent(jsonBytes(e));
    const text = new TextDecoder().decode(event.canonical);
    const present = PERSONAL_DATA.filter((p) => text.includes(p));
    assert.ok(present.length > 0, `fixture ${uid} carries personal data`);
    const salt = crypto.getRandomValues(new Uint8Array(32));
    const leaf = new TextDecoder().decode(buildLeaf({ source: 'k8s-audit', seq: BigInt(n++), event, salt }).bytes);
    for (const p of PERSONAL_DATA) assert.ok(!leaf.includes(p), `leaf of class ${uid} contains ${p}`);
    assert.ok(leaf.length <= MAX_LEAF_SIZE);
  }
});

test('the commitment is SHA-256(salt ‖ canonical event); another salt gives another commitment', () => {
  const event = parseEvent(jsonBytes(EVENTS[6003]));
  assert.deepEqual(commitEvent(SALT, event.canonical), new Uint8Array(sha256(Buffer.concat([SALT, event.canonical]))));
  const other = SALT.slice();
  other[0] = other[0]! ^ 1;
  assert.notDeepEqual(commitEvent(other, event.canonical), commitEvent(SALT, event.canonical));
  assert.throws(() => commitEvent(new Uint8Array(31), event.canonical), (e: unknown) => e instanceof LeafError && e.code === 'bad-salt');
  assert.throws(() => buildLeaf({ source: 'x', seq: 0n, event, salt: new Uint8Array(33) }), (e: unknown) => e instanceof LeafError && e.code === 'bad-salt');
});

const GOOD = 'cairn.dev/event-leaf/v1\nsource k8s-audit\nseq 41\ntime 1767225600000\nclass 3002\ncommitment AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=\n';

test('strict parsing: every deviation from the one canonical form is rejected', () => {
  parseLeaf(enc(GOOD));
  rejects(GOOD.replace('v1', 'v2'), 'bad-header');
  rejects(GOOD.replace('seq 41\ntime 1767225600000', 'time 1767225600000\nseq 41'), 'bad-line');
  rejects(GOOD + 'extra x\n', 'bad-line');
  rejects(GOOD.replace('class 3002\n', ''), 'bad-line');
  rejects(GOOD.replace('seq 41', 'seq  41'), 'bad-seq');
  rejects(GOOD.replace('seq 41', 'Seq 41'), 'bad-line');
  rejects(GOOD.replaceAll('\n', '\r\n'), 'bad-text');
  rejects(GOOD.slice(0, -1), 'bad-text');
  rejects(GOOD.replace('k8s-audit', 'k8s audit'), 'bad-source');
  rejects(GOOD.replace('k8s-audit', '-k8s'), 'bad-source');
  rejects(GOOD.replace('k8s-audit', 'x'.repeat(65)), 'bad-source');
  rejects(GOOD.replace('k8s-audit', 'kübernetes'), 'bad-text');
  for (const s of ['041', '+41', '-1', '4e1', '', '9223372036854775808']) rejects(GOOD.replace('seq 41', `seq ${s}`), 'bad-seq');
  rejects(GOOD.replace('time 1767225600000', 'time 9007199254740992'), 'bad-time');
  rejects(GOOD.replace('class 3002', 'class 1000000'), 'bad-class');
  rejects(GOOD.replace('HyA=', 'Hw=='), 'bad-commitment');
  rejects(GOOD.replace('HyA=', 'HyA'), 'bad-commitment');
  rejects(new Uint8Array(MAX_LEAF_SIZE + 1).fill(0x41), 'too-large');
  assert.throws(() => parseLeaf('x' as unknown as Uint8Array), (e: unknown) => e instanceof LeafError && e.code === 'bad-input');
  parseLeaf(enc(GOOD.replace('seq 41', `seq ${MAX_SEQUENCE}`).replace('time 1767225600000', `time ${MAX_LEAF_TIME}`)));
});

test('formatLeaf validates every field', () => {
  const leaf = parseLeaf(enc(GOOD));
  const bad: [Partial<EventLeaf>, string][] = [
    [{ source: '' }, 'bad-source'], [{ seq: -1n }, 'bad-seq'], [{ seq: MAX_SEQUENCE + 1n }, 'bad-seq'], [{ seq: 1 as unknown as bigint }, 'bad-seq'],
    [{ time: MAX_LEAF_TIME + 1n }, 'bad-time'], [{ classUid: 1_000_000n }, 'bad-class'], [{ commitment: new Uint8Array(31) }, 'bad-commitment'],
  ];
  for (const [patch, code] of bad) assert.throws(() => formatLeaf({ ...leaf, ...patch }), (e: unknown) => e instanceof LeafError && e.code === code, code);
});

const leafArb = fc.record({
  source: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
  seq: fc.bigInt({ min: 0n, max: MAX_SEQUENCE }),
  time: fc.bigInt({ min: 0n, max: MAX_LEAF_TIME }),
  classUid: fc.bigInt({ min: 0n, max: 999_999n }),
  commitment: fc.uint8Array({ minLength: 32, maxLength: 32 }),
});

test('property: format → parse → format is the identity', () => {
  fc.assert(fc.property(leafArb, (l) => {
    const bytes = formatLeaf(l);
    assert.deepEqual(parseLeaf(bytes), { ...l });
    assert.deepEqual(formatLeaf(parseLeaf(bytes)), bytes);
  }), { numRuns: 500 });
});

test('property: arbitrary and mutated bytes parse or throw LeafError only', () => {
  const good = enc(GOOD);
  const mutated = fc.tuple(fc.nat({ max: good.length - 1 }), fc.integer({ min: 0, max: 255 })).map(([i, b]) => {
    const m = good.slice();
    m[i] = b;
    return m;
  });
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), mutated), (bytes) => {
    try {
      const l = parseLeaf(bytes);
      assert.deepEqual(formatLeaf(l), bytes); // whatever parses is canonical
    } catch (e) {
      if (!(e instanceof LeafError)) throw e;
    }
  }), { numRuns: 2000 });
});
