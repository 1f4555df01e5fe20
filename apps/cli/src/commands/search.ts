/**
 * `cairn search`: a query over a log's event index (tRPC `events.search`), every hit checked
 * here without trusting the server or its index (docs/design/search.md): the event proof of each
 * hit is verified under the trust policy, and the query is run again on the verified event. A
 * hit that fails either check stops the command with a non-zero exit naming the hit.
 */
import { loadPolicy, type Policy } from '@cairn/client';
import { MAX_POLICY_SIZE } from '@cairn/formats';
import { formatQueryError, parseQuery, provableRange, QueryError, type ProvableRange, type Query } from '@cairn/index/query';
import { CommandFailure, EXIT_FAIL, UsageError, defineCommand } from '../command.js';
import { CompletenessChecker, EXIT_NOT_PROVEN, type CompletePage } from '../lib/complete.js';
import { HitVerifier, TABLE_HEADER, tableRow, type CheckedHit } from '../lib/event-hits.js';
import { readBounded } from '../lib/files.js';
import { caOption, parseIntOption } from '../lib/options.js';
import { connectReader, readerOptions } from '../lib/reader.js';
import { remote } from '../lib/trpc-errors.js';

/** Hits `cairn search` prints unless --limit says otherwise. */
export const DEFAULT_SEARCH_LIMIT = 100;
/** The most --limit allows. */
export const MAX_SEARCH_LIMIT = 100_000;
/** Hits asked per `events.search` call (the procedure's maximum). */
const PAGE = 100;

/** `--since 7d`: a count and a unit of the query language's `now-…` (s m h d w). */
export function parseSince(value: string): string {
  if (!/^[1-9][0-9]{0,6}[smhdw]$/.test(value)) throw new UsageError(`--since must be a count and a unit s, m, h, d or w (for example 7d), got "${value}"`);
  return value;
}

/** Parses the query (and --since) as the server will; a bad one is a usage error pointing at the column. */
export function parseQueryOption(text: string, since: string | undefined, now: number): { text: string; query: Query } {
  try {
    parseQuery(text, { now });
  } catch (e) {
    if (e instanceof QueryError) throw new UsageError(`QUERY: ${formatQueryError(text, e)}`);
    throw e;
  }
  const full = since === undefined ? text : `(${text}) time>=now-${since}`;
  try {
    return { text: full, query: parseQuery(full, { now }) };
  } catch (e) {
    if (e instanceof QueryError) throw new UsageError(`QUERY with --since: ${formatQueryError(full, e)}`);
    throw e;
  }
}

/** The policy of --policy, or undefined with --no-verify (exactly one of the two). */
export async function policyOption(policy: string | undefined, noVerify: boolean | undefined): Promise<Policy | undefined> {
  if (noVerify === true) {
    if (policy !== undefined) throw new UsageError('give --policy FILE or --no-verify, not both');
    return undefined;
  }
  if (policy === undefined) throw new UsageError('--policy FILE is required to verify the hits (or --no-verify to show them unverified)');
  try {
    return loadPolicy(await readBounded(policy, MAX_POLICY_SIZE), policy);
  } catch (e) {
    throw new UsageError(`--policy: ${(e as Error).message}`);
  }
}

/**
 * The range to prove complete, or undefined: asked for whenever the query allows it and the hits
 * are verified; `--complete` makes it required (a usage error naming what the query lacks).
 */
export function completenessOption(query: Query, required: boolean, verifying: boolean): ProvableRange | undefined {
  const r = provableRange(query);
  if (required) {
    if (!verifying) throw new UsageError('--complete needs --policy: a completeness proof is only worth what its verification is');
    if (!r.ok) throw new UsageError(`--complete: ${r.reason}`);
  }
  return r.ok && verifying ? r.range : undefined;
}

