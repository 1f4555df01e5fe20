/**
 * `/healthz` and `/readyz` of the log and witness servers, for load balancers and orchestrators.
 *
 * - `GET /healthz` → 200 `{"status":"alive"}` whenever the process answers HTTP at all.
 * - `GET /readyz` → 200 when the node can serve, 503 when it cannot, with a JSON body that says
 *   why: `storage` (a read from the data store answered), and, for a log, `halted` and every
 *   witness with whether its last call succeeded (`reachable`, informational: a log whose
 *   witnesses are down still accepts and serves entries); for a witness, `held` (cosigning is
 *   paused while it syncs with peers, informational) and its libp2p `peers`. A log with a
 *   search index adds `searchIndex` (state, cursor, lag): informational, since the index is
 *   derived data and the log serves without it.
 *
 * Both answer GET and HEAD only (405 otherwise) and are never cached.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Witness } from '@cairn/witness';
import type { WitnessP2pStatus } from '../routers/witness.js';
import type { ServedLog, ServedSearch } from '../served-log.js';
import { searchIndexReport } from '../deferred-search.js';

/** Liveness: the process answers. */
export const HEALTHZ_PATH = '/healthz';
/** Readiness: the node can serve. */
export const READYZ_PATH = '/readyz';
/** Most time the readiness storage probe may take before it counts as failed (ms). */
export const DEFAULT_READY_PROBE_TIMEOUT_MS = 5_000;

/** What `/readyz` answers (the body; `ready` decides 200 or 503). */
export interface Readiness {
  readonly ready: boolean;
  readonly storage: { readonly ok: boolean; readonly error: string | null };
  readonly [field: string]: unknown;
}

/** Runs `probe`, bounded by `timeoutMs`: `{ ok: true }` or the failure's message. */
async function probeStorage(probe: () => Promise<unknown>, timeoutMs: number): Promise<Readiness['storage']> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([probe(), bound]);
    return { ok: true, error: null };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  } finally {
    clearTimeout(timer);
  }
}

/** A 32-byte hash no entry has in practice: looking it up reads the log's leaf index. */
const PROBE_LEAF_HASH = new Uint8Array(32);

/** The readiness of a log: storage answers and integration has not halted. */
export async function logReadiness(node: ServedLog, timeoutMs = DEFAULT_READY_PROBE_TIMEOUT_MS, search?: ServedSearch): Promise<Readiness> {
  const storage = await probeStorage(() => node.findLeafIndex(PROBE_LEAF_HASH), timeoutMs);
  const index = search?.indexState === undefined ? null : searchIndexReport(await search.indexState());
  const s = node.status();
  const witnesses = (s.witnesses ?? []).map((w) => ({
    name: w.name,
    url: w.url,
    reachable: w.lastSuccessTime !== undefined && w.consecutiveFailures === 0,
    lastSuccessTime: w.lastSuccessTime ?? null,
    lastError: w.lastError ?? null,
  }));
  return {
    ready: storage.ok && s.halted === undefined,
    storage,
    halted: s.halted ?? null,
    quorum: s.quorum ?? null,
    witnessesReachable: witnesses.filter((w) => w.reachable).length,
    witnesses,
    searchIndex: index,
  };
}

/** The readiness of a witness: its storage answers a status read. */
export async function witnessReadiness(
  witness: Witness, p2p: (() => WitnessP2pStatus) | undefined, timeoutMs = DEFAULT_READY_PROBE_TIMEOUT_MS,
): Promise<Readiness> {
  let held: string | null = null;
  const storage = await probeStorage(async () => { held = (await witness.status()).held ?? null; }, timeoutMs);
  const net = p2p?.();
  return {
    ready: storage.ok,
    storage,
    held,
    peers: net === undefined ? null : { peerId: net.peerId, connected: net.connectedPeers.length },
  };
}

function json(res: ServerResponse, req: IncomingMessage, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const bytes = Buffer.from(JSON.stringify(body) + '\n');
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(bytes.length), 'Cache-Control': 'no-store', ...extra });
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

/** Answers `/healthz` and `/readyz`; false for any other path. */
export async function serveHealth(
  req: IncomingMessage, res: ServerResponse, pathname: string, readiness: () => Promise<Readiness>, extraHeaders: Record<string, string> = {},
): Promise<boolean> {
  if (pathname !== HEALTHZ_PATH && pathname !== READYZ_PATH) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8', ...extraHeaders });
    res.end('method not allowed\n');
    return true;
  }
  if (pathname === HEALTHZ_PATH) {
    json(res, req, 200, { status: 'alive' }, extraHeaders);
    return true;
  }
  const r = await readiness();
  json(res, req, r.ready ? 200 : 503, r, extraHeaders);
  return true;
}
