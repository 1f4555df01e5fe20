/**
 * Test helper: asserts that a procedure call rejects with a TRPCError of `code` (and a message
 * matching `re`), and returns the error for further checks.
 */
import assert from 'node:assert/strict';
import { TRPCError } from '@trpc/server';

export async function rejectsWith(p: Promise<unknown>, code: TRPCError['code'], re?: RegExp): Promise<TRPCError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof TRPCError, `expected TRPCError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (re) assert.match(e.message, re);
    return e;
  }
  assert.fail(`expected ${code}`);
}