export const search = defineCommand({
  name: 'search',
  summary: 'Search a log\'s events with a query; every hit verified under a policy (event proof + the query re-run on the event), and the answer proven complete for one source\'s seq or time range',
  usage: 'QUERY',
  positionals: { min: 1, max: 1 },
  details: `
QUERY is docs/design/search.md's language: field filters (actor:alice class:api_activity
status:failure resource.namespace:payments), ranges (time>=2026-11-01, time>=now-1h, seq>=100), AND, OR,
NOT, parentheses, quoted full text ("ssh logon"), word prefixes (alic*), and * for every event.
--since 7d adds time>=now-7d. Hits come newest first, --limit of them (default ${DEFAULT_SEARCH_LIMIT}).

The log's index is untrusted: each hit's event proof (event, salt, leaf, inclusion in the log's
cosigned checkpoint) is verified under --policy, the proof must be for the hit's index, and the
query is run again on the verified event. The first hit that fails stops the command, naming the
hit, with the exit code of \`cairn verify --event\` for a failed proof (1 for a hit that does not
match). --no-verify shows hits without checking their proofs (and says so on standard error).

Completeness: when the query names one source and a range of its sequence numbers or times at
its top level (source:bastion seq>=100 seq<200, or source:bastion time>=2026-11-01 time<2026-11-02,
with any further filters), the log is asked for every leaf of that source in the range, and each
is checked: its inclusion proof under --policy, its source and seq, every seq exactly once (no
gap, no repeat), the query on every event (a leaf shown alone must rule the match out by its own
fields), every proof of a page against the checkpoint the page names (the tree size said is that
verified checkpoint's), an erased leaf named by its erasure record (fetched once per record, its
proof verified under --policy), and for a time range each neighbouring leaf's time outside the
range on its own side. So no matching event of the source in the range was left out.
--complete makes this required. The first failure stops the command, naming the seq and index
(exit 1 for a gap, repeat, misplaced leaf or unproven erasure; the \`cairn verify --event\` code
for a failed proof). Otherwise, what was proven is printed on standard error, or with --json as
a last line {"complete":{...}} with "proven", "provenToBounds" and the list "unproven": what
stays the server's word (the head: the source's last seq in the checkpoint; an empty answer's
reason; the content of erased events). Events out of time order beyond the neighbours are not
covered. With --complete, the exit is ${EXIT_NOT_PROVEN} when anything within the query's bounds is
only the server's word (a head below the query's upper seq bound, an empty answer's reason, an
erased event whose leaf does not rule it out); with no upper seq bound the answer is complete up
to the head, which is said, and the exit is 0. --limit stops the walk at that many hits; the
seqs not reached are listed as not checked, and with --complete the exit is then ${EXIT_NOT_PROVEN}.
For any other query, what cannot be proven: that no matching event was left out.

Exit: 0 done; 1 a check failed; 2 usage; 3 the server could not be reached; ${EXIT_NOT_PROVEN} (--complete)
not proven within the query's bounds; a failed proof exits with its \`cairn verify\` code.

Prints a table (index, time, source, class, activity, status, actor, summary), or with --json
one JSON object per hit: {"index","source","seq","time","classUid","event","verified"}. Needs a
reader or admin token.`,
  options: {
    url: readerOptions.url,
    token: readerOptions.token,
    policy: { type: 'string', value: 'FILE', description: 'tlog-policy file the hits are verified under (required unless --no-verify)' },
    limit: { type: 'string', value: 'N', description: `most hits to print (1–${MAX_SEARCH_LIMIT}, default ${DEFAULT_SEARCH_LIMIT})` },
    since: { type: 'string', value: 'AGE', description: 'only events of the last AGE: a count and s, m, h, d or w (e.g. 7d)' },
    json: { type: 'boolean', description: 'print one JSON object per hit' },
    'no-verify': { type: 'boolean', description: 'do not verify the hits\' proofs (they are shown as unverified)' },
    complete: { type: 'boolean', description: 'require a completeness proof (a usage error unless the query names one source and a seq or time range)' },
    ...caOption,
  },
  async run({ values, positionals, io }) {
    const { url, client } = await connectReader(values);
    const limit = values.limit === undefined ? DEFAULT_SEARCH_LIMIT : parseIntOption('--limit', values.limit, 1, MAX_SEARCH_LIMIT);
    const since = values.since === undefined ? undefined : parseSince(values.since);
    // Parsed here with this clock, which is sent along: the server reads `now-7d` as this side does.
    const now = Date.now();
    const { text, query } = parseQueryOption(positionals[0]!, since, now);
    const policy = await policyOption(values.policy, values['no-verify']);
    const verifier = new HitVerifier(policy, query);
    if (policy === undefined) io.err('--no-verify: the hits below are NOT verified; the server and its index are taken on trust');

    const range = completenessOption(query, values.complete === true, policy !== undefined);

    let shown = 0;
    let header = false;
    const print = (h: CheckedHit): void => {
      if (values.json) {
        io.out(JSON.stringify({
          index: h.index.toString(), source: h.fields.source, seq: h.fields.seq.toString(), time: h.fields.time,
          classUid: h.fields.class_uid, event: h.event, verified: policy !== undefined,
        }));
      } else {
        if (!header) io.out(TABLE_HEADER);
        header = true;
        io.out(tableRow(h.fields, h.event));
      }
      shown++;
    };

    if (range !== undefined) {
      // Every leaf of the source's range, page after page, until the range is covered or --limit hits are shown.
      const proveRecord = async (index: string): Promise<string> => (await remote('events.prove', url, () => client.events.prove.query({ index }))).proof;
      const checker = new CompletenessChecker(verifier, query, range, proveRecord);
      while (!checker.done && shown < limit) {
        const before = checker.before;
        const page = await remote('search', url, () =>
          client.events.search.query({ query: text, now, limit: Math.min(PAGE, limit - shown), complete: true, ...(before === undefined ? {} : { before }) }));
        for (const h of await checker.page(page as CompletePage)) print(h);
      }
      const summary = checker.summary();
      if (values.json) io.out(JSON.stringify({ complete: summary }));
      else {
        io.err(`${shown} hit${shown === 1 ? '' : 's'}, each verified under the policy`);
        for (const line of summary.statement) io.err(`complete: ${line}`);
      }
      return values.complete === true && !summary.provenToBounds ? EXIT_NOT_PROVEN : 0;
    }

    let before: string | undefined;
    let last: bigint | undefined; // hits come newest first: each index below the one before
    while (shown < limit) {
      const page = await remote('search', url, () =>
        client.events.search.query({ query: text, now, limit: Math.min(PAGE, limit - shown), ...(before === undefined ? {} : { before }) }));
      for (const hit of page.hits) {
        const h = verifier.check(hit);
        if (last !== undefined && h.index >= last) throw new CommandFailure(`hit ${h.index}: not below the hit before it (${last}): the server repeats or reorders hits`, EXIT_FAIL);
        last = h.index;
        print(h);
        if (shown >= limit) break;
      }
      if (page.next === null) break;
      before = page.next;
    }
    if (!values.json) io.err(`${shown} hit${shown === 1 ? '' : 's'}${policy === undefined ? ' (not verified)' : ', each verified under the policy'}`);
    return 0;
  },
});
