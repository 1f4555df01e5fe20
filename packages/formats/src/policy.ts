/**
 * Transparency-log trust policies, c2sp.org/tlog-policy (docs/protocols.md §10): which logs are
 * accepted, which witnesses are known, and the quorum of cosignatures a checkpoint needs.
 *
 * ```
 * # Our audit log, and three witnesses of which two must cosign.
 * log example.org/log+b0201859+Aawb3XxZM7k072GrHtogNwVl3F5b5SbqFs83YYw+Yjbq https://log.example.org/
 * witness w1 witness.example.org+b8a2cf20+BFLN3yikSfFkVAJtrnh/CiY3Zozkoy7clp+P7XB28qUN
 * witness w2 mirror.example.org+3fb148ef+BAAjjch9GyYz0sJsJx7ALhbdAtz2ov0unbzSl1vMp94O
 * witness w3 …
 * group two-of-three 2 w1 w2 w3
 * quorum two-of-three
 * ```
 *
 * Lines: `log <vkey> [<url>]`, `witness <name> <vkey> [<url>]`, `group <name> <all|any|k>
 * <member>…` (1 ≤ k ≤ n, n ≥ 1) and exactly one `quorum <name|none>`. Items are separated by
 * spaces and tabs; leading and trailing white space is allowed; blank lines and lines whose first
 * non-blank character is `#` are ignored. Only TAB, LF, 0x20–0x7E and non-ASCII are allowed.
 *
 * Rules enforced (spec, plus our stated choices):
 * - Log keys are Ed25519 note keys (vkey type 0x01); witness keys are cosignature/v1 keys (type
 *   0x04). Anything else (ML-DSA-44 0x06 included, which keys.ts does not support) is rejected.
 * - Two vkeys wrapping the same public key are duplicates, even under different names, IDs or
 *   roles (log vs witness).
 * - Witnesses and groups share one namespace; `none` is reserved (valid only as the quorum).
 *   Group members and the quorum must be defined on earlier lines; so no cycles.
 * - Each name may be listed as a group member at most once in the whole file ("each witness can
 *   contribute to a group, or to the quorum, in only one way").
 * - Our deviations: a byte input must be valid UTF-8 (the spec treats high-bit octets as opaque);
 *   size and counts are capped (the spec asks for at least 32 logs, witnesses and groups).
 *
 * {@link formatPolicy} writes the canonical form: `log` lines, `witness` lines, `group` lines (in
 * order), then `quorum`, single spaces, no comments, each line ending in LF.
 */
import { trimBlanks } from './blanks.js';
import { bytesEqual } from './bytes-equal.js';
import { utf8DecodeStrict } from './encoding.js';
import { FormatError, type FormatErrorOptions } from './errors.js';
import { parseCheckpoint, type Checkpoint } from './checkpoint.js';
import { cosignatureTimestamp } from './cosignature.js';
import { ALG_COSIGNATURE_V1, ALG_ED25519, parseVerifierKey, type Verifier } from './keys.js';
import { openNote, type VerifiedSignature } from './note.js';

/** Largest policy file accepted, in bytes. */
export const MAX_POLICY_SIZE = 64 * 1024;
/** Most `log` lines accepted. */
export const MAX_POLICY_LOGS = 256;
/** Most `witness` lines accepted. */
export const MAX_POLICY_WITNESSES = 256;
/** Most `group` lines accepted. */
export const MAX_POLICY_GROUPS = 256;
/** The predefined name meaning "no cosignature required". */
export const QUORUM_NONE = 'none';

/**
 * A policy syntax or consistency error. `line` is the 1-based line number it concerns (undefined
 * when no single line is at fault). Codes: `bad-input`, `too-large`, `bad-char`, `bad-utf8`,
 * `unknown-keyword`, `bad-arity`, `bad-vkey`, `wrong-key-type`, `duplicate-key`, `duplicate-name`,
 * `reserved-name`, `bad-threshold`, `undefined-name`, `duplicate-member`, `duplicate-quorum`,
 * `missing-quorum`, `too-many`, `bad-token`, `no-log-signature`, `origin-mismatch`.
 */
