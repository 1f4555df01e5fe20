/**
 * The fuzz harness: what a target is, how an outcome is classified, and how a target runs under
 * fast-check (`runTarget`, used in-process by fuzz.test.ts and inside a worker by main.ts).
 *
 * A target's `run(input)` calls the real parser or endpoint and returns an {@link Outcome}:
 * accepted, or rejected with the parser's OWN error type (the error's `code` is recorded). Any
 * other throw — a TypeError, a RangeError, another package's error, a broken invariant — is a
 * failure: fast-check shrinks it and reports seed, path and counterexample. Async targets that
 * never settle fail through fast-check's per-case timeout; synchronous hangs are caught by the
 * watchdog in main.ts (see `CaseHooks`).
 */
import fc from 'fast-check';

/** The classified result of one case. `code` names the branch (an error code, or `accepted`). */
export interface Outcome {
  readonly accepted: boolean;
  readonly code: string;
}

export const accepted = (code = 'accepted'): Outcome => ({ accepted: true, code });
export const rejected = (code: string): Outcome => ({ accepted: false, code });

/** One fuzzed surface. */
export interface FuzzTarget<T = unknown> {
  readonly name: string;
  /** One line: what is called, and what counts as a correct rejection. */
  readonly description: string;
  readonly arbitrary: fc.Arbitrary<T>;
  run(input: T): Outcome | Promise<Outcome>;
  /** Cases for the CI test (fuzz.test.ts); default {@link DEFAULT_CI_RUNS}. */
  readonly ciRuns?: number;
  /** Releases resources (servers, stores) after the run. */
  close?(): Promise<void> | void;
}

/** Cases per target in CI. */
export const DEFAULT_CI_RUNS = 1_000;
/** Cases per target for `pnpm fuzz`. */
export const DEFAULT_RUNS = 100_000;
/** Per-case time limit (ms): a case slower than this is reported as a hang. */
export const DEFAULT_CASE_TIMEOUT_MS = 2_000;

/** A failure that is not an exception of the code under test: a broken contract or invariant. */
export class FuzzFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FuzzFailure';
  }
}

type ErrorClass = abstract new (...args: never[]) => Error;

function describe(e: unknown): string {
  if (e instanceof Error) return `${e.constructor.name}${'code' in e ? `(${String((e as { code: unknown }).code)})` : ''}: ${e.message}`;
  return `non-Error ${typeof e}: ${String(e)}`;
}

/** The rejection for `e` if it is an instance of one of `allowed` with a string code; else a failure. */
export function classify(e: unknown, allowed: readonly ErrorClass[], what: string): Outcome {
  if (allowed.some((c) => e instanceof c)) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string' || code === '') throw new FuzzFailure(`${what}: ${describe(e)} has no string code`, { cause: e });
    return rejected(code);
  }
  const names = allowed.map((c) => c.name).join(' | ');
  throw new FuzzFailure(`${what} threw ${describe(e)}; only ${names} is allowed`, { cause: e });
}

/** Runs `f`; a throw of an `allowed` class is a rejection, anything else a failure. */
export function only(allowed: readonly ErrorClass[], what: string, f: () => void): Outcome {
  try {
    f();
  } catch (e) {
    return classify(e, allowed, what);
  }
  return accepted();
}

/** {@link only} for async calls. */
export async function onlyAsync(allowed: readonly ErrorClass[], what: string, f: () => Promise<unknown>): Promise<Outcome> {
  try {
    await f();
  } catch (e) {
    return classify(e, allowed, what);
  }
  return accepted();
}

/** Throws a {@link FuzzFailure} unless `cond`. */
export function invariant(cond: boolean, message: string): asserts cond {
  if (!cond) throw new FuzzFailure(`invariant broken: ${message}`);
}

/** Called around every case (the worker's watchdog heartbeat). */
export interface CaseHooks {
  beforeCase?(): void;
  afterCase?(): void;
}

