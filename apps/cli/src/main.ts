/**
 * `cairn` — the command line of Cairn. Run from the repository root as `pnpm cairn <command>`.
 * Every command has `--help`. See README.md for a tour.
 */
import { pathToFileURL } from 'node:url';
import {
  type Command, type Io, CommandFailure, EXIT_FAIL, EXIT_IO, EXIT_USAGE, UsageError, helpText, parseCommandArgs,
} from './command.js';
import { commands } from './registry.js';

export function topHelp(list: readonly Command[]): string {
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
    'Run `pnpm cairn <command> --help` for the options of a command.',
  ].join('\n');
}

/** Finds the command whose name is the longest prefix of argv; returns it with the rest of argv. */
export function resolve(list: readonly Command[], argv: string[]): { cmd?: Command; rest: string[]; prefix: string[] } {
  let best: Command | undefined;
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

export async function runCli(argv: string[], io: Io, list: readonly Command[] = commands): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.out(topHelp(list));
    return 0;
  }
  const { cmd, rest, prefix } = resolve(list, argv);
  if (!cmd) {
    // A command group (e.g. `cairn log`) lists its sub-commands.
    const group = list.filter((c) => prefix.length > 0 && c.name.startsWith(prefix.join(' ') + ' '));
    if (group.length > 0) {
      io.out(topHelp(group));
      return argv.includes('--help') || argv.includes('-h') ? 0 : EXIT_USAGE;
    }
    io.err(`cairn: unknown command '${argv.join(' ')}'. Run \`pnpm cairn --help\` for the list.`);
    return EXIT_USAGE;
  }
  try {
    const parsed = parseCommandArgs(cmd, rest);
    if (!parsed) {
      io.out(helpText(cmd));
      return 0;
    }
    return await cmd.run({ ...parsed, io });
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`cairn ${cmd.name}: ${e.message}\nRun \`pnpm cairn ${cmd.name} --help\` for usage.`);
      return EXIT_USAGE;
    }
    if (e instanceof CommandFailure) {
      io.err(`cairn ${cmd.name}: ${e.message}`);
      return e.exitCode;
    }
    const err = e as NodeJS.ErrnoException;
    if (err && typeof err.code === 'string' && /^E[A-Z]+$/.test(err.code)) {
      io.err(`cairn ${cmd.name}: ${err.message}`);
      return EXIT_IO;
    }
    io.err(`cairn ${cmd.name}: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT_FAIL;
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const io: Io = { out: (l) => process.stdout.write(l + '\n'), err: (l) => process.stderr.write(l + '\n') };
  runCli(process.argv.slice(2), io).then(
    (code) => { process.exitCode = code; },
    (e: unknown) => { process.stderr.write(`cairn: ${(e as Error).stack ?? String(e)}\n`); process.exitCode = EXIT_FAIL; },
  );
}
