import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { utf8Encode } from './encoding.js';
import { splitHeadAndNote } from './head.js';

test('splits at the first blank line; the note keeps every byte after it', () => {
  const got = splitHeadAndNote(utf8Encode('old 5\nAAAA\n\nnote\n\nmore\n'));
  assert.ok(got.ok);
  assert.deepEqual(got.lines, ['old 5', 'AAAA']);
  assert.equal(new TextDecoder().decode(got.note), 'note\n\nmore\n');
  assert.deepEqual(splitHeadAndNote(utf8Encode('old 5\nno blank line\n')), { ok: false, code: 'no-separator' });
  assert.deepEqual(splitHeadAndNote(utf8Encode('old 5\r\n\nnote')), { ok: false, code: 'bad-head', offset: 5, byte: 0x0d });
});

test('any printable head and any note round-trip', () => {
  const line = fc.stringMatching(/^[\x20-\x7e]{1,20}$/);
  fc.assert(
    fc.property(fc.array(line, { minLength: 1, maxLength: 5 }), fc.uint8Array({ maxLength: 64 }), (lines, note) => {
      const head = utf8Encode(`${lines.join('\n')}\n\n`);
      const body = new Uint8Array(head.length + note.length);
      body.set(head);
      body.set(note, head.length);
      const got = splitHeadAndNote(body);
      assert.ok(got.ok);
      assert.deepEqual(got.lines, lines);
      assert.deepEqual(got.note, note);
    }),
  );
});
