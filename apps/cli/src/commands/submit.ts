/** `cairn submit`: sends entries to a log (one per input line, or one binary entry). */
import { createInterface } from 'node:readline';
import { createReadStream } from 'node:fs';
import { createLogClient } from '@cairn/client';
import { CommandFailure, UsageError, defineCommand } from '../command.js';
import { readBounded } from '../lib/files.js';
import { parseIntOption, parseUrlOption } from '../lib/options.js';
import { Progress } from '../lib/progress.js';
import { remote, remoteErrorInfo } from '../lib/trpc-errors.js';

/** The largest entry the log accepts (tlog-tiles entry bundles frame entries with a uint16). */
const MAX_ENTRY = 65_535;
/** Entries per submit call (the server's maximum). */
const DEFAULT_BATCH = 1_000;
/** Most retries of one batch after 429 / transport failures. */
const MAX_RETRIES = 8;
/** Batches in flight at once (pipelining; output order is kept). */
const IN_FLIGHT = 4;

export const submit = defineCommand({
  name: 'submit',
  summary: 'Submit entries to a log; prints each entry\'s index, one per line, in input order',
  details: `
Reads --file (default: standard input). Each line is one entry (the newline is not part of it);
with --raw the whole input is one binary entry. Entries are sent in batches; every index printed
is durable on the log (fsync'd) — with --wait checkpoint, also covered by a signed checkpoint.
The token can also come from the CAIRN_TOKEN environment variable. Progress goes to standard
error. A batch refused for back-pressure (HTTP 429) is retried after the server's Retry-After.`,
  options: {
    url: { type: 'string', required: true, value: 'URL', description: 'the log\'s URL, e.g. http://127.0.0.1:8080' },
    token: { type: 'string', value: 'TOKEN', description: 'bearer token (or set CAIRN_TOKEN)' },
    file: { type: 'string', value: 'FILE', description: 'input file (default: standard input)' },
    raw: { type: 'boolean', description: 'submit the whole input as one binary entry' },
    batch: { type: 'string', value: 'N', description: `entries per request (1–${DEFAULT_BATCH}, default ${DEFAULT_BATCH})` },
    wait: { type: 'string', value: 'none|checkpoint', description: 'answer once durable (none, default) or once signed (checkpoint)' },
  },
  async run({ values, io }) {
    const url = parseUrlOption('--url', values.url!);
    const token = values.token ?? process.env['CAIRN_TOKEN'];
    if (!token) throw new UsageError('a token is required: --token TOKEN or CAIRN_TOKEN');
    const batchSize = values.batch === undefined ? DEFAULT_BATCH : parseIntOption('--batch', values.batch, 1, DEFAULT_BATCH);
    const wait = values.wait ?? 'none';
    if (wait !== 'none' && wait !== 'checkpoint') throw new UsageError(`--wait must be none or checkpoint, got "${wait}"`);
    const client = createLogClient(url, { token });
    const progress = new Progress('submitted', (l) => process.stderr.write(l));
    const send = async (entries: Uint8Array[]): Promise<string[]> => {
      const b64 = entries.map((e) => Buffer.from(e).toString('base64'));
      for (let attempt = 0; ; attempt++) {
        try {
          const res = await client.log.submit.mutate({ entries: b64, wait });
          progress.add(entries.length);
          return res.indices;
        } catch (e) {
          const info = remoteErrorInfo(e);
          const retryable = info?.httpStatus === 429 || info?.httpStatus === 503 || info?.httpStatus === undefined;
          if (!retryable || attempt >= MAX_RETRIES) {
            progress.done();
            return remote('submit', () => Promise.reject(e));
          }
          const delay = (info?.retryAfterSeconds ?? 2 ** Math.min(attempt, 4) / 4) * 1000;
          io.err(`submit: ${(e as Error).message}; retrying in ${Math.round(delay)} ms`);
          await new Promise((r) => setTimeout(r, delay));
        }
      }
    };
    if (values.raw) {
      const data = await readBounded(values.file ?? '-', MAX_ENTRY);
      for (const i of await send([data])) io.out(i);
      progress.done();
      return 0;
    }
    const input = values.file === undefined ? process.stdin : createReadStream(values.file);
    input.on('error', () => {}); // reported by the readline loop below
    const rl = createInterface({ input, crlfDelay: Infinity });
    // Up to IN_FLIGHT batches travel at once; indices are printed strictly in input order.
    const inflight: Promise<string[]>[] = [];
    const flushOne = async () => { for (const i of await inflight.shift()!) io.out(i); };
    const enqueue = async (b: Uint8Array[]) => {
      const p = send(b);
      p.catch(() => {}); // awaited in order by flushOne
      inflight.push(p);
      if (inflight.length >= IN_FLIGHT) await flushOne();
    };
    let batch: Uint8Array[] = [];
    let line = 0;
    try {
      for await (const text of rl) {
        line++;
        const bytes = new TextEncoder().encode(text);
        if (bytes.length > MAX_ENTRY) throw new CommandFailure(`line ${line} is ${bytes.length} bytes; an entry may be at most ${MAX_ENTRY}`);
        batch.push(bytes);
        if (batch.length >= batchSize) {
          await enqueue(batch);
          batch = [];
        }
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new CommandFailure(`cannot read ${values.file}: ${(e as Error).message}`);
      throw e;
    }
    if (batch.length > 0) await enqueue(batch);
    while (inflight.length > 0) await flushOne();
    progress.done();
    if (line === 0) io.err('submit: no input lines; nothing submitted');
    return 0;
  },
});
