// `--ingest-syslog-source` must name a source of its own: syslog carries no credential, so a
// source that also has a token or a certificate mapping would let anyone who reaches the port
// write into that producer's sequence stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createToken, mapCertificateSubject } from '@cairn/api';
import { parseIngestOptions } from '../../apps/cli/src/lib/ingest-listener.js';

test('a syslog source that has a token or a certificate mapping is refused at start-up, naming the flag', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-syslog-source-'));
  try {
    const tokens = join(dir, 'tokens.json');
    await createToken(tokens, 'app');
    await mapCertificateSubject(tokens, 'k8s', 'CN=apiserver.example.org');
    const opts = (source: string) => parseIngestOptions({ 'ingest-syslog-listen': '127.0.0.1:0', 'ingest-syslog-source': source, tokens }, true);
    await assert.rejects(opts('app'), /--ingest-syslog-source app has a token or a client certificate mapping/);
    await assert.rejects(opts('k8s'), /--ingest-syslog-source k8s has a token/);
    const ok = await opts('rsyslog');
    assert.equal(ok?.syslog?.source, 'rsyslog');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
