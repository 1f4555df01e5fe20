/**
 * Input generators shared by every fuzz target: pure random bytes and strings, and
 * structure-aware mutation of valid inputs (built by the targets with the real formatters).
 *
 * A mutated input is `seed` + 1..4 {@link Mutation}s. Mutations are plain data with random
 * offsets taken modulo the current length, so fast-check can shrink both the seed choice and the
 * mutation list, and a counterexample prints as readable data:
 *
 * - byte level: bit flip, byte overwrite, insertion of an "interesting" token (LF, `— `, huge or
 *   signed decimals, base64 padding, keywords of our formats, control characters, invalid UTF-8
 *   such as `ED A0 80`), deletion, duplication of a range, truncation;
 * - line level: duplicate, remove, swap or replace a line;
 * - token level: replace the base64/decimal token around an offset (e.g. a size by
 *   `9223372036854775808`, a hash by a one-character change that sets trailing bits);
 * - a long run of one token inserted anywhere (blanks between two words: the shape that makes
 *   backtracking regexes quadratic);
 * - oversize padding to just below, at and just above a target's size cap;
 * - splicing the head of one valid input to the tail of another.
 *
 * Inputs that a parser accepts as `string | Uint8Array` are also presented as strings: decoded
 * UTF-8 (lossy), Latin-1 (every byte a code unit: C1 controls), or with a lone surrogate.
 */
import fc from 'fast-check';

const enc = new TextEncoder();
const lossy = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** Tokens worth inserting: separators, keywords and edge values of our formats. */
export const INTERESTING_TOKENS: readonly string[] = [
  '\n', '\n\n', ' ', '  ', '\t', '\r', '\r\n', '\u0000', '\u007f', '\u0085', '\u00a0', '\u2028', '\u2029', '\ufeff', '\u200b',
  '\u2014 ', '\u2014', '\u2013 ', '+', '=', '==', '/', '#', '"', '\\', '{', '}', '[', ']', ',', ':',
  '0', '1', '-0', '-1', '+1', '01', '00', '1e3', '0x10', '1.5', ' 1', '1 ', 'NaN', 'Infinity',
  '9223372036854775807', '9223372036854775808', '18446744073709551615', '18446744073709551616',
  '99999999999999999999999999999999999999999999999999', '2147483647', '2147483648', '4294967295', '4294967296',
  'x', 'x000/', 'x001/', '.p/', '.p/0', '.p/255', '.p/256', 'tile/', 'entries', '000', '255', '256', '63', '64',
  'old ', 'index ', 'extra ', 'c2sp.org/tlog-proof@v1', 'log ', 'witness ', 'group ', 'quorum ', 'none', 'all', 'any',
  'logs/v0', 'vkey ', 'origin ', 'qpd ', 'contact ', 'PRIVATE+KEY+', 'null', 'true', '__proto__', 'constructor',
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', 'AAAA', 'A===', '////',
];

/** Raw byte sequences that are not valid UTF-8 (or are edge cases of it). */
export const INTERESTING_RAW: readonly (readonly number[])[] = [
  [0x80], [0xff], [0xc0, 0x80], [0xc3], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80],
  [0xe2, 0x80], [0xef, 0xbb, 0xbf], [0xf0, 0x9f, 0x98, 0x80], [0xfe, 0xff],
];

const TOKEN_BYTES: readonly Uint8Array[] = [
  ...INTERESTING_TOKENS.map((t) => enc.encode(t)),
  ...INTERESTING_RAW.map((b) => Uint8Array.from(b)),
];

/** One edit of a byte string; offsets are reduced modulo the current length when applied. */
export type Mutation =
  | { readonly k: 'flip'; readonly at: number; readonly bit: number }
  | { readonly k: 'set'; readonly at: number; readonly byte: number }
  | { readonly k: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly k: 'delete'; readonly at: number; readonly len: number }
  | { readonly k: 'duplicate'; readonly at: number; readonly len: number }
  | { readonly k: 'truncate'; readonly at: number }
  | { readonly k: 'line'; readonly op: 'dup' | 'del' | 'swap' | 'blank'; readonly a: number; readonly b: number }
  | { readonly k: 'line-replace'; readonly a: number; readonly bytes: Uint8Array }
  | { readonly k: 'token'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly k: 'repeat'; readonly at: number; readonly bytes: Uint8Array; readonly count: number }
  | { readonly k: 'pad'; readonly size: number; readonly byte: number };

function concat(...parts: Uint8Array[]): Uint8Array {
  return concatAll(parts);
}

