/**
 * Checking a completeness proof of `cairn search` (docs/design/search.md, "Completeness"): the
 * pages of `events.search` with `complete`, for a query over one source S and a range of its
 * sequence numbers (`provableRange` of @cairn/index/query, computed here from the query, never
 * taken from the server). Nothing the server says is trusted:
 *
 * - every leaf is verified under the policy: a hit or a non-matching event by its event proof
 *   (commitment, leaf, inclusion in a cosigned checkpoint), a leaf shown alone (erased, or ruled
 *   out by its own fields) by its tlog-proof bundle; each checkpoint note is verified once, and
 *   all of them are of one log (the first leaf's origin);
 * - every leaf parses as an event leaf of S with the seq it is listed under, and every seq of the
 *   range comes exactly once, newest first, page after page: no gap, no repeat, no extra;
 * - a hit matches the query; a non-matching event does not (the reference matcher on the verified
 *   event); a leaf shown alone is ruled out by its leaf fields (`matchesLeaf`), so a matching event
 *   cannot hide as a bare leaf;
 * - the range's ends follow from the query: a seq bound is that bound, an open low end is seq 0;
 *   a time bound with no seq bound on its side may end the range at a neighbour leaf instead,
 *   whose time fails that bound on that side (before a lower bound, after an upper one).
 *
 * - every proof of a page is against the one checkpoint note the page names, verified under the
 *   policy; the tree size said is that note's, never the server's `treeSize`;
 * - an erased leaf comes with the index of its erasure record (the log's own event of source
 *   `cairn` naming the erased indices): that record is fetched once (`events.prove`), its event
 *   proof verified under the policy, and it must name the leaf's index. A record that cannot be
 *   shown (erased itself, missing, naming other indices) fails the answer.
 *
 * What stays the server's word is listed in the summary as unproven: the head (an open high end,
 * or a high end below the query's upper seq bound), an empty answer's reason, an erased event's
 * content. `provenToBounds` says whether everything within the bounds the query gave is proven:
 * only an open high end (no upper seq bound) may be the server's word and still be complete up
 * to the head; `--complete` fails with {@link EXIT_NOT_PROVEN} otherwise.
 */
import type { CompleteAnswer, RangeEnd } from '@cairn/api';
import type { ProvableRange, Query } from '@cairn/index/query';
import { matches, matchesLeaf } from '@cairn/index/query';
import { CommandFailure, EXIT_FAIL } from '../command.js';

/** `cairn search --complete`: every check passed, but part of the answer within the query's bounds is only the server's word. */
export const EXIT_NOT_PROVEN = 38;
import type { CheckedHit, HitVerifier } from './event-hits.js';

/** One end of the server's range. */
type End = RangeEnd;

/** The `complete` part of an `events.search` page, as received (unchecked): the server's wire shape. */
export type CompleteClaim = CompleteAnswer;

/** A page as received. */
export interface CompletePage {
  /** The checkpoint note every proof of the page is against (the size is read from it, not from `treeSize`). */
  readonly checkpoint: string;
  readonly hits: readonly { readonly index: string; readonly seq: string; readonly proof: string }[];
  readonly next: string | null;
  readonly complete?: CompleteClaim | null;
}

/** What a checked completeness answer proves, for the summary. */
export interface CompleteSummary {
  readonly source: string;
  /** The range the server walked (neighbours included); null when it is empty. */
  readonly range: { readonly from: string; readonly to: string } | null;
  /** The part of it checked (less than the range when --limit stopped the walk). */
  readonly checked: { readonly from: string; readonly to: string } | null;
  readonly low: End;
  readonly high: End;
  /** The tree size of the first page's checkpoint note (verified under the policy). */
  readonly treeSize: string;
  /** Every distinct verified tree size the pages were proven against, in order. */
  readonly treeSizes: string[];
  readonly hits: number;
  readonly nonMatching: number;
  /** Erased events (their leaves proven, their content gone); `erasedUnknown` of them could have matched. */
  readonly erased: number;
  readonly erasedUnknown: number;
  /** Whether nothing of the answer is the server's word (`unproven` is empty). */
  readonly proven: boolean;
  /** What is only the server's word, in sentences. */
  readonly unproven: string[];
  /** Whether everything within the bounds the query gave is proven (only an open high end may be the server's word). */
  readonly provenToBounds: boolean;
  /** What this proves and what it does not, in sentences. */
  readonly statement: string[];
}

