/** Turns tRPC client errors into CLI failures with the server's message and status. */
import { TRPCClientError } from '@trpc/client';
import { CommandFailure, EXIT_FAIL, EXIT_IO } from '../command.js';

export interface RemoteErrorInfo {
  readonly httpStatus?: number;
  readonly code?: string;
  readonly retryAfterSeconds?: number;
}

export function remoteErrorInfo(e: unknown): RemoteErrorInfo | undefined {
  if (!(e instanceof TRPCClientError)) return undefined;
  const data = (e.data ?? {}) as { httpStatus?: number; code?: string; retryAfterSeconds?: number | null };
  return {
    ...(typeof data.httpStatus === 'number' ? { httpStatus: data.httpStatus } : {}),
    ...(typeof data.code === 'string' ? { code: data.code } : {}),
    ...(typeof data.retryAfterSeconds === 'number' ? { retryAfterSeconds: data.retryAfterSeconds } : {}),
  };
}

/** Wraps a remote call: server-reported errors fail with exit 1, transport errors with exit 3. */
export async function remote<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const info = remoteErrorInfo(e);
    if (info?.httpStatus !== undefined) {
      throw new CommandFailure(`${what}: ${(e as Error).message} (HTTP ${info.httpStatus}${info.code ? ', ' + info.code : ''})`, EXIT_FAIL);
    }
    throw new CommandFailure(`${what}: ${(e as Error).message}`, EXIT_IO);
  }
}
