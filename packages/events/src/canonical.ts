/**
 * RFC 8785 canonical text of a parsed event, fast: objects built with their keys already in
 * canonical order, then one native `JSON.stringify`.
 *
 * RFC 8785 serialises strings and numbers exactly as ECMAScript's `JSON.stringify` does, with no
 * whitespace, and sorts each object's keys by UTF-16 code units (what `Array.prototype.sort`
 * does by default). `JSON.stringify` writes an object's keys in property order, which for a plain
 * object is insertion order, except that keys which are array indices (`"0"`, `"17"`) come
 * first, in numeric order. So for an object tree whose keys were inserted in sorted order and
 * contain no array index, `JSON.stringify` gives the RFC 8785 text byte for byte. Validation
 * (validate.ts) builds its output that way and reports a key that starts with a digit (a
 * possible array index), and such an event takes the general path (the `canonicalize`
 * package). The values come from the strict parser: no lone surrogates, no -0, no NaN, no
 * cycles. `canonical.test.ts` compares both paths on random JSON values and random events.
 */
import { setData, type JsonObject, type JsonValue } from './json.js';

/** What sorting found. */
export interface SortState {
  /** A key starts with a digit (maybe an array index): `JSON.stringify` would not sort it. */
  digitKey: boolean;
  /** Some object's keys were not in canonical order (so its input text was not canonical). */
  reordered: boolean;
}

/** `keys` if they are in RFC 8785 order, else a sorted copy; notes a key starting with a digit. */
export function canonicalOrder(keys: string[], state: SortState): string[] {
  let sorted = true;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const c = k.charCodeAt(0);
    if (c >= 0x30 && c <= 0x39) state.digitKey = true;
    if (i > 0 && keys[i - 1]! > k) sorted = false;
  }
  if (sorted) return keys;
  state.reordered = true;
  return [...keys].sort();
}

/** A deep copy of `v` whose objects have their keys inserted in RFC 8785 order. */
export function sortedCopy(v: JsonValue, state: SortState): JsonValue {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    const out: JsonValue[] = new Array<JsonValue>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = sortedCopy(v[i]!, state);
    return out;
  }
  const keys = canonicalOrder(Object.keys(v), state);
  const out: JsonObject = {};
  for (let i = 0; i < keys.length; i++) setData(out, keys[i]!, sortedCopy(v[keys[i]!]!, state));
  return out;
}

/** The RFC 8785 text of a value built in canonical key order without digit keys (see above). */
export function canonicalTextOfSorted(v: JsonValue): string {
  return JSON.stringify(v);
}
