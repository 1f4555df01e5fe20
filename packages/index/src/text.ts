/**
 * Full text, one tokeniser for both sides: the indexer turns an event's string and number values
 * into words with positions, and the query turns its bare words and quoted phrases into words the
 * same way, so a word matches when the same characters appear in the event, whatever PostgreSQL's
 * own text parser would have made of them (it splits e-mail addresses, host names and paths by
 * rules of its own that no other matcher could reproduce). The index stores the result as a
 * `tsvector` built from these words (cast from its text form), and queries compare with `@@`.
 *
 * A word is a maximal run of letters and digits (Unicode `\p{L}` and `\p{N}`) of the lower-cased
 * text: `alice.martin@example.com` is `alice martin example com`, `db-password` is `db password`.
 * Positions count words from 1; each new value starts one position further on, so a phrase never
 * spans two values. PostgreSQL's own bounds, applied here so that both sides agree: positions stop
 * at {@link MAX_TEXT_POSITION} (words after it are not indexed), a word keeps its first
 * {@link MAX_POSITIONS_PER_WORD} positions, and words longer than {@link MAX_WORD_LENGTH}
 * characters are left out.
 */

/** Largest word position PostgreSQL keeps in a tsvector. */
export const MAX_TEXT_POSITION = 16_383;
/** Positions kept per word (PostgreSQL keeps 256). */
export const MAX_POSITIONS_PER_WORD = 256;
/** Longest word indexed, characters; a longer one is left out on both sides. */
export const MAX_WORD_LENGTH = 100;

const WORD = /[\p{L}\p{N}]+/gu;

/** The words of a text, lower-cased, in order (too-long words left out). */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const m of text.toLowerCase().matchAll(WORD)) if (m[0].length <= MAX_WORD_LENGTH) out.push(m[0]);
  return out;
}

/** Words with their positions: what the index stores for an event. */
export type WordPositions = Map<string, number[]>;

/** The words and positions of a list of values, with a gap between values. */
export function wordPositions(values: Iterable<string>): WordPositions {
  const out: WordPositions = new Map();
  let pos = 0;
  for (const v of values) {
    pos += 1; // gap: a phrase never joins the end of one value to the start of the next
    for (const m of v.toLowerCase().matchAll(WORD)) {
      if (m[0].length > MAX_WORD_LENGTH) continue;
      pos += 1;
      if (pos > MAX_TEXT_POSITION) return out;
      let list = out.get(m[0]);
      if (list === undefined) out.set(m[0], (list = []));
      if (list.length < MAX_POSITIONS_PER_WORD) list.push(pos);
    }
  }
  return out;
}

/** The text form of a tsvector (`'alice':2 'martin':3,9`), words sorted for a stable spelling. */
export function tsvectorText(wp: WordPositions): string {
  // Words hold only letters and digits: nothing to escape inside the quotes.
  return [...wp.keys()].sort().map((w) => `'${w}':${wp.get(w)!.join(',')}`).join(' ');
}

/** A full-text term: a word, a word prefix (`alic*`), or a phrase (several words in a row). */
export interface TextTerm {
  readonly words: readonly string[];
  readonly prefix: boolean;
}

/** The text form of the tsquery of a term (`'db' <-> 'password'`, `'alic':*`). */
export function tsqueryText(t: TextTerm): string {
  if (t.prefix) return `'${t.words[0]!}':*`;
  return t.words.map((w) => `'${w}'`).join(' <-> ');
}

/** Whether the words of an event match a term: the reference semantics of `@@`. */
export function matchText(wp: WordPositions, t: TextTerm): boolean {
  if (t.prefix) {
    for (const w of wp.keys()) if (w.startsWith(t.words[0]!)) return true;
    return false;
  }
  const first = wp.get(t.words[0]!);
  if (first === undefined) return false;
  outer: for (const p of first) {
    for (let i = 1; i < t.words.length; i++) if (!(wp.get(t.words[i]!)?.includes(p + i) ?? false)) continue outer;
    return true;
  }
  return false;
}
