/**
 * The libp2p host of a Cairn witness-network node: TCP, Noise, yamux, identify and gossipsub,
 * with a persistent Ed25519 identity (`<dataDir>/p2p.key`), an allowlist connection gater and a
 * re-dialer that keeps the configured peers connected.
 *
 * - Only peers whose IDs appear in `peers` (each multiaddr must end in `/p2p/<peer ID>`) or in
 *   `allowPeerIds` may connect, in either direction: Noise authenticates the peer ID, and the
 *   gater refuses any other after the handshake (and refuses to dial one at all). Each refused
 *   peer is counted (`metrics.peersRefused`) and reported with its peer ID and address through
 *   `warn`, at most once per {@link REFUSED_PEER_LOG_INTERVAL_MS} (the count says how many were
 *   not reported).
 * - Every configured peer is dialled at start; when a connection drops or a dial fails, it is
 *   re-dialled with exponential backoff ({@link DEFAULT_REDIAL_MIN_MS} doubling up to
 *   {@link DEFAULT_REDIAL_MAX_MS}, with jitter), reset once connected.
 * - gossipsub runs with `StrictNoSign` (our payloads are signed notes and evidence, validated
 *   by topics.ts; router signatures would cost ~4× throughput and prove nothing more), mesh
 *   degrees sized for networks of a handful to a few dozen peers, flood publishing, and
 *   `allowPublishToZeroTopicPeers` so a lone node can publish without throwing.
 */
import './polyfill.js';
import { createLibp2p, type Libp2p } from 'libp2p';
import { tcp } from '@libp2p/tcp';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify, type Identify } from '@libp2p/identify';
import { gossipsub, StrictNoSign, type GossipSub, type GossipsubOpts } from '@libp2p/gossipsub';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import type { PeerId, PrivateKey } from '@libp2p/interface';
import { backoffDelay } from '@cairn/formats';
import { GossipError } from './errors.js';
import { loadOrCreatePeerIdentity } from './identity.js';
import { createMetrics, type GossipMetrics } from './metrics.js';

export const DEFAULT_REDIAL_MIN_MS = 250;
export const DEFAULT_REDIAL_MAX_MS = 30_000;
export const DEFAULT_DIAL_TIMEOUT_MS = 5_000;
/** A refused unknown peer is reported at most this often (ms); every one is counted. */
export const REFUSED_PEER_LOG_INTERVAL_MS = 10_000;
/** Largest gossipsub RPC frame read (bigger than any topic cap, so oversized messages are counted). */
export const MAX_GOSSIP_RPC_BYTES = 2 * 1024 * 1024;

/** gossipsub settings for small, allowlisted networks (≈ 3–50 peers). */
export const SMALL_NETWORK_GOSSIPSUB: Partial<GossipsubOpts> = {
  D: 4,
  Dlo: 2,
  Dhi: 8,
  Dout: 1,
  Dscore: 2,
  Dlazy: 4,
  heartbeatInterval: 500,
  floodPublish: true,
  allowPublishToZeroTopicPeers: true,
  ignoreDuplicatePublishError: true,
  emitSelf: false,
  globalSignaturePolicy: StrictNoSign,
  maxInboundDataLength: MAX_GOSSIP_RPC_BYTES,
};

export type GossipServices = { identify: Identify; pubsub: GossipSub };

export interface GossipHostOptions {
  /** Directory holding `p2p.key` (created if absent). */
  readonly dataDir: string;
  /** Listen addresses, e.g. `/ip4/0.0.0.0/tcp/4001`. */
  readonly listen: readonly (string | Multiaddr)[];
  /** Peers to keep connected; each must end in `/p2p/<peer ID>`. Their IDs are allowlisted. */
  readonly peers?: readonly (string | Multiaddr)[];
  /** Further peer IDs allowed to connect (e.g. monitors that dial us). */
  readonly allowPeerIds?: readonly string[];
  /** Use this key instead of `<dataDir>/p2p.key`. */
  readonly privateKey?: PrivateKey;
  /** Overrides of {@link SMALL_NETWORK_GOSSIPSUB}. */
  readonly gossipsub?: Partial<GossipsubOpts>;
  readonly redialMinMs?: number;
  readonly redialMaxMs?: number;
  readonly dialTimeoutMs?: number;
  /** Diagnostics (dial failures); default: none. */
  readonly log?: (message: string) => void;
  /** Warnings (an unknown peer refused, rate-limited); default: through `log`. */
  readonly warn?: (message: string, fields: Record<string, unknown>) => void;
}

export interface GossipHost {
  readonly node: Libp2p<GossipServices>;
  readonly pubsub: GossipSub;
  readonly peerId: PeerId;
  /** Shared counters (topics.ts and detector.ts add to them). */
  readonly metrics: GossipMetrics;
  /** The addresses this node listens on, with `/p2p/<peer ID>`. */
  multiaddrs(): Multiaddr[];
  /** Whether the gater lets this peer ID connect. */
  isAllowed(peerId: PeerId | string): boolean;
  /** Allowlists a peer and keeps it connected (for peers learned after start). */
  addPeer(addr: string | Multiaddr): void;
  stop(): Promise<void>;
}

interface ConfiguredPeer {
  readonly id: string;
  readonly addr: Multiaddr;
  attempt: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  dialing: boolean;
}

