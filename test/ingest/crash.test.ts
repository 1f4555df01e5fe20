// A Kubernetes audit webhook producer against `cairn log serve --ingest-listen`, with the log
// killed (SIGKILL) while a batch is in flight and restarted on the same data directory: the
// producer retries what was not answered 200, as kube-apiserver does, and in the end every audit
// event is in the log exactly once — whether the killed batch had been committed or not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LogNode, openLevelStorage } from '@cairn/log';
import { LIST_PODS, eventListBody } from '../../packages/ingest/src/k8s-fixtures.js';
import { makeLogFixture, spawnDaemon, tempDir, waitFor, type Daemon } from '../helpers/cli.js';

const BATCHES = 10;
const PER_BATCH = 40;
const KILL_AT = [3, 7];
const silent = { debug() {}, info() {}, warn() {}, error() {} };

const batchBody = (b: number): Uint8Array => eventListBody(Array.from({ length: PER_BATCH }, (_, i) => ({
  ...LIST_PODS, auditID: `b${b}-e${i}-7c1e6a52-2d7b-4c39-9f61-5a0d3c8e1f${String(i).padStart(2, '0')}`,
})));

test('kill -9 of the log during a webhook batch: the producer retries and each event is stored exactly once', { timeout: 180_000 }, async () => {
  const tmp = await tempDir('cairn-ingest-crash-');
  const fx = await makeLogFixture(tmp.dir, 'ingest-crash.example.org/log');
  const data = join(tmp.dir, 'data');
  let daemon: Daemon | undefined;
  let url = '';
  const start = async (): Promise<void> => {
    daemon = spawnDaemon(['log', 'serve', '--data', data, '--key', fx.keyFile, '--listen', '127.0.0.1:0', '--tokens', fx.tokensFile,
      '--ingest-listen', '127.0.0.1:0', '--checkpoint-interval', '20']);
    url = (await daemon.line(/^cairn ingest listening on (http:\/\/\S+)/))[1]!;
  };
  try {
    await start();
    let answered = 0;
    let retries = 0;
    for (let b = 0; b < BATCHES; b++) {
      const body = batchBody(b);
      // A lost connection is a failed delivery, like any non-2xx answer.
      const send = () => fetch(`${url}/k8s/audit`, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${fx.token}` } })
        .then(async (res) => ({ status: res.status, text: await res.text() }), () => undefined);
      let pending = send();
      if (KILL_AT.includes(b)) {
        // The batch is on its way (committed or not, we cannot know): the log dies.
        await new Promise((r) => setTimeout(r, 5));
        daemon!.child.kill('SIGKILL');
        await daemon!.exited;
        await start();
      }
      // A producer retries until it gets a 2xx (kube-apiserver: with backoff, a few times).
      for (;;) {
        const r = await pending;
        if (r !== undefined && r.status === 200) {
          answered++;
          break;
        }
        retries++;
        await waitFor('the log to answer', () => daemon!.running());
        pending = send();
      }
    }
    assert.equal(answered, BATCHES);
    assert.ok(retries >= 1, 'the killed batches were retried');
    assert.equal((await daemon!.stop('SIGTERM')).code, 0);
    // Read the store back: one event per auditID + stage, none twice, none missing.
    const storage = await openLevelStorage(data);
    const node = await LogNode.open({ storage, signerKey: (await readFile(fx.keyFile, 'utf8')).trim(), logger: silent });
    try {
      const src = (await node.eventSources()).find((s) => s.source === 'crash-test');
      assert.equal(src?.nextSeq, BigInt(BATCHES * PER_BATCH));
      const size = node.latestCheckpoint()!.size;
      const uids = new Set<string>();
      for (let i = 0n; i < size; i++) {
        const ev = await node.getEvent(i);
        if (ev?.body === undefined) continue;
        const uid = JSON.parse(new TextDecoder().decode(ev.body.canonical)).metadata.uid as string;
        assert.ok(!uids.has(uid), `event ${uid} stored twice`);
        uids.add(uid);
      }
      assert.equal(uids.size, BATCHES * PER_BATCH);
    } finally {
      await node.stop().catch(() => {});
      await storage.close?.().catch(() => {});
    }
  } finally {
    if (daemon?.running()) await daemon.stop('SIGKILL');
    await tmp.cleanup();
  }
});
