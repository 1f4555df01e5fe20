/**
 * Every command of the CLI, in the order `cairn --help` lists them. An entry holds only what the
 * top-level help prints; its command module (options, help, handler, and the heavy modules the
 * handler needs) is imported when that command runs, so `cairn --help` loads none of them.
 * A test checks that each entry's name and summary are those of the command it loads.
 */
import type { Command, CommandEntry } from './command.js';

function entry(name: string, summary: string, load: () => Promise<Command>): CommandEntry {
  return { name, summary, load };
}

// Command modules type their options precisely; the dispatcher sees the general shape.
const as = (c: unknown) => c as Command;

export const commands: readonly CommandEntry[] = [
  entry('demo', 'Run a log and three witnesses locally, submit audit events, verify a proof; print how to try the rest',
    async () => as((await import('./commands/demo.js')).demo)),
  entry('keygen', 'Create an Ed25519 signer key (file mode 0600) and print its verifier key',
    async () => as((await import('./commands/keygen.js')).keygen)),
  entry('note verify', 'Verify a signed note (a checkpoint) and its cosignatures',
    async () => as((await import('./commands/note-verify.js')).noteVerify)),
  entry('log serve', 'Run a log node: durable ingestion, C2SP tiles and signed checkpoints, tRPC API',
    async () => as((await import('./commands/log-serve.js')).logServe)),
  entry('log tokens add', 'Create a token (writer, reader or admin) for a source and print it once',
    async () => as((await import('./commands/log-tokens-add.js')).logTokensAdd)),
  entry('log tokens revoke', 'Revoke the submission token of a source',
    async () => as((await import('./commands/log-tokens-revoke.js')).logTokensRevoke)),
  entry('log sources add', 'Add a producer of the ingestion listener: print its writer token, or map its client certificate',
    async () => as((await import('./commands/log-sources-add.js')).logSourcesAdd)),
  entry('events submit', 'Submit OCSF audit events (JSON lines) to a log; prints each event\'s index, one per line, in input order',
    async () => as((await import('./commands/events-submit.js')).eventsSubmit)),
  entry('events get', 'Fetch one event by index: its canonical JSON (or, once erased, the record of its erasure)',
    async () => as((await import('./commands/events-read.js')).eventsGet)),
  entry('events prove', 'Write an event proof (event, salt, leaf and tlog-proof bundle) for offline verification',
    async () => as((await import('./commands/events-read.js')).eventsProve)),
  entry('events erase', 'Erase events\' bodies (GDPR erasure): leaves and proofs stay valid, the erasure is logged',
    async () => as((await import('./commands/events-read.js')).eventsErase)),
  entry('events sources', 'List the sources that sent events: next sequence number and last index of each',
    async () => as((await import('./commands/events-read.js')).eventsSources)),
  entry('search', 'Search a log\'s events with a query; every hit verified under a policy (event proof + the query re-run on the event), and the answer proven complete for one source\'s seq or time range',
    async () => as((await import('./commands/search.js')).search)),
  entry('tail', 'Follow a log\'s new events matching a query, each checked as it arrives and proven once cosigned',
    async () => as((await import('./commands/tail.js')).tail)),
  entry('receipts check', 'Check that the log kept the promises of its receipts: kept, pending or broken (with the evidence)',
    async () => as((await import('./commands/receipts-check.js')).receiptsCheck)),
  entry('submit', 'Submit entries to a log; prints each entry\'s index, one per line, in input order',
    async () => as((await import('./commands/submit.js')).submit)),
  entry('get', 'Fetch one entry by index (raw bytes to standard output, or --out FILE, or --json)',
    async () => as((await import('./commands/get.js')).get)),
  entry('prove', 'Write a tlog-proof bundle (entry inclusion + checkpoint) for offline verification',
    async () => as((await import('./commands/prove.js')).prove)),
  entry('verify', 'Verify an entry under a trust policy, from a tlog-proof bundle or from the log',
    async () => as((await import('./commands/verify.js')).verify)),
  entry('monitor', 'Follow a log: verify every checkpoint, tile and entry; alarm on forks, rollbacks, stalls, lost quorum, sequence gaps',
    async () => as((await import('./commands/monitor.js')).monitor)),
  entry('status', 'Show what a running log or witness reports: sizes, checkpoint ages, witnesses, queue, alarms, evidence',
    async () => as((await import('./commands/status.js')).status)),
  entry('witness serve', 'Run a tlog-witness: cosign checkpoints of trusted logs, never rolling back',
    async () => as((await import('./commands/witness-serve.js')).witnessServe)),
  entry('witness p2p-id', 'Print the libp2p peer ID of a data directory (creating its p2p.key if needed)',
    async () => as((await import('./commands/witness-p2p-id.js')).witnessP2pId)),
  entry('witness clear', 'Let a stopped witness cosign an origin again after it proved misbehaviour',
    async () => as((await import('./commands/witness-clear.js')).witnessClear)),
  entry('evidence list', "List a witness's split-view evidence records (one JSON record per line, newest first)",
    async () => as((await import('./commands/evidence-list.js')).evidenceList)),
  entry('evidence verify', 'Check, offline, whether an evidence record proves that a log misbehaved',
    async () => as((await import('./commands/evidence-verify.js')).evidenceVerify)),
];
