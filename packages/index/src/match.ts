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
