/**
 * TLS end to end: `cairn log serve --tls-cert/--tls-key` with a test CA made at test time by the
 * `openssl` binary (skipped, saying why, when there is none). A client without `--ca` fails with
 * a certificate error and makes no second attempt; with `--ca` submit and get succeed; after the
 * certificate files are replaced and SIGHUP is sent, a new connection is served the second
 * certificate (its serial) and the process is still up and serving. A log given `--ca` gets
 * cosignatures from a witness that serves HTTPS, and the witness survives SIGHUP too.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:tls';
import { join } from 'node:path';
import { createLogClient } from '@cairn/client';
import { encodeBase64 } from '@cairn/formats';
import { DAEMON_BOUND_MS, jsonLines, waitFor, makeLogFixture, runCli, spawnDaemon, tempDir, type Daemon, type LogFixture } from '../helpers/cli.js';

/** Bound on one openssl run (ms). */
const OPENSSL_TIMEOUT_MS = 20_000;
/** Bound on one TLS handshake from the test (ms). */
const HANDSHAKE_TIMEOUT_MS = 10_000;
const FIRST_SERIAL = '1001';
const SECOND_SERIAL = '2002';

const hasOpenssl = spawnSync('openssl', ['version'], { timeout: OPENSSL_TIMEOUT_MS }).status === 0;

function openssl(cwd: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd, timeout: OPENSSL_TIMEOUT_MS, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
}

