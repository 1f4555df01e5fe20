/**
 * Crash harness: real `cairn log serve` processes on 127.0.0.1, killed with SIGKILL at random
 * moments while several tRPC submitters run, then restarted on the same data directory.
 *
 * Each cycle starts the server (free port), runs SUBMITTERS concurrent clients (random batch
 * sizes, alternating wait 'none' and wait 'checkpoint') plus a poller of GET /checkpoint, and
 * kills the server after a random delay. Recorded: every acknowledged (index, entry) pair and
 * every checkpoint served (GET /checkpoint and the wait 'checkpoint' answers). After the last
 * cycle the log is restarted once more and the test checks:
 * - every acknowledged entry is present at its index with identical bytes (tRPC `entries`), and
 *   the final root is the Merkle tree hash of all entries;
 * - every checkpoint ever served verifies under the log's key and is consistent with the final
 *   one (tRPC `consistencyProof` + merkle `verifyConsistency`);
 * - sizes never go backwards: within a cycle per observer, and across restarts (a restarted
 *   server starts at a size ≥ everything served or acknowledged before the kill).
 *
 * CI runs DEFAULT_CYCLES cycles (bounded: a few seconds each). For a longer run:
 *   CAIRN_CRASH_CYCLES=200 node scripts/run-tests.mjs test/log/crash
 * (CAIRN_CRASH_SEED=<n> replays the random delays and batch sizes of a run.)
 *
 * A second test damages a stopped log's store through the storage API (a deleted tile, a
 * truncated tile, a flipped hash in the rightmost tile) and checks that `log serve` refuses to
 * start: non-zero exit and a message naming the tile.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogClient } from '@cairn/client';
import { decodeBase64Strict, encodeBase64, openCheckpoint, parseVerifierKey } from '@cairn/formats';
import { EMPTY_ROOT, bytesEqual, leafHash, treeHash, verifyConsistency } from '@cairn/merkle';
import { nodeBackend } from '@cairn/merkle/node';
import { openLevelStorage } from '@cairn/log';
import { makeLogFixture, runCli, startLogServe, tempDir, type ServeProcess } from '../helpers/cli.js';
import { prng } from '../helpers/random.js';

/** Cycles in CI; override with CAIRN_CRASH_CYCLES. */
const DEFAULT_CYCLES = 20;
/** Concurrent tRPC submitters per cycle. */
const SUBMITTERS = 4;
/** The server is killed this long after it listens: uniform in [MIN, MAX) ms. */
const KILL_DELAY_MIN_MS = 100;
const KILL_DELAY_MAX_MS = 900;
/** Entries per submit call: uniform in [1, MAX_BATCH]. */
const MAX_BATCH = 64;
/** Checkpoint interval of the server under test (ms): short, so several checkpoints per cycle. */
const CHECKPOINT_INTERVAL_MS = 25;
/** Entries per tRPC `entries` call in the final check (the API's limit). */
const READ_CHUNK = 256;

const cycles = (() => {
  const v = process.env.CAIRN_CRASH_CYCLES;
  if (v === undefined || v === '') return DEFAULT_CYCLES;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`CAIRN_CRASH_CYCLES must be a positive integer, got ${v}`);
  return n;
})();
const seed = process.env.CAIRN_CRASH_SEED !== undefined ? Number(process.env.CAIRN_CRASH_SEED) : Date.now() % 2 ** 31;


/** A checkpoint someone was served, with where and when (cycle) it was seen. */
interface Served {
  readonly note: string;
  readonly size: bigint;
  readonly cycle: number;
  readonly via: string;
}

interface Recorded {
  /** index → entry bytes (base64) of every acknowledged entry. */
  readonly acked: Map<bigint, string>;
  readonly served: Served[];
}

const sizeOf = (note: string): bigint => BigInt(note.split('\n')[1] as string);

let entryCounter = 0;
function makeEntry(rand: () => number): string {
  const len = 16 + Math.floor(rand() * 200);
  const b = new Uint8Array(len);
  new DataView(b.buffer).setUint32(0, entryCounter++);
  for (let i = 4; i < len; i++) b[i] = Math.floor(rand() * 256);
  return encodeBase64(b);
}

