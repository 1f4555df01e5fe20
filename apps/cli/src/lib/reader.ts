/**
 * What every command that reads a log's event store with a reader (or admin) token shares: the
 * `--url` and `--token` options (the token may come from CAIRN_TOKEN) and the typed client they
 * make (`events get|prove|sources`, `search`, `tail`).
 */
import { createLogClient } from '@cairn/client';
import { UsageError } from '../command.js';
import { caOption, parseUrlOption } from './options.js';
import { trustCa } from './tls.js';

/** `--url`, `--token` (reader or admin) and `--ca`. */
export const readerOptions = {
  url: { type: 'string', required: true, value: 'URL', description: 'the log\'s URL' },
  token: { type: 'string', value: 'TOKEN', description: 'reader or admin token (or set CAIRN_TOKEN)' },
  ...caOption,
} as const;

/** Trusts `--ca`, checks `--url` and the token, and makes the client. */
export async function connectReader(values: { url?: string | undefined; token?: string | undefined; ca?: string | undefined }) {
  await trustCa(values.ca);
  const url = parseUrlOption('--url', values.url!);
  const token = values.token ?? process.env['CAIRN_TOKEN'];
  if (!token) throw new UsageError('a token is required: --token TOKEN or CAIRN_TOKEN (a reader or admin token)');
  return { url, client: createLogClient(url, { token }) };
}
