/**
 * Trust policies for verification: c2sp.org/tlog-policy text (docs/protocols.md §10), parsed by
 * `parsePolicy` of @cairn/formats, whose errors become {@link VerifyError} `bad-policy` carrying
 * the 1-based line (`evidence.line`, and `line N:` in the message).
 *
 * ```
 * log example.org/log+b0201859+Aawb3XxZM7k072GrHtogNwVl3F5b5SbqFs83YYw+Yjbq
 * witness w1 witness.example.org+b8a2cf20+BFLN3yikSfFkVAJtrnh/CiY3Zozkoy7clp+P7XB28qUN
 * witness w2 mirror.example.org+3fb148ef+BAAjjch9GyYz0sJsJx7ALhbdAtz2ov0unbzSl1vMp94O
 * group both all w1 w2
 * quorum both
 * ```
 *
 * The note verifiers of a policy are built once per `Policy` object and cached (WeakMap), so
 * verifying many checkpoints under one policy does not re-parse its keys.
 */
import { checkpointVerifiers, parsePolicy, PolicyError, type Policy, type PolicyVerifiers } from '@cairn/formats';
import { VerifyError } from './errors.js';

export type { Policy } from '@cairn/formats';

const cache = new WeakMap<Policy, PolicyVerifiers>();

function policyError(e: PolicyError, prefix = ''): VerifyError {
  return new VerifyError('bad-policy', `${prefix}${e.message} (${e.code})`, e.line === undefined ? {} : { line: e.line }, { cause: e });
}

/**
 * Parses tlog-policy text. Throws {@link VerifyError} `bad-policy` (with `evidence.line`). `name`
 * (e.g. the file name) prefixes the message: `policy.txt: line 3: unknown keyword "lgo"`.
 */
export function loadPolicy(text: string | Uint8Array, name?: string): Policy {
  let policy: Policy;
  try {
    policy = parsePolicy(text);
  } catch (e) {
    if (e instanceof PolicyError) throw policyError(e, name === undefined ? '' : `${name}: `);
    throw e;
  }
  policyVerifiers(policy);
  return policy;
}

/** The (cached) note verifiers of a policy; `bad-policy` for a hand-built policy with bad keys. */
export function policyVerifiers(policy: Policy): PolicyVerifiers {
  if (typeof policy !== 'object' || policy === null || !Array.isArray(policy.logs) || !Array.isArray(policy.witnesses)) {
    throw new VerifyError('bad-policy', 'policy must be a parsed Policy (use loadPolicy)');
  }
  let v = cache.get(policy);
  if (v === undefined) {
    try {
      v = checkpointVerifiers(policy);
    } catch (e) {
      if (e instanceof PolicyError) throw policyError(e);
      throw e;
    }
    cache.set(policy, v);
  }
  return v;
}