/** One submitter: submits until the server dies, recording every acknowledgement. */
async function submitter(server: ServeProcess, token: string, id: number, cycle: number, rand: () => number, rec: Recorded, dead: () => boolean): Promise<number> {
  const client = createLogClient(server.url, { token });
  let acked = 0;
  for (let call = 0; !dead(); call++) {
    const entries = Array.from({ length: 1 + Math.floor(rand() * MAX_BATCH) }, () => makeEntry(rand));
    const wait = (call + id) % 2 === 0 ? 'checkpoint' : 'none';
    const res = await client.log.submit.mutate({ entries, wait }).catch(() => undefined);
    if (res === undefined) {
      if (dead()) break;
      continue; // e.g. queue-full; the entries were not acknowledged, so nothing is promised
    }
    assert.equal(res.indices.length, entries.length);
    for (let i = 0; i < entries.length; i++) {
      const index: bigint = BigInt(res.indices[i] as string);
      assert.equal(rec.acked.has(index), false, `index ${index} was acknowledged twice`);
      rec.acked.set(index, entries[i] as string);
    }
    acked += entries.length;
    if (res.checkpoint !== undefined) rec.served.push({ note: res.checkpoint, size: sizeOf(res.checkpoint), cycle, via: `submit#${id}` });
  }
  return acked;
}

/** Polls GET /checkpoint until the server dies. */
async function poller(server: ServeProcess, cycle: number, rec: Recorded, dead: () => boolean): Promise<void> {
  let last = -1n;
  while (!dead()) {
    let note: string;
    try {
      const r = await fetch(`${server.url}/checkpoint`);
      if (r.status !== 200) {
        await r.arrayBuffer();
        continue;
      }
      note = await r.text();
    } catch {
      continue;
    }
    const size = sizeOf(note);
    assert.ok(size >= last, `GET /checkpoint went backwards within cycle ${cycle}: ${last} then ${size}`);
    last = size;
    rec.served.push({ note, size, cycle, via: 'GET /checkpoint' });
    await new Promise((r) => setTimeout(r, 5));
  }
}