export class PolicyError extends FormatError {
  readonly line: number | undefined;
  constructor(code: string, message: string, line?: number, options?: FormatErrorOptions) {
    super('tlog-policy', code, line === undefined ? message : `line ${line}: ${message}`, options);
    this.name = 'PolicyError';
    this.line = line;
  }
}

/** A `log <vkey> [<url>]` line. The vkey's key name is the log's origin. */
export interface PolicyLog {
  readonly vkey: string;
  readonly url?: string;
}

/** A `witness <name> <vkey> [<url>]` line. */
export interface PolicyWitness {
  readonly name: string;
  readonly vkey: string;
  readonly url?: string;
}

/** A group threshold as written: `all` (k = n), `any` (k = 1) or k. */
export type GroupThreshold = 'all' | 'any' | number;

/** A `group <name> <threshold> <member>…` line. */
export interface PolicyGroup {
  readonly name: string;
  readonly threshold: GroupThreshold;
  readonly members: readonly string[];
}

/** A parsed policy: plain data, in file order per kind. */
export interface Policy {
  readonly logs: readonly PolicyLog[];
  readonly witnesses: readonly PolicyWitness[];
  readonly groups: readonly PolicyGroup[];
  /** A witness or group name, or {@link QUORUM_NONE}. */
  readonly quorum: string;
}

// C0 controls other than TAB and LF, and DEL.
const FORBIDDEN_CHAR = /[\u0000-\u0008\u000b-\u001f\u007f]/;
const WS = /[ \t]+/;
const THRESHOLD = /^[1-9][0-9]{0,8}$/;

function toText(input: string | Uint8Array): string {
  if (typeof input === 'string') {
    if (input.length > MAX_POLICY_SIZE) throw new PolicyError('too-large', `policy exceeds ${MAX_POLICY_SIZE} bytes`);
    if (!input.isWellFormed()) throw new PolicyError('bad-utf8', 'policy is not well-formed Unicode');
    if (new TextEncoder().encode(input).length > MAX_POLICY_SIZE) {
      throw new PolicyError('too-large', `policy exceeds ${MAX_POLICY_SIZE} bytes`);
    }
    return input;
  }
  if (!(input instanceof Uint8Array)) throw new PolicyError('bad-input', 'policy must be a string or bytes');
  if (input.length > MAX_POLICY_SIZE) throw new PolicyError('too-large', `policy of ${input.length} bytes exceeds ${MAX_POLICY_SIZE}`);
  try {
    return utf8DecodeStrict(input);
  } catch (cause) {
    throw new PolicyError('bad-utf8', 'policy is not valid UTF-8', undefined, { cause });
  }
}

function parseKey(vkey: string, alg: number, role: string, line: number | undefined): Verifier {
  let v: Verifier;
  try {
    v = parseVerifierKey(vkey);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new PolicyError('bad-vkey', `invalid ${role} vkey: ${why}`, line, { cause });
  }
  if (v.alg !== alg) {
    const want = alg === ALG_ED25519 ? 'an Ed25519 note key (type 0x01)' : 'a cosignature/v1 key (type 0x04)';
    throw new PolicyError('wrong-key-type', `${role} vkey must be ${want}, not type 0x${v.alg.toString(16).padStart(2, '0')}`, line);
  }
  return v;
}

/** Builder state while reading lines: names defined so far, keys seen, members used. */
class PolicyBuilder {
  readonly logs: PolicyLog[] = [];
  readonly witnesses: PolicyWitness[] = [];
  readonly groups: PolicyGroup[] = [];
  quorum: string | undefined;
  private readonly names = new Map<string, number>(); // name → number of "units" (for k ≤ n checks)
  private readonly usedMembers = new Set<string>();
  private readonly keys: Uint8Array[] = [];

  private addKey(v: Verifier, line: number): void {
    if (this.keys.some((k) => bytesEqual(k, v.publicKey))) {
      throw new PolicyError('duplicate-key', 'this public key is already listed (keys must be unique across names and roles)', line);
    }
    this.keys.push(v.publicKey);
  }

