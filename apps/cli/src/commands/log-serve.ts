/** `cairn log serve`: runs a log node (LevelDB data directory, tiles + tRPC on one port). */
import { loadTokens, startLogServer, watchTokens, ApiError, DEFAULT_REQUEST_TIMEOUT_MS, TOKENS_RELOAD_DEBOUNCE_MS } from '@cairn/api';
import {
  DEFAULT_RETENTION_INTERVAL_MS, DEFAULT_WITNESS_INITIAL_BACKOFF_MS, DEFAULT_WITNESS_MAX_BACKOFF_MS, LogError, LogNode, openLevelStorage,
  parseRetentionPolicy, type RetentionPolicy,
} from '@cairn/log';
import type { GossipHost } from '@cairn/gossip';
import { FormatError, parseSignerKey } from '@cairn/formats';
import { CommandFailure, EXIT_IO, UsageError, defineCommand } from '../command.js';
import { readBounded, readKeyFile } from '../lib/files.js';
import { loadReceiptKey, RECEIPT_KEY_FILE } from '../lib/receipt-key.js';
import { caOption, parseIntOption, parseListen, parseP2pAddr, parseP2pListen, parseUrlOption, tlsServerOptions } from '../lib/options.js';
import { onHangup, untilSignal } from '../lib/signals.js';
import { leafSerial, readTlsFlags, reloadTls, trustCa } from '../lib/tls.js';
import { limitsLine, listenerOptions, parseListenerOptions } from '../lib/listener-options.js';
import { ingestOptions, parseIngestOptions, startIngestListener, type RunningIngest } from '../lib/ingest-listener.js';
import { LOG_OUTPUT_HELP, commandOutput, logFormatOption, parseLogFormat } from '../lib/log-output.js';
import { describeSearchIndex, startSearchIndex, type RunningSearchIndex } from '../lib/search-index.js';

/** Largest accepted witness retry delay (ms): one hour. */
const MAX_WITNESS_RETRY_MS = 3_600_000;

