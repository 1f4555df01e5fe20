/**
 * The tlog-witness add-checkpoint exchange (c2sp.org/tlog-witness, docs/protocols.md §5) over a
 * libp2p stream, between our own nodes: protocol `/cairn/tlog-witness/add-checkpoint/1`.
 *
 * Framing: every frame is an unsigned-varint length followed by that many bytes (the libp2p
 * length-prefixed convention, `lpStream`). One request per stream:
 *
 * ```
 * client → server   frame: the exact POST /add-checkpoint body (≤ 128 KiB)
 *                     "old 10\n<proof lines>\n<signed checkpoint note>"
 * server → client   frame: status, 3 ASCII digits             e.g. 0x03 "200"
 *                   frame: content type, printable ASCII ≤ 256 e.g. 0x0a "text/plain"
 *                   frame: body (≤ 128 KiB)                    e.g. the cosignature lines, or
 *                                                               "10\n" with text/x.tlog.size on 409
 * then both sides close.
 * ```
 *
 * The status and body are exactly what the HTTP endpoint would answer (200/400/403/404/409/422);
 * a request frame over the cap is answered 413, a handler that throws 500.
 */
import './polyfill.js';
import { lpStream } from '@libp2p/utils';
import type { Libp2p, PeerId, Stream } from '@libp2p/interface';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { GossipError } from './errors.js';

export const ADD_CHECKPOINT_PROTOCOL = '/cairn/tlog-witness/add-checkpoint/1';
/** Request and response body cap (as Sunlight caps add-checkpoint bodies). */
export const MAX_ADD_CHECKPOINT_FRAME = 128 * 1024;
export const MAX_CONTENT_TYPE_LENGTH = 256;
export const DEFAULT_STREAM_TIMEOUT_MS = 10_000;

export interface AddCheckpointResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: Uint8Array;
}

export type AddCheckpointHandler = (body: Uint8Array, info: { readonly peer: PeerId }) => Promise<AddCheckpointResponse>;

const STATUS = /^[1-5][0-9]{2}$/;
const CONTENT_TYPE = /^[\x20-\x7e]*$/;
const enc = new TextEncoder();
const dec = new TextDecoder();

function responseFrames(r: AddCheckpointResponse): Uint8Array[] {
  const status = String(r.status);
  if (!STATUS.test(status)) throw new GossipError('bad-frame', `status ${status} is not 100..599`);
  if (r.contentType.length > MAX_CONTENT_TYPE_LENGTH || !CONTENT_TYPE.test(r.contentType)) {
    throw new GossipError('bad-frame', 'content type must be printable ASCII of at most 256 characters');
  }
  if (r.body.length > MAX_ADD_CHECKPOINT_FRAME) throw new GossipError('bad-frame', `body exceeds ${MAX_ADD_CHECKPOINT_FRAME} bytes`);
  return [enc.encode(status), enc.encode(r.contentType), r.body];
}

const plain = (status: number, text: string): AddCheckpointResponse => ({ status, contentType: 'text/plain; charset=utf-8', body: enc.encode(text + '\n') });

/** Serves add-checkpoint on `node` with `handler`. */
export async function handleAddCheckpoint(
  node: Pick<Libp2p, 'handle'>,
  handler: AddCheckpointHandler,
  options: { readonly timeoutMs?: number } = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_STREAM_TIMEOUT_MS;
  await node.handle(ADD_CHECKPOINT_PROTOCOL, async (stream: Stream, connection) => {
    const signal = AbortSignal.timeout(timeoutMs);
    const lp = lpStream(stream, { maxDataLength: MAX_ADD_CHECKPOINT_FRAME });
    try {
      let response: AddCheckpointResponse;
      let request: Uint8Array | undefined;
      try {
        request = (await lp.read({ signal })).subarray();
      } catch (e) {
        if (signal.aborted) throw e;
        response = plain(413, `request frame missing or larger than ${MAX_ADD_CHECKPOINT_FRAME} bytes`);
      }
      if (request !== undefined) {
        try {
          response = await handler(request, { peer: connection.remotePeer });
          responseFrames(response); // validate before writing anything
        } catch {
          response = plain(500, 'internal error');
        }
      }
      await lp.writeV(responseFrames(response!), { signal });
      await stream.close({ signal });
    } catch (e) {
      stream.abort(e instanceof Error ? e : new Error(String(e)));
    }
  });
}

/** Sends one add-checkpoint body to `peer` (a peer ID, or a multiaddr ending in `/p2p/<peer ID>`) and reads the response. */
export async function sendAddCheckpoint(
  node: Pick<Libp2p, 'dialProtocol'>,
  peer: PeerId | Multiaddr | string,
  body: Uint8Array,
  options: { readonly signal?: AbortSignal } = {},
): Promise<AddCheckpointResponse> {
  if (body.length > MAX_ADD_CHECKPOINT_FRAME) throw new GossipError('bad-frame', `body exceeds ${MAX_ADD_CHECKPOINT_FRAME} bytes`);
  const signal = options.signal ?? AbortSignal.timeout(DEFAULT_STREAM_TIMEOUT_MS);
  let target: PeerId | Multiaddr;
  try {
    target = typeof peer === 'string' ? multiaddr(peer) : peer;
  } catch (cause) {
    throw new GossipError('bad-config', `${String(peer)} is not a multiaddr`, { cause });
  }
  let stream: Stream;
  try {
    stream = await node.dialProtocol(target, ADD_CHECKPOINT_PROTOCOL, { signal });
  } catch (cause) {
    throw new GossipError('stream-failed', `cannot open an add-checkpoint stream to ${String(peer)}: ${(cause as Error).message}`, { cause });
  }
  const lp = lpStream(stream, { maxDataLength: MAX_ADD_CHECKPOINT_FRAME });
  try {
    await lp.write(body, { signal });
    const statusText = dec.decode((await lp.read({ signal })).subarray());
    const contentType = dec.decode((await lp.read({ signal })).subarray());
    const responseBody = (await lp.read({ signal })).subarray();
    if (!STATUS.test(statusText)) throw new GossipError('bad-frame', 'response status is not 3 digits');
    if (contentType.length > MAX_CONTENT_TYPE_LENGTH || !CONTENT_TYPE.test(contentType)) {
      throw new GossipError('bad-frame', 'response content type is not printable ASCII');
    }
    await stream.close({ signal });
    return { status: Number(statusText), contentType, body: responseBody };
  } catch (e) {
    stream.abort(e instanceof Error ? e : new Error(String(e)));
    if (e instanceof GossipError) throw e;
    throw new GossipError('stream-failed', `add-checkpoint over libp2p failed: ${(e as Error).message}`, { cause: e });
  }
}
