import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeEventRecord, decodeIndex, decodeRetention, decodeSourceState, encodeBody, encodeRetention, encodeSourceState, encodeTombstone,
} from './records.js';
import { u64 } from '../storage/keys.js';

const base = { seq: 7n, accepted: 1_767_225_600_123n, deadline: 1_767_225_660n, source: 'bastion-01.eu' };

test('event records round-trip: body and tombstone', () => {
  const salt = new Uint8Array(32).map((_, i) => i + 1);
  const canonical = new TextEncoder().encode('{"a":1}');
  assert.deepEqual(decodeEventRecord(3n, encodeBody({ ...base, body: { salt, canonical } })), { ...base, body: { salt, canonical } });
  const erased = { record: 99n, time: 1_767_225_700_000 };
  assert.deepEqual(decodeEventRecord(3n, encodeTombstone(base, erased)), { ...base, erased });
  const empty = decodeEventRecord(3n, encodeBody({ ...base, body: { salt, canonical: new Uint8Array(0) } }));
  assert.equal(empty.body?.canonical.length, 0);
});

test('a damaged event record is an integrity error naming the index', () => {
  const salt = new Uint8Array(32);
  const good = encodeBody({ ...base, body: { salt, canonical: new Uint8Array([1]) } });
  const tomb = encodeTombstone(base, { record: 1n, time: 2 });
  const damaged: Uint8Array[] = [
    new Uint8Array(0),
    good.slice(0, 20),
    good.slice(0, 26 + base.source.length + 10), // body without its whole salt
    Uint8Array.from([9, ...good.slice(1)]), // unknown kind
    tomb.slice(0, tomb.length - 1), // tombstone cut short
    Uint8Array.from([...tomb, 0]), // tombstone with a trailing byte
  ];
  for (const d of damaged) {
    assert.throws(() => decodeEventRecord(42n, d), (e: any) => e.code === 'integrity' && /index 42/.test(e.message) && e.details.index === 42n);
  }
});

test('source state, retention values and lookups round-trip; damage is an integrity error', () => {
  assert.deepEqual(decodeSourceState('s', undefined), { nextSeq: 0n, lastIndex: undefined });
  assert.deepEqual(decodeSourceState('s', encodeSourceState({ nextSeq: 5n, lastIndex: 12n })), { nextSeq: 5n, lastIndex: 12n });
  assert.throws(() => decodeSourceState('s', new Uint8Array(15)), { code: 'integrity' });
  assert.deepEqual(decodeRetention(encodeRetention(3002, 'k8s')), { classUid: 3002, source: 'k8s' });
  assert.throws(() => decodeRetention(new Uint8Array(4)), { code: 'integrity' });
  assert.equal(decodeIndex(u64(2n ** 40n)), 2n ** 40n);
  assert.throws(() => decodeIndex(new Uint8Array(7)), { code: 'integrity' });
});
