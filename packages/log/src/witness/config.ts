/**
 * Witness configuration of a log node: which witnesses to ask for cosignatures, how many must
 * cosign before a checkpoint is served ("quorum"), and the timing of the exchange. Validated
 * once, at {@link LogNode.open}; anything wrong is a LogError 'config' naming the field.
 *
 * A witness is given by its submission prefix URL (`POST <url>/add-checkpoint`) — or by a libp2p
 * multiaddr ending in `/p2p/<peer ID>`, e.g. `/ip4/10.0.0.2/tcp/4001/p2p/12D3KooW…`, reached over
 * the `/cairn/tlog-witness/add-checkpoint/1` stream protocol (same bytes; needs the node's
 * `witnessStream` option) — and its cosignature/v1 verifier key (type 0x04, as
 * `pnpm cairn keygen --witness` prints, e.g. `witness.example.org+1c1b7b2e+BE4a…`). Its name
 * defaults to the key name.
 */
import { ALG_COSIGNATURE_V1, backoffDelay as policyDelay, parseVerifierKey, type Ed25519Backend, type Verifier } from '@cairn/formats';
import { LogError } from '../errors.js';

/** One witness, as configured. */
export interface WitnessConfig {
  /** Submission prefix: requests go to `<url>/add-checkpoint` (http or https); or a `/…/p2p/<peer ID>` multiaddr. */
  readonly url: string;
  /** The witness's cosignature/v1 verifier key (type 0x04). */
  readonly vkey: string;
  /** A label for logs and status; default the key name. */
  readonly name?: string;
}

/** Timing of the witness exchange (all ms). Every field has a named default. */
export interface WitnessTiming {
  /** One add-checkpoint request, connection to last body byte. */
  readonly requestTimeoutMs: number;
  /** The start-up size check, per witness. */
  readonly startupTimeoutMs: number;
  /** First retry delay after a network error or a 5xx/429; doubles per failure. */
  readonly initialBackoffMs: number;
  /** Largest retry delay. Retries go on (at this pace) until a newer checkpoint or stop(). */
  readonly maxBackoffMs: number;
  /**
   * While backing off from an unreachable witness (no answer at all), try a TCP connect to it
   * this often; when it connects, the backoff ends and the exchange is retried at once.
   */
  readonly probeIntervalMs: number;
}

/** One add-checkpoint request may take this long (ms). */
export const DEFAULT_WITNESS_REQUEST_TIMEOUT_MS = 5_000;
/** The start-up size check waits this long per witness (ms). */
export const DEFAULT_WITNESS_STARTUP_TIMEOUT_MS = 5_000;
/** First retry delay after a failed exchange (ms). */
export const DEFAULT_WITNESS_INITIAL_BACKOFF_MS = 100;
/** Largest retry delay (ms). */
export const DEFAULT_WITNESS_MAX_BACKOFF_MS = 30_000;
/** While backing off from an unreachable witness, probe it (TCP connect) this often (ms). */
export const DEFAULT_WITNESS_PROBE_INTERVAL_MS = 1_000;
/** 409 answers in a row for one checkpoint before the exchange counts as failed (and backs off). */
export const MAX_WITNESS_CONFLICT_RETRIES = 3;
/** Alarms kept for status() (the oldest are dropped; per-witness counters keep counting). */
export const MAX_WITNESS_ALARMS = 100;
/** Bytes of an error body kept in an alarm. */
export const MAX_ALARM_BODY_CHARS = 512;
/** Most witnesses one log may be configured with. */
export const MAX_WITNESSES = 64;

/** A libp2p multiaddr of a peer: printable, `/`-separated, ending in `/p2p/<base58 peer ID>`. */
const P2P_MULTIADDR = /^(\/[A-Za-z0-9._~:%-]+)+\/p2p\/[1-9A-HJ-NP-Za-km-z]{20,128}$/u;

/** A validated witness. */
export interface ResolvedWitness {
  /** The submission prefix without a trailing slash, or the libp2p multiaddr. */
  readonly url: string;
  /** How the witness is reached. */
  readonly transport: 'http' | 'libp2p';
  readonly name: string;
  readonly vkey: string;
  readonly verifier: Verifier;
}

/** Validated witness options. */
export interface ResolvedWitnesses {
  readonly witnesses: readonly ResolvedWitness[];
  readonly quorum: number;
  readonly timing: WitnessTiming;
}

