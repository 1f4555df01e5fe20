/**
 * `--config FILE` for long-running commands (`log serve`, `witness serve`, `monitor`): the same
 * options as the command line, read from a YAML or JSON file so that a production command line
 * is not a wall of inline keys.
 *
 * One mechanism, derived from the command's declared options: every long option name is a key
 * (so a flag added later is a config key at once), a repeatable option is a list, a boolean is
 * `true`/`false`, any other option a string (a whole number is accepted for it too: `quorum: 2`).
 * Options whose value placeholder is FILE or DIR are paths; relative paths in the file are
 * resolved against the file's directory (DIR|URL: a path, unless the value is a URL such as
 * `postgres://…`, kept as written). Options given on the command line override the file;
 * for a repeatable option the command line's list replaces the file's.
 *
 * Example (log.yaml):
 *
 *     data: log-data            # relative to the directory of log.yaml
 *     key: log.key
 *     listen: 127.0.0.1:8080
 *     tokens: tokens.json
 *     witness:
 *       - http://127.0.0.1:7380=w1.example+4a1b2c3d+AQ…
 *     quorum: 1
 *
 * Hostile input is bounded: the file is read only up to {@link MAX_CONFIG_BYTES}; it must be
 * UTF-8; YAML aliases (`*x`, the "billion laughs" expansion), several documents, unknown tags and
 * duplicate keys (YAML or JSON) are refused; lists and strings have caps. Errors name the file
 * and the field, e.g. `log.yaml: witness[1]: expected a string`, `log.yaml: unknown key "witnesses"
 * (did you mean "witness"?)`.
 */
import { open } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';

/**
 * What this module needs of an option declaration (command.ts's OptionSpec has this shape; this
 * module imports nothing of the CLI so the command framework can import it).
 */
export interface ConfigOptionSpec {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  readonly value?: string;
  readonly description: string;
}

/** A config file that cannot be used; the message names the file and the field. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Largest config file read (bytes). */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Most items in one repeatable option's list. */
export const MAX_CONFIG_LIST = 10_000;
/** Longest string value (characters). */
export const MAX_CONFIG_STRING = 64 * 1024;

/** The option every command with `configFile: true` gets. */
export const CONFIG_OPTION: ConfigOptionSpec = {
  type: 'string', value: 'FILE',
  description: 'read options from this YAML or JSON file (keys = long option names); options given here override it',
};

/** What a config file sets: option name → value, in the shapes parseArgs produces. */
export type ConfigValues = Record<string, string | boolean | string[]>;

/** Is this option a path (its placeholder says FILE or DIR, or DIR|URL: a directory or a URL)? */
export function isPathOption(o: ConfigOptionSpec): boolean {
  return o.type === 'string' && (o.value === 'FILE' || o.value === 'DIR' || o.value === 'DIR|URL');
}

/** A path option's value from a file in `base`: resolved against it, unless DIR|URL holds a URL. */
function resolveValue(base: string, o: ConfigOptionSpec, v: string): string {
  return o.value === 'DIR|URL' && /^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? v : resolve(base, v);
}

/** Reads, parses and validates `file` against `options`; throws ConfigError naming file and field. */
export async function loadConfigFile(file: string, options: Readonly<Record<string, ConfigOptionSpec>>): Promise<ConfigValues> {
  const bytes = await readCapped(file, MAX_CONFIG_BYTES);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ConfigError(`${file}: not valid UTF-8`);
  }
  const data = parseConfigText(file, text);
  const base = dirname(resolve(file));
  return validateConfig(file, data, options, base);
}

/** Reads a regular file, refusing it when it holds more than `max` bytes (at most max+1 are read). */
async function readCapped(file: string, max: number): Promise<Uint8Array> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    throw new ConfigError(`--config ${file}: cannot read: ${(e as Error).message}`);
  }
  try {
    if (!(await fh.stat()).isFile()) throw new ConfigError(`--config ${file}: not a regular file`);
    const buf = Buffer.alloc(max + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, null);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n > max) throw new ConfigError(`--config ${file}: larger than ${max} bytes (the limit for a config file)`);
    }
    return new Uint8Array(buf.subarray(0, n));
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`--config ${file}: cannot read: ${(e as Error).message}`);
  } finally {
    await fh.close();
  }
}

