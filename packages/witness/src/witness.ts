/**
 * The witness core: c2sp.org/tlog-witness `add-checkpoint` (docs/protocols.md §5.3–§5.5, spec main of
 * 2026-07) over a {@link WitnessStorage}, plus the monitoring read (§5.6).
 *
 * Checks, in Sunlight's order (codes of {@link WitnessError}; statuses are the api's table):
 * 0 `bad-request` 400 · 1 `unknown-log` 404 · 2 `invalid-signature`/`unverified` 403 ·
 * budget `rate-limited` 429 · 3 `old-size-too-large` 400 · 4 `bad-empty-root` 422 ·
 * 5 `conflict` 409 (evidence.knownSize) · 6 `unexpected-proof` 422 · 7 `inconsistent` 422 ·
 * 8 `fork` 422 · then cosign and store, and return the cosignature line.
 *
 * Safety (§5.5): checks 5–8 and the store run under a per-origin mutex, and the store itself is
 * a compare-and-swap on the state read by the checks, durable before it resolves; the cosignature
 * is returned only after the swap succeeded. A lost swap is a 409. State is never deleted or
 * lowered. The stored note holds the re-encoded checkpoint text, only the log signatures that
 * verified, and our own cosignature — never a line we did not verify.
 *
 * Knowledge from peers (known.ts): `learnCheckpoint` keeps the largest verified log-signed
 * checkpoint another witness told this one about. While it is above the stored size it is the
 * origin's floor: checked under the mutex right after the block, add-checkpoint cosigns only that
 * very checkpoint (old size = the stored size, a proof that verifies against the stored root)
 * and answers every other request `conflict` 409 with the floor's size (a checkpoint of the
 * floor's size with another root is a `fork`, 422); for a log configured without a URL (no
 * catch-up possible) the 409 names the stored size, so the log can bring it to the floor. `catchUp` sends the witness exactly that
 * request, with a proof the caller got from the log's tiles, through the same checks, mutex and
 * compare-and-swap: the floor becomes the stored state, and from then on the log must prove
 * consistency from there. `hold` makes add-checkpoint answer `syncing` (503, retry) while the
 * witness network asks the peers what they know at start-up.
 *
 * Requests refused by checks 4, 6, 7 or 8 carry a valid log signature, so they are recorded as
 * possible misbehaviour with both notes and the proof (and handed to `onMisbehaviour` listeners,
 * which the witness network turns into split-view evidence where it can prove it).
 *
 * Witness network (@cairn/gossip/witness): `recordEvidence` stores split-view evidence and,
 * when it is proven, blocks the origin in the same atomic write; from then on add-checkpoint for
 * that origin answers `blocked` (403, naming the evidence id) — checked under the per-origin
 * mutex, before anything else of checks 5–8 — until an operator clears the block.
 * `mergeCosignatures` keeps other witnesses' verified cosignatures over the checkpoint this
 * witness holds (only lines of the configured `cosigners` keys that verify), and the monitoring
 * read serves them after its own.
 */
import {
  ALG_COSIGNATURE_V1,
  FormatError,
  MAX_ADD_CHECKPOINT_BODY,
  formatAddCheckpointRequest,
  cosignatureTimestamp,
  openNote,
  parseCheckpoint,
  parseNote,
  parseVerifierKey,
  type NoteSignature,
  type Verifier,
  MAX_COSIGNATURE_TIMESTAMP,
  cosignatureMessage,
  decodeSignerKey,
  ed25519Backend,
  formatCheckpoint,
  formatCosignatureLines,
  formatCosignaturePayload,
  formatNote,
  formatVerifierKey,
  keyId,
  originHash,
  type Ed25519Backend,
  type Ed25519Options,
} from '@cairn/formats';
import { bytesEqual, EMPTY_ROOT, ProofError, verifyConsistency, type HashBackend } from '@cairn/merkle';
import { RequestBudgets } from './budget.js';
import { buildTrustedLogs, type LogSpec, type TrustedLog } from './config.js';
import { WitnessError } from './errors.js';
import { KnownCheckpoints, type KnownCheckpoint, type LearnOutcome } from './known.js';
import { KeyedMutex } from './lock.js';
import { verifyRequest, type VerifiedRequest } from './request.js';
import type {
  ListEvidenceOptions,
  ListMisbehaviourOptions,
  MisbehaviourKind,
  MisbehaviourRecord,
  OriginBlock,
  StoredCheckpoint,
  StoredEvidence,
  WitnessStorage,
} from './storage/types.js';