  private defineName(name: string, line: number): void {
    if (name === QUORUM_NONE) throw new PolicyError('reserved-name', `"${QUORUM_NONE}" is reserved`, line);
    if (this.names.has(name)) throw new PolicyError('duplicate-name', `name "${name}" is already defined`, line);
    this.names.set(name, line);
  }

  log(args: string[], line: number): void {
    if (args.length < 1 || args.length > 2) throw new PolicyError('bad-arity', 'expected "log <vkey> [<url>]"', line);
    if (this.logs.length === MAX_POLICY_LOGS) throw new PolicyError('too-many', `more than ${MAX_POLICY_LOGS} logs`, line);
    const [vkey, url] = args as [string, string | undefined];
    this.addKey(parseKey(vkey, ALG_ED25519, 'log', line), line);
    this.logs.push(url === undefined ? { vkey } : { vkey, url });
  }

  witness(args: string[], line: number): void {
    if (args.length < 2 || args.length > 3) throw new PolicyError('bad-arity', 'expected "witness <name> <vkey> [<url>]"', line);
    if (this.witnesses.length === MAX_POLICY_WITNESSES) throw new PolicyError('too-many', `more than ${MAX_POLICY_WITNESSES} witnesses`, line);
    const [name, vkey, url] = args as [string, string, string | undefined];
    this.defineName(name, line);
    this.addKey(parseKey(vkey, ALG_COSIGNATURE_V1, 'witness', line), line);
    this.witnesses.push(url === undefined ? { name, vkey } : { name, vkey, url });
  }

  group(args: string[], line: number): void {
    if (args.length < 3) throw new PolicyError('bad-arity', 'expected "group <name> <all|any|k> <member>..."', line);
    if (this.groups.length === MAX_POLICY_GROUPS) throw new PolicyError('too-many', `more than ${MAX_POLICY_GROUPS} groups`, line);
    const [name, t, ...members] = args as [string, string, ...string[]];
    this.defineName(name, line);
    let threshold: GroupThreshold;
    if (t === 'all' || t === 'any') {
      threshold = t;
    } else if (THRESHOLD.test(t) && Number(t) <= members.length) {
      threshold = Number(t);
    } else {
      throw new PolicyError('bad-threshold', `threshold "${t}" must be all, any or a decimal k with 1 ≤ k ≤ ${members.length}`, line);
    }
    for (const m of members) {
      if (m === QUORUM_NONE) throw new PolicyError('reserved-name', `"${QUORUM_NONE}" cannot be a group member`, line);
      if (m === name || !this.names.has(m)) throw new PolicyError('undefined-name', `member "${m}" is not defined on an earlier line`, line);
      if (this.usedMembers.has(m)) throw new PolicyError('duplicate-member', `"${m}" is already a group member (at most once per policy)`, line);
      this.usedMembers.add(m);
    }
    this.groups.push({ name, threshold, members });
  }

  setQuorum(args: string[], line: number): void {
    if (args.length !== 1) throw new PolicyError('bad-arity', 'expected "quorum <name|none>"', line);
    if (this.quorum !== undefined) throw new PolicyError('duplicate-quorum', 'quorum is already defined', line);
    const [name] = args as [string];
    if (name !== QUORUM_NONE && !this.names.has(name)) {
      throw new PolicyError('undefined-name', `quorum "${name}" is not defined on an earlier line`, line);
    }
    this.quorum = name;
  }
}

/** Parses a tlog-policy file. Throws only {@link PolicyError} (with the line number). */
export function parsePolicy(input: string | Uint8Array): Policy {
  const text = toText(input);
  const b = new PolicyBuilder();
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const lineNo = i + 1;
    if (FORBIDDEN_CHAR.test(raw)) throw new PolicyError('bad-char', 'control character (only TAB and LF are allowed)', lineNo);
    const line = trimBlanks(raw);
    if (line === '' || line.startsWith('#')) continue;
    const [keyword, ...args] = line.split(WS) as [string, ...string[]];
    switch (keyword) {
      case 'log': b.log(args, lineNo); break;
      case 'witness': b.witness(args, lineNo); break;
      case 'group': b.group(args, lineNo); break;
      case 'quorum': b.setQuorum(args, lineNo); break;
      default: throw new PolicyError('unknown-keyword', `unknown keyword "${keyword}"`, lineNo);
    }
  }
  if (b.quorum === undefined) throw new PolicyError('missing-quorum', 'policy has no quorum line');
  return { logs: b.logs, witnesses: b.witnesses, groups: b.groups, quorum: b.quorum };
}

