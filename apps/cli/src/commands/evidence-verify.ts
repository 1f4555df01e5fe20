/** `cairn evidence verify`: re-checks a split-view evidence record offline. */
import { EvidenceError, MAX_EVIDENCE_SIZE, evidenceId, parseEvidence, verifyEvidence } from '@cairn/gossip/evidence';
import { ALG_ED25519, parseVerifierKey } from '@cairn/formats';
import { CommandFailure, EXIT_FAIL, UsageError, defineCommand } from '../command.js';
import { readBounded } from '../lib/files.js';

export const evidenceVerify = defineCommand({
  name: 'evidence verify',
  summary: 'Check, offline, whether an evidence record proves that a log misbehaved',
  usage: 'FILE',
  positionals: { min: 1, max: 1 },
  details: `
Reads one canonical evidence record (a line of \`cairn evidence list\`; "-" for standard input),
and re-checks it with no network: both checkpoint notes must verify under one log key, and then
either the two roots differ for one size (equivocation) or the consistency proof leads to the
larger signed root but not to the smaller one (inconsistency). Without --vkey the record's own
logVkeys are used (the record then proves that whoever holds that key signed both); with --vkey
only the given log keys count. Exit status: 0 proven; 1 not proven (including
"unproven-inconsistency" records and malformed files); 2 usage; 3 unreadable file.`,
  options: {
    vkey: { type: 'string', multiple: true, value: 'VKEY', description: "the log's verifier key to pin (type 0x01)" },
    json: { type: 'boolean', description: 'print one JSON object: {"id","kind","origin","logKeys","pinned","observer","createdAt","proven","reason"}' },
  },
  async run({ values, positionals, io }) {
    const vkeys = values.vkey ?? [];
    for (const k of vkeys) {
      let alg: number;
      try {
        alg = parseVerifierKey(k).alg;
      } catch (e) {
        throw new UsageError(`--vkey ${k}: ${(e as Error).message}`);
      }
      if (alg !== ALG_ED25519) throw new UsageError(`--vkey ${k}: not a log key (type 0x01)`);
    }
    const bytes = await readBounded(positionals[0]!, MAX_EVIDENCE_SIZE);
    let record;
    try {
      record = parseEvidence(bytes);
    } catch (e) {
      if (e instanceof EvidenceError) throw new CommandFailure(`not a valid evidence record (${e.code}): ${e.message}`, EXIT_FAIL);
      throw e;
    }
    const verdict = verifyEvidence(record, vkeys.length > 0 ? { logVkeys: vkeys } : {});
    if (values.json) {
      io.out(JSON.stringify({
        id: evidenceId(record),
        kind: record.kind,
        origin: record.origin,
        logKeys: vkeys.length > 0 ? vkeys : record.logVkeys,
        pinned: vkeys.length > 0,
        observer: { name: record.observer.name, peerId: record.observer.peerId },
        createdAt: record.createdAt,
        proven: verdict.proven,
        reason: verdict.reason,
      }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
      return verdict.proven ? 0 : EXIT_FAIL;
    }
    io.out(`id ${evidenceId(record)}`);
    io.out(`kind ${record.kind}`);
    io.out(`origin ${record.origin}`);
    for (const k of vkeys.length > 0 ? vkeys : record.logVkeys) io.out(`log key ${k}${vkeys.length > 0 ? ' (pinned)' : ' (from the record)'}`);
    io.out(`observer ${record.observer.name} ${record.observer.peerId} at ${record.createdAt}`);
    if (verdict.proven) {
      io.out(`PROVEN: ${verdict.reason}`);
      return 0;
    }
    io.out(`NOT PROVEN: ${verdict.reason}`);
    return EXIT_FAIL;
  },
});
