/**
 * `cairn receipts check`: did the log keep the promises it signed? Each receipt (from
 * `cairn events submit --receipts DIR`) is opened with the log's receipt key and judged with
 * `checkReceiptPromise` of @cairn/events against the log's current cosigned checkpoint, verified
 * under the policy first, plus any cosigned checkpoints kept from earlier (--checkpoint).
 */
import { MAX_POLICY_SIZE, parseVerifierKey, FormatError } from '@cairn/formats';
import {
  createLogClient,
  EXIT_CODES,
  jsonSafe,
  loadPolicy,
  verifyCheckpoint,
  VerifyError,
  type VerifiedCheckpoint,
} from '@cairn/client';
import { checkReceiptPromise, MAX_RECEIPT_TEXT_LENGTH, openReceipt, ReceiptError, type PromiseVerdict, type TimedCheckpoint } from '@cairn/events';
import { MAX_NOTE_SIZE } from '@cairn/formats';
import { CommandFailure, EXIT_FAIL, UsageError, defineCommand } from '../command.js';
import { readBounded, readKeyFile } from '../lib/files.js';
import { caOption, parseUrlOption } from '../lib/options.js';
import { trustCa } from '../lib/tls.js';
import { describeRemoteError, remoteErrorInfo } from '../lib/trpc-errors.js';

/** A receipt note: its text, a blank line and a few signature lines. */
const MAX_RECEIPT_FILE = MAX_RECEIPT_TEXT_LENGTH + 4096;

/** When a verified checkpoint met its quorum: the latest counted cosignature, else the log's own claim. */
function timed(v: VerifiedCheckpoint, claimedMs: number | undefined): TimedCheckpoint {
  const latest = v.witnesses.reduce<bigint | undefined>((m, w) => (m === undefined || w.timestamp > m ? w.timestamp : m), undefined);
  const time = latest ?? BigInt(Math.floor((claimedMs ?? 0) / 1000));
  return { origin: v.origin, size: v.size, time, note: v.note };
}

