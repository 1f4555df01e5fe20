/**
 * OCSF 1.x validation of a parsed event (EVENTS.md §1), for the classes of ocsf-schema.ts.
 *
 * Checked, each failure an {@link EventError} naming the JSON path:
 * - the event is an object (`wrong-type`) of a supported `class_uid` (`unsupported-class`);
 * - required attributes of the class and of the objects it carries are present (`missing`);
 * - every known attribute has its OCSF type (`wrong-type`; `unsafe-integer` for an integer
 *   beyond 2^53−1; `bad-ip`, `bad-port`), recursively through the objects Cairn knows;
 * - `category_uid` = floor(`class_uid` / 1000) (`bad-category`); `activity_id`, `severity_id`,
 *   `status_id` and the class's other `_id` enums hold a defined value (`bad-enum`);
 *   `type_uid` = `class_uid`·100 + `activity_id` (`bad-type-uid`);
 * - `time` is integer milliseconds between {@link MIN_EVENT_TIME_MS} and
 *   {@link MAX_EVENT_TIME_MS} (`time-not-ms`, `bad-time`); `metadata.version` is an OCSF 1.x
 *   version (`bad-version`).
 *
 * Unknown attributes are MOVED, never dropped and never rejected: an attribute the class or
 * object does not define goes to the top-level `unmapped` object under its path without `$.`
 * (`$.foo` → `unmapped.foo`, `$.actor.user.nick` → `unmapped["actor.user.nick"]`). The result
 * lists what moved. A path already present in `unmapped` is a conflict (`unmapped-conflict`), so
 * nothing is overwritten. Moving is idempotent: a validated event validates to itself.
 */
import { childPath, type JsonObject, type JsonValue } from './json.js';
import { EventError } from './errors.js';
import { MAX_EVENT_TIME_MS, MIN_EVENT_TIME_MS } from './limits.js';
import { CLASS_SHAPES, OBJECT_SHAPES, type ClassShape, type FieldType } from './ocsf-schema.js';
import { isIpAddress } from './ip.js';

/** The OCSF classes Cairn validates, by `class_uid`. */
export const SUPPORTED_CLASSES: readonly number[] = Object.freeze(Object.keys(CLASS_SHAPES).map(Number));

/** `metadata.version` of an OCSF 1.x event: `1.<minor>.<patch>` with an optional pre-release. */
const OCSF_VERSION = /^1\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$/;

/** What validation found, beside the normalised event. */
export interface ValidationResult {
  /** The event with unknown attributes moved into `unmapped` (a new object; the input is not changed). */
  readonly event: JsonObject;
  readonly classUid: number;
  readonly activityId: number;
  /** Event time, milliseconds since the Unix epoch. */
  readonly time: number;
  /** Paths (without `$.`) of the attributes moved into `unmapped`, in document order. */
  readonly moved: readonly string[];
}