/** JSON when the name ends in .json or the text starts with `{`; YAML otherwise. */
export function parseConfigText(file: string, text: string): unknown {
  const ext = extname(file).toLowerCase();
  const json = ext === '.json' || (ext !== '.yaml' && ext !== '.yml' && text.trimStart().startsWith('{'));
  if (json) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new ConfigError(`${file}: not valid JSON: ${(e as Error).message}`);
    }
    // JSON.parse keeps the last of duplicate keys silently; JSON is YAML 1.2, whose parser sees them.
    const dup = parseDocument(text, { uniqueKeys: true }).errors.find((e) => e.code === 'DUPLICATE_KEY');
    if (dup !== undefined) throw new ConfigError(`${file}: duplicate key (${firstLine(dup.message)})`);
    return value;
  }
  const doc = parseDocument(text, { version: '1.2', schema: 'core', uniqueKeys: true, strict: true, prettyErrors: true });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem !== undefined) {
    const what = problem.code === 'DUPLICATE_KEY' ? 'duplicate key' : problem.code === 'MULTIPLE_DOCS' ? 'more than one YAML document' : 'not valid YAML';
    throw new ConfigError(`${file}: ${what} (${firstLine(problem.message)})`);
  }
  try {
    // maxAliasCount 0: aliases are refused outright, so no expansion can blow up.
    return doc.toJS({ maxAliasCount: 0 }) as unknown;
  } catch (e) {
    throw new ConfigError(`${file}: YAML aliases (*name) are not accepted in a config file (${(e as Error).message})`);
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.replace(/:$/, '');
}

const nonEmpty = z.string({ error: 'expected a string' })
  .min(1, { error: 'must not be empty' })
  .max(MAX_CONFIG_STRING, { error: `longer than ${MAX_CONFIG_STRING} characters` });
/** A string option: a string, or a whole number written as one (`quorum: 2`). */
const stringValue = z.preprocess((v) => (typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v), nonEmpty);

function schemaFor(o: ConfigOptionSpec): z.ZodType {
  if (o.type === 'boolean') return z.boolean({ error: 'expected true or false' });
  if (o.multiple) {
    return z.array(stringValue, { error: 'expected a list (this option is repeatable)' })
      .max(MAX_CONFIG_LIST, { error: `more than ${MAX_CONFIG_LIST} items` });
  }
  return stringValue;
}

/** Checks the parsed file against the options; resolves relative paths against `base`. */
export function validateConfig(file: string, data: unknown, options: Readonly<Record<string, ConfigOptionSpec>>, base: string): ConfigValues {
  if (data === null || data === undefined) return {}; // an empty file, or only comments
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(`${file}: expected a mapping of option names to values at the top level`);
  }
  const known = Object.keys(options).filter((k) => k !== 'config');
  for (const k of Object.keys(data)) {
    if (!known.includes(k)) {
      const near = didYouMean(k, known);
      throw new ConfigError(`${file}: unknown key "${k}"${near === undefined ? '' : ` (did you mean "${near}"?)`}`);
    }
  }
  const shape: Record<string, z.ZodType> = {};
  for (const k of known) shape[k] = schemaFor(options[k]!).optional();
  const r = z.object(shape).safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new ConfigError(`${file}: ${fieldPath(issue.path)}: ${issue.message}`);
  }
  const out: ConfigValues = {};
  for (const [k, v] of Object.entries(r.data as Record<string, string | boolean | string[] | undefined>)) {
    if (v === undefined) continue;
    const o = options[k]!;
    if (!isPathOption(o)) out[k] = v;
    else out[k] = Array.isArray(v) ? v.map((p) => resolveValue(base, o, p)) : resolveValue(base, o, v as string);
  }
  return out;
}

/** `witness[1]`, `data`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : (s === '' ? String(p) : `.${String(p)}`);
  return s === '' ? '(top level)' : s;
}

/**
 * Options from the file, overridden by those on the command line (a repeatable option given on
 * the command line replaces the file's list).
 */
export function mergeConfig(cli: Record<string, unknown>, file: ConfigValues): Record<string, unknown> {
  const out: Record<string, unknown> = { ...file };
  for (const [k, v] of Object.entries(cli)) if (v !== undefined) out[k] = v;
  return out;
}

/** The closest known key, if it is close: same letters ignoring case, '-' and '_', or ≤ 2 edits. */
export function didYouMean(key: string, known: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  const exact = known.find((k) => norm(k) === norm(key));
  if (exact !== undefined) return exact;
  let best: string | undefined;
  let bestD = 3;
  for (const k of known) {
    const d = editDistance(norm(key), norm(k));
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2 || a.length > 64 || b.length > 64) return 99;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** The paragraph `--help` adds for commands that take --config. */
export function configHelp(): string {
  return `Configuration file: --config FILE reads the options from a YAML or JSON file (JSON when
the name ends in .json or the text starts with "{"). Its keys are the long option names above
(without --); a repeatable option is a list, a boolean true/false. Relative paths in the file
are relative to the file's directory. Options on the command line override the file; a
repeatable option given on the command line replaces the file's whole list (a boolean set true
in the file cannot be turned off on the command line). Unknown keys, duplicate keys, YAML aliases
and files above ${MAX_CONFIG_BYTES} bytes are refused with a message naming the file and field.`;
}
