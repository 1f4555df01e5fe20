/**
 * Checking the hits of `cairn search` and `cairn tail` without trusting the server or its index
 * (docs/design/search.md): each hit's event proof is verified under the trust policy (the event
 * opens the leaf's commitment, the leaf is included in a checkpoint the policy's log key signed
 * and its witnesses cosigned), the proof must be for the index the hit claims, and the reference
 * matcher of `@cairn/index/query` is run again on the verified event. Also the one-line table
 * row printed for a verified (or, with --no-verify, unverified) event.
 */
import { entryLeafHash, EVENT_PROOF_EXIT_CODES, EXIT_CODES, verifyCheckpoint, verifyInclusionProof, VerifyError, type Policy } from '@cairn/client';
import { EventProofError, parseEventProof, parseLeaf, verifyEventProof, type EventLeaf, type VerifiedEventProof } from '@cairn/events';
import { decodeBase64Strict, FormatError, parseProofBundle, utf8DecodeStrict, type ProofBundle } from '@cairn/formats';
import { CLASS_NAMES, extractFields, matches, type EventFields, type Query } from '@cairn/index/query';
import { CommandFailure, EXIT_FAIL } from '../command.js';
import { eventProofExit } from '../commands/verify.js';

/** What a hit says of itself, before it is checked. */
export interface HitClaim {
  readonly index: string;
  readonly proof: string;
}

/** A hit whose event proof verified and whose event matches the query. */
export interface CheckedHit {
  readonly index: bigint;
  readonly fields: EventFields;
  readonly event: Record<string, unknown>;
  /** The checkpoint note the proof verified against (verbatim). */
  readonly checkpoint: string;
}

/**
 * Verifies hits under one policy; the checkpoint signatures of a note are checked once and the
 * result reused (every hit of a page carries the same checkpoint).
 */
export class HitVerifier {
  private readonly notes = new Map<string, ReturnType<typeof verifyCheckpoint>>();

  constructor(private readonly policy: Policy | undefined, private readonly query: Query, private readonly now = () => Math.floor(Date.now() / 1000)) {}

  /** Checks one hit; a failure is a CommandFailure naming the hit's index. */
  check(hit: HitClaim): CheckedHit {
    const h = this.verify(hit, `hit ${hit.index}`);
    if (!matches(this.query, h.fields)) throw new CommandFailure(`hit ${hit.index}: the event does not match the query (the server's index answered wrongly)`, EXIT_FAIL);
    return h;
  }