function token(s: unknown, what: string): string {
  if (typeof s !== 'string' || s.length === 0 || /[ \t\n]/.test(s) || FORBIDDEN_CHAR.test(s) || s.startsWith('#')) {
    throw new PolicyError('bad-token', `${what} must be a non-empty token without white space`);
  }
  return s;
}

/**
 * Formats a policy in canonical form (see module comment), and checks it by parsing the result:
 * throws {@link PolicyError} for anything {@link parsePolicy} would reject.
 */
export function formatPolicy(p: Policy): string {
  if (typeof p !== 'object' || p === null) throw new PolicyError('bad-input', 'policy must be an object');
  let out = '';
  const url = (u: string | undefined) => (u === undefined ? '' : ` ${token(u, 'url')}`);
  for (const l of p.logs) out += `log ${token(l.vkey, 'vkey')}${url(l.url)}\n`;
  for (const w of p.witnesses) out += `witness ${token(w.name, 'name')} ${token(w.vkey, 'vkey')}${url(w.url)}\n`;
  for (const g of p.groups) {
    const t = typeof g.threshold === 'number' ? String(g.threshold) : token(g.threshold, 'threshold');
    out += `group ${token(g.name, 'name')} ${t} ${g.members.map((m) => token(m, 'member')).join(' ')}\n`;
  }
  out += `quorum ${token(p.quorum, 'quorum')}\n`;
  parsePolicy(out);
  return out;
}

/** Result of {@link evaluateQuorum}. */
export interface QuorumResult {
  readonly satisfied: boolean;
  /**
   * Witnesses (policy names, in policy order) that have not cosigned and sit under an unsatisfied
   * part of the quorum: a cosignature from any of them would bring the quorum closer. Empty when
   * satisfied.
   */
  readonly missing: string[];
}

function thresholdOf(g: PolicyGroup): number {
  return g.threshold === 'all' ? g.members.length : g.threshold === 'any' ? 1 : g.threshold;
}

/**
 * Evaluates the quorum for the set of witnesses (policy names) whose cosignatures verified. Names
 * not in the policy are ignored. Throws {@link PolicyError} (`undefined-name`) only for a
 * hand-built policy that refers to an undefined name.
 */
export function evaluateQuorum(policy: Policy, verifiedWitnessNames: ReadonlySet<string>): QuorumResult {
  if (policy.quorum === QUORUM_NONE) return { satisfied: true, missing: [] };
  // Groups only refer to earlier definitions, so one pass in order decides every name.
  const satisfied = new Map<string, boolean>();
  for (const w of policy.witnesses) satisfied.set(w.name, verifiedWitnessNames.has(w.name));
  const groups = new Map<string, PolicyGroup>();
  for (const g of policy.groups) {
    let count = 0;
    for (const m of g.members) {
      const s = satisfied.get(m);
      if (s === undefined) throw new PolicyError('undefined-name', `group "${g.name}" member "${m}" is not defined before it`);
      if (s) count++;
    }
    satisfied.set(g.name, count >= thresholdOf(g));
    groups.set(g.name, g);
  }
  const top = satisfied.get(policy.quorum);
  if (top === undefined) throw new PolicyError('undefined-name', `quorum "${policy.quorum}" is not defined`);
  if (top) return { satisfied: true, missing: [] };
  const missing = new Set<string>();
  const visit = (name: string): void => {
    if (satisfied.get(name)) return;
    const g = groups.get(name);
    if (g === undefined) missing.add(name);
    else for (const m of g.members) visit(m);
  };
  visit(policy.quorum);
  return { satisfied: false, missing: policy.witnesses.map((w) => w.name).filter((n) => missing.has(n)) };
}

/** A witness verifier and its policy name. */
export interface PolicyWitnessVerifier {
  readonly name: string;
  readonly verifier: Verifier;
}

