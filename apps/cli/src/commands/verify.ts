/**
 * `cairn verify`: verifies an entry's inclusion under a trust policy, from an offline
 * c2sp.org/tlog-proof bundle or from the log itself, with @cairn/client; or an audit event's
 * event proof (`--event`, @cairn/events verifyEventProof with the client's checkpoint rules).
 */
import { decodeBase64Strict, FormatError, MAX_BUNDLE_ENTRY_SIZE, MAX_POLICY_SIZE, MAX_PROOF_BUNDLE_SIZE } from '@cairn/formats';
import {
  createLogFetcher,
  DEFAULT_MAX_FUTURE_SKEW_SECONDS,
  EVENT_PROOF_EXIT_CODES,
  EXIT_CODES,
  EXIT_FETCH_FAILED,
  verifyCheckpoint,
  fetchAndVerifyEntry,
  FetchError,
  jsonSafe,
  loadPolicy,
  verifyProofBundle,
  VerifyError,
  type VerifiedProofBundle,
} from '@cairn/client';
import { EventProofError, MAX_EVENT_PROOF_SIZE, verifyEventProof, type VerifiedEventProof } from '@cairn/events';
import { CommandFailure, EXIT_USAGE, UsageError, defineCommand, type Io } from '../command.js';
import { readBounded } from '../lib/files.js';
import { caOption, parseIndexOption, parseIntOption, parseUrlOption } from '../lib/options.js';
import { trustCa } from '../lib/tls.js';

