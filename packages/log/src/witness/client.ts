/**
 * The log's client for ONE witness: keeps what it knows of the witness (the size it last
 * cosigned), sends it the newest signed checkpoint with the right consistency proof, and hands
 * verified cosignature lines to the manager.
 *
 * Exchange (c2sp.org/tlog-witness; docs/protocols.md §5 and the log checklist of §11):
 * - send `old <known size>` (0 when unknown) and the proof known size → checkpoint size;
 * - 200: the body's lines from THIS witness's key (name and key ID) must verify over the
 *   checkpoint text; lines of other keys are ignored; a bad or missing line is an alarm and
 *   nothing is merged;
 * - 409: the body says the witness's size; retry at once with the proof from it (a size above
 *   the log's latest signed size is an alarm: the witness saw a larger tree than the log has);
 * - 400/403/404/422 (any refusal): an alarm carrying the body (and, when the witness names
 *   split-view evidence — a 403 `blocked: evidence <64 hex> …` — its id in `evidenceId`);
 * - network error, timeout, 408/429/5xx: retry with exponential backoff and jitter (capped).
 *   While backing off from a witness that did not answer at all, a light probe (a TCP connect,
 *   every `probeIntervalMs`) runs; when it connects — or when {@link WitnessClient.reachable} is
 *   called, e.g. on a libp2p reconnect — the backoff ends and the exchange is retried at once,
 *   so an idle log catches up within moments of a witness coming back, not at the backoff cap.
 *
 * Coalescing: the client never queues checkpoints. `offer()` only marks it dirty; whenever it
 * is free (and before every retry) it takes the node's newest signed checkpoint, so a slow
 * witness skips intermediate checkpoints and never holds anything else up.
 */
import {
  formatAddCheckpointRequest,
  parseCosignatureLines,
  FormatError,
  type NoteSignature,
} from '@cairn/formats';
import { bytesEqual } from '@cairn/merkle';
import { backoffSleep } from '@cairn/formats';
import type { Logger } from '../logger.js';
import type { SignedCheckpoint } from '../checkpoint.js';
import { backoffDelay, MAX_WITNESS_CONFLICT_RETRIES, type ResolvedWitness, type WitnessTiming } from './config.js';
import type { ReachabilityProbe, WitnessTransport } from './http.js';

/** A signed checkpoint with its note text (the part the cosignatures sign). */
export interface PreparedCheckpoint {
  readonly checkpoint: SignedCheckpoint;
  /** The note text, `origin\nsize\nroot\n`, as UTF-8 bytes. */
  readonly text: Uint8Array;
}

/** Kinds of witness alarm. */
export type WitnessAlarmKind =
  /** The witness refused a checkpoint (400/403/404/422, or a malformed 409). */
  | 'rejected'
  /** The witness holds a size larger than the log's latest signed checkpoint. */
  | 'witness-ahead'
  /** A 200 without a valid cosignature line from the witness's key. */
  | 'bad-cosignature';

/** One alarm raised about a witness (logged as a structured warning and kept in status). */
export interface WitnessAlarm {
  readonly time: number;
  readonly url: string;
  readonly name: string;
  readonly kind: WitnessAlarmKind;
  /** The HTTP status, when the alarm is about an answer. */
  readonly status?: number;
  readonly message: string;
  /** The size of the checkpoint that was sent. */
  readonly checkpointSize: bigint;
  /** The size the witness reported (409), when known. */
  readonly witnessSize?: bigint;
  /** The split-view evidence the witness names in its refusal (a blocked origin), when any. */
  readonly evidenceId?: string;
}

/** `evidence <64 lowercase hex>` in a refusal body: the witness holds proof that this log misbehaved. */
const EVIDENCE_IN_BODY = /\bevidence ([0-9a-f]{64})\b/u;

/** The state of one witness, as reported by status(). */
export interface WitnessState {
  readonly url: string;
  readonly name: string;
  /** The size this witness last cosigned for us, as far as we know (undefined: not yet known). */
  readonly knownSize: bigint | undefined;
  /** The largest checkpoint size this witness cosigned in this process (verified). */
  readonly lastCosignedSize: bigint | undefined;
  /** When that cosignature arrived (ms, node clock). */
  readonly lastSuccessTime: number | undefined;
  readonly lastError: string | undefined;
  readonly lastErrorTime: number | undefined;
  readonly consecutiveFailures: number;
  /** Alarms raised about this witness since start. */
  readonly alarms: number;
  /** Whether an exchange is in progress (or waiting to retry). */
  readonly busy: boolean;
  /** Backoffs ended early since start, by what ended them (a probe connected; a reconnect was reported). */
  readonly backoffsEnded: { readonly probe: number; readonly reconnect: number };
}

