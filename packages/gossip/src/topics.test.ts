import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { utf8Encode } from '@cairn/formats';
import { checkpointTopic, validateCheckpointMessage, validateEvidenceMessage } from './topics.js';
import { forkLeaves, logKey, ORIGIN, signedCheckpoint } from './test-support.js';

const KEY = logKey();
const NOTE = signedCheckpoint(KEY, forkLeaves('A', 3, 3), 3);

test('checkpoint topic is /cairn/checkpoints/1/<hex sha256(origin)> (the tlog-witness origin hash)', () => {
  assert.equal(checkpointTopic('rome2026h1.example.org'), '/cairn/checkpoints/1/000de184301123b9278c086a7d9f68c9577e83872224c197058fd90784ea9706');
});

test('validators classify a valid note and never throw on random or mutated input', () => {
  assert.equal(validateCheckpointMessage(utf8Encode(NOTE), ORIGIN, [KEY.verifier]).result, 'accept');
  const mutated = fc.tuple(fc.nat(), fc.string({ maxLength: 3 })).map(([i, s]) => utf8Encode(NOTE.slice(0, i % NOTE.length) + s + NOTE.slice((i % NOTE.length) + 1)));
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), mutated), (data) => {
      const v = validateCheckpointMessage(data, ORIGIN, [KEY.verifier]);
      assert.ok(v.result === 'accept' || (v.result === 'reject' && v.reason !== 'internal-error'));
      const e = validateEvidenceMessage(data, () => [KEY.verifier]);
      assert.ok(e.result === 'reject' && e.reason === 'malformed');
    }),
    { numRuns: 300 },
  );
});
