/**
 * Test support, not exported from the package: an in-memory event store (the unit tests' fake of
 * the log's event store, answering as `LogNode.getEvent` does), valid OCSF events of the six
 * classes built from small pools of values (so random queries find something), and random query
 * texts over the same pools.
 */
import fc from 'fast-check';
import { buildLeaf, validateEvent, type JsonObject } from '@cairn/events';
import type { IndexedStore } from './event-index.js';
import type { StoredEventLike } from './fields.js';

/** An in-memory store: entries are events, or raw entries (undefined). */
export class MemoryStore implements IndexedStore {
  readonly entries: (StoredEventLike | undefined)[] = [];
  private readonly seqs = new Map<string, bigint>();
  /** When set, getEvent throws for this index (a failing disk). */
  failAt: bigint | undefined;

  async size(): Promise<bigint> {
    return BigInt(this.entries.length);
  }

  async getEvent(index: bigint): Promise<StoredEventLike | undefined> {
    if (index === this.failAt) throw new Error('disk on fire');
    if (index < 0n || index >= BigInt(this.entries.length)) return undefined;
    return this.entries[Number(index)];
  }

  /** Appends an event from `source`; returns its index. */
  add(source: string, event: JsonObject): bigint {
    const v = validateEvent(event);
    const seq = this.seqs.get(source) ?? 0n;
    this.seqs.set(source, seq + 1n);
    const index = BigInt(this.entries.length);
    const salt = new Uint8Array(32).fill(this.entries.length % 251);
    const { bytes } = buildLeaf({ source, seq, event: v, salt });
    this.entries.push({ index, source, seq, leaf: bytes, body: { canonical: v.canonical, salt } });
    return index;
  }

  /** Appends a raw entry (not an event). */
  addRaw(): void {
    this.entries.push(undefined);
  }

  /** Erases an event's body, as the log's eraseEvents does. */
  erase(index: bigint): void {
    const e = this.entries[Number(index)];
    if (e === undefined) throw new Error('not an event');
    this.entries[Number(index)] = { index: e.index, source: e.source, seq: e.seq, leaf: e.leaf, erased: { reason: 'test' } };
  }
}

export const T0 = Date.UTC(2026, 10, 1); // 2026-11-01
export const NAMES = ['alice', 'bob', 'Alice Martin', 'NULL', 'o"brien', 'a,b', '{x}', 'back\\slash', "it's", 'zoë'];
export const UIDS = ['u-1', 'u-2', 'u 3'];
export const IPS = ['192.0.2.7', '198.51.100.23', '2001:db8::7', '10.0.0.1'];
export const NAMESPACES = ['payments', 'prod', 'kube-system'];
export const RESOURCE_TYPES = ['secret', 'pods', 'configmap'];
export const RESOURCE_NAMES = ['db-password', 'api', 'cfg'];
export const OPERATIONS = ['get', 'list', 'delete', 'create'];
export const SOURCES = ['k8s-prod', 'bastion', 'ci'];
/** Message words: few, so that phrases of them are often present, adjacent or not. */
export const WORDS = ['logon', 'failed', 'password', 'secret'];
const CLASSES = [3002, 3001, 6003, 1007, 1008, 2004] as const;

export interface EventSpec {
  source: string;
  classUid: (typeof CLASSES)[number];
  activity: number;
  status?: number;
  severity: number;
  dt: number;
  actor?: { name?: string; uid?: string };
  user?: { name?: string; uid?: string };
  ip?: string;
  op: string;
  resources: { type?: string; name?: string; namespace?: string }[];
  message: string[];
}

const maybe = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined });
const person = fc.record({ name: maybe(fc.constantFrom(...NAMES)), uid: maybe(fc.constantFrom(...UIDS)) });

export const eventSpec: fc.Arbitrary<EventSpec> = fc.record({
  source: fc.constantFrom(...SOURCES),
  classUid: fc.constantFrom(...CLASSES),
  activity: fc.constantFrom(1, 2),
  status: maybe(fc.constantFrom(0, 1, 2, 99)),
  severity: fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 99),
  // Often exactly on an hour or a day, where a query's bounds are: `>=` and `>` must differ.
  dt: fc.tuple(fc.integer({ min: 0, max: 5 * 24 }), fc.constantFrom(0, 0, 1, 59_999)).map(([h, ms]) => h * 3_600_000 + ms),
  actor: maybe(person),
  user: maybe(person),
  ip: maybe(fc.constantFrom(...IPS)),
  op: fc.constantFrom(...OPERATIONS),
  resources: fc.array(
    fc.record({ type: maybe(fc.constantFrom(...RESOURCE_TYPES)), name: maybe(fc.constantFrom(...RESOURCE_NAMES)), namespace: maybe(fc.constantFrom(...NAMESPACES)) }),
    { maxLength: 2 },
  ),
  message: fc.array(fc.constantFrom(...WORDS), { maxLength: 6 }),
}) as fc.Arbitrary<EventSpec>;

const strip = (o: Record<string, unknown>): JsonObject => {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v as JsonObject[string];
  return out;
};