function positive(name: string, v: number | undefined, dflt: number): number {
  const x = v ?? dflt;
  if (!Number.isFinite(x) || x <= 0) throw new LogError('config', `${name} must be a number > 0, got ${String(v)}`);
  return x;
}

/** Validates the witness options of a log node. Throws LogError 'config'. */
export function resolveWitnesses(
  list: readonly WitnessConfig[] | undefined,
  quorum: number | undefined,
  timing: Partial<WitnessTiming> | undefined,
  ed25519: Ed25519Backend | undefined,
): ResolvedWitnesses {
  const configs = list ?? [];
  if (!Array.isArray(configs)) throw new LogError('config', 'witnesses must be an array');
  if (configs.length > MAX_WITNESSES) throw new LogError('config', `at most ${MAX_WITNESSES} witnesses`);
  const witnesses: ResolvedWitness[] = [];
  const seenKeys = new Set<string>();
  for (const [i, w] of configs.entries()) {
    const field = `witnesses[${i}]`;
    let target: string;
    let transport: 'http' | 'libp2p';
    if (typeof w.url === 'string' && w.url.startsWith('/')) {
      if (!P2P_MULTIADDR.test(w.url)) throw new LogError('config', `${field}.url is neither an http(s) URL nor a multiaddr ending in /p2p/<peer ID>: ${JSON.stringify(w.url)}`);
      target = w.url;
      transport = 'libp2p';
    } else {
      let url: URL;
      try {
        url = new URL(w.url);
      } catch (cause) {
        throw new LogError('config', `${field}.url is not a URL: ${JSON.stringify(w.url)}`, { cause });
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new LogError('config', `${field}.url must be http or https`);
      if (url.search !== '' || url.hash !== '') throw new LogError('config', `${field}.url must not carry a query or fragment`);
      target = url.href.replace(/\/+$/u, '');
      transport = 'http';
    }
    let verifier: Verifier;
    try {
      verifier = parseVerifierKey(w.vkey, ed25519 === undefined ? undefined : { ed25519 });
    } catch (cause) {
      throw new LogError('config', `${field}.vkey is not a valid verifier key: ${(cause as Error).message}`, { cause });
    }
    if (verifier.alg !== ALG_COSIGNATURE_V1) {
      throw new LogError('config', `${field}.vkey must be a cosignature/v1 key (type 0x04, as \`cairn keygen --witness\` prints)`);
    }
    const id = `${verifier.name}+${verifier.keyId}`;
    if (seenKeys.has(id)) throw new LogError('config', `${field}.vkey is configured twice`);
    seenKeys.add(id);
    const name = w.name ?? verifier.name;
    if (typeof name !== 'string' || name.length === 0) throw new LogError('config', `${field}.name must be a non-empty string`);
    witnesses.push({ url: target, transport, name, vkey: w.vkey, verifier });
  }
  const q = quorum ?? witnesses.length;
  if (!Number.isSafeInteger(q) || q < 0 || q > witnesses.length) {
    throw new LogError('config', `quorum must be an integer in 0..${witnesses.length} (the number of witnesses), got ${String(quorum)}`);
  }
  const t = {
    requestTimeoutMs: positive('witnessTiming.requestTimeoutMs', timing?.requestTimeoutMs, DEFAULT_WITNESS_REQUEST_TIMEOUT_MS),
    startupTimeoutMs: positive('witnessTiming.startupTimeoutMs', timing?.startupTimeoutMs, DEFAULT_WITNESS_STARTUP_TIMEOUT_MS),
    initialBackoffMs: positive('witnessTiming.initialBackoffMs', timing?.initialBackoffMs, DEFAULT_WITNESS_INITIAL_BACKOFF_MS),
    maxBackoffMs: positive('witnessTiming.maxBackoffMs', timing?.maxBackoffMs, DEFAULT_WITNESS_MAX_BACKOFF_MS),
    probeIntervalMs: positive('witnessTiming.probeIntervalMs', timing?.probeIntervalMs, DEFAULT_WITNESS_PROBE_INTERVAL_MS),
  };
  if (t.maxBackoffMs < t.initialBackoffMs) throw new LogError('config', 'witnessTiming.maxBackoffMs must be ≥ initialBackoffMs');
  return { witnesses, quorum: q, timing: t };
}

/** The delay before retry number `failures` (1-based): exponential, capped, jittered uniformly in [d/2, d]. */
export function backoffDelay(failures: number, timing: WitnessTiming, random: () => number = Math.random): number {
  return policyDelay(failures, { initialMs: timing.initialBackoffMs, maxMs: timing.maxBackoffMs }, random);
}