/** Concatenation of any number of parts (no spread: a run of 40 000 LFs makes 40 001 lines). */
function concatAll(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function splitLines(b: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0x0a) {
      out.push(b.subarray(start, i));
      start = i + 1;
    }
  }
  out.push(b.subarray(start));
  return out;
}

function joinLines(lines: Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [];
  lines.forEach((l, i) => {
    if (i > 0) parts.push(Uint8Array.of(0x0a));
    parts.push(l);
  });
  return concatAll(parts);
}

const isTokenByte = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2b || c === 0x2f || c === 0x3d;

/** Applies one mutation. */
export function applyMutation(b: Uint8Array, m: Mutation): Uint8Array {
  const n = b.length;
  switch (m.k) {
    case 'flip': {
      if (n === 0) return b;
      const out = b.slice();
      out[m.at % n]! ^= 1 << (m.bit & 7);
      return out;
    }
    case 'set': {
      if (n === 0) return Uint8Array.of(m.byte & 0xff);
      const out = b.slice();
      out[m.at % n] = m.byte & 0xff;
      return out;
    }
    case 'insert': {
      const at = m.at % (n + 1);
      return concat(b.subarray(0, at), m.bytes, b.subarray(at));
    }
    case 'delete': {
      if (n === 0) return b;
      const at = m.at % n;
      return concat(b.subarray(0, at), b.subarray(Math.min(n, at + 1 + (m.len % 64))));
    }
    case 'duplicate': {
      if (n === 0) return b;
      const at = m.at % n;
      const end = Math.min(n, at + 1 + (m.len % 128));
      return concat(b.subarray(0, end), b.subarray(at, end), b.subarray(end));
    }
    case 'truncate':
      return b.subarray(0, m.at % (n + 1));
    case 'line': {
      const lines = splitLines(b);
      const a = m.a % lines.length;
      const c = m.b % lines.length;
      if (m.op === 'dup') lines.splice(a, 0, lines[a]!);
      else if (m.op === 'del') lines.splice(a, 1);
      else if (m.op === 'blank') lines.splice(a, 0, new Uint8Array(0));
      else [lines[a], lines[c]] = [lines[c]!, lines[a]!];
      return joinLines(lines);
    }
    case 'line-replace': {
      const lines = splitLines(b);
      lines[m.a % lines.length] = m.bytes;
      return joinLines(lines);
    }
    case 'token': {
      // Replace the run of base64/decimal characters around `at`.
      if (n === 0) return m.bytes;
      let s = m.at % n;
      let e = s;
      while (s > 0 && isTokenByte(b[s - 1]!)) s--;
      while (e < n && isTokenByte(b[e]!)) e++;
      return concat(b.subarray(0, s), m.bytes, b.subarray(e));
    }
    case 'repeat': {
      // A long run of one token inside the input (e.g. blanks between two words of a line):
      // the shape that makes backtracking regexes quadratic.
      const at = m.at % (n + 1);
      const run = new Uint8Array(m.bytes.length * m.count);
      for (let i = 0; i < m.count; i++) run.set(m.bytes, i * m.bytes.length);
      return concat(b.subarray(0, at), run, b.subarray(at));
    }
    case 'pad': {
      if (m.size <= n) return b.subarray(0, m.size);
      const out = new Uint8Array(m.size).fill(m.byte & 0xff);
      out.set(b, 0);
      return out;
    }
  }
}

/** Applies mutations in order. */
export function applyMutations(b: Uint8Array, ms: readonly Mutation[]): Uint8Array {
  let out = b;
  for (const m of ms) out = applyMutation(out, m);
  return out;
}

const tokenArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...TOKEN_BYTES) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }).map((s) => enc.encode(s)) },
);

/** Arbitrary mutations (every kind but oversize padding, which {@link fuzzBytes} adds rarely). */
export function mutationArb(): fc.Arbitrary<Mutation> {
  const at = fc.nat();
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ k: fc.constant('flip' as const), at, bit: fc.nat({ max: 7 }) }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('set' as const), at, byte: fc.nat({ max: 255 }) }) },
    { weight: 5, arbitrary: fc.record({ k: fc.constant('insert' as const), at, bytes: tokenArb }) },
    { weight: 3, arbitrary: fc.record({ k: fc.constant('delete' as const), at, len: fc.nat({ max: 63 }) }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('duplicate' as const), at, len: fc.nat({ max: 127 }) }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('truncate' as const), at }) },
    {
      weight: 3,
      arbitrary: fc.record({ k: fc.constant('line' as const), op: fc.constantFrom('dup' as const, 'del' as const, 'swap' as const, 'blank' as const), a: at, b: at }),
    },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('line-replace' as const), a: at, bytes: tokenArb }) },
    { weight: 3, arbitrary: fc.record({ k: fc.constant('token' as const), at, bytes: tokenArb }) },
    {
      weight: 1,
      arbitrary: fc.record({
        k: fc.constant('repeat' as const), at,
        bytes: fc.oneof(fc.constantFrom(...TOKEN_BYTES.slice(0, 8)), tokenArb),
        count: fc.constantFrom(2, 16, 256, 4096, 40_000),
      }),
    },
  );
}