/** The Retry-After (seconds) of a `syncing` answer while the witness is held. */
export const SYNCING_RETRY_AFTER_SECONDS = 1;

/** Most foreign cosigner keys a witness may be configured with. */
export const MAX_COSIGNERS = 64;

/** Structured logger; implementations must not throw. */
export interface WitnessLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * Test-only hooks. `beforeStore` runs after every check passed and the cosignature was made,
 * before the compare-and-swap: a test stalls there to force races or to crash before persist.
 */
export interface WitnessTestHooks {
  beforeStore?(info: { readonly origin: string; readonly size: bigint }): Promise<void> | void;
}

/** Options of {@link Witness}. */
export interface WitnessOptions {
  /** The witness's signer key text (`PRIVATE+KEY+<name>+…`); it cosigns with type 0x04. */
  readonly key: string;
  /** Trusted logs: specs (merged by origin) or the result of `buildTrustedLogs`. */
  readonly logs: readonly LogSpec[] | ReadonlyMap<string, TrustedLog>;
  readonly storage: WitnessStorage;
  /** Milliseconds since the epoch; default `Date.now`. Cosignatures use its whole seconds. */
  readonly now?: () => number;
  /** Ed25519 implementation; default noble (pass `nodeEd25519` on servers). */
  readonly ed25519?: Ed25519Backend;
  /** SHA-256 for proofs; default @cairn/merkle's (pass `nodeBackend` on servers). */
  readonly hashBackend?: HashBackend;
  readonly logger?: WitnessLogger;
  readonly hooks?: WitnessTestHooks;
  /**
   * cosignature/v1 verifier keys (type 0x04) of other witnesses whose cosignatures over the
   * checkpoint this witness holds may be merged into what the monitoring read serves.
   */
  readonly cosigners?: readonly string[];
}

/** What {@link Witness.recordEvidence} stores. */
export interface EvidenceInput {
  readonly id: string;
  readonly origin: string;
  readonly kind: string;
  /** Verified as proof of misbehaviour under the configured log keys: blocks the origin. */
  readonly proven: boolean;
  readonly record: string;
  /** The conflict key (origin and both (size, root) pairs). */
  readonly conflict: string;
}

/** The outcome of {@link Witness.recordEvidence}. */
export interface RecordEvidenceResult {
  /** False when a record with this id was stored before. */
  readonly stored: boolean;
  /** The origin's block after the write (undefined: the origin is not blocked). */
  readonly block: OriginBlock | undefined;
}

/** What a successful add-checkpoint returns. */
export interface AddCheckpointResult {
  /** The 200 body: only this witness's own cosignature line(s), each ending in LF. */
  readonly cosignatures: string;
  readonly origin: string;
  readonly size: bigint;
  readonly rootHash: Uint8Array;
  /** The cosignature timestamp (POSIX seconds). */
  readonly timestamp: bigint;
  /** The stored note (checkpoint, verified log signatures, our cosignature). */
  readonly note: string;
}

/** One origin in {@link Witness.status}. */
export interface LogStatus {
  readonly origin: string;
  /** Whether the origin is in the current configuration (state of removed logs is kept). */
  readonly configured: boolean;
  readonly qpd: number | undefined;
  /** Set when this witness stopped cosigning the origin after proven misbehaviour. */
  readonly blocked: OriginBlock | undefined;
  /** Undefined when never cosigned. */
  readonly size: bigint | undefined;
  readonly rootHash: Uint8Array | undefined;
  readonly cosignedAt: bigint | undefined;
  /** A larger log-signed checkpoint learned from a peer, not yet proven consistent (the floor). */
  readonly known: KnownCheckpoint | undefined;
  /** The last catch-up to a checkpoint learned from a peer, if any since start. */
  readonly caughtUp: CaughtUp | undefined;
}

