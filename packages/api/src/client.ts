/**
 * A typed tRPC client for a log server (tests, CLI). Plain JSON, no transformer: sizes and
 * indices are decimal strings, bytes are base64, exactly as the routers define them.
 *
 * ```ts
 * const client = createLogClient('http://127.0.0.1:8080', { token });
 * const { indices } = await client.log.submit.mutate({ entries: ['aGk='] });
 * ```
 */
import { createTRPCClient, httpBatchLink, httpLink, type TRPCClient } from '@trpc/client';
import type { ApiRouter } from './router.js';
import { TRPC_PATH } from './server.js';

/** Options of {@link createLogClient}. */
export interface LogClientOptions {
  /** Bearer token for `submit`. */
  readonly token?: string | undefined;
  /** Batch concurrent calls into one request (`httpBatchLink`); default false. */
  readonly batch?: boolean | undefined;
}

/** The client type. */
export type LogClient = TRPCClient<ApiRouter>;

/** A client for the server at `baseUrl` (the `url` returned by startLogServer). */
export function createLogClient(baseUrl: string, opts: LogClientOptions = {}): LogClient {
  const headers: Record<string, string> = opts.token !== undefined ? { authorization: `Bearer ${opts.token}` } : {};
  const url = baseUrl.replace(/\/+$/, '') + TRPC_PATH;
  const link = opts.batch === true ? httpBatchLink({ url, headers }) : httpLink({ url, headers });
  return createTRPCClient<ApiRouter>({ links: [link] });
}