/** The verifiers of a policy: log keys (type 0x01) and witness keys (type 0x04), in policy order. */
export interface PolicyVerifiers {
  readonly logs: readonly Verifier[];
  readonly witnesses: readonly PolicyWitnessVerifier[];
}

/** Builds the note verifiers of a policy (pass `[...logs, ...witnesses.map(w => w.verifier)]` to openNote). */
export function checkpointVerifiers(policy: Policy): PolicyVerifiers {
  return {
    logs: policy.logs.map((l) => parseKey(l.vkey, ALG_ED25519, 'log', undefined)),
    witnesses: policy.witnesses.map((w) => ({ name: w.name, verifier: parseKey(w.vkey, ALG_COSIGNATURE_V1, 'witness', undefined) })),
  };
}

/** A witness cosignature that verified under the policy. */
export interface PolicyCosignature {
  /** The witness's policy name. */
  readonly name: string;
  /** The cosignature/v1 timestamp (POSIX seconds); judging it against a clock is the caller's job. */
  readonly timestamp: bigint;
  readonly signature: VerifiedSignature;
}

/** Result of {@link verifyCheckpointUnderPolicy}. */
export interface PolicyVerification {
  /** The signed note text (the checkpoint body), exactly as signed. */
  readonly text: string;
  readonly checkpoint: Checkpoint;
  /** Verified signatures from the policy's log keys whose key name equals the origin (≥ 1). */
  readonly logSignatures: readonly VerifiedSignature[];
  /** Verified witness cosignatures, in note order. */
  readonly cosignatures: readonly PolicyCosignature[];
  readonly quorum: QuorumResult;
}

/** Options of {@link verifyCheckpointUnderPolicy}. */
export interface VerifyUnderPolicyOptions {
  /** When set, the checkpoint origin must equal it (`origin-mismatch` otherwise). */
  readonly origin?: string;
  /** Verifiers already built with {@link checkpointVerifiers} for this policy (saves re-parsing). */
  readonly verifiers?: PolicyVerifiers;
}

/**
 * Opens a signed checkpoint with every key of the policy and reports what it proves. Requires at
 * least one valid signature from a listed log key whose name is the checkpoint origin (the
 * tlog-policy rule), then evaluates the quorum over the verified witness cosignatures. An
 * unsatisfied quorum is a result (`quorum.satisfied === false`), not an error; no clock judgement
 * is made (the client decides about future timestamps).
 *
 * Throws the underlying format errors: {@link NoteError} (malformed note, `invalid-signature`
 * when a known key's line fails, `no-verified-signature`), `CheckpointError` (malformed body),
 * and {@link PolicyError} (`no-log-signature`, `origin-mismatch`).
 */
export function verifyCheckpointUnderPolicy(
  note: Uint8Array | string,
  policy: Policy,
  opts: VerifyUnderPolicyOptions = {},
): PolicyVerification {
  const { logs, witnesses } = opts.verifiers ?? checkpointVerifiers(policy);
  const witnessNames = new Map<Verifier, string>(witnesses.map((w) => [w.verifier, w.name]));
  const logSet = new Set<Verifier>(logs);
  const opened = openNote(note, [...logs, ...witnesses.map((w) => w.verifier)]);
  const checkpoint = parseCheckpoint(opened.text);
  if (opts.origin !== undefined && checkpoint.origin !== opts.origin) {
    throw new PolicyError('origin-mismatch', `checkpoint origin "${checkpoint.origin}" is not "${opts.origin}"`);
  }
  const logSignatures = opened.verified.filter((s) => logSet.has(s.verifier) && s.verifier.name === checkpoint.origin);
  if (logSignatures.length === 0) {
    throw new PolicyError('no-log-signature', `no listed log key named "${checkpoint.origin}" signed this checkpoint`);
  }
  const cosignatures: PolicyCosignature[] = [];
  for (const s of opened.verified) {
    const name = witnessNames.get(s.verifier);
    if (name !== undefined) cosignatures.push({ name, timestamp: cosignatureTimestamp(s), signature: s });
  }
  const quorum = evaluateQuorum(policy, new Set(cosignatures.map((c) => c.name)));
  return { text: opened.text, checkpoint, logSignatures, cosignatures, quorum };
}