test(`log serve survives ${cycles} SIGKILL cycles without losing an acknowledged entry or forking (seed ${seed})`, { timeout: 60_000 + cycles * 15_000 }, async () => {
  const rand = prng(seed);
  const tmp = await tempDir('cairn-crash-');
  const fx = await makeLogFixture(tmp.dir);
  const data = join(tmp.dir, 'data');
  const rec: Recorded = { acked: new Map(), served: [] };
  const verifier = parseVerifierKey(fx.vkey);
  let floor = 0n; // the size every restart must reach: max(served sizes, acknowledged indices + 1)
  let server: ServeProcess | undefined;
  try {
    for (let cycle = 0; cycle < cycles; cycle++) {
      server = await startLogServe({ data, keyFile: fx.keyFile, tokensFile: fx.tokensFile, checkpointIntervalMs: CHECKPOINT_INTERVAL_MS });
      assert.ok(server.startSize >= floor, `cycle ${cycle}: restarted at size ${server.startSize}, below ${floor} (served or acknowledged before the kill)`);
      let killed = false;
      const dead = () => killed;
      const s = server;
      const work = [
        ...Array.from({ length: SUBMITTERS }, (_, id) => submitter(s, fx.token, id, cycle, rand, rec, dead)),
        poller(s, cycle, rec, dead).then(() => 0),
      ];
      const delay = KILL_DELAY_MIN_MS + Math.floor(rand() * (KILL_DELAY_MAX_MS - KILL_DELAY_MIN_MS));
      await new Promise((r) => setTimeout(r, delay));
      killed = true;
      const exit = await s.stop('SIGKILL');
      assert.equal(exit.signal, 'SIGKILL', `cycle ${cycle}: the server exited on its own (${exit.code}) before the kill: ${s.stderrTail()}`);
      await Promise.all(work);
      server = undefined;
      for (const sv of rec.served) if (sv.size > floor) floor = sv.size;
      for (const i of rec.acked.keys()) if (i + 1n > floor) floor = i + 1n;
    }

    // Final restart: everything acknowledged must be there, and everything served consistent.
    server = await startLogServe({ data, keyFile: fx.keyFile, tokensFile: fx.tokensFile });
    assert.ok(server.startSize >= floor, `final restart at size ${server.startSize}, below ${floor}`);
    const client = createLogClient(server.url);
    const final = await client.log.checkpoint.query();
    const finalOpened = openCheckpoint(final.note, [verifier]);
    const finalSize = finalOpened.checkpoint.size;
    const finalRoot = finalOpened.checkpoint.rootHash;
    assert.equal(finalSize, BigInt(final.size));
    assert.ok(rec.acked.size > 0, 'no submission was acknowledged: the harness tested nothing');

    const leaves: Uint8Array[] = [];
    for (let from = 0n; from < finalSize; from += BigInt(READ_CHUNK)) {
      const to = from + BigInt(READ_CHUNK) < finalSize ? from + BigInt(READ_CHUNK) : finalSize;
      const got = await client.log.entries.query({ from: from.toString(), to: to.toString() });
      assert.equal(got.entries.length, Number(to - from));
      got.entries.forEach((e, j) => {
        const index = from + BigInt(j);
        const want = rec.acked.get(index);
        if (want !== undefined) assert.equal(e, want, `entry ${index} differs from what was acknowledged`);
        leaves.push(leafHash(decodeBase64Strict(e), nodeBackend));
      });
    }
    for (const index of rec.acked.keys()) assert.ok(index < finalSize, `acknowledged index ${index} is beyond the final size ${finalSize}`);
    assert.ok(bytesEqual(treeHash(leaves, nodeBackend), finalRoot), 'the final root is not the tree hash of the entries served');

    const distinct = new Map<string, Served>();
    for (const sv of rec.served) if (!distinct.has(sv.note)) distinct.set(sv.note, sv);
    for (const sv of distinct.values()) {
      const opened = openCheckpoint(sv.note, [verifier]);
      const { size, rootHash } = opened.checkpoint;
      assert.equal(opened.checkpoint.origin, verifier.name);
      assert.ok(size <= finalSize, `a checkpoint of size ${size} was served (${sv.via}, cycle ${sv.cycle}) but the log is now at ${finalSize}`);
      if (size === 0n) {
        assert.ok(bytesEqual(rootHash, EMPTY_ROOT));
        continue;
      }
      const p = await client.log.consistencyProof.query({ m: size.toString(), n: finalSize.toString() });
      verifyConsistency(size, finalSize, rootHash, finalRoot, p.proof.map((h) => decodeBase64Strict(h, 32)), nodeBackend);
    }
    // Sizes never went backwards across restarts: everything seen in cycle k ≤ everything seen later.
    let maxBefore = 0n;
    for (let c = 0; c < cycles; c++) {
      const seen = rec.served.filter((s) => s.cycle === c).map((s) => s.size);
      if (seen.length === 0) continue;
      const min = seen.reduce((a, b) => (a < b ? a : b));
      assert.ok(min >= maxBefore, `cycle ${c} served size ${min} after an earlier cycle served ${maxBefore}`);
      const max = seen.reduce((a, b) => (a > b ? a : b));
      if (max > maxBefore) maxBefore = max;
    }
    const exit = await server.stop('SIGTERM');
    server = undefined;
    assert.equal(exit.code, 0, 'a clean stop exits 0');
    process.stdout.write(`# crash harness: ${cycles} cycles, seed ${seed}, ${rec.acked.size} entries acknowledged, final size ${finalSize}, ${distinct.size} distinct checkpoints served\n`);
  } finally {
    await server?.stop('SIGKILL').catch(() => undefined);
    await tmp.cleanup();
  }
});

