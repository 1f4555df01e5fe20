/**
 * Catch-up between witness-network peers: protocol `/cairn/witness-sync/1`, a snapshot of what a
 * peer holds, asked for whenever a connection to a peer opens. gossipsub keeps no history, so a
 * node that was down (or joins late) would otherwise miss the checkpoints and evidence
 * published meanwhile; with this it compares its own latest with each peer's and receives the
 * peer's evidence, through the same validation and detector as gossip.
 *
 * Framing: unsigned-varint length-prefixed frames (`lpStream`), one exchange per stream:
 *
 * ```
 * client → server   frame: "sync/1\n"                             0x07 "sync/1\n"
 * server → client   frame: kind byte + payload, per item           0x01 "example.com/log\n12\n…"  (a signed checkpoint note)
 *                                                                  0x02 "{\"version\":1,…}\n"   (a canonical evidence record)
 *                   frame: empty (end of snapshot)                 0x00
 * then both sides close.
 * ```
 *
 * Limits: at most {@link MAX_SYNC_ITEMS} items, each at most {@link MAX_SYNC_FRAME} bytes; an
 * unknown kind byte, an oversized frame or too many items fail the exchange (`bad-frame`). The
 * items are NOT validated here: the caller validates them exactly as gossiped messages.
 */
import './polyfill.js';
import { lpStream } from '@libp2p/utils';
import type { Libp2p, PeerId } from '@libp2p/interface';
import { GossipError } from './errors.js';
import { MAX_EVIDENCE_SIZE } from './evidence.js';
import { MAX_CHECKPOINT_MESSAGE_SIZE } from './topics.js';

export const SYNC_PROTOCOL = '/cairn/witness-sync/1';
/** Most items in one snapshot. */
export const MAX_SYNC_ITEMS = 256;
/** Largest item frame (kind byte + the larger of the two message caps). */
export const MAX_SYNC_FRAME = 1 + Math.max(MAX_EVIDENCE_SIZE, MAX_CHECKPOINT_MESSAGE_SIZE);
export const DEFAULT_SYNC_TIMEOUT_MS = 10_000;

const REQUEST = new TextEncoder().encode('sync/1\n');
const KIND_CHECKPOINT = 0x01;
const KIND_EVIDENCE = 0x02;

/** What a peer holds: its latest signed checkpoint notes and its evidence records. */
export interface SyncSnapshot {
  readonly checkpoints: readonly Uint8Array[];
  readonly evidence: readonly Uint8Array[];
}

export type SyncProvider = (peer: PeerId) => Promise<SyncSnapshot>;

function frame(kind: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length + 1);
  out[0] = kind;
  out.set(payload, 1);
  return out;
}

/** Serves snapshots from `provider` (capped at {@link MAX_SYNC_ITEMS}, checkpoints first). */
export async function handleSync(node: Pick<Libp2p, 'handle'>, provider: SyncProvider, options: { readonly timeoutMs?: number } = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_SYNC_TIMEOUT_MS;
  await node.handle(SYNC_PROTOCOL, async (stream, connection) => {
    const signal = AbortSignal.timeout(timeoutMs);
    const lp = lpStream(stream, { maxDataLength: REQUEST.length });
    try {
      const req = (await lp.read({ signal })).subarray();
      if (req.length !== REQUEST.length || !req.every((b, i) => b === REQUEST[i])) throw new GossipError('bad-frame', 'not a sync/1 request');
      const snap = await provider(connection.remotePeer);
      const frames: Uint8Array[] = [];
      for (const c of snap.checkpoints) if (c.length + 1 <= MAX_SYNC_FRAME) frames.push(frame(KIND_CHECKPOINT, c));
      for (const e of snap.evidence) if (e.length + 1 <= MAX_SYNC_FRAME) frames.push(frame(KIND_EVIDENCE, e));
      frames.length = Math.min(frames.length, MAX_SYNC_ITEMS);
      frames.push(new Uint8Array(0));
      await lp.writeV(frames, { signal });
      await stream.close({ signal });
    } catch (e) {
      stream.abort(e instanceof Error ? e : new Error(String(e)));
    }
  });
}

/** Asks `peer` for its snapshot. Throws {@link GossipError} (`bad-frame`, `stream-failed`). */
export async function requestSync(node: Pick<Libp2p, 'dialProtocol'>, peer: PeerId, options: { readonly signal?: AbortSignal } = {}): Promise<SyncSnapshot> {
  const signal = options.signal ?? AbortSignal.timeout(DEFAULT_SYNC_TIMEOUT_MS);
  let stream;
  try {
    stream = await node.dialProtocol(peer, SYNC_PROTOCOL, { signal });
  } catch (cause) {
    throw new GossipError('stream-failed', `sync with ${peer.toString()} failed: ${(cause as Error).message}`, { cause });
  }
  const lp = lpStream(stream, { maxDataLength: MAX_SYNC_FRAME });
  try {
    await lp.write(REQUEST, { signal });
    const checkpoints: Uint8Array[] = [];
    const evidence: Uint8Array[] = [];
    for (;;) {
      const f = (await lp.read({ signal })).subarray();
      if (f.length === 0) break;
      if (checkpoints.length + evidence.length >= MAX_SYNC_ITEMS) throw new GossipError('bad-frame', `more than ${MAX_SYNC_ITEMS} sync items`);
      if (f[0] === KIND_CHECKPOINT) checkpoints.push(f.slice(1));
      else if (f[0] === KIND_EVIDENCE) evidence.push(f.slice(1));
      else throw new GossipError('bad-frame', `unknown sync item kind ${f[0]}`);
    }
    await stream.close({ signal });
    return { checkpoints, evidence };
  } catch (e) {
    stream.abort(e instanceof Error ? e : new Error(String(e)));
    if (e instanceof GossipError) throw e;
    throw new GossipError('stream-failed', `sync with ${peer.toString()} failed: ${(e as Error).message}`, { cause: e });
  }
}