/** What a start-up probe learned. */
export type ProbeResult =
  | { readonly kind: 'size'; readonly size: bigint }
  | { readonly kind: 'cosigned' }
  | { readonly kind: 'failed'; readonly message: string };

/** Dependencies of a {@link WitnessClient}. */
export interface WitnessClientDeps {
  readonly witness: ResolvedWitness;
  readonly timing: WitnessTiming;
  readonly logger: Logger;
  readonly clock: () => number;
  /** The node's newest signed checkpoint. */
  readonly latest: () => PreparedCheckpoint;
  readonly consistencyProof: (m: bigint, n: bigint) => Promise<Uint8Array[]>;
  /** A verified cosignature line of this witness over `p`. */
  readonly onCosignature: (p: PreparedCheckpoint, sig: NoteSignature) => void;
  readonly onAlarm: (alarm: WitnessAlarm) => void;
  /** Sends one add-checkpoint exchange to this witness (HTTP or the libp2p stream). */
  readonly send: WitnessTransport;
  /** The light check run while backing off from an unreachable witness (none: no probing). */
  readonly probe?: ReachabilityProbe | undefined;
  readonly random?: () => number;
}

type Verdict = { readonly ok: true; readonly sig: NoteSignature } | { readonly ok: false; readonly message: string };

/** The client for one witness. See the module comment. */
export class WitnessClient {
  readonly #d: WitnessClientDeps;
  readonly #stop = new AbortController();
  #known: bigint | undefined;
  #dirty = false;
  #running: Promise<void> | undefined;
  #lastCosigned: bigint | undefined;
  /** The note of the checkpoint this witness last cosigned (verified), so it is not sent twice. */
  #cosignedNote: Uint8Array | undefined;
  #lastSuccess: number | undefined;
  #lastError: string | undefined;
  #lastErrorTime: number | undefined;
  #failures = 0;
  #alarms = 0;
  /** The last failure was a witness that did not answer at all (network error, timeout). */
  #unreachable = false;
  /** Ends the current backoff early (set only while sleeping). */
  #wake: ((by: 'probe' | 'reconnect') => void) | undefined;
  readonly #backoffsEnded = { probe: 0, reconnect: 0 };

  constructor(deps: WitnessClientDeps) {
    this.#d = deps;
  }

  get witness(): ResolvedWitness {
    return this.#d.witness;
  }

  /** A new signed checkpoint exists: send the newest one as soon as this witness is free. */
  offer(): void {
    if (this.#stop.signal.aborted) return;
    this.#dirty = true;
    if (this.#running === undefined) this.#running = this.#loop();
  }

  /**
   * Start-up check: sends `p` with `old 0` once (no retries). A 409 tells the witness's size; a
   * 200 means it had nothing (or the empty tree) and cosigned `p`.
   */
  async probe(p: PreparedCheckpoint, timeoutMs: number): Promise<ProbeResult> {
    const reply = await this.#d.send(this.#d.witness.url, formatAddCheckpointRequest({ oldSize: 0n, proof: [], checkpoint: p.checkpoint.note }), {
      timeoutMs, signal: this.#stop.signal,
    });
    switch (reply.kind) {
      case 'conflict':
        this.#known = reply.size;
        if (reply.size > p.checkpoint.size) {
          this.#alarm('witness-ahead', p, `the witness has cosigned size ${reply.size}, larger than the log's latest signed size ${p.checkpoint.size}`, { status: 409, witnessSize: reply.size });
        }
        return { kind: 'size', size: reply.size };
      case 'cosigned': {
        const v = this.#verify(p, reply.body);
        if (!v.ok) {
          this.#alarm('bad-cosignature', p, v.message, { status: 200 });
          return { kind: 'failed', message: v.message };
        }
        this.#success(p, v.sig);
        return { kind: 'cosigned' };
      }
      case 'rejected':
        this.#alarm('rejected', p, reply.body, { status: reply.status });
        return { kind: 'failed', message: `HTTP ${reply.status}: ${reply.body}` };
      case 'unavailable':
        this.#failure(reply.message, reply.status === undefined);
        return { kind: 'failed', message: reply.message };
    }
  }