/** A catch-up that advanced the stored state of an origin. */
export interface CaughtUp {
  readonly fromSize: bigint;
  readonly size: bigint;
  /** Who told us about the checkpoint. */
  readonly from: string;
  /** When (ms since the epoch). */
  readonly at: number;
}

/** The witness's identity and per-log state. */
export interface WitnessStatus {
  readonly name: string;
  /** The cosignature/v1 (type 0x04) verifier key of this witness. */
  readonly cosignatureVkey: string;
  /** Why add-checkpoint answers `syncing` now (see {@link Witness.hold}); undefined when it does not. */
  readonly held: string | undefined;
  readonly logs: readonly LogStatus[];
}

function blockedError(origin: string, block: OriginBlock): WitnessError {
  return new WitnessError(
    'blocked',
    `blocked: evidence ${block.evidenceId} proves that ${origin} misbehaved; this witness no longer cosigns it (an operator must run \`cairn witness clear\`)`,
    { evidence: { origin, evidenceId: block.evidenceId } },
  );
}

/** A tlog-witness. Construct it, then call {@link Witness.addCheckpoint} per request. */
export class Witness {
  /** The witness key name (what its cosignature lines carry). */
  readonly name: string;
  /** The type-0x04 key ID of its cosignatures. */
  readonly keyId: number;
  /** Its cosignature/v1 verifier key. */
  readonly cosignatureVkey: string;
  readonly logs: ReadonlyMap<string, TrustedLog>;
  readonly #storage: WitnessStorage;
  readonly #now: () => number;
  readonly #sign: (msg: Uint8Array) => Uint8Array;
  readonly #hash: HashBackend | undefined;
  readonly #logger: WitnessLogger | undefined;
  readonly #hooks: WitnessTestHooks | undefined;
  readonly #locks = new KeyedMutex();
  readonly #budgets: RequestBudgets;
  readonly #byHash: Map<string, string>;
  readonly #cosigners: readonly Verifier[];
  readonly #cosignedListeners = new Set<(r: AddCheckpointResult) => void>();
  readonly #misbehaviourListeners = new Set<(r: MisbehaviourRecord) => void>();
  readonly #known = new KnownCheckpoints();
  readonly #caughtUp = new Map<string, CaughtUp>();
  readonly #holds = new Set<{ readonly reason: string }>();

