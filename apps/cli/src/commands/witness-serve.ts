/** `cairn witness serve`: runs a tlog-witness (LevelDB state, add-checkpoint + monitoring + tRPC). */
import { startWitnessServer } from '@cairn/api';
import { decodeSignerKey } from '@cairn/formats';
import { nodeEd25519 } from '@cairn/formats/node';
import { nodeBackend } from '@cairn/merkle/node';
import { jsonLogger } from '@cairn/log';
import {
  Witness,
  buildTrustedLogs,
  isWitnessError,
  logSpecsFromLogList,
  openLevelWitnessStorage,
  parseLogFlag,
  type LogSpec,
  type WitnessStorage,
  type WitnessTestHooks,
} from '@cairn/witness';
import { CommandFailure, UsageError, defineCommand, type Io, type Values } from '../command.js';
import { readBounded, readKeyFile } from '../lib/files.js';
import { parseListen } from '../lib/options.js';
import { untilSignal } from '../lib/signals.js';

/**
 * Test-only: milliseconds to stall between the checks and the store of every add-checkpoint
 * (for crash tests). Never set it in production; the witness logs a warning when it is set.
 */
export const TEST_STALL_ENV = 'CAIRN_TEST_STALL_BEFORE_STORE_MS';
/** Largest --logs-file accepted (the witness-network lists are a few MB). */
export const MAX_LOGS_FILE_BYTES = 16 * 1024 * 1024;

const options = {
  data: { type: 'string', required: true, value: 'DIR', description: 'state directory (LevelDB), created if absent' },
  key: { type: 'string', required: true, value: 'FILE', description: 'witness signer key file from `cairn keygen --witness`' },
  listen: { type: 'string', required: true, value: 'HOST:PORT', description: 'address to listen on, e.g. 127.0.0.1:7380 (port 0 = any)' },
  log: { type: 'string', multiple: true, value: 'VKEY[=ORIGIN]', description: 'a trusted log key (type 0x01); origin defaults to the key name' },
  'logs-file': { type: 'string', value: 'FILE', description: 'trusted logs in the witness-network logs/v0 format (with qpd)' },
} as const;

function parseStall(env: NodeJS.ProcessEnv): number | undefined {
  const v = env[TEST_STALL_ENV];
  if (v === undefined || v === '') return undefined;
  if (!/^(0|[1-9][0-9]{0,6})$/.test(v)) throw new UsageError(`${TEST_STALL_ENV} must be a number of milliseconds, got "${v}"`);
  return Number(v);
}

/**
 * The command body, with the stop signal injectable for in-process tests: validates every
 * option, opens the store, serves until `until()` resolves, then shuts down cleanly.
 */
export async function runWitnessServe(
  values: Values<typeof options>,
  io: Io,
  until: () => Promise<string> = untilSignal,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const listen = parseListen('--listen', values.listen!);
  const specs: LogSpec[] = [];
  for (const v of values.log ?? []) {
    try {
      specs.push(parseLogFlag(v));
    } catch (e) {
      throw new UsageError(`--log: ${(e as Error).message}`);
    }
  }
  if (values['logs-file'] !== undefined) {
    const bytes = await readBounded(values['logs-file'], MAX_LOGS_FILE_BYTES);
    try {
      specs.push(...logSpecsFromLogList(bytes));
    } catch (e) {
      throw new UsageError(`--logs-file ${values['logs-file']}: ${(e as Error).message}`);
    }
  }
  if (specs.length === 0) throw new UsageError('give at least one --log VKEY[=ORIGIN] or a --logs-file');
  const edOpts = { ed25519: nodeEd25519 };
  let logs;
  try {
    logs = buildTrustedLogs(specs, edOpts);
  } catch (e) {
    throw new UsageError(`--log/--logs-file: ${(e as Error).message}`);
  }
  const key = await readKeyFile(values.key!);
  try {
    decodeSignerKey(key, edOpts);
  } catch (e) {
    throw new UsageError(`--key ${values.key}: not a signer key (${(e as Error).message}); create one with \`pnpm cairn keygen --witness\``);
  }
  const stallMs = parseStall(env);
  const logger = jsonLogger({ write: (line) => io.err(line) });

  let storage: WitnessStorage;
  try {
    storage = await openLevelWitnessStorage(values.data!);
  } catch (e) {
    throw new CommandFailure(`cannot open the witness state in ${values.data}: ${(e as Error).message}`);
  }
  let hooks: WitnessTestHooks | undefined;
  if (stallMs !== undefined) {
    logger.warn('TEST HOOK ACTIVE: stalling before every store', { env: TEST_STALL_ENV, ms: stallMs });
    hooks = {
      async beforeStore(info) {
        logger.warn('test stall before store', { origin: info.origin, size: info.size.toString(), ms: stallMs });
        await new Promise((resolve) => setTimeout(resolve, stallMs));
      },
    };
  }
  const witness = new Witness({ key, logs, storage, ed25519: nodeEd25519, hashBackend: nodeBackend, logger, ...(hooks ? { hooks } : {}) });
  let server;
  try {
    server = await startWitnessServer({ witness, listen, logger });
  } catch (e) {
    await storage.close();
    throw new CommandFailure(`cannot listen on ${values.listen}: ${(e as Error).message}`);
  }
  io.out(`cairn witness listening on ${server.url}`);
  io.out(`name ${witness.name}`);
  io.out(`cosignature/v1 ${witness.cosignatureVkey}`);
  io.out(`add-checkpoint ${server.url}/add-checkpoint`);
  io.out(`trpc ${server.url}/trpc`);
  logger.info('started', { url: server.url, name: witness.name, logs: [...logs.keys()], data: values.data });
  const why = await until();
  logger.info('stopping', { signal: why });
  await server.close();
  await storage.close();
  logger.info('stopped', {});
  return 0;
}

export const witnessServe = defineCommand({
  name: 'witness serve',
  summary: 'Run a tlog-witness: cosign checkpoints of trusted logs, never rolling back',
  details: `
Serves c2sp.org/tlog-witness at the root: POST /add-checkpoint (200 with the cosignature line,
409 with text/x.tlog.size, 403/404/422 refusals, 429 when a log's qpd budget is spent) and
GET /<hex sha256(origin)>/checkpoint (the latest cosigned checkpoint), plus read-only tRPC at
/trpc (status, misbehaviour). Trusted logs come from --log (repeatable) and/or --logs-file;
removing a log never deletes its state. The state in --data is written with fsync before any
cosignature is returned. Logs are JSON lines on standard error; SIGINT/SIGTERM stop it cleanly.
The witness key's cosignature/v1 verifier key is printed at start (give it to logs and clients).`,
  options,
  async run({ values, io }) {
    try {
      return await runWitnessServe(values, io);
    } catch (e) {
      if (isWitnessError(e)) throw new CommandFailure(e.message);
      throw e;
    }
  },
});
