/**
 * The node's persistent libp2p identity: an Ed25519 key in `<dataDir>/p2p.key`, the libp2p
 * private-key protobuf (`privateKeyToProtobuf`), created with mode 0600 when absent. The peer ID
 * (`12D3KooW…`) derives from it, so other nodes can allowlist this one across restarts.
 *
 * A key file readable by group or others is refused (`bad-identity`), as ssh does.
 */
import './polyfill.js';
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import type { PeerId, PrivateKey } from '@libp2p/interface';
import { GossipError } from './errors.js';

export const PEER_KEY_FILE = 'p2p.key';
const MAX_KEY_FILE_SIZE = 4096;

export interface PeerIdentity {
  readonly privateKey: PrivateKey;
  readonly peerId: PeerId;
  /** The key file path. */
  readonly path: string;
  /** True when this call created the key. */
  readonly created: boolean;
}

async function readKey(path: string): Promise<PrivateKey> {
  const st = await stat(path);
  if ((st.mode & 0o077) !== 0) {
    throw new GossipError('bad-identity', `${path} is readable by group or others (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`);
  }
  if (st.size > MAX_KEY_FILE_SIZE) throw new GossipError('bad-identity', `${path} is larger than ${MAX_KEY_FILE_SIZE} bytes`);
  const bytes = new Uint8Array(await readFile(path));
  let key: PrivateKey;
  try {
    key = privateKeyFromProtobuf(bytes);
  } catch (cause) {
    throw new GossipError('bad-identity', `${path} is not a libp2p private key`, { cause });
  }
  if (key.type !== 'Ed25519') throw new GossipError('bad-identity', `${path} holds a ${key.type} key, want Ed25519`);
  return key;
}

/** Loads `<dataDir>/p2p.key`, creating the directory (0700) and an Ed25519 key (0600) if absent. */
export async function loadOrCreatePeerIdentity(dataDir: string): Promise<PeerIdentity> {
  const path = join(dataDir, PEER_KEY_FILE);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  let created = false;
  let privateKey: PrivateKey;
  try {
    privateKey = await readKey(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    const fresh = await generateKeyPair('Ed25519');
    try {
      const fh = await open(path, 'wx', 0o600);
      try {
        await fh.writeFile(privateKeyToProtobuf(fresh));
        await fh.sync();
      } finally {
        await fh.close();
      }
      privateKey = fresh;
      created = true;
    } catch (err) {
      // Another process created it first: use theirs.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      privateKey = await readKey(path);
    }
  }
  return { privateKey, peerId: peerIdFromPrivateKey(privateKey), path, created };
}
