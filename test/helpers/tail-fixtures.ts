/** What the events.tail tests share: an API Activity event of a given actor, and a reader token. */
import { createHash } from 'node:crypto';
import { validateEvent } from '@cairn/events';

export const sha = (t: string): string => createHash('sha256').update(t).digest('hex');
const T0 = Date.UTC(2026, 10, 1);

/** Event i (its time T0 + i ms) of `actor`: a Kubernetes secret read. */
export const ev = (i: number, actor: string) => validateEvent({
  class_uid: 6003, category_uid: 6, activity_id: 2, type_uid: 600302, severity_id: 1, status_id: 1, time: T0 + i,
  metadata: { version: '1.3.0', product: { name: 'kubernetes' } }, actor: { user: { name: actor } }, api: { operation: 'get' },
  src_endpoint: { ip: '192.0.2.7' }, resources: [{ type: 'secrets', name: `s-${i}`, namespace: 'prod' }],
});

/** A reader token (its secret is "r") for the tokens file. */
export const READER = { source: 'auditor', role: 'reader' as const, sha256: sha('r'), quota: { entriesPerMinute: 1_000_000 } };
