/**
 * Turns tRPC client errors into CLI failures a person can act on: each names the URL and the
 * cause (connection refused, a witness answering where a log was expected, an HTML page instead
 * of a Cairn server). Every cause has one exit code in every command: the server refused the
 * request → {@link EXIT_FAIL}; the server could not be reached or is not a Cairn server →
 * {@link EXIT_IO} (the client library's EXIT_FETCH_FAILED).
 */
import { TRPCClientError } from '@trpc/client';
import { EXIT_CODES, certificateProblem, createWitnessClient, systemErrorCode } from '@cairn/client';
import { CommandFailure, EXIT_FAIL, EXIT_IO } from '../command.js';

/**
 * Exit code of "logged but not yet cosigned": the inclusion cannot be proven yet, which the
 * client library reports as `quorum-not-met` (the same cause, the same code in every command).
 */
export const EXIT_NOT_YET_COSIGNED = EXIT_CODES['quorum-not-met'];

/** Added to a refused server certificate's message. */
export const CA_HINT = '; a server whose certificate a private CA issued needs --ca FILE';

export interface RemoteErrorInfo {
  readonly httpStatus?: number;
  /** The tRPC code (e.g. NOT_FOUND). */
  readonly code?: string;
  /** The server's own error code (`data.cairnCode`, e.g. `beyond-tree`). */
  readonly cairnCode?: string;
  readonly retryAfterSeconds?: number;
}

export function remoteErrorInfo(e: unknown): RemoteErrorInfo | undefined {
  if (!(e instanceof TRPCClientError)) return undefined;
  const data = (e.data ?? {}) as { httpStatus?: number; code?: string; cairnCode?: string | null; retryAfterSeconds?: number | null };
  return {
    ...(typeof data.httpStatus === 'number' ? { httpStatus: data.httpStatus } : {}),
    ...(typeof data.code === 'string' ? { code: data.code } : {}),
    ...(typeof data.cairnCode === 'string' ? { cairnCode: data.cairnCode } : {}),
    ...(typeof data.retryAfterSeconds === 'number' ? { retryAfterSeconds: data.retryAfterSeconds } : {}),
  };
}

const SYSTEM_CAUSES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused to',
  ENOTFOUND: 'unknown host in',
  EAI_AGAIN: 'cannot resolve the host of',
  ECONNRESET: 'connection reset by',
  ETIMEDOUT: 'timed out connecting to',
  EHOSTUNREACH: 'host unreachable:',
  ENETUNREACH: 'network unreachable:',
};

/** Whether the log's tRPC router lacks the procedure: the server is something else. */
function isMissingProcedure(e: unknown, info: RemoteErrorInfo | undefined): boolean {
  return info?.code === 'NOT_FOUND' && info.cairnCode === undefined && /No procedure found/i.test((e as Error).message);
}

/** Whether `url` answers as a Cairn witness (its tRPC `status`). */
async function isWitness(url: string): Promise<boolean> {
  try {
    const s = await createWitnessClient(url).status.query(undefined, { signal: AbortSignal.timeout(WITNESS_PROBE_TIMEOUT_MS) });
    return typeof s.cosignatureVkey === 'string';
  } catch {
    return false;
  }
}

/** How long the "is this a witness?" probe of a failed log call may take. */
const WITNESS_PROBE_TIMEOUT_MS = 3_000;

/**
 * The CLI failure for an error from a call to the Cairn server at `url` (`server` says which
 * kind was expected: `log` or `witness`).
 */
export async function describeRemoteError(what: string, url: string, e: unknown, server: 'log' | 'witness' = 'log'): Promise<CommandFailure> {
  if (e instanceof CommandFailure) return e;
  const info = remoteErrorInfo(e);
  const msg = terminalSafe(e instanceof Error ? e.message : String(e));
  if (info?.httpStatus === undefined) {
    const cert = certificateProblem(e);
    if (cert !== undefined) return new CommandFailure(`${what}: ${cert} (${url})${CA_HINT}`, EXIT_IO);
    const sys = systemErrorCode(e);
    if (sys !== undefined) return new CommandFailure(`${what}: ${SYSTEM_CAUSES[sys] ?? `${sys} from`} ${url}`, EXIT_IO);
    // The answer was not JSON: a web page or another service on that port.
    if (/Unexpected token '<'|<!doctype|<html/i.test(msg)) return new CommandFailure(`${what}: HTML answer: not a Cairn server (${url})`, EXIT_IO);
    if (/not valid JSON|Unexpected (token|end of JSON)/i.test(msg)) return new CommandFailure(`${what}: the answer is not JSON: not a Cairn server (${url})`, EXIT_IO);
    return new CommandFailure(`${what}: ${msg} (${url})`, EXIT_IO);
  }
  if (server === 'log' && isMissingProcedure(e, info)) {
    if (await isWitness(url)) return new CommandFailure(`${what}: this is a witness, not a log (${url})`, EXIT_IO);
    return new CommandFailure(`${what}: not a Cairn log (${url}): ${msg}`, EXIT_IO);
  }
  if (info.httpStatus === 404 && info.cairnCode === undefined && info.code === undefined) {
    return new CommandFailure(`${what}: nothing at ${url} answers the Cairn API (HTTP 404): not a Cairn server`, EXIT_IO);
  }
  return new CommandFailure(`${what}: ${msg} (HTTP ${info.httpStatus}${info.cairnCode ? ', ' + info.cairnCode : info.code ? ', ' + info.code : ''}; ${url})`, EXIT_FAIL);
}

/** Most characters of a server's message shown in an error. */
export const MAX_REMOTE_MESSAGE = 4096;

/**
 * A server's message made safe to print: control characters other than line feed and tab
 * (escape sequences that would move the cursor, recolour or retitle a terminal, a carriage return
 * that would overwrite the line) written as `\u001b`, and at most {@link MAX_REMOTE_MESSAGE}
 * characters. Line feeds stay: a bad query's message is a column line and a caret line.
 */
export function terminalSafe(text: string): string {
  const cut = text.length > MAX_REMOTE_MESSAGE ? `${text.slice(0, MAX_REMOTE_MESSAGE)}… (${text.length - MAX_REMOTE_MESSAGE} more characters)` : text;
  return cut.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Wraps a remote call to `url`: failures become {@link describeRemoteError}'s CommandFailure. */
export async function remote<T>(what: string, url: string, fn: () => Promise<T>, server: 'log' | 'witness' = 'log'): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw await describeRemoteError(what, url, e, server);
  }
}