/** A server string in a message: quoted and escaped, so it cannot forge lines. */
const quote = (v: unknown): string => JSON.stringify(String(v));

/** A time (ms) for a message: ISO 8601 when it is a date, else the number. */
const isoTime = (ms: number): string => (Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms));

const parseSeq = (s: string, what: string): bigint => {
  if (typeof s !== 'string' || !/^(0|[1-9][0-9]{0,18})$/.test(s)) throw new CommandFailure(`the server's ${what} is not a sequence number`, EXIT_FAIL);
  return BigInt(s);
};

/** Checks the pages of one completeness answer in order; see the module comment. */
export class CompletenessChecker {
  private first: { range: { from: bigint; to: bigint } | null; low: End; high: End; head: string | null; empty: CompleteClaim['empty'] } | undefined;
  /** Distinct verified tree sizes of the pages' checkpoints, in order. */
  private readonly sizes: bigint[] = [];
  /** Erasure records by index, each fetched and verified once: the indices it erases. */
  private readonly records = new Map<string, Promise<readonly bigint[]>>();
  /** The next seq expected (pages go newest first). */
  private expect: bigint | undefined;
  private lowestChecked: bigint | undefined;
  private hits = 0;
  /** The origin of the checkpoints the leaves are proven in (the first one's). */
  private origin: string | undefined;
  private nonMatching = 0;
  private erased = 0;
  private erasedUnknown = 0;

  /**
   * @param proveRecord the event proof file of the event at an index (`events.prove`), for the
   *   erasure records of erased leaves; a failure to get it is a CommandFailure.
   */
  constructor(
    private readonly verifier: HitVerifier, private readonly query: Query, private readonly range: ProvableRange,
    private readonly proveRecord: (index: string) => Promise<string>,
  ) {}

  /** Whether every seq of the range was checked (or the range is empty). */
  get done(): boolean {
    return this.first !== undefined && (this.first.range === null || (this.expect !== undefined && this.expect < this.first.range.from));
  }

  /** The seq to ask the next page below (`before`). */
  get before(): string | undefined {
    return this.expect === undefined ? undefined : (this.expect + 1n).toString();
  }

