/**
 * Every exit status of the `cairn` command in one table, for docs/cli.md (a test checks the
 * document against {@link exitCodesMarkdown}, and `pnpm docs:cli` rewrites it).
 *
 * The numbers are not defined here: 0–3 come from command.ts, 10–27 from @cairn/client's
 * EXIT_CODES (one per verification cause), 30 and 37 from the monitor's alarms, 31–36 from
 * @cairn/client's EVENT_PROOF_EXIT_CODES (the links of an event proof with no cause of their own),
 * 38 from `cairn search --complete` (complete.ts). This module only says
 * what each means and which commands use it, so the same cause has the same status in every
 * command. {@link CAUSE_TEXT} must name every verification cause (its type requires it), so a
 * new cause cannot reach the CLI without a row here.
 */
import { EVENT_PROOF_EXIT_CODES, EXIT_CODES, type VerifyErrorCode } from '@cairn/client';
import { EXIT_SEQUENCE, EXIT_STALLED } from '@cairn/client/monitor';
import { EXIT_FAIL, EXIT_IO, EXIT_OK, EXIT_USAGE } from '../command.js';
import { EXIT_NOT_PROVEN } from './complete.js';

/** What each verification cause means, and the commands that exit with it. */
const CAUSE_TEXT: Readonly<Record<VerifyErrorCode, readonly [meaning: string, commands: string]>> = {
  'bad-input': ['the caller gave something unusable (no leaf to check, …)', 'verify'],
  malformed: ['a checkpoint or note is not valid signed-note / tlog-checkpoint syntax', 'verify, note verify, monitor'],
  'bad-bundle': ['the tlog-proof bundle does not parse', 'verify'],
  'bad-policy': ['the tlog-policy file is invalid (the message names the line)', 'verify'],
  'unknown-log': ['the policy has no log key for the checkpoint\'s origin', 'verify, monitor'],
  'bad-log-signature': ['no valid signature from the log key (the policy\'s, or `--vkey`)', 'verify, note verify, monitor'],
  'origin-mismatch': ['the checkpoint is for another origin than the one asked for', 'verify, monitor'],
  'bad-cosignature': ['a witness key\'s cosignature line does not verify', 'verify, note verify, monitor'],
  'quorum-not-met': ['too few witnesses cosigned (policy quorum, `--min`), or logged but not yet cosigned', 'verify, note verify, prove, monitor (lost-quorum)'],
  'cosignature-in-future': ['a cosignature timestamp is further ahead than `--max-future-skew`', 'verify, monitor'],
  'cosignature-in-milliseconds': ['a cosignature timestamp is ≥ 10^11: milliseconds, not seconds', 'verify, monitor'],
  'inclusion-failed': ['the inclusion proof does not lead from the entry to the root', 'verify'],
  'consistency-failed': ['a larger checkpoint is not proven to extend the one verified', 'monitor (fork)'],
  'stale-checkpoint': ['a checkpoint smaller than one already verified', 'monitor (rollback)'],
  rollback: ['a witness cosigned an older tree after a newer one', 'monitor (rollback)'],
  equivocation: ['two log-signed checkpoints of one size with different roots', 'monitor (fork)'],
  'entry-mismatch': ['the entry file differs from the logged entry (or the index is not the bundle\'s)', 'verify'],
  'bad-log-data': ['the log served malformed or inconsistent data (a proof that does not prove its entry, …), or reported its storage corrupt', 'verify, monitor (bad-data), submit --proofs'],
};

/** What each event-proof link of its own means (`cairn verify --event`); keys of EVENT_PROOF_EXIT_CODES ≥ 31. */
const EVENT_LINK_TEXT: Readonly<Record<string, string>> = {
  malformed: 'the event proof file does not parse (header, lines, base64, size)',
  'event-invalid': 'the event in the proof is not a valid OCSF event (the message names the JSON path)',
  'event-not-canonical': 'the event bytes are not their RFC 8785 canonical form',
  'leaf-malformed': 'the leaf record in the proof does not parse',
  'commitment-mismatch': 'SHA-256(salt ‖ event) is not the leaf\'s commitment: the event or salt was changed',
  'leaf-mismatch': 'the leaf\'s time or class is not the event\'s',
};

/** One row of the table: status, name, meaning, commands. */
export type ExitCodeRow = readonly [status: number, name: string, meaning: string, commands: string];

/** The whole table, ordered by status. */
export function exitCodeRows(): ExitCodeRow[] {
  const rows: ExitCodeRow[] = [
    [EXIT_OK, 'ok', 'success: everything asked for was done or verified', 'every command'],
    [EXIT_FAIL, 'failed', 'a check failed that has no more specific status (`evidence verify` not proven, a receipt broken in `receipts check`, an invalid line in `events submit`, a server refused the request), an input file larger than its limit, or an unexpected error', 'every command'],
    [EXIT_USAGE, 'usage', 'bad or missing options, an invalid key or configuration, a monitor state that does not verify under the policy', 'every command'],
    [EXIT_IO, 'io', 'a file could not be read or written, a port could not be bound, a data directory is locked, or a server could not be reached or is not a Cairn server; nothing was verified', 'every command that reads files, listens or connects'],
    ...(Object.entries(EXIT_CODES) as [VerifyErrorCode, number][]).map(([code, n]): ExitCodeRow => [n, code, ...CAUSE_TEXT[code]]),
    [EXIT_STALLED, 'stall', 'no new checkpoint for longer than `--stall-after`', 'monitor'],
    [EXIT_SEQUENCE, 'sequence', 'an event leaf in the log skips or repeats its source\'s seq, or is malformed (`sequence-gap`, `sequence-repeat`, `event-leaf-malformed`), or the monitor\'s state has no room for its source (`too-many-sources`)', 'monitor'],
    [EXIT_NOT_PROVEN, 'not-proven', 'every check of a completeness answer passed, but part of it within the query\'s bounds is only the server\'s word (a head below the query\'s upper seq bound, an empty answer\'s reason, an erased event\'s content); the summary lists it', 'search --complete'],
    ...Object.entries(EVENT_LINK_TEXT).map(([code, meaning]): ExitCodeRow => [EVENT_PROOF_EXIT_CODES[code]!, code, meaning, 'verify --event']),
  ];
  return rows.sort((a, b) => a[0] - b[0]);
}

/** The Markdown table docs/cli.md holds between its exit-codes markers. */
export function exitCodesMarkdown(): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    '| status | name | meaning | commands |',
    '|---|---|---|---|',
    ...exitCodeRows().map(([n, name, meaning, cmds]) => `| ${n} | \`${name}\` | ${esc(meaning)} | ${esc(cmds)} |`),
  ].join('\n');
}
