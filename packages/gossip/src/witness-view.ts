/**
 * The witness as the split-view detector sees it (`WitnessView`): which logs
 * it follows (keys and tiles URL from the configuration), its latest cosigned checkpoint per
 * origin (an in-memory copy, loaded at start and updated after every cosignature, because the
 * detector reads it synchronously), cosignature merging and evidence recording.
 *
 * - `mergeCosignatures` → {@link Witness.mergeCosignatures} (only configured cosigner keys that
 *   verify are kept). Gossiped notes of a checkpoint this witness has not cosigned yet are
 *   remembered (a few per origin) and merged once it does.
 * - `recordEvidence` → verifies the record under the configured log keys (never trusting the
 *   record's own `logVkeys`), then {@link Witness.recordEvidence}: a proven record blocks the
 *   origin.
 */
import type { WitnessView } from './detector.js';
import { evidenceConflictKey, evidenceId, formatEvidence, type EvidenceRecord } from './evidence.js';
import { verifyEvidence } from './evidence-verify.js';
import { parseCheckpointNote, utf8Encode, FormatError, type Verifier } from '@cairn/formats';
import type { AddCheckpointResult, RecordEvidenceResult, Witness, WitnessLogger } from '@cairn/witness';

/** Gossiped notes remembered per origin for a later merge. */
export const MAX_REMEMBERED_NOTES = 8;

interface Latest {
  readonly note: Uint8Array;
  readonly size: bigint;
  readonly rootHash: Uint8Array;
}

function sameCheckpoint(a: { size: bigint; rootHash: Uint8Array }, b: { size: bigint; rootHash: Uint8Array }): boolean {
  return a.size === b.size && a.rootHash.length === b.rootHash.length && a.rootHash.every((x, i) => x === b.rootHash[i]);
}

/** A {@link WitnessView} over a {@link Witness}. Create it with {@link WitnessGossipView.open}. */
export class WitnessGossipView implements WitnessView {
  readonly witness: Witness;
  readonly #logger: WitnessLogger | undefined;
  readonly #latest = new Map<string, Latest>();
  readonly #recent = new Map<string, { size: bigint; rootHash: Uint8Array; note: Uint8Array }[]>();
  readonly #off: () => void;

  private constructor(witness: Witness, logger: WitnessLogger | undefined) {
    this.witness = witness;
    this.#logger = logger;
    this.#off = witness.onCosigned((r) => this.#onCosigned(r));
  }

  /** Subscribes to the witness's cosignatures, then loads its stored state. */
  static async open(witness: Witness, logger?: WitnessLogger): Promise<WitnessGossipView> {
    const view = new WitnessGossipView(witness, logger);
    for (const c of await witness.status().then((s) => s.logs)) {
      if (c.size === undefined || view.#latest.has(c.origin)) continue;
      const stored = await witness.latest(c.origin);
      if (stored !== undefined && !view.#latest.has(c.origin)) {
        view.#latest.set(c.origin, { note: utf8Encode(stored.note), size: stored.size, rootHash: stored.rootHash });
      }
    }
    return view;
  }

  follows(origin: string): { readonly verifiers: readonly Verifier[]; readonly logUrl?: string } | undefined {
    const log = this.witness.logs.get(origin);
    if (log === undefined) return undefined;
    return log.url === undefined ? { verifiers: log.verifiers } : { verifiers: log.verifiers, logUrl: log.url };
  }

  latest(origin: string): Latest | undefined {
    return this.#latest.get(origin);
  }

  async mergeCosignatures(origin: string, note: Uint8Array): Promise<void> {
    await this.witness.mergeCosignatures(origin, note);
  }

  async recordEvidence(record: EvidenceRecord): Promise<void> {
    await this.record(record);
  }

  /** Verifies and stores a record; resolves what the witness stored (see {@link Witness.recordEvidence}). */
  async record(record: EvidenceRecord): Promise<RecordEvidenceResult & { readonly id: string; readonly proven: boolean }> {
    const verifiers = this.witness.logs.get(record.origin)?.verifiers ?? [];
    const verdict = verifyEvidence(record, { verifiers });
    const id = evidenceId(record);
    const r = await this.witness.recordEvidence({
      id, origin: record.origin, kind: record.kind, proven: verdict.proven, record: formatEvidence(record), conflict: evidenceConflictKey(record),
    });
    return { ...r, id, proven: verdict.proven };
  }

  /** Remembers a verified gossiped note so its cosignatures are merged once this witness cosigns the same checkpoint. */
  remember(origin: string, note: Uint8Array): void {
    let c;
    try {
      c = parseCheckpointNote(note).checkpoint;
    } catch (e) {
      if (e instanceof FormatError) return;
      throw e;
    }
    const list = this.#recent.get(origin) ?? [];
    list.push({ size: c.size, rootHash: c.rootHash, note });
    if (list.length > MAX_REMEMBERED_NOTES) list.splice(0, list.length - MAX_REMEMBERED_NOTES);
    this.#recent.set(origin, list);
  }

  close(): void {
    this.#off();
  }

  #onCosigned(r: AddCheckpointResult): void {
    const cur = this.#latest.get(r.origin);
    if (cur !== undefined && cur.size > r.size) return;
    this.#latest.set(r.origin, { note: utf8Encode(r.note), size: r.size, rootHash: r.rootHash });
    const matching = (this.#recent.get(r.origin) ?? []).filter((n) => sameCheckpoint(n, r));
    for (const n of matching) {
      this.witness.mergeCosignatures(r.origin, n.note).catch((e: unknown) => this.#logger?.warn('merging cosignatures failed', { origin: r.origin, error: String(e) }));
    }
  }
}
