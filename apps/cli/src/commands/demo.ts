/**
 * `cairn demo`: a whole Cairn deployment on 127.0.0.1 in one command — a log and three
 * witnesses as child processes of this CLI (joined over libp2p in a full mesh), five OCSF audit
 * events submitted through the events API with receipts and cosigned, an event proof exported
 * and verified under a 2-of-3 policy —
 * then every URL, key and ready-to-paste command, until SIGINT/SIGTERM.
 *
 * The demo drives the other commands only as child processes, through their command lines: it
 * imports none of their modules (nor the registry), so it depends on their flags, not their code.
 */
import { resolve as resolvePath, join } from 'node:path';
import { readFile, writeFile } from 'node:fs/promises';
import { parseVerifierKey, utf8Encode } from '@cairn/formats';
import { checkReceiptPromise, openReceipt, verifyEventProof } from '@cairn/events';
import { createLogClient, createLogFetcher, createTilesFetcher, fetchAndVerifyEntry, loadPolicy, verifyCheckpoint } from '@cairn/client';
import { CommandFailure, defineCommand, EXIT_IO, type Io, type Values } from '../command.js';
import { cliDisplayName, runCliChild, spawnCli, type Child } from '../lib/demo-children.js';
import { demoIngestCommands, feedDemoIngest } from '../lib/demo-ingest.js';
import { demoEvents } from '../lib/demo-events.js';
import { DEMO_ORIGIN, DEMO_QUORUM, freshPort, prepareDemo, saveDemoJson, writeDemoPolicy, type DemoSetup } from '../lib/demo-setup.js';
import { onHangup, untilSignal } from '../lib/signals.js';

/** Default demo directory, relative to the current directory (git-ignored in this repository). */
export const DEFAULT_DEMO_DIR = '.cairn-demo';
/** Longest wait for the submitted events to be cosigned. */
export const DEMO_COSIGN_TIMEOUT_MS = 30_000;
/** Ports the log (and each start of the witnesses) is tried on when one is taken before it listens. */
export const DEMO_LISTEN_ATTEMPTS = 3;
/** How the printed commands call this CLI. */
const CAIRN = cliDisplayName();
/** The line printed once everything is up (tests wait for it). */
export const DEMO_READY_LINE = 'demo: ready — press Ctrl-C to stop';

const WITNESS_LISTENING = /^cairn witness listening on (http:\/\/\S+)$/m;
const COSIGNATURE_VKEY = /^cosignature\/v1 (\S+)$/m;
/** The last `peer sync:` line of `witness serve` (it answers add-checkpoint from then on). */
const PEER_SYNC_DONE = /^peer sync: .*answering add-checkpoint/m;
const LOG_LISTENING = /^cairn log listening on (http:\/\/\S+)$/m;
const INGEST_LISTENING = /^cairn ingest listening on (http:\/\/\S+)/m;
const SYSLOG_LISTENING = /^cairn syslog listening on tcp:\/\/([0-9.]+):(\d+)/m;
const LOG_VKEY = /^vkey (\S+)$/m;
const LOG_SIZE = /^checkpoint \S+ \(size (\d+)\)$/m;
const LOG_RECEIPT_VKEY = /^receipt vkey (\S+)/m;
const PRINTED_PEER_ID = /^cairn witness p2p listening on \S*\/p2p\/(\S+)$/m;
const PEER_ID = /\b((?:12D3KooW|16Uiu2HAm|Qm)[1-9A-HJ-NP-Za-km-z]{20,})\b/;

const options = {
  dir: { type: 'string', value: 'DIR', description: `data, keys and logs (default ${DEFAULT_DEMO_DIR} in the current directory; reused on a re-run)` },
} as const;

/** SIGINT/SIGTERM arrived while starting. */
class DemoStopped extends Error {}

