/**
 * `cairn status` against live `log serve` and `witness serve` processes: it tells a log from a
 * witness, shows sizes, the cosigned checkpoint, each witness's last answer (one answering, one
 * unreachable), and fails clearly on a server that is not Cairn's and on a closed port.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { cli, freePort, makeCluster, type Cluster } from './harness.js';

let cluster: Cluster;

before(async () => {
  cluster = await makeCluster('status.e2e.example/log', 2);
  const [up, down] = cluster.witnesses;
  await up!.start();
  // `down` is configured on the log but never started: its last answer is an error.
  await cluster.log.start({ witnesses: [up!, down!], quorum: 1 });
  await cluster.log.submit(3, 'status', 'cosigned');
});

after(async () => {
  await cluster.close();
});

test('status of a log: human table and --json', async () => {
  const { log, witnesses } = cluster;
  const json = await cli(['status', '--url', log.url, '--json']);
  assert.equal(json.code, 0, json.err.join('\n'));
  const r = JSON.parse(json.out.join('\n'));
  assert.equal(r.kind, 'log');
  assert.equal(r.status.origin, 'status.e2e.example/log');
  assert.equal(BigInt(r.status.size) >= 3n, true);
  assert.equal(r.status.quorum, 1);
  assert.equal(typeof r.status.lastCheckpointTime, 'number');
  assert.notEqual(r.cosigned, null);
  assert.equal(BigInt(r.cosigned.size) >= 3n, true);
  const byUrl = new Map(r.status.witnesses.map((w: { url: string }) => [w.url.replace(/\/+$/, ''), w]));
  const up = byUrl.get(witnesses[0]!.url) as { lastSuccessTime: number | null; lastCosignedSize: string | null };
  const down = byUrl.get(witnesses[1]!.url) as { lastSuccessTime: number | null; consecutiveFailures: number };
  assert.equal(typeof up.lastSuccessTime, 'number');
  assert.equal(down.lastSuccessTime, null);

  const human = await cli(['status', '--url', log.url]);
  assert.equal(human.code, 0, human.err.join('\n'));
  const text = human.out.join('\n');
  assert.match(text, /^server +log at http:\/\/127\.0\.0\.1:\d+$/m);
  assert.match(text, /^origin +status\.e2e\.example\/log$/m);
  assert.match(text, /^cosigned +size \d+, \d+ (s|min) ago \(\d{4}-\d\d-\d\dT[\d:.]+Z\) \(quorum 1\)$/m);
  assert.match(text, /^queue +\d+ entries$/m);
  assert.match(text, /^witnesses:$/m);
  assert.match(text, /^ {2}w0\.e2e\.example +\d+ +\d+ (s|min) ago +0 +-$/m);
  assert.match(text, /^ {2}w1\.e2e\.example +- +never +\d+ +\S.*$/m);
});

test('status of a witness: its logs and evidence', async () => {
  const w = cluster.witnesses[0]!;
  const json = await cli(['status', '--url', w.url, '--json']);
  assert.equal(json.code, 0, json.err.join('\n'));
  const r = JSON.parse(json.out.join('\n'));
  assert.equal(r.kind, 'witness');
  assert.equal(r.status.name, 'w0.e2e.example');
  const log = r.status.logs.find((l: { origin: string }) => l.origin === 'status.e2e.example/log');
  assert.ok(log, 'the trusted log is listed');
  assert.equal(BigInt(log.size) >= 3n, true);
  assert.deepEqual(r.evidence, []);

  const human = await cli(['status', '--url', w.url]);
  assert.equal(human.code, 0, human.err.join('\n'));
  const text = human.out.join('\n');
  assert.match(text, /^server +witness at http:\/\/127\.0\.0\.1:\d+$/m);
  assert.match(text, /^evidence +none$/m);
  assert.match(text, /^ {2}status\.e2e\.example\/log +\d+ +\d+ (s|min) ago +ok$/m);
});

test('status of something that is not Cairn fails with exit 3 like get and prove (not a Cairn server), of a closed port with exit 3', async () => {
  const server: Server = createServer((_req, res) => { res.writeHead(404, { 'content-type': 'text/html' }).end('<html>nope</html>'); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as { port: number }).port;
    const r = await cli(['status', '--url', `http://127.0.0.1:${port}`]);
    assert.equal(r.code, 3);
    assert.match(r.err.join('\n'), /neither a Cairn log nor a Cairn witness answered .*: not a Cairn server/);
    // get meets the same server with the same status.
    const g = await cli(['get', '--url', `http://127.0.0.1:${port}`, '--index', '0']);
    assert.equal(g.code, r.code, g.err.join('\n'));
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
  const closed = await freePort();
  const r = await cli(['status', '--url', `http://127.0.0.1:${closed}`]);
  assert.equal(r.code, 3);
  assert.match(r.err.join('\n'), new RegExp(`http://127\\.0\\.0\\.1:${closed}.*ECONNREFUSED`));
});

test('/healthz and /readyz of live processes: the log names the reachable and the unreachable witness', async () => {
  const { log, witnesses } = cluster;
  for (const url of [log.url, witnesses[0]!.url]) {
    const h = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(h.status, 200);
    assert.deepEqual(await h.json(), { status: 'alive' });
  }
  const r = await fetch(`${log.url}/readyz`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(r.status, 200);
  const body = (await r.json()) as any;
  assert.deepEqual(body.storage, { ok: true, error: null });
  const reach = Object.fromEntries(body.witnesses.map((w: { name: string; reachable: boolean }) => [w.name, w.reachable]));
  assert.deepEqual(reach, { 'w0.e2e.example': true, 'w1.e2e.example': false });
  const w = await fetch(`${witnesses[0]!.url}/readyz`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(w.status, 200);
  assert.equal(((await w.json()) as { storage: { ok: boolean } }).storage.ok, true);
});