  /**
   * The witness is reachable again (e.g. its libp2p connection came back): ends a backoff in
   * progress so the exchange is retried at once. Does nothing when not backing off.
   */
  reachable(): void {
    this.#wake?.('reconnect');
  }

  /** Aborts any exchange in progress and waits for the client to go idle. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#running;
  }

  state(): WitnessState {
    const w = this.#d.witness;
    return {
      url: w.url, name: w.name, knownSize: this.#known, lastCosignedSize: this.#lastCosigned, lastSuccessTime: this.#lastSuccess,
      lastError: this.#lastError, lastErrorTime: this.#lastErrorTime, consecutiveFailures: this.#failures, alarms: this.#alarms,
      busy: this.#running !== undefined, backoffsEnded: { ...this.#backoffsEnded },
    };
  }

  async #loop(): Promise<void> {
    try {
      while (this.#dirty && !this.#stop.signal.aborted) {
        this.#dirty = false;
        await this.#deliver();
      }
    } catch (e) {
      this.#d.logger.error('witness client failed unexpectedly', { witness: this.#d.witness.url, error: e });
    } finally {
      this.#running = undefined;
    }
  }

  /** Brings the witness up to the newest checkpoint, retrying until success, refusal or stop. */
  async #deliver(): Promise<void> {
    let conflicts = 0;
    while (!this.#stop.signal.aborted) {
      const p = this.#d.latest();
      this.#dirty = false; // p is the newest: an offer from now on means a newer one
      const size = p.checkpoint.size;
      const old = this.#known ?? 0n;
      if (old === size && this.#cosignedNote !== undefined && bytesEqual(this.#cosignedNote, p.checkpoint.note)) return; // already has it
      if (old > size) {
        // Only reachable when the witness's size grew past the newest checkpoint; alarmed when learned.
        return;
      }
      let proof: Uint8Array[];
      try {
        proof = old === 0n ? [] : await this.#d.consistencyProof(old, size);
      } catch (e) {
        this.#failure(`could not build the consistency proof ${old} → ${size}: ${(e as Error).message}`);
        await this.#sleep();
        continue;
      }
      const body = formatAddCheckpointRequest({ oldSize: old, proof, checkpoint: p.checkpoint.note });
      const reply = await this.#d.send(this.#d.witness.url, body, { timeoutMs: this.#d.timing.requestTimeoutMs, signal: this.#stop.signal });
      if (this.#stop.signal.aborted) return;
      switch (reply.kind) {
        case 'cosigned': {
          const v = this.#verify(p, reply.body);
          if (v.ok) {
            this.#success(p, v.sig);
          } else {
            this.#known = undefined; // it answered 200, so its state moved: ask again next time
            this.#alarm('bad-cosignature', p, v.message, { status: 200 });
          }
          return;
        }
        case 'conflict': {
          this.#known = reply.size;
          const latest = this.#d.latest().checkpoint.size;
          if (reply.size > latest) {
            this.#alarm('witness-ahead', p, `the witness has cosigned size ${reply.size}, larger than the log's latest signed size ${latest}`, {
              status: 409, witnessSize: reply.size,
            });
            return;
          }
          this.#d.logger.debug('witness size learned from 409', { witness: this.#d.witness.url, witnessSize: reply.size, size });
          if (++conflicts > MAX_WITNESS_CONFLICT_RETRIES) {
            conflicts = 0;
            this.#failure(`${MAX_WITNESS_CONFLICT_RETRIES + 1} conflicts in a row (last: witness size ${reply.size})`);
            await this.#sleep();
          }
          continue; // at once, with the proof from the size it told us
        }
        case 'rejected':
          this.#known = undefined; // whatever it holds, learn it again (old 0 → 409) next time
          this.#alarm('rejected', p, reply.body, { status: reply.status });
          return;
        case 'unavailable':
          this.#failure(reply.message, reply.status === undefined);
          await this.#sleep();
          continue;
      }
    }
  }

  /** Checks a 200 body: this witness's line(s) must verify over the checkpoint text. */
  #verify(p: PreparedCheckpoint, body: Uint8Array): Verdict {
    const v = this.#d.witness.verifier;
    let lines: NoteSignature[];
    try {
      lines = parseCosignatureLines(body);
    } catch (e) {
      if (!(e instanceof FormatError)) throw e;
      return { ok: false, message: `malformed cosignature response: ${e.message}` };
    }
    const mine = lines.filter((l) => l.name === v.name && l.keyId === v.keyId);
    if (mine.length === 0) return { ok: false, message: `the response has no line from key ${v.name} (${lines.length} other line(s))` };
    for (const l of mine) {
      let ok = false;
      try {
        ok = l.nonCanonical !== true && v.verify(p.text, l.payload);
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
      }
      if (!ok) return { ok: false, message: `a cosignature line from key ${v.name} does not verify over checkpoint ${p.checkpoint.size}: ${l.line}` };
    }
    return { ok: true, sig: mine[0] as NoteSignature };
  }

  #success(p: PreparedCheckpoint, sig: NoteSignature): void {
    const size = p.checkpoint.size;
    this.#known = size;
    this.#cosignedNote = p.checkpoint.note;
    if (this.#lastCosigned === undefined || size > this.#lastCosigned) this.#lastCosigned = size;
    this.#lastSuccess = this.#d.clock();
    if (this.#failures > 0) this.#d.logger.info('witness answering again', { witness: this.#d.witness.url, after: this.#failures });
    this.#failures = 0;
    this.#unreachable = false;
    this.#d.onCosignature(p, sig);
  }

  #failure(message: string, unreachable = false): void {
    this.#failures++;
    this.#unreachable = unreachable;
    this.#lastError = message;
    this.#lastErrorTime = this.#d.clock();
    const fields = { witness: this.#d.witness.url, name: this.#d.witness.name, error: message, consecutiveFailures: this.#failures };
    // Warn on the first failure and then sparingly, so a dead witness does not flood the log.
    if (this.#failures === 1 || (this.#failures & (this.#failures - 1)) === 0) this.#d.logger.warn('witness unavailable', fields);
    else this.#d.logger.debug('witness unavailable', fields);
  }

  #alarm(kind: WitnessAlarmKind, p: PreparedCheckpoint, message: string, extra: { status?: number; witnessSize?: bigint }): void {
    this.#alarms++;
    this.#failures++;
    this.#unreachable = false;
    this.#lastError = `${kind}: ${message}`;
    this.#lastErrorTime = this.#d.clock();
    const w = this.#d.witness;
    const evidenceId = kind === 'rejected' ? EVIDENCE_IN_BODY.exec(message)?.[1] : undefined;
    const alarm: WitnessAlarm = {
      time: this.#lastErrorTime, url: w.url, name: w.name, kind, message, checkpointSize: p.checkpoint.size, ...extra,
      ...(evidenceId === undefined ? {} : { evidenceId }),
    };
    this.#d.logger.warn('witness alarm', { ...alarm });
    this.#d.onAlarm(alarm);
  }

  /**
   * Waits the backoff for the current failure count; returns early on stop, on
   * {@link reachable}, or — when the witness did not answer at all — once a probe connects.
   */
  async #sleep(): Promise<void> {
    const ms = backoffDelay(this.#failures, this.#d.timing, this.#d.random);
    const signal = this.#stop.signal;
    const probe = this.#unreachable ? this.#d.probe : undefined;
    const every = this.#d.timing.probeIntervalMs;
    const wake = new AbortController();
    let by: 'probe' | 'reconnect' | undefined;
    this.#wake = (how) => {
      by ??= how;
      wake.abort();
    };
    // Probing only pays when the wait is long; a short one just runs out.
    const probing = probe !== undefined && ms > 2 * every
      ? (async () => {
        while ((await backoffSleep(every, { signal, wake: wake.signal })) === 'elapsed') {
          if (await probe(this.#d.witness.url, AbortSignal.any([wake.signal, AbortSignal.timeout(every)]))) this.#wake?.('probe');
        }
      })()
      : undefined;
    const end = await backoffSleep(ms, { signal, wake: wake.signal });
    this.#wake = undefined;
    wake.abort(); // stops the probe loop
    await probing;
    if (end === 'woken' && by !== undefined && !signal.aborted) {
      this.#backoffsEnded[by]++;
      this.#d.logger.info('witness reachable again: backoff ended, retrying now', {
        witness: this.#d.witness.url, name: this.#d.witness.name, by, consecutiveFailures: this.#failures, backoffMs: Math.round(ms),
      });
    }
  }
}