  constructor(opts: WitnessOptions) {
    const edOpts: Ed25519Options = opts.ed25519 === undefined ? {} : { ed25519: opts.ed25519 };
    let key;
    try {
      key = decodeSignerKey(opts.key, edOpts);
    } catch (cause) {
      throw new WitnessError('config', `invalid witness signer key: ${(cause as Error).message}`, { cause });
    }
    this.name = key.name;
    this.keyId = keyId(key.name, ALG_COSIGNATURE_V1, key.publicKey);
    this.cosignatureVkey = formatVerifierKey(key.name, ALG_COSIGNATURE_V1, key.publicKey);
    this.#sign = ed25519Backend(edOpts).signer(key.seed);
    this.logs = opts.logs instanceof Map ? opts.logs : buildTrustedLogs(opts.logs as readonly LogSpec[], edOpts);
    this.#storage = opts.storage;
    this.#now = opts.now ?? Date.now;
    this.#hash = opts.hashBackend;
    this.#logger = opts.logger;
    this.#hooks = opts.hooks;
    this.#budgets = new RequestBudgets(this.#now);
    this.#byHash = new Map([...this.logs.keys()].map((o) => [originHash(o), o]));
    const cosigners = opts.cosigners ?? [];
    if (cosigners.length > MAX_COSIGNERS) throw new WitnessError('config', `at most ${MAX_COSIGNERS} cosigner keys`);
    this.#cosigners = cosigners.map((k) => {
      let v: Verifier;
      try {
        v = parseVerifierKey(k, edOpts);
      } catch (cause) {
        throw new WitnessError('config', `invalid cosigner vkey "${k}": ${(cause as Error).message}`, { cause });
      }
      if (v.alg !== ALG_COSIGNATURE_V1) throw new WitnessError('config', `cosigner vkey "${k}" is not a cosignature/v1 key (type 0x04)`);
      return v;
    }).filter((v) => !(v.name === this.name && v.keyId === this.keyId));
  }

  /** Calls `listener` after every successful add-checkpoint (the new state is durable); returns an unsubscribe function. */
  onCosigned(listener: (r: AddCheckpointResult) => void): () => void {
    this.#cosignedListeners.add(listener);
    return () => void this.#cosignedListeners.delete(listener);
  }

  /** Calls `listener` for every refused request recorded as possible misbehaviour; returns an unsubscribe function. */
  onMisbehaviour(listener: (r: MisbehaviourRecord) => void): () => void {
    this.#misbehaviourListeners.add(listener);
    return () => void this.#misbehaviourListeners.delete(listener);
  }

  #emit<T>(listeners: Set<(x: T) => void>, x: T): void {
    for (const l of listeners) {
      try {
        l(x);
      } catch (e) {
        this.#logger?.error('witness listener threw', { error: String(e) });
      }
    }
  }

  /**
   * Processes an add-checkpoint request body. Resolves with the cosignature; rejects with a
   * {@link WitnessError} (see the module comment), or another error only for internal failures.
   */
  async addCheckpoint(body: Uint8Array): Promise<AddCheckpointResult> {
    if (!(body instanceof Uint8Array)) throw new WitnessError('bad-request', 'invalid input: body must be bytes');
    if (body.length > MAX_ADD_CHECKPOINT_BODY) {
      throw new WitnessError('too-large', `invalid input: body exceeds ${MAX_ADD_CHECKPOINT_BODY} bytes`);
    }
    const v = verifyRequest(body, this.logs);
    const { request, checkpoint: cp, log } = v;
    const evidence = { origin: cp.origin, oldSize: request.oldSize };
    const hold = this.#holds.values().next().value;
    if (hold !== undefined) {
      const block = await this.#storage.block(cp.origin);
      if (block !== undefined) throw blockedError(cp.origin, block);
      throw new WitnessError('syncing', `not answering yet: ${hold.reason}; retry in ${SYNCING_RETRY_AFTER_SECONDS} s`, {
        evidence: { ...evidence, retryAfterSeconds: SYNCING_RETRY_AFTER_SECONDS },
      });
    }
    if (log.qpd !== undefined) {
      const wait = this.#budgets.take(cp.origin, log.qpd);
      if (wait !== undefined) {
        throw new WitnessError('rate-limited', `request budget of ${cp.origin} (${log.qpd} per day) is spent; retry in ${wait} s`, {
          evidence: { ...evidence, retryAfterSeconds: wait },
        });
      }
    }
    if (request.oldSize > cp.size) {
      throw new WitnessError('old-size-too-large', `old size ${request.oldSize} is larger than the checkpoint size ${cp.size}`, { evidence });
    }
    if (cp.size === 0n && !bytesEqual(cp.rootHash, EMPTY_ROOT)) {
      const stored = await this.#storage.latest(cp.origin);
      throw await this.#refuse(v, stored?.note, 'bad-empty-root', 'a checkpoint of size 0 must have the empty-tree root');
    }
    return this.#locks.run(cp.origin, () => this.#checkAndStore(v));
  }

  async #checkAndStore(v: VerifiedRequest, catchUpFrom?: string): Promise<AddCheckpointResult> {
    const { request, checkpoint: cp } = v;
    const block = await this.#storage.block(cp.origin);
    if (block !== undefined) throw blockedError(cp.origin, block);
    const stored = await this.#storage.latest(cp.origin);
    const known = stored?.size ?? 0n;
    const floor = this.#known.above(cp.origin, known);
    if (floor !== undefined) {
      const isFloor = cp.size === floor.size && bytesEqual(cp.rootHash, floor.rootHash);
      if (cp.size === floor.size && !isFloor) {
        throw await this.#refuse(v, floor.note, 'fork', `checkpoint of size ${cp.size} has a different root than the log-signed one learned from ${floor.from}`);
      }
      if (!isFloor || request.oldSize !== known) {
        // With the log's URL the catch-up proves the floor from the tiles: the log must prove from
        // there. Without it, only the log can bring the witness to the floor (exactly that
        // checkpoint, proven from the stored size): name the stored size, or it could never.
        if (v.log.url === undefined) {
          throw new WitnessError(
            'conflict',
            `this witness knows a log-signed checkpoint of size ${floor.size} (from ${floor.from}) and has no log URL to prove it from; it cosigns only that checkpoint, with a proof from its size ${known}`,
            { evidence: { origin: cp.origin, oldSize: request.oldSize, knownSize: known } },
          );
        }
        throw new WitnessError(
          'conflict',
          `this witness knows a log-signed checkpoint of size ${floor.size} (from ${floor.from}) that it has not yet proven consistent with its cosigned size ${known}; prove consistency from ${floor.size}`,
          { evidence: { origin: cp.origin, oldSize: request.oldSize, knownSize: floor.size } },
        );
      }
    }
    if (request.oldSize !== known) {
      throw new WitnessError('conflict', `old size ${request.oldSize} does not match the latest cosigned size ${known}`, {
        evidence: { origin: cp.origin, oldSize: request.oldSize, knownSize: known },
      });
    }
    if (request.oldSize === 0n) {
      if (request.proof.length > 0) {
        throw await this.#refuse(v, stored?.note, 'unexpected-proof', 'consistency proof must be empty when the old size is 0');
      }
    } else if (stored !== undefined && request.oldSize === cp.size) {
      if (!bytesEqual(stored.rootHash, cp.rootHash)) {
        throw await this.#refuse(v, stored.note, 'fork', `checkpoint of size ${cp.size} has a different root than the one cosigned`);
      }
      if (request.proof.length > 0) {
        throw await this.#refuse(v, stored.note, 'inconsistent', 'consistency proof must be empty for equal sizes');
      }
    } else if (stored !== undefined) {
      try {
        verifyConsistency(request.oldSize, cp.size, stored.rootHash, cp.rootHash, request.proof, this.#hash);
      } catch (cause) {
        if (!(cause instanceof ProofError)) throw cause;
        throw await this.#refuse(v, stored.note, 'inconsistent', `consistency proof from ${request.oldSize} to ${cp.size} does not verify (${cause.code})`);
      }
    }
    return this.#cosignAndStore(v, stored, catchUpFrom);
  }

  async #cosignAndStore(v: VerifiedRequest, stored: StoredCheckpoint | undefined, catchUpFrom: string | undefined): Promise<AddCheckpointResult> {
    const cp = v.checkpoint;
    const timestamp = this.#timestamp();
    // Cosign a re-encoding of the parsed three lines, never the received bytes.
    const text = formatCheckpoint({ origin: cp.origin, size: cp.size, rootHash: cp.rootHash, extensions: [] });
    const payload = formatCosignaturePayload(timestamp, this.#sign(cosignatureMessage(text, timestamp)));
    const own = { name: this.name, keyId: this.keyId, payload };
    const note = formatNote({ text, signatures: [...v.opened.verified, own] });
    const next: StoredCheckpoint = { origin: cp.origin, size: cp.size, rootHash: cp.rootHash, note, cosignedAt: timestamp };
    await this.#hooks?.beforeStore?.({ origin: cp.origin, size: cp.size });
    let swapped: boolean;
    try {
      swapped = await this.#storage.compareAndSwap(stored === undefined ? undefined : { size: stored.size, rootHash: stored.rootHash }, next);
    } catch (cause) {
      if (cause instanceof WitnessError) throw cause;
      throw new WitnessError('storage', `cannot store the checkpoint of ${cp.origin}`, { cause });
    }
    if (!swapped) {
      const now = await this.#storage.latest(cp.origin);
      const knownSize = now?.size ?? 0n;
      throw new WitnessError('conflict', `the state of ${cp.origin} changed concurrently; latest cosigned size is ${knownSize}`, {
        evidence: { origin: cp.origin, oldSize: v.request.oldSize, knownSize },
      });
    }
    if (catchUpFrom === undefined) {
      this.#logger?.info('cosigned', { origin: cp.origin, size: cp.size.toString(), oldSize: v.request.oldSize.toString(), timestamp: timestamp.toString() });
    } else {
      this.#caughtUp.set(cp.origin, { fromSize: v.request.oldSize, size: cp.size, from: catchUpFrom, at: this.#now() });
      this.#logger?.info('caught up with a checkpoint learned from a peer', {
        origin: cp.origin, size: cp.size.toString(), oldSize: v.request.oldSize.toString(), from: catchUpFrom, time: timestamp.toString(),
      });
    }
    const result = { cosignatures: formatCosignatureLines([own]), origin: cp.origin, size: cp.size, rootHash: cp.rootHash, timestamp, note };
    this.#emit(this.#cosignedListeners, result);
    return result;
  }

  #timestamp(): bigint {
    const ms = this.#now();
    const t = Number.isFinite(ms) ? BigInt(Math.floor(ms / 1000)) : 0n;
    if (t <= 0n || t > MAX_COSIGNATURE_TIMESTAMP) {
      throw new WitnessError('config', `the clock gives ${ms} ms, not a cosignature time in 1..2^63-1 seconds`);
    }
    return t;
  }

  /** Records possible misbehaviour (best effort) and returns the refusal to throw. */
  async #refuse(v: VerifiedRequest, storedNote: string | undefined, kind: MisbehaviourKind, reason: string): Promise<WitnessError> {
    const { request, checkpoint: cp } = v;
    const record: MisbehaviourRecord = {
      kind, origin: cp.origin, time: BigInt(Math.floor(this.#now() / 1000)), oldSize: request.oldSize,
      storedNote, offeredNote: v.noteText, proof: request.proof, reason,
    };
    try {
      await this.#storage.recordMisbehaviour(record);
      this.#logger?.warn('possible log misbehaviour', { kind, origin: cp.origin, oldSize: request.oldSize.toString(), size: cp.size.toString(), reason });
    } catch (e) {
      this.#logger?.error('cannot record misbehaviour', { kind, origin: cp.origin, error: String(e) });
    }
    this.#emit(this.#misbehaviourListeners, record);
    return new WitnessError(kind, reason, {
      evidence: { origin: cp.origin, oldSize: request.oldSize, offeredNote: v.noteText, proof: request.proof, ...(storedNote === undefined ? {} : { storedNote }) },
    });
  }

  /**
   * Learns a log-signed checkpoint note from another witness (`from`: who said it). If it verifies
   * under the configured keys of its origin and is larger than both the stored checkpoint and
   * what was learned before, it becomes the origin's floor (see the module comment). Never
   * throws for bad input: the outcome says what happened.
   */
  async learnCheckpoint(note: Uint8Array | string, from: string): Promise<LearnOutcome> {
    let origin: string;
    try {
      origin = parseCheckpoint(parseNote(note).text).origin;
    } catch (e) {
      if (e instanceof FormatError) return { action: 'ignored', reason: `malformed checkpoint note: ${e.message}` };
      throw e;
    }
    const log = this.logs.get(origin);
    if (log === undefined) return { action: 'ignored', reason: `unknown log: ${origin}` };
    const stored = await this.#storage.latest(origin);
    const out = this.#known.learn(log, note, stored?.size ?? 0n, from, this.#now());
    if (out.action === 'learned') {
      this.#logger?.info('learned a larger log-signed checkpoint from a peer', {
        origin, size: out.known.size.toString(), storedSize: (stored?.size ?? 0n).toString(), from,
      });
    }
    return out;
  }

  /** The origin's floor: a learned checkpoint above the stored size, not yet caught up with. */
  async knownAbove(origin: string): Promise<{ readonly known: KnownCheckpoint; readonly storedSize: bigint } | undefined> {
    const storedSize = (await this.#storage.latest(origin))?.size ?? 0n;
    const known = this.#known.above(origin, storedSize);
    return known === undefined ? undefined : { known, storedSize };
  }

  /**
   * Catches up with the origin's floor: runs add-checkpoint for the learned checkpoint with old
   * size `oldSize` and `proof` (PROOF(oldSize, floor), e.g. from the log's tiles), through every
   * check, the origin's mutex and the compare-and-swap, without spending the log's request budget.
   * Resolves the cosignature, or undefined when there is no floor (any more). Rejects like
   * add-checkpoint: `conflict` when the stored size is no longer `oldSize` (ask again with a
   * proof from the new size), `inconsistent` when the proof does not verify against the stored
   * root (recorded as possible misbehaviour; the learned checkpoint is never adopted).
   */
  async catchUp(origin: string, oldSize: bigint, proof: readonly Uint8Array[]): Promise<AddCheckpointResult | undefined> {
    const floor = await this.knownAbove(origin);
    if (floor === undefined) return undefined;
    const body = formatAddCheckpointRequest({ oldSize, proof: [...proof], checkpoint: floor.known.note });
    const v = verifyRequest(body, this.logs);
    return this.#locks.run(origin, async () => {
      if ((await this.knownAbove(origin)) === undefined) return undefined;
      return this.#checkAndStore(v, floor.known.from);
    });
  }

  /**
   * Makes add-checkpoint answer `syncing` (503, Retry-After {@link SYNCING_RETRY_AFTER_SECONDS})
   * for every origin until the returned function is called (idempotent). `reason` is what the
   * refusal and the status say.
   */
  hold(reason: string): () => void {
    const h = { reason };
    this.#holds.add(h);
    return () => void this.#holds.delete(h);
  }

  /** The latest cosigned note of `origin`, or undefined if never cosigned. */
  async latest(origin: string): Promise<StoredCheckpoint | undefined> {
    return this.#storage.latest(origin);
  }

  /**
   * The monitoring read (§5.6): the latest cosigned note of the configured origin whose
   * lowercase hex SHA-256 is `hash`. Throws {@link WitnessError} `not-found`.
   */
  async checkpointByOriginHash(hash: string): Promise<string> {
    const origin = this.#byHash.get(hash);
    const stored = origin === undefined ? undefined : await this.#storage.latest(origin);
    if (origin === undefined || stored === undefined) throw new WitnessError('not-found', 'this witness never cosigned a checkpoint of that log');
    const foreign = await this.#storage.foreignCosignatures(origin);
    if (foreign === undefined || foreign.size !== stored.size || !bytesEqual(foreign.rootHash, stored.rootHash) || foreign.lines.length === 0) {
      return stored.note;
    }
    return stored.note + foreign.lines.map((l) => l + '\n').join('');
  }

  /**
   * Merges other witnesses' cosignatures from `note` (a signed note of the checkpoint this
   * witness holds for `origin`) into what the monitoring read serves: only lines of configured
   * cosigner keys that verify over the exact checkpoint text are kept, one per key (the newest
   * timestamp). Resolves how many lines were added or refreshed (0 when the note is about
   * another checkpoint, carries nothing new, or does not parse).
   */
  async mergeCosignatures(origin: string, note: Uint8Array | string): Promise<number> {
    if (this.#cosigners.length === 0 || !this.logs.has(origin)) return 0;
    return this.#locks.run(origin, async () => {
      const stored = await this.#storage.latest(origin);
      if (stored === undefined) return 0;
      let text: string;
      try {
        text = parseNote(note).text;
        const c = parseCheckpoint(text);
        if (c.origin !== origin || c.size !== stored.size || !bytesEqual(c.rootHash, stored.rootHash) || c.extensions.length > 0) return 0;
        if (text !== parseNote(stored.note).text) return 0;
      } catch (e) {
        if (e instanceof FormatError) return 0;
        throw e;
      }
      const prev = await this.#storage.foreignCosignatures(origin);
      const same = prev !== undefined && prev.size === stored.size && bytesEqual(prev.rootHash, stored.rootHash);
      const byKey = new Map<string, NoteSignature>();
      if (same) {
        for (const line of prev.lines) {
          const sig = parseNote(`${text}\n${line}\n`).signatures[0]!;
          byKey.set(`${sig.keyId}:${sig.name}`, sig);
        }
      }
      let changed = 0;
      for (const v of this.#cosigners) {
        let sig: NoteSignature | undefined;
        try {
          sig = openNote(note, [v]).verified[0];
        } catch (e) {
          if (e instanceof FormatError) continue; // absent, or a line that does not verify: never stored
          throw e;
        }
        if (sig === undefined) continue;
        const k = `${sig.keyId}:${sig.name}`;
        const old = byKey.get(k);
        if (old !== undefined && cosignatureTimestamp(old) >= cosignatureTimestamp(sig)) continue;
        byKey.set(k, sig);
        changed++;
      }
      if (changed === 0) return 0;
      await this.#storage.putForeignCosignatures({ origin, size: stored.size, rootHash: stored.rootHash, lines: [...byKey.values()].map((s) => s.line) });
      return changed;
    });
  }

  /**
   * Stores a split-view evidence record (once per id). A proven record blocks its origin in the
   * same atomic write (unless the origin is blocked already, or an operator cleared this
   * conflict before). Runs under the origin's mutex, so no add-checkpoint of that origin is
   * between its checks and its store meanwhile.
   */
  async recordEvidence(e: EvidenceInput): Promise<RecordEvidenceResult> {
    return this.#locks.run(e.origin, async () => {
      const now = this.#now();
      const evidence: StoredEvidence = { id: e.id, origin: e.origin, kind: e.kind, proven: e.proven, record: e.record, recordedAt: now };
      const block: OriginBlock | undefined = e.proven && this.logs.has(e.origin)
        ? { origin: e.origin, evidenceId: e.id, conflict: e.conflict, since: now }
        : undefined;
      let stored: boolean;
      try {
        stored = await this.#storage.addEvidence(evidence, block);
      } catch (cause) {
        if (cause instanceof WitnessError) throw cause;
        throw new WitnessError('storage', `cannot store evidence ${e.id}`, { cause });
      }
      const current = await this.#storage.block(e.origin);
      if (stored) {
        const fields = { origin: e.origin, kind: e.kind, proven: e.proven, evidenceId: e.id };
        if (current?.evidenceId === e.id) this.#logger?.error('log misbehaviour proven: no longer cosigning this origin', fields);
        else this.#logger?.warn('split-view evidence recorded', fields);
      }
      return { stored, block: current };
    });
  }

  /** Evidence records, newest first. */
  async evidence(opts?: ListEvidenceOptions): Promise<StoredEvidence[]> {
    return this.#storage.listEvidence(opts);
  }

  /** The block of `origin`, if this witness stopped cosigning it. */
  async block(origin: string): Promise<OriginBlock | undefined> {
    return this.#storage.block(origin);
  }

  /** Identity and per-origin state (configured origins, then stored ones no longer configured). */
  async status(): Promise<WitnessStatus> {
    const stored = new Map((await this.#storage.listLatest()).map((c) => [c.origin, c]));
    const blocks = new Map((await this.#storage.listBlocks()).map((b) => [b.origin, b]));
    const origins = [...new Set([...this.logs.keys(), ...[...stored.keys()].sort()])];
    const logs = origins.map((origin): LogStatus => {
      const c = stored.get(origin);
      const log = this.logs.get(origin);
      return {
        origin, configured: log !== undefined, qpd: log?.qpd, blocked: blocks.get(origin), size: c?.size, rootHash: c?.rootHash, cosignedAt: c?.cosignedAt,
        known: this.#known.above(origin, c?.size ?? 0n), caughtUp: this.#caughtUp.get(origin),
      };
    });
    const held = this.#holds.values().next().value?.reason;
    return { name: this.name, cosignatureVkey: this.cosignatureVkey, held, logs };
  }

  /** Possible-misbehaviour records, newest first. */
  async misbehaviour(opts?: ListMisbehaviourOptions): Promise<MisbehaviourRecord[]> {
    return this.#storage.listMisbehaviour(opts);
  }
}
