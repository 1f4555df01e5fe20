/** Test-only (not exported): awaits a call that must be refused with a WitnessError of `code`, and returns it. */
import assert from 'node:assert/strict';
import { isWitnessError, type WitnessError, type WitnessErrorCode } from './errors.js';

export async function refused(p: Promise<unknown>, code: WitnessErrorCode): Promise<WitnessError> {
  try {
    await p;
  } catch (e) {
    assert.ok(isWitnessError(e), `expected a WitnessError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected refusal ${code}`);
}
