/**
 * Reading a producer's request body, bounded: a declared `Content-Length` above the cap is refused
 * before any byte is read, a body sent chunked is counted and cut at the cap (both 413,
 * `body-too-large`, naming the limit; the connection is closed after the answer). A gzip body
 * (`Content-Encoding: gzip`, what the OpenTelemetry Collector's `otlphttp` exporter sends by
 * default) is inflated with the same cap on its decompressed size, so a small bomb cannot grow
 * past it. Any other encoding is 415 `unsupported-encoding`. A slow sender is the HTTP server's
 * business (its request timeout answers 408 and closes the connection).
 */
import type { IncomingMessage } from 'node:http';
import { gunzip } from 'node:zlib';
import { ListenerError } from './status.js';

function tooLarge(max: number): ListenerError {
  return new ListenerError('body-too-large', `request body exceeds the limit of ${max} bytes`);
}

/** The encoding of a request: `identity` or `gzip`; throws 415 for anything else. */
export function contentEncoding(req: IncomingMessage): 'identity' | 'gzip' {
  const v = req.headers['content-encoding'];
  if (v === undefined) return 'identity';
  const e = v.trim().toLowerCase();
  if (e === '' || e === 'identity') return 'identity';
  if (e === 'gzip' || e === 'x-gzip') return 'gzip';
  throw new ListenerError('unsupported-encoding', 'Content-Encoding must be gzip or identity');
}

/** Reads the whole body (inflated), at most `maxBytes` before and after inflating. */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  const encoding = contentEncoding(req);
  const declared = req.headers['content-length'];
  if (declared !== undefined && /^[0-9]+$/.test(declared) && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  const raw = Buffer.concat(chunks, total);
  if (encoding === 'identity') return raw;
  return new Promise<Uint8Array>((resolve, reject) => {
    gunzip(raw, { maxOutputLength: maxBytes }, (err, out) => {
      if (err === null) resolve(out);
      else if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) reject(tooLarge(maxBytes));
      else reject(new ListenerError('bad-encoding', 'the gzip body does not inflate'));
    });
  });
}

/** The media type of `Content-Type` (lower case, without parameters), or '' when absent. */
export function mediaType(req: IncomingMessage): string {
  const v = req.headers['content-type'];
  return v === undefined ? '' : v.split(';')[0]!.trim().toLowerCase();
}
