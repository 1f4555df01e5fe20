/**
 * The one bounded body reader: reads a byte stream (a fetch `Response.body`, a Node
 * `IncomingMessage`, any async iterable of byte chunks) into one buffer, refusing to hold more
 * than a limit. Used for request bodies on the servers and response bodies in every client, so
 * a hostile or broken peer can never make us buffer without bound.
 */

/** What {@link readBounded} read. */
export type BoundedRead =
  | { readonly ok: true; readonly bytes: Uint8Array }
  /** More than `max` bytes arrived; `received` is how many had when reading stopped. */
  | { readonly ok: false; readonly received: number };

/** Options of {@link readBounded}. */
export interface ReadBoundedOptions {
  /** Stops reading (rejects with the signal's reason) when aborted. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Reads `source` to its end, or until more than `max` bytes arrived (then stops reading and, if
 * the source can be cancelled or destroyed, releases it). Rejects with the stream's error or the
 * signal's reason.
 */
export async function readBounded(
  source: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array> | null | undefined,
  max: number,
  opts: ReadBoundedOptions = {},
): Promise<BoundedRead> {
  if (source === null || source === undefined) return { ok: true, bytes: new Uint8Array(0) };
  opts.signal?.throwIfAborted();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const iterator = (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const onAbort = () => void iterator.return?.();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      const { done, value } = await iterator.next();
      opts.signal?.throwIfAborted();
      if (done === true) break;
      total += value.length;
      if (total > max) {
        await iterator.return?.().catch(() => undefined);
        return { ok: false, received: total };
      }
      chunks.push(value);
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  if (chunks.length === 1) return { ok: true, bytes: new Uint8Array(chunks[0]!.buffer, chunks[0]!.byteOffset, chunks[0]!.byteLength) };
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return { ok: true, bytes };
}