  /**
   * Checks one page; returns its hits, verified, newest first. Throws a CommandFailure naming the
   * seq (and index) at the first failure.
   */
  async page(p: CompletePage): Promise<CheckedHit[]> {
    const c = p.complete;
    if (c === undefined || c === null) throw new CommandFailure('the server answered without the completeness proof it was asked for', EXIT_FAIL);
    const S = this.range.source;
    if (c.source !== S) throw new CommandFailure(`the completeness proof is for source ${quote(c.source)}, not the query's`, EXIT_FAIL);
    // The page's checkpoint: verified here, its size the one said; every proof of the page must be against it.
    const note = p.checkpoint;
    const size = this.verifier.checkpointSize(note, 'the page\'s checkpoint');
    if (!this.sizes.includes(size)) this.sizes.push(size);
    const sameNote = (got: string, label: string): void => {
      if (got !== note) throw new CommandFailure(`${label}: proven against another checkpoint than the page's`, EXIT_FAIL);
    };
    if (this.first === undefined) this.start(c);
    else if (c.low !== this.first.low || (c.range?.from ?? null) !== (this.first.range?.from.toString() ?? null)) {
      throw new CommandFailure('the server changed the low end of the range between pages', EXIT_FAIL);
    }
    const f = this.first!;
    if (f.range === null || this.done) {
      if (p.hits.length > 0 || c.leaves.length > 0) throw new CommandFailure('the server sent leaves outside the range', EXIT_FAIL);
      return [];
    }
    const expect = this.expect!;
    if (c.span === null) throw new CommandFailure(`gap: the server ended the range before seq ${expect} (seqs ${f.range.from}..${expect} not shown)`, EXIT_FAIL);
    const top = parseSeq(c.span.to, 'span');
    const bottom = parseSeq(c.span.from, 'span');
    if (top !== expect) throw new CommandFailure(`${top > expect ? 'repeat or extra' : 'gap'}: the page starts at seq ${top}, the next expected is ${expect}`, EXIT_FAIL);
    if (bottom > top || bottom < f.range.from) throw new CommandFailure(`the page's span ${bottom}..${top} is not within the range ${f.range.from}..${f.range.to}`, EXIT_FAIL);

    // Every item of the page by seq: each seq of the span exactly once.
    type Item = { kind: 'hit'; i: number } | { kind: 'leaf'; i: number };
    const bySeq = new Map<bigint, Item>();
    const put = (seqText: string, index: string, item: Item): void => {
      const seq = parseSeq(seqText, `seq of index ${index}`);
      if (seq < bottom || seq > top) throw new CommandFailure(`seq ${seq} (index ${index}): outside the page's span ${bottom}..${top}`, EXIT_FAIL);
      if (bySeq.has(seq)) throw new CommandFailure(`seq ${seq} (index ${index}): shown twice (repeat)`, EXIT_FAIL);
      bySeq.set(seq, item);
    };
    p.hits.forEach((h, i) => put(h.seq, h.index, { kind: 'hit', i }));
    c.leaves.forEach((l, i) => put(l.seq, l.index, { kind: 'leaf', i }));
    for (let s = top; s >= bottom; s--) if (!bySeq.has(s)) throw new CommandFailure(`gap: seq ${s} of source ${S} is missing from the page ${bottom}..${top}`, EXIT_FAIL);

    const out: CheckedHit[] = [];
    for (let s = top; s >= bottom; s--) {
      const item = bySeq.get(s)!;
      let leafSeq: bigint;
      let leafSource: string;
      let time: number;
      if (item.kind === 'hit') {
        const h = p.hits[item.i]!;
        const label = `seq ${s} (index ${h.index})`;
        const v = this.verifier.verify(h, label);
        this.sameLog(v.checkpoint, label);
        sameNote(v.checkpoint, label);
        if (!matches(this.query, v.fields)) throw new CommandFailure(`${label}: shown as a hit, but the event does not match the query`, EXIT_FAIL);
        [leafSeq, leafSource, time] = [v.fields.seq, v.fields.source, v.fields.time];
        this.hits++;
        out.push(v);
      } else {
        const l = c.leaves[item.i]!;
        const label = `seq ${s} (index ${l.index})`;
        if (l.kind === 'event') {
          const v = this.verifier.verify({ index: l.index, proof: String(l.proof) }, label);
          this.sameLog(v.checkpoint, label);
          sameNote(v.checkpoint, label);
          if (matches(this.query, v.fields)) throw new CommandFailure(`${label}: the event matches the query but was not shown as a hit`, EXIT_FAIL);
          [leafSeq, leafSource, time] = [v.fields.seq, v.fields.source, v.fields.time];
          this.nonMatching++;
        } else if (l.kind === 'leaf' || l.kind === 'erased') {
          const { leaf, checkpoint } = this.verifier.verifyLeaf({ index: l.index, leaf: String(l.leaf), bundle: String(l.bundle) }, label);
          this.sameLog(checkpoint, label);
          sameNote(checkpoint, label);
          [leafSeq, leafSource, time] = [leaf.seq, leaf.source, Number(leaf.time)];
          const says = matchesLeaf(this.query, { source: leaf.source, seq: leaf.seq, time, class_uid: Number(leaf.classUid) });
          if (l.kind === 'leaf') {
            if (says !== false) throw new CommandFailure(`${label}: shown as its leaf alone, but the leaf does not rule out a match (the event could be a hidden hit)`, EXIT_FAIL);
            this.nonMatching++;
          } else {
            await this.erasedBy(l.record, BigInt(l.index), label);
            this.erased++;
            if (says !== false) this.erasedUnknown++;
          }
        } else throw new CommandFailure(`${label}: unknown kind of leaf ${quote(l.kind)}`, EXIT_FAIL);
      }
      const label = `seq ${s}`;
      if (leafSource !== S) throw new CommandFailure(`${label}: the leaf is of source ${quote(leafSource)}, not ${S}`, EXIT_FAIL);
      if (leafSeq !== s) throw new CommandFailure(`${label}: the leaf has seq ${leafSeq}`, EXIT_FAIL);
      // A neighbour must fail the time bound on its own side: below the lower, above the upper
      // (start() accepted a neighbour end only where that bound exists).
      const t = this.range.time;
      if (s === f.range.from && f.low === 'neighbour' && !(time < t!.from!)) {
        throw new CommandFailure(`${label}: shown as the low neighbour of the time range, but its time ${isoTime(time)} is not before ${isoTime(t!.from!)}`, EXIT_FAIL);
      }
      if (s === f.range.to && f.high === 'neighbour' && !(time > t!.to!)) {
        throw new CommandFailure(`${label}: shown as the high neighbour of the time range, but its time ${isoTime(time)} is not after ${isoTime(t!.to!)}`, EXIT_FAIL);
      }
    }
    this.expect = bottom - 1n;
    this.lowestChecked = bottom;
    if (p.next === null && bottom > f.range.from) throw new CommandFailure(`gap: the server ended the range before seq ${bottom - 1n} (seqs ${f.range.from}..${bottom - 1n} not shown)`, EXIT_FAIL);
    return out;
  }

