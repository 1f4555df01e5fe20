/**
 * Which logs the witness trusts: origin → set of type-0x01 (Ed25519) log verifier keys, each
 * origin with an optional request budget (`qpd`, add-checkpoint requests per day) and an optional
 * log URL (kept for a later feature; unused by the core).
 *
 * Sources: `--log VKEY[=ORIGIN]` flags ({@link parseLogFlag}; the origin defaults to the key's
 * name) and witness-network `logs/v0` lists ({@link logSpecsFromLogList}; docs/protocols.md §5.9):
 *
 * ```
 * logs/v0
 * vkey sigsum.org/v1/tree/4d6d…e562+5202289b+Af/cLU2Y5BJNP+r3iMDC+av9eWCD0fBJVDfzAux5zxAP
 * qpd 86400
 * contact ops@example.org
 * ```
 *
 * Specs naming the same origin are merged: the union of their keys, the smallest qpd. Two
 * different keys with the same (name, key ID) are refused (a note could not be verified).
 * Removing a log from the configuration never deletes its stored state.
 */
import { ALG_ED25519, parseLogList, parseVerifierKey, formatKeyId, type Ed25519Options, type Verifier } from '@cairn/formats';
import { WitnessError } from './errors.js';

/** Longest origin accepted in configuration. */
export const MAX_ORIGIN_LENGTH = 1024;
/** Length of the base64 part of a type-0x01 vkey (1 + 32 bytes). */
const ED25519_VKEY_B64_LENGTH = 44;
// Any C0 control character, or DEL.
const CONTROL = /[\u0000-\u001f\u007f]/u;

/** One configured log key, before merging. */
export interface LogSpec {
  /** The log's type-0x01 verifier key text. */
  readonly vkey: string;
  /** The checkpoint origin; default: the key's name. */
  readonly origin?: string;
  /** Add-checkpoint requests per day; default: unlimited. */
  readonly qpd?: number;
  /** The log's tlog-tiles prefix (`<url>/tile/…`), used by the witness network. */
  readonly url?: string;
}

/** A trusted log after merging. */
export interface TrustedLog {
  readonly origin: string;
  readonly vkeys: readonly string[];
  readonly verifiers: readonly Verifier[];
  readonly qpd: number | undefined;
  readonly url: string | undefined;
}

/** A log URL: http(s), no query or fragment; returned without a trailing slash. Throws `config`. */
export function parseLogUrl(value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch (cause) {
    throw new WitnessError('config', `log URL "${value}" is not a URL`, { cause });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new WitnessError('config', `log URL "${value}" must be http or https`);
  if (u.search !== '' || u.hash !== '') throw new WitnessError('config', `log URL "${value}" must not carry a query or fragment`);
  return u.href.replace(/\/+$/u, '');
}

/**
 * Parses a `--log` value, `VKEY[=ORIGIN][@URL]`. A type-0x01 vkey's base64 part is exactly 44
 * characters (ending in `=`), so the split is unambiguous; the URL starts at the last
 * `@http://` or `@https://`. Throws {@link WitnessError} (`config`).
 */
export function parseLogFlag(value: string): LogSpec {
  const usage = 'VKEY[=ORIGIN][@URL]';
  const first = value.indexOf('+');
  const second = first < 0 ? -1 : value.indexOf('+', first + 1);
  if (second < 0) throw new WitnessError('config', `"${value}" is not ${usage} (a vkey is name+keyid+base64)`);
  const end = second + 1 + ED25519_VKEY_B64_LENGTH;
  const vkey = value.slice(0, end);
  let rest = value.slice(end);
  let url: string | undefined;
  const at = Math.max(rest.lastIndexOf('@http://'), rest.lastIndexOf('@https://'));
  if (at >= 0) {
    url = parseLogUrl(rest.slice(at + 1));
    rest = rest.slice(0, at);
  }
  const withUrl = url === undefined ? {} : { url };
  if (rest === '') return { vkey, ...withUrl };
  if (!rest.startsWith('=') || rest.length === 1) {
    throw new WitnessError('config', `"${value}" is not ${usage} (only Ed25519 type-0x01 log keys are accepted)`);
  }
  return { vkey, origin: rest.slice(1), ...withUrl };
}

/** The logs of a witness-network `logs/v0` list. Throws {@link WitnessError} (`config`). */
export function logSpecsFromLogList(text: string | Uint8Array): LogSpec[] {
  try {
    return parseLogList(text).logs.map((l) => ({ vkey: l.vkey, origin: l.origin, qpd: l.qpd }));
  } catch (cause) {
    throw new WitnessError('config', `invalid logs/v0 list: ${(cause as Error).message}`, { cause });
  }
}

function checkOrigin(origin: string): void {
  if (origin.length === 0 || origin.length > MAX_ORIGIN_LENGTH || CONTROL.test(origin) || !origin.isWellFormed()) {
    throw new WitnessError('config', `invalid origin ${JSON.stringify(origin)}: it must be 1..${MAX_ORIGIN_LENGTH} characters, one line, no control characters`);
  }
}

/**
 * Validates and merges log specs into origin → {@link TrustedLog}. Throws {@link WitnessError}
 * (`config`) naming the offending vkey.
 */
export function buildTrustedLogs(specs: readonly LogSpec[], opts?: Ed25519Options): Map<string, TrustedLog> {
  const byOrigin = new Map<string, { vkeys: string[]; verifiers: Verifier[]; qpd: number | undefined; url: string | undefined }>();
  for (const spec of specs) {
    let v: Verifier;
    try {
      v = parseVerifierKey(spec.vkey, opts);
    } catch (cause) {
      throw new WitnessError('config', `invalid log vkey "${spec.vkey}": ${(cause as Error).message}`, { cause });
    }
    if (v.alg !== ALG_ED25519) throw new WitnessError('config', `log vkey "${spec.vkey}" is not an Ed25519 note key (type 0x01)`);
    const origin = spec.origin ?? v.name;
    checkOrigin(origin);
    if (spec.qpd !== undefined && (!Number.isSafeInteger(spec.qpd) || spec.qpd < 1)) {
      throw new WitnessError('config', `qpd of ${origin} must be a positive integer`);
    }
    let entry = byOrigin.get(origin);
    if (entry === undefined) {
      entry = { vkeys: [], verifiers: [], qpd: undefined, url: undefined };
      byOrigin.set(origin, entry);
    }
    if (entry.vkeys.includes(spec.vkey)) continue;
    if (entry.verifiers.some((o) => o.name === v.name && o.keyId === v.keyId)) {
      throw new WitnessError('config', `two different keys named ${v.name}+${formatKeyId(v.keyId)} for origin ${origin}`);
    }
    entry.vkeys.push(spec.vkey);
    entry.verifiers.push(v);
    if (spec.qpd !== undefined) entry.qpd = entry.qpd === undefined ? spec.qpd : Math.min(entry.qpd, spec.qpd);
    entry.url ??= spec.url;
  }
  const out = new Map<string, TrustedLog>();
  for (const [origin, e] of byOrigin) {
    out.set(origin, Object.freeze({ origin, vkeys: Object.freeze(e.vkeys), verifiers: Object.freeze(e.verifiers), qpd: e.qpd, url: e.url }));
  }
  return out;
}
