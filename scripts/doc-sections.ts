/**
 * Generated sections inside hand-written Markdown: the text between
 * `<!-- generated:NAME begin (pnpm docs:…) -->` and `<!-- generated:NAME end -->` belongs to a
 * generator; the rest of the file to its authors. Used by the docs scripts and their tests.
 */

/** Replaces section `name` of `doc` with `body`; throws when the markers are missing. */
export function replaceSection(doc: string, name: string, body: string): string {
  const begin = new RegExp(`<!-- generated:${name} begin[^>]*-->\\n`);
  const end = `<!-- generated:${name} end -->`;
  const b = begin.exec(doc);
  const e = doc.indexOf(end);
  if (b === null || e < 0 || e < b.index) throw new Error(`the generated section "${name}" has no begin/end markers`);
  return doc.slice(0, b.index + b[0].length) + body.replace(/\n*$/, '\n') + doc.slice(e);
}
