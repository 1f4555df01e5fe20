/** `cairn submit`: sends entries to a log (one per input line, or one binary entry). */
import { createInterface } from 'node:readline';
import { createReadStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogClient, EXIT_CODES } from '@cairn/client';
import { decodeBase64Strict, FormatError, formatProofBundle, parseCheckpointNote } from '@cairn/formats';
import { leafHash, ProofError, verifyInclusion } from '@cairn/merkle';
import { nodeBackend } from '@cairn/merkle/node';
import { CommandFailure, EXIT_IO, UsageError, defineCommand } from '../command.js';
import { fsyncDir, readBounded } from '../lib/files.js';
import { caOption, parseIntOption, parseUrlOption } from '../lib/options.js';
import { trustCa } from '../lib/tls.js';
import { Progress } from '../lib/progress.js';
import { describeRemoteError, remoteErrorInfo } from '../lib/trpc-errors.js';

/** The largest entry the log accepts (tlog-tiles entry bundles frame entries with a uint16). */
const MAX_ENTRY = 65_535;
/** Entries per submit call (the server's maximum). */
const DEFAULT_BATCH = 1_000;
/** Most retries of one batch after 429 / transport failures. */
const MAX_RETRIES = 8;
/** How long a partial batch waits for more lines before it is sent (a pipe held open). */
export const DEFAULT_LINGER_MS = 50;
/** Longest --linger accepted. */
const MAX_LINGER_MS = 60_000;
/** Batches in flight at once (pipelining; output order is kept). */
const IN_FLIGHT = 4;
/** What --wait accepts (the API's wait modes). */
const WAIT_MODES = ['none', 'checkpoint', 'cosigned'] as const;
type WaitMode = (typeof WAIT_MODES)[number];

/** What the log answers to a submit with --wait checkpoint or cosigned. */
interface SubmitAnswer {
  readonly indices: string[];
  readonly checkpoint?: string | undefined;
  readonly proofs?: string[][] | undefined;
}

/**
 * Writes `<dir>/<index>.tlog-proof` for each entry of one answer, from the checkpoint and proofs
 * the log returned with it (no second request). Each proof is checked against the checkpoint's
 * root and the entry's own leaf hash first; files are never overwritten and are fsync'd.
 */