export const logServe = defineCommand({
  name: 'log serve',
  summary: 'Run a log node: durable ingestion, C2SP tiles and signed checkpoints, tRPC API',
  details: `
Creates the log in --data on first start (origin = --origin or the key's name) and checks the
data directory's integrity on every start. Serves the C2SP tlog-tiles read path at the root
(http://HOST:PORT/checkpoint, /tile/...), the tRPC API at /trpc and Prometheus metrics at
/metrics. Submissions need a bearer token from --tokens (see \`cairn log tokens add\`); reads
are public. Start-up lines go to standard output, log records to standard error, both in
--log-format (see below). SIGINT/SIGTERM stop it cleanly: what was
acknowledged is integrated and signed.

A witness is --witness URL=VKEY (HTTP, POST URL/add-checkpoint) or --witness MULTIADDR=VKEY with
a /…/p2p/<peer ID> multiaddr (the same exchange over the libp2p stream protocol, for witnesses
without HTTP). With a libp2p witness the log runs a libp2p host with its own identity in
--data/p2p.key (print its peer ID with \`cairn witness p2p-id --data DIR\` and allow it on the
witness with --allow-peer); --p2p-listen is optional (it only dials out otherwise). A witness
that proved misbehaviour of this log answers 403 naming the evidence: it shows in the status
alarms (evidenceId) and as a "witness alarm" log line.

A witness that does not answer is retried with exponential backoff (--witness-retry-min doubling
up to --witness-retry-max). While backing off from one that is unreachable, the log tries a TCP
connect to it every second (and, over libp2p, notices its reconnect): as soon as it is reachable
the backoff ends, so an idle log catches up at once instead of at the next retry. Such early ends
are counted in /metrics (cairn_log_witness_backoffs_ended_total) and logged.

Bounds: --max-connections, --headers-timeout and --request-timeout limit the HTTP listener; what
they refuse is counted in /metrics (cairn_http_connections_refused_total,
cairn_http_request_timeouts_total) and logged (rate-limited). Submission bodies above 16 MiB get
413 naming the limit, whether declared (Content-Length) or sent chunked.

TLS: with --tls-cert and --tls-key it serves HTTPS (same bounds); the start-up line says
https://. SIGHUP re-reads both files and uses them for new connections; a pair that does not
load is logged and the current one kept. --ca FILE makes the log trust a private CA for its
https:// witnesses. See docs/operations.md for the reverse-proxy alternative.

Tokens: the --tokens file is re-read when it changes (a watch on its directory, debounced) and
on SIGHUP, so \`cairn log tokens add\` and \`cairn log tokens revoke\` take effect without a
restart; a revoked token is refused from its next request. A file that fails to validate keeps
the tokens in force and is logged naming the field. SIGHUP never stops the log.

Audit events (\`cairn events submit\`) are kept beside the tree: the public leaf in the tiles,
the event itself in the data directory, readable with a reader or admin token. Each accepted
event gets a receipt signed by the log's receipt key, a separate Ed25519 key named
<origin>/receipt: --receipt-key FILE, or DATA/${RECEIPT_KEY_FILE}, created (mode 0600) on the first
start. Its verifier key is printed as "receipt vkey …" (\`cairn receipts check --receipt-key\`).
--retention FILE (JSON: {"rules":[{"source":"bastion","class":3002,"keepDays":30},{"keepDays":365}]},
the first matching rule governs an event) erases event bodies that old every hour, through the
same path as \`cairn events erase\` (recorded, by "retention"); leaves and proofs stay.

Ingestion: --ingest-listen HOST:PORT runs a second listener for producers that serves only
POST /k8s/audit (the Kubernetes audit webhook), POST /v1/logs (OTLP/HTTP logs, protobuf or
JSON) and POST /events (OCSF events as JSON or JSON lines) — never tiles, tRPC or metrics. Each
producer is a source of --tokens (a writer token, or with --ingest-client-ca a client
certificate whose subject \`cairn log sources add --client-cert-subject\` mapped); it writes only
as that source. An answer of 200 means the events are fsync'd; a resent batch adds nothing.
--ingest-tls-cert/--ingest-tls-key serve it over HTTPS (reloaded on SIGHUP). The bounds flags
apply to both listeners. --ingest-syslog-listen HOST:PORT receives RFC 5424 syslog framed by
octet counting, over TLS (RFC 5425) when --ingest-tls-cert is given; its connections write as
--ingest-syslog-source NAME (plain TCP has no credential: bind it to a trusted network; a source
with no token or certificate mapping in --tokens), or as the source of their client certificate
(an unverified or unmapped one is refused). Syslog has no acknowledgement. See docs/operations.md ("Ingestion listener") and docs/ingest/.

Search: --search-index DIR keeps the event search index (embedded PostgreSQL, PGlite) in DIR
and serves \`events.search\` (\`cairn search\`). It is opt-in: opening PGlite costs seconds of CPU.
--search-index postgres://USER@HOST:PORT/DB (or postgresql://) keeps it on a PostgreSQL server
instead, in the same schema (tables search_*): the password from the URL or PGPASSWORD (never
printed), TLS as the URL's sslmode says (verify-full checks the certificate and host name;
sslrootcert=FILE names a private CA). The log serves at once; the index opens in the background
(events.search answers 503 search-index-starting until then, and a line says when it is ready and
how far behind) and catches up from where it stopped. Its lag shows in \`cairn status\` and
/metrics. It is derived data: to rebuild it, stop the log and delete DIR (or drop the search_*
tables). After an erasure the index rewrites its table and drops old WAL so that erased values
leave its files; on a server that needs privileges (a superuser, or the tables' owner with
pg_checkpoint, EXECUTE on pg_switch_wal and SET on wal_recycle): without them, set
--search-index-scrub off and leave it to the server's operator. See docs/operations.md
("Search index").

${LOG_OUTPUT_HELP}

Config file example (contrib/log.yaml; run \`pnpm cairn log serve --config log.yaml\`):
  data: log-data                 # paths are relative to the file's directory
  key: log.key
  listen: 127.0.0.1:8080
  tokens: tokens.json
  witness:
    - http://127.0.0.1:7380=w1.example+4a1b2c3d+AQ…
  quorum: 1`,
  configFile: true,
  options: {
    data: { type: 'string', required: true, value: 'DIR', description: 'data directory (LevelDB), created if absent' },
    key: { type: 'string', required: true, value: 'FILE', description: 'signer key file from `cairn keygen`' },
    listen: { type: 'string', required: true, value: 'HOST:PORT', description: 'address to listen on, e.g. 127.0.0.1:8080 (port 0 = any)' },
    origin: { type: 'string', value: 'ORIGIN', description: 'checkpoint origin (default: the key name)' },
    'checkpoint-interval': { type: 'string', value: 'MS', description: 'integrate and sign every MS milliseconds (default 100)' },
    tokens: { type: 'string', value: 'FILE', description: 'tokens file for submissions (without it, submit is refused)' },
    dedupe: { type: 'boolean', description: 'identical entries get the index of the earlier one' },
    'search-index': {
      type: 'string', value: 'DIR|URL',
      description: 'keep the event search index in DIR (PGlite) or on the PostgreSQL server of a postgres:// URL, and serve events.search (opt-in)',
    },
    'search-index-scrub': {
      type: 'string', value: 'full|off',
      description: "after an erasure, rewrite the index's files so erased values leave them (default full; off: the server's operator does it)",
    },
    retention: { type: 'string', value: 'FILE', description: 'retention policy (JSON rules by source and class: keepDays); expired event bodies are erased hourly' },
    'receipt-key': { type: 'string', value: 'FILE', description: `signer key of event receipts, named <origin>/receipt (default DATA/${RECEIPT_KEY_FILE}, made on the first start)` },
    witness: {
      type: 'string', multiple: true, value: 'URL=VKEY',
      description: 'a witness: its URL (or /…/p2p/<peer ID> multiaddr for libp2p) and cosignature/v1 verifier key',
    },
    'p2p-listen': { type: 'string', multiple: true, value: 'MULTIADDR', description: 'libp2p listen address (only with a libp2p --witness; optional)' },
    quorum: { type: 'string', value: 'K', description: 'cosignatures needed before /checkpoint serves a checkpoint (default: all witnesses)' },
    'witness-retry-min': {
      type: 'string', value: 'MS', description: `first retry delay after a witness failed to answer; doubles per failure (default ${DEFAULT_WITNESS_INITIAL_BACKOFF_MS})`,
    },
    'witness-retry-max': { type: 'string', value: 'MS', description: `largest retry delay for a witness (default ${DEFAULT_WITNESS_MAX_BACKOFF_MS})` },
    ...listenerOptions(DEFAULT_REQUEST_TIMEOUT_MS),
    ...tlsServerOptions,
    ...ingestOptions,
    ...caOption,
    ...logFormatOption,
  },
  async run({ values, io }) {
    const out = commandOutput(parseLogFormat(values['log-format']), io);
    const listen = parseListen('--listen', values.listen!);
    const interval = values['checkpoint-interval'] === undefined ? undefined
      : parseIntOption('--checkpoint-interval', values['checkpoint-interval'], 1, 3_600_000);
    const witnesses = (values.witness ?? []).map(parseWitnessFlag);
    const quorum = values.quorum === undefined ? undefined : parseIntOption('--quorum', values.quorum, 0, witnesses.length);
    if (quorum !== undefined && witnesses.length === 0 && quorum > 0) throw new UsageError('--quorum needs --witness');
    const bounds = parseListenerOptions(values, DEFAULT_REQUEST_TIMEOUT_MS);
    const retryMin = values['witness-retry-min'] === undefined ? undefined
      : parseIntOption('--witness-retry-min', values['witness-retry-min'], 1, MAX_WITNESS_RETRY_MS);
    const retryMax = values['witness-retry-max'] === undefined ? undefined
      : parseIntOption('--witness-retry-max', values['witness-retry-max'], 1, MAX_WITNESS_RETRY_MS);
    if ((retryMax ?? DEFAULT_WITNESS_MAX_BACKOFF_MS) < (retryMin ?? DEFAULT_WITNESS_INITIAL_BACKOFF_MS)) {
      throw new UsageError('--witness-retry-max must be at least --witness-retry-min');
    }
    const p2pListen = (values['p2p-listen'] ?? []).map((v) => parseP2pListen('--p2p-listen', v));
    const scrub = values['search-index-scrub'];
    if (scrub !== undefined && scrub !== 'full' && scrub !== 'off') throw new UsageError(`--search-index-scrub: full or off, not ${JSON.stringify(scrub)}`);
    if (scrub !== undefined && values['search-index'] === undefined) throw new UsageError('--search-index-scrub needs --search-index');
    const p2pWitnesses = witnesses.filter((w) => w.url.startsWith('/'));
    if (p2pListen.length > 0 && p2pWitnesses.length === 0) throw new UsageError('--p2p-listen needs a --witness MULTIADDR=VKEY');
    const tls = await readTlsFlags(values);
    const ingestSettings = await parseIngestOptions(values, values.tokens !== undefined);
    await trustCa(values.ca);
    const signerKey = await readKeyFile(values.key!);
    const retention = values.retention === undefined ? undefined : await readRetention(values.retention);
    const receipt = await loadReceiptKey(values.data!, values['receipt-key'], values.origin ?? keyNameOf(signerKey));
    const logger = out.logger;
    let host: GossipHost | undefined;
    // libp2p is loaded only when a witness is reached over it (it takes a while to import).
    const gossip = p2pWitnesses.length > 0 ? await import('@cairn/gossip') : undefined;
    if (gossip !== undefined) {
      const { createGossipHost, GossipError } = gossip;
      try {
        host = await createGossipHost({ dataDir: values.data!, listen: p2pListen, peers: p2pWitnesses.map((w) => w.url), log: (m) => logger.debug('p2p', { message: m }) });
      } catch (e) {
        if (e instanceof GossipError) throw new UsageError(`--witness/--p2p-listen: ${e.message}`);
        throw new CommandFailure(`cannot start libp2p: ${(e as Error).message}`);
      }
    }
    const p2p = host;
    let tokens;
    if (values.tokens !== undefined) {
      try {
        tokens = await loadTokens(values.tokens);
      } catch (e) {
        throw new UsageError(`--tokens: ${(e as Error).message}`);
      }
    }
    let node: LogNode;
    try {
      const storage = await openLevelStorage(values.data!);
      node = await LogNode.open({
        storage, signerKey, logger, receiptSignerKey: receipt.signerKey,
        ...(retention !== undefined ? { retention } : {}),
        ...(values.origin !== undefined ? { origin: values.origin } : {}),
        ...(interval !== undefined ? { checkpointIntervalMs: interval } : {}),
        ...(values.dedupe ? { dedupe: true } : {}),
        ...(witnesses.length > 0 ? { witnesses } : {}),
        ...(p2p === undefined || gossip === undefined ? {} : {
          witnessStream: (target: string, body: Uint8Array, signal: AbortSignal) => gossip.sendAddCheckpoint(p2p.node, target, body, { signal }),
        }),
        ...(quorum !== undefined ? { quorum } : {}),
        witnessTiming: {
          ...(retryMin !== undefined ? { initialBackoffMs: retryMin } : {}),
          ...(retryMax !== undefined ? { maxBackoffMs: retryMax } : {}),
        },
      });
    } catch (e) {
      await host?.stop();
      if (e instanceof LogError && e.code === 'config') throw new UsageError(e.message);
      if (e instanceof LogError) throw new CommandFailure(`cannot open the log in ${values.data}: ${e.message}`);
      throw e;
    }
    await node.start();
    // A witness reached over libp2p that connects again ends its backoff at once.
    p2p?.node.addEventListener('peer:connect', (evt) => node.witnessReachable(evt.detail.toString()));
    let server;
    // The index opens in the background: the log never waits for it (lib/search-index.ts).
    // Named without a password (a URL may hold one): `PGlite in DIR`, `PostgreSQL postgres://user@host:port/db`.
    const indexAt = values['search-index'] === undefined ? undefined : describeSearchIndex(values['search-index']);
    const searchIndex: RunningSearchIndex | undefined = values['search-index'] === undefined ? undefined
      : startSearchIndex(values['search-index'], node, {
        ready: (s) => out.say(`search index ready: ${indexAt} (indexed to ${s.cursor} of ${s.size}, lag ${s.lag})`, { searchIndexLag: s.lag }),
        failed: (m) => logger.error('search index failed to open; events.search is unavailable', { index: indexAt, error: m }),
        behind: (e) => logger.warn('search index catch-up failed; retrying', { code: e.code, error: e.message }),
      }, scrub === undefined ? {} : { eraseScrub: scrub });
    try {
      server = await startLogServer({ node, events: node, listen, tokens, logger, tls, ...bounds, ...(searchIndex !== undefined ? { search: searchIndex.served } : {}) });
    } catch (e) {
      await searchIndex?.stop();
      await node.stop();
      await host?.stop();
      if (e instanceof ApiError || (e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new CommandFailure(`cannot listen on ${values.listen}: ${(e as Error).message}`, EXIT_IO);
      }
      throw e;
    }
    let ingest: RunningIngest | undefined;
    if (ingestSettings !== undefined) {
      try {
        ingest = await startIngestListener({ settings: ingestSettings, values, sink: node, tokens, bounds, requestDefaultMs: DEFAULT_REQUEST_TIMEOUT_MS, logger, dataDir: values.data! });
      } catch (e) {
        await server.close();
        await searchIndex?.stop();
        await node.stop();
        await host?.stop();
        throw new CommandFailure(`cannot listen on ${values['ingest-listen'] ?? values['ingest-syslog-listen']}: ${(e as Error).message}`, EXIT_IO);
      }
    }
    const size = node.latestCheckpoint()?.size ?? 0n;
    // Signal handlers go in before the first start-up line: whoever waits for it may stop us at once.
    const stopSignal = untilSignal();
    out.say(`cairn log listening on ${server.url}`, { url: server.url });
    out.say(`origin ${node.origin}`, { origin: node.origin });
    out.say(`vkey ${node.verifierKey}`, { vkey: node.verifierKey });
    out.say(`receipt vkey ${receipt.vkey} (${receipt.path}${receipt.created ? ', created now' : ''})`, { receiptVkey: receipt.vkey });
    if (retention !== undefined) out.say(`retention ${values.retention} (${retention.rules.length} rules, applied every ${DEFAULT_RETENTION_INTERVAL_MS / 60_000} minutes)`);
    out.say(`checkpoint ${server.url}/checkpoint (size ${size})`, { size });
    out.say(`trpc ${server.url}/trpc${tokens ? '' : ' (no --tokens: submissions are refused)'}`);
    out.say(`metrics ${server.url}/metrics`);
    if (searchIndex !== undefined) out.say(`search index ${indexAt} opening in the background (events.search answers 503 until ready)`);
    out.say(limitsLine(bounds, DEFAULT_REQUEST_TIMEOUT_MS));
    for (const w of witnesses) out.say(`witness ${w.url} ${w.vkey}`);
    if (p2p !== undefined) {
      out.say(`p2p id ${p2p.peerId.toString()}`);
      for (const a of p2p.multiaddrs()) out.say(`p2p listening on ${a.toString()}`);
    }
    if (witnesses.length > 0) out.say(`quorum ${quorum ?? witnesses.length} of ${witnesses.length}`);
    if (ingest !== undefined) {
      if (ingest.url !== undefined) out.say(`cairn ingest listening on ${ingest.url} (POST /k8s/audit, /v1/logs, /events)`, { ingestUrl: ingest.url });
      if (ingest.syslog !== undefined) {
        const src = ingestSettings?.syslog?.source;
        out.say(`cairn syslog listening on ${ingest.syslog.url} (RFC 5424, octet counting; as source ${src ?? 'of the client certificate'}; no acknowledgement)`, { syslogUrl: ingest.syslog.url });
      }
      if (ingestSettings?.tls !== undefined) out.say(`ingest tls certificate ${values['ingest-tls-cert']} (serial ${leafSerial(ingestSettings.tls)}), reloaded on SIGHUP`);
      if (ingestSettings?.clientCa !== undefined) out.say(`ingest client certificates from ${values['ingest-client-ca']} (subjects mapped in ${values.tokens})`);
    }
    if (tls !== undefined) out.say(`tls certificate ${values['tls-cert']} (serial ${leafSerial(tls)}), reloaded on SIGHUP`);
    const tokensWatch = tokens === undefined || values.tokens === undefined ? undefined
      : watchTokens(values.tokens, tokens, { logger, debounceMs: TOKENS_RELOAD_DEBOUNCE_MS });
    if (tokensWatch !== undefined) {
      out.say(`tokens ${values.tokens} (${tokens!.size}), reloaded when the file changes (watched, ${TOKENS_RELOAD_DEBOUNCE_MS} ms debounce) and on SIGHUP`);
    }
    const listening = server;
    const offHangup = onHangup(async () => {
      logger.info('SIGHUP: reloading', { tls: tls !== undefined, tokens: tokensWatch !== undefined });
      if (tls !== undefined) await reloadTls(listening, values, logger);
      await ingest?.reloadTls(logger);
      await tokensWatch?.reload('SIGHUP');
    });
    logger.info('started', { url: server.url, origin: node.origin, size: size.toString(), data: values.data });
    const sig = await stopSignal;
    logger.info('stopping', { signal: sig });
    tokensWatch?.close();
    await ingest?.close();
    await server.close();
    await searchIndex?.stop();
    await node.stop();
    await host?.stop();
    offHangup(); // only now: a SIGHUP while stopping is ignored too
    logger.info('stopped', { size: (node.latestCheckpoint()?.size ?? 0n).toString() });
    return 0;
  },
});

/** Largest retention policy file read (bytes). */
const MAX_RETENTION_FILE = 1 << 20;

/** Reads and validates `--retention FILE`; errors name the field. */
async function readRetention(file: string): Promise<RetentionPolicy> {
  const text = new TextDecoder().decode(await readBounded(file, MAX_RETENTION_FILE));
  try {
    return parseRetentionPolicy(text);
  } catch (e) {
    if (e instanceof LogError) throw new UsageError(`--retention ${file}: ${e.message}`);
    throw e;
  }
}

/** The name of a signer key (the default origin); a bad key is reported by LogNode.open. */
function keyNameOf(signerKey: string): string {
  try {
    return parseSignerKey(signerKey).name;
  } catch (e) {
    if (e instanceof FormatError) throw new UsageError(`--key: not a signer key: ${e.message}`);
    throw e;
  }
}

/**
 * `URL=VKEY`: the witness's base URL (its add-checkpoint endpoint is URL/add-checkpoint), or
 * `MULTIADDR=VKEY` with a `/…/p2p/<peer ID>` multiaddr (libp2p; a multiaddr has no `=`).
 */
export function parseWitnessFlag(value: string): { url: string; vkey: string } {
  const eq = value.indexOf('=');
  if (eq < 0) throw new UsageError(`--witness must be URL=VKEY or MULTIADDR=VKEY, got "${value}"`);
  const target = value.slice(0, eq);
  const url = target.startsWith('/') ? parseP2pAddr('--witness', target) : parseUrlOption('--witness', target);
  return { url, vkey: value.slice(eq + 1) };
}
