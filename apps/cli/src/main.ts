/**
 * `cairn` — the command line of Cairn. Run from the repository root as `pnpm cairn <command>`
 * (the compiled CLI, `apps/cli/bin/cairn.js`), or from sources as `pnpm cairn:dev <command>`.
 * Every command has `--help`. See README.md for a tour.
 *
 * This module and the registry are all `cairn --help` loads: each command's module (and the
 * heavy modules it needs) is imported only when that command runs.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import {
  type CommandEntry, type Io, CommandFailure, EXIT_FAIL, EXIT_IO, EXIT_USAGE, UsageError, helpText, parseCommandArgs, withConfigSource, type ConfigSource,
} from './command.js';
import { commands } from './registry.js';

/**
 * The CLI's version: the `version` of its package.json, which sits one level above both this
 * source file (apps/cli/src/) and the compiled entry (apps/cli/dist/, or dist/ of the npm package).
 */
export function cliVersion(): string {
  const pkg: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const v = (pkg as { version?: unknown }).version;
  if (typeof v !== 'string' || v === '') throw new Error('the CLI\'s package.json has no version');
  return v;
}

export function topHelp(list: readonly CommandEntry[]): string {
  const width = Math.max(...list.map((c) => c.name.length));
  return [
    'Usage: pnpm cairn <command> [options]',
    '',
    'Cairn is a tamper-evident audit log: a log node appends events to a Merkle tree and signs',
    'checkpoints; witnesses cosign them; clients verify proofs offline.',
    '',
    'Commands:',
    ...list.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `pnpm cairn <command> --help` for the options of a command; `pnpm cairn --version` (-V) prints the version.',
  ].join('\n');
}

/** Finds the command whose name is the longest prefix of argv; returns it with the rest of argv. */
export function resolve(list: readonly CommandEntry[], argv: string[]): { cmd?: CommandEntry; rest: string[]; prefix: string[] } {
  let best: CommandEntry | undefined;
  let bestLen = 0;
  for (const c of list) {
    const words = c.name.split(' ');
    if (words.length > bestLen && words.every((w, i) => argv[i] === w)) {
      best = c;
      bestLen = words.length;
    }
  }
  const prefix: string[] = [];
  if (!best) for (const a of argv) { if (a.startsWith('-')) break; prefix.push(a); }
  return { ...(best ? { cmd: best } : {}), rest: argv.slice(bestLen), prefix };
}

export async function runCli(argv: string[], io: Io, list: readonly CommandEntry[] = commands): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.out(topHelp(list));
    return 0;
  }
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    io.out(`cairn ${cliVersion()}`);
    return 0;
  }
  const { cmd: entry, rest, prefix } = resolve(list, argv);
  if (!entry) {
    // A command group (e.g. `cairn log`) lists its sub-commands.
    const group = list.filter((c) => prefix.length > 0 && c.name.startsWith(prefix.join(' ') + ' '));
    if (group.length > 0) {
      io.out(topHelp(group));
      return argv.includes('--help') || argv.includes('-h') ? 0 : EXIT_USAGE;
    }
    io.err(`cairn: unknown command '${argv.join(' ')}'. Run \`pnpm cairn --help\` for the list.`);
    return EXIT_USAGE;
  }
  let logFormat: unknown; // the --log-format value of a command that has one, once parsed
  let config: ConfigSource | undefined; // the options that came from a --config file
  try {
    const cmd = await entry.load();
    const parsed = await parseCommandArgs(cmd, rest);
    if (!parsed) {
      io.out(helpText(cmd));
      return 0;
    }
    config = parsed.config;
    if ('log-format' in cmd.options) logFormat = (parsed.values as Record<string, unknown>)['log-format'] ?? null;
    return await cmd.run({ ...parsed, io });
  } catch (e) {
    const fail = async (message: string, code: number): Promise<number> => {
      io.err(logFormat === undefined ? message : await failureLine(message, code, logFormat));
      return code;
    };
    if (e instanceof UsageError) {
      return fail(`cairn ${entry.name}: ${withConfigSource(e.message, config)}\nRun \`pnpm cairn ${entry.name} --help\` for usage.`, EXIT_USAGE);
    }
    if (e instanceof CommandFailure) return fail(`cairn ${entry.name}: ${e.message}`, e.exitCode);
    const err = e as NodeJS.ErrnoException;
    if (err && typeof err.code === 'string' && /^E[A-Z]+$/.test(err.code)) return fail(`cairn ${entry.name}: ${err.message}`, EXIT_IO);
    return fail(`cairn ${entry.name}: ${err instanceof Error ? err.message : String(err)}`, EXIT_FAIL);
  }
}

/**
 * A command with --log-format that fails reports it in that format: in json mode as one error
 * record, so its standard error holds JSON only (loaded here, on failure, to keep main light).
 */
async function failureLine(message: string, code: number, flag: unknown): Promise<string> {
  const { failureRecord, parseLogFormat } = await import('./lib/log-output.js');
  try {
    return parseLogFormat(typeof flag === 'string' ? flag : undefined) === 'json' ? failureRecord(message, code) : message;
  } catch {
    return message; // an invalid --log-format value: its usage error in plain text
  }
}

/** Runs the CLI on this process's arguments and sets its exit code. */
export function runMain(argv: string[] = process.argv.slice(2)): void {
  const io: Io = { out: (l) => process.stdout.write(l + '\n'), err: (l) => process.stderr.write(l + '\n') };
  runCli(argv, io).then(
    (code) => { process.exitCode = code; },
    (e: unknown) => { process.stderr.write(`cairn: ${(e as Error).stack ?? String(e)}\n`); process.exitCode = EXIT_FAIL; },
  );
}

// Run directly (`node --import tsx apps/cli/src/main.ts`, `node apps/cli/dist/cairn.js`); the
// installed command `bin/cairn.js` imports the compiled module and calls runMain itself.
const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) runMain();
