/**
 * Erasure: the builder that replaces events' bodies by tombstones and, in the same synced write,
 * appends the Event Log Activity event (OCSF class 1008, activity 2 Delete) that records it,
 * from the reserved source `cairn`.
 *
 * The record names the erased indices, the reason and who asked (the admin token's name, or
 * `retention`) and nothing else: no value of the erased events. The tombstones keep only the
 * record's index and the time: the free-text reason is stored once, in the record, which is an
 * event like any other and can itself be erased. Leaves, tiles and checkpoints are
 * never touched, so every proof stays valid; only the canonical bytes and the salt go (and the
 * retention index entry). The caller then asks the store to compact the erased keys, so that the
 * old values also leave the files on disk (LogStorage.compact).
 */
import { validateEvent } from '@cairn/events';
import { LogError } from '../errors.js';
import type { Builder } from '../sequencer.js';
import { eventKey, retentionKey } from '../storage/keys.js';
import type { StorageOp } from '../storage/types.js';
import { decodeEventRecord, encodeTombstone, MAX_ERASE_TEXT_BYTES } from './records.js';
import { planEvents, type EventDeps } from './submit.js';
import { RESERVED_SOURCE } from '../constants.js';
import type { EraseReason, EraseResult } from './types.js';

/** Most indices one eraseEvents call (and so one erasure record) may name. */
export const MAX_ERASE_INDICES = 1000;
/** OCSF: Event Log Activity, activity Delete. */
const CLASS_EVENT_LOG_ACTIVITY = 1008;
const ACTIVITY_DELETE = 2;

const group = 'erased';

/** Checks an eraseEvents call; returns the indices sorted and without repeats. */
export function validateErase(indices: readonly bigint[], why: EraseReason): bigint[] {
  if (!Array.isArray(indices) || indices.some((i) => typeof i !== 'bigint' || i < 0n)) {
    throw new LogError('invalid-argument', 'indices must be an array of bigints ≥ 0');
  }
  const sorted = [...new Set(indices)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (sorted.length === 0) throw new LogError('invalid-argument', 'indices must name at least one event');
  if (sorted.length > MAX_ERASE_INDICES) {
    throw new LogError('invalid-argument', `at most ${MAX_ERASE_INDICES} indices per erasure, got ${sorted.length}`, { details: { count: sorted.length, max: MAX_ERASE_INDICES } });
  }
  for (const field of ['reason', 'by'] as const) {
    const v = why?.[field];
    if (typeof v !== 'string' || v.length === 0 || !v.isWellFormed() || /[\u0000-\u001f\u007f]/u.test(v) || new TextEncoder().encode(v).length > MAX_ERASE_TEXT_BYTES) {
      throw new LogError('invalid-argument', `${field} must be 1–${MAX_ERASE_TEXT_BYTES} bytes of text without control characters`, { details: { field } });
    }
  }
  return sorted;
}

/** The OCSF event recording an erasure (validated, canonical). */
export function erasureEvent(origin: string, erased: readonly bigint[], why: EraseReason, timeMs: number) {
  return validateEvent({
    class_uid: CLASS_EVENT_LOG_ACTIVITY,
    category_uid: 1,
    activity_id: ACTIVITY_DELETE,
    activity_name: 'Delete',
    type_uid: CLASS_EVENT_LOG_ACTIVITY * 100 + ACTIVITY_DELETE,
    severity_id: 1,
    severity: 'Informational',
    status_id: 1,
    status: 'Success',
    time: timeMs,
    metadata: { version: '1.3.0', product: { name: 'Cairn', vendor_name: 'Cairn' } },
    log_name: origin,
    log_provider: 'cairn',
    message: `erased ${erased.length} event${erased.length === 1 ? '' : 's'}`,
    status_detail: why.reason,
    count: erased.length,
    actor: { user: { name: why.by } },
    unmapped: { erased_indices: erased.map(String) },
  });
}

/** The sequencer builder of one eraseEvents call (indices from {@link validateErase}). */
export function eraseBuilder(deps: EventDeps, origin: string, indices: readonly bigint[], why: EraseReason): Builder<EraseResult> {
  return async (ctx) => {
    const values = await deps.storage.getMany(indices.map(eventKey));
    const already = (ctx.group.get(group) as Set<bigint> | undefined) ?? new Set<bigint>();
    const erased: bigint[] = [];
    const alreadyErased: bigint[] = [];
    const records = [];
    for (let i = 0; i < indices.length; i++) {
      const index = indices[i] as bigint;
      const v = values[i];
      if (v === undefined) {
        throw new LogError('not-an-event', `index ${index} does not hold a stored event`, { details: { index } });
      }
      const r = decodeEventRecord(index, v);
      if (r.body === undefined || already.has(index)) alreadyErased.push(index);
      else {
        erased.push(index);
        records.push({ index, r });
      }
    }
    if (erased.length === 0) return { entries: [], result: { erased, alreadyErased, record: undefined } };
    const time = deps.clock();
    const event = erasureEvent(origin, erased, why, time);
    const plan = await planEvents(ctx, deps, RESERVED_SOURCE, [{ event }]);
    const record = ctx.start;
    const ops: StorageOp[] = [...(plan.ops ?? [])];
    for (const { index, r } of records) {
      ops.push(
        { type: 'put', key: eventKey(index), value: encodeTombstone(r, { record, time }) },
        { type: 'del', key: retentionKey(r.accepted, index) },
      );
    }
    plan.commit();
    for (const index of erased) already.add(index);
    ctx.group.set(group, already);
    return { entries: plan.entries, leafHashes: plan.leafHashes, ops, result: { erased, alreadyErased, record } };
  };
}
