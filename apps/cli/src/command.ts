/**
 * A small command framework for the `cairn` CLI on top of `node:util` parseArgs: every command
 * declares its options once, and gets strict parsing, `--help` text and usage errors from that.
 *
 * Exit codes are shared by every command: 0 success, 1 a check failed (verification, refusal),
 * 2 usage or configuration error, 3 an I/O or network failure.
 */
import { parseArgs } from 'node:util';
import { CONFIG_OPTION, ConfigError, configHelp, loadConfigFile, mergeConfig } from './lib/config.js';

export const EXIT_OK = 0;
export const EXIT_FAIL = 1;
export const EXIT_USAGE = 2;
export const EXIT_IO = 3;

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  readonly short?: string;
  readonly required?: boolean;
  readonly value?: string; // placeholder shown in help, e.g. "FILE"
  readonly description: string;
}

export type Values<O extends Record<string, OptionSpec>> = {
  [K in keyof O]: O[K]['type'] extends 'boolean'
    ? boolean | undefined
    : O[K]['multiple'] extends true ? string[] | undefined : string | undefined;
};

export interface Io {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

export interface Command<O extends Record<string, OptionSpec> = Record<string, OptionSpec>> {
  readonly name: string; // full path, e.g. "log serve"
  readonly summary: string;
  readonly usage?: string; // positional part, e.g. "FILE"
  readonly details?: string;
  readonly options: O;
  readonly positionals?: { readonly min: number; readonly max: number };
  /** Takes `--config FILE` (lib/config.ts): every option may also come from a YAML/JSON file. */
  readonly configFile?: boolean;
  run(args: { values: Values<O>; positionals: string[]; io: Io }): Promise<number>;
}

/** Thrown by commands for usage/config problems; main prints it and exits with EXIT_USAGE. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Thrown by commands for a failed check; main prints the message and exits with `exitCode`. */
export class CommandFailure extends Error {
  override readonly name = 'CommandFailure';
  constructor(message: string, readonly exitCode: number = EXIT_FAIL) {
    super(message);
  }
}

/**
 * What the registry knows of a command before loading it: its name and one-line summary (all
 * `cairn --help` prints), and how to load its module. Loading is deferred so that a command pulls
 * in the heavy modules it needs (libp2p, LevelDB, the tRPC server) only when it is the one run.
 */
export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  load(): Promise<Command>;
}

export function defineCommand<O extends Record<string, OptionSpec>>(c: Command<O>): Command<O> {
  return c;
}

export function helpText(c: Command): string {
  const lines = [`Usage: pnpm cairn ${c.name}${optionSynopsis(c)}${c.usage ? ' ' + c.usage : ''}`, '', c.summary];
  if (c.details) lines.push('', c.details.trim());
  if (c.configFile) lines.push('', configHelp());
  const entries = Object.entries(withConfig(c));
  lines.push('', 'Options:');
  const rows = entries.map(([k, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${k}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
    const notes = [o.required ? 'required' : '', o.multiple ? 'repeatable' : ''].filter(Boolean).join(', ');
    return [flag, o.description + (notes ? ` (${notes})` : '')] as const;
  });
  rows.push(['-h, --help', 'show this help']);
  const width = Math.max(...rows.map((r) => r[0].length));
  for (const [f, d] of rows) lines.push(`  ${f.padEnd(width)}  ${d}`);
  return lines.join('\n');
}

/** The command's options, plus --config when it takes a config file. */
function withConfig(c: Command): Record<string, OptionSpec> {
  return c.configFile ? { ...c.options, config: CONFIG_OPTION } : c.options;
}

function optionSynopsis(c: Command): string {
  const req = Object.entries(c.options).filter(([, o]) => o.required);
  return req.map(([k, o]) => ` --${k}${o.type === 'string' ? ' ' + (o.value ?? 'VALUE') : ''}`).join('') +
    (Object.values(c.options).some((o) => !o.required) ? ' [options]' : '');
}

/**
 * Parses argv for one command; returns undefined when help was printed. With `--config FILE`
 * (commands with `configFile`), the file's options are read first and the command line's override them.
 */
export async function parseCommandArgs<O extends Record<string, OptionSpec>>(
  c: Command<O>,
  argv: string[],
): Promise<{ values: Values<O>; positionals: string[]; config?: ConfigSource } | undefined> {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [k, o] of Object.entries(withConfig(c))) {
    options[k] = { type: o.type, ...(o.multiple ? { multiple: true } : {}), ...(o.short ? { short: o.short } : {}) };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  let values = parsed.values as Record<string, unknown>;
  if (values['help']) return undefined;
  delete values['help'];
  let config: ConfigSource | undefined;
  if (c.configFile && values['config'] !== undefined) {
    const file = values['config'] as string;
    if (file === '') throw new UsageError('option --config must not be empty');
    delete values['config'];
    try {
      const fromFile = await loadConfigFile(file, c.options);
      config = { file, keys: Object.keys(fromFile).filter((k) => values[k] === undefined) };
      values = mergeConfig(values, fromFile);
    } catch (e) {
      if (e instanceof ConfigError) throw new UsageError(e.message);
      throw e;
    }
  }
  for (const [k, o] of Object.entries(c.options)) {
    if (o.required && values[k] === undefined) {
      throw new UsageError(`missing required option --${k}${c.configFile ? ` (or "${k}:" in a --config file)` : ''}`);
    }
    const v = values[k];
    if (o.type === 'string' && !o.multiple && typeof v === 'string' && v === '') {
      throw new UsageError(`option --${k} must not be empty`);
    }
  }
  const pos = c.positionals ?? { min: 0, max: 0 };
  if (parsed.positionals.length < pos.min) throw new UsageError(`expected ${c.usage ?? 'an argument'}`);
  if (parsed.positionals.length > pos.max) {
    throw new UsageError(`unexpected argument: ${parsed.positionals[pos.max]}`);
  }
  return { values: values as Values<O>, positionals: parsed.positionals, ...(config ? { config } : {}) };
}

/** Which options came from a --config file (not overridden on the command line). */
export interface ConfigSource {
  readonly file: string;
  readonly keys: readonly string[];
}

/**
 * A command's checks name the flag (`--quorum must be …`); when that option came from the config
 * file, say so: `--quorum must be … (quorum: in log.yaml)`.
 */
export function withConfigSource(message: string, config: ConfigSource | undefined): string {
  if (config === undefined) return message;
  const m = /(?:^|[\s(])--([a-z0-9][a-z0-9-]*)/.exec(message);
  return m !== undefined && m !== null && config.keys.includes(m[1]!) ? `${message} (${m[1]}: in ${config.file})` : message;
}
