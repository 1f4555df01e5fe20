/**
 * Minimal stand-ins for node:http's IncomingMessage and ServerResponse, enough for the plain
 * handlers of @cairn/api (which call `writeHead` and `end`, read `url`, `method`, `headers` and
 * iterate the body). Direct calls skip the socket, so any string can be a request URL and a
 * hundred thousand requests take seconds.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';

/** What a handler answered. */
export interface Captured {
  status: number | undefined;
  headers: Record<string, string>;
  body: Uint8Array | undefined;
  /** How many times `end` was called. */
  ends: number;
  destroyed: boolean;
}

export function mockRequest(init: { method: string; url: string; headers?: Record<string, string>; body?: Uint8Array }): IncomingMessage {
  const stream = Readable.from(init.body === undefined || init.body.length === 0 ? [] : [Buffer.from(init.body)]);
  return Object.assign(stream, {
    method: init.method,
    url: init.url,
    headers: Object.fromEntries(Object.entries(init.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
  }) as unknown as IncomingMessage;
}

export function mockResponse(): { res: ServerResponse; captured: Captured } {
  const captured: Captured = { status: undefined, headers: {}, body: undefined, ends: 0, destroyed: false };
  const res = {
    headersSent: false,
    writeHead(status: number, headers?: Record<string, string>) {
      if (this.headersSent) throw new Error('writeHead called twice');
      captured.status = status;
      for (const [k, v] of Object.entries(headers ?? {})) captured.headers[k.toLowerCase()] = String(v);
      this.headersSent = true;
      return this;
    },
    setHeader(k: string, v: string) {
      captured.headers[k.toLowerCase()] = String(v);
      return this;
    },
    end(chunk?: Uint8Array | string) {
      captured.ends++;
      if (chunk !== undefined) captured.body = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      return this;
    },
    destroy() {
      captured.destroyed = true;
      return this;
    },
  };
  return { res: res as unknown as ServerResponse, captured };
}
