/**
 * OCSF 1.x validation of a parsed event (https://schema.ocsf.io; docs/design/events.md), for the classes of ocsf-schema.ts.
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
 * Enum values are checked for the event's own `_id` attributes (the class table); inside objects
 * only types are checked (an unknown `device.type_id` value passes), and objects Cairn does not
 * model (`o` in the table: `observables`, `enrichments`, `unmapped`, …) only by the JSON rules.
 *
 * Unknown attributes are MOVED, never dropped and never rejected: an attribute the class or
 * object does not define goes to the top-level `unmapped` object under its path without `$.`
 * (`$.foo` → `unmapped.foo`, `$.actor.user.nick` → `unmapped["actor.user.nick"]`). The result
 * lists what moved. A path already present in `unmapped` is a conflict (`unmapped-conflict`), so
 * nothing is overwritten. Moving is idempotent: a validated event validates to itself.
 */
import { childPath, pathOf, setData, type JsonObject, type JsonValue } from './json.js';
import { EventError } from './errors.js';
import { MAX_EVENT_TIME_MS, MIN_EVENT_TIME_MS } from './limits.js';
import { CLASS_SHAPES, OBJECT_SHAPES, type ClassShape, type FieldType } from './ocsf-schema.js';
import { isIpAddress } from './ip.js';
import { canonicalOrder, sortedCopy, type SortState } from './canonical.js';

/** The OCSF classes Cairn validates, by `class_uid`. */
export const SUPPORTED_CLASSES: readonly number[] = Object.freeze(Object.keys(CLASS_SHAPES).map(Number));

/** `metadata.version` of an OCSF 1.x event: `1.<minor>.<patch>` with an optional pre-release. */
const OCSF_VERSION = /^1\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$/;