  /**
   * Every leaf must be proven in the same log (a policy may trust several): the origin line of
   * each verified checkpoint is the first one's. Leaves of two logs would not be one source's
   * sequence.
   */
  private sameLog(note: string, label: string): void {
    const origin = note.slice(0, note.indexOf('\n'));
    this.origin ??= origin;
    if (origin !== this.origin) throw new CommandFailure(`${label}: proven in the log "${origin}", not "${this.origin}" like the leaves before it`, EXIT_FAIL);
  }

  /**
   * That the erasure record at `record` (the server's word, checked here) is proven under the
   * policy, in the leaves' log, and names `index`; each record is fetched and verified once.
   */
  private async erasedBy(record: unknown, index: bigint, label: string): Promise<void> {
    if (typeof record !== 'string' || !/^(0|[1-9][0-9]{0,18})$/.test(record)) {
      throw new CommandFailure(`${label}: shown as erased, without the index of its erasure record`, EXIT_FAIL);
    }
    let erases = this.records.get(record);
    if (erases === undefined) {
      erases = (async () => {
        const what = `the erasure record at index ${record}`;
        let proof: string;
        try {
          proof = await this.proveRecord(record);
        } catch (e) {
          if (e instanceof CommandFailure) throw new CommandFailure(`${what} cannot be shown proven: ${e.message.replace(/[\u0000-\u001f\u007f]/g, ' ')}`, e.exitCode);
          throw e;
        }
        const v = this.verifier.verify({ index: record, proof }, what);
        this.sameLog(v.checkpoint, what);
        return v.fields.erases;
      })();
      this.records.set(record, erases);
    }
    let named: readonly bigint[];
    try {
      named = await erases;
    } catch (e) {
      if (e instanceof CommandFailure) throw new CommandFailure(`${label}: shown as erased, but ${e.message}`, e.exitCode);
      throw e;
    }
    if (!named.includes(index)) throw new CommandFailure(`${label}: shown as erased, but the erasure record at index ${record} is not one of the log's erasure records naming it`, EXIT_FAIL);
  }

  /** The first page: the range's ends must follow from the query. */
  private start(c: CompleteClaim): void {
    const r = this.range;
    const fail = (why: string) => new CommandFailure(`the server's range does not follow from the query: ${why}`, EXIT_FAIL);
    if (c.range === null) {
      if (c.empty === 'bounds' && !(r.seq.from !== undefined && r.seq.to !== undefined && r.seq.from > r.seq.to)) throw fail('it says the bounds exclude every seq');
      if (c.empty !== 'bounds' && c.empty !== 'no-events' && c.empty !== 'no-time-match') throw fail('an empty range without a reason');
      if (c.empty === 'no-time-match' && r.time === undefined) throw fail('no time range to match');
      if (c.empty === 'no-time-match' && r.seq.from !== undefined && r.seq.to !== undefined) throw fail('both seq bounds are given: a time range is not mapped, every seq must be shown');
      this.first = { range: null, low: c.low, high: c.high, head: c.head, empty: c.empty };
      return;
    }
    const from = parseSeq(c.range.from, 'range');
    const to = parseSeq(c.range.to, 'range');
    if (from > to) throw fail(`from ${from} above to ${to}`);
    // A neighbour end stands for a time bound on its own side only, and only where the query has
    // no seq bound there; its leaf's time is checked to fail that bound (in page()).
    if (r.seq.from !== undefined) {
      if (c.low !== 'bound' || from !== r.seq.from) throw fail(`it starts at seq ${from}, the query at ${r.seq.from}`);
    } else if (c.low === 'start') {
      if (from !== 0n) throw fail(`it starts at seq ${from}, not 0`);
    } else if (c.low !== 'neighbour' || r.time?.from === undefined) throw fail(`its low end is ${quote(c.low)}${c.low === 'neighbour' ? ', but the query has no lower time bound' : ''}`);
    if (r.seq.to !== undefined) {
      if (!((c.high === 'bound' && to === r.seq.to) || (c.high === 'head' && to < r.seq.to))) throw fail(`it ends at seq ${to} (${quote(c.high)}), the query at ${r.seq.to}`);
    } else if (c.high !== 'head' && !(c.high === 'neighbour' && r.time?.to !== undefined)) throw fail(`its high end is ${quote(c.high)}${c.high === 'neighbour' ? ', but the query has no upper time bound' : ''}`);
    this.first = { range: { from, to }, low: c.low, high: c.high, head: c.head, empty: null };
    this.expect = to;
  }

