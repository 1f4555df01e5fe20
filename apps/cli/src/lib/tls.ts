/**
 * TLS for the CLI: a server's certificate and key from `--tls-cert`/`--tls-key`, and `--ca` for
 * clients that talk to servers whose certificate a private CA issued.
 *
 * `--ca` installs, once per process, an undici `Agent` whose TLS connections trust the system's
 * roots plus the given CA certificates as the global dispatcher. Node's global `fetch` is undici
 * and uses that dispatcher, so every fetch the process makes — the client's fetchers and tRPC
 * links, and a log's posts to its witnesses — trusts the CA, with nothing threaded through the
 * libraries (which stay browser-safe). `NODE_EXTRA_CA_CERTS` does the same from the environment,
 * but Node reads it only at start-up, so a flag could not set it.
 */
import { readFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { createSecureContext, rootCertificates } from 'node:tls';
import { Agent, setGlobalDispatcher } from 'undici';
import type { TlsMaterial } from '@cairn/api';
import { UsageError } from '../command.js';

/** Largest certificate, key or CA file read (bytes). */
const MAX_PEM_BYTES = 1024 * 1024;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

async function readPem(flag: string, file: string): Promise<string> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (e) {
    throw new UsageError(`${flag}: cannot read ${file}: ${(e as Error).message}`);
  }
  if (buf.length > MAX_PEM_BYTES) throw new UsageError(`${flag}: ${file} is larger than ${MAX_PEM_BYTES} bytes`);
  return buf.toString('utf8');
}

/** The certificates (PEM blocks) in `text`; UsageError when there is none or one does not parse. */
function certificates(flag: string, file: string, text: string): string[] {
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new UsageError(`${flag}: ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  for (const b of blocks) {
    try {
      new X509Certificate(b);
    } catch (e) {
      throw new UsageError(`${flag}: ${file}: a certificate does not parse: ${(e as Error).message}`);
    }
  }
  return blocks;
}

/**
 * Reads `--tls-cert` and `--tls-key` (both or neither) and checks they form a usable pair.
 * Used at start-up (errors are UsageErrors) and on SIGHUP (the caller keeps the old pair).
 */
export async function readTlsFlags(values: { 'tls-cert'?: string | undefined; 'tls-key'?: string | undefined }, flagPrefix = ''): Promise<TlsMaterial | undefined> {
  const certFile = values['tls-cert'];
  const keyFile = values['tls-key'];
  const certFlag = `--${flagPrefix}tls-cert`;
  const keyFlag = `--${flagPrefix}tls-key`;
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) throw new UsageError(`${certFlag} and ${keyFlag} go together`);
  const cert = await readPem(certFlag, certFile);
  certificates(certFlag, certFile, cert);
  const key = await readPem(keyFlag, keyFile);
  try {
    createSecureContext({ cert, key });
  } catch (e) {
    throw new UsageError(`${certFlag}/${keyFlag}: ${certFile} and ${keyFile} are not a usable certificate and key: ${(e as Error).message}`);
  }
  return { cert, key };
}

/** The PEM CA certificates of `file` for `flag` (e.g. `--ingest-client-ca`); UsageError when there is none or one does not parse. */
export async function readCaFile(flag: string, file: string): Promise<string> {
  const blocks = certificates(flag, file, await readPem(flag, file));
  return blocks.join('\n') + '\n';
}

/**
 * Re-reads `--tls-cert`/`--tls-key` into a running listener (SIGHUP). A pair that does not load is
 * logged and the certificate in force stays.
 */
export async function reloadTls(
  listening: { setTls(tls: TlsMaterial): void },
  values: { 'tls-cert'?: string | undefined; 'tls-key'?: string | undefined },
  logger: { info(msg: string, fields?: Record<string, unknown>): void; error(msg: string, fields?: Record<string, unknown>): void },
  flagPrefix = '',
): Promise<void> {
  try {
    const next = await readTlsFlags(values, flagPrefix);
    if (next === undefined) return;
    listening.setTls(next);
    logger.info('tls certificate reloaded', { cert: values['tls-cert'], serial: leafSerial(next) });
  } catch (e) {
    logger.error('tls reload failed: keeping the certificate in force', { cert: values['tls-cert'], key: values['tls-key'], error: (e as Error).message });
  }
}

/** The serial number of the leaf certificate (for start-up and reload log lines). */
export function leafSerial(tls: TlsMaterial): string {
  return new X509Certificate(Buffer.from(tls.cert)).serialNumber;
}

/** Makes every https:// fetch of this process also trust the CA certificates in `file` (see the file comment). */
export async function trustCa(file: string | undefined): Promise<void> {
  if (file === undefined) return;
  const cas = certificates('--ca', file, await readPem('--ca', file));
  setGlobalDispatcher(new Agent({ connect: { ca: [...rootCertificates, ...cas] } }));
}