/** Shell-quotes a word for the printed commands. */
function q(s: string): string {
  return /^[A-Za-z0-9_\/.:=+@%,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The libp2p listen address of a witness child (`witness serve --p2p-listen`). */
function p2pListen(port: number): string {
  return `/ip4/127.0.0.1/tcp/${port}`;
}

interface Started {
  readonly children: Child[];
  readonly witnessUrls: string[];
  readonly gossip: boolean;
}

/**
 * Witnesses whose port another program took between the demo's check and their listen (they
 * exited with EADDRINUSE) get fresh ports, saved to demo.json; true when there were any.
 * A witness's error names the address it could not bind; when it names neither of its ports,
 * both are replaced.
 */
async function replaceTakenWitnessPorts(setup: DemoSetup, children: readonly Child[], say: (l: string) => void): Promise<boolean> {
  const taken = new Set([setup.ports.log, ...setup.ports.witnesses, ...setup.ports.p2p]);
  let replaced = false;
  for (const [i, c] of children.entries()) {
    const tail = c.stderrTail();
    if (c.proc.exitCode === null || !/EADDRINUSE/.test(tail)) continue;
    const http = setup.ports.witnesses[i]!;
    const p2p = setup.ports.p2p[i]!;
    const names = (port: number) => new RegExp(`[:/]${port}\\b`).test(tail);
    const which: ('witnesses' | 'p2p')[] = names(http) && !names(p2p) ? ['witnesses'] : names(p2p) && !names(http) ? ['p2p'] : ['witnesses', 'p2p'];
    for (const kind of which) {
      const busy = setup.ports[kind][i]!;
      setup.ports[kind][i] = await freshPort(taken);
      say(`${setup.witnesses[i]!.name}: ${kind === 'p2p' ? 'libp2p ' : ''}port ${busy} is busy now; retrying on ${setup.ports[kind][i]}`);
    }
    replaced = true;
  }
  if (replaced) await saveDemoJson(setup);
  return replaced;
}

async function startWitnesses(setup: DemoSetup, say: (l: string) => void, useGossip: boolean, logs: string, attempt = 1): Promise<Started> {
  let peerIds: string[] | undefined;
  if (useGossip && setup.peerIds !== undefined) {
    peerIds = setup.peerIds;
    say('gossip: joining the witnesses over libp2p (peer IDs from the last run)');
  } else if (useGossip) {
    say('gossip: learning the witnesses\' libp2p peer IDs (witness p2p-id)');
    const ids = await Promise.all(setup.witnesses.map((w) => runCliChild(`${w.name} p2p-id`, ['witness', 'p2p-id', '--data', w.dataDir], join(logs, `${w.name}.log`))));
    const parsed = ids.map((r) => (r.code === 0 ? PEER_ID.exec(r.stdout)?.[1] : undefined));
    if (parsed.every((p): p is string => p !== undefined)) peerIds = parsed;
    else say(`gossip: could not learn the peer IDs (${ids.map((r) => r.stderr || r.stdout).join('; ').slice(0, 300)}); running without gossip`);
  }
  const addr = (j: number) => `/ip4/127.0.0.1/tcp/${setup.ports.p2p[j]}/p2p/${peerIds![j]}`;
  const children = setup.witnesses.map((w, i) => {
    const args = ['witness', 'serve', '--log-format', 'text', '--data', w.dataDir, '--key', w.keyFile, '--listen', `127.0.0.1:${setup.ports.witnesses[i]}`, '--log', setup.logVkey];
    if (peerIds !== undefined) {
      args.push('--p2p-listen', p2pListen(setup.ports.p2p[i]!));
      setup.witnesses.forEach((o, j) => { if (j !== i) args.push('--peer', `${addr(j)}=${o.vkey}`); });
    }
    return spawnCli(w.name, args, join(logs, `${w.name}.log`));
  });
  try {
    const ready = await Promise.all(children.map((c) => c.waitFor({ url: WITNESS_LISTENING, vkey: COSIGNATURE_VKEY })));
    ready.forEach((r, i) => {
      if (r.vkey[1] !== setup.witnesses[i]!.vkey) throw new CommandFailure(`${setup.witnesses[i]!.name} printed the key ${r.vkey[1]}, not the one in its key file`);
    });
    if (peerIds !== undefined) {
      // A remembered peer ID that is no longer the witness's (its data directory was replaced): learn them again.
      const printed = children.map((c) => PRINTED_PEER_ID.exec(c.stdout())?.[1]);
      if (printed.some((p, i) => p !== undefined && p !== peerIds![i])) {
        await Promise.all(children.map((c) => c.stop()));
        say('gossip: the witnesses\' peer IDs changed since the last run; learning them again');
        setup.peerIds = undefined;
        return startWitnesses(setup, say, useGossip, logs, attempt);
      }
      if (setup.peerIds === undefined) {
        setup.peerIds = peerIds;
        await saveDemoJson(setup);
      }
    }
    // With peers a witness answers add-checkpoint only once it has asked them what they hold
    // (503 until then): start the log after that, so its first checkpoint is cosigned at once.
    if (peerIds !== undefined) await Promise.all(children.map((c) => c.waitFor({ sync: PEER_SYNC_DONE })));
    return { children, witnessUrls: ready.map((r) => r.url[1]!), gossip: peerIds !== undefined };
  } catch (e) {
    await Promise.all(children.map((c) => c.stop()));
    // A port taken since it was chosen: the same start again on fresh ports (bounded).
    if (attempt < DEMO_LISTEN_ATTEMPTS && await replaceTakenWitnessPorts(setup, children, say)) {
      return startWitnesses(setup, say, useGossip, logs, attempt + 1);
    }
    if (setup.peerIds !== undefined) {
      setup.peerIds = undefined;
      await saveDemoJson(setup);
    }
    if (peerIds !== undefined) {
      say(`gossip: the witnesses did not start with libp2p (${(e as Error).message.slice(0, 300)}); retrying without gossip`);
      return startWitnesses(setup, say, false, logs, attempt);
    }
    throw e;
  }
}

/** Test-only hooks of {@link runDemo}. */
export interface DemoHooks {
  /** Runs after the ports were chosen and checked free, before the witnesses start (a test takes one here). */
  readonly afterPortsChosen?: (setup: DemoSetup) => Promise<void>;
}

/** The command body, with the stop signal injectable. */
export async function runDemo(values: Values<typeof options>, io: Io, until: () => Promise<string> = untilSignal, hooks: DemoHooks = {}): Promise<number> {
  const dir = resolvePath(values.dir ?? DEFAULT_DEMO_DIR);
  const say = (l: string) => io.out(`demo: ${l}`);
  let stopping: string | undefined;
  const stopped = until().then((s) => { stopping = s; return s; });
  const children: Child[] = [];
  const stopAll = async () => {
    // The log first (it finishes what was acknowledged), then the witnesses.
    const log = children.find((c) => c.name === 'log');
    if (log !== undefined) await log.stop();
    await Promise.all(children.filter((c) => c !== log).map((c) => c.stop()));
  };
  const check = () => {
    if (stopping !== undefined) throw new DemoStopped(`stopped by ${stopping} while starting`);
  };

  try {
    say(`starting in ${dir}`);
    const setup = await prepareDemo(dir, say);
    const logs = join(dir, 'logs');
    await hooks.afterPortsChosen?.(setup);
    check();
    say(`witnesses: starting ${setup.witnesses.length} (\`cairn witness serve\`, output in ${logs})`);
    const w = await startWitnesses(setup, say, true, logs);
    children.push(...w.children);
    w.witnessUrls.forEach((u, i) => say(`witnesses: ${setup.witnesses[i]!.name} listening on ${u}`));
    check();

    say(`log: starting (\`cairn log serve\` with ${w.witnessUrls.length} witnesses, quorum ${DEMO_QUORUM})`);
    const logArgs = (port: number) => ['log', 'serve', '--log-format', 'text', '--data', setup.logData, '--key', setup.logKeyFile, '--listen', `127.0.0.1:${port}`, '--tokens', setup.tokensFile,
      '--ingest-listen', '127.0.0.1:0', '--ingest-syslog-listen', '127.0.0.1:0', '--ingest-syslog-source', 'demo-syslog',
      ...w.witnessUrls.flatMap((u, i) => ['--witness', `${u}=${setup.witnesses[i]!.vkey}`]), '--quorum', String(DEMO_QUORUM)];
    let l: Record<'url' | 'vkey' | 'size' | 'receipt' | 'ingest' | 'syslog', RegExpExecArray> | undefined;
    const taken = new Set([...setup.ports.witnesses, ...setup.ports.p2p]);
    for (let attempt = 1; l === undefined; attempt++) {
      const log = spawnCli('log', logArgs(setup.ports.log), join(logs, 'log.log'));
      children.push(log);
      try {
        l = await log.waitFor({ url: LOG_LISTENING, vkey: LOG_VKEY, size: LOG_SIZE, receipt: LOG_RECEIPT_VKEY, ingest: INGEST_LISTENING, syslog: SYSLOG_LISTENING });
      } catch (e) {
        // The port was free when chosen but another program took it since: take another one.
        const inUse = log.proc.exitCode !== null && /EADDRINUSE/.test(log.stderrTail());
        if (!inUse) throw new CommandFailure(`the log did not start: ${(e as Error).message}`);
        children.splice(children.indexOf(log), 1);
        if (attempt >= DEMO_LISTEN_ATTEMPTS) {
          throw new CommandFailure(`the log could not listen: port ${setup.ports.log} is in use (${attempt} ports tried); free a port or pass another --dir`, EXIT_IO);
        }
        const busy = setup.ports.log;
        taken.add(busy);
        setup.ports.log = await freshPort(taken);
        await saveDemoJson(setup);
        say(`log: port ${busy} is busy now; retrying on ${setup.ports.log}`);
        check();
      }
    }
    const logUrl = l.url[1]!;
    if (l.vkey[1] !== setup.logVkey) throw new CommandFailure(`the log printed the key ${l.vkey[1]}, not the one in ${setup.logKeyFile}`);
    say(`log: ${DEMO_ORIGIN} listening on ${logUrl} (tree size ${l.size[1]} at start)`);
    await writeDemoPolicy(setup, logUrl, w.witnessUrls);
    const policy = loadPolicy(await readFile(setup.policyFile, 'utf8'), setup.policyFile);
    say(`policy: wrote ${setup.policyFile} (the log key + ${setup.witnesses.length} witnesses, quorum ${DEMO_QUORUM})`);
    check();

    // Submit the events (OCSF, through events.submit with receipts), and wait for the witnesses' cosignatures.
    const events = demoEvents(Date.now());
    say(`events: submitting ${events.length} OCSF audit events, waiting for ${DEMO_QUORUM} cosignatures`);
    const client = createLogClient(logUrl, { token: setup.token });
    const res = await client.events.submit.mutate(
      { events: events.map((e) => JSON.stringify(e.event)), wait: 'cosigned' },
      { signal: AbortSignal.timeout(DEMO_COSIGN_TIMEOUT_MS) },
    );
    res.indices.forEach((idx, i) => io.out(`  event ${idx} (seq ${res.seqs[i]}): ${events[i]!.summary}`));
    for (const [i, idx] of res.indices.entries()) await writeFile(join(dir, 'receipts', `${idx}.receipt`), res.receipts![i]!);

    const now = Math.floor(Date.now() / 1000);
    const note = await createTilesFetcher(logUrl).checkpoint();
    const cp = verifyCheckpoint(note, policy, { now });
    io.out('');
    io.out(`cosigned checkpoint (${logUrl}/checkpoint): size ${cp.size}, cosigned by ${cp.witnesses.map((x) => x.name).join(', ')}`);
    for (const line of note.replace(/\n$/, '').split('\n')) io.out(`  | ${line}`);

    // The receipts' promise, judged against that checkpoint.
    const receiptVerifier = parseVerifierKey(l.receipt[1]!);
    const cosignedAt = cp.witnesses.reduce((m, x) => (x.timestamp > m ? x.timestamp : m), 0n);
    const verdicts = res.receipts!.map((r) => checkReceiptPromise(openReceipt(r, receiptVerifier), [{ origin: cp.origin, size: cp.size, time: cosignedAt, note }]));
    io.out('');
    io.out(`receipts: ${join(dir, 'receipts')} (signed by ${l.receipt[1]}): ${verdicts.map((v) => v.status).join(', ')}`);

    // One event proof (the kubectl exec), fetched with the reader token and verified offline under the policy.
    const eventIndex = BigInt(res.indices[2] ?? res.indices[0]!);
    const reader = createLogClient(logUrl, { token: setup.readerToken });
    const { proof } = await reader.events.prove.query({ index: eventIndex.toString() });
    const eventProofFile = join(dir, 'proofs', `event-${eventIndex}.event-proof`);
    await writeFile(eventProofFile, proof, { mode: 0o600 });
    const ev = verifyEventProof(utf8Encode(proof), { verifyCheckpoint: (n) => verifyCheckpoint(n, policy, { now }) });
    io.out('');
    io.out(`event proof: ${eventProofFile}`);
    io.out(`verified: event ${ev.index} (class ${ev.event.classUid}, source ${ev.leaf.source} seq ${ev.leaf.seq}) is in ${ev.checkpoint.origin} at tree size ${ev.checkpoint.size}; ` +
      'its salt opens the public leaf\'s commitment, and the leaf holds no personal data');

    // The leaf's own tlog-proof bundle, which any tlog tool checks (and which outlives an erasure).
    const index = eventIndex;
    const got = await fetchAndVerifyEntry(createLogFetcher(logUrl), index, policy, { now });
    const bundleFile = join(dir, 'proofs', `entry-${index}.tlog-proof`);
    const entryFile = join(dir, 'proofs', `entry-${index}.leaf`);
    await writeFile(bundleFile, got.bundle);
    await writeFile(entryFile, ev.leafBytes);
    io.out(`leaf bundle: ${bundleFile} (verified: entry ${got.index}, cosigned by ${got.checkpoint.witnesses.map((x) => `${x.name} at ${x.timestamp}`).join(', ')})`);

    // Producers through the ingestion listener (kube-apiserver, an OTLP exporter, rsyslog).
    const syslog = { host: l.syslog[1]!, port: Number(l.syslog[2]) };
    io.out('');
    for (const line of await feedDemoIngest({ ingestUrl: l.ingest[1]!, syslog, token: setup.token, now: Date.now() })) io.out(`ingest: ${line}`);

    printGuide(io, setup, logUrl, w.witnessUrls, w.gossip, index, bundleFile, entryFile, eventProofFile, l.receipt[1]!);
    io.out('');
    io.out('Send more through the ingestion listener (docs/ingest/):');
    for (const c of demoIngestCommands(l.ingest[1]!, syslog, setup.tokenFile)) io.out(`  ${c}`);
    io.out('');
    io.out(DEMO_READY_LINE);

    const why = await Promise.race([
      stopped,
      ...children.map((c) => c.exited.then(({ code, signal }) => `${c.name} exited unexpectedly (${code ?? signal}); see ${join(logs, `${c.name}.log`)}`)),
    ]);
    if (stopping === undefined) {
      io.err(`demo: ${why}`);
      await stopAll();
      return 1;
    }
    say(`stopping (${why}): the log, then the witnesses`);
    await stopAll();
    say(`stopped; the data stays in ${dir} (run \`${CAIRN} demo${values.dir !== undefined ? ` --dir ${q(values.dir)}` : ''}\` again to resume)`);
    return 0;
  } catch (e) {
    await stopAll();
    if (e instanceof DemoStopped || stopping !== undefined) {
      say(e instanceof DemoStopped ? e.message : `stopped by ${stopping} while starting (${(e as Error).message})`);
      return 0;
    }
    throw e;
  }
}

function printGuide(io: Io, s: DemoSetup, logUrl: string, witnessUrls: string[], gossip: boolean, index: bigint, bundle: string, entry: string,
  eventProof: string, receiptVkey: string): void {
  const o = (l = '') => io.out(l);
  o('');
  o('Cairn demo');
  o(`  log            ${logUrl}    (origin ${DEMO_ORIGIN})`);
  o(`  log vkey       ${s.logVkey}`);
  s.witnesses.forEach((w, i) => o(`  ${w.name.padEnd(14)} ${witnessUrls[i]}    cosignature/v1 ${w.vkey}`));
  o(`  gossip         ${gossip ? `libp2p full mesh on 127.0.0.1 ports ${s.ports.p2p.join(', ')}` : 'off (witnesses run without libp2p gossip)'}`);
  o(`  policy         ${s.policyFile}`);
  o(`  token file     ${s.tokenFile}    (source "demo", writer; tokens in ${s.tokensFile})`);
  o(`  reader token   ${s.readerTokenFile}    admin token ${s.adminTokenFile}`);
  o(`  receipt vkey   ${receiptVkey}`);
  o(`  data and logs  ${s.dir}`);
  o('');
  o(CAIRN === 'pnpm cairn' ? 'Try (from the repository root):' : 'Try:');
  const p = (l: string) => o(`  ${l}`);
  const ev = JSON.stringify({
    class_uid: 3002, category_uid: 3, activity_id: 1, type_uid: 300201, severity_id: 1, status_id: 1, time: 1767225600000,
    metadata: { version: '1.3.0', product: { name: 'sshd' } }, user: { name: 'you' }, src_endpoint: { ip: '192.0.2.1' },
  });
  const reader = `CAIRN_TOKEN=$(cat ${q(s.readerTokenFile)})`;
  p(`echo '${ev}' | CAIRN_TOKEN=$(cat ${q(s.tokenFile)}) ${CAIRN} events submit --url ${logUrl} --wait checkpoint --receipts ${q(join(s.dir, 'receipts'))} -`);
  p(`${reader} ${CAIRN} events get --url ${logUrl} --index ${index}`);
  p(`${reader} ${CAIRN} events prove --url ${logUrl} --index ${index} --out ${q(join(s.dir, 'proofs', 'mine.event-proof'))}`);
  p(`${CAIRN} verify --policy ${q(s.policyFile)} --event ${q(eventProof)}`);
  p(`${CAIRN} receipts check --policy ${q(s.policyFile)} --url ${logUrl} --receipt-key ${receiptVkey} ${q(join(s.dir, 'receipts'))}/*.receipt`);
  p(`${reader} ${CAIRN} events sources --url ${logUrl}`);
  p(`CAIRN_TOKEN=$(cat ${q(s.adminTokenFile)}) ${CAIRN} events erase --url ${logUrl} --reason 'demo erasure' ${index}`);
  p(`${CAIRN} get --url ${logUrl} --index ${index} --json`);
  p(`${CAIRN} prove --url ${logUrl} --index ${index} --out ${q(join(s.dir, 'proofs', 'mine.tlog-proof'))}`);
  p(`${CAIRN} verify --policy ${q(s.policyFile)} --bundle ${q(bundle)} --entry-file ${q(entry)}`);
  p(`${CAIRN} verify --policy ${q(s.policyFile)} --url ${logUrl} --index ${index}`);
  p(`${CAIRN} monitor --policy ${q(s.policyFile)} --url ${logUrl} --state ${q(join(s.dir, 'monitor'))} --once`);
  p(`curl -s ${logUrl}/checkpoint | ${CAIRN} note verify --vkey ${s.logVkey} ${s.witnesses.map((w) => `--cosigner ${w.vkey}`).join(' ')} --min ${DEMO_QUORUM} -`);
  p(`${CAIRN} evidence list --url ${witnessUrls[0]}`);
}

export const demo = defineCommand({
  name: 'demo',
  summary: 'Run a log and three witnesses locally, submit audit events, verify a proof; print how to try the rest',
  details: `
Starts on 127.0.0.1, as child processes of this CLI, three witnesses (\`witness serve\`, joined
over libp2p in a full mesh) and a log (\`log serve\` with the
three witnesses, quorum ${DEMO_QUORUM}). On the first run it creates the keys, a submission token and
LevelDB data directories in --dir; a re-run reuses them (same keys, the tree keeps growing,
the same ports when free; a busy port is replaced by a free one, and it says which). It submits five OCSF audit events (a logon with MFA from a
managed laptop, a failed logon, a \`kubectl exec\` into production, a secret read, a role grant)
through the events API, keeps their signed receipts in DIR/receipts, waits for the cosigned
checkpoint and prints it, checks the receipts' promise against it, exports one event proof
(with a reader token) and its leaf's tlog-proof bundle and verifies both under a tlog-policy file
it writes (the log key and the 3 witnesses, quorum ${DEMO_QUORUM}), then prints every URL, key and a ready-to-paste
command for the other commands, and runs until SIGINT/SIGTERM, which stop the children
cleanly. The children's output goes to DIR/logs/.`,
  options,
  async run({ values, io }) {
    // A SIGHUP (e.g. the terminal closing) does not end the demo; SIGINT/SIGTERM do.
    const offHangup = onHangup(() => io.err('demo: SIGHUP ignored (stop with Ctrl-C or SIGTERM)'));
    try {
      return await runDemo(values, io);
    } finally {
      offHangup();
    }
  },
});
