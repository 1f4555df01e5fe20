/**
 * The per-source sequence check of the log monitor. A completeness proof for one source's
 * sequence range (docs/design/search.md) shows the leaves of source S for every seq in [lo, hi]
 * and concludes that nothing is missing. That holds only if the log never gives two leaves the
 * same (source, seq) and never skips a seq. The log promises both (it numbers each source from 0,
 * contiguously), and since event leaves are public, the monitor checks the promise: every entry
 * that begins with `cairn.dev/event-leaf/` must parse (`parseLeaf` of @cairn/events; the log
 * refuses such bytes as raw entries, so a malformed one in the tree is the log's doing) and carry
 * the next seq of its source — 0 for a source not seen before.
 *
 * A problem is a {@link SequenceFinding}: `sequence-gap` (a seq larger than the next one),
 * `sequence-repeat` (a smaller one: used before, or going backwards) or `event-leaf-malformed`.
 * After a gap the source's next seq follows the leaf (seq + 1), after a repeat it stays, so one
 * lie gives one finding, not one for every later leaf of the source.
 *
 * The state per source is two numbers: the next expected seq and the index of its last leaf. A
 * check runs over the confirmed state ({@link SequenceMap}, for the entries verified before)
 * and keeps what it changes apart ({@link SequenceCheck.changes}), so the entries of a pass
 * that ends up not confirmed (bad data) are forgotten by dropping the changes, and a saved
 * catch-up point stores only the sources that moved. At most `maxSources` sources are tracked
 * ({@link MAX_SOURCES} per state directory): the leaves of sources first seen beyond the bound
 * are counted, not checked, and the first of them is a finding, `too-many-sources` — a log that
 * first writes leaves for that many dummy sources must not get the sequences of every later
 * source unchecked in silence. It is found once per log: a check told that it was found before
 * (`overflowed`) only counts such leaves.
 */
import { isReservedEntry, LeafError, parseLeaf } from '@cairn/events';

/** What the monitor keeps about one source: the next expected seq, the index of its last leaf. */
export interface SourceSequence {
  readonly next: bigint;
  readonly last: bigint;
}

/** Source id → its sequence state. */
export type SequenceMap = ReadonlyMap<string, SourceSequence>;

/**
 * Most sources tracked in one state directory (over every origin it holds). About 120 bytes
 * each in the state file at worst (a 64-character id and two 19-digit numbers).
 */
export const MAX_SOURCES = 100_000;

/** Why an event leaf broke its source's sequence. */
export type SequenceProblem = 'sequence-gap' | 'sequence-repeat' | 'event-leaf-malformed' | 'too-many-sources';

/** The codes of {@link SequenceProblem}, for strict parsing. */
export const SEQUENCE_PROBLEMS: readonly SequenceProblem[] = ['sequence-gap', 'sequence-repeat', 'event-leaf-malformed', 'too-many-sources'];

/** One broken promise, with what an auditor needs to find it in the tree. */
export interface SequenceFinding {
  readonly code: SequenceProblem;
  /** The entry index of the leaf. */
  readonly index: bigint;
  readonly source?: string;
  /** The seq the leaf carries. */
  readonly seq?: bigint;
  /** The seq its source should have had next. */
  readonly expected?: bigint;
  /** The index of the source's previous leaf (absent for a source not seen before). */
  readonly previousIndex?: bigint;
  /** Why the leaf does not parse (`event-leaf-malformed`). */
  readonly problem?: string;
  /** The most sources the check could track for this log (`too-many-sources`). */
  readonly limit?: bigint;
}

/** The per-source check over the new entries of one pass (see the module comment). */
export class SequenceCheck {
  readonly #base: SequenceMap;
  readonly #changes: Map<string, SourceSequence>;
  readonly #maxSources: number;
  #tracked: number;
  #overflowed: boolean;
  #leaves = 0n;
  #untracked = 0n;
  #firstUntracked: bigint | undefined;

