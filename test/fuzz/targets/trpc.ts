/**
 * tRPC inputs: every procedure of the log and events routers (`createApiCaller` over the api
 * package's FakeLog and FakeEventStore, with a TokenAuthenticator holding a writer, a reader and
 * an admin token) and of the witness router (`createWitnessCaller`), called
 * in-process with random JSON and with structure-aware inputs (decimals at and past 2^63−1,
 * base64 with trailing bits, extra keys, mixed index/leafHash), and random Authorization headers.
 *
 * Allowed: a TRPCError with code BAD_REQUEST, NOT_FOUND, UNAUTHORIZED or TOO_MANY_REQUESTS (and,
 * for events, FORBIDDEN for a wrong role and CONFLICT for sequence numbers); never
 * INTERNAL_SERVER_ERROR or any other throw. A result must survive JSON (the wire has no bigint).
 */
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { encodeBase64, utf8Encode } from '@cairn/formats';
import { leafHash } from '@cairn/merkle';
import { MemoryWitnessStorage, Witness, buildTrustedLogs } from '@cairn/witness';
import { TokenAuthenticator, createApiCaller, createWitnessCaller } from '@cairn/api';
import { nodeEd25519 } from '@cairn/formats/node';
import { FakeEventStore, FakeLog } from '../../../packages/api/src/testing/fake-log.js';
import { parseEvent } from '@cairn/events';
import { ED, LOG_VKEY, NOW, WITNESSES, validAddCheckpointBodies } from '../fixtures.js';
import { FuzzFailure, accepted, invariant, rejected, type FuzzTarget, type Outcome } from '../harness.js';

const ALLOWED = new Set(['BAD_REQUEST', 'NOT_FOUND', 'UNAUTHORIZED', 'TOO_MANY_REQUESTS', 'FORBIDDEN', 'CONFLICT']);
const TOKEN = 'cairn_fuzz0123456789abcdefghijklmnopqrstuvwxyzABCDEF';
const READER = 'cairn_fuzzreader0123456789abcdefghijklmnopqrstuvwxyz';
const ADMIN = 'cairn_fuzzadmin0123456789abcdefghijklmnopqrstuvwxyzA';
const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const TOKENS = new TokenAuthenticator({
  version: 1,
  tokens: [
    { source: 'fuzz', sha256: sha(TOKEN), quota: { entriesPerMinute: 1_000_000, burst: 2_000 } },
    { source: 'fuzz-reader', role: 'reader', sha256: sha(READER), quota: { entriesPerMinute: 1 } },
    { source: 'fuzz-admin', role: 'admin', sha256: sha(ADMIN), quota: { entriesPerMinute: 1 } },
  ],
});
const INITIAL_ENTRIES = 300;
/** The fake log is rebuilt past this size, so submissions never make a case slow. */
const MAX_FAKE_ENTRIES = 1_500;

let log: FakeLog | undefined;
let events: FakeEventStore | undefined;
async function fakeLog(): Promise<FakeLog> {
  if (log === undefined || log.entries.length > MAX_FAKE_ENTRIES) {
    const l = new FakeLog();
    await l.submit(Array.from({ length: INITIAL_ENTRIES }, (_, i) => utf8Encode(`trpc fuzz entry ${i}`)));
    events = new FakeEventStore(l);
    await events.submitEvents('fuzz', Array.from({ length: 20 }, (_, i) => ({ event: parseEvent(utf8Encode(EVENT(i))) })));
    log = l;
  }
  return log;
}

/** A valid OCSF event (a logon); `i` varies its time. */
const EVENT = (i: number): string => JSON.stringify({
  class_uid: 3002, category_uid: 3, activity_id: 1, type_uid: 300201, severity_id: 1, status_id: 1, time: 1767225600000 + i,
  metadata: { version: '1.3.0', product: { name: 'sshd' } }, user: { name: 'fuzz' }, src_endpoint: { ip: '192.0.2.1' },
});

let witness: Witness | undefined;
async function fuzzWitness(): Promise<Witness> {
  if (witness === undefined) {
    const w = new Witness({
      key: WITNESSES[1]!.skey, logs: buildTrustedLogs([{ vkey: LOG_VKEY }], ED), storage: new MemoryWitnessStorage(),
      now: () => Number(NOW) * 1000, ed25519: nodeEd25519,
    });
    // Some state and a misbehaviour record (an unexpected proof) to list.
    for (const body of validAddCheckpointBodies()) await w.addCheckpoint(body).catch(() => undefined);
    witness = w;
  }
  return witness;
}