  /**
   * Verifies an event proof as {@link check} does, without the query: for the non-matching
   * events of a completeness proof. A failure is a CommandFailure naming `label`.
   */
  verify(hit: HitClaim, label: string): CheckedHit {
    const bytes = new TextEncoder().encode(hit.proof);
    let v: Pick<VerifiedEventProof, 'index' | 'leaf' | 'leafBytes' | 'salt' | 'event' | 'checkpointNote'>;
    try {
      if (this.policy !== undefined) {
        v = verifyEventProof(bytes, { verifyCheckpoint: (note) => this.checkpoint(note) });
      } else {
        // --no-verify: only read the file, to show the event (the index is the server's word).
        const p = parseEventProof(bytes);
        const leaf = parseLeaf(p.leaf);
        v = { index: BigInt(hit.index), leaf, leafBytes: p.leaf, salt: p.salt, event: { canonical: p.event } as VerifiedEventProof['event'], checkpointNote: '' };
      }
    } catch (e) {
      if (e instanceof EventProofError) throw new CommandFailure(`${label}: its event proof does not verify (${e.code}): ${oneLine(e.message)}`, eventProofExit(e));
      if (e instanceof VerifyError || e instanceof FormatError) throw new CommandFailure(`${label}: its event proof does not verify: ${oneLine(e.message)}`, EXIT_FAIL);
      throw e;
    }
    if (v.index.toString() !== hit.index) {
      throw new CommandFailure(`${label}: its event proof is for index ${v.index}, not ${hit.index}`, EXIT_FAIL);
    }
    const fields = extractFields({ index: v.index, source: v.leaf.source, seq: v.leaf.seq, leaf: v.leafBytes, body: { canonical: v.event.canonical, salt: v.salt } });
    if (fields === undefined) throw new CommandFailure(`${label}: its leaf is not an event leaf`, EXIT_FAIL);
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(utf8DecodeStrict(v.event.canonical)) as Record<string, unknown>;
    } catch {
      throw new CommandFailure(`${label}: the event is not JSON`, EXIT_FAIL);
    }
    return { index: v.index, fields, event, checkpoint: v.checkpointNote };
  }

  /**
   * Verifies a leaf record alone (an erased event, or one whose leaf rules the match out): it
   * parses as an event leaf, and its tlog-proof bundle includes it at `index` in a checkpoint
   * verified under the policy (once per note). Exit codes as `cairn verify --event` for the link.
   */
  verifyLeaf(claim: { index: string; leaf: string; bundle: string }, label: string): { leaf: EventLeaf; checkpoint: string } {
    if (this.policy === undefined) throw new Error('verifyLeaf needs a policy');
    const fail = (code: string, why: string, exit = EVENT_PROOF_EXIT_CODES[code] ?? EXIT_FAIL): CommandFailure =>
      new CommandFailure(`${label}: its leaf proof does not verify (${code}): ${oneLine(why)}`, exit);
    let bytes: Uint8Array;
    let leaf: EventLeaf;
    try {
      bytes = decodeBase64Strict(claim.leaf);
      leaf = parseLeaf(bytes);
    } catch (e) {
      throw fail('leaf-malformed', (e as Error).message);
    }
    let bundle: ProofBundle;
    try {
      bundle = parseProofBundle(claim.bundle);
    } catch (e) {
      throw fail('bundle-malformed', (e as Error).message);
    }
    if (bundle.index.toString() !== claim.index) throw new CommandFailure(`${label}: its leaf proof is for index ${bundle.index}, not ${claim.index}`, EXIT_FAIL);
    let cp: ReturnType<typeof verifyCheckpoint>;
    try {
      cp = this.checkpoint(bundle.checkpoint);
    } catch (e) {
      if (e instanceof VerifyError) throw fail('checkpoint-invalid', e.message, EXIT_CODES[e.code]);
      throw e;
    }
    try {
      verifyInclusionProof(cp, bundle.index, entryLeafHash(bytes), bundle.proof);
    } catch (e) {
      if (e instanceof VerifyError) throw fail('inclusion-failed', e.message, EXIT_CODES[e.code]);
      throw e;
    }
    return { leaf, checkpoint: bundle.checkpoint };
  }

  /**
   * The tree size of a checkpoint note verified under the policy (once per note): for a page that
   * names its checkpoint, whose size is then taken from the note, never from the server's word.
   * A failure is a CommandFailure naming `label`, with the exit code of its cause.
   */
  checkpointSize(note: unknown, label: string): bigint {
    if (this.policy === undefined) throw new Error('checkpointSize needs a policy');
    if (typeof note !== 'string') throw new CommandFailure(`${label}: no checkpoint note`, EXIT_FAIL);
    try {
      return this.checkpoint(note).size;
    } catch (e) {
      if (e instanceof VerifyError) throw new CommandFailure(`${label}: its checkpoint does not verify (${e.code}): ${oneLine(e.message)}`, EXIT_CODES[e.code]);
      throw e;
    }
  }

  /** A checkpoint note verified under the policy, once per note. */
  private checkpoint(note: string): ReturnType<typeof verifyCheckpoint> {
    let r = this.notes.get(note);
    if (r === undefined) {
      r = verifyCheckpoint(note, this.policy!, { now: this.now() });
      this.notes.set(note, r);
    }
    return r;
  }
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

const CLASS_BY_UID = new Map(Object.entries(CLASS_NAMES).map(([name, uid]) => [uid, name]));
const STATUS = new Map([[0, 'unknown'], [1, 'success'], [2, 'failure'], [99, 'other']]);
const FINDING_STATUS = new Map([[0, 'unknown'], [1, 'new'], [2, 'in_progress'], [3, 'suppressed'], [4, 'resolved'], [5, 'archived'], [6, 'deleted'], [99, 'other']]);
const DETECTION_FINDING = 2004;
const SUMMARY_WIDTH = 60;

/** The column titles of {@link tableRow}. */
export const TABLE_HEADER = ['INDEX', 'TIME', 'SOURCE', 'CLASS', 'ACTIVITY', 'STATUS', 'ACTOR', 'SUMMARY'].join('\t');

/** One tab-separated line for the table: index, time, source, class, activity, status, actor, a short summary. */
export function tableRow(f: EventFields, event: Record<string, unknown>): string {
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const activity = str(event['activity_name']) ?? (f.activity_id === -1 ? '-' : String(f.activity_id));
  const statuses = f.class_uid === DETECTION_FINDING ? FINDING_STATUS : STATUS;
  const status = f.status_id === -1 ? '-' : statuses.get(f.status_id) ?? String(f.status_id);
  const actor = f.actors[0] ?? f.users[0] ?? '-';
  const resource = [f.resource_types[0], f.resource_namespaces[0], f.resource_names[0]].filter((x) => x !== undefined && x !== '').join('/');
  const summary = str(event['message']) ?? [f.api_operation, resource].filter((x) => x !== '').join(' ');
  return [
    f.index.toString(), new Date(f.time).toISOString(), f.source, CLASS_BY_UID.get(f.class_uid) ?? String(f.class_uid),
    activity, status, actor, clip(summary || '-'),
  ].map((c) => c.replace(/[\t\r\n\u0000-\u001f\u007f]/g, ' ')).join('\t');
}

function clip(s: string): string {
  const chars = [...s];
  return chars.length <= SUMMARY_WIDTH ? s : chars.slice(0, SUMMARY_WIDTH - 1).join('') + '…';
}
