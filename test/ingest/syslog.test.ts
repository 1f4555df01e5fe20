// The syslog receiver over real TCP on loopback against a real LogNode: RFC 5424 messages with
// octet counting, mapped by the built-in sshd/sudo rules, written as the configured source; a
// bad message is refused alone, a framing error closes the connection, nothing is acknowledged
// (syslog has none) but what was read is stored.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { startSyslogListener, type SyslogListener } from '@cairn/ingest/listener';
import { nextSeqs, startIngest, type IngestFixture } from './fixture.js';

const enc = new TextEncoder();
const frame = (msg: string): Uint8Array => {
  const b = enc.encode(msg);
  return Uint8Array.from([...enc.encode(`${b.length} `), ...b]);
};
const LINES = [
  '<38>1 2026-01-01T10:00:00.123456Z bastion sshd 4242 - - Accepted publickey for alice from 198.51.100.23 port 51514 ssh2: ED25519 SHA256:x',
  '<38>1 2026-01-01T10:00:01.000001Z bastion sshd 4243 - - Failed password for invalid user admin from 203.0.113.9 port 40022 ssh2',
  '<85>1 2026-01-01T10:00:02Z bastion sudo - - - alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx',
  '<30>1 2026-01-01T10:00:03Z bastion systemd 1 - - Started Session 7 of User alice.', // unmatched: dropped by default, counted
];

let f: IngestFixture;
let syslog: SyslogListener;
before(async () => {
  f = await startIngest();
  syslog = await startSyslogListener({ listen: { host: '127.0.0.1', port: 0 }, sink: f.node, source: 'rsyslog' });
});
after(async () => {
  await syslog.close();
  await f.close();
});

function send(bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect(syslog.port, '127.0.0.1');
    const guard = setTimeout(() => { s.destroy(); reject(new Error('syslog connection did not finish')); }, 10_000);
    s.on('error', () => {});
    s.on('close', () => { clearTimeout(guard); resolve(); });
    s.on('connect', () => {
      // Cut the stream at odd places: the decoder reassembles frames.
      const cut = Math.floor(bytes.length / 3);
      s.write(bytes.subarray(0, cut));
      setTimeout(() => {
        s.write(bytes.subarray(cut));
        s.end();
      }, 20);
    });
  });
}

async function until(cond: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('condition not reached');
}

test('octet-counted RFC 5424 over TCP: sshd and sudo lines become events of the configured source; unmatched ones are counted', async () => {
  const bytes = Uint8Array.from(LINES.flatMap((l) => [...frame(l)]));
  await send(bytes);
  await until(async () => (await nextSeqs(f.node)).rsyslog === 3n);
  assert.equal(syslog.counters.unmatched, 1);
  const state = (await f.node.eventSources()).find((s) => s.source === 'rsyslog')!;
  for (let i = 0; i < 200 && (f.node.latestCheckpoint()?.size ?? 0n) <= state.lastIndex!; i++) await new Promise((r) => setTimeout(r, 20));
  const ev = JSON.parse(new TextDecoder().decode((await f.node.getEvent(state.lastIndex!))!.body!.canonical));
  assert.equal(ev.class_uid, 1007, 'the sudo command is a Process Activity');
});

test('a malformed message is refused alone; a framing error closes the connection, what came before is stored', async () => {
  const before = (await nextSeqs(f.node)).rsyslog ?? 0n;
  const good = frame(LINES[0]!.replace('4242', '5000'));
  const bad = frame('<999>1 - - - - - - nope');
  await send(Uint8Array.from([...bad, ...good]));
  await until(async () => (await nextSeqs(f.node)).rsyslog === before + 1n);
  assert.ok(syslog.counters.refused >= 1);
  // On one connection: a message, stored before anything else is sent; then bytes that are not
  // octet counted. The connection is closed; the stored message stays.
  const closed = await new Promise<boolean>((resolve, reject) => {
    const sock = connect(syslog.port, '127.0.0.1');
    const guard = setTimeout(() => { sock.destroy(); reject(new Error('the connection was not closed')); }, 10_000);
    sock.on('error', () => {});
    sock.on('close', () => { clearTimeout(guard); resolve(true); });
    sock.on('connect', () => {
      sock.write(frame(LINES[1]!));
      until(async () => (await nextSeqs(f.node)).rsyslog === before + 2n).then(() => sock.write('<13>1 not octet counted\n'), reject);
    });
  });
  assert.equal(closed, true);
  assert.equal((await nextSeqs(f.node)).rsyslog, before + 2n);
  assert.ok(syslog.counters.framingErrors >= 1);
});

function sendOnce(port: number, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect(port, '127.0.0.1');
    const guard = setTimeout(() => { s.destroy(); reject(new Error('syslog connection did not finish')); }, 10_000);
    s.on('error', () => {});
    s.on('close', () => { clearTimeout(guard); resolve(); });
    s.on('connect', () => s.end(bytes)); // one write: the good frames and the bad bytes in one read
  });
}

test('a framing error stores the whole frames that came before it in the same read, then closes', async () => {
  const before = (await nextSeqs(f.node)).rsyslog ?? 0n;
  const errors = syslog.counters.framingErrors;
  await sendOnce(syslog.port, Uint8Array.from([...frame(LINES[0]!), ...frame(LINES[1]!), ...enc.encode('garbage without a length')]));
  await until(async () => (await nextSeqs(f.node)).rsyslog === before + 2n);
  assert.equal(syslog.counters.framingErrors, errors + 1);
});

test('an unexpected error while handling a read closes that connection only; the log keeps running', async () => {
  const broken = await startSyslogListener({ listen: { host: '127.0.0.1', port: 0 }, sink: f.node, source: 'rsyslog', clock: () => { throw new TypeError('clock failed'); } });
  try {
    await sendOnce(broken.port, frame(LINES[0]!));
    assert.equal(broken.counters.internalErrors, 1);
    // The receiver still answers the next connection.
    await sendOnce(broken.port, frame(LINES[0]!));
    assert.equal(broken.counters.internalErrors, 2);
  } finally {
    await broken.close();
  }
});