const decimal = fc.oneof(
  { weight: 6, arbitrary: fc.bigInt({ min: 0n, max: 400n }).map(String) },
  { weight: 2, arbitrary: fc.constantFrom('9223372036854775807', '9223372036854775808', '99999999999999999999', '01', '-1', '+1', '1e3', ' 1', '', '0x1', '1.0') },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.constant(null), fc.string({ maxLength: 25 })) },
);
const b64 = (b: Uint8Array): string => encodeBase64(b);
const entry = fc.oneof(
  { weight: 6, arbitrary: fc.uint8Array({ maxLength: 40 }).map(b64) },
  { weight: 1, arbitrary: fc.constantFrom('', 'AB==', 'AAA', 'A===', 'aGk', '====', 'aGk=\n', 'QQ==QQ==') },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 30 }), fc.integer(), fc.constant(null)) },
);
const hash = fc.oneof(
  { weight: 4, arbitrary: fc.nat({ max: 320 }).map((i) => b64(leafHash(utf8Encode(`trpc fuzz entry ${i}`)))) },
  { weight: 2, arbitrary: fc.uint8Array({ minLength: 31, maxLength: 33 }).map(b64) },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 50 }), fc.constant('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=')) },
);
const opt = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined, freq: 3 });
const withExtra = <T extends object>(a: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 8, arbitrary: a.map((o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))) },
    { weight: 1, arbitrary: a.map((o) => ({ ...o, extra: 1 })) },
  );

const structured: Record<string, fc.Arbitrary<unknown>> = {
  submit: withExtra(fc.record({ entries: fc.array(entry, { maxLength: 5 }), wait: opt(fc.constantFrom('none', 'checkpoint', 'cosigned', 'later', '')) })),
  entry: withExtra(fc.record({ index: decimal })),
  entries: withExtra(fc.record({ from: decimal, to: decimal })),
  inclusionProof: withExtra(fc.record({ index: opt(decimal), leafHash: opt(hash), treeSize: opt(decimal) })),
  consistencyProof: withExtra(fc.record({ m: decimal, n: decimal })),
  proofBundle: withExtra(fc.record({ index: decimal })),
  'events.submit': withExtra(fc.record({
    events: fc.array(fc.oneof(
      { weight: 4, arbitrary: fc.nat({ max: 60 }).map(EVENT) },
      { weight: 2, arbitrary: fc.nat({ max: 60 }).chain((i) => fc.nat({ max: EVENT(i).length }).map((k) => EVENT(i).slice(0, k) + EVENT(i).slice(k + 1))) },
      { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 40 }), fc.constant('"\\ud800"'), fc.constant('\ud800'), fc.constant('{}'), fc.integer()) },
    ), { maxLength: 4 }),
    seqs: opt(fc.array(decimal, { maxLength: 4 })),
    idempotencyKeys: opt(fc.array(fc.oneof(fc.constantFrom('k1', 'k2', ''), fc.string({ maxLength: 10 })), { maxLength: 4 })),
    wait: opt(fc.constantFrom('none', 'checkpoint', 'cosigned', 'later')),
    receipts: opt(fc.oneof(fc.boolean(), fc.constant('yes'))),
  })),
  'events.get': withExtra(fc.record({ index: decimal })),
  'events.prove': withExtra(fc.record({ index: decimal })),
  'events.erase': withExtra(fc.record({ indices: fc.array(decimal, { maxLength: 3 }), reason: fc.oneof(fc.constant('fuzz'), fc.string({ maxLength: 20 })) })),
  'events.search': withExtra(fc.record({
    query: fc.oneof(
      fc.constantFrom('*', 'actor:alice', 'time>=2026-11-01 NOT class:authentication', '(a OR', 'src_ip:::1', '"x', 'actor:"\\"', '('.repeat(40)),
      fc.constantFrom('source:k8s-prod seq>=0', 'source:k8s-prod seq<3 actor:alice', 'source:k8s-prod time>=now-1d', 'source:x seq>=9223372036854775807', 'seq:99999999999999999999', 'source:a source:b seq:1'),
      fc.array(fc.constantFrom('actor:', 'alice', ' ', '(', ')', '"', 'OR', 'AND', 'NOT', 'time>', 'now-7d', 'class:', 'x*', '\\'), { maxLength: 30 }).map((a) => a.join('')),
      fc.string({ maxLength: 60 }),
    ),
    limit: opt(fc.oneof(fc.integer({ min: -1, max: 120 }), fc.double())),
    before: opt(decimal),
    complete: opt(fc.oneof(fc.boolean(), fc.constant('yes'))),
    now: opt(fc.oneof(fc.integer(), fc.double(), fc.constant(Number.MAX_SAFE_INTEGER + 2))),
  })),
  misbehaviour: fc.oneof(fc.constant(undefined), withExtra(fc.record({ origin: opt(fc.string({ maxLength: 40 })), limit: opt(fc.oneof(fc.integer(), fc.double())) }))),
};

