/**
 * Every fuzz target, one per network-reachable surface (issue 7). Each is `{ name, arbitrary,
 * run(input) }`: `run` calls the real parser or endpoint and classifies the outcome as accepted
 * or rejected with that parser's own error type; anything else fails the run (see harness.ts).
 *
 * | target | surface |
 * |---|---|
 * | note | signed notes: parseNote, openNote |
 * | checkpoint | parseCheckpoint, openCheckpoint |
 * | keys | vkeys and skeys: parseVerifierKey, parseSignerKey |
 * | add-checkpoint | tlog-witness request bodies: parseAddCheckpointRequest |
 * | witness | the witness request path: Witness.addCheckpoint |
 * | witness-http | the tlog-witness HTTP handler |
 * | tile-path | parseTilePath |
 * | tiles-http | the tlog-tiles HTTP handler |
 * | proof-bundle | parseProofBundle, client verifyProofBundle |
 * | policy | parsePolicy, client loadPolicy |
 * | log-list | logs/v0 lists: parseLogList |
 * | gossip-checkpoint | checkpoint-topic messages: validateCheckpointMessage |
 * | gossip-evidence | alarm-topic messages: parseEvidence, validateEvidenceMessage |
 * | trpc | every log and witness tRPC procedure |
 * | witness-response | 200 cosignature lines and 409 size bodies |
 * | entry-bundle | parseEntryBundle |
 * | k8s-audit | parseAuditEventList + mapAuditBatch |
 * | otlp-proto, otlp-json | parseOtlpProto / parseOtlpJson + mapOtlpRecords |
 * | syslog | parseSyslog + mapSyslog (built-in rules) |
 * | syslog-framing | OctetCountingDecoder |
 * | events-json | parseJsonEvents (HTTPS JSON bodies) |
 * | ingest-http | the ingestion listener's HTTP handler (k8s audit, OTLP, HTTPS JSON) |
 */
import type { FuzzTarget } from './harness.js';
import {
  addCheckpointTarget, checkpointTarget, entryBundleTarget, keysTarget, logListTarget, noteTarget, policyTarget, tilePathTarget,
  witnessResponseTarget,
} from './targets/formats.js';
import { proofBundleTarget } from './targets/proof-bundle.js';
import { witnessHttpTarget, witnessTarget } from './targets/witness.js';
import { tilesHttpTarget } from './targets/tiles.js';
import { gossipCheckpointTarget, gossipEvidenceTarget } from './targets/gossip.js';
import { trpcTarget } from './targets/trpc.js';
import { ingestHttpTarget } from './targets/ingest-http.js';
import { eventsJsonTarget, k8sAuditTarget, otlpJsonTarget, otlpProtoTarget, syslogFramingTarget, syslogTarget } from './targets/ingest.js';

export const TARGETS: readonly FuzzTarget<any>[] = [
  noteTarget,
  checkpointTarget,
  keysTarget,
  addCheckpointTarget,
  witnessTarget,
  witnessHttpTarget,
  tilePathTarget,
  tilesHttpTarget,
  proofBundleTarget,
  policyTarget,
  logListTarget,
  gossipCheckpointTarget,
  gossipEvidenceTarget,
  trpcTarget,
  witnessResponseTarget,
  entryBundleTarget,
  k8sAuditTarget,
  otlpProtoTarget,
  otlpJsonTarget,
  syslogTarget,
  syslogFramingTarget,
  eventsJsonTarget,
  ingestHttpTarget,
];

/** The target called `name`, or undefined. */
export function targetByName(name: string): FuzzTarget<any> | undefined {
  return TARGETS.find((t) => t.name === name);
}
