// Client certificates on the ingestion listener (HTTPS and syslog over TLS), with a test PKI made
// at test time by the `openssl` binary (skipped, saying why, when there is none): a certificate
// the client CA issued and the tokens file maps writes as its source; one from another CA with
// the same subject, or an unmapped one, does not; a token and a certificate of two different
// sources are refused.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createToken, listenHttp, loadTokens, mapCertificateSubject, readTokensFile, revokeToken, type HttpListener, type TokenAuthenticator } from '@cairn/api';
import { formatSignerKey } from '@cairn/formats';
import { LogNode, openLevelStorage } from '@cairn/log';
import { createIngestHandler, startSyslogListener, type SyslogListener } from '@cairn/ingest/listener';
import { LIST_PODS, eventListBody } from '../../packages/ingest/src/k8s-fixtures.js';

const hasOpenssl = spawnSync('openssl', ['version'], { timeout: 10_000 }).status === 0;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

function openssl(cwd: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd, timeout: 20_000, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

async function makePki(dir: string): Promise<void> {
  for (const ca of ['ca', 'rogue']) {
    openssl(dir, ['req', '-x509', ...EC, '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '1', '-subj', `/CN=${ca} test CA`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  }
  await writeFile(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await writeFile(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  const issue = (name: string, subj: string, ca: string, ext: string) => {
    openssl(dir, ['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj]);
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-set_serial', '0x1' + name.length, '-days', '1', '-extfile', ext, '-out', `${name}.pem`]);
  };
  issue('server', '/CN=127.0.0.1', 'ca', 'server.ext');
  issue('apiserver', '/CN=apiserver.example.org', 'ca', 'client.ext');
  issue('rsyslog', '/O=Example/CN=rsyslog.example.org', 'ca', 'client.ext');
  issue('stranger', '/CN=stranger.example.org', 'ca', 'client.ext');
  issue('forged', '/CN=apiserver.example.org', 'rogue', 'client.ext');
}

describe('client certificates', { skip: hasOpenssl ? false : 'no openssl binary to make a test PKI' }, () => {
  let dir: string;
  let node: LogNode;
  let listener: HttpListener;
  let syslog: SyslogListener;
  let appToken: string;
  let auth: TokenAuthenticator;
  let tokensFile: string;
  const pem: Record<string, Buffer> = {};

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cairn-ingest-mtls-'));
    await makePki(dir);
    for (const n of ['ca', 'server', 'apiserver', 'rsyslog', 'stranger', 'forged']) {
      pem[`${n}.pem`] = await readFile(join(dir, `${n}.pem`));
      if (n !== 'ca') pem[`${n}.key`] = await readFile(join(dir, `${n}.key`));
    }
    tokensFile = join(dir, 'tokens.json');
    await mapCertificateSubject(tokensFile, 'k8s', 'CN=apiserver.example.org');
    await mapCertificateSubject(tokensFile, 'rsyslog', 'O=Example,CN=rsyslog.example.org');
    appToken = await createToken(tokensFile, 'app');
    auth = await loadTokens(tokensFile);
    node = await LogNode.open({ storage: await openLevelStorage(join(dir, 'data')), signerKey: formatSignerKey('mtls.example.org/log', new Uint8Array(32).fill(3)), logger: silent, checkpointIntervalMs: 20 });
    await node.start();
    const certificateSource = (s: string) => auth.sourceOfCertificate(s);
    const tls = { cert: pem['server.pem']!, key: pem['server.key']! };
    listener = await listenHttp({
      listen: { host: '127.0.0.1', port: 0 }, handle: createIngestHandler({ sink: node, auth, certificateSource, keySecret: new Uint8Array(32).fill(9) }),
      requestTimeoutMs: 10_000, headersTimeoutMs: 5_000, maxConnections: 16, keepAliveTimeoutMs: 500, closeGraceMs: 500,
      tls, clientCa: pem['ca.pem']!,
    });
    syslog = await startSyslogListener({ listen: { host: '127.0.0.1', port: 0 }, sink: node, tls: { ...tls, clientCa: pem['ca.pem']! }, certificateSource });
  });
  after(async () => {
    await syslog?.close();
    await listener?.close();
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const postAs = (client: string | undefined, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const body = eventListBody([{ ...LIST_PODS, auditID: `mtls-${client}-${Object.keys(headers).length}` }]);
      const req = request(`${listener.url}/k8s/audit`, {
        method: 'POST', ca: pem['ca.pem'], agent: false,
        ...(client === undefined ? {} : { cert: pem[`${client}.pem`], key: pem[`${client}.key`] }),
        headers: { 'content-type': 'application/json', 'content-length': String(body.length), ...headers },
      }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve({ status: res.statusCode!, body: text }));
      });
      req.on('error', reject);
      req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
      req.end(body);
    });
  const seqs = async () => Object.fromEntries((await node.eventSources()).map((s) => [s.source, s.nextSeq]));

  test('a mapped certificate from the client CA writes as its source; a token works without one', async () => {
    assert.equal((await postAs('apiserver')).status, 200);
    assert.equal((await seqs()).k8s, 1n);
    assert.equal((await postAs(undefined, { authorization: `Bearer ${appToken}` })).status, 200);
    assert.equal((await seqs()).app, 1n);
  });

  test('the same subject from another CA, an unmapped certificate, or a token of another source: refused', async () => {
    const before = await seqs();
    assert.equal((await postAs('forged')).status, 401);
    assert.equal((await postAs('stranger')).status, 403);
    const mixed = await postAs('apiserver', { authorization: `Bearer ${appToken}` });
    assert.equal(mixed.status, 403);
    assert.match(mixed.body, /different sources/);
    assert.equal((await postAs(undefined)).status, 401);
    assert.deepEqual(await seqs(), before);
  });

  test('syslog over TLS (RFC 5425): the certificate names the source; without a mapped one the connection is closed', async () => {
    const msg = new TextEncoder().encode('<38>1 2026-01-01T10:00:00Z bastion sshd 77 - - Accepted password for alice from 198.51.100.23 port 50000 ssh2');
    const frame = Buffer.concat([Buffer.from(`${msg.length} `), msg]);
    const sendAs = (client: string) => new Promise<void>((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port: syslog.port, ca: pem['ca.pem'], cert: pem[`${client}.pem`], key: pem[`${client}.key`] }, () => s.end(frame));
      s.on('error', () => {});
      s.on('close', () => resolve());
      s.setTimeout(10_000, () => { s.destroy(); reject(new Error('syslog TLS connection timed out')); });
    });
    await sendAs('stranger');
    await sendAs('rsyslog');
    for (let i = 0; i < 250 && (await seqs()).rsyslog !== 1n; i++) await new Promise((r) => setTimeout(r, 20));
    const s = await seqs();
    assert.equal(s.rsyslog, 1n);
    assert.equal(s.stranger, undefined);
    assert.equal(syslog.counters.stored, 1);
  });

  test('syslog over TLS with a fallback source: an unverified or unmapped certificate is refused, not written as the fallback; a revoked mapping stops writing', async () => {
    const fallback = await startSyslogListener({
      listen: { host: '127.0.0.1', port: 0 }, sink: node, source: 'syslog-fallback',
      tls: { cert: pem['server.pem']!, key: pem['server.key']!, clientCa: pem['ca.pem']! }, certificateSource: (s) => auth.sourceOfCertificate(s),
    });
    try {
      const msg = new TextEncoder().encode('<38>1 2026-01-01T10:00:01Z bastion sshd 78 - - Accepted password for alice from 198.51.100.23 port 50001 ssh2');
      const frame = Buffer.concat([Buffer.from(`${msg.length} `), msg]);
      const sendAs = (client: string) => new Promise<void>((resolve, reject) => {
        const s = tlsConnect({ host: '127.0.0.1', port: fallback.port, ca: pem['ca.pem'], cert: pem[`${client}.pem`], key: pem[`${client}.key`] }, () => s.end(frame));
        s.on('error', () => {});
        s.on('close', () => resolve());
        s.setTimeout(10_000, () => { s.destroy(); reject(new Error('syslog TLS connection timed out')); });
      });
      const before = await seqs();
      await sendAs('stranger');
      await sendAs('forged');
      assert.equal(fallback.counters.refusedConnections, 2);
      assert.equal((await seqs())['syslog-fallback'], undefined);
      // A mapped certificate writes; after its mapping is revoked (tokens reload) its next message closes it.
      const open = tlsConnect({ host: '127.0.0.1', port: fallback.port, ca: pem['ca.pem'], cert: pem['rsyslog.pem'], key: pem['rsyslog.key'] });
      open.on('error', () => {});
      const closed = new Promise<void>((r) => open.on('close', () => r()));
      await new Promise<void>((r) => open.once('secureConnect', () => r()));
      open.write(frame);
      for (let i = 0; i < 250 && (await seqs()).rsyslog !== before.rsyslog! + 1n; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal((await seqs()).rsyslog, before.rsyslog! + 1n);
      await revokeToken(tokensFile, 'rsyslog');
      auth.replace(await readTokensFile(tokensFile));
      open.write(frame);
      await closed;
      assert.equal(fallback.counters.refusedConnections, 3);
      assert.equal((await seqs()).rsyslog, before.rsyslog! + 1n);
    } finally {
      await fallback.close();
    }
  });
});