function parsePeerAddr(a: string | Multiaddr): { id: string; addr: Multiaddr } {
  let addr: Multiaddr;
  try {
    addr = typeof a === 'string' ? multiaddr(a) : a;
  } catch (cause) {
    throw new GossipError('bad-config', `peer address ${String(a)} is not a multiaddr`, { cause });
  }
  const id = addr.getComponents().findLast((c) => c.name === 'p2p')?.value;
  if (id === undefined) throw new GossipError('bad-config', `peer address ${addr.toString()} has no /p2p/<peer ID>`);
  return { id, addr };
}

/** Creates and starts the host (see the module comment). */
export async function createGossipHost(options: GossipHostOptions): Promise<GossipHost> {
  const privateKey = options.privateKey ?? (await loadOrCreatePeerIdentity(options.dataDir)).privateKey;
  const minMs = options.redialMinMs ?? DEFAULT_REDIAL_MIN_MS;
  const maxMs = options.redialMaxMs ?? DEFAULT_REDIAL_MAX_MS;
  const dialTimeoutMs = options.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS;
  const log = options.log ?? (() => {});
  const peers = new Map<string, ConfiguredPeer>();
  const allowed = new Set<string>(options.allowPeerIds ?? []);
  const addConfigured = (a: string | Multiaddr): ConfiguredPeer => {
    const { id, addr } = parsePeerAddr(a);
    allowed.add(id);
    const existing = peers.get(id);
    if (existing !== undefined) return existing;
    const p: ConfiguredPeer = { id, addr, attempt: 0, timer: undefined, dialing: false };
    peers.set(id, p);
    return p;
  };
  for (const a of options.peers ?? []) addConfigured(a);
  const isAllowed = (p: PeerId | string): boolean => allowed.has(p.toString());
  const metrics = createMetrics();
  const warn = options.warn ?? ((m: string, f: Record<string, unknown>) => log(`${m} ${JSON.stringify(f)}`));
  let lastRefusalLog = -Infinity;
  let refusalsNotLogged = 0;
  /** Gater check of an encrypted connection: refuses (true) a peer not on the allowlist, counted and reported. */
  const refuseUnknown = (peerId: PeerId, conn: { remoteAddr?: Multiaddr }, direction: 'inbound' | 'outbound'): boolean => {
    if (isAllowed(peerId)) return false;
    metrics.peersRefused++;
    const now = Date.now();
    if (now - lastRefusalLog < REFUSED_PEER_LOG_INTERVAL_MS) {
      refusalsNotLogged++;
    } else {
      warn('libp2p peer refused: not on the allowlist', {
        peerId: peerId.toString(), address: conn.remoteAddr?.toString(), direction, refusedTotal: metrics.peersRefused, notLoggedSinceLast: refusalsNotLogged,
      });
      lastRefusalLog = now;
      refusalsNotLogged = 0;
    }
    return true;
  };

  const node = await createLibp2p<GossipServices>({
    privateKey,
    addresses: { listen: options.listen.map((a) => a.toString()) },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: {
      denyDialPeer: (peerId) => !isAllowed(peerId),
      denyInboundEncryptedConnection: (peerId, conn) => refuseUnknown(peerId, conn, 'inbound'),
      denyOutboundEncryptedConnection: (peerId, conn) => refuseUnknown(peerId, conn, 'outbound'),
    },
    services: {
      identify: identify(),
      pubsub: gossipsub({ ...SMALL_NETWORK_GOSSIPSUB, ...options.gossipsub }),
    },
  });

  let stopped = false;
  const connected = (p: ConfiguredPeer): boolean =>
    node.getConnections().some((c) => c.remotePeer.toString() === p.id && c.status === 'open');

  const schedule = (p: ConfiguredPeer, immediate = false): void => {
    if (stopped || p.timer !== undefined || p.dialing) return;
    const delay = immediate ? 0 : Math.round(backoffDelay(p.attempt + 1, { initialMs: minMs, maxMs }));
    p.timer = setTimeout(() => {
      p.timer = undefined;
      void dial(p);
    }, delay);
    p.timer.unref?.();
  };
  const dial = async (p: ConfiguredPeer): Promise<void> => {
    if (stopped || p.dialing) return;
    if (connected(p)) {
      p.attempt = 0;
      return;
    }
    p.dialing = true;
    try {
      await node.dial(p.addr, { signal: AbortSignal.timeout(dialTimeoutMs) });
      p.attempt = 0;
    } catch (e) {
      p.attempt++;
      log(`dial ${p.id} failed (attempt ${p.attempt}): ${(e as Error).message}`);
    } finally {
      p.dialing = false;
    }
    if (!stopped && !connected(p)) schedule(p);
  };

  node.addEventListener('peer:disconnect', (evt) => {
    const p = peers.get(evt.detail.toString());
    if (p !== undefined) schedule(p);
  });
  node.addEventListener('peer:connect', (evt) => {
    const p = peers.get(evt.detail.toString());
    if (p !== undefined) p.attempt = 0;
  });
  for (const p of peers.values()) schedule(p, true);

  return {
    node,
    pubsub: node.services.pubsub,
    peerId: node.peerId,
    metrics,
    multiaddrs: () => node.getMultiaddrs(),
    isAllowed,
    addPeer(addr) {
      schedule(addConfigured(addr), true);
    },
    async stop() {
      stopped = true;
      for (const p of peers.values()) {
        if (p.timer !== undefined) clearTimeout(p.timer);
        p.timer = undefined;
      }
      await node.stop();
    },
  };
}