/** Options of {@link runTarget}. */
export interface RunOptions {
  readonly runs: number;
  readonly seed: number;
  readonly timeoutMs?: number;
  /** Replays one counterexample (with `seed`), as printed by a failure. */
  readonly path?: string;
  readonly hooks?: CaseHooks;
  /** Called with the number of cases done, about every `progressEvery` cases. */
  readonly onProgress?: (done: number) => void;
  readonly progressEvery?: number;
}

/** A failure as fast-check reports it. */
export interface FailureReport {
  readonly seed: number;
  readonly path: string | null;
  /** fc.stringify of the shrunk counterexample. */
  readonly counterexample: string;
  readonly error: string;
  /** fast-check's own report message. */
  readonly report: string;
}

/** What {@link runTarget} returns. */
export interface TargetReport {
  readonly name: string;
  readonly seed: number;
  /** Cases run before the first failure (all of them when none failed). */
  readonly cases: number;
  readonly accepted: number;
  readonly rejected: number;
  /** Cases per outcome code, most frequent first. */
  readonly codes: readonly (readonly [string, number])[];
  readonly ms: number;
  readonly failure?: FailureReport;
}

/** Runs one target under fast-check; resolves with counts, and the failure report if any. */
export async function runTarget<T>(target: FuzzTarget<T>, opts: RunOptions): Promise<TargetReport> {
  // Outcomes in case order; after a failure, fast-check goes on shrinking, and those cases are
  // dropped below (the failing case itself may never settle, e.g. on a timeout).
  const outcomes: Outcome[] = [];
  const every = opts.progressEvery ?? 1000;
  const started = performance.now();
  const property = fc.asyncProperty(target.arbitrary, async (input) => {
    opts.hooks?.beforeCase?.();
    try {
      outcomes.push(await target.run(input));
      if (opts.onProgress !== undefined && outcomes.length % every === 0) opts.onProgress(outcomes.length);
    } finally {
      opts.hooks?.afterCase?.();
    }
  });
  const details = await fc.check(property, {
    numRuns: opts.runs,
    seed: opts.seed,
    ...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs } : {}),
    ...(opts.path !== undefined ? { path: opts.path } : {}),
  });
  const ms = performance.now() - started;
  const counted = details.failed ? outcomes.slice(0, Math.max(0, details.numRuns - 1)) : outcomes;
  const codes = new Map<string, number>();
  for (const o of counted) codes.set(o.code, (codes.get(o.code) ?? 0) + 1);
  const ok = counted.filter((o) => o.accepted).length;
  const base = {
    name: target.name,
    seed: details.seed,
    cases: details.failed ? details.numRuns : counted.length,
    accepted: ok,
    rejected: counted.length - ok,
    codes: [...codes.entries()].sort((a, b) => b[1] - a[1]),
    ms,
  };
  if (!details.failed) return base;
  const error = details.errorInstance instanceof Error
    ? `${details.errorInstance.name}: ${details.errorInstance.message}${details.errorInstance.cause instanceof Error ? `\n  cause: ${details.errorInstance.cause.stack ?? details.errorInstance.cause.message}` : ''}`
    : details.interrupted ? 'interrupted' : String(details.errorInstance);
  return {
    ...base,
    failure: {
      seed: details.seed,
      path: details.counterexamplePath,
      counterexample: details.counterexample === null ? '(none)' : fc.stringify(details.counterexample),
      error,
      report: fc.defaultReportMessage(details) ?? '',
    },
  };
}

/** The input fast-check generates for (seed, path) — to show the case that hung. */
export function inputAt<T>(arbitrary: fc.Arbitrary<T>, seed: number, path: string): T | undefined {
  let captured: T | undefined;
  fc.check(fc.property(arbitrary, (v) => {
    captured = v;
    return false;
  }), { seed, path, endOnFailure: true, numRuns: 1 });
  return captured;
}