/** Options of {@link fuzzBytes}. */
export interface FuzzBytesOptions {
  /** Size caps of the parser (oversize padding goes to cap − 1, cap and cap + 1). */
  readonly caps?: readonly number[];
  /** Longest purely random input (default 512). */
  readonly maxRandomLength?: number;
}

/**
 * Bytes for a parser: random bytes and strings (shallow paths), valid seeds as they are, mutated
 * seeds and splices of two seeds (deep paths). `seeds` should produce valid inputs.
 */
export function fuzzBytes(seeds: fc.Arbitrary<Uint8Array>, opts: FuzzBytesOptions = {}): fc.Arbitrary<Uint8Array> {
  const max = opts.maxRandomLength ?? 512;
  const mutations = fc.array(mutationArb(), { minLength: 1, maxLength: 4 });
  const options: fc.WeightedArbitrary<Uint8Array>[] = [
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: max }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: max }).map((s) => enc.encode(s)) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: max }).map((s) => enc.encode(s)) },
    { weight: 4, arbitrary: seeds },
    { weight: 20, arbitrary: fc.tuple(seeds, mutations).map(([s, ms]) => applyMutations(s, ms)) },
    {
      weight: 2,
      arbitrary: fc.tuple(seeds, seeds, fc.nat(), fc.nat()).map(([a, b, i, j]) =>
        concat(a.subarray(0, i % (a.length + 1)), b.subarray(j % (b.length + 1)))),
    },
  ];
  const sizes = (opts.caps ?? []).flatMap((c) => [c - 1, c, c + 1]).filter((s) => s >= 0);
  if (sizes.length > 0) {
    // Oversize padding (about 3% of cases): just below, at and just above each cap.
    const pad = fc.record({ k: fc.constant('pad' as const), size: fc.constantFrom(...sizes), byte: fc.constantFrom(0x0a, 0x41, 0x20, 0x00) });
    options.push({ weight: 1, arbitrary: fc.tuple(seeds, pad).map(([s, m]) => applyMutation(s, m)) });
  }
  return fc.oneof(...options);
}

/** How a byte input is handed to a parser that takes `string | Uint8Array`. */
export type Presentation = 'bytes' | 'utf8' | 'latin1' | 'lone-surrogate';

/** Converts bytes to the chosen presentation (`at` places the lone surrogate). */
export function present(b: Uint8Array, how: Presentation, at = 0): Uint8Array | string {
  switch (how) {
    case 'bytes':
      return b;
    case 'utf8':
      return lossy.decode(b);
    case 'latin1':
      return Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
    case 'lone-surrogate': {
      const s = lossy.decode(b);
      const i = s.length === 0 ? 0 : at % (s.length + 1);
      return s.slice(0, i) + (at % 2 === 0 ? '\ud800' : '\udfff') + s.slice(i);
    }
  }
}

/** Bytes presented mostly as bytes, sometimes as strings of each kind. */
export function bytesOrString(bytes: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array | string> {
  const how = fc.oneof(
    { weight: 5, arbitrary: fc.constant<Presentation>('bytes') },
    { weight: 4, arbitrary: fc.constant<Presentation>('utf8') },
    { weight: 1, arbitrary: fc.constant<Presentation>('latin1') },
    { weight: 1, arbitrary: fc.constant<Presentation>('lone-surrogate') },
  );
  return fc.tuple(bytes, how, fc.nat()).map(([b, h, at]) => present(b, h, at));
}

/** Strings (via {@link bytesOrString}, never bytes). */
export function stringsOf(bytes: fc.Arbitrary<Uint8Array>): fc.Arbitrary<string> {
  const how = fc.constantFrom<Presentation>('utf8', 'utf8', 'utf8', 'latin1', 'lone-surrogate');
  return fc.tuple(bytes, how, fc.nat()).map(([b, h, at]) => present(b, h, at) as string);
}

/** UTF-8 bytes of a string. */
export function utf8(s: string): Uint8Array {
  return enc.encode(s);
}

/** A fixed pool of seeds as an arbitrary (shrinks toward the first). */
export function pool(items: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  if (items.length === 0) throw new Error('empty seed pool');
  return fc.constantFrom(...items);
}