  /**
   * `base`: the confirmed state; `changes`: sources that moved since (a saved catch-up point);
   * `maxSources`: most sources this check may track in all (base and new ones); `overflowed`:
   * the `too-many-sources` finding was made before for this log (not made again).
   */
  constructor(base: SequenceMap, changes: SequenceMap = new Map(), maxSources = MAX_SOURCES, overflowed = false) {
    this.#base = base;
    this.#changes = new Map(changes);
    this.#maxSources = maxSources;
    this.#overflowed = overflowed;
    this.#tracked = base.size;
    for (const s of this.#changes.keys()) if (!base.has(s)) this.#tracked++;
  }

  /** Checks entry `index` (entries must come in index order); returns what is wrong with it, if anything. */
  check(index: bigint, entry: Uint8Array): SequenceFinding | undefined {
    if (!isReservedEntry(entry)) return undefined;
    let source: string;
    let seq: bigint;
    try {
      ({ source, seq } = parseLeaf(entry));
    } catch (e) {
      if (!(e instanceof LeafError)) throw e;
      return { code: 'event-leaf-malformed', index, problem: `${e.code}: ${e.message}` };
    }
    this.#leaves++;
    const cur = this.#changes.get(source) ?? this.#base.get(source);
    if (cur === undefined) {
      if (this.#tracked >= this.#maxSources) {
        this.#untracked++;
        if (this.#overflowed) return undefined;
        this.#overflowed = true;
        this.#firstUntracked = index;
        return { code: 'too-many-sources', index, source, seq, limit: BigInt(this.#maxSources) };
      }
      this.#tracked++;
    }
    const expected = cur?.next ?? 0n;
    this.#changes.set(source, { next: seq >= expected ? seq + 1n : expected, last: index });
    if (seq === expected) return undefined;
    return {
      code: seq > expected ? 'sequence-gap' : 'sequence-repeat',
      index, source, seq, expected,
      ...(cur !== undefined ? { previousIndex: cur.last } : {}),
    };
  }

  /** The sources that moved since the confirmed state. */
  get changes(): SequenceMap {
    return this.#changes;
  }

  /** The confirmed state with the changes applied (a new map). */
  merged(): Map<string, SourceSequence> {
    const m = new Map(this.#base);
    for (const [s, v] of this.#changes) m.set(s, v);
    return m;
  }

  /** Event leaves (well-formed) seen by this check. */
  get leaves(): bigint {
    return this.#leaves;
  }

  /** Of those, leaves of sources not tracked because the bound was reached. */
  get untracked(): bigint {
    return this.#untracked;
  }

  /** The index of the leaf that made the `too-many-sources` finding in this check, if it did. */
  get firstUntracked(): bigint | undefined {
    return this.#firstUntracked;
  }

  /** Sources tracked (base and new). */
  get sources(): number {
    return this.#tracked;
  }
}

/** The message of a finding (no event content: only what the public leaf holds). */
export function describeFinding(f: SequenceFinding): string {
  switch (f.code) {
    case 'sequence-gap':
      return `the log skipped seqs of source ${f.source}: entry ${f.index} carries seq ${f.seq}, the next seq was ${f.expected}` +
        (f.previousIndex !== undefined ? ` (previous leaf of the source: entry ${f.previousIndex})` : ' (the source\'s first leaf)');
    case 'sequence-repeat':
      return `the log gave source ${f.source} a seq below its next one: entry ${f.index} carries seq ${f.seq}, the next seq was ${f.expected}` +
        ` (a repeat or a regression; previous leaf of the source: entry ${f.previousIndex})`;
    case 'event-leaf-malformed':
      return `entry ${f.index} begins with the event-leaf prefix but is not a valid event leaf (${f.problem}); the log refuses such raw entries, so it put it there itself`;
    case 'too-many-sources':
      return `the monitor's state holds no more sources (${f.limit} for this log, the bound of its state directory): source ${f.source} at entry ${f.index} ` +
        'and every source first seen after it are not tracked, so gaps and repeats in their seqs go unseen and no completeness proof for them is backed by this monitor ' +
        '(a log that writes leaves for that many sources may be hiding a lie behind them)';
  }
}
