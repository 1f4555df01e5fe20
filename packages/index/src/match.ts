/**
 * The reference semantics of a query: whether one event's fields match it, in plain code. The
 * SQL the compiler writes (sql.ts) must select exactly the events this function accepts; the
 * tests check that on random events and random queries. The live tail can use it too, to filter
 * new events without the database. Pure.
 */
import type { EventFields } from './fields.js';
import type { CmpOp, Query } from './query.js';
import { matchText } from './text.js';

/** Whether the event matches the query. */
export function matches(q: Query, f: EventFields): boolean {
  switch (q.kind) {
    case 'all':
      return true;
    case 'and':
      return q.items.every((x) => matches(x, f));
    case 'or':
      return q.items.some((x) => matches(x, f));
    case 'not':
      return !matches(q.item, f);
    case 'int':
      return compare(f[q.column], q.op, q.value);
    case 'seq':
      return compare(f.seq, q.op, q.value);
    case 'keyword':
      return f[q.column] === q.value;
    case 'member':
      return f[q.column].includes(q.value);
    case 'text':
      return matchText(f.text, q.term);
  }
}

function compare<T extends number | bigint>(a: T, op: CmpOp, b: T): boolean {
  switch (op) {
    case '=':
      return a === b;
    case '>=':
      return a >= b;
    case '>':
      return a > b;
    case '<=':
      return a <= b;
    case '<':
      return a < b;
  }
}

/** What a leaf record alone says of an event: the fields the public tree carries. */
export interface LeafFields {
  readonly source: string;
  readonly seq: bigint;
  readonly time: number;
  readonly class_uid: number;
}

/**
 * Whether the event matches the query, judged from its leaf record alone (three-valued):
 * `false` when the leaf's source, seq, time and class already rule a match out whatever the
 * event says, `true` when they already make it, `undefined` when the event's body decides. Agrees
 * with {@link matches}: the leaf's fields are the event's (fields.ts takes them from the leaf), so
 * a decided answer is what `matches` gives for every body. A completeness proof may show a
 * non-matching event as its leaf alone when this is `false`.
 */
export function matchesLeaf(q: Query, f: LeafFields): boolean | undefined {
  switch (q.kind) {
    case 'all':
      return true;
    case 'and': {
      let all = true;
      for (const x of q.items) {
        const r = matchesLeaf(x, f);
        if (r === false) return false;
        if (r === undefined) all = false;
      }
      return all ? true : undefined;
    }
    case 'or': {
      let none = true;
      for (const x of q.items) {
        const r = matchesLeaf(x, f);
        if (r === true) return true;
        if (r === undefined) none = false;
      }
      return none ? false : undefined;
    }
    case 'not': {
      const r = matchesLeaf(q.item, f);
      return r === undefined ? undefined : !r;
    }
    case 'int':
      return q.column === 'time' || q.column === 'class_uid' ? compare(f[q.column], q.op, q.value) : undefined;
    case 'seq':
      return compare(f.seq, q.op, q.value);
    case 'keyword':
      return q.column === 'source' ? f.source === q.value : undefined;
    case 'member':
    case 'text':
      return undefined;
  }
}
