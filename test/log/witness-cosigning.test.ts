/**
 * A log node collecting cosignatures from REAL witnesses (@cairn/witness behind @cairn/api's
 * startWitnessServer, LevelDB stores in temporary directories) over loopback HTTP: 3 witnesses,
 * quorum 2. Covers cosigning and serving, a dead witness, a witness restarted with an empty data
 * directory (resynced through 409), a witness answering 422 (it saw a fork), and the start-up
 * refusal of a rolled-back log data directory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatSignerKey, openCheckpoint, openNote, parseVerifierKey, verifierKeyFromSigner } from '@cairn/formats';
import { nodeEd25519 } from '@cairn/formats/node';
import { leafHash, verifyInclusion } from '@cairn/merkle';
import { LogNode, isLogError, memoryStorage, silentLogger, type CosignedCheckpoint, type LogNodeOptions, type MemoryStorage } from '@cairn/log';
import { Witness, openLevelWitnessStorage, type WitnessStorage } from '@cairn/witness';
import { startWitnessServer, type WitnessServer } from '@cairn/api';

const LOG_KEY = formatSignerKey('log.example.org/witnessed', new Uint8Array(32).fill(3));
const TIMING = { requestTimeoutMs: 2_000, startupTimeoutMs: 500, initialBackoffMs: 10, maxBackoffMs: 100 };
/** Upper bound of every wait (never reached when things work). */
const BOUND_MS = 15_000;
const enc = (s: string) => new TextEncoder().encode(s);
const entries = (n: number, p: string) => Array.from({ length: n }, (_, i) => enc(`${p}-${i}`));

