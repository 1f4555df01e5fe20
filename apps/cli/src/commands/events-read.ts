/**
 * `cairn events get | prove | sources`: what a reader (or admin) token reads from a log's event
 * store — one event with its salt and leaf (or the record of its erasure), one event proof for
 * offline verification (`cairn verify --event`), and every source's sequence state.
 */
import { writeFile } from 'node:fs/promises';
import { SERVER_CODE_BEYOND_TREE } from '@cairn/client';
import { EventsError, verifyEventProof } from '@cairn/events';
import { FormatError, parseCheckpointNote, utf8Encode } from '@cairn/formats';
import { CommandFailure, EXIT_IO, defineCommand } from '../command.js';
import { parseIndexOption } from '../lib/options.js';
import { connectReader, readerOptions } from '../lib/reader.js';
import { EXIT_NOT_YET_COSIGNED, describeRemoteError, remote, remoteErrorInfo } from '../lib/trpc-errors.js';

const common = readerOptions;
const connect = connectReader;

export const eventsGet = defineCommand({
  name: 'events get',
  summary: 'Fetch one event by index: its canonical JSON (or, once erased, the record of its erasure)',
  details: `
Prints the event's canonical JSON (RFC 8785, the bytes its leaf commits to) on standard output.
An erased event prints "erased: event I by the record at index R (…)" instead: its body and salt
are gone, its leaf stays in the log and still proves (cairn prove --index I). --json prints the
whole answer: {"index","source","seq","leaf","deadline","event","salt","erased"}. Needs a reader
or admin token.`,
  options: {
    ...common,
    index: { type: 'string', required: true, value: 'I', description: 'the event\'s index in the log' },
    json: { type: 'boolean', description: 'print the whole answer as JSON' },
  },
  async run({ values, io }) {
    const { url, client } = await connect(values);
    const index = parseIndexOption('--index', values.index!);
    const e = await remote('events get', url, () => client.events.get.query({ index: index.toString() }));
    if (values.json) {
      io.out(JSON.stringify(e));
    } else if (e.erased !== undefined) {
      // Why and by whom come from the erasure record: gone once that record was erased too.
      const why = e.erased.by === undefined && e.erased.reason === undefined
        ? ' (the erasure record was erased too)'
        : `, by ${e.erased.by ?? '?'}: ${e.erased.reason ?? '?'}`;
      io.out(`erased: event ${e.index} (source ${e.source}, seq ${e.seq}) by the record at index ${e.erased.record}, ` +
        `${new Date(e.erased.time).toISOString()}${why}`);
    } else {
      io.out(e.event ?? '');
    }
    return 0;
  },
});