/** A P-256 CA and, for each serial, a localhost/127.0.0.1 server certificate it issued (1 day). */
async function makeTestPki(dir: string, serials: readonly string[]): Promise<void> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(dir, ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=Cairn test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await writeFile(join(dir, 'server.ext'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n');
  for (const s of serials) {
    openssl(dir, ['req', ...ec, '-keyout', `s${s}.key`, '-out', `s${s}.csr`, '-subj', '/CN=localhost']);
    openssl(dir, ['x509', '-req', '-in', `s${s}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', `0x${s}`,
      '-days', '1', '-extfile', 'server.ext', '-out', `s${s}.pem`]);
  }
}

/** The serial (hex, as Node prints it) of the certificate a new TLS connection to `url` is served. */
async function servedSerial(url: string, ca: Buffer): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: u.hostname, port: Number(u.port), ca, servername: 'localhost' }, () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.destroy();
      resolve(serial);
    });
    socket.setTimeout(HANDSHAKE_TIMEOUT_MS, () => socket.destroy(new Error('TLS handshake timed out')));
    socket.on('error', reject);
  });
}

/** Polls `cond` every 50 ms until it holds; throws after the daemon bound naming `what`. */
describe('log serve over TLS with a private CA', { skip: hasOpenssl ? false : 'no openssl binary on PATH to make the test CA' }, () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let fx: LogFixture;
  let log: Daemon;
  let url: string;
  let certFile: string;
  let keyFile: string;
  let caFile: string;
  let entryFile: string;

  before(async () => {
    tmp = await tempDir('cairn-tls-');
    await makeTestPki(tmp.dir, [FIRST_SERIAL, SECOND_SERIAL]);
    fx = await makeLogFixture(tmp.dir, 'tls.example/log');
    certFile = join(tmp.dir, 'server.pem');
    keyFile = join(tmp.dir, 'server.key');
    caFile = join(tmp.dir, 'ca.pem');
    entryFile = join(tmp.dir, 'entry.txt');
    await writeFile(entryFile, 'tls entry\n');
    await copyFile(join(tmp.dir, `s${FIRST_SERIAL}.pem`), certFile);
    await copyFile(join(tmp.dir, `s${FIRST_SERIAL}.key`), keyFile);
    log = spawnDaemon(['log', 'serve', '--data', join(tmp.dir, 'data'), '--key', fx.keyFile, '--listen', '127.0.0.1:0',
      '--tokens', fx.tokensFile, '--checkpoint-interval', '50', '--tls-cert', certFile, '--tls-key', keyFile]);
    url = (await log.line(/^cairn log listening on (\S+)$/))[1]!;
  });

  after(async () => {
    await log?.stop();
    await tmp?.cleanup();
  });

  test('the start-up lines say https:// and name the certificate', async () => {
    assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
    await log.line(new RegExp(`^tls certificate .*server\\.pem \\(serial ${FIRST_SERIAL}\\), reloaded on SIGHUP$`));
  });

  test('a client without --ca fails with a certificate error, at once', async () => {
    const r = await runCli(['submit', '--url', url, '--token', fx.token, '--file', entryFile]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /server certificate not accepted: .*\(UNABLE_TO_VERIFY_LEAF_SIGNATURE\).*--ca FILE/);
    assert.doesNotMatch(r.stderr, /retrying/);
    const g = await runCli(['get', '--url', url, '--index', '0']);
    assert.notEqual(g.code, 0);
    assert.match(g.stderr, /server certificate not accepted/);
  });

  test('with --ca the client submits and reads back', async () => {
    const out = await runCli(['submit', '--url', url, '--token', fx.token, '--file', entryFile, '--wait', 'checkpoint', '--ca', caFile]);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout.trim(), '0');
    const got = await runCli(['get', '--url', url, '--index', '0', '--ca', caFile]);
    assert.equal(got.code, 0, got.stderr);
    assert.equal(got.stdout, 'tls entry'); // submit sends each line as one entry, without its newline
  });

  test('SIGHUP swaps the certificate for new connections; the log stays up', async () => {
    const ca = await readFile(caFile);
    assert.equal(await servedSerial(url, ca), FIRST_SERIAL);
    await copyFile(join(tmp.dir, `s${SECOND_SERIAL}.pem`), certFile);
    await copyFile(join(tmp.dir, `s${SECOND_SERIAL}.key`), keyFile);
    log.child.kill('SIGHUP');
    await waitFor('the certificate reload to be logged', () =>
      jsonLines(log.stderr).some((l) => l.msg === 'tls certificate reloaded' && l.serial === SECOND_SERIAL));
    assert.equal(await servedSerial(url, ca), SECOND_SERIAL);
    assert.ok(log.running(), 'log serve exited on SIGHUP');
    const out = await runCli(['submit', '--url', url, '--token', fx.token, '--file', entryFile, '--ca', caFile]);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout.trim(), '1');
  });

  test('a certificate that does not load on SIGHUP is logged and the current one kept', async () => {
    const ca = await readFile(caFile);
    await writeFile(keyFile, 'not a key\n');
    log.child.kill('SIGHUP');
    await waitFor('the failed reload to be logged', () => jsonLines(log.stderr).some((l) => l.msg === 'tls reload failed: keeping the certificate in force'));
    assert.ok(log.running(), 'log serve exited on SIGHUP');
    assert.equal(await servedSerial(url, ca), SECOND_SERIAL);
  });
});

describe('a log reaches its witness over TLS with --ca', { skip: hasOpenssl ? false : 'no openssl binary on PATH to make the test CA' }, () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let witness: Daemon | undefined;
  let log: Daemon | undefined;

  before(async () => {
    tmp = await tempDir('cairn-tls-witness-');
    await makeTestPki(tmp.dir, [FIRST_SERIAL]);
  });

  after(async () => {
    await log?.stop();
    await witness?.stop();
    await tmp?.cleanup();
  });

  test('submit --wait cosigned succeeds; SIGHUP leaves the witness up', async () => {
    const fx = await makeLogFixture(tmp.dir, 'tls-witness.example/log');
    const wkey = join(tmp.dir, 'w.key');
    const wout = await runCli(['keygen', '--name', 'w.tls.example', '--out', wkey, '--witness']);
    assert.equal(wout.code, 0, wout.stderr);
    const wvkey = /^cosignature\/v1 (\S+)$/m.exec(wout.stdout)![1]!;
    witness = spawnDaemon(['witness', 'serve', '--data', join(tmp.dir, 'w-data'), '--key', wkey, '--listen', '127.0.0.1:0', '--log', fx.vkey,
      '--tls-cert', join(tmp.dir, `s${FIRST_SERIAL}.pem`), '--tls-key', join(tmp.dir, `s${FIRST_SERIAL}.key`)]);
    const wurl = (await witness.line(/^cairn witness listening on (\S+)$/))[1]!;
    assert.match(wurl, /^https:\/\//);
    log = spawnDaemon(['log', 'serve', '--data', join(tmp.dir, 'log-data'), '--key', fx.keyFile, '--listen', '127.0.0.1:0',
      '--tokens', fx.tokensFile, '--checkpoint-interval', '50', '--witness', `${wurl}=${wvkey}`, '--ca', join(tmp.dir, 'ca.pem')]);
    const url = (await log.line(/^cairn log listening on (\S+)$/))[1]!;
    const r = await createLogClient(url, { token: fx.token }).log.submit.mutate(
      { entries: [encodeBase64(new TextEncoder().encode('cosigned over tls'))], wait: 'cosigned' },
      { signal: AbortSignal.timeout(DAEMON_BOUND_MS) },
    );
    assert.deepEqual(r.indices, ['0']);
    // The checkpoint that covers it carries the witness's cosignature, got over HTTPS.
    assert.match(r.checkpoint ?? '', /^\u2014 w\.tls\.example /m);
    witness.child.kill('SIGHUP');
    await waitFor('the witness reload to be logged', () => jsonLines(witness!.stderr).some((l) => l.msg === 'tls certificate reloaded'));
    assert.ok(witness.running(), 'witness serve exited on SIGHUP');
  });
});
