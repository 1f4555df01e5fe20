/**
 * `cairn witness serve`: runs a tlog-witness (LevelDB state, add-checkpoint + monitoring + tRPC
 * over HTTP) and, with --p2p-listen, a node of the libp2p witness network (@cairn/gossip/witness:
 * gossip of cosigned checkpoints, split-view evidence, add-checkpoint over a libp2p stream).
 */
import { answerAddCheckpoint, startWitnessServer, WITNESS_REQUEST_TIMEOUT_MS, type WitnessServer } from '@cairn/api';
import { decodeSignerKey } from '@cairn/formats';
import { nodeEd25519 } from '@cairn/formats/node';
import { nodeBackend } from '@cairn/merkle/node';
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
import type { PeerSyncReport, WitnessNetwork } from '@cairn/gossip/witness';
import { CommandFailure, EXIT_FAIL, EXIT_IO, UsageError, defineCommand, type Io, type Values } from '../command.js';
import { readBounded, readKeyFile } from '../lib/files.js';
import { caOption, parseIntOption, parseListen, parseP2pPeer, parsePeerIdOption, parseP2pListen, tlsServerOptions } from '../lib/options.js';
import { onHangup, untilSignal } from '../lib/signals.js';
import { leafSerial, readTlsFlags, reloadTls, trustCa } from '../lib/tls.js';
import { limitsLine, listenerOptions, parseListenerOptions } from '../lib/listener-options.js';
import { LOG_OUTPUT_HELP, commandOutput, logFormatOption, parseLogFormat } from '../lib/log-output.js';

/**
 * Test-only: milliseconds to stall between the checks and the store of every add-checkpoint
 * (for crash tests). Never set it in production; the witness logs a warning when it is set.
 */
export const TEST_STALL_ENV = 'CAIRN_TEST_STALL_BEFORE_STORE_MS';
/** Default of --peer-sync-timeout (ms); the same as @cairn/gossip/witness DEFAULT_PEER_SYNC_TIMEOUT_MS. */
export const DEFAULT_PEER_SYNC_TIMEOUT_MS = 10_000;
/** Largest --peer-sync-timeout (ms). */
export const MAX_PEER_SYNC_TIMEOUT_MS = 600_000;
/** Largest --logs-file accepted (the witness-network lists are a few MB). */
export const MAX_LOGS_FILE_BYTES = 16 * 1024 * 1024;

