/**
 * `cairn events submit`: sends OCSF events (JSON lines) to a log's `events.submit`, in batches,
 * and prints each event's index in input order.
 *
 * Every line is validated here first (`parseEvent` of @cairn/events, the log's own parser), so a
 * batch that holds an invalid line is never sent: the run stops there and names each invalid
 * line of that batch by line number and JSON path (never its values). With `--source-seq N` the
 * events are numbered N, N+1, … in input order (blank lines skipped) and sent with those source
 * sequence numbers: the log answers a number it already holds with the stored result, so
 * rerunning the same input with the same N after a failure sends nothing twice — the events the
 * log had taken come back as resends with their first index.
 */
import { createInterface } from 'node:readline';
import { createReadStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { describeEventError, MAX_SUBMIT_EVENTS } from '@cairn/api';
import { createLogClient } from '@cairn/client';
import { MAX_EVENT_SIZE, parseEvent } from '@cairn/events';
import { utf8Encode } from '@cairn/formats';
import { CommandFailure, EXIT_IO, UsageError, defineCommand } from '../command.js';
import { fsyncDir } from '../lib/files.js';
import { caOption, parseIndexOption, parseIntOption, parseUrlOption } from '../lib/options.js';
import { trustCa } from '../lib/tls.js';
import { describeRemoteError, remoteErrorInfo } from '../lib/trpc-errors.js';

/** Most retries of one batch after 429/503. */
const MAX_RETRIES = 8;
/** Invalid lines listed in one failure message. */
const MAX_LISTED = 20;
const WAIT_MODES = ['none', 'checkpoint', 'cosigned'] as const;
/** How long a partial batch waits for more lines (a pipe held open). */
const DEFAULT_LINGER_MS = 200;
const MAX_LINGER_MS = 60_000;
type WaitMode = (typeof WAIT_MODES)[number];

interface Line {
  readonly line: number;
  readonly text: string;
  readonly seq: bigint | undefined;
}

export const eventsSubmit = defineCommand({
  name: 'events submit',
  summary: 'Submit OCSF audit events (JSON lines) to a log; prints each event\'s index, one per line, in input order',
  usage: 'FILE|-',
  positionals: { min: 1, max: 1 },
  details: `
Reads FILE (or standard input for -): one OCSF event per line, as JSON (blank lines are
skipped). Each line is validated before anything is sent, with the log's own rules (strict JSON,
OCSF 1.x classes, canonical numbers, size caps). Lines go out in batches, in order: a batch is
sent when it has --batch lines, when --linger milliseconds pass without it filling (so lines from
a pipe held open, \`tail -f\`, are sent promptly), and at the end. A batch that holds an invalid
line is not sent at all: the run stops and names each invalid line of that batch by line number
and JSON path, e.g. "line 7: $.src_endpoint.ip: not an IPv4 or IPv6 address (bad-ip)"; batches
before it were logged and their indices printed.

--source-seq N numbers the events N, N+1, … in input order and sends those numbers: the log
keeps each source's numbers contiguous and answers a number it already holds (with the same
event) with the stored index and receipt. So after any failure, rerun the same input with the
same --source-seq: what the log had taken is not logged again, the rest is. N is the source's
next number the first time (see \`cairn events sources\`); the log refuses a gap or a reuse with
a different event (HTTP 409, naming the number it expects).

Every index printed is durable on the log; with --wait checkpoint or cosigned, also covered by a
signed (cosigned) checkpoint. --receipts DIR writes each event's signed receipt (the log's
promise to include it in a cosigned checkpoint by a deadline) as DIR/<index>.receipt, for
\`cairn receipts check\`. The token (a writer token of the source) can also come from CAIRN_TOKEN.
--json prints one JSON object per event: {"index","line","seq","duplicate","moved"} (moved: the
attributes the log moved into "unmapped"). Exit 0 when every line was logged, 1 when a line is
invalid or the log refused a batch, 2 for usage errors, 3 when the log could not be reached.`,
  options: {
    url: { type: 'string', required: true, value: 'URL', description: 'the log\'s URL, e.g. http://127.0.0.1:8080' },
    token: { type: 'string', value: 'TOKEN', description: 'writer token (or set CAIRN_TOKEN)' },
    'source-seq': { type: 'string', value: 'N', description: 'number the events from N (makes a rerun after a failure dedupe instead of duplicate)' },
    batch: { type: 'string', value: 'N', description: `events per request (1–${MAX_SUBMIT_EVENTS}, default 100)` },
    linger: { type: 'string', value: 'MS', description: `send a partial batch after MS milliseconds without a full one (0–${MAX_LINGER_MS}, default ${DEFAULT_LINGER_MS})` },
    wait: { type: 'string', value: 'none|checkpoint|cosigned', description: 'answer once durable (none, default), signed (checkpoint) or cosigned (cosigned)' },
    receipts: { type: 'string', value: 'DIR', description: 'write each event\'s signed receipt to DIR/<index>.receipt' },
    json: { type: 'boolean', description: 'print one JSON object per event instead of bare indices' },
    ...caOption,
  },
  async run({ values, positionals, io }) {
    await trustCa(values.ca);
    const url = parseUrlOption('--url', values.url!);
    const token = values.token ?? process.env['CAIRN_TOKEN'];
    if (!token) throw new UsageError('a token is required: --token TOKEN or CAIRN_TOKEN');
    const batchSize = values.batch === undefined ? 100 : parseIntOption('--batch', values.batch, 1, MAX_SUBMIT_EVENTS);
    const lingerMs = values.linger === undefined ? DEFAULT_LINGER_MS : parseIntOption('--linger', values.linger, 0, MAX_LINGER_MS);
    const wait = (values.wait ?? 'none') as WaitMode;
    if (!WAIT_MODES.includes(wait)) throw new UsageError(`--wait must be ${WAIT_MODES.join(', ')}; got "${values.wait}"`);
    let nextSeq = values['source-seq'] === undefined ? undefined : parseIndexOption('--source-seq', values['source-seq']);
    const receiptsDir = values.receipts;
    if (receiptsDir !== undefined) {
      try {
        await mkdir(receiptsDir, { recursive: true });
      } catch (e) {
        throw new CommandFailure(`cannot create ${receiptsDir}: ${(e as Error).message}`, EXIT_IO);
      }
    }
    const file = positionals[0]!;
    const client = createLogClient(url, { token });
    const resumeHint = values['source-seq'] === undefined ? '' : `; rerun with the same input and --source-seq ${values['source-seq']} to send the rest without duplicates`;

    const send = async (batch: readonly Line[]): Promise<void> => {
      const input = {
        events: batch.map((l) => l.text),
        wait,
        ...(batch[0]!.seq !== undefined ? { seqs: batch.map((l) => l.seq!.toString()) } : {}),
      };
      let res;
      for (let attempt = 0; ; attempt++) {
        try {
          res = await client.events.submit.mutate(input);
          break;
        } catch (e) {
          const info = remoteErrorInfo(e);
          if ((info?.httpStatus !== 429 && info?.httpStatus !== 503) || attempt >= MAX_RETRIES) {
            const f = await describeRemoteError('events submit', url, e);
            throw new CommandFailure(`${f.message}\nlines ${batch[0]!.line} onwards were not confirmed as logged${resumeHint}`, f.exitCode);
          }
          const delay = (info.retryAfterSeconds ?? 2 ** Math.min(attempt, 4) / 4) * 1000;
          io.err(`events submit: ${(e as Error).message}; retrying in ${Math.round(delay)} ms`);
          await new Promise((r) => setTimeout(r, delay));
        }
      }
      if (res.indices.length !== batch.length) throw new CommandFailure(`the log answered ${res.indices.length} indices for ${batch.length} events`);
      if (receiptsDir !== undefined) {
        if (res.receipts === undefined || res.receipts.length !== batch.length) throw new CommandFailure('the log answered without receipts; cannot write --receipts');
        for (const [k, index] of res.indices.entries()) await writeDurable(join(receiptsDir, `${index}.receipt`), res.receipts[k]!);
      }
      for (const [k, l] of batch.entries()) {
        io.out(values.json
          ? JSON.stringify({ index: res.indices[k], line: l.line, seq: res.seqs[k], duplicate: res.duplicate[k], moved: res.moved[k] })
          : res.indices[k]!);
      }
      const dups = res.duplicate.filter(Boolean).length;
      if (dups > 0) io.err(`events submit: ${dups} of lines ${batch[0]!.line}–${batch.at(-1)!.line} were logged before (resent: same index, nothing logged twice)`);
    };

    const input = file === '-' ? process.stdin : createReadStream(file);
    const rl = createInterface({ input, crlfDelay: Infinity });
    // Batches go out in input order, one at a time: when full, when --linger ms pass without
    // one filling (a pipe held open, `tail -f`), and at the end. A failed batch stops the run:
    // nothing after it is sent (the chain skips every later send).
    let batch: Line[] = [];
    let invalid: string[] = [];
    let sending: Promise<void> = Promise.resolve();
    let failed = false;
    let linger: NodeJS.Timeout | undefined;
    let lineNo = 0;
    let events = 0;
    const flush = (): Promise<void> => {
      if (linger !== undefined) clearTimeout(linger);
      linger = undefined;
      const b = batch;
      const bad = invalid;
      batch = [];
      invalid = [];
      if (b.length === 0 && bad.length === 0) return sending;
      sending = sending.then(async () => {
        if (bad.length > 0) {
          const listed = bad.slice(0, MAX_LISTED).join('\n');
          const more = bad.length > MAX_LISTED ? `\n(${bad.length - MAX_LISTED} more invalid lines)` : '';
          throw new CommandFailure(`${listed}${more}\nnothing from line ${b[0]!.line} onwards was sent (${bad.length} invalid line${bad.length === 1 ? '' : 's'} in that batch)${resumeHint}`);
        }
        await send(b);
      });
      sending.catch(() => {
        failed = true;
        rl.close();
      });
      return sending;
    };
    try {
      for await (const text of rl) {
        if (failed) break;
        lineNo++;
        if (text.trim() === '') continue;
        const seq = nextSeq;
        if (nextSeq !== undefined) nextSeq++;
        events++;
        const problem = validateLine(text);
        if (problem !== undefined) invalid.push(`line ${lineNo}: ${problem}`);
        batch.push({ line: lineNo, text, seq });
        if (batch.length >= batchSize) await flush().catch(() => {});
        else if (linger === undefined) linger = setTimeout(() => void flush().catch(() => {}), lingerMs);
      }
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES') throw new CommandFailure(`cannot read ${file}: ${(e as Error).message}`, EXIT_IO);
      throw e;
    } finally {
      if (linger !== undefined) clearTimeout(linger);
    }
    if (!failed) await flush();
    await sending;
    if (receiptsDir !== undefined) await fsyncDir(receiptsDir);
    if (events === 0) io.err('events submit: no events in the input; nothing submitted');
    return 0;
  },
});

/** Why a line is not a valid event (its JSON path and code, no values), or undefined. */
function validateLine(text: string): string | undefined {
  if (!text.isWellFormed()) return '$: not well-formed Unicode (lone-surrogate)';
  const bytes = utf8Encode(text);
  if (bytes.length > MAX_EVENT_SIZE) return `$: the event is ${bytes.length} bytes; at most ${MAX_EVENT_SIZE} (too-large)`;
  try {
    parseEvent(bytes);
    return undefined;
  } catch (e) {
    return describeEventError(e);
  }
}

/** Writes `text` to `path` (replacing it: a resend's receipt is byte-identical) and fsyncs it. */
async function writeDurable(path: string, text: string): Promise<void> {
  let fh;
  try {
    fh = await open(path, 'w', 0o644);
  } catch (e) {
    throw new CommandFailure(`cannot create ${path}: ${(e as Error).message}`, EXIT_IO);
  }
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
