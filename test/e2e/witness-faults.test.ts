/**
 * Adversarial e2e, scenarios 5, 7, 10 and 8: a `cairn log serve` with three `cairn witness serve`
 * processes (quorum 2) on 127.0.0.1, attacked by an operator who holds the log key, and by faults
 * of the witnesses themselves. One set-up, run in this order (each step leaves the cluster healthy
 * for the next, except the last):
 *
 * 7. forged / replayed cosignatures on an exported tlog-proof bundle → `verify` exits
 *    bad-cosignature (17) for a witness line copied from an older checkpoint, quorum-not-met (18)
 *    when a line under the witness's name made with an invented key is needed for the quorum.
 * 5. a fork signed with the log key at the witnesses' size → 422 from the witness, a `fork`
 *    misbehaviour record holding both notes, its state unchanged; a monitor shown both notes alarms
 *    `fork` (25) when it trusts the log key alone and `lost-quorum` (18) under the quorum policy.
 * 10. a witness SIGSTOPped during ingestion → the log keeps ingesting and meets its quorum with
 *    the other two; after SIGCONT the witness is brought back with a 409 and cosigns again.
 * 8. a witness restored from an old copy of its data directory → the log's next add-checkpoint gets
 *    409 with the old size and re-sends with the proof from it; everything cosigned stays
 *    consistent. Then the limit: restored again, that witness alone can be made to cosign a fork
 *    between its backup and the true size — clients needing 2 of 3 reject it (18), and a client
 *    that follows that witness sees it cosign a smaller tree later (rollback, 24).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { readFile, rm, cp } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointTracker, EXIT_CODES, loadPolicy, verifyCheckpoint, VerifyError } from '@cairn/client';
import { decodeBase64Strict, formatAddCheckpointRequest, formatProofBundle, openCheckpoint, parseVerifierKey } from '@cairn/formats';
import { inclusionProof, verifyConsistency } from '@cairn/merkle';
import { alarmsOf, cli, makeCluster, policyText, sizeOf, sleep, until, type Cluster, type E2eWitness } from './harness.js';
import { editSignatures, forkFrom, inventedCosignature, leafHashesOf, linesOf, readerOf, signCheckpoint, signerFromFile } from './forge.js';

const ORIGIN = 'faults.e2e.example/log';

describe('witness faults and forged witness statements (scenarios 7, 5, 10, 8)', { timeout: 240_000 }, () => {
  let c: Cluster;
  let policyQ: string;
  let policyL: string;
  let w0backup: string; // a copy of witness 0's data directory at size 10
  /** Every cosigned note the log served, to check consistency at the end. */
  const served: string[] = [];

  const ws = () => c.witnesses;
  const w = (i: number) => c.witnesses[i] as E2eWitness;
  const status = () => c.log.status();
  const allAt = async (size: bigint) => (await status()).witnesses.every((x) => x.lastCosignedSize === size.toString());
  const cosigners = (note: string) => ws().filter((x) => linesOf(note, x.name).length > 0).map((x) => x.index);
  /** Submits n entries, waits until every witness cosigned the result and the served note carries all three. */
  const grow = async (n: number, tag: string) => {
    const r = await c.log.submit(n, tag);
    const size = r.indices.at(-1)! + 1n;
    await until(`every witness at ${size}`, () => allAt(size));
    await until('a served note with 3 cosignatures', async () => {
      const note = await c.log.served();
      return note !== undefined && sizeOf(note) === size && cosigners(note).length === 3;
    });
    served.push((await c.log.served())!);
    return size;
  };
  const prove = async (index: number, name: string) => {
    const out = join(c.dir, name);
    const r = await cli(['prove', '--url', c.log.url, '--index', String(index), '--out', out]);
    assert.equal(r.code, 0, r.err.join('\n'));
    return out;
  };

  before(async () => {
    c = await makeCluster(ORIGIN, 3);
    await Promise.all(ws().map((x) => x.start()));
    policyQ = await c.file('policy-q.txt', policyText(c.log.vkey, ws(), 2));
    policyL = await c.file('policy-log-only.txt', policyText(c.log.vkey, ws(), 0));
    await c.log.start({ witnesses: ws(), quorum: 2 });
    assert.equal(await grow(10, 'a'), 10n);
    // Witness 0's backup, taken cleanly while the log is idle.
    assert.equal((await w(0).stop()).code, 0);
    w0backup = await c.copy(w(0).data, 'w0-backup-10');
    await w(0).start();
  });

  after(async () => {
    await c?.close();
  });

  test('7. a replayed witness line fails bad-cosignature (17); a line under the witness\'s name with an invented key does not count (18)', async () => {
    await grow(20, 'b');
    const older = await readFile(await prove(3, 'old.tlog-proof'), 'utf8');
    await grow(20, 'c');
    const bundleFile = await prove(3, 'new.tlog-proof');
    const bundle = await readFile(bundleFile, 'utf8');
    const entry = join(c.dir, 'entry3');
    assert.equal((await cli(['get', '--url', c.log.url, '--index', '3', '--out', entry])).code, 0);
    const verify = async (text: string, name: string) => {
      const file = await c.file(name, text);
      const r = await cli(['verify', '--policy', policyQ, '--bundle', file, '--index', '3', '--entry-file', entry, '--json']);
      return { code: r.code, json: JSON.parse(r.out.join('\n')) as { code?: string; ok?: boolean } };
    };
    assert.equal((await verify(bundle, 'genuine.tlog-proof')).code, 0);
    const cut = bundle.indexOf('\n\n') + 2;
    const [head, note] = [bundle.slice(0, cut), bundle.slice(cut)];
    const oldNote = older.slice(older.indexOf('\n\n') + 2);
    const replayed = linesOf(oldNote, w(0).name)[0]!;
    assert.ok(!note.includes(replayed), 'the older line differs from the new one');

    // (a) witness 0's line replaced by its line from the older checkpoint (witness 1 still valid).
    const a = await verify(head + editSignatures(note, [w(0).name, w(2).name], [replayed]), 'replayed.tlog-proof');
    assert.equal(a.code, EXIT_CODES['bad-cosignature']);
    assert.equal(a.json.code, 'bad-cosignature');
    // Even with the quorum met by the two genuine lines, a policy witness line that fails is fatal.
    const a2 = await verify(head + editSignatures(note, [w(0).name], [replayed]), 'replayed-quorum-met.tlog-proof');
    assert.equal(a2.code, EXIT_CODES['bad-cosignature']);

    // (b) witness 0's name, an invented key: another key ID, so it is not witness 0's line at all.
    const invented = inventedCosignature(note, w(0).name, BigInt(Math.floor(Date.now() / 1000)));
    const b = await verify(head + editSignatures(note, [w(0).name, w(2).name], [invented]), 'invented.tlog-proof');
    assert.equal(b.code, EXIT_CODES['quorum-not-met']);
    assert.equal(b.json.code, 'quorum-not-met');
    // (d) one genuine line repeated does not count twice.
    const once = linesOf(note, w(1).name)[0]!;
    const d = await verify(head + editSignatures(note, [w(0).name, w(1).name, w(2).name], [once, once]), 'duplicated.tlog-proof');
    assert.equal(d.code, EXIT_CODES['quorum-not-met'], JSON.stringify(d.json));
    // (c) the log line forged too (any signature under the log's name with another key): not the log.
    const c2 = await verify(head + editSignatures(note, [ORIGIN]), 'no-log-signature.tlog-proof');
    assert.equal(c2.code, EXIT_CODES['bad-log-signature']);
  });

  test('5. a fork signed with the log key at the same size: 422, a fork misbehaviour record, state unchanged; a monitor shown both alarms fork (25)', async () => {
    const size = BigInt((await status()).cosignedSize!);
    const genuine = (await c.log.served())!;
    const stateL = join(c.dir, 'monitor5-l');
    const stateQ = join(c.dir, 'monitor5-q');
    for (const [p, s] of [[policyL, stateL], [policyQ, stateQ]] as const) {
      const m = await cli(['monitor', '--once', '--policy', p, '--url', c.log.url, '--state', s]);
      assert.equal(m.code, 0, m.err.join('\n'));
    }
    const signer = await signerFromFile(c.log.keyFile);
    const forged = signCheckpoint(signer, ORIGIN, size, new Uint8Array(32).fill(0x5a));
    const answer = await w(1).add(formatAddCheckpointRequest({ oldSize: size, proof: [], checkpoint: forged }));
    assert.equal(answer.status, 422, answer.text);
    const mis = await w(1).trpc().misbehaviour.query({ origin: ORIGIN });
    assert.equal(mis[0]?.kind, 'fork');
    assert.equal(mis[0]?.offeredNote, forged);
    assert.equal(sizeOf(mis[0]!.storedNote!), size);
    const st = (await w(1).trpc().status.query()).logs.find((l) => l.origin === ORIGIN)!;
    assert.equal(st.size, size.toString());
    assert.equal((await w(1).checkpoint(ORIGIN))!.split('\n').slice(0, 3).join('\n'), genuine.split('\n').slice(0, 3).join('\n'));

    // The operator shows the forged note to a monitor (a /checkpoint that serves it).
    const fake = await serveCheckpoint(forged);
    try {
      const l = await cli(['monitor', '--once', '--policy', policyL, '--url', fake.url, '--state', stateL]);
      assert.equal(l.code, EXIT_CODES.equivocation, l.err.join('\n'));
      const [alarm] = alarmsOf(l);
      assert.equal(alarm?.alarm, 'fork');
      assert.equal(alarm?.evidence['note'], forged);
      assert.equal(alarm?.evidence['knownNote'], genuine);
      const q = await cli(['monitor', '--once', '--policy', policyQ, '--url', fake.url, '--state', stateQ]);
      assert.equal(q.code, EXIT_CODES['quorum-not-met'], q.err.join('\n'));
      assert.equal(alarmsOf(q)[0]?.alarm, 'lost-quorum');
    } finally {
      await fake.close();
    }
  });

  test('10. a witness SIGSTOPped: the log keeps ingesting with the other two; after SIGCONT it is brought back (through a 409 when it moved on unseen) and cosigns again', async () => {
    const cut = w(2);
    cut.pause();
    try {
      let last = 0n;
      for (let k = 0; k < 4; k++) {
        const r = await c.log.submit(7, `cut-${k}`);
        const note = r.checkpoint!;
        assert.ok(sizeOf(note) > last);
        last = sizeOf(note);
        const who = cosigners(note);
        assert.ok(who.includes(0) && who.includes(1), `cosigned by ${who.join(',')}`);
        assert.ok(!who.includes(2), 'a stopped witness cosigns nothing');
        served.push(note);
      }
      await until('the log to report witness 2 failing', async () => (await status()).witnesses[2]!.consecutiveFailures > 0);
    } finally {
      cut.resume();
    }
    const linesBefore = cut.proc!.stderr.length;
    const size = await grow(5, 'back');
    const st = (await status()).witnesses[2]!;
    assert.equal(st.lastCosignedSize, size.toString());
    assert.equal(st.consecutiveFailures, 0);
    assert.equal(sizeOf((await cut.checkpoint(ORIGIN))!), size, 'its own state caught up');
    assert.ok(!(await status()).alarms.some((a) => a.url === cut.url), 'no refusal from it: nothing it saw conflicted');
    // How it was brought back depends on what it did with the requests queued while it was stopped:
    // if it processed one the log had given up on (timed out), its state moved past what the log
    // knew, and the log learned the new size from a 409 and re-sent with the proof from there.
    const lines = cut.proc!.stderr.slice(linesBefore).map((l) => { try { return JSON.parse(l) as Record<string, unknown>; } catch { return {}; } });
    const conflicts = lines.filter((l) => l['msg'] === 'add-checkpoint refused' && l['status'] === 409).length;
    const cosigned = lines.filter((l) => l['msg'] === 'cosigned');
    assert.ok(cosigned.some((l) => l['size'] === size.toString()));
    if (conflicts > 0) {
      const resent = cosigned.at(-1)!;
      assert.notEqual(resent['oldSize'], '0', 'the re-sent request carried a proof from the size the 409 gave');
    }
    process.stdout.write(`# scenario 10: the resumed witness answered ${conflicts} 409(s) and cosigned ${cosigned.length} time(s) before catching up\n`);
  });

  test('8a. a witness restored from an old backup: the log gets 409 with the old size, re-sends with the proof from it, and cosigning goes on consistently', async () => {
    const before = BigInt((await status()).witnesses[0]!.lastCosignedSize!);
    assert.equal((await w(0).stop()).code, 0);
    await rm(w(0).data, { recursive: true, force: true });
    await cp(w0backup, w(0).data, { recursive: true });
    await w(0).start();
    const restored = (await w(0).checkpoint(ORIGIN))!;
    assert.equal(sizeOf(restored), 10n, 'the witness forgot everything after its backup');
    assert.ok(before > 10n);
    // A client that follows this witness's monitoring GET notices that it went back.
    const policyW0 = loadPolicy(new TextEncoder().encode(`log ${c.log.vkey}\nwitness w0 ${w(0).vkey}\nquorum w0\n`), 'w0');
    const now = Math.floor(Date.now() / 1000) + 5;
    const tracker = new CheckpointTracker([verifyCheckpoint(served.at(-1)!, policyW0, { now })]);
    assert.throws(() => tracker.update(verifyCheckpoint(restored, policyW0, { now })), (e) => e instanceof VerifyError && e.code === 'stale-checkpoint');

    const linesBefore = w(0).proc!.stderr.length;
    const size = await grow(5, 'after-restore');
    const log = w(0).proc!.stderr.slice(linesBefore).map((l) => { try { return JSON.parse(l); } catch { return {}; } });
    assert.ok(log.some((l) => l.msg === 'add-checkpoint refused' && l.status === 409), 'a 409 told the log the old size');
    assert.ok(log.some((l) => l.msg === 'cosigned' && l.oldSize === '10' && l.size === size.toString()), 'the next request came with the proof from 10');
    // Everything any client was served is one append-only history.
    const final = served.at(-1)!;
    const vkey = parseVerifierKey(c.log.vkey);
    const finalCp = openCheckpoint(final, [vkey]).checkpoint;
    for (const note of served) {
      const cpN = openCheckpoint(note, [vkey]).checkpoint;
      const p = await c.log.client().log.consistencyProof.query({ m: cpN.size.toString(), n: finalCp.size.toString() });
      verifyConsistency(cpN.size, finalCp.size, cpN.rootHash, finalCp.rootHash, p.proof.map((h) => decodeBase64Strict(h, 32)));
    }
    const m = await cli(['monitor', '--once', '--policy', policyQ, '--url', c.log.url, '--state', join(c.dir, 'monitor8')]);
    assert.equal(m.code, 0, m.err.join('\n'));
  });

  test('8b. the limit: a restored witness alone can be made to cosign a fork between its backup and the true size; quorum clients reject it (18), its followers see a rollback (24)', async () => {
    const trueNote = (await c.log.served())!;
    assert.equal((await w(0).stop()).code, 0);
    await rm(w(0).data, { recursive: true, force: true });
    await cp(w0backup, w(0).data, { recursive: true });
    await sleep(1100); // cosignature timestamps are in seconds: the fork's must be strictly later
    await w(0).start();
    const real = await leafHashesOf(c.log.client(), 10n);
    const signer = await signerFromFile(c.log.keyFile);
    const fork = forkFrom(signer, ORIGIN, real, 10n, 10, 'rewritten');
    assert.ok(fork.size < sizeOf(trueNote));
    const a = await w(0).add(fork.body);
    assert.equal(a.status, 200, `the restored witness cosigns the fork (it cannot know better): ${a.text}`);
    const forkCosigned = fork.note + a.text;
    // The witnesses that kept their state refuse it whatever old size is claimed.
    for (const x of [w(1), w(2)]) {
      const r = await x.add(fork.body);
      assert.equal(r.status, 409, r.text);
      assert.ok(BigInt(r.text.trim()) >= sizeOf(trueNote));
    }
    // A client needing 2 of 3 rejects it, even with a valid inclusion proof of a forged entry.
    const proof = inclusionProof(12n, fork.size, readerOf(fork.leaves));
    const bundle = await c.file('fork.tlog-proof', formatProofBundle({ index: 12n, proof, checkpoint: forkCosigned }));
    const leaf = Buffer.from(fork.leaves[12]!).toString('base64');
    const v = await cli(['verify', '--policy', policyQ, '--bundle', bundle, '--leaf-hash', leaf, '--json']);
    assert.equal(v.code, EXIT_CODES['quorum-not-met'], v.out.join('\n') + v.err.join('\n'));
    // Only a client that trusts witness 0 alone accepts it (that is what a 1-witness policy means).
    const p1 = await c.file('policy-w0.txt', `log ${c.log.vkey}\nwitness w0 ${w(0).vkey}\nquorum w0\n`);
    assert.equal((await cli(['verify', '--policy', p1, '--bundle', bundle, '--leaf-hash', leaf])).code, 0);
    // A client that trusts witness 0 alone and saw its earlier cosignature on the true tree.
    const policyW0 = loadPolicy(new TextEncoder().encode(`log ${c.log.vkey}\nwitness w0 ${w(0).vkey}\nquorum w0\n`), 'w0');
    const now = Math.floor(Date.now() / 1000) + 5;
    const tracker = new CheckpointTracker([verifyCheckpoint(trueNote, policyW0, { now })]);
    assert.throws(() => tracker.update(verifyCheckpoint(forkCosigned, policyW0, { now })), (e) => e instanceof VerifyError && e.code === 'rollback' && EXIT_CODES[e.code] === 24);
    // The poisoned witness now refuses the true log (422), which keeps its quorum with the other two.
    const r = await c.log.submit(3, 'after-fork');
    assert.deepEqual(cosigners(r.checkpoint!).sort(), [1, 2]);
    await until('a 422 alarm from witness 0', async () => (await status()).alarms.some((al) => al.url === w(0).url && al.status === 422));
    const mis = await w(0).trpc().misbehaviour.query({ origin: ORIGIN });
    assert.equal(mis[0]?.kind, 'inconsistent', 'witness 0 records the true log as inconsistent with the fork it holds');
  });
});

/** A tiny HTTP server whose /checkpoint serves `note` (everything else 404). */
async function serveCheckpoint(note: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.url === '/checkpoint') res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(note);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