const options = {
  data: { type: 'string', required: true, value: 'DIR', description: 'state directory (LevelDB), created if absent' },
  key: { type: 'string', required: true, value: 'FILE', description: 'witness signer key file from `cairn keygen --witness`' },
  listen: { type: 'string', value: 'HOST:PORT', description: 'HTTP address, e.g. 127.0.0.1:7380 (port 0 = any); without it only libp2p is served' },
  log: {
    type: 'string', multiple: true, value: 'VKEY[=ORIGIN][@URL]',
    description: 'a trusted log key (type 0x01); origin defaults to the key name; URL = its tlog-tiles prefix (for consistency checks of gossiped checkpoints)',
  },
  'logs-file': { type: 'string', value: 'FILE', description: 'trusted logs in the witness-network logs/v0 format (with qpd)' },
  'p2p-listen': { type: 'string', multiple: true, value: 'MULTIADDR', description: 'join the libp2p witness network, listening here, e.g. /ip4/127.0.0.1/tcp/4001' },
  peer: {
    type: 'string', multiple: true, value: 'MULTIADDR[=VKEY]',
    description: "a peer witness /…/p2p/<peer ID>, kept connected; VKEY = its cosignature/v1 key (its cosignatures are merged into ours)",
  },
  'allow-peer': { type: 'string', multiple: true, value: 'PEERID', description: 'also accept libp2p connections from this peer ID (a log sending add-checkpoint over libp2p, a monitor)' },
  ...listenerOptions(WITNESS_REQUEST_TIMEOUT_MS),
  ...tlsServerOptions,
  ...caOption,
  'peer-sync-timeout': {
    type: 'string', value: 'MS',
    description: `at start, how long to wait for the --peer witnesses' snapshots before answering add-checkpoint (503 meanwhile; 0 = do not wait; default ${DEFAULT_PEER_SYNC_TIMEOUT_MS})`,
  },
  ...logFormatOption,
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
  const out = commandOutput(parseLogFormat(values['log-format']), io);
  const listen = values.listen === undefined ? undefined : parseListen('--listen', values.listen);
  const bounds = parseListenerOptions(values, WITNESS_REQUEST_TIMEOUT_MS);
  const p2pListen = (values['p2p-listen'] ?? []).map((v) => parseP2pListen('--p2p-listen', v));
  const peers = (values.peer ?? []).map((v) => parseP2pPeer('--peer', v));
  const allowPeers = (values['allow-peer'] ?? []).map((v) => parsePeerIdOption('--allow-peer', v));
  if (listen === undefined && p2pListen.length === 0) throw new UsageError('give --listen HOST:PORT (HTTP) and/or --p2p-listen MULTIADDR (libp2p)');
  if (p2pListen.length === 0 && (peers.length > 0 || allowPeers.length > 0)) throw new UsageError('--peer and --allow-peer need --p2p-listen');
  const peerSyncTimeoutMs = values['peer-sync-timeout'] === undefined
    ? DEFAULT_PEER_SYNC_TIMEOUT_MS
    : parseIntOption('--peer-sync-timeout', values['peer-sync-timeout'], 0, MAX_PEER_SYNC_TIMEOUT_MS);
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
  if (specs.length === 0) throw new UsageError('give at least one --log VKEY[=ORIGIN][@URL] or a --logs-file');
  const edOpts = { ed25519: nodeEd25519 };
  let logs;
  try {
    logs = buildTrustedLogs(specs, edOpts);
  } catch (e) {
    throw new UsageError(`--log/--logs-file: ${(e as Error).message}`);
  }
  const tls = await readTlsFlags(values);
  if (tls !== undefined && listen === undefined) throw new UsageError('--tls-cert/--tls-key need --listen');
  await trustCa(values.ca);
  const key = await readKeyFile(values.key!);
  try {
    decodeSignerKey(key, edOpts);
  } catch (e) {
    throw new UsageError(`--key ${values.key}: not a signer key (${(e as Error).message}); create one with \`pnpm cairn keygen --witness\``);
  }
  const stallMs = parseStall(env);
  const logger = out.logger;

  let storage: WitnessStorage;
  try {
    storage = await openLevelWitnessStorage(values.data!);
  } catch (e) {
    // Locked (another witness runs on it) or unreadable: an I/O failure, as in `witness clear`.
    throw new CommandFailure(`cannot open the witness state in ${values.data}: ${(e as Error).message}`, isWitnessError(e) && e.code === 'storage' ? EXIT_IO : EXIT_FAIL);
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
  let witness: Witness;
  try {
    witness = new Witness({
      key, logs, storage, ed25519: nodeEd25519, hashBackend: nodeBackend, logger, ...(hooks ? { hooks } : {}),
      cosigners: peers.flatMap((p) => (p.vkey === undefined ? [] : [p.vkey])),
    });
  } catch (e) {
    await storage.close();
    if (isWitnessError(e) && e.code === 'config') throw new UsageError(`--peer: ${e.message}`);
    throw e;
  }
  let network: WitnessNetwork | undefined;
  let registerGossipMetrics: typeof import('@cairn/gossip').registerGossipMetrics | undefined;
  let server: WitnessServer | undefined;
  const stopAll = async (): Promise<void> => {
    await server?.close();
    await network?.stop();
    await storage.close();
  };
  if (p2pListen.length > 0) {
    // Loaded on demand: libp2p takes a while to import, and most commands never need it.
    const [{ startWitnessNetwork }, gossip] = await Promise.all([import('@cairn/gossip/witness'), import('@cairn/gossip')]);
    const { GossipError } = gossip;
    registerGossipMetrics = gossip.registerGossipMetrics;
    try {
      network = await startWitnessNetwork({
        witness, dataDir: values.data!, listen: p2pListen, peers: peers.map((p) => p.addr), allowPeerIds: allowPeers, logger, peerSyncTimeoutMs,
        addCheckpoint: async (body) => answerAddCheckpoint(witness, body, logger),
      });
    } catch (e) {
      await stopAll();
      if (e instanceof GossipError) throw new CommandFailure(`cannot join the witness network: ${e.message}`);
      throw new CommandFailure(`cannot listen on ${p2pListen.join(', ')}: ${(e as Error).message}`, EXIT_IO);
    }
  }
  const net = network;
  if (listen !== undefined) {
    try {
      server = await startWitnessServer({
        witness, listen, logger, tls, ...bounds,
        ...(net === undefined || registerGossipMetrics === undefined ? {} : { registerMetrics: (r) => registerGossipMetrics!(r, net.metrics) }),
        p2p: net === undefined ? undefined : () => ({
          peerId: net.peerId, multiaddrs: net.multiaddrs(), connectedPeers: net.connectedPeers(), metrics: net.metrics, peerSync: net.peerSync(),
        }),
      });
    } catch (e) {
      await stopAll();
      throw new CommandFailure(`cannot listen on ${values.listen}: ${(e as Error).message}`, EXIT_IO);
    }
  }
  // Signal handlers go in before the first start-up line: whoever waits for it may stop us at once.
  const stopping = until();
  out.say(`name ${witness.name}`, { name: witness.name });
  out.say(`cosignature/v1 ${witness.cosignatureVkey}`, { vkey: witness.cosignatureVkey });
  if (net !== undefined) {
    out.say(`p2p id ${net.peerId}`);
    for (const a of net.multiaddrs()) out.say(`cairn witness p2p listening on ${a}`);
  }
  if (server !== undefined) {
    out.say(`add-checkpoint ${server.url}/add-checkpoint`);
    out.say(`trpc ${server.url}/trpc`);
    out.say(`metrics ${server.url}/metrics`);
    out.say(limitsLine(bounds, WITNESS_REQUEST_TIMEOUT_MS));
    if (tls !== undefined) out.say(`tls certificate ${values['tls-cert']} (serial ${leafSerial(tls)}), reloaded on SIGHUP`);
    out.say(`cairn witness listening on ${server.url}`, { url: server.url });
  }
  const listening = server;
  const offHangup = onHangup(async () => {
    if (tls === undefined || listening === undefined) {
      logger.info('SIGHUP: nothing to reload', {});
      return;
    }
    await reloadTls(listening, values, logger);
  });
  logger.info('started', {
    url: server?.url, p2p: net?.multiaddrs(), name: witness.name, logs: [...logs.keys()], data: values.data,
  });
  if (net !== undefined && peers.length > 0) {
    for (const l of logs.values()) {
      if (l.url !== undefined) continue;
      out.say(`warning: ${l.origin} has no log URL (--log VKEY@URL): a larger checkpoint learned from a peer cannot be proven from the log's tiles; this witness then cosigns only that checkpoint, when the log sends it`, { origin: l.origin }, 'warn');
      logger.warn('no log URL: cannot catch up with checkpoints learned from peers', { origin: l.origin });
    }
    out.say(`peer sync: asking ${peers.length} peer witness(es) what they hold; add-checkpoint answers 503 until done (at most ${peerSyncTimeoutMs} ms)`);
    void net.initialSync.then((r) => {
      for (const line of peerSyncLines(r)) out.say(line);
    });
  }
  const why = await stopping;
  logger.info('stopping', { signal: why });
  await stopAll();
  offHangup(); // only now: a SIGHUP while stopping is ignored too
  logger.info('stopped', {});
  return 0;
}

/** The start-up lines that say what the peer sync learned, and from whom. */
export function peerSyncLines(r: PeerSyncReport): string[] {
  const out: string[] = [];
  for (const p of r.peers) {
    if (!p.synced) out.push(`peer sync: ${p.peerId} not reached${p.error === undefined ? '' : ` (${p.error})`}`);
    else if (p.checkpoints.length === 0) out.push(`peer sync: ${p.peerId} holds no checkpoint of a log this witness follows`);
    else for (const c of p.checkpoints) out.push(`peer sync: ${p.peerId} holds ${c.origin} at size ${c.size}`);
  }
  for (const l of r.learned) {
    out.push(`peer sync: learned ${l.origin} size ${l.size} from ${l.from}, above this witness's size ${l.storedSize}: catching up from the log's tiles (409 with size ${l.size} until then)`);
  }
  const synced = r.peers.filter((p) => p.synced).length;
  if (r.state === 'unreachable') {
    out.push(`peer sync: no peer witness reachable within ${r.timeoutMs} ms; answering add-checkpoint from this witness's own state only`);
  } else {
    out.push(`peer sync: ${r.state}, ${synced} of ${r.peers.length} peer(s); ${r.learned.length === 0 ? 'nothing newer than this witness\'s own state' : `${r.learned.length} newer checkpoint(s) learned`}; answering add-checkpoint`);
  }
  return out;
}

export const witnessServe = defineCommand({
  name: 'witness serve',
  summary: 'Run a tlog-witness: cosign checkpoints of trusted logs, never rolling back',
  details: `
Serves c2sp.org/tlog-witness at the root of --listen: POST /add-checkpoint (200 with the
cosignature line, 409 with text/x.tlog.size, 403/404/422 refusals, 429 when a log's qpd budget
is spent) and GET /<hex sha256(origin)>/checkpoint (the latest cosigned checkpoint, with the
verified cosignatures of peer witnesses), plus read-only tRPC at /trpc (status, misbehaviour,
evidence). Trusted logs come from --log (repeatable) and/or --logs-file; removing a log never
deletes its state. The state in --data is written with fsync before any cosignature is returned.

Witness network (--p2p-listen): the libp2p identity is --data/p2p.key (see
\`cairn witness p2p-id\`); only --peer and --allow-peer peer IDs may connect, and peers are
re-dialled with backoff. Every cosigned checkpoint is gossiped on its origin's topic; conflicting
log-signed checkpoints (same size, other root; or other size and a failed consistency check
against the tiles at the log's @URL) become evidence, published on the alarm topic, listed by
\`cairn evidence list\`. After PROVEN misbehaviour the witness stops cosigning that origin:
add-checkpoint answers 403 naming the evidence id until \`cairn witness clear\` (run while the
witness is stopped). Logs may also send add-checkpoint over libp2p (log serve --witness
MULTIADDR=VKEY; allow the log's peer ID with --allow-peer). Without --listen only libp2p is
served.

A witness never cosigns a checkpoint its peers' history does not extend: a log-signed checkpoint
learned from a peer (gossip, or the snapshot every connection starts with) that is larger than
the witness's own is proven consistent with it from the log's tiles (@URL) and then held
(cosigned) by the witness; until then add-checkpoint answers 409 with its size. At start, with
--peer, add-checkpoint answers 503 (Retry-After) until the peers' snapshots are in or
--peer-sync-timeout passes; "peer sync:" lines say what was learned and from whom (tRPC status,
p2p.peerSync). So a witness restored from an old backup catches up instead of cosigning a fork.
Example:
  pnpm cairn witness serve --data w1 --key w1.key --log VKEY@http://127.0.0.1:8080 \\
    --p2p-listen /ip4/127.0.0.1/tcp/4001 --peer /ip4/127.0.0.1/tcp/4002/p2p/12D3KooW…=W2_VKEY

Bounds: --max-connections, --headers-timeout and --request-timeout limit the HTTP listener; what
they refuse is counted in GET /metrics (Prometheus; with --p2p-listen also the witness network's
counters, among them unknown peers refused by the allowlist) and logged (rate-limited). An
add-checkpoint body above 128 KiB gets 413 naming the limit, declared or sent chunked.

TLS: with --tls-cert and --tls-key the HTTP listener serves HTTPS (the start-up line says
https://); SIGHUP re-reads both files for new connections (a pair that does not load is logged
and the current one kept) and never stops the witness. --ca FILE trusts a private CA for the
logs' https:// tile URLs.

SIGINT/SIGTERM stop it cleanly. The witness key's cosignature/v1 verifier key is printed at
start (give it to logs, clients and peer witnesses).

${LOG_OUTPUT_HELP}

Config file example (contrib/witness.yaml; run \`pnpm cairn witness serve --config witness.yaml\`):
  data: w1-data                  # paths are relative to the file's directory
  key: w1.key
  listen: 127.0.0.1:7380
  log:
    - log.example+1a2b3c4d+AQ…@http://127.0.0.1:8080`,
  configFile: true,
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