/** Damage applied to a copy of a stopped log's store, and the words the refusal must contain. */
const DAMAGE: { name: string; apply: (dir: string) => Promise<void>; expect: RegExp }[] = [
  {
    name: 'a deleted full tile',
    apply: (dir) => editTiles(dir, (tiles) => [{ type: 'del', key: pick(tiles, 0, 1n).key }]),
    expect: /tile\/0\/001 is missing/,
  },
  {
    name: 'a truncated full tile',
    apply: (dir) => editTiles(dir, (tiles) => {
      const t = pick(tiles, 0, 0n);
      return [{ type: 'put', key: t.key, value: t.value.slice(0, t.value.length - 32) }];
    }),
    expect: /tile\/0\/000 has 8160 bytes/,
  },
  {
    name: 'a flipped hash in the rightmost tile',
    apply: (dir) => editTiles(dir, (tiles) => {
      const t = pick(tiles, 0, 2n);
      const v = t.value.slice();
      v[v.length - 1] = (v[v.length - 1] as number) ^ 0x01;
      return [{ type: 'put', key: t.key, value: v }];
    }),
    expect: /do not reproduce the signed root/,
  },
];

interface StoredTile { level: number; index: bigint; key: Uint8Array; value: Uint8Array }
type Edit = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array };

function pick(tiles: readonly StoredTile[], level: number, index: bigint): StoredTile {
  const t = tiles.find((x) => x.level === level && x.index === index);
  assert.ok(t !== undefined, `tile ${level}/${index} not in the store`);
  return t;
}

/**
 * Lists the hash tiles of a stopped log through @cairn/log's storage API (keys `T` level u64,
 * the layout of packages/log/src/storage/keys.ts) and applies `edit` in one synced write.
 */
async function editTiles(dir: string, edit: (tiles: StoredTile[]) => Edit[]): Promise<void> {
  const storage = await openLevelStorage(dir);
  try {
    const tiles: StoredTile[] = [];
    for await (const [key, value] of storage.range({ gte: Uint8Array.of(0x54), lt: Uint8Array.of(0x55) })) {
      const dv = new DataView(key.buffer, key.byteOffset, key.byteLength);
      tiles.push({ level: key[1] as number, index: dv.getBigUint64(2), key, value });
    }
    await storage.write(edit(tiles), { sync: true });
  } finally {
    await storage.close();
  }
}

test('log serve refuses to start on a store with a damaged tile, naming it', { timeout: 120_000 }, async () => {
  const tmp = await tempDir('cairn-damage-');
  const fx = await makeLogFixture(tmp.dir);
  const data = join(tmp.dir, 'data');
  const server = await startLogServe({ data, keyFile: fx.keyFile, tokensFile: fx.tokensFile });
  try {
    // 600 entries: level-0 tiles 0 and 1 full, tile 2 partial (width 88); level-1 tile 0 of width 2.
    const client = createLogClient(server.url, { token: fx.token });
    const entries = Array.from({ length: 600 }, (_, i) => encodeBase64(new TextEncoder().encode(`damage test entry ${i}`)));
    const res = await client.log.submit.mutate({ entries, wait: 'checkpoint' });
    assert.equal(res.treeSize, '600');
    assert.equal((await server.stop('SIGTERM')).code, 0);

    // Sanity: the undamaged store starts.
    const ok = await startLogServe({ data, keyFile: fx.keyFile });
    assert.equal(ok.startSize, 600n);
    await ok.stop('SIGTERM');

    for (const d of DAMAGE) {
      const copy = join(tmp.dir, `damaged-${DAMAGE.indexOf(d)}`);
      await cp(data, copy, { recursive: true });
      await d.apply(copy);
      const r = await runCli(['log', 'serve', '--data', copy, '--key', fx.keyFile, '--listen', '127.0.0.1:0']);
      assert.notEqual(r.code, 0, `${d.name}: log serve started anyway: ${r.stdout}`);
      assert.equal(r.code, 1, `${d.name}: exit code ${r.code}`);
      assert.match(r.stderr, /cannot open the log in/, d.name);
      assert.match(r.stderr, d.expect, `${d.name}: ${r.stderr}`);
      assert.doesNotMatch(r.stdout, /listening/, `${d.name}: it must not listen`);
    }
  } finally {
    await server.stop('SIGKILL').catch(() => undefined);
    await tmp.cleanup();
  }
});
