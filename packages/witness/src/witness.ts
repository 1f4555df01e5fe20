/**
 * The witness core: c2sp.org/tlog-witness `add-checkpoint` (PROTOCOLS.md §5.3–§5.5, spec main of
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
 * Requests refused by checks 4, 6, 7 or 8 carry a valid log signature, so they are recorded as
 * possible misbehaviour with both notes and the proof.
 */
import {
  ALG_COSIGNATURE_V1,
  MAX_ADD_CHECKPOINT_BODY,
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
import { EMPTY_ROOT, ProofError, verifyConsistency, type HashBackend } from '@cairn/merkle';
import { RequestBudgets } from './budget.js';
import { buildTrustedLogs, type LogSpec, type TrustedLog } from './config.js';
import { WitnessError } from './errors.js';
import { KeyedMutex } from './lock.js';
import { verifyRequest, type VerifiedRequest } from './request.js';
import type { MisbehaviourKind, MisbehaviourRecord, ListMisbehaviourOptions, StoredCheckpoint, WitnessStorage } from './storage/types.js';

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
  /** Undefined when never cosigned. */
  readonly size: bigint | undefined;
  readonly rootHash: Uint8Array | undefined;
  readonly cosignedAt: bigint | undefined;
}

/** The witness's identity and per-log state. */
export interface WitnessStatus {
  readonly name: string;
  /** The cosignature/v1 (type 0x04) verifier key of this witness. */
  readonly cosignatureVkey: string;
  readonly logs: readonly LogStatus[];
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
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
      throw await this.#refuse(v, stored, 'bad-empty-root', 'a checkpoint of size 0 must have the empty-tree root');
    }
    return this.#locks.run(cp.origin, () => this.#checkAndStore(v));
  }

  async #checkAndStore(v: VerifiedRequest): Promise<AddCheckpointResult> {
    const { request, checkpoint: cp } = v;
    const stored = await this.#storage.latest(cp.origin);
    const known = stored?.size ?? 0n;
    if (request.oldSize !== known) {
      throw new WitnessError('conflict', `old size ${request.oldSize} does not match the latest cosigned size ${known}`, {
        evidence: { origin: cp.origin, oldSize: request.oldSize, knownSize: known },
      });
    }
    if (request.oldSize === 0n) {
      if (request.proof.length > 0) {
        throw await this.#refuse(v, stored, 'unexpected-proof', 'consistency proof must be empty when the old size is 0');
      }
    } else if (stored !== undefined && request.oldSize === cp.size) {
      if (!bytesEqual(stored.rootHash, cp.rootHash)) {
        throw await this.#refuse(v, stored, 'fork', `checkpoint of size ${cp.size} has a different root than the one cosigned`);
      }
      if (request.proof.length > 0) {
        throw await this.#refuse(v, stored, 'inconsistent', 'consistency proof must be empty for equal sizes');
      }
    } else if (stored !== undefined) {
      try {
        verifyConsistency(request.oldSize, cp.size, stored.rootHash, cp.rootHash, request.proof, this.#hash);
      } catch (cause) {
        if (!(cause instanceof ProofError)) throw cause;
        throw await this.#refuse(v, stored, 'inconsistent', `consistency proof from ${request.oldSize} to ${cp.size} does not verify (${cause.code})`);
      }
    }
    return this.#cosignAndStore(v, stored);
  }

  async #cosignAndStore(v: VerifiedRequest, stored: StoredCheckpoint | undefined): Promise<AddCheckpointResult> {
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
    this.#logger?.info('cosigned', { origin: cp.origin, size: cp.size.toString(), oldSize: v.request.oldSize.toString(), time: timestamp.toString() });
    return { cosignatures: formatCosignatureLines([own]), origin: cp.origin, size: cp.size, rootHash: cp.rootHash, timestamp, note };
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
  async #refuse(v: VerifiedRequest, stored: StoredCheckpoint | undefined, kind: MisbehaviourKind, reason: string): Promise<WitnessError> {
    const { request, checkpoint: cp } = v;
    const record: MisbehaviourRecord = {
      kind, origin: cp.origin, time: BigInt(Math.floor(this.#now() / 1000)), oldSize: request.oldSize,
      storedNote: stored?.note, offeredNote: v.noteText, proof: request.proof, reason,
    };
    try {
      await this.#storage.recordMisbehaviour(record);
      this.#logger?.warn('possible log misbehaviour', { kind, origin: cp.origin, oldSize: request.oldSize.toString(), size: cp.size.toString(), reason });
    } catch (e) {
      this.#logger?.error('cannot record misbehaviour', { kind, origin: cp.origin, error: String(e) });
    }
    return new WitnessError(kind, reason, {
      evidence: { origin: cp.origin, oldSize: request.oldSize, offeredNote: v.noteText, proof: request.proof, ...(stored ? { storedNote: stored.note } : {}) },
    });
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
    if (stored === undefined) throw new WitnessError('not-found', 'this witness never cosigned a checkpoint of that log');
    return stored.note;
  }

  /** Identity and per-origin state (configured origins, then stored ones no longer configured). */
  async status(): Promise<WitnessStatus> {
    const stored = new Map((await this.#storage.listLatest()).map((c) => [c.origin, c]));
    const origins = [...new Set([...this.logs.keys(), ...[...stored.keys()].sort()])];
    const logs = origins.map((origin): LogStatus => {
      const c = stored.get(origin);
      const log = this.logs.get(origin);
      return {
        origin, configured: log !== undefined, qpd: log?.qpd, size: c?.size, rootHash: c?.rootHash, cosignedAt: c?.cosignedAt,
      };
    });
    return { name: this.name, cosignatureVkey: this.cosignatureVkey, logs };
  }

  /** Possible-misbehaviour records, newest first. */
  async misbehaviour(opts?: ListMisbehaviourOptions): Promise<MisbehaviourRecord[]> {
    return this.#storage.listMisbehaviour(opts);
  }
}
