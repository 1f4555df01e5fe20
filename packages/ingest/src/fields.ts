/**
 * Typed reads from parsed JSON with the error naming the path: the shared vocabulary of the JSON
 * parsers of this package (Kubernetes audit, OTLP/JSON, HTTPS JSON). A `Fields` wraps one object
 * at one path and reads its members with their expected types; every failure is an
 * {@link IngestError} of the caller's format with the member's JSON path, and never quotes the
 * value it found (only its JSON type).
 */
import { childPath, type JsonObject, type JsonValue } from '@cairn/events';
import { IngestError, type IngestFormat } from './errors.js';

/** The JSON type name of a value, for error messages (never the value itself). */
export function jsonType(v: JsonValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

export const isObject = (v: JsonValue | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** Reads the members of one JSON object at one path. */
export class Fields {
  constructor(
    readonly format: IngestFormat,
    readonly obj: JsonObject,
    readonly path: string,
  ) {}

  /** Wraps `v` at `path`, which must be an object. */
  static of(format: IngestFormat, v: JsonValue | undefined, path: string): Fields {
    if (!isObject(v)) throw new IngestError(format, 'wrong-type', path, `expected an object, found ${jsonType(v)}`);
    return new Fields(format, v, path);
  }

  at(key: string): string {
    return childPath(this.path, key);
  }

  fail(code: string, key: string | undefined, message: string): never {
    throw new IngestError(this.format, code, key === undefined ? this.path : this.at(key), message);
  }

  /** The member, or undefined when absent (JSON `null` counts as absent when `nullIsAbsent`). */
  raw(key: string, nullIsAbsent = true): JsonValue | undefined {
    if (!has(this.obj, key)) return undefined;
    const v = this.obj[key]!;
    return v === null && nullIsAbsent ? undefined : v;
  }

  /** Keys not in `known`, for formats that refuse unknown members. */
  unknownKeys(known: ReadonlySet<string>): string[] {
    return Object.keys(this.obj).filter((k) => !known.has(k));
  }

  optString(key: string, maxLength?: number): string | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'string') this.fail('wrong-type', key, `expected a string, found ${jsonType(v)}`);
    if (maxLength !== undefined && v.length > maxLength) this.fail('too-long', key, `longer than ${maxLength} characters`);
    return v;
  }

  string(key: string, maxLength?: number): string {
    const v = this.optString(key, maxLength);
    if (v === undefined) this.fail('missing', key, 'required member is missing');
    return v;
  }

  optInteger(key: string): number | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) this.fail('wrong-type', key, `expected an integer, found ${jsonType(v)}`);
    return v;
  }

  optObject(key: string): Fields | undefined {
    const v = this.raw(key);
    return v === undefined ? undefined : Fields.of(this.format, v, this.at(key));
  }

  object(key: string): Fields {
    const f = this.optObject(key);
    if (f === undefined) this.fail('missing', key, 'required member is missing');
    return f;
  }

  optArray(key: string, maxLength?: number): JsonValue[] | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) this.fail('wrong-type', key, `expected an array, found ${jsonType(v)}`);
    if (maxLength !== undefined && v.length > maxLength) this.fail('too-many', key, `more than ${maxLength} elements`);
    return v;
  }

  /** An array of strings (absent → undefined). */
  optStrings(key: string, maxLength?: number): string[] | undefined {
    const a = this.optArray(key, maxLength);
    if (a === undefined) return undefined;
    a.forEach((s, i) => {
      if (typeof s !== 'string') throw new IngestError(this.format, 'wrong-type', childPath(this.at(key), i), `expected a string, found ${jsonType(s)}`);
    });
    return a as string[];
  }

  /** An object whose values are all strings (absent → undefined). */
  optStringMap(key: string): Record<string, string> | undefined {
    const f = this.optObject(key);
    if (f === undefined) return undefined;
    for (const k of Object.keys(f.obj)) if (typeof f.obj[k] !== 'string') f.fail('wrong-type', k, `expected a string, found ${jsonType(f.obj[k])}`);
    return f.obj as Record<string, string>;
  }
}

/** `{ key: v }` when v is defined, else `{}`: optional members without `undefined` values. */
export function opt<K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: V };
}
