/**
 * The syslog receiver of the ingestion listener: RFC 5424 messages framed by octet counting
 * (RFC 6587 §3.4.1, `LEN SP MSG`) over TCP, or over TLS (RFC 5425, the same framing), mapped by
 * the syslog rules of @cairn/ingest and written to the log.
 *
 * **No acknowledgement.** Syslog has none: a sender never learns whether a message was stored.
 * What this receiver can promise is narrower than the HTTP endpoints': a message it read is
 * written before more of the connection is read (the socket is paused while its events are
 * submitted, so a full log pushes back through TCP instead of dropping), and nothing it read is
 * dropped silently — an unparsable message is counted and logged (code and byte offset only), an
 * unmatched one is counted per rules (`"unmatched": "drop"` by default). Messages still in the
 * sender's buffers when a connection or the log dies are lost or, if the sender resends them,
 * stored twice: there is no idempotency key in syslog.
 *
 * **Who.** Plain TCP carries no credential: every connection writes as the one configured
 * `source` (anyone who can reach the port can write as it; bind it to a trusted network). Over
 * TLS with a client CA, a connection writes as the source its verified certificate's subject is
 * mapped to. A connection presenting a certificate the CA did not verify, or one whose subject is
 * not mapped, is closed and counted (`refusedConnections`), never written as `source`; one
 * presenting none writes as the configured `source`, or is closed without one. The mapping is
 * looked up again on every read, so a certificate whose mapping a tokens reload removed stops
 * writing at its next message.
 *
 * Bounds: `maxConnections` (more are closed at once), `idleTimeoutMs` (a connection that sends
 * nothing for that long is closed), the frame bound of the decoder (8 KiB), and at most
 * {@link MAX_SYSLOG_BATCH} events per submission. A framing error closes the connection (the
 * stream cannot be resynchronised) after the whole frames before it in the same read are
 * stored; it is counted in `framingErrors` and logged. An unexpected error while handling a read
 * closes only that connection (`internalErrors`, logged by code): it never escapes the listener.
 */
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { IngestError } from '../errors.js';
import { OctetCountingDecoder } from '../octet-framing.js';
import { parseSyslog } from '../syslog.js';
import { mapSyslog } from '../syslog-map.js';
import { DEFAULT_SYSLOG_RULES, type SyslogRules } from '../syslog-rules.js';
import type { IngestEvent, IngestLogger, IngestSink } from './contracts.js';
import { certificateSubject, presentedCertificate } from './subject.js';

/** Most events in one submission of the receiver. */
export const MAX_SYSLOG_BATCH = 1000;
/** Default idle bound of a connection (ms). */
export const DEFAULT_SYSLOG_IDLE_MS = 300_000;
/** Default cap on concurrent connections. */
export const DEFAULT_SYSLOG_MAX_CONNECTIONS = 1024;

/** Counters of the receiver. */
export interface SyslogCounters {
  connections: number;
  stored: number;
  unmatched: number;
  refused: number;
  framingErrors: number;
  /** Connections closed by an unexpected error while handling their data (a bug, logged by code). */
  internalErrors: number;
  /** Connections closed for their certificate (unverified, unmapped, or its mapping revoked). */
  refusedConnections: number;
}

export interface SyslogListenerOptions {
  readonly listen: { readonly host: string; readonly port: number };
  readonly sink: IngestSink;
  /**
   * The source of plain TCP connections, and of TLS connections that present no certificate. It
   * must not be a source that has a token or a certificate mapping (`cairn log serve` refuses
   * that): anyone who reaches the port writes as it.
   */
  readonly source?: string | undefined;
  /** TLS (RFC 5425): certificate and key, and optionally a client CA. */
  readonly tls?: { readonly cert: string | Uint8Array; readonly key: string | Uint8Array; readonly clientCa?: string | Uint8Array | undefined } | undefined;
  /** The source of a verified client certificate's subject (`CN=…,O=…`). */
  readonly certificateSource?: ((subject: string) => string | undefined) | undefined;
  readonly rules?: SyslogRules;
  readonly logger?: IngestLogger | undefined;
  readonly clock?: () => number;
  readonly maxConnections?: number;
  readonly idleTimeoutMs?: number;
}

