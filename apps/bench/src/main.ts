/**
 * `pnpm bench <suite> [options]`: Cairn's benchmarks. Each prints one line per figure with its
 * conditions; results and commands are recorded in docs/benchmarks.md. Suites: core, log, witness,
 * gossip, cli, events, ingest. `pnpm bench` runs the compiled benchmarks (apps/bench/dist) and CLI.
 */
import { parseArgs } from 'node:util';
import { benchCore } from './core.js';
import { benchLog, DEFAULT_CLIENTS, DEFAULT_LOG_ENTRIES } from './log.js';
import { benchWitness } from './witness.js';
import { benchGossip } from './gossip.js';
import { benchCli } from './cli.js';
import { benchEvents, DEFAULT_EVENTS } from './events.js';
import { benchSearch, DEFAULT_SEARCH_EVENTS } from './search.js';
import { benchIngest, DEFAULT_INGEST_EVENTS } from './ingest.js';

const HELP = `Usage: pnpm bench <suite> [options]

Suites:
  core    tree building, proof verification, Ed25519 and cosignature rates (each backend)
  witness add-checkpoint requests/s with persistence; submit → cosigned by 3 witnesses p50/p99
  log     the log node over tRPC, fsync on: durable ingestion, submit → checkpoint latency,
          inclusion proofs/s, server RSS after --entries entries (server in a child process)
  gossip  witness network on libp2p: split view → evidence at all 10 peers (median),
          gossiped checkpoints validated per second per node
  cli     the compiled CLI: \`cairn --help\` wall time (median of 10 runs), RSS at start of
          \`log serve\`, \`witness serve\` and \`demo\` (compiled, and from sources for comparison)
  events  audit events: parseEvent, buildLeaf, receipts on one core; the log node and tRPC
          events.submit (fsync'd) against raw entries of the same ~1 KB bytes
  search  a log node (LevelDB) filled with --events OCSF events, its index (@cairn/index on PGlite)
          built from empty (events/s), then p50/p99 of five typical queries: index only, and
          through events.search over loopback tRPC (first 100 hits with proofs); --index-only
          skips the node (events made as the index reads them)
  ingest  the ingestion listener of \`log serve --ingest-listen\` (child process, fsync on):
          k8s audit webhook EventLists of 400 ~1 KB events, OTLP/HTTP protobuf requests

Options:
  --entries N   core: entries for tree building (default 1000000);
                log: entries ingested before RSS is taken (default 200000; full run 10000000)
  --events N    events: events per figure (default 30000); ingest: events per figure (default 100000);
                search: events in the log (default 200000; the target's N is 10000000)
  --index-only  search: no log node, no tRPC figures
  --clients N   log, ingest: concurrent ingestion clients (default 4)
  --interval MS log: checkpoint interval of the server (default 100)
  --quick       shorter runs (for smoke tests)
  -h, --help    show this help`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: { entries: { type: 'string' }, events: { type: 'string' }, clients: { type: 'string' }, interval: { type: 'string' }, quick: { type: 'boolean' }, 'index-only': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help || positionals.length === 0) {
    process.stdout.write(HELP + '\n');
    return values.help ? 0 : 2;
  }
  const entries = values.entries === undefined ? undefined : Number(values.entries);
  const clients = values.clients === undefined ? DEFAULT_CLIENTS : Number(values.clients);
  const interval = values.interval === undefined ? undefined : Number(values.interval);
  const events = values.events === undefined ? undefined : Number(values.events);
  for (const [name, v] of [['--entries', entries], ['--clients', clients], ['--interval', interval], ['--events', events]] as const) {
    if (v !== undefined && (!Number.isSafeInteger(v) || v < (name === '--interval' ? 0 : 1))) {
      process.stderr.write(`${name} must be a positive integer\n`);
      return 2;
    }
  }
  for (const suite of positionals) {
    if (suite === 'witness') await benchWitness({ quick: values.quick === true });
    else if (suite === 'gossip') await benchGossip({ quick: values.quick === true });
    else if (suite === 'cli') await benchCli({ quick: values.quick === true });
    else if (suite === 'events') await benchEvents({ events: events ?? (values.quick ? 6000 : DEFAULT_EVENTS), quick: values.quick === true });
    else if (suite === 'ingest') await benchIngest({ events: events ?? (values.quick ? 4000 : DEFAULT_INGEST_EVENTS), clients, quick: values.quick === true });
    else if (suite === 'search') await benchSearch({ events: events ?? (values.quick ? 5000 : DEFAULT_SEARCH_EVENTS), runs: values.quick ? 10 : 50, indexOnly: values['index-only'] === true });
    else if (suite === 'core') await benchCore({ entries: entries ?? 1_000_000, quick: values.quick === true });
    else if (suite === 'log') {
      await benchLog({ entries: entries ?? DEFAULT_LOG_ENTRIES, clients, quick: values.quick === true, checkpointIntervalMs: interval });
    }
    else {
      process.stderr.write(`unknown suite ${suite}\n${HELP}\n`);
      return 2;
    }
  }
  return 0;
}

main(process.argv.slice(2)).then((c) => { process.exitCode = c; }, (e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
