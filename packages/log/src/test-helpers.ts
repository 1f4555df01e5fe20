/**
 * Shared helpers for this package's tests (not exported from index.ts): fixed keys, a naive
 * tile reference built from all leaves, a core (sequencer + integrator) driven step by step,
 * and temporary directories.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leafHash, treeHash, type HashBackend } from '@cairn/merkle';
import { nodeBackend } from '@cairn/merkle/node';
import { validateEvent, type ValidatedEvent } from '@cairn/events';
import { formatSignerKey, parseSignerKey, parseVerifierKey, verifierKeyFromSigner } from '@cairn/formats';
import { HASH_SIZE, TILE_HEIGHT } from './constants.js';
import { FullTileCache } from './tiles.js';
import { Integrator } from './integrator.js';
import { loadRightEdge, openState, type LogIdentity } from './recovery.js';
import { SequencedBuffer } from './handoff.js';
import { Sequencer } from './sequencer.js';
import { silentLogger } from './logger.js';
import type { LogStorage } from './storage/types.js';

export const ORIGIN = 'example.com/test-log';
/** A signer key from a fixed seed. */
export function testKey(name = ORIGIN, seedByte = 7): string {
  return formatSignerKey(name, new Uint8Array(32).fill(seedByte));
}
export const backend: HashBackend = nodeBackend;
export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

export function identity(key = testKey(), origin = ORIGIN): LogIdentity {
  const verifierKey = verifierKeyFromSigner(key);
  return { origin, verifierKey, verifier: parseVerifierKey(verifierKey), signer: parseSignerKey(key) };
}

/** Tile (level, index) of width `width`, built naively from all leaf hashes. */
export function naiveTile(leaves: readonly Uint8Array[], level: number, index: bigint, width: number): Uint8Array {
  const span = 1 << (TILE_HEIGHT * level);
  const out = new Uint8Array(width * HASH_SIZE);
  for (let j = 0; j < width; j++) {
    const start = (Number(index) * 256 + j) * span;
    out.set(treeHash(leaves.slice(start, start + span), backend), j * HASH_SIZE);
  }
  return out;
}

export const leavesOf = (entries: readonly Uint8Array[]): Uint8Array[] => entries.map((e) => leafHash(e, backend));

/** A sequencer and an integrator over `storage`, stepped by hand. */
export async function makeCore(storage: LogStorage, opts: { dedupe?: boolean; maxQueueEntries?: number } = {}) {
  const id = identity();
  const state = await openState(storage, id, backend, 1000);
  const handoff = new SequencedBuffer();
  const integrator = new Integrator(
    { storage, backend, signer: id.signer, origin: id.origin, clock: () => 2000, logger: silentLogger,
      tileCache: new FullTileCache(16), reload: () => loadRightEdge(storage, id, backend), handoff },
    state.edge,
  );
  const sequencer = new Sequencer({
    storage, hashLeaf: (e) => leafHash(e, backend), nextIndex: state.sequencedSize,
    integratedSize: () => integrator.checkpoint.size, maxQueueEntries: opts.maxQueueEntries ?? 1_000_000,
    retryAfterMs: 500, dedupe: opts.dedupe ?? false, logger: silentLogger, handoff,
  });
  const integrate = async () => {
    while (integrator.checkpoint.size < sequencer.sequencedSize) {
      await integrator.step(sequencer.sequencedSize);
      sequencer.integrated(integrator.checkpoint.size);
    }
    return integrator.checkpoint;
  };
  return { id, state, integrator, sequencer, integrate };
}

/** A fresh temporary directory and its cleanup. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-log-test-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** `n` distinct entries with a prefix. */
export const entries = (n: number, prefix = 'e'): Uint8Array[] => Array.from({ length: n }, (_, i) => enc(`${prefix}-${i}`));

/** A fixed event time (2026-01-01), ms. */
export const T0 = 1_767_225_600_000;

/** A valid OCSF Authentication event (class 3002) of `user`. */
export function authEvent(user: string, extra: Record<string, unknown> = {}): ValidatedEvent {
  return validateEvent({
    class_uid: 3002, category_uid: 3, activity_id: 1, type_uid: 300201, severity_id: 1, status_id: 1,
    time: T0, metadata: { version: '1.3.0', product: { name: 'sshd' } }, user: { name: user }, ...extra,
  });
}
