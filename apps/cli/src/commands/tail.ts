/**
 * `cairn tail`: the live tail of a log's events (tRPC subscription `events.tail` over server-sent
 * events, docs/design/search.md), checked as it arrives: each event must open its leaf's
 * commitment and match the query when it comes, and its event proof, when the cosigned
 * checkpoint covers it, must verify under the policy and be for the same event. The first failure
 * stops the command with a non-zero exit naming the index.
 */
import { commitEvent, parseLeaf } from '@cairn/events';
import { bytesEqual } from '@cairn/merkle';
import { decodeBase64Strict, utf8Encode } from '@cairn/formats';
import { extractFields, matches } from '@cairn/index/query';
import { CommandFailure, EXIT_FAIL, UsageError, defineCommand } from '../command.js';
import { HitVerifier, TABLE_HEADER, tableRow } from '../lib/event-hits.js';
import { caOption, parseIndexOption, parseIntOption } from '../lib/options.js';
import { connectReader, readerOptions } from '../lib/reader.js';
import { describeRemoteError } from '../lib/trpc-errors.js';
import { parseQueryOption, policyOption } from './search.js';

type TailData =
  | { kind: 'event'; index: string; source: string; seq: string; event: string; salt: string; leaf: string }
  | { kind: 'proof'; index: string; treeSize: string; proof: string };

