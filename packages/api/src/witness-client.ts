/**
 * A typed tRPC client for a witness server (`startWitnessServer`; CLI `evidence list`, tests).
 * Plain JSON, as the witness router defines it.
 *
 * ```ts
 * const client = createWitnessClient('http://127.0.0.1:7380');
 * for (const e of await client.evidence.query({ limit: 10 })) process.stdout.write(e.record);
 * ```
 */
import { createTRPCClient, httpLink, type TRPCClient } from '@trpc/client';
import type { WitnessRouter } from './routers/witness.js';
import { WITNESS_TRPC_PATH } from './witness-server.js';

/** The client type. */
export type WitnessClient = TRPCClient<WitnessRouter>;

/** A client for the witness at `baseUrl` (its `http://host:port`). */
export function createWitnessClient(baseUrl: string): WitnessClient {
  return createTRPCClient<WitnessRouter>({ links: [httpLink({ url: baseUrl.replace(/\/+$/, '') + WITNESS_TRPC_PATH })] });
}
