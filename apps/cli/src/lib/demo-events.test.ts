import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateEvent } from '@cairn/events';
import { demoEvents } from './demo-events.js';

test('the demo events are valid OCSF events of the five kinds, with nothing moved into unmapped', () => {
  const now = 1_767_225_600_000;
  const events = demoEvents(now).map((e) => validateEvent(e.event));
  assert.deepEqual(events.map((e) => e.classUid), [3002, 3002, 6003, 6003, 3001]);
  for (const e of events) {
    assert.deepEqual(e.moved, []);
    assert.ok(e.time < now && e.time > now - 120_000);
  }
  assert.equal(events[0]!.event['is_mfa'], true);
  assert.equal((events[0]!.event['device'] as Record<string, unknown>)['is_compliant'], true);
  assert.equal(events[1]!.event['status_id'], 2, 'the failed logon fails');
  assert.equal(((events[2]!.event['resources'] as Record<string, unknown>[])[0]!)['type'], 'pods/exec');
});
