/**
 * The body of an OTLP/HTTP failure: a `google.rpc.Status` (`code` = 1, int32; `message` = 2,
 * string), in the encoding of the request — protobuf for `application/x-protobuf`, its JSON
 * mapping for `application/json` (OTLP/HTTP asks the server to answer in the request's content
 * type). The gRPC code travels beside the HTTP status: 3 INVALID_ARGUMENT for 400/413/415,
 * 8 RESOURCE_EXHAUSTED for 429, 14 UNAVAILABLE for 503, 16 UNAUTHENTICATED for 401, 7
 * PERMISSION_DENIED for 403, 13 INTERNAL otherwise.
 */

/** The gRPC status code matching an HTTP status. */
export function grpcCode(status: number): number {
  if (status === 400 || status === 413 || status === 415 || status === 409) return 3;
  if (status === 429) return 8;
  if (status === 503) return 14;
  if (status === 401) return 16;
  if (status === 403) return 7;
  if (status === 404) return 5;
  return 13;
}

function varint(n: number, out: number[]): void {
  let v = n >>> 0;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
}

/** `google.rpc.Status { code, message }` in protobuf. */
export function encodeRpcStatus(code: number, message: string): Uint8Array {
  const text = new TextEncoder().encode(message);
  const out: number[] = [];
  if (code !== 0) {
    out.push(0x08);
    varint(code, out);
  }
  if (text.length > 0) {
    out.push(0x12);
    varint(text.length, out);
  }
  const head = Uint8Array.from(out);
  const all = new Uint8Array(head.length + (text.length > 0 ? text.length : 0));
  all.set(head, 0);
  if (text.length > 0) all.set(text, head.length);
  return all;
}
