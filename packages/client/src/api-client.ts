/**
 * The typed clients of Cairn's own tRPC APIs, built on `@trpc/client` from the routers' types:
 * the log's application API (`<log url>/trpc`: `log.*` submit, checkpoint, entries, proofs, status;
 * `events.*` submit, get, prove, erase, sources, receiptKey) and
 * the witness's read-only API (`<witness url>/trpc`: status, evidence, misbehaviour). Only the
 * router *types* come from `@cairn/api` (`import type`, erased at run time), so this module stays
 * browser-safe and the client package never loads server code.
 *
 * Plain JSON on the wire, no transformer: sizes and indices are canonical decimal strings, bytes
 * are base64, exactly as the routers define them. What comes back is the server's claim: verify
 * notes and proofs with `@cairn/client/verify`, or read through {@link createLogFetcher}, which
 * checks every field strictly and adds retries, timeouts and size caps.
 *
 * ```ts
 * const log = createLogClient('http://127.0.0.1:8080', { token });
 * const { indices, checkpoint } = await log.log.submit.mutate({ entries: ['aGk='], wait: 'checkpoint' });
 * // Audit events (the `events` router): a writer token submits OCSF JSON texts, a reader token proves them.
 * const { receipts } = await log.events.submit.mutate({ events: [JSON.stringify(ocsfEvent)], seqs: ['0'] });
 * const { proof } = await createLogClient(url, { token: readerToken }).events.prove.query({ index: indices[0]! });
 * const witness = createWitnessClient('http://127.0.0.1:7380');
 * for (const e of await witness.evidence.query({ limit: 10 })) console.log(e.record);
 * // The live tail (a subscription over server-sent events):
 * createLogClient(url, { token: readerToken }).events.tail.subscribe({ query: 'actor:alice' }, { onData: ({ id, data }) => … });
 * ```
 */
import { createTRPCClient, httpBatchLink, httpLink, httpSubscriptionLink, splitLink, type TRPCClient } from '@trpc/client';
import type { ApiRouter, WitnessRouter } from '@cairn/api';
import { FetchEventSource } from './event-source.js';

/** Where a log serves its tRPC API (the server's TRPC_PATH). */
export const LOG_TRPC_PATH = '/trpc';
/** Where a witness serves its tRPC API (the server's WITNESS_TRPC_PATH). */
export const WITNESS_TRPC_PATH = '/trpc';

/** A typed client of a log's tRPC API. */
export type LogClient = TRPCClient<ApiRouter>;
/** A typed client of a witness's tRPC API. */
export type WitnessClient = TRPCClient<WitnessRouter>;

/** Options of {@link createLogClient} and {@link createWitnessClient}. */
export interface ApiClientOptions {
  /** Bearer token (the log's `submit`). */
  readonly token?: string | undefined;
  /** Batch concurrent calls into one request (`httpBatchLink`); default false. */
  readonly batch?: boolean | undefined;
  /** The fetch implementation (default: the global one). */
  readonly fetch?: typeof globalThis.fetch | undefined;
  /**
   * The `EventSource` class for subscriptions (`events.tail`, over server-sent events): default
   * {@link FetchEventSource}, which sends the token as a header (a browser's own EventSource
   * cannot), never in the URL. Its init gets `{ headers, fetch }`.
   */
  readonly EventSource?: unknown;
}

function trpcUrl(baseUrl: string, path: string): string {
  if (typeof baseUrl !== 'string' || !/^https?:\/\//.test(baseUrl)) throw new TypeError(`not an http(s) URL: ${String(baseUrl)}`);
  return baseUrl.replace(/\/+$/, '') + path;
}

/** tRPC's own fetch type (structural); the global fetch satisfies it. */
type LinkFetch = NonNullable<Parameters<typeof httpLink>[0]['fetch']>;

function links(url: string, opts: ApiClientOptions) {
  const headers: Record<string, string> = opts.token !== undefined ? { authorization: `Bearer ${opts.token}` } : {};
  const common = { url, headers, ...(opts.fetch !== undefined ? { fetch: opts.fetch as LinkFetch } : {}) };
  const calls = opts.batch === true ? httpBatchLink(common) : httpLink(common);
  // Subscriptions over server-sent events: FetchEventSource sends the token as a header.
  const subscriptions = httpSubscriptionLink({
    url,
    EventSource: (opts.EventSource ?? FetchEventSource) as typeof EventSource,
    eventSourceOptions: { headers, ...(opts.fetch !== undefined ? { fetch: opts.fetch } : {}) } as EventSourceInit,
  });
  return [splitLink({ condition: (op) => op.type === 'subscription', true: subscriptions, false: calls })];
}

/** A client of the log at `baseUrl` (its root, e.g. `http://127.0.0.1:8080`). */
export function createLogClient(baseUrl: string, opts: ApiClientOptions = {}): LogClient {
  return createTRPCClient<ApiRouter>({ links: links(trpcUrl(baseUrl, LOG_TRPC_PATH), opts) });
}

/** A client of the witness at `baseUrl` (its `http://host:port`). */
export function createWitnessClient(baseUrl: string, opts: ApiClientOptions = {}): WitnessClient {
  return createTRPCClient<WitnessRouter>({ links: links(trpcUrl(baseUrl, WITNESS_TRPC_PATH), opts) });
}