const isObject = (v: JsonValue | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** Validates and normalises a parsed event. Throws only {@link EventError}. */
export function validateOcsf(value: JsonValue): ValidationResult {
  if (!isObject(value)) throw new EventError('wrong-type', '$', 'expected an OCSF event object');
  const classUid = value['class_uid'];
  if (classUid === undefined) throw new EventError('missing', '$.class_uid', 'required attribute is missing');
  if (typeof classUid !== 'number' || !Number.isSafeInteger(classUid)) throw new EventError('wrong-type', '$.class_uid', 'expected integer');
  const shape: ClassShape | undefined = has(CLASS_SHAPES, String(classUid)) ? (CLASS_SHAPES as Record<number, ClassShape>)[classUid] : undefined;
  if (shape === undefined) {
    throw new EventError('unsupported-class', '$.class_uid', `class ${classUid} is not one of ${SUPPORTED_CLASSES.join(', ')}`);
  }
  const moved: { path: string; value: JsonValue }[] = [];
  const event = checkObject(value, shape.attributes, '$', moved);

  const activityId = event['activity_id'] as number;
  checkEnums(event, shape);
  const category = Math.floor(classUid / 1000);
  if (event['category_uid'] !== category) {
    throw new EventError('bad-category', '$.category_uid', `must be ${category} for class ${classUid}`);
  }
  if (event['type_uid'] !== classUid * 100 + activityId) {
    throw new EventError('bad-type-uid', '$.type_uid', `must be ${classUid * 100 + activityId} (class_uid·100 + activity_id)`);
  }
  const time = event['time'] as number;
  if (time < MIN_EVENT_TIME_MS) throw new EventError('time-not-ms', '$.time', `${time} is before 1973 in milliseconds: OCSF time is milliseconds since the epoch`);
  if (time > MAX_EVENT_TIME_MS) throw new EventError('bad-time', '$.time', `${time} is after year 9999`);
  const version = (event['metadata'] as JsonObject)['version'] as string;
  if (!OCSF_VERSION.test(version)) throw new EventError('bad-version', '$.metadata.version', `"${version}" is not an OCSF 1.x schema version`);

  if (moved.length > 0) {
    const unmapped: JsonObject = isObject(event['unmapped']) ? { ...event['unmapped'] } : {};
    for (const m of moved) {
      if (has(unmapped, m.path)) throw new EventError('unmapped-conflict', childPath('$.unmapped', m.path), 'an unknown attribute would overwrite this unmapped value');
      Object.defineProperty(unmapped, m.path, { value: m.value, enumerable: true, writable: true, configurable: true });
    }
    event['unmapped'] = unmapped;
  }
  return { event, classUid, activityId, time, moved: moved.map((m) => m.path) };
}

function checkEnums(event: JsonObject, shape: ClassShape): void {
  for (const [name, values] of Object.entries(shape.enums)) {
    const v = event[name];
    if (v === undefined) continue;
    if (!values.includes(v as number)) {
      throw new EventError('bad-enum', `$.${name}`, `${String(v)} is not a defined value for ${shape.name} (${values.join(', ')})`);
    }
  }
}

function checkObject(o: JsonObject, attributes: Readonly<Record<string, FieldType>>, path: string, moved: { path: string; value: JsonValue }[]): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(o)) {
    const kp = childPath(path, key);
    const type = has(attributes, key) ? attributes[key] : undefined;
    if (type === undefined) {
      moved.push({ path: kp.startsWith('$.') ? kp.slice(2) : kp.slice(1), value: o[key]! });
      continue;
    }
    Object.defineProperty(out, key, { value: checkValue(o[key]!, type.replace(/!$/, ''), kp, moved), enumerable: true, writable: true, configurable: true });
  }
  for (const [key, type] of Object.entries(attributes)) {
    if (type.endsWith('!') && !has(o, key)) throw new EventError('missing', childPath(path, key), 'required attribute is missing');
  }
  return out;
}

function checkValue(v: JsonValue, type: string, path: string, moved: { path: string; value: JsonValue }[]): JsonValue {
  if (type.endsWith('[]')) {
    if (!Array.isArray(v)) throw new EventError('wrong-type', path, 'expected array');
    const item = type.slice(0, -2);
    return v.map((x, i) => checkValue(x, item, childPath(path, i), moved));
  }
  if (type.startsWith('@')) {
    if (!isObject(v)) throw new EventError('wrong-type', path, `expected object (${type.slice(1)})`);
    return checkObject(v, (OBJECT_SHAPES as Record<string, Record<string, FieldType>>)[type.slice(1)]!, path, moved);
  }
  switch (type) {
    case 's':
      if (typeof v !== 'string') throw new EventError('wrong-type', path, 'expected string');
      return v;
    case 'i':
    case 't':
      if (typeof v !== 'number' || !Number.isInteger(v)) throw new EventError('wrong-type', path, type === 't' ? 'expected integer milliseconds' : 'expected integer');
      if (!Number.isSafeInteger(v)) throw new EventError('unsafe-integer', path, 'integer beyond ±(2^53−1)');
      if (type === 't' && v < 0) throw new EventError('bad-time', path, 'a timestamp cannot be negative');
      return v;
    case 'b':
      if (typeof v !== 'boolean') throw new EventError('wrong-type', path, 'expected boolean');
      return v;
    case 'f':
      if (typeof v !== 'number') throw new EventError('wrong-type', path, 'expected number');
      return v;
    case 'ip':
      if (typeof v !== 'string') throw new EventError('wrong-type', path, 'expected string (IP address)');
      if (!isIpAddress(v)) throw new EventError('bad-ip', path, `"${v}" is not an IPv4 or IPv6 address`);
      return v;
    case 'port':
      if (typeof v !== 'number' || !Number.isInteger(v)) throw new EventError('wrong-type', path, 'expected integer (port)');
      if (v < 0 || v > 65535) throw new EventError('bad-port', path, `${v} is not a port number`);
      return v;
    case 'o':
      if (!isObject(v)) throw new EventError('wrong-type', path, 'expected object');
      return v;
    case 'j':
      return v;
    default:
      throw new Error(`unknown field type ${type} in the OCSF table`);
  }
}