/** A valid OCSF event of the spec's class. */
export function eventOf(s: EventSpec): JsonObject {
  const c = s.classUid;
  const e: Record<string, unknown> = {
    class_uid: c, category_uid: Math.floor(c / 1000), activity_id: s.activity, type_uid: c * 100 + s.activity,
    severity_id: s.severity, time: T0 + s.dt, metadata: { version: '1.3.0', product: { name: 'test' } },
  };
  if (s.status !== undefined) e['status_id'] = s.status; // 0 1 2 99: valid for every class
  if (s.message.length > 0) e['message'] = s.message.join(' ');
  const actorUser = s.actor === undefined ? undefined : strip(s.actor);
  if (actorUser !== undefined || c === 6003 || c === 1007) e['actor'] = actorUser === undefined ? { app_name: 'x' } : { user: actorUser };
  if (s.user !== undefined || c === 3002 || c === 3001) e['user'] = s.user === undefined ? {} : strip(s.user);
  if (s.ip !== undefined || c === 6003) e['src_endpoint'] = s.ip === undefined ? {} : { ip: s.ip };
  if (c === 6003) e['api'] = { operation: s.op };
  if ((c === 6003 || c === 2004) && s.resources.length > 0) e['resources'] = s.resources.map(strip);
  if (c === 1007) {
    e['device'] = { type_id: 1 };
    e['process'] = { pid: 7, name: 'bash' };
  }
  if (c === 2004) {
    e['finding_info'] = { uid: 'f-1', title: 'finding' };
    if (s.ip !== undefined) e['evidences'] = [{ src_endpoint: { ip: s.ip } }];
  }
  return e as JsonObject;
}

const quote = (s: string): string => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
const fieldTerm: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...NAMES, ...UIDS).map((v) => `actor:${quote(v)}`),
  fc.constantFrom(...NAMES, ...UIDS).map((v) => `user:${quote(v)}`),
  fc.constantFrom(...SOURCES).map((v) => `source:${v}`),
  fc.tuple(fc.constantFrom('>=', '>', '<=', '<', ':'), fc.integer({ min: 0, max: 25 })).map(([o, n]) => `seq${o}${n}`),
  fc.constantFrom('authentication', 'account_change', 'api_activity', 'process_activity', 'event_log_activity', 'detection_finding', '3002').map((v) => `class:${v}`),
  fc.constantFrom('success', 'failure', 'unknown', 'other', 'new', 'in_progress', '2').map((v) => `status:${v}`),
  fc.constantFrom('low', 'high', 'critical', 'other', '3').map((v) => `severity:${v}`),
  fc.tuple(fc.constantFrom('>=', '>', '<=', '<'), fc.constantFrom('low', 'medium', 'high', '5')).map(([o, v]) => `severity${o}${v}`),
  fc.constantFrom('1', '2').map((v) => `activity:${v}`),
  fc.constantFrom(...IPS, '2001:DB8:0::7').map((v) => `src_ip:${v}`),
  fc.constantFrom(...RESOURCE_TYPES).map((v) => `resource.type:${v}`),
  fc.constantFrom(...RESOURCE_NAMES).map((v) => `resource.name:${v}`),
  fc.constantFrom(...NAMESPACES).map((v) => `resource.namespace:${v}`),
  fc.constantFrom(...OPERATIONS).map((v) => `api.operation:${v}`),
  fc.tuple(fc.constantFrom('>=', '>', '<=', '<', ':'), fc.integer({ min: 0, max: 5 })).map(([o, d]) => `time${o}${new Date(T0 + d * 86_400_000).toISOString().slice(0, 10)}`),
  fc.tuple(fc.constantFrom('>=', '>', '<=', '<', ':'), fc.integer({ min: 0, max: 5 * 24 })).map(([o, h]) => `time${o}${new Date(T0 + h * 3_600_000).toISOString()}`),
  fc.constantFrom(...WORDS, 'alice', 'martin', 'u', 'db', 'passw*', 'logo*', 'test', 'zoë', 'kubectl'),
  fc.array(fc.constantFrom(...WORDS), { minLength: 2, maxLength: 3 }).map((ws) => quote(ws.join(' '))),
  fc.array(fc.constantFrom(...WORDS), { minLength: 2, maxLength: 2 }).map((ws) => quote(ws.join(' '))),
  fc.constant('*'),
);

/** Random query texts over the pools: terms combined with AND, OR, NOT and parentheses. */
export const queryText: fc.Arbitrary<string> = fc.letrec<{ q: string }>((tie) => ({
  q: fc.oneof(
    { maxDepth: 4, withCrossShrink: true },
    fieldTerm,
    fc.tuple(tie('q'), tie('q')).map(([a, b]) => `(${a}) (${b})`),
    fc.tuple(tie('q'), tie('q')).map(([a, b]) => `(${a}) AND (${b})`),
    fc.tuple(tie('q'), tie('q')).map(([a, b]) => `(${a}) OR (${b})`),
    tie('q').map((a) => `NOT (${a})`),
  ),
})).q;

/** The same store in every process: `count` events from a seed, a raw entry every 7th. */
export function seededStore(count: number, seed: number): MemoryStore {
  const store = new MemoryStore();
  fc.sample(eventSpec, { numRuns: count, seed }).forEach((s, i) => {
    if (i % 7 === 3) store.addRaw();
    store.add(s.source, eventOf(s));
  });
  return store;
}
