/**
 * What the index keeps of one event: the columns a query can test, taken from the stored event.
 * Pure; the same record feeds the SQL row (schema.ts) and the reference matcher (match.ts), so the
 * database and the brute-force scan of the tests see the same values.
 *
 * Source, sequence number, time and class come from the **leaf record** (what the Merkle tree
 * proves), everything else from the event's canonical JSON:
 * - `activity_id`, `status_id`, `severity_id`: the event's, −1 when absent (OCSF leaves
 *   `status_id` optional), so no column is ever NULL and `NOT` means what it says;
 * - `api_operation`: `api.operation`, `''` when absent;
 * - `actors`: `actor.user.name` and `.uid`, and for Authentication (3002) also `user.name` and
 *   `.uid` (the user who logged on is the one acting);
 * - `users`: `user.name` and `.uid`;
 * - `src_ips`: `src_endpoint.ip`, and for Detection Findings each `evidences[].src_endpoint.ip`,
 *   in one spelling (ip.ts); a value that is not an address is left out;
 * - `resource_types` / `_names` / `_namespaces`: `resources[].type` / `.name` / `.namespace`;
 * - the full text: every string and number value of the event, depth first in canonical key
 *   order (text.ts), worked out when `text` is first read;
 * - `erases`: for the log's own erasure records (source {@link LOG_SOURCE}, Event Log Activity,
 *   activity 2 Delete), the indices named in `unmapped.erased_indices`, so the index drops them
 *   as it reads the record, even after a rebuild. No writer can forge one: the log refuses the
 *   source name `cairn` to every token.
 * An erased event has no body: it is not indexed at all.
 */
import { parseLeaf, type JsonObject, type JsonValue } from '@cairn/events';
import { canonicalIp } from './ip.js';
import { wordPositions, type WordPositions } from './text.js';

/** The slice of a stored event the index reads (the event store's `StoredEvent`). */
export interface StoredEventLike {
  readonly index: bigint;
  readonly source: string;
  readonly seq: bigint;
  readonly leaf: Uint8Array;
  readonly body?: { readonly canonical: Uint8Array; readonly salt: Uint8Array } | undefined;
  readonly erased?: unknown;
}

/** One event as the index sees it. Keys of the integer/keyword/array kinds are the SQL columns. */
export interface EventFields {
  readonly index: bigint;
  readonly source: string;
  readonly seq: bigint;
  readonly time: number;
  readonly class_uid: number;
  readonly activity_id: number;
  readonly status_id: number;
  readonly severity_id: number;
  readonly api_operation: string;
  readonly actors: readonly string[];
  readonly users: readonly string[];
  readonly src_ips: readonly string[];
  readonly resource_types: readonly string[];
  readonly resource_names: readonly string[];
  readonly resource_namespaces: readonly string[];
  readonly text: WordPositions;
  /** Indices this event erases (an erasure record of the log); empty for every other event. */
  readonly erases: readonly bigint[];
}

/** The log's reserved source: its own records (erasures) come from it, and no token may use it. */
export const LOG_SOURCE = 'cairn';
const EVENT_LOG_ACTIVITY = 1008;
const ACTIVITY_DELETE = 2;
const INDEX = /^(0|[1-9][0-9]{0,18})$/;
const MAX_INDEX = (1n << 63n) - 1n;

const AUTHENTICATION = 3002;
const DETECTION_FINDING = 2004;

/**
 * The fields of a stored event, or undefined when there is nothing to index: erased (no body),
 * or a leaf that is not an event leaf record. Never throws: an event whose JSON cannot be read
 * keeps the leaf's fields and nothing else.
 */
export function extractFields(e: StoredEventLike): EventFields | undefined {
  if (e.body === undefined) return undefined;
  let leaf;
  try {
    leaf = parseLeaf(e.leaf);
  } catch {
    return undefined;
  }
  let ev: JsonObject = {};
  try {
    const v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(e.body.canonical)) as unknown;
    if (isObject(v)) ev = v;
  } catch {
    // not JSON: the leaf's fields only
  }
  const classUid = Number(leaf.classUid);
  const user = obj(ev['user']);
  const actorUser = obj(obj(ev['actor'])['user']);
  const ids = (u: JsonObject): string[] => [u['name'], u['uid']].filter(storable);
  const ips = [obj(ev['src_endpoint'])['ip']];
  if (classUid === DETECTION_FINDING) for (const ex of arr(ev['evidences'])) ips.push(obj(obj(ex)['src_endpoint'])['ip']);
  const resources = arr(ev['resources']).map(obj);
  const strs = (key: string): string[] => uniq(resources.map((r) => r[key]).filter(storable));
  const op = obj(ev['api'])['operation'];
  let text: WordPositions | undefined;
  return {
    index: e.index,
    source: leaf.source,
    seq: leaf.seq,
    time: Number(leaf.time),
    class_uid: classUid,
    activity_id: intOr(ev['activity_id']),
    status_id: intOr(ev['status_id']),
    severity_id: intOr(ev['severity_id']),
    api_operation: storable(op) ? op : '',
    actors: uniq([...ids(actorUser), ...(classUid === AUTHENTICATION ? ids(user) : [])]),
    users: uniq(ids(user)),
    src_ips: uniq(ips.flatMap((ip) => (typeof ip === 'string' ? [canonicalIp(ip)].filter((x): x is string => x !== undefined) : []))),
    resource_types: strs('type'),
    resource_names: strs('name'),
    resource_namespaces: strs('namespace'),
    // Made when first read: a server re-checking a hit needs the words only for a text query.
    get text(): WordPositions {
      return (text ??= wordPositions(textValues(ev)));
    },
    erases: leaf.source === LOG_SOURCE && classUid === EVENT_LOG_ACTIVITY && ev['activity_id'] === ACTIVITY_DELETE ? erasedIndices(ev, e.index) : [],
  };
}

/** `unmapped.erased_indices` of an erasure record: canonical decimals of earlier indices. */
function erasedIndices(ev: JsonObject, self: bigint): bigint[] {
  const out: bigint[] = [];
  for (const v of arr(obj(ev['unmapped'])['erased_indices'])) {
    if (typeof v !== 'string' || !INDEX.test(v)) continue;
    const i = BigInt(v);
    if (i <= MAX_INDEX && i < self) out.push(i);
  }
  return out;
}

/** Every string and number value of a JSON value, depth first, keys in their order. */
export function* textValues(v: JsonValue): Generator<string> {
  if (typeof v === 'string') yield v;
  else if (typeof v === 'number') yield String(v);
  else if (Array.isArray(v)) for (const x of v) yield* textValues(x);
  else if (isObject(v)) for (const k of Object.keys(v)) yield* textValues(v[k]!);
}

/**
 * A string PostgreSQL can hold as text and a query can name: no NUL (text refuses it; a query
 * refuses control characters anyway) and no lone surrogate.
 */
function storable(v: JsonValue | undefined): v is string {
  return typeof v === 'string' && v !== '' && !v.includes('\u0000') && v.isWellFormed();
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function obj(v: JsonValue | undefined): JsonObject {
  return isObject(v) ? v : {};
}
function arr(v: JsonValue | undefined): readonly JsonValue[] {
  return Array.isArray(v) ? v : [];
}
function intOr(v: JsonValue | undefined): number {
  return typeof v === 'number' && Number.isSafeInteger(v) ? v : -1;
}
function uniq(xs: string[]): string[] {
  return [...new Set(xs)];
}
