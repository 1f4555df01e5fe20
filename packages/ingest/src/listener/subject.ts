/**
 * The one place the listener reads a client certificate's identity, for the HTTP endpoints and
 * the syslog receiver alike (security-relevant: it decides which source a connection writes as).
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

/**
 * The subject of a verified client certificate as the tokens file names it: the RDNs in the
 * certificate's order, `TYPE=value` joined by `,` (`CN=rsyslog.example.org,O=Example`).
 * Undefined when the connection is not TLS, presented no certificate, or the CA did not verify it.
 */
export function certificateSubject(socket: Socket): string | undefined {
  const sock = socket as Partial<TLSSocket>;
  if (sock.authorized !== true || typeof sock.getPeerX509Certificate !== 'function') return undefined;
  const cert = sock.getPeerX509Certificate();
  if (cert === undefined) return undefined;
  return cert.subject.split('\n').filter((l) => l !== '').join(',');
}

/** Whether a TLS connection presented a client certificate at all (verified or not). */
export function presentedCertificate(socket: Socket): boolean {
  const sock = socket as Partial<TLSSocket>;
  return typeof sock.getPeerX509Certificate === 'function' && sock.getPeerX509Certificate() !== undefined;
}
