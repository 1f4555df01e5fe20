/**
 * The witness network across processes, through the CLI: two `cairn witness serve` processes on
 * libp2p (+ HTTP), a log test double that equivocates to them over HTTP; `evidence list`,
 * `evidence verify` (proven and tampered), the 403 naming the evidence, `witness clear` (refused
 * while running, then effective); the gater and the validators against an in-process intruder;
 * and `log serve --witness MULTIADDR=VKEY` getting cosignatures over the libp2p stream from a
 * witness that serves no HTTP.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatAddCheckpointRequest, generateSignerKey, utf8Encode } from '@cairn/formats';
import { consistencyProof } from '@cairn/merkle';
import { createWitnessClient } from '@cairn/client';
import { checkpointTopic, createGossipHost, GossipTopics, loadOrCreatePeerIdentity, MAX_CHECKPOINT_MESSAGE_SIZE, sendAddCheckpoint } from '@cairn/gossip';
import { forkLeaves, logKey, ORIGIN, readerOf, signedCheckpoint, waitFor } from '@cairn/gossip/testing';
import { makeLogFixture, runCli, runCliOk, tempDir } from '../helpers/cli.js';
import { parseEvidence, verifyEvidence } from '@cairn/gossip/evidence';
import { spawnCli, type Proc } from './procs.js';
import { until } from './support.js';

const A = forkLeaves('A', 5, 16);
const B = forkLeaves('B', 5, 16);
const KEY = logKey();

async function post(url: string, body: Uint8Array): Promise<{ status: number; text: string }> {
  const r = await fetch(`${url}/add-checkpoint`, { method: 'POST', body, signal: AbortSignal.timeout(10_000) });
  return { status: r.status, text: await r.text() };
}

const first = (leaves: Uint8Array[], size: number) => formatAddCheckpointRequest({ oldSize: 0n, proof: [], checkpoint: signedCheckpoint(KEY, leaves, size) });

interface Served {
  readonly proc: Proc;
  readonly url: string;
  readonly p2p: string;
  readonly vkey: string;
}

async function serveWitness(args: string[]): Promise<Served> {
  const proc = spawnCli(['witness', 'serve', ...args]);
  try {
    const p2p = (await proc.line(/^cairn witness p2p listening on (\S+)$/))[1]!;
    const url = (await proc.line(/^cairn witness listening on (\S+)$/))[1]!;
    const vkey = (await proc.line(/^cosignature\/v1 (\S+)$/))[1]!;
    return { proc, url, p2p, vkey };
  } catch (e) {
    await proc.stop('SIGKILL');
    throw e;
  }
}

test('two witness processes: split view → evidence list/verify, 403 naming the evidence, witness clear; gater and validators hold', async () => {
  const { dir, cleanup } = await tempDir('cairn-gossip-cli-');
  const procs: Proc[] = [];
  const intruders: { stop(): Promise<void> }[] = [];
  try {
    const [d1, d2, dx] = [join(dir, 'w1'), join(dir, 'w2'), join(dir, 'injector')];
    for (const [i, n] of ['w1', 'w2'].entries()) await writeFile(join(dir, `${n}.key`), generateSignerKey(`${n}.example`, new Uint8Array(32).fill(80 + i)) + '\n', { mode: 0o600 });
    const id2 = (await runCliOk(['witness', 'p2p-id', '--data', d2])).trim();
    assert.equal((await loadOrCreatePeerIdentity(d2)).peerId.toString(), id2, 'the identity persists');
    const injector = await loadOrCreatePeerIdentity(dx);
    const common = ['--log', KEY.vkey, '--listen', '127.0.0.1:0', '--p2p-listen', '/ip4/127.0.0.1/tcp/0'];
    const w1 = await serveWitness(['--data', d1, '--key', join(dir, 'w1.key'), ...common, '--allow-peer', id2, '--allow-peer', injector.peerId.toString()]);
    procs.push(w1.proc);
    assert.match(w1.p2p, /\/p2p\/12D3KooW/);
    const w2 = await serveWitness(['--data', d2, '--key', join(dir, 'w2.key'), ...common, '--peer', `${w1.p2p}=${w1.vkey}`]);
    procs.push(w2.proc);
    assert.ok(w2.p2p.endsWith(`/p2p/${id2}`));
    const c1 = createWitnessClient(w1.url);
    const c2 = createWitnessClient(w2.url);
    await until(async () => ((await c2.status.query()).p2p?.connectedPeers ?? []).length > 0, 'the witnesses to connect');

    // The gater: an unconfigured peer cannot connect.
    const stranger = await createGossipHost({ dataDir: join(dir, 'stranger'), listen: ['/ip4/127.0.0.1/tcp/0'], allowPeerIds: [w1.p2p.split('/p2p/')[1]!] });
    intruders.push(stranger);
    await assert.rejects(sendAddCheckpoint(stranger.node, w1.p2p, first(A, 3), { signal: AbortSignal.timeout(5000) }));
    await waitFor(() => stranger.node.getConnections().length === 0, 'the refused connection to close', 10_000);
    const s1 = await c1.status.query();
    assert.ok(!(s1.p2p?.connectedPeers ?? []).includes(stranger.peerId.toString()));
    assert.equal(s1.logs[0]!.size, null, 'the stranger got nothing cosigned');

    // An allowed peer sends junk: dropped and counted; nothing reaches w2.
    const inj = await createGossipHost({ dataDir: dx, listen: ['/ip4/127.0.0.1/tcp/0'], peers: [w1.p2p] });
    intruders.push(inj);
    const topics = new GossipTopics(inj.pubsub, { logVerifiers: () => undefined, metrics: inj.metrics });
    topics.follow(ORIGIN);
    await waitFor(() => inj.pubsub.getSubscribers(checkpointTopic(ORIGIN)).length > 0, 'the injector to see w1 subscribed', 15_000);
    // One round of junk, each message different from every earlier round's (gossipsub drops a
    // message it has seen); a new round every few seconds in case w1 was not ready for the first.
    const publishJunk = async (round: number): Promise<void> => {
      const valid = signedCheckpoint(KEY, A, 7 + round);
      const sigAt = valid.lastIndexOf(' ') + 10;
      await topics.publishCheckpoint(ORIGIN, utf8Encode(`junk ${round}`));
      await topics.publishCheckpoint(ORIGIN, new Uint8Array(MAX_CHECKPOINT_MESSAGE_SIZE + 1).fill(0x41 + round));
      await topics.publishCheckpoint(ORIGIN, utf8Encode(signedCheckpoint(logKey(ORIGIN, 9 + round), A, 7)));
      await topics.publishCheckpoint(ORIGIN, utf8Encode(valid.slice(0, sigAt) + (valid[sigAt] === 'A' ? 'B' : 'A') + valid.slice(sigAt + 1)));
      await topics.publishEvidence(utf8Encode(`{"version":${round + 1}}\n`));
    };
    let round = 0;
    let lastRound = Date.now();
    await publishJunk(round);
    let seen: Record<string, number> = {};
    await until(async () => {
      if (Date.now() - lastRound > 5_000 && round < 8) {
        lastRound = Date.now();
        await publishJunk(++round);
      }
      const r = ((await c1.status.query()).p2p?.metrics as { rejected: Record<string, number> }).rejected;
      seen = r;
      // At least: gossipsub may deliver a message again (IWANT) before it learns it was rejected.
      return (r['malformed'] ?? 0) >= 2 && (r['oversized'] ?? 0) >= 1 && (r['unsigned'] ?? 0) >= 1 && (r['bad-signature'] ?? 0) >= 1;
    }, 'the rejections to be counted at w1', 45_000).catch((e: Error) => {
      throw new Error(`${e.message}; rejected so far: ${JSON.stringify(seen)}`);
    });
    const m2 = (await c2.status.query()).p2p?.metrics as { rejected: Record<string, number>; checkpointsAccepted: number };
    assert.deepEqual(Object.values(m2.rejected).reduce((a, b) => a + b, 0), 0, 'nothing bad was relayed');

    // The split view: A at 10 to w1, B at 10 to w2, over HTTP.
    assert.equal((await post(w1.url, first(A, 10))).status, 200);
    // w2 may already have learned A at 10 from w1's gossip: then it refuses B (422), never cosigning both.
    assert.ok([200, 422].includes((await post(w2.url, first(B, 10))).status));
    await until(async () => (await c1.evidence.query()).length > 0 && (await c2.evidence.query()).length > 0, 'evidence at both witnesses');
    const listed = await runCli(['evidence', 'list', '--url', w1.url]);
    assert.equal(listed.code, 0, listed.stderr);
    const lines = listed.stdout.trim().split('\n');
    assert.deepEqual(lines.map((l) => JSON.parse(l).origin as string), (await c1.evidence.query()).map(() => ORIGIN));
    const file = join(dir, 'evidence.json');
    await writeFile(file, lines[0] + '\n');
    const ok = await runCli(['evidence', 'verify', file, '--vkey', KEY.vkey]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^PROVEN: /m);
    const id = /^id ([0-9a-f]{64})$/m.exec(ok.stdout)![1]!;
    const asJson = await runCli(['evidence', 'verify', file, '--vkey', KEY.vkey, '--json']);
    assert.equal(asJson.code, 0, asJson.stderr);
    const verdict = JSON.parse(asJson.stdout) as { id: string; origin: string; proven: boolean; pinned: boolean };
    assert.deepEqual([verdict.id, verdict.origin, verdict.proven, verdict.pinned], [id, ORIGIN, true, true]);
    // Pinning another log key: not proven (the CLI passes --vkey as logVkeys).
    assert.equal(verifyEvidence(parseEvidence(lines[0]! + '\n'), { logVkeys: [logKey(ORIGIN, 9).vkey] }).proven, false);
    const tampered = join(dir, 'tampered.json');
    await writeFile(tampered, lines[0]!.replace(/\\n10\\n(.)/u, (_, ch: string) => `\\n10\\n${ch === 'A' ? 'B' : 'A'}`) + '\n');
    const bad = await runCli(['evidence', 'verify', tampered]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stdout + bad.stderr, /NOT PROVEN|not a valid evidence record/);

    const refused = await post(w1.url, formatAddCheckpointRequest({ oldSize: 10n, proof: consistencyProof(10n, 12n, readerOf(A)), checkpoint: signedCheckpoint(KEY, A, 12) }));
    assert.equal(refused.status, 403);
    const blockedBy = /evidence ([0-9a-f]{64})/.exec(refused.text)![1]!;
    assert.ok((await c1.evidence.query()).some((e) => e.id === blockedBy && e.proven));
    assert.ok(lines.length >= 1 && (blockedBy === id || (await c1.evidence.query()).some((e) => e.id === id)));
    assert.equal((await c1.status.query()).logs[0]!.blocked?.evidenceId, blockedBy);

    // witness clear: refused while the witness runs, effective once it is stopped.
    const busy = await runCli(['witness', 'clear', '--data', d1, '--origin', ORIGIN]);
    assert.notEqual(busy.code, 0);
    assert.match(busy.stderr, /locked|stop the witness/);
    assert.equal((await w1.proc.stop()).code, 0);
    const cleared = await runCli(['witness', 'clear', '--data', d1, '--origin', ORIGIN]);
    assert.equal(cleared.code, 0, cleared.stderr);
    assert.match(cleared.stdout, new RegExp(`cleared .*${blockedBy}`));
    const again = await serveWitness(['--data', d1, '--key', join(dir, 'w1.key'), '--log', KEY.vkey, '--listen', '127.0.0.1:0', '--p2p-listen', '/ip4/127.0.0.1/tcp/0']);
    procs.push(again.proc);
    const after = await post(again.url, formatAddCheckpointRequest({ oldSize: 10n, proof: consistencyProof(10n, 12n, readerOf(A)), checkpoint: signedCheckpoint(KEY, A, 12) }));
    assert.equal(after.status, 200, after.text);
  } finally {
    await Promise.allSettled(intruders.map((h) => h.stop()));
    await Promise.allSettled(procs.map((p) => p.stop('SIGKILL')));
    await cleanup();
  }
});
