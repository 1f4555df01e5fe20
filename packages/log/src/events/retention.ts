/**
 * Retention: how long the event store keeps event bodies, per source and/or OCSF class.
 *
 * The policy file is JSON:
 * ```json
 * {
 *   "rules": [
 *     { "source": "bastion", "class": 3002, "keepDays": 30 },
 *     { "source": "k8s-audit", "keepDays": 90 },
 *     { "class": 4001, "keepDays": 7 },
 *     { "keepDays": 365 }
 *   ]
 * }
 * ```
 * Each rule has `keepDays` (an integer from 1 to {@link MAX_KEEP_DAYS}) and optionally `source`
 * (a source id) and `class` (an OCSF class_uid); no other field. An event is governed by the
 * FIRST rule that matches it (every field the rule names equals the event's); an event no rule
 * matches is kept until erased by hand. A rule without `source` never matches the log's own
 * records (source `cairn`): the trail of erasures goes only when a rule names `cairn`. Days count
 * from when the log accepted the event (its writer's clock), not from the event's own `time`,
 * which the source chose. At most {@link MAX_RETENTION_RULES} rules.
 *
 * Every `retentionIntervalMs` (default {@link DEFAULT_RETENTION_INTERVAL_MS}) the node erases
 * the expired events through the ordinary erase path (`by: 'retention'`), at most
 * MAX_ERASE_INDICES per run, so each run that erases something appends one Event Log Activity
 * record; a full run schedules the next one at once. Leaves, tiles and checkpoints are never
 * deleted. Finding expired events scans the retention index (`R` keys: accepted time, index) from
 * the oldest up to the shortest `keepDays`; events that old that no rule expires are re-read on
 * every run.
 */
import { z } from 'zod';
import { isValidSourceId, MAX_CLASS_UID } from '@cairn/events';
import { LogError } from '../errors.js';
import { decodeRetention } from './records.js';
import { RESERVED_SOURCE } from '../constants.js';
import { retentionKeysBefore } from '../storage/keys.js';
import { getU64 } from '../storage/keys.js';
import type { LogStorage } from '../storage/types.js';

/** Retention runs this often unless configured (ms): one hour. */
export const DEFAULT_RETENTION_INTERVAL_MS = 3_600_000;
/** Longest keepDays (100 years). */
export const MAX_KEEP_DAYS = 36_500;
/** Most rules in one policy. */
export const MAX_RETENTION_RULES = 1000;
/** Longest policy file, bytes. */
export const MAX_RETENTION_POLICY_BYTES = 1 << 20;
const DAY_MS = 86_400_000;

/** One rule: events matching it are kept `keepDays` days after the log accepted them. */
export interface RetentionRule {
  readonly source?: string;
  readonly class?: number;
  readonly keepDays: number;
}

/** Rules in order; the first match governs an event. */
export interface RetentionPolicy {
  readonly rules: readonly RetentionRule[];
}

const ruleSchema = z.strictObject({
  source: z.string().refine(isValidSourceId, { message: 'must be a source id (1–64 characters of A–Z a–z 0–9 . _ -, starting with a letter or digit)' }).optional(),
  class: z.int({ message: `must be an integer from 0 to ${MAX_CLASS_UID}` }).min(0, { message: `must be an integer from 0 to ${MAX_CLASS_UID}` }).max(Number(MAX_CLASS_UID), { message: `must be an integer from 0 to ${MAX_CLASS_UID}` }).optional(),
  keepDays: z.int({ message: `must be an integer from 1 to ${MAX_KEEP_DAYS}` }).min(1, { message: `must be an integer from 1 to ${MAX_KEEP_DAYS}` }).max(MAX_KEEP_DAYS, { message: `must be an integer from 1 to ${MAX_KEEP_DAYS}` }),
});
const policySchema = z.strictObject({
  rules: z.array(ruleSchema).max(MAX_RETENTION_RULES, { message: `at most ${MAX_RETENTION_RULES} rules` }),
});

function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out === '' ? '(top level)' : out;
}

/**
 * Parses a retention policy file (module comment). Throws LogError 'config' whose message names
 * the field, e.g. `retention policy: rules[2].keepDays: must be an integer from 1 to 36500`.
 */
export function parseRetentionPolicy(text: string): RetentionPolicy {
  if (typeof text !== 'string') throw new LogError('config', 'retention policy: must be text');
  if (text.length > MAX_RETENTION_POLICY_BYTES) throw new LogError('config', `retention policy: longer than ${MAX_RETENTION_POLICY_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new LogError('config', `retention policy: not valid JSON (${(cause as Error).message})`, { cause });
  }
  return checkRetentionPolicy(json);
}

/** Validates a policy given as a value (the same checks and messages as {@link parseRetentionPolicy}). */
export function checkRetentionPolicy(value: unknown): RetentionPolicy {
  const r = policySchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue === undefined ? '(top level)' : pathText(issue.path);
    const what = issue?.code === 'unrecognized_keys' ? `unknown field${issue.keys.length === 1 ? '' : 's'} ${issue.keys.join(', ')}` : issue?.message;
    throw new LogError('config', `retention policy: ${where}: ${what ?? 'invalid'}`, { details: { path: where } });
  }
  return { rules: r.data.rules.map((x) => ({ ...(x.source === undefined ? {} : { source: x.source }), ...(x.class === undefined ? {} : { class: x.class }), keepDays: x.keepDays })) };
}

/** The rule that governs an event of `source` and `classUid` (undefined: kept). */
export function ruleFor(policy: RetentionPolicy, source: string, classUid: number): RetentionRule | undefined {
  for (const r of policy.rules) {
    if (r.source === undefined ? source === RESERVED_SOURCE : r.source !== source) continue;
    if (r.class !== undefined && r.class !== classUid) continue;
    return r;
  }
  return undefined;
}

/** Indices of events whose rule expired them at `now` (ms), oldest first, at most `limit`. */
export async function expiredEvents(storage: LogStorage, policy: RetentionPolicy, now: number, limit: number): Promise<bigint[]> {
  if (policy.rules.length === 0) return [];
  const shortest = Math.min(...policy.rules.map((r) => r.keepDays));
  const horizon = now - shortest * DAY_MS;
  if (horizon <= 0) return [];
  const out: bigint[] = [];
  for await (const [k, v] of storage.range(retentionKeysBefore(BigInt(Math.floor(horizon))))) {
    const accepted = Number(getU64(k, 1));
    const { source, classUid } = decodeRetention(v);
    const rule = ruleFor(policy, source, classUid);
    if (rule === undefined || accepted >= now - rule.keepDays * DAY_MS) continue;
    out.push(getU64(k, 9));
    if (out.length >= limit) break;
  }
  return out;
}