async function writeProofs(dir: string, entries: readonly Uint8Array[], res: SubmitAnswer): Promise<void> {
  if (res.checkpoint === undefined || res.proofs === undefined || res.proofs.length !== entries.length) {
    throw new CommandFailure('the log answered without a checkpoint and one proof per entry; cannot write --proofs', EXIT_IO);
  }
  const bundles: [string, Uint8Array][] = [];
  try {
    const cp = parseCheckpointNote(res.checkpoint).checkpoint;
    for (const [i, entry] of entries.entries()) {
      const index = BigInt(res.indices[i]!);
      const proof = res.proofs[i]!.map((h) => decodeBase64Strict(h, 32));
      verifyInclusion(index, cp.size, leafHash(entry, nodeBackend), proof, cp.rootHash, nodeBackend);
      bundles.push([join(dir, `${index}.tlog-proof`), formatProofBundle({ index, proof, checkpoint: res.checkpoint })]);
    }
  } catch (e) {
    // The log's own answer does not prove its entry: the log's data is wrong (as in verify).
    if (e instanceof FormatError || e instanceof ProofError) throw new CommandFailure(`the log returned a proof that does not check out: ${e.message}`, EXIT_CODES['bad-log-data']);
    throw e;
  }
  for (const [path, bytes] of bundles) {
    let fh;
    try {
      fh = await open(path, 'wx');
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new CommandFailure(err.code === 'EEXIST' ? `${path} already exists; refusing to overwrite it` : `cannot create ${path}: ${err.message}`, EXIT_IO);
    }
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
}

export const submit = defineCommand({
  name: 'submit',
  summary: 'Submit entries to a log; prints each entry\'s index, one per line, in input order',
  details: `
Reads --file (default: standard input). Each line is one entry (the newline is not part of it);
with --raw the whole input is one binary entry. Entries are sent in batches: a batch goes out when it is full (--batch) or
when --linger milliseconds pass without it filling, so lines from a pipe held open (\`tail -f\`)
are sent promptly, and each index is printed as soon as the log acknowledges it. Every index printed
is durable on the log (fsync'd) — with --wait checkpoint, also covered by a signed checkpoint;
with --wait cosigned, by a checkpoint that met the log's witness quorum (a log without witnesses
answers as for checkpoint). With --proofs DIR (needs --wait checkpoint or cosigned) the inclusion
proofs the log returned with each batch are checked against its checkpoint and written as
DIR/<index>.tlog-proof bundles (c2sp.org/tlog-proof; verify them with \`cairn verify --bundle\`);
nothing is fetched again. The token can also come from the CAIRN_TOKEN environment variable.
Progress goes to standard error. A batch refused for back-pressure (HTTP 429) is retried after
the server's Retry-After; any other failure stops the run and names the first line not
confirmed as logged (nothing is sent twice). A closed standard output (\`| head -1\`) ends the run
quietly. --json prints one JSON object per entry: {"index","line"}.`,
  options: {
    url: { type: 'string', required: true, value: 'URL', description: 'the log\'s URL, e.g. http://127.0.0.1:8080' },
    token: { type: 'string', value: 'TOKEN', description: 'bearer token (or set CAIRN_TOKEN)' },
    file: { type: 'string', value: 'FILE', description: 'input file (default: standard input)' },
    raw: { type: 'boolean', description: 'submit the whole input as one binary entry' },
    json: { type: 'boolean', description: 'print one JSON object per entry ({"index","line"}) instead of bare indices' },
    batch: { type: 'string', value: 'N', description: `entries per request (1–${DEFAULT_BATCH}, default ${DEFAULT_BATCH})` },
    wait: {
      type: 'string',
      value: 'none|checkpoint|cosigned',
      description: 'answer once durable (none, default), once signed (checkpoint) or once cosigned by the witness quorum (cosigned)',
    },
    linger: { type: 'string', value: 'MS', description: `send a partial batch after MS milliseconds without a full batch (0–${MAX_LINGER_MS}, default ${DEFAULT_LINGER_MS})` },
    proofs: { type: 'string', value: 'DIR', description: 'write each entry\'s .tlog-proof bundle into DIR (with --wait checkpoint|cosigned)' },
    ...caOption,
  },
  async run({ values, io }) {
    await trustCa(values.ca);
    const url = parseUrlOption('--url', values.url!);
    const token = values.token ?? process.env['CAIRN_TOKEN'];
    if (!token) throw new UsageError('a token is required: --token TOKEN or CAIRN_TOKEN');
    const batchSize = values.batch === undefined ? DEFAULT_BATCH : parseIntOption('--batch', values.batch, 1, DEFAULT_BATCH);
    const lingerMs = values.linger === undefined ? DEFAULT_LINGER_MS : parseIntOption('--linger', values.linger, 0, MAX_LINGER_MS);
    const wait = (values.wait ?? 'none') as WaitMode;
    if (!WAIT_MODES.includes(wait)) throw new UsageError(`--wait must be ${WAIT_MODES.join(', ')}; got "${values.wait}"`);
    const proofsDir = values.proofs;
    if (proofsDir !== undefined) {
      if (wait === 'none') throw new UsageError('--proofs needs --wait checkpoint or --wait cosigned (the log returns proofs only then)');
      try {
        await mkdir(proofsDir, { recursive: true });
      } catch (e) {
        throw new CommandFailure(`cannot create ${proofsDir}: ${(e as Error).message}`, EXIT_IO);
      }
    }
    const client = createLogClient(url, { token });
    const progress = new Progress('submitted', (l) => process.stderr.write(l));
    const submitWithRetries = async (entries: Uint8Array[]): Promise<SubmitAnswer> => {
      const b64 = entries.map((e) => Buffer.from(e).toString('base64'));
      for (let attempt = 0; ; attempt++) {
        try {
          return await client.log.submit.mutate({ entries: b64, wait });
        } catch (e) {
          const info = remoteErrorInfo(e);
          // Only answers that say the batch was not taken are retried: after a transport failure
          // the log may have logged it, and sending it again would log it twice.
          const retryable = info?.httpStatus === 429 || info?.httpStatus === 503;
          if (!retryable || attempt >= MAX_RETRIES) {
            progress.done();
            throw await describeRemoteError('submit', url, e);
          }
          const delay = (info?.retryAfterSeconds ?? 2 ** Math.min(attempt, 4) / 4) * 1000;
          io.err(`submit: ${(e as Error).message}; retrying in ${Math.round(delay)} ms`);
          await new Promise((r) => setTimeout(r, delay));
        }
      }
    };
    const send = async (entries: Uint8Array[]): Promise<string[]> => {
      const res = await submitWithRetries(entries);
      // Outside the retry loop: a proof that does not check out must never resubmit the entries.
      if (proofsDir !== undefined) await writeProofs(proofsDir, entries, res);
      progress.add(entries.length);
      return res.indices;
    };
    if (values.raw) {
      const data = await readBounded(values.file ?? '-', MAX_ENTRY);
      for (const i of await send([data])) io.out(values.json ? JSON.stringify({ index: i }) : i);
      if (proofsDir !== undefined) await fsyncDir(proofsDir);
      progress.done();
      return 0;
    }
    const input = values.file === undefined ? process.stdin : createReadStream(values.file);
    input.on('error', () => {}); // reported by the readline loop below
    const rl = createInterface({ input, crlfDelay: Infinity });
    // A reader that closed standard output (`| head -1`) ends the run quietly: stop reading,
    // let the batches already sent finish (they are logged either way), print nothing more.
    let outClosed = false;
    const stopReading = () => {
      rl.close();
      if (input === process.stdin) process.stdin.destroy();
    };
    const onOutError = (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') return;
      outClosed = true;
      stopReading();
    };
    process.stdout.on('error', onOutError);
    const print = (index: string, line: number) => {
      if (!outClosed) io.out(values.json ? JSON.stringify({ index, line }) : index);
    };
    // Up to IN_FLIGHT batches travel at once; each index is printed as soon as its batch is
    // acknowledged and every earlier batch's indices are printed (input order is kept).
    let printed: Promise<void> = Promise.resolve();
    let inflight = 0;
    let failed = false;
    let sentLines = 0; // lines handed to a batch so far
    let batch: Uint8Array[] = [];
    let linger: NodeJS.Timeout | undefined;
    const flush = () => {
      if (linger !== undefined) clearTimeout(linger);
      linger = undefined;
      if (batch.length === 0 || failed) return;
      const entries = batch;
      const firstLine = sentLines + 1;
      batch = [];
      sentLines += entries.length;
      const p = send(entries).catch((e: unknown) => {
        throw e instanceof CommandFailure
          ? new CommandFailure(`${e.message}\nlines ${firstLine} onwards were not confirmed as logged`, e.exitCode)
          : e;
      });
      p.catch(() => {}); // awaited in order through `printed`
      inflight++;
      printed = printed.then(async () => {
        try {
          for (const [k, i] of (await p).entries()) print(i, firstLine + k);
        } finally {
          inflight--;
        }
      });
      printed.catch(() => { failed = true; stopReading(); }); // stop reading; the error is thrown below
    };
    let line = 0;
    try {
      for await (const text of rl) {
        if (failed) break;
        line++;
        const bytes = new TextEncoder().encode(text);
        if (bytes.length > MAX_ENTRY) throw new CommandFailure(`line ${line} is ${bytes.length} bytes; an entry may be at most ${MAX_ENTRY}`);
        batch.push(bytes);
        if (batch.length >= batchSize) flush();
        else if (linger === undefined) linger = setTimeout(flush, lingerMs);
        // Back-pressure: at most IN_FLIGHT batches outstanding.
        while (inflight >= IN_FLIGHT && !failed) await printed.catch(() => {});
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new CommandFailure(`cannot read ${values.file}: ${(e as Error).message}`, EXIT_IO);
      throw e;
    } finally {
      if (linger !== undefined) clearTimeout(linger);
      linger = undefined;
    }
    if (!outClosed) flush();
    try {
      await printed;
    } finally {
      process.stdout.off('error', onOutError);
      progress.done();
    }
    if (proofsDir !== undefined) await fsyncDir(proofsDir);
    if (line === 0) io.err('submit: no input lines; nothing submitted');
    return 0;
  },
});
