import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { trimBlanks } from './blanks.js';

test('trimBlanks strips spaces and tabs at both ends only', () => {
  assert.equal(trimBlanks(' \ta b\t '), 'a b');
  assert.equal(trimBlanks('\t \t'), '');
  assert.equal(trimBlanks(''), '');
  assert.equal(trimBlanks('\u00a0x\r'), '\u00a0x\r');
});

test('trimBlanks agrees with the regex it replaces', () => {
  const blanky = fc.string({ unit: fc.constantFrom(' ', '\t', 'a', '\u00a0', '\n') });
  fc.assert(fc.property(blanky, (s) => trimBlanks(s) === s.replace(/^[ \t]+|[ \t]+$/g, '')), { numRuns: 500 });
});
