/**
 * The witness request path: `Witness.addCheckpoint` of @cairn/witness on an in-memory store that
 * already holds a cosigned checkpoint of the fixture log (or nothing), and the tlog-witness HTTP
 * handler of @cairn/api in front of a witness. The stored state is part of the input, so bodies
 * whose old size matches it reach the consistency check, the compare-and-swap and cosigning.
 *
 * Allowed: `WitnessError` with a client-side code (not `storage`/`config`, which are 500s);
 * from HTTP, statuses 200/204/400/403/404/405/409/413/422/429, never 500, and a well-formed 409.
 */
import fc from 'fast-check';
import { MAX_ADD_CHECKPOINT_BODY, TLOG_SIZE_CONTENT_TYPE, originHash, parseCosignatureLines, parseSizeBody } from '@cairn/formats';
import {
  MemoryWitnessStorage, Witness, WitnessError, buildTrustedLogs, type StoredCheckpoint, type TrustedLog, type WitnessStorage,
} from '@cairn/witness';
import { createWitnessHandler } from '@cairn/api';
import { nodeEd25519 } from '@cairn/formats/node';
import { ED, LOG_ORIGIN, LOG_VKEY, NOW, WITNESSES, cosignedCheckpoint, rootAt, validAddCheckpointBodies } from '../fixtures.js';
import { FuzzFailure, accepted, classify, invariant, rejected, type FuzzTarget, type Outcome } from '../harness.js';
import { fuzzBytes, pool } from '../mutate.js';
import { mockRequest, mockResponse } from '../mock-http.js';

const SERVER_CODES = new Set(['storage', 'config']);
const TRUSTED: ReadonlyMap<string, TrustedLog> = buildTrustedLogs([{ vkey: LOG_VKEY }], ED);
const WITNESS_SKEY = WITNESSES[0]!.skey;
const clock = (): number => Number(NOW) * 1000;

/** Stored sizes the bodies of validAddCheckpointBodies() start from; -1 = a forked root at 7. */
const STORED = [undefined, 1, 3, 4, 7, 13, 40, -1] as const;
type Stored = (typeof STORED)[number];

/**
 * One Witness over a storage whose contents are replaced before every case (building a Witness
 * derives keys, which would dominate the run). The proxy forwards every WitnessStorage method
 * to the current MemoryWitnessStorage.
 */
let inner = new MemoryWitnessStorage();
const storage = new Proxy({} as WitnessStorage, {
  get: (_, k) => {
    const v = (inner as unknown as Record<string | symbol, unknown>)[k];
    return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(inner) : v;
  },
});
const storedNotes = new Map<Stored, StoredCheckpoint>();

function storedCheckpoint(stored: Exclude<Stored, undefined>): StoredCheckpoint {
  let c = storedNotes.get(stored);
  if (c === undefined) {
    const size = stored < 0 ? 7 : stored;
    const rootHash = stored < 0 ? rootAt(8) : rootAt(size);
    c = { origin: LOG_ORIGIN, size: BigInt(size), rootHash, note: cosignedCheckpoint(size, [0], { root: rootHash }), cosignedAt: NOW - 100n };
    storedNotes.set(stored, c);
  }
  return c;
}

let shared: Witness | undefined;
async function witnessWith(stored: Stored): Promise<Witness> {
  inner = new MemoryWitnessStorage();
  if (stored !== undefined) await inner.compareAndSwap(undefined, storedCheckpoint(stored));
  shared ??= new Witness({ key: WITNESS_SKEY, logs: TRUSTED, storage, now: clock, ed25519: nodeEd25519 });
  return shared;
}

const bodies = fuzzBytes(pool(validAddCheckpointBodies()), { caps: [MAX_ADD_CHECKPOINT_BODY] });

export interface WitnessInput {
  readonly stored: Stored;
  readonly body: Uint8Array;
}

export const witnessTarget: FuzzTarget<WitnessInput> = {
  name: 'witness',
  description: 'Witness.addCheckpoint (memory storage, trusted fixture log, pre-stored state): only WitnessError with a client-side code',
  arbitrary: fc.record({ stored: fc.constantFrom(...STORED), body: bodies }),
  async run({ stored, body }): Promise<Outcome> {
    const witness = await witnessWith(stored);
    try {
      const r = await witness.addCheckpoint(body);
      invariant(parseCosignatureLines(r.cosignatures).length === 1, 'the 200 body is not one cosignature line');
      invariant((await witness.latest(LOG_ORIGIN))?.size === r.size, 'the cosigned size was not stored');
      return accepted('cosigned');
    } catch (e) {
      if (e instanceof FuzzFailure) throw e;
      const o = classify(e, [WitnessError], 'Witness.addCheckpoint');
      invariant(!SERVER_CODES.has(o.code), `a request caused a server-side error: ${(e as Error).message}`);
      return o;
    }
  },
};

const ALLOWED_STATUS = new Set([200, 204, 400, 403, 404, 405, 409, 413, 422, 429]);
const MONITOR_PATH = `/${originHash(LOG_ORIGIN)}/checkpoint`;

export interface WitnessHttpInput {
  readonly stored: Stored;
  readonly method: string;
  readonly path: string;
  readonly contentLength: string | undefined;
  readonly body: Uint8Array;
}

export const witnessHttpTarget: FuzzTarget<WitnessHttpInput> = {
  name: 'witness-http',
  description: 'tlog-witness HTTP handler (add-checkpoint, monitoring GET, OPTIONS) with mock req/res: never 500, 409 bodies well-formed',
  arbitrary: fc.record({
    stored: fc.constantFrom(...STORED),
    method: fc.oneof({ weight: 8, arbitrary: fc.constant('POST') }, { weight: 3, arbitrary: fc.constantFrom('GET', 'HEAD', 'OPTIONS', 'PUT', 'post', '') }),
    path: fc.oneof(
      { weight: 8, arbitrary: fc.constant('/add-checkpoint') },
      { weight: 2, arbitrary: fc.constantFrom(MONITOR_PATH, `${MONITOR_PATH}?x=1`, `/${'0'.repeat(64)}/checkpoint`, '/add-checkpoint?', '/add-checkpoint/', '//add-checkpoint') },
      { weight: 1, arbitrary: fc.string({ maxLength: 80 }).map((s) => `/${s}`) },
    ),
    contentLength: fc.oneof(
      { weight: 8, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.constantFrom('0', '131073', '-1', 'abc', '1e9', '99999999999999999999') },
    ),
    body: bodies,
  }),
  async run(input): Promise<Outcome> {
    const handler = createWitnessHandler({ witness: await witnessWith(input.stored) });
    const req = mockRequest({
      method: input.method,
      url: input.path,
      body: input.body,
      ...(input.contentLength !== undefined ? { headers: { 'Content-Length': input.contentLength } } : {}),
    });
    const { res, captured } = mockResponse();
    const handled = await handler(req, res);
    if (!handled) {
      invariant(captured.ends === 0, 'an unhandled request was answered');
      return rejected('not-ours');
    }
    const status = captured.status;
    invariant(status !== undefined && captured.ends === 1, `request not answered exactly once (status ${status}, ${captured.ends} ends)`);
    invariant(ALLOWED_STATUS.has(status), `status ${status}: ${Buffer.from(captured.body ?? []).toString('utf8').slice(0, 200)}`);
    if (status === 409) {
      invariant(captured.headers['content-type'] === TLOG_SIZE_CONTENT_TYPE, '409 without the text/x.tlog.size content type');
      parseSizeBody(captured.body ?? new Uint8Array(0));
    }
    return status === 200 ? accepted(String(status)) : rejected(String(status));
  },
};
