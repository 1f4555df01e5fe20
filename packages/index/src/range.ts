/**
 * When a query's answer can be proven complete: a query restricted to one source and a range of
 * its sequence numbers (or of times, mapped to one) can be answered with every leaf of that source
 * in the range, each with its inclusion proof, so the client sees for itself that no matching
 * event was left out (docs/design/search.md, "Completeness"). The log numbers each source's events
 * contiguously from 0 and the leaf records carrying those numbers are public, so a gap or a
 * repeat is visible to every monitor; a client shown leaf `seq` = n for every n of a range knows
 * it has seen all of that source's events in it.
 *
 * {@link provableRange} decides it from the parsed query alone, the same way for the server and
 * the client: the query's top level is one term or a conjunction (`AND`, or terms side by side),
 * and among those conjuncts there is exactly one `source:S` and at least one `seq` or `time`
 * bound. Every other conjunct is a further filter that each leaf of the range is tested against;
 * terms inside `OR`, `NOT` or parentheses of an `OR` never count as bounds. Pure.
 */
import type { CmpOp, Query } from './query.js';

/** A query that can be answered with a completeness proof: its source, and its bounds (inclusive). */
export interface ProvableRange {
  readonly source: string;
  /** The intersection of the query's `seq` bounds, inclusive; absent on a side without one. Empty when from > to. */
  readonly seq: { readonly from?: bigint; readonly to?: bigint };
  /** The intersection of the query's `time` bounds (ms), inclusive; undefined when it has none. */
  readonly time?: { readonly from?: number; readonly to?: number };
}

/** {@link provableRange}'s answer: the range, or why the query does not qualify (a sentence for an error message). */
export type ProvableRangeResult = { readonly ok: true; readonly range: ProvableRange } | { readonly ok: false; readonly reason: string };

const NEEDS = 'a completeness proof needs a query over one source and a range: source:S with seq bounds (seq>=10 seq<20) and/or time bounds, joined by AND at the top level';

/** Whether (and over what) the query's answer can be proven complete; see the module comment. */
export function provableRange(q: Query): ProvableRangeResult {
  const items = q.kind === 'and' ? q.items : [q];
  const sources: string[] = [];
  let seqFrom: bigint | undefined;
  let seqTo: bigint | undefined;
  let timeFrom: bigint | undefined; // times are safe integers: exact as bigint and back
  let timeTo: bigint | undefined;
  let hasTime = false;
  for (const t of items) {
    if (t.kind === 'keyword' && t.column === 'source') sources.push(t.value);
    else if (t.kind === 'seq') {
      const [from, to] = inclusive(t.op, t.value);
      if (from !== undefined && (seqFrom === undefined || from > seqFrom)) seqFrom = from;
      if (to !== undefined && (seqTo === undefined || to < seqTo)) seqTo = to;
    } else if (t.kind === 'int' && t.column === 'time') {
      hasTime = true;
      const [from, to] = inclusive(t.op, BigInt(t.value));
      if (from !== undefined && (timeFrom === undefined || from > timeFrom)) timeFrom = from;
      if (to !== undefined && (timeTo === undefined || to < timeTo)) timeTo = to;
    }
  }
  if (sources.length !== 1) {
    return { ok: false, reason: `${NEEDS}; this query has ${sources.length === 0 ? 'no' : sources.length} source: term${sources.length > 1 ? 's' : ''} at its top level` };
  }
  if (seqFrom === undefined && seqTo === undefined && !hasTime) {
    return { ok: false, reason: `${NEEDS}; this query has no seq or time bound at its top level` };
  }
  return {
    ok: true,
    range: {
      source: sources[0]!,
      seq: { ...(seqFrom === undefined ? {} : { from: seqFrom }), ...(seqTo === undefined ? {} : { to: seqTo }) },
      ...(hasTime ? { time: { ...(timeFrom === undefined ? {} : { from: Number(timeFrom) }), ...(timeTo === undefined ? {} : { to: Number(timeTo) }) } } : {}),
    },
  };
}

/** Whether a time lies within a range's time bounds (inclusive; a missing side is open). */
export function inTimeRange(time: number, range: { readonly from?: number; readonly to?: number }): boolean {
  return (range.from === undefined || time >= range.from) && (range.to === undefined || time <= range.to);
}

/** A comparison as inclusive bounds [from, to] (either may be open). */
function inclusive(op: CmpOp, v: bigint): [bigint | undefined, bigint | undefined] {
  switch (op) {
    case '=':
      return [v, v];
    case '>=':
      return [v, undefined];
    case '>':
      return [v + 1n, undefined];
    case '<=':
      return [undefined, v];
    case '<':
      return [undefined, v - 1n];
  }
}