export const receiptsCheck = defineCommand({
  name: 'receipts check',
  summary: 'Check that the log kept the promises of its receipts: kept, pending or broken (with the evidence)',
  usage: 'RECEIPT...',
  positionals: { min: 1, max: 10_000 },
  details: `
Each RECEIPT file is a receipt the log signed when it took an event (\`cairn events submit
--receipts DIR\`): its promise that a cosigned checkpoint covers the event's index by a
deadline. The receipt must verify with --receipt-key (the log's receipt verifier key, printed by
\`cairn log serve\`; never its checkpoint key). The log's cosigned checkpoint (its latest signed one
when the log has no witnesses) is fetched from --url and verified under --policy; --checkpoint
adds cosigned checkpoints kept from earlier (e.g. from bundles), verified the same way.

One line per receipt: "kept" (a checkpoint cosigned by the deadline covers it), "pending"
(nothing decides yet), or "broken" with the reason — not-included (a checkpoint cosigned at or
after the deadline does not contain it) or included-late (the earliest covering checkpoint seen
was cosigned after the deadline; weaker: an earlier one may exist) — followed by the receipt and
the checkpoint, verbatim, as evidence anyone can check. Exit 0 when nothing is broken, 1 when a
receipt is broken or does not verify, 2 for usage errors, 3 when the log could not be reached,
and the verify exit codes (cairn verify --help) when the checkpoint does not verify under the
policy. --json prints one JSON object per receipt.`,
  options: {
    policy: { type: 'string', required: true, value: 'FILE', description: 'tlog-policy file' },
    url: { type: 'string', required: true, value: 'URL', description: 'the log\'s URL' },
    'receipt-key': { type: 'string', required: true, value: 'VKEY', description: 'the log\'s receipt verifier key (<origin>/receipt+…), or a file holding it' },
    checkpoint: { type: 'string', multiple: true, value: 'FILE', description: 'a cosigned checkpoint note kept from earlier' },
    json: { type: 'boolean', description: 'one JSON object per receipt' },
    ...caOption,
  },
  async run({ values, positionals, io }) {
    await trustCa(values.ca);
    const url = parseUrlOption('--url', values.url!);
    const keyText = values['receipt-key']!.includes('+') ? values['receipt-key']! : await readKeyFile(values['receipt-key']!);
    let verifier;
    try {
      verifier = parseVerifierKey(keyText);
    } catch (e) {
      if (e instanceof FormatError) throw new UsageError(`--receipt-key must be a verifier key (name+id+key): ${e.message}`);
      throw e;
    }
    const now = Math.floor(Date.now() / 1000);
    const checkpoints: TimedCheckpoint[] = [];
    try {
      const policy = loadPolicy(await readBounded(values.policy!, MAX_POLICY_SIZE), values.policy!);
      const client = createLogClient(url);
      let served;
      try {
        served = await client.log.cosignedCheckpoint.query();
      } catch (e) {
        if (remoteErrorInfo(e)?.cairnCode !== 'no-checkpoint') throw await describeRemoteError('receipts check', url, e);
        try {
          served = await client.log.checkpoint.query();
        } catch (e2) {
          throw await describeRemoteError('receipts check', url, e2);
        }
      }
      checkpoints.push(timed(verifyCheckpoint(served.note, policy, { now }), served.time));
      for (const f of values.checkpoint ?? []) {
        const note = new TextDecoder().decode(await readBounded(f, MAX_NOTE_SIZE));
        checkpoints.push(timed(verifyCheckpoint(note, policy, { now }), undefined));
      }
    } catch (e) {
      if (e instanceof VerifyError) throw new CommandFailure(`the checkpoint does not verify under ${values.policy}: ${e.code}: ${e.message}`, EXIT_CODES[e.code]);
      throw e;
    }

    let broken = 0;
    for (const file of positionals) {
      const note = await readBounded(file, MAX_RECEIPT_FILE);
      let verdict: PromiseVerdict;
      try {
        verdict = checkReceiptPromise(openReceipt(note, verifier), checkpoints);
      } catch (e) {
        if (!(e instanceof ReceiptError)) throw e;
        broken++;
        if (values.json) io.out(JSON.stringify({ file, status: 'invalid', code: e.code, message: e.message }));
        else io.out(`${file}: invalid receipt (${e.code}): ${e.message}`);
        continue;
      }
      const r = verdict.receipt.receipt;
      const what = `event ${r.index} (source ${r.source}, seq ${r.seq}), deadline ${r.deadline} (${new Date(Number(r.deadline) * 1000).toISOString()})`;
      if (values.json) {
        io.out(JSON.stringify(jsonSafe({
          file, status: verdict.status, ...(verdict.status === 'broken' ? { reason: verdict.reason } : {}),
          index: r.index, source: r.source, seq: r.seq, deadline: r.deadline,
          ...(verdict.status !== 'pending' ? { checkpoint: { size: verdict.checkpoint.size, time: verdict.checkpoint.time, note: verdict.checkpoint.note } } : {}),
          receipt: verdict.receipt.note,
        })));
      } else if (verdict.status === 'kept') {
        io.out(`${file}: kept: ${what}: covered by the checkpoint of size ${verdict.checkpoint.size} cosigned at ${verdict.checkpoint.time}`);
      } else if (verdict.status === 'pending') {
        io.out(`${file}: pending: ${what}: no checkpoint seen decides it yet`);
      } else {
        io.out(`${file}: BROKEN (${verdict.reason}): ${what}; checkpoint of size ${verdict.checkpoint.size} cosigned at ${verdict.checkpoint.time}`);
        io.out('evidence: the receipt');
        for (const l of verdict.receipt.note.trimEnd().split('\n')) io.out(`  ${l}`);
        io.out('evidence: the checkpoint');
        for (const l of verdict.checkpoint.note.trimEnd().split('\n')) io.out(`  ${l}`);
      }
      if (verdict.status === 'broken') broken++;
    }
    if (broken > 0) throw new CommandFailure(`${broken} of ${positionals.length} receipts broken or invalid`, EXIT_FAIL);
    return 0;
  },
});