export const eventsProve = defineCommand({
  name: 'events prove',
  summary: 'Write an event proof (event, salt, leaf and tlog-proof bundle) for offline verification',
  details: `
Fetches the event proof (cairn.dev/event-proof/v1) of the event at --index against the log's
served checkpoint (cosigned when the log has witnesses) and checks, before writing, that it
parses, that the event opens the leaf's commitment and that the inclusion proof leads to the
checkpoint's root. That does not establish trust in the log: verify the file under a policy with
\`cairn verify --policy P --event FILE\`. The file holds the event itself: keep it as private as
the event. An erased event has no event proof (its leaf's tlog-proof bundle still verifies:
\`cairn prove\`); an event not yet covered by the cosigned checkpoint fails with "logged but not
yet cosigned". Needs a reader or admin token.`,
  options: {
    ...common,
    index: { type: 'string', required: true, value: 'I', description: 'the event\'s index in the log' },
    out: { type: 'string', value: 'FILE', description: 'where to write the .event-proof file (default: standard output)' },
    json: { type: 'boolean', description: 'print {"index","treeSize","proof"} instead of the file' },
  },
  async run({ values, io }) {
    const { url, client } = await connect(values);
    const index = parseIndexOption('--index', values.index!);
    let res;
    try {
      res = await client.events.prove.query({ index: index.toString() });
    } catch (e) {
      if (remoteErrorInfo(e)?.cairnCode === SERVER_CODE_BEYOND_TREE) {
        throw new CommandFailure(`events prove: event ${index} is not covered by the log's served (cosigned) checkpoint yet, or not logged: ${(e as Error).message} (${url})`, EXIT_NOT_YET_COSIGNED);
      }
      throw await describeRemoteError('events prove', url, e);
    }
    try {
      // Structure only (commitment, leaf, inclusion against the checkpoint's own root): trust is `cairn verify`'s job.
      verifyEventProof(utf8Encode(res.proof), { verifyCheckpoint: (note) => parseCheckpointNote(note).checkpoint });
    } catch (e) {
      if (e instanceof EventsError || e instanceof FormatError) throw new CommandFailure(`the log returned an event proof that does not check out: ${e.message}`);
      throw e;
    }
    if (values.json) {
      io.out(JSON.stringify(res));
    } else if (values.out !== undefined) {
      try {
        await writeFile(values.out, res.proof, { mode: 0o600 });
      } catch (e) {
        throw new CommandFailure(`cannot write ${values.out}: ${(e as Error).message}`, EXIT_IO);
      }
      io.err(`wrote the event proof of event ${res.index} in the tree of size ${res.treeSize} to ${values.out}`);
    } else {
      process.stdout.write(res.proof);
    }
    return 0;
  },
});

export const eventsSources = defineCommand({
  name: 'events sources',
  summary: 'List the sources that sent events: next sequence number and last index of each',
  details: `
One line per source: "SOURCE next-seq N last-index I". The next sequence number is what
\`cairn events submit --source-seq\` starts from to append to a source. --json prints the list
as JSON. Needs a reader or admin token.`,
  options: {
    ...common,
    json: { type: 'boolean', description: 'print the list as JSON' },
  },
  async run({ values, io }) {
    const { url, client } = await connect(values);
    const list = await remote('events sources', url, () => client.events.sources.query());
    if (values.json) io.out(JSON.stringify(list));
    else for (const s of list) io.out(`${s.source} next-seq ${s.nextSeq} last-index ${s.lastIndex ?? '-'}`);
    return 0;
  },
});

export const eventsErase = defineCommand({
  name: 'events erase',
  summary: 'Erase events\' bodies (GDPR erasure): leaves and proofs stay valid, the erasure is logged',
  usage: 'INDEX...',
  positionals: { min: 1, max: 1000 },
  details: `
Deletes the event and salt of each INDEX from the log's event store. Their leaves stay, so every
checkpoint, tile and proof stays valid, but nobody can open the commitments any more. The log
records the erasure as an Event Log Activity event (source "cairn") naming the indices, --reason
and the admin token's name, and prints its index. The reason is kept only in that record (which
can itself be erased), never beside the erased events: give a ticket reference ("DSR-2026-114"),
not personal data. Erasing an erased event is not an error (it is listed as already erased).
Needs an admin token. --json prints {"erased","alreadyErased","record"}.`,
  options: {
    ...common,
    token: { type: 'string', value: 'TOKEN', description: 'admin token (or set CAIRN_TOKEN)' },
    reason: { type: 'string', required: true, value: 'TEXT', description: 'why: a ticket reference, not personal data (kept in the erasure record; 1–1024 characters)' },
    json: { type: 'boolean', description: 'print the answer as JSON' },
  },
  async run({ values, positionals, io }) {
    const { url, client } = await connect(values);
    const indices = positionals.map((p) => parseIndexOption('INDEX', p).toString());
    const r = await remote('events erase', url, () => client.events.erase.mutate({ indices, reason: values.reason! }));
    if (values.json) {
      io.out(JSON.stringify(r));
      return 0;
    }
    if (r.erased.length > 0) io.out(`erased ${r.erased.join(' ')}; recorded at index ${r.record}`);
    if (r.alreadyErased.length > 0) io.out(`already erased ${r.alreadyErased.join(' ')}`);
    return 0;
  },
});