export interface SyslogListener {
  readonly port: number;
  /** `tcp://host:port` or `tls://host:port`. */
  readonly url: string;
  readonly counters: Readonly<SyslogCounters>;
  /** Replaces the TLS certificate and key for new connections (throws on a plain listener). */
  setTls(tls: { cert: string | Uint8Array; key: string | Uint8Array }): void;
  close(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts the receiver; resolves once bound. */
export async function startSyslogListener(opts: SyslogListenerOptions): Promise<SyslogListener> {
  if (opts.tls === undefined && opts.source === undefined) throw new TypeError('a plain TCP syslog listener needs a source');
  if (opts.tls?.clientCa === undefined && opts.source === undefined) throw new TypeError('a TLS syslog listener without a client CA needs a source');
  const rules = opts.rules ?? DEFAULT_SYSLOG_RULES;
  const clock = opts.clock ?? Date.now;
  const idleMs = opts.idleTimeoutMs ?? DEFAULT_SYSLOG_IDLE_MS;
  const counters: SyslogCounters = { connections: 0, stored: 0, unmatched: 0, refused: 0, framingErrors: 0, refusedConnections: 0, internalErrors: 0 };
  const sockets = new Set<Socket>();
  let closing = false;
  let lastWarn = -Infinity;
  const warn = (msg: string, fields: Record<string, unknown>): void => {
    const now = Date.now();
    if (now - lastWarn < 10_000) return;
    lastWarn = now;
    opts.logger?.warn(msg, fields);
  };

  /**
   * The source a connection writes as. A connection that presents no certificate writes as the
   * configured `source` (if any). One that presents a certificate the CA did not verify, or whose
   * subject the tokens file does not map, is refused: it must not fall back to `source`.
   */
  const sourceOf = (socket: Socket): { source: string | undefined; subject?: string } => {
    if (opts.tls?.clientCa === undefined) return { source: opts.source };
    const subject = certificateSubject(socket);
    if (subject !== undefined) return { source: opts.certificateSource?.(subject), subject };
    if (presentedCertificate(socket)) return { source: undefined };
    return { source: opts.source };
  };

  /** Writes `events`; retries while the log is full; false when the log is stopping or failed. */
  const write = async (source: string, events: IngestEvent[]): Promise<boolean> => {
    for (let i = 0; i < events.length; i += MAX_SYSLOG_BATCH) {
      const batch = events.slice(i, i + MAX_SYSLOG_BATCH);
      for (;;) {
        try {
          await opts.sink.submitEvents(source, batch);
          counters.stored += batch.length;
          break;
        } catch (e) {
          const code = (e as { code?: string }).code;
          if (code === 'queue-full' && !closing) {
            await sleep(Math.max(50, (e as { retryAfterMs?: number }).retryAfterMs ?? 1000));
            continue;
          }
          opts.logger?.error('syslog: events not written, closing the connection', { source, code, events: batch.length });
          return false;
        }
      }
    }
    return true;
  };

  const onConnection = (socket: Socket): void => {
    const who = sourceOf(socket);
    const source = who.source;
    if (source === undefined) {
      counters.refusedConnections++;
      warn('syslog: connection with an unverified or unmapped client certificate (or none) closed', {});
      socket.destroy();
      return;
    }
    // A certificate's mapping is looked up again before each write: once the tokens file no
    // longer maps it (revoked, reloaded), the connection is closed before it writes more.
    const stillMapped = (): boolean => who.subject === undefined || opts.certificateSource?.(who.subject) === source;
    counters.connections++;
    sockets.add(socket);
    socket.setTimeout(idleMs, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
    const decoder = new OctetCountingDecoder();
    let framingFailed = false;
    socket.on('end', () => {
      if (framingFailed) return; // already counted
      try {
        decoder.end();
      } catch (e) {
        counters.framingErrors++;
        warn('syslog: the connection ended inside a frame', { source, code: (e as IngestError).code, at: (e as IngestError).at });
      }
    });
    let busy: Promise<void> = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      if (!stillMapped()) {
        counters.refusedConnections++;
        warn('syslog: client certificate no longer mapped, connection closed', {});
        socket.destroy();
        return;
      }
      // The frames completed before a framing error are stored; then the connection closes.
      const { frames, error } = decoder.decode(chunk);
      if (error !== undefined) {
        if (framingFailed) return;
        framingFailed = true;
        counters.framingErrors++;
        warn('syslog: framing error, connection closed', { source, code: error.code, at: error.at });
      }
      const events: IngestEvent[] = [];
      try {
        const now = clock();
        for (const f of frames) {
          try {
            const m = mapSyslog(parseSyslog(f), rules, now);
            if (m.kind === 'event') events.push({ event: m.event });
            else counters.unmatched++;
          } catch (e) {
            if (!(e instanceof IngestError)) throw e;
            counters.refused++;
            warn('syslog: message refused', { source, code: e.code, at: e.at });
          }
        }
      } catch (e) {
        // Not the input's fault: a bug. Never thrown out of this listener (it would be an
        // uncaught exception that stops the log); counted, logged by its code only, and this
        // connection closed.
        counters.internalErrors++;
        opts.logger?.error('syslog: internal error, connection closed', { source, code: (e as { code?: unknown }).code ?? (e as Error)?.name });
        socket.destroy();
        return;
      }
      if (events.length === 0) {
        if (error !== undefined) socket.destroy();
        return;
      }
      socket.pause();
      busy = busy.then(async () => {
        const ok = await write(source, events);
        if (!ok || error !== undefined) socket.destroy();
        else socket.resume();
      });
    });
  };

  let server: Server;
  let tlsServer: ReturnType<typeof createTlsServer> | undefined;
  if (opts.tls !== undefined) {
    tlsServer = createTlsServer({
      cert: opts.tls.cert as string, key: opts.tls.key as string,
      ...(opts.tls.clientCa === undefined ? {} : { ca: opts.tls.clientCa as string, requestCert: true, rejectUnauthorized: false }),
    }, onConnection);
    tlsServer.on('tlsClientError', (_e, s) => s.destroy());
    server = tlsServer;
  } else {
    server = createTcpServer(onConnection);
  }
  server.maxConnections = opts.maxConnections ?? DEFAULT_SYSLOG_MAX_CONNECTIONS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.listen.port, opts.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.listen.host.includes(':') ? `[${opts.listen.host}]` : opts.listen.host;
  return {
    port,
    url: `${tlsServer === undefined ? 'tcp' : 'tls'}://${host}:${port}`,
    counters,
    setTls(tls) {
      if (tlsServer === undefined) throw new TypeError('this syslog listener is plain TCP');
      tlsServer.setSecureContext({ cert: tls.cert as string, key: tls.key as string, ...(opts.tls?.clientCa === undefined ? {} : { ca: opts.tls.clientCa as string }) });
    },
    close() {
      closing = true;
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A connection whose events are being written finishes that write; the rest close now.
        for (const s of sockets) s.end();
        setTimeout(() => { for (const s of sockets) s.destroy(); }, 2_000).unref();
      });
    },
  };
}
