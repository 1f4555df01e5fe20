/**
 * The events API over real HTTP (fake node): statuses on the wire are the error table's (403 for
 * a wrong role, 409 for a sequence conflict, 410 for an erased event, which tRPC has no code
 * for), the typed client reaches every procedure, and no error body quotes an event value.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { TRPCClientError } from '@trpc/client';
import { startLogServer, TokenAuthenticator, type LogServer } from '@cairn/api';
import { FakeEventStore, FakeLog } from '@cairn/api/testing';
import { createLogClient } from '@cairn/client';

const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const WRITER = 'cairn_http-writer';
const READER = 'cairn_http-reader';
const ADMIN = 'cairn_http-admin';

const logon = (i: number, ip = '198.51.100.23') => JSON.stringify({
  class_uid: 3002, category_uid: 3, activity_id: 1, type_uid: 300201, severity_id: 1, status_id: 1,
  time: 1767225600000 + i, metadata: { version: '1.3.0', product: { name: 'sshd' } }, user: { name: 'mallory' }, src_endpoint: { ip },
});

async function status(p: Promise<unknown>): Promise<{ http: number; code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof TRPCClientError, String(e));
    const d = e.data as { httpStatus: number; cairnCode: string };
    return { http: d.httpStatus, code: d.cairnCode, message: e.message };
  }
  assert.fail('expected an error');
}

describe('events API over HTTP (fake node)', () => {
  let server: LogServer;
  before(async () => {
    const node = new FakeLog();
    const tokens = new TokenAuthenticator({
      version: 1,
      tokens: [
        { source: 'bastion', sha256: sha(WRITER), quota: { entriesPerMinute: 1_000_000 } },
        { source: 'auditor', role: 'reader', sha256: sha(READER), quota: { entriesPerMinute: 1 } },
        { source: 'dpo', role: 'admin', sha256: sha(ADMIN), quota: { entriesPerMinute: 1 } },
      ],
    });
    server = await startLogServer({ node, events: new FakeEventStore(node), listen: { host: '127.0.0.1', port: 0 }, tokens });
  });
  after(() => server.close());

  test('wire statuses: 403 wrong role, 400 invalid event without values, 409 sequence conflict, 410 erased', async () => {
    const writer = createLogClient(server.url, { token: WRITER });
    const reader = createLogClient(server.url, { token: READER });
    const admin = createLogClient(server.url, { token: ADMIN });
    const r = await writer.events.submit.mutate({ events: [logon(0), logon(1)], seqs: ['0', '1'] });
    assert.deepEqual(r.indices, ['0', '1']);

    let s = await status(reader.events.submit.mutate({ events: [logon(2)] }));
    assert.deepEqual([s.http, s.code], [403, 'forbidden']);
    s = await status(writer.events.get.query({ index: '0' }));
    assert.deepEqual([s.http, s.code], [403, 'forbidden']);
    s = await status(writer.events.submit.mutate({ events: [logon(2, 'not-an-ip-mallory')] }));
    assert.deepEqual([s.http, s.code], [400, 'invalid-event']);
    assert.doesNotMatch(s.message, /mallory|198\.51/);
    s = await status(writer.events.submit.mutate({ events: [logon(5)], seqs: ['7'] }));
    assert.deepEqual([s.http, s.code], [409, 'seq-gap']);

    await admin.events.erase.mutate({ indices: ['0'], reason: 'request 7' });
    const got = await reader.events.get.query({ index: '0' });
    assert.equal(got.erased?.by, 'dpo');
    s = await status(reader.events.prove.query({ index: '0' }));
    assert.deepEqual([s.http, s.code], [410, 'erased']);
    assert.match((await reader.events.prove.query({ index: '1' })).proof, /^cairn\.dev\/event-proof\/v1\n/);
    assert.match((await createLogClient(server.url).events.receiptKey.query()).vkey, /\/receipt\+/);
  });
});