  /** What was proven, and what is only the server's word; call after the last page. */
  summary(): CompleteSummary {
    const f = this.first!;
    const S = this.range.source;
    const upper = this.range.seq.to;
    const st: string[] = [];
    const unproven: string[] = [];
    let toBounds = true;
    const n = this.sizes[0]!.toString();
    const cosigned = this.sizes.length === 1 ? `the log's cosigned checkpoint of size ${n}` : `the log's cosigned checkpoints of sizes ${this.sizes.join(', ')}`;
    const range = f.range === null ? null : { from: f.range.from.toString(), to: f.range.to.toString() };
    const checked = f.range === null || this.lowestChecked === undefined ? null : { from: this.lowestChecked.toString(), to: f.range.to.toString() };
    if (f.range === null) {
      if (f.empty === 'bounds') st.push(`the query's seq bounds exclude every sequence number: nothing of source ${S} can match`);
      else if (f.empty === 'no-events') {
        unproven.push(`the server says source ${S} has no event in the range below checkpoint size ${n}`);
        st.push(`${unproven.at(-1)!}: not proven (a monitor of the public leaves can check the source's sequence)`);
        if (upper !== undefined) toBounds = false;
      } else {
        unproven.push(`the server's index says no event of source ${S} has a time in the range below checkpoint size ${n}`);
        st.push(`${unproven.at(-1)!}: not proven`);
        toBounds = false;
      }
    } else {
      st.push(`every event of source ${S} with seq ${checked!.from}..${checked!.to} was shown with its inclusion proof in ${cosigned}, and the query was checked on each: ${this.hits} hit(s), ${this.nonMatching} not matching, ${this.erased} erased (each named by its erasure record, proven)`);
      if (this.erasedUnknown > 0) {
        unproven.push(`${this.erasedUnknown} erased event(s) could not be checked: their content is gone, only their leaves remain`);
        st.push(unproven.at(-1)!);
        toBounds = false;
      }
      if (this.lowestChecked! > f.range.from) {
        unproven.push(`stopped at --limit: seqs ${f.range.from}..${this.lowestChecked! - 1n} were not checked`);
        st.push(unproven.at(-1)!);
        toBounds = false;
      }
      if (f.high === 'head') {
        unproven.push(`seq ${f.range.to} is the last of source ${S} below size ${n} only by the server's word${upper !== undefined ? ` (the query asked up to seq ${upper})` : ''}`);
        st.push(`${unproven.at(-1)!}: a later event of ${S} in that tree is not ruled out by this proof (a monitor of the public leaves sees every seq)`);
        if (upper !== undefined) toBounds = false;
      }
      if (f.low === 'neighbour' || f.high === 'neighbour') {
        const ends = [f.low === 'neighbour' ? `seq ${f.range.from}` : undefined, f.high === 'neighbour' ? `seq ${f.range.to}` : undefined].filter((x) => x !== undefined).join(' and ');
        st.push(`the time range was mapped to seqs by the server's index; the neighbouring leaves (${ends}) have times outside it, each on its own side. An event of ${S} outside the seqs with a time inside the range would be out of order relative to them, and is not covered`);
      }
    }
    st.push(toBounds
      ? (unproven.length === 0 ? 'proven: nothing of this answer is only the server\'s word' : 'proven up to the query\'s bounds, except the open high end (the head), which is the server\'s word')
      : 'NOT proven within the query\'s bounds: part of the range was not checked or is only the server\'s word (above)');
    return {
      source: S, range, checked, low: f.low, high: f.high, treeSize: n, treeSizes: this.sizes.map(String),
      hits: this.hits, nonMatching: this.nonMatching, erased: this.erased, erasedUnknown: this.erasedUnknown,
      proven: unproven.length === 0, unproven, provenToBounds: toBounds, statement: st,
    };
  }
}