async function bounded<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), BOUND_MS);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function until(what: string, pred: () => boolean): Promise<void> {
  const deadline = Date.now() + BOUND_MS;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A real witness: a Witness over a LevelDB store, served over HTTP on 127.0.0.1. */
class RealWitness {
  readonly name: string;
  readonly skey: string;
  vkey = '';
  port = 0;
  #dir = '';
  #storage: WitnessStorage | undefined;
  #server: WitnessServer | undefined;
  readonly #trusts: string;

  constructor(i: number, trusts = LOG_KEY) {
    this.name = `witness-${i}.example.org`;
    this.skey = formatSignerKey(this.name, new Uint8Array(32).fill(60 + i));
    this.#trusts = trusts;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts (on the same port as before, if any); `fresh` = a new empty data directory. */
  async start(fresh = false): Promise<this> {
    if (this.#dir === '' || fresh) {
      if (this.#dir !== '') await rm(this.#dir, { recursive: true, force: true });
      this.#dir = await mkdtemp(join(tmpdir(), 'cairn-real-witness-'));
    }
    this.#storage = await openLevelWitnessStorage(this.#dir);
    const logVkey = verifierKeyFromSigner(this.#trusts);
    const witness = new Witness({ key: this.skey, logs: [{ vkey: logVkey }], storage: this.#storage, ed25519: nodeEd25519 });
    this.vkey = witness.cosignatureVkey;
    this.#server = await startWitnessServer({ witness, listen: { host: '127.0.0.1', port: this.port } });
    this.port = this.#server.port;
    return this;
  }

  async stop(): Promise<void> {
    await this.#server?.close();
    this.#server = undefined;
    await this.#storage?.close();
    this.#storage = undefined;
  }

  async destroy(): Promise<void> {
    await this.stop();
    if (this.#dir !== '') await rm(this.#dir, { recursive: true, force: true });
  }
}

async function realWitnesses(n: number): Promise<RealWitness[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => new RealWitness(i).start()));
}

function open(ws: RealWitness[], o: Partial<LogNodeOptions> = {}): Promise<LogNode> {
  return LogNode.open({
    storage: memoryStorage(),
    signerKey: LOG_KEY,
    logger: silentLogger,
    checkpointIntervalMs: 5,
    witnesses: ws.map((w) => ({ url: w.url, vkey: w.vkey })),
    quorum: 2,
    witnessTiming: TIMING,
    ...o,
  });
}

/** The witnesses whose cosignatures verify on `c` (the log signature must verify too). */
function cosignersOf(node: LogNode, c: CosignedCheckpoint, ws: RealWitness[]): string[] {
  const opened = openCheckpoint(c.note, [parseVerifierKey(node.verifierKey)]);
  assert.equal(opened.checkpoint.size, c.size);
  assert.deepEqual(opened.checkpoint.rootHash, c.rootHash);
  return ws.filter((w) => {
    try {
      openNote(c.note, [parseVerifierKey(w.vkey)]);
      return true;
    } catch (e) {
      assert.equal((e as { code?: string }).code, 'no-verified-signature');
      return false;
    }
  }).map((w) => w.name);
}

test('real witnesses: cosigned, served, dead witness, empty restart resynced through 409', async () => {
  const ws = await realWitnesses(3);
  const learned: { witness: unknown; witnessSize: unknown }[] = [];
  const logger = { ...silentLogger, debug: (msg: string, f?: Record<string, unknown>) => {
    if (msg === 'witness size learned from 409') learned.push({ witness: f?.['witness'], witnessSize: f?.['witnessSize'] });
  } };
  const node = await open(ws, { logger });
  try {
    await node.start();
    const es = entries(9, 'real');
    const r = await bounded('cosigned', node.submit(es, { wait: 'cosigned' }));
    const cp = r.checkpoint as CosignedCheckpoint;
    assert.ok(cosignersOf(node, cp, ws).length >= 2);
    r.indices.forEach((index, i) => verifyInclusion(index, cp.size, leafHash(es[i]!), r.proofs![i]!, cp.rootHash));
    assert.ok(node.servedCheckpoint()!.size >= cp.size);

    // One witness down: the other two still make the quorum; ingestion goes on.
    await ws[2]!.stop();
    for (let k = 0; k < 3; k++) await bounded('signed', node.submit(entries(3, `down-${k}`), { wait: 'checkpoint' }));
    const r2 = await bounded('cosigned without witness 2', node.submit(entries(1, 'down-last'), { wait: 'cosigned' }));
    assert.deepEqual(cosignersOf(node, r2.checkpoint as CosignedCheckpoint, ws).slice(0, 2), [ws[0]!.name, ws[1]!.name]);
    await until('witness 2 reported failing', () => node.status().witnesses[2]!.consecutiveFailures > 0);

    // It comes back with an EMPTY data directory: the log learns size 0 from a 409 and resyncs it.
    await ws[2]!.start(true);
    const r3 = await bounded('cosigned after the restart', node.submit(entries(1, 'back'), { wait: 'cosigned' }));
    await until('witness 2 to cosign again', () => cosignersOf(node, node.latestCosignedCheckpoint()!, ws).length === 3);
    assert.equal(node.latestCosignedCheckpoint()!.size, node.latestCheckpoint()!.size);
    assert.ok(learned.some((l) => l.witness === ws[2]!.url && l.witnessSize === 0n), 'the empty witness told its size 0 in a 409');
    assert.ok(r3.checkpoint!.size > r2.checkpoint!.size);
    const w2 = node.status().witnesses[2]!;
    assert.equal(w2.consecutiveFailures, 0);
    assert.equal(w2.knownSize, w2.lastCosignedSize);
    assert.deepEqual(node.status().alarms, []);
  } finally {
    await node.stop();
    await Promise.all(ws.map((w) => w.destroy()));
  }
});

test('real witnesses: a forked log gets 422 (an alarm), and a rolled-back data directory refuses to start', async () => {
  const ws = await realWitnesses(3);
  try {
    // History A reaches size 4 at every witness.
    const storage = memoryStorage();
    let node = await open(ws, { storage });
    await node.start();
    await bounded('cosigned A', node.submit(entries(4, 'A'), { wait: 'cosigned' }));
    await until('all three at 4', () => node.status().witnesses.every((w) => w.lastCosignedSize === 4n));
    await node.stop();
    const at4 = (storage as MemoryStorage).snapshot();

    // A fork B of the same log key grows to 6 unwitnessed, then asks the witnesses: they hold 4
    // of history A, so the proof 4 → 6 of B fails: 422, an alarm per witness.
    const fork = memoryStorage();
    const plain = await LogNode.open({ storage: fork, signerKey: LOG_KEY, logger: silentLogger, checkpointIntervalMs: 5 });
    await plain.start();
    await plain.submit(entries(6, 'B'), { wait: 'checkpoint' });
    await plain.stop();
    node = await open(ws, { storage: memoryStorage(fork.snapshot()) });
    await node.start();
    await until('422 alarms from every witness', () => new Set(node.status().alarms.filter((a) => a.status === 422).map((a) => a.url)).size === 3);
    assert.equal(node.latestCosignedCheckpoint(), undefined, 'nothing of the fork is cosigned');
    assert.equal(node.servedCheckpoint(), undefined);
    await node.stop();

    // History A goes on to 10; then its data directory is restored from the copy at 4.
    node = await open(ws, { storage: memoryStorage(at4) });
    await node.start();
    await bounded('cosigned A at 10', node.submit(entries(6, 'A2'), { wait: 'cosigned' }));
    await node.stop();
    await ws[0]!.stop(); // one unreachable witness is not what decides
    const err = await bounded('refusal', open(ws, { storage: memoryStorage(at4) }).then(() => assert.fail('open() should refuse'), (e: unknown) => e));
    assert.ok(isLogError(err, 'rolled-back'), String(err));
    assert.match(err.message, /size 10\b/u);
    assert.match(err.message, /size 4\b/u);
    assert.match(err.message, /witness-[12]\.example\.org/u);
  } finally {
    await Promise.all(ws.map((w) => w.destroy()));
  }
});
