/** Validation of option values shared by commands; every message names the flag. */
import { UsageError } from '../command.js';

export interface Listen {
  readonly host: string;
  readonly port: number;
}

/** `HOST:PORT` (IPv6 as `[::1]:PORT`); port 0 picks a free port. */
export function parseListen(flag: string, value: string): Listen {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(0|[1-9][0-9]{0,4})$/.exec(value);
  if (!m) throw new UsageError(`${flag} must be HOST:PORT (for example 127.0.0.1:8080), got "${value}"`);
  const port = Number(m[3]);
  if (port > 65535) throw new UsageError(`${flag}: port ${port} is out of range (0–65535)`);
  return { host: (m[1] ?? m[2])!, port };
}

/** A canonical non-negative integer within [min, max]. */
export function parseIntOption(flag: string, value: string, min: number, max: number): number {
  if (!/^(0|[1-9][0-9]*)$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return Number(value);
}

/** A canonical decimal index/size (≤ 2^63−1) as bigint. */
export function parseIndexOption(flag: string, value: string): bigint {
  if (!/^(0|[1-9][0-9]{0,18})$/.test(value) || BigInt(value) > (1n << 63n) - 1n) {
    throw new UsageError(`${flag} must be a non-negative decimal integer (≤ 2^63−1), got "${value}"`);
  }
  return BigInt(value);
}

/** An http(s) URL without query or fragment; returned without a trailing slash. */
export function parseUrlOption(flag: string, value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new UsageError(`${flag} must be a URL such as http://127.0.0.1:8080, got "${value}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`${flag} must be an http or https URL`);
  if (u.search || u.hash) throw new UsageError(`${flag} must not have a query or fragment`);
  return u.href.replace(/\/+$/, '');
}

/** A libp2p peer ID in its base58 text form (`12D3KooW…` for Ed25519 keys). */
export const PEER_ID_TEXT = /^[1-9A-HJ-NP-Za-km-z]{20,128}$/;
/** A printable multiaddr: `/`-separated components. */
const MULTIADDR_TEXT = /^(\/[A-Za-z0-9._~:%-]+)+$/;

/** A libp2p listen multiaddr such as `/ip4/127.0.0.1/tcp/4001`. */
export function parseP2pListen(flag: string, value: string): string {
  if (!MULTIADDR_TEXT.test(value) || value.includes('/p2p/')) {
    throw new UsageError(`${flag} must be a multiaddr such as /ip4/127.0.0.1/tcp/4001, got "${value}"`);
  }
  return value;
}

/** A peer multiaddr ending in `/p2p/<peer ID>`. */
export function parseP2pAddr(flag: string, value: string): string {
  const at = value.lastIndexOf('/p2p/');
  if (!MULTIADDR_TEXT.test(value) || at < 0 || !PEER_ID_TEXT.test(value.slice(at + 5))) {
    throw new UsageError(`${flag} must be a multiaddr ending in /p2p/<peer ID>, e.g. /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…, got "${value}"`);
  }
  return value;
}

/** `MULTIADDR[=VKEY]` (a multiaddr has no `=`). */
export function parseP2pPeer(flag: string, value: string): { addr: string; vkey?: string } {
  const eq = value.indexOf('=');
  if (eq < 0) return { addr: parseP2pAddr(flag, value) };
  const vkey = value.slice(eq + 1);
  if (vkey === '') throw new UsageError(`${flag} must be MULTIADDR or MULTIADDR=VKEY, got "${value}"`);
  return { addr: parseP2pAddr(flag, value.slice(0, eq)), vkey };
}

/** A peer ID. */
export function parsePeerIdOption(flag: string, value: string): string {
  if (!PEER_ID_TEXT.test(value)) throw new UsageError(`${flag} must be a libp2p peer ID such as 12D3KooW…, got "${value}"`);
  return value;
}

/** `--tls-cert`/`--tls-key` for a server, `--ca` for a client: shared definitions. */
export const tlsServerOptions = {
  'tls-cert': { type: 'string', value: 'FILE', description: 'serve HTTPS with this PEM certificate chain (leaf first; with --tls-key; reloaded on SIGHUP)' },
  'tls-key': { type: 'string', value: 'FILE', description: 'PEM private key of --tls-cert (reloaded on SIGHUP)' },
} as const;

/** `--ca FILE` for the commands that fetch. */
export const caOption = {
  ca: { type: 'string', value: 'FILE', description: 'also trust the PEM CA certificate(s) in FILE for https:// URLs (a private CA)' },
} as const;
