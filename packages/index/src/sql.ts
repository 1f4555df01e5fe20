/**
 * Query → SQL: a WHERE clause over the `events` table (schema.ts) with every value passed as a
 * bind parameter (`$1`, `$2`, …). Nothing the caller wrote is ever spliced into the SQL text: the
 * text holds only column names and operators chosen from fixed tables here, and parameter
 * numbers. Full-text terms are bound as tsquery text built from words of letters and digits only
 * (text.ts), so not even the tsquery parser sees a character of the caller's choosing.
 *
 * Forms, chosen so that PostgreSQL can use the indexes: integers and keywords compare with
 * `=`/`>=`/… (B-tree), arrays with `@> ARRAY[$n]::text[]` (GIN), full text with
 * `tsv @@ $n::tsquery` (GIN). No column is NULL (fields.ts), so `NOT` is plain SQL `NOT`.
 */
import type { Query } from './query.js';
import { tsqueryText } from './text.js';

/** A compiled condition: SQL text with `$k` placeholders from `firstParam`, and its values. */
export interface SqlWhere {
  readonly sql: string;
  readonly params: (string | number)[];
}

/** The SQL name of each integer column (`time` is `event_time` in SQL: `time` is also a type name). */
const INT_COLUMNS: ReadonlyMap<string, string> = new Map([
  ['time', 'event_time'], ['class_uid', 'class_uid'], ['activity_id', 'activity_id'], ['status_id', 'status_id'], ['severity_id', 'severity_id'],
]);
const KEYWORD_COLUMNS = new Set(['source', 'api_operation']);
const ARRAY_COLUMNS = new Set(['actors', 'users', 'src_ips', 'resource_types', 'resource_names', 'resource_namespaces']);
const OPS = new Set(['=', '>=', '>', '<=', '<']);

/** Compiles a query to a condition; placeholders are numbered from `firstParam` (default 1). */
export function compileWhere(q: Query, firstParam = 1): SqlWhere {
  const params: (string | number)[] = [];
  const bind = (v: string | number): string => {
    params.push(v);
    return `$${firstParam + params.length - 1}`;
  };
  const go = (q: Query): string => {
    switch (q.kind) {
      case 'all':
        return 'TRUE';
      case 'and':
        return `(${q.items.map(go).join(' AND ')})`;
      case 'or':
        return `(${q.items.map(go).join(' OR ')})`;
      case 'not':
        return `(NOT ${go(q.item)})`;
      case 'int': {
        // Column and operator come from the parser's closed sets; checked again, never trusted.
        const column = INT_COLUMNS.get(q.column);
        if (column === undefined || !OPS.has(q.op) || !Number.isSafeInteger(q.value)) throw new Error('bad query tree');
        return `${column} ${q.op} ${bind(q.value)}::bigint`;
      }
      case 'seq':
        if (!OPS.has(q.op) || typeof q.value !== 'bigint') throw new Error('bad query tree');
        return `seq ${q.op} ${bind(q.value.toString())}::bigint`;
      case 'keyword':
        if (!KEYWORD_COLUMNS.has(q.column)) throw new Error('bad query tree');
        return `${q.column} = ${bind(q.value)}::text`;
      case 'member':
        if (!ARRAY_COLUMNS.has(q.column)) throw new Error('bad query tree');
        return `${q.column} @> ARRAY[${bind(q.value)}::text]`;
      case 'text':
        return `tsv @@ ${bind(tsqueryText(q.term))}::tsquery`;
    }
  };
  return { sql: go(q), params };
}
