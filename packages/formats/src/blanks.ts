/**
 * Trimming of spaces and tabs for the line-based text formats (tlog-policy, logs/v0), in linear
 * time. Not exported from the package.
 *
 * `line.replace(/^[ \t]+|[ \t]+$/g, '')` looks equivalent but is quadratic: on `x` followed by n
 * blanks and `y`, the engine retries `[ \t]+$` from every blank and scans to the `y` each time
 * (a 64 KiB policy line took ~12 s; a 16 MiB log list would never finish). Found by `pnpm fuzz`.
 */

const isBlank = (c: number): boolean => c === 0x20 || c === 0x09;

/** `s` without leading and trailing spaces and tabs: `trimBlanks(' \ta b\t ') === 'a b'`. */
export function trimBlanks(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isBlank(s.charCodeAt(start))) start++;
  while (end > start && isBlank(s.charCodeAt(end - 1))) end--;
  return s.slice(start, end);
}