/** What validation found, beside the normalised event. */
export interface ValidationResult {
  /**
   * The event with unknown attributes moved into `unmapped` (a new object; the input is not
   * changed), every object's keys inserted in RFC 8785 order.
   */
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

/** A field type, decoded once from the table's code (see ocsf-schema.ts). */
interface Field {
  readonly kind: string;
  readonly array: boolean;
  /** For `@name` kinds: the compiled object shape. */
  readonly shape?: () => Shape;
}
/** An object or class shape, compiled once: its fields and its required attribute names. */
interface Shape {
  readonly fields: ReadonlyMap<string, Field>;
  readonly required: readonly string[];
}

const compiledObjects = new Map<string, Shape>();
const compiledClasses = new Map<number, Shape>();

function compile(attributes: Readonly<Record<string, FieldType>>): Shape {
  const fields = new Map<string, Field>();
  const required: string[] = [];
  for (const [name, code] of Object.entries(attributes)) {
    let t = code;
    if (t.endsWith('!')) {
      required.push(name);
      t = t.slice(0, -1);
    }
    const array = t.endsWith('[]');
    if (array) t = t.slice(0, -2);
    if (t.startsWith('@')) {
      const obj = t.slice(1);
      if (!has(OBJECT_SHAPES, obj)) throw new Error(`OCSF table: unknown object ${obj}`);
      fields.set(name, { kind: '@', array, shape: () => objectShape(obj) });
    } else {
      if (!['s', 'i', 't', 'b', 'f', 'ip', 'port', 'o', 'j'].includes(t)) throw new Error(`OCSF table: unknown type ${code}`);
      fields.set(name, { kind: t, array });
    }
  }
  return { fields, required };
}

function objectShape(name: string): Shape {
  let s = compiledObjects.get(name);
  if (s === undefined) {
    s = compile((OBJECT_SHAPES as Record<string, Record<string, FieldType>>)[name]!);
    compiledObjects.set(name, s);
  }
  return s;
}

function classShape(uid: number): Shape {
  let s = compiledClasses.get(uid);
  if (s === undefined) {
    s = compile((CLASS_SHAPES as Record<number, ClassShape>)[uid]!.attributes);
    compiledClasses.set(uid, s);
  }
  return s;
}

type Moved = { keys: (string | number)[]; value: JsonValue }[];

/** Validates and normalises a parsed event. Throws only {@link EventError}. */
export function validateOcsf(value: JsonValue): ValidationResult {
  return validateOcsfSorted(value, { digitKey: false, reordered: false });
}

/**
 * {@link validateOcsf}, and the normalised event's objects have their keys inserted in RFC 8785
 * order (canonical.ts), so `JSON.stringify` of it is its canonical text unless `state.digitKey`
 * is set on return. Not exported from the package.
 */
export function validateOcsfSorted(value: JsonValue, state: SortState): ValidationResult {
  if (!isObject(value)) throw new EventError('wrong-type', '$', 'expected an OCSF event object');
  const classUid = value['class_uid'];
  if (classUid === undefined) throw new EventError('missing', '$.class_uid', 'required attribute is missing');
  if (typeof classUid !== 'number' || !Number.isSafeInteger(classUid)) throw new EventError('wrong-type', '$.class_uid', 'expected integer');
  const shape: ClassShape | undefined = has(CLASS_SHAPES, String(classUid)) ? (CLASS_SHAPES as Record<number, ClassShape>)[classUid] : undefined;
  if (shape === undefined) {
    throw new EventError('unsupported-class', '$.class_uid', `class ${classUid} is not one of ${SUPPORTED_CLASSES.join(', ')}`);
  }
  const moved: Moved = [];
  const event = checkObject(value, classShape(classUid), [], moved, state);

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

  const movedPaths = moved.map((m) => {
    const p = pathOf(m.keys);
    return p.startsWith('$.') ? p.slice(2) : p.slice(1);
  });
  if (moved.length === 0) return { event, classUid, activityId, time, moved: movedPaths };
  const unmapped: JsonObject = isObject(event['unmapped']) ? { ...event['unmapped'] } : {};
  moved.forEach((m, i) => {
    const key = movedPaths[i]!;
    if (has(unmapped, key)) throw new EventError('unmapped-conflict', childPath('$.unmapped', key), 'an unknown attribute would overwrite this unmapped value');
    setData(unmapped, key, sortedCopy(m.value, state));
  });
  // Rebuilt with `unmapped` in its place among the sorted keys, itself sorted.
  const withUnmapped: JsonObject = {};
  for (const key of canonicalOrder([...Object.keys(event).filter((k) => k !== 'unmapped'), 'unmapped'], state)) {
    setData(withUnmapped, key, key === 'unmapped' ? sortedCopy(unmapped, state) : event[key]!);
  }
  return { event: withUnmapped, classUid, activityId, time, moved: movedPaths };
}

/** Each class's enums as sets, built once. */
const classEnums = new Map<ClassShape, readonly (readonly [string, ReadonlySet<number>])[]>();

function checkEnums(event: JsonObject, shape: ClassShape): void {
  let enums = classEnums.get(shape);
  if (enums === undefined) {
    enums = Object.entries(shape.enums).map(([name, values]) => [name, new Set(values)] as const);
    classEnums.set(shape, enums);
  }
  for (const [name, values] of enums) {
    const v = event[name];
    if (v === undefined) continue;
    if (!values.has(v as number)) {
      throw new EventError('bad-enum', `$.${name}`, `${String(v)} is not a defined value for ${shape.name} (${shape.enums[name]!.join(', ')})`);
    }
  }
}

function checkObject(o: JsonObject, shape: Shape, keys: (string | number)[], moved: Moved, state: SortState): JsonObject {
  const names = Object.keys(o);
  const order = canonicalOrder(names, state);
  // Built in canonical order: the kept keys are inserted first in that order, then the values
  // are checked in property order (so errors and moved paths come in document order).
  const out: JsonObject = {};
  if (order !== names) {
    for (let i = 0; i < order.length; i++) if (shape.fields.has(order[i]!)) setData(out, order[i]!, null);
  }
  for (let i = 0; i < names.length; i++) {
    const key = names[i]!;
    const field = shape.fields.get(key);
    keys.push(key);
    if (field === undefined) moved.push({ keys: [...keys], value: o[key]! });
    else setData(out, key, checkValue(o[key]!, field, keys, moved, state));
    keys.pop();
  }
  for (const key of shape.required) {
    if (!has(o, key)) throw new EventError('missing', pathOf([...keys, key]), 'required attribute is missing');
  }
  return out;
}

function failAt(keys: readonly (string | number)[], code: string, what: string): never {
  throw new EventError(code, pathOf(keys), what);
}

function checkValue(v: JsonValue, field: Field, keys: (string | number)[], moved: Moved, state: SortState): JsonValue {
  if (field.array) {
    if (!Array.isArray(v)) throw new EventError('wrong-type', pathOf(keys), 'expected array');
    const item: Field = { ...field, array: false };
    return v.map((x, i) => {
      keys.push(i);
      const r = checkValue(x, item, keys, moved, state);
      keys.pop();
      return r;
    });
  }
  switch (field.kind) {
    case '@':
      if (!isObject(v)) failAt(keys, 'wrong-type', 'expected object');
      return checkObject(v as JsonObject, field.shape!(), keys, moved, state);
    case 's':
      if (typeof v !== 'string') failAt(keys, 'wrong-type', 'expected string');
      return v;
    case 'i':
    case 't':
      if (typeof v !== 'number' || !Number.isInteger(v)) failAt(keys, 'wrong-type', field.kind === 't' ? 'expected integer milliseconds' : 'expected integer');
      if (!Number.isSafeInteger(v)) failAt(keys, 'unsafe-integer', 'integer beyond ±(2^53−1)');
      if (field.kind === 't' && (v as number) < 0) failAt(keys, 'bad-time', 'a timestamp cannot be negative');
      return v;
    case 'b':
      if (typeof v !== 'boolean') failAt(keys, 'wrong-type', 'expected boolean');
      return v;
    case 'f':
      if (typeof v !== 'number') failAt(keys, 'wrong-type', 'expected number');
      return v;
    case 'ip':
      if (typeof v !== 'string') failAt(keys, 'wrong-type', 'expected string (IP address)');
      if (!isIpAddress(v as string)) failAt(keys, 'bad-ip', `"${String(v)}" is not an IPv4 or IPv6 address`);
      return v;
    case 'port':
      if (typeof v !== 'number' || !Number.isInteger(v)) failAt(keys, 'wrong-type', 'expected integer (port)');
      if ((v as number) < 0 || (v as number) > 65535) failAt(keys, 'bad-port', `${String(v)} is not a port number`);
      return v;
    case 'o':
      if (!isObject(v)) failAt(keys, 'wrong-type', 'expected object');
      return sortedCopy(v, state);
    default: // 'j'
      return sortedCopy(v, state);
  }
}