/** An index that knows nothing: `events.search` still parses every query and checks every bound. */
const EMPTY_INDEX = { search: async () => ({ hits: [], indexedTo: 0n }) };

const LOG_PROCEDURES = ['submit', 'checkpoint', 'cosignedCheckpoint', 'entry', 'entries', 'inclusionProof', 'consistencyProof', 'proofBundle', 'status', 'noSuchProcedure',
  'events.submit', 'events.get', 'events.prove', 'events.erase', 'events.sources', 'events.receiptKey', 'events.search'];
const WITNESS_PROCEDURES = ['status', 'misbehaviour', 'noSuchProcedure'];

export interface TrpcInput {
  readonly router: 'log' | 'witness';
  readonly procedure: string;
  readonly input: unknown;
  readonly authorization: string | undefined;
}

const call = (router: 'log' | 'witness') =>
  fc.constantFrom(...(router === 'log' ? LOG_PROCEDURES : WITNESS_PROCEDURES)).chain((procedure) =>
    fc.record({
      router: fc.constant(router),
      procedure: fc.constant(procedure),
      input: fc.oneof(
        { weight: 3, arbitrary: structured[procedure] ?? fc.constant(undefined) },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
      ),
      authorization: fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(`Bearer ${TOKEN}`, `Bearer ${TOKEN}`, `Bearer ${READER}`, `Bearer ${ADMIN}`) },
        { weight: 1, arbitrary: fc.constantFrom(undefined, '', 'Bearer ', `bearer ${TOKEN}`, `Bearer ${TOKEN}=`, `Basic ${TOKEN}`, `Bearer ${'a'.repeat(600)}`) },
        { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
      ),
    }));

export const trpcTarget: FuzzTarget<TrpcInput> = {
  name: 'trpc',
  description: 'every log and witness tRPC procedure via createCaller with random/structured inputs: only BAD_REQUEST/NOT_FOUND/UNAUTHORIZED/TOO_MANY_REQUESTS',
  ciRuns: 600,
  arbitrary: fc.oneof({ weight: 4, arbitrary: call('log') }, { weight: 1, arbitrary: call('witness') }),
  async run(c): Promise<Outcome> {
    let result: unknown;
    try {
      if (c.router === 'log') {
        const node = await fakeLog();
        const caller = createApiCaller({ node, events, search: EMPTY_INDEX, tokens: TOKENS, authorization: c.authorization }) as unknown as Record<string, Record<string, (i: unknown) => Promise<unknown>>>;
        const [sub, proc] = c.procedure.startsWith('events.') ? ['events', c.procedure.slice(7)] : ['log', c.procedure];
        result = await caller[sub]![proc]!(c.input);
      } else {
        const caller = createWitnessCaller({ witness: await fuzzWitness() }) as unknown as Record<string, (i: unknown) => Promise<unknown>>;
        result = await caller[c.procedure]!(c.input);
      }
    } catch (e) {
      if (!(e instanceof TRPCError)) throw new FuzzFailure(`${c.router}.${c.procedure} threw ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
      const cause = e.cause instanceof Error ? ` (cause ${e.cause.name}: ${e.cause.message})` : '';
      invariant(ALLOWED.has(e.code), `${c.router}.${c.procedure} failed with ${e.code}: ${e.message}${cause}`);
      return rejected(`${c.router}.${c.procedure}:${e.code}`);
    }
    try {
      JSON.stringify(result);
    } catch (e) {
      throw new FuzzFailure(`${c.router}.${c.procedure} returned a value JSON cannot carry: ${(e as Error).message}`);
    }
    return accepted(`${c.router}.${c.procedure}`);
  },
};