export const tail = defineCommand({
  name: 'tail',
  summary: 'Follow a log\'s new events matching a query, each checked as it arrives and proven once cosigned',
  usage: 'QUERY',
  positionals: { min: 1, max: 1 },
  details: `
QUERY is the language of \`cairn search\`. Each new matching event is printed as soon as the log
has signed a checkpoint covering it, after checking that it opens its leaf's commitment and
matches the query; its event proof follows once the log's served (cosigned) checkpoint covers it
and is verified under --policy (and must be for the same event). The first check that fails stops
the command, naming the index, with the exit code of \`cairn verify --event\` for a failed proof.
--no-verify skips the proofs (and says so). Starts with the log's next event, or at --from INDEX,
or at --cursor C (the "cursor" of a --json line: resumes with no gap and no duplicate). A dropped
connection is resumed the same way. Stops after --count events (each with its proof unless
--no-verify), or on Ctrl-C.

Prints the table rows of \`cairn search\`, or with --json one object per message:
{"kind":"event","index","source","seq","time","classUid","event","cursor"} and
{"kind":"proof","index","treeSize","verified":true,"cursor"}. Needs a reader or admin token.`,
  options: {
    url: readerOptions.url,
    token: readerOptions.token,
    policy: { type: 'string', value: 'FILE', description: 'tlog-policy file the proofs are verified under (required unless --no-verify)' },
    from: { type: 'string', value: 'INDEX', description: 'start at this log index (default: the next event)' },
    cursor: { type: 'string', value: 'C', description: 'resume from a cursor printed with --json' },
    count: { type: 'string', value: 'N', description: 'stop after N matching events (and their proofs)' },
    json: { type: 'boolean', description: 'print one JSON object per message' },
    'no-verify': { type: 'boolean', description: 'do not verify the proofs' },
    ...caOption,
  },
  async run({ values, positionals, io }) {
    const { url, client } = await connectReader(values);
    if (values.from !== undefined && values.cursor !== undefined) throw new UsageError('give --from INDEX or --cursor C, not both');
    const from = values.from === undefined ? undefined : parseIndexOption('--from', values.from);
    if (values.cursor !== undefined && !/^(0|[1-9][0-9]{0,18}):(0|[1-9][0-9]{0,18})$/.test(values.cursor)) {
      throw new UsageError(`--cursor must be a cursor E:P printed by cairn tail --json, got "${values.cursor}"`);
    }
    const count = values.count === undefined ? undefined : parseIntOption('--count', values.count, 1, 1_000_000_000);
    const { text, query } = parseQueryOption(positionals[0]!, undefined, Date.now());
    const policy = await policyOption(values.policy, values['no-verify']);
    const verifier = new HitVerifier(policy, query);
    if (policy === undefined) io.err('--no-verify: the proofs of the events below are NOT verified');

    const owed = new Map<string, Uint8Array>(); // index → the event delivered, until its proof came
    // The cursor printed must resume after what THIS run printed: past --count the stream goes on
    // delivering events that are not printed, so a proof's cursor is held back to the position
    // after the last printed event (`lastE`); those events come again on resume, none is lost.
    let lastE: bigint | undefined = values.cursor === undefined ? undefined : BigInt(values.cursor.split(':')[0]!);
    const printedCursor = (id: string): string => {
      const [e, p] = id.split(':').map((x) => BigInt(x)) as [bigint, bigint];
      const ee = lastE !== undefined && lastE < e ? lastE : e;
      return `${ee}:${p < ee ? p : ee}`;
    };
    let events = 0;
    let header = false;
    return await new Promise<number>((resolve, reject) => {
      let sub: { unsubscribe(): void } | undefined;
      const stop = (f: () => void) => {
        sub?.unsubscribe();
        process.off('SIGINT', onSigint);
        f();
      };
      const onSigint = () => stop(() => resolve(0));
      process.once('SIGINT', onSigint);
      const done = () => count !== undefined && events >= count && (policy === undefined || owed.size === 0);
      const onMessage = (id: string, d: TailData) => {
        if (d.kind === 'event') {
          const event = utf8Encode(d.event);
          let leaf;
          try {
            leaf = parseLeaf(decodeBase64Strict(d.leaf));
            if (!bytesEqual(commitEvent(decodeBase64Strict(d.salt), event), leaf.commitment)) throw new Error('commitment');
          } catch {
            throw new CommandFailure(`event ${d.index}: it does not open its leaf's commitment`, EXIT_FAIL);
          }
          const f = extractFields({ index: BigInt(d.index), source: leaf.source, seq: leaf.seq, leaf: decodeBase64Strict(d.leaf), body: { canonical: event, salt: decodeBase64Strict(d.salt) } });
          if (f === undefined || !matches(query, f)) throw new CommandFailure(`event ${d.index}: it does not match the query`, EXIT_FAIL);
          if (count !== undefined && events >= count) return; // past --count: only proofs owed are awaited
          events++;
          lastE = BigInt(id.split(':')[0]!);
          if (policy !== undefined) owed.set(d.index, event);
          const obj = JSON.parse(d.event) as Record<string, unknown>;
          if (values.json) {
            io.out(JSON.stringify({ kind: 'event', index: d.index, source: f.source, seq: f.seq.toString(), time: f.time, classUid: f.class_uid, event: obj, cursor: id }));
          } else {
            if (!header) io.out(TABLE_HEADER);
            header = true;
            io.out(tableRow(f, obj));
          }
        } else {
          if (policy === undefined) return;
          const delivered = owed.get(d.index);
          if (delivered === undefined) return; // an event past --count, or before this run (resumed by cursor)
          const h = verifier.check({ index: d.index, proof: d.proof });
          if (JSON.stringify(h.event) !== JSON.stringify(JSON.parse(new TextDecoder().decode(delivered)))) {
            throw new CommandFailure(`event ${d.index}: its proof is for another event than the one delivered`, EXIT_FAIL);
          }
          owed.delete(d.index);
          if (values.json) io.out(JSON.stringify({ kind: 'proof', index: d.index, treeSize: d.treeSize, verified: true, cursor: printedCursor(id) }));
          else io.err(`event ${d.index}: proven in the tree of size ${d.treeSize}`);
        }
      };
      sub = client.events.tail.subscribe(
        { query: text, ...(from !== undefined ? { from: from.toString() } : {}), ...(values.cursor !== undefined ? { cursor: values.cursor } : {}) },
        {
          onData: ({ id, data }: { id: string; data: TailData }) => {
            try {
              onMessage(id, data);
              if (done()) stop(() => resolve(0));
            } catch (e) {
              stop(() => reject(e));
            }
          },
          onError: (e: unknown) => {
            void describeRemoteError('tail', url, e).then((f) => stop(() => reject(f)));
          },
          onComplete: () => stop(() => resolve(0)),
        },
      );
    });
  },
});