/** The exit-code table printed in --help (from @cairn/client's EXIT_CODES, the only table). */
export function exitCodeTable(): string {
  const rows: [number, string][] = [
    [0, 'verified: log signature, witness quorum, timestamps and inclusion all check out'],
    [1, 'unexpected failure, or an input file larger than its limit'],
    [EXIT_USAGE, 'usage error (bad or missing options)'],
    [EXIT_FETCH_FAILED, 'I/O: a file could not be read or a fetch failed (network, timeout, HTTP status, bad answer); nothing was verified'],
    ...Object.entries(EXIT_CODES).map(([code, n]) => [n, code] as [number, string]),
    ...[...new Map(Object.entries(EVENT_PROOF_EXIT_CODES).filter(([, n]) => n >= 31).map(([c, n]) => [n, c])).entries()]
      .map(([n, c]) => [n, `--event: ${c === 'malformed' ? 'malformed or too-large' : c}`] as [number, string]),
  ];
  return rows.map(([n, what]) => `  ${String(n).padStart(3)}  ${what}`).join('\n');
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

function report(io: Io, json: boolean, r: VerifiedProofBundle, source: string, entryNote: string): void {
  const cp = r.checkpoint;
  if (json) {
    io.out(JSON.stringify(jsonSafe({
      ok: true,
      source,
      origin: cp.origin,
      index: r.index,
      leafHash: r.leafHash,
      treeSize: cp.size,
      rootHash: cp.rootHash,
      logKeys: cp.logKeys,
      witnesses: cp.witnesses,
      entry: entryNote,
      checkpoint: cp.note,
    })));
    return;
  }
  const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');
  io.out(`verified: entry ${r.index} is in ${cp.origin} at tree size ${cp.size} (root ${b64(cp.rootHash)})`);
  io.out(`  entry:      ${entryNote}, leaf hash ${b64(r.leafHash)}`);
  io.out(`  log key:    ${cp.logKeys.join(', ')}`);
  for (const w of cp.witnesses) io.out(`  witness:    ${w.name} (${w.key}) cosigned at ${w.timestamp} (${new Date(Number(w.timestamp) * 1000).toISOString()})`);
  if (cp.witnesses.length === 0) io.out('  witnesses:  none required by the policy');
}

function reportEvent(io: Io, json: boolean, r: VerifiedEventProof, file: string, witnesses: readonly { name: string; key: string; timestamp: bigint }[]): void {
  const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');
  if (json) {
    io.out(JSON.stringify(jsonSafe({
      ok: true, source: file, origin: r.checkpoint.origin, index: r.index, leafHash: r.leafHash, treeSize: r.checkpoint.size,
      rootHash: r.checkpoint.rootHash, eventSource: r.leaf.source, seq: r.leaf.seq, time: r.event.time, classUid: r.event.classUid,
      witnesses, checkpoint: r.checkpointNote,
    })));
    return;
  }
  io.out(`verified: event ${r.index} is in ${r.checkpoint.origin} at tree size ${r.checkpoint.size} (root ${b64(r.checkpoint.rootHash)})`);
  io.out(`  event:      class ${r.event.classUid}, time ${new Date(r.event.time).toISOString()}, source ${r.leaf.source} seq ${r.leaf.seq}`);
  io.out(`  leaf:       commitment opens with the salt; leaf hash ${b64(r.leafHash)}`);
  for (const w of witnesses) io.out(`  witness:    ${w.name} (${w.key}) cosigned at ${w.timestamp} (${new Date(Number(w.timestamp) * 1000).toISOString()})`);
  if (witnesses.length === 0) io.out('  witnesses:  none required by the policy');
}

/** The exit code of a failed event-proof link: the client's code for the same cause where there is one. */
export function eventProofExit(e: EventProofError): number {
  if (e.code === 'checkpoint-invalid' && e.cause instanceof VerifyError) return EXIT_CODES[e.cause.code];
  return EVENT_PROOF_EXIT_CODES[e.code] ?? 1;
}

export const verify = defineCommand({
  name: 'verify',
  summary: 'Verify an entry under a trust policy, from a tlog-proof bundle or from the log',
  details: `
--policy is a c2sp.org/tlog-policy file (log keys, witnesses, quorum); errors in it name the
line. Give either --bundle (an offline .tlog-proof file, e.g. from \`cairn prove\`) with the
entry (--entry-file, or --leaf-hash), or --url and --index to fetch the bundle from the log
and verify it exactly like a bundle (without --entry-file the entry's bytes are fetched from
the log too). Or give --event, an event proof from \`cairn events prove\`: the event is checked
as a valid OCSF event in canonical form, its salt must open the leaf's commitment, the leaf's
time and class must be the event's, and the leaf must be in the checkpoint (each failed link has
its own exit code below). Checks: a policy log key signed the checkpoint, the policy's witness quorum
cosigned it, no cosignature timestamp is in milliseconds (>= 10^11) or more than
--max-future-skew seconds ahead, and the inclusion proof leads from the entry to the root.

Exit 0 only when everything verifies; otherwise one line on standard error, with --json a
machine-readable result on standard output, and the exit status names the cause:
${exitCodeTable()}`,
  options: {
    policy: { type: 'string', required: true, value: 'FILE', description: 'tlog-policy file' },
    bundle: { type: 'string', value: 'FILE', description: 'a .tlog-proof bundle to verify offline (- for standard input)' },
    event: { type: 'string', value: 'FILE', description: 'an event proof (cairn events prove) to verify offline (- for standard input)' },
    url: { type: 'string', value: 'URL', description: 'the log\'s URL: fetch the bundle for --index' },
    index: { type: 'string', value: 'I', description: 'entry index (required with --url; with --bundle, the index it must be for)' },
    'entry-file': { type: 'string', value: 'F', description: 'the entry\'s exact bytes' },
    'leaf-hash': { type: 'string', value: 'B64', description: 'the entry\'s leaf hash (base64), instead of --entry-file' },
    'max-future-skew': { type: 'string', value: 'SECONDS', description: `witness clock skew allowed (default ${DEFAULT_MAX_FUTURE_SKEW_SECONDS})` },
    json: { type: 'boolean', description: 'print a machine-readable result (success or failure) on standard output' },
    ...caOption,
  },
  async run({ values, io }) {
    await trustCa(values.ca);
    const json = values.json === true;
    if ([values.bundle, values.url, values.event].filter((v) => v !== undefined).length !== 1) {
      throw new UsageError('give exactly one of --bundle FILE, --url URL and --event FILE');
    }
    if (values.event !== undefined && (values.index !== undefined || values['entry-file'] !== undefined || values['leaf-hash'] !== undefined)) {
      throw new UsageError('--event takes no --index, --entry-file or --leaf-hash: the event proof holds the event');
    }
    if (values.url !== undefined && values.index === undefined) throw new UsageError('--url needs --index');
    if (values['entry-file'] !== undefined && values['leaf-hash'] !== undefined) throw new UsageError('give at most one of --entry-file and --leaf-hash');
    if (values.bundle !== undefined && values['entry-file'] === undefined && values['leaf-hash'] === undefined) {
      throw new UsageError('--bundle needs the entry: --entry-file F or --leaf-hash B64');
    }
    const url = values.url === undefined ? undefined : parseUrlOption('--url', values.url);
    const index = values.index === undefined ? undefined : parseIndexOption('--index', values.index);
    const maxFutureSkew = values['max-future-skew'] === undefined ? undefined : parseIntOption('--max-future-skew', values['max-future-skew'], 0, 10 ** 9);
    let leafHash: Uint8Array | undefined;
    if (values['leaf-hash'] !== undefined) {
      try {
        leafHash = decodeBase64Strict(values['leaf-hash'], 32);
      } catch (e) {
        if (e instanceof FormatError) throw new UsageError('--leaf-hash must be the base64 of 32 bytes');
        throw e;
      }
    }
    const entry = values['entry-file'] === undefined ? undefined : await readBounded(values['entry-file'], MAX_BUNDLE_ENTRY_SIZE);
    const now = Math.floor(Date.now() / 1000);

    try {
      const policy = loadPolicy(await readBounded(values.policy!, MAX_POLICY_SIZE), values.policy!);
      const common = {
        now,
        ...(maxFutureSkew !== undefined ? { maxFutureSkew } : {}),
        ...(entry !== undefined ? { entry } : {}),
        ...(leafHash !== undefined ? { leafHash } : {}),
      };
      if (values.event !== undefined) {
        const bytes = await readBounded(values.event, MAX_EVENT_PROOF_SIZE);
        let witnesses: readonly { name: string; key: string; timestamp: bigint }[] = [];
        const r = verifyEventProof(bytes, {
          verifyCheckpoint: (note) => {
            const v = verifyCheckpoint(note, policy, { now, ...(maxFutureSkew !== undefined ? { maxFutureSkew } : {}) });
            witnesses = v.witnesses;
            return v;
          },
        });
        reportEvent(io, json, r, values.event, witnesses);
        return 0;
      }
      const entryNote = entry !== undefined ? `from ${values['entry-file']}` : leafHash !== undefined ? 'given by --leaf-hash' : 'fetched from the log';
      if (url !== undefined) {
        const r = await fetchAndVerifyEntry(createLogFetcher(url), index!, policy, common);
        report(io, json, r, url, entryNote);
      } else {
        const bytes = await readBounded(values.bundle!, MAX_PROOF_BUNDLE_SIZE);
        const r = verifyProofBundle(bytes, policy, { ...common, ...(index !== undefined ? { index } : {}) });
        report(io, json, r, values.bundle!, entryNote);
      }
      return 0;
    } catch (e) {
      if (e instanceof EventProofError) {
        const exitCode = eventProofExit(e);
        if (json) io.out(JSON.stringify({ ok: false, code: e.code, message: e.message, exitCode }));
        throw new CommandFailure(oneLine(`${e.code}: ${e.message}`), exitCode);
      }
      if (e instanceof VerifyError) {
        if (json) io.out(JSON.stringify({ ok: false, ...e.toJSON() }));
        throw new CommandFailure(oneLine(`${e.code}: ${e.message}`), EXIT_CODES[e.code]);
      }
      if (e instanceof FetchError) {
        if (json) io.out(JSON.stringify({ ok: false, ...e.toJSON() }));
        throw new CommandFailure(oneLine(`fetch failed (${e.code}): ${e.message}`), EXIT_FETCH_FAILED);
      }
      throw e;
    }
  },
});
