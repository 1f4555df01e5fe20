// The `pg` adapter itself: URLs are recognised and described without the password; a server that
// refuses the connection or the password gives an error naming the server and never the
// password; on a real server (CAIRN_TEST_PG_URL, a new database for the run) 64-bit integers
// come back as exact bigints and text arrays as PGlite returns them, while `pg`'s global type
// parsers stay as they were. The index's behaviour on the server is tested in event-index.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linkSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { IndexError, DatabaseConnectionError } from './errors.js';
import { EventIndex } from './event-index.js';
import { describePostgresUrl, failure, isPostgresUrl, openPostgres } from './pg.js';
import { MemoryStore } from './test-support.js';
import { TEST_BACKENDS, TEST_PG_URL } from './test-databases.js';

const server = TEST_BACKENDS.find((b) => b.name === 'PostgreSQL')!;

test('PostgreSQL URLs are told from directories and described without the password or the query', () => {
  assert.ok(isPostgresUrl('postgres://u@h/db'));
  assert.ok(isPostgresUrl('POSTGRESQL://h/db'));
  assert.ok(!isPostgresUrl('/var/lib/cairn/index'));
  assert.ok(!isPostgresUrl('postgres-index'));
  assert.equal(describePostgresUrl('postgres://audit:p%40ss@db.example:6543/cairn?sslmode=verify-full'), 'postgres://audit@db.example:6543/cairn');
  assert.equal(describePostgresUrl('postgresql://db.example/cairn'), 'postgres://db.example:5432/cairn');
  assert.throws(() => describePostgresUrl('postgres://audit:hunter2@[bad/cairn'), (e: unknown) => e instanceof DatabaseConnectionError && !e.message.includes('hunter2'));
});

test('a password in the query is refused, pointing to the supported ways, and never quoted', async () => {
  const url = 'postgres://audit@127.0.0.1:1/cairn?sslmode=disable&password=q-secret-77';
  const refused = (e: unknown): boolean => e instanceof DatabaseConnectionError && /password= in its query: .*PGPASSWORD$/.test(e.message) && !e.message.includes('q-secret-77');
  assert.throws(() => describePostgresUrl(url), refused);
  await assert.rejects(openPostgres(url), refused);
  await assert.rejects(openPostgres('postgres://audit@127.0.0.1:1/cairn?password='), refused);
});

test('a server that is not there: the error names it, not the password', async () => {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const e = await openPostgres(`postgres://audit:hunter2@127.0.0.1:${port}/cairn`).then(() => assert.fail('connected'), (x: unknown) => x);
  assert.ok(e instanceof DatabaseConnectionError);
  assert.match(e.message, new RegExp(`^PostgreSQL postgres://audit@127\\.0\\.0\\.1:${port}/cairn: cannot connect: .*ECONNREFUSED`));
  assert.ok(!e.message.includes('hunter2'));
});

test('a socket error is a connection error, whatever its code looks like: only the server\'s errors carry a SQLSTATE', async () => {
  // A real system error with a five-letter code (link(2) on a directory: EPERM), as EPIPE or
  // EBUSY from a dropped socket would be: not a SQLSTATE, so not "index database failed".
  const dir = mkdtempSync(join(tmpdir(), 'cairn-pg-'));
  let sys: unknown;
  try {
    linkSync(dir, join(dir, 'link'));
  } catch (e) {
    sys = e;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal((sys as { code?: string }).code, 'EPERM');
  const e = failure(sys, 'postgres://audit@db:5432/cairn', 'query failed', (t) => t);
  assert.ok(e instanceof DatabaseConnectionError);
  assert.match(e.message, /^PostgreSQL postgres:\/\/audit@db:5432\/cairn: query failed: .*\(EPERM\)$/);

  // A server that accepts the connection and then drops it, through the adapter.
  const dropper = createServer((socket) => socket.once('data', () => socket.resetAndDestroy()));
  await new Promise<void>((r) => dropper.listen(0, '127.0.0.1', r));
  try {
    const port = (dropper.address() as { port: number }).port;
    const x = await openPostgres(`postgres://audit:hunter2@127.0.0.1:${port}/cairn?sslmode=disable`).then(() => assert.fail('connected'), (y: unknown) => y);
    assert.ok(x instanceof DatabaseConnectionError, String(x));
    assert.match(x.message, new RegExp(`^PostgreSQL postgres://audit@127\\.0\\.0\\.1:${port}/cairn: cannot connect: `));
    assert.ok(!x.message.includes('hunter2'));
  } finally {
    await new Promise<void>((r) => dropper.close(() => r()));
  }
});

test('on a server: a connection the server terminates is a connection error, and the next call opens a new one', { skip: server.skip }, async () => {
  const tdb = await server.create();
  try {
    const db = await tdb.open();
    try {
      const e = await db.query('SELECT pg_terminate_backend(pg_backend_pid())').then(() => assert.fail('not terminated'), (x: unknown) => x);
      assert.ok(e instanceof DatabaseConnectionError, String(e));
      assert.match(e.message, /: query failed: .*\(57P01\)$/);
      const x = await db.transaction((tx) => tx.query('SELECT pg_terminate_backend(pg_backend_pid())')).then(() => assert.fail('not terminated'), (y: unknown) => y);
      assert.ok(x instanceof DatabaseConnectionError, String(x));
      assert.deepEqual((await db.query<{ one: number }>('SELECT 1 AS one')).rows, [{ one: 1 }]);
    } finally {
      await db.close();
    }
  } finally {
    await tdb.drop();
  }
});

test('on a server: a wrong password is refused clearly; bigint is exact; text arrays as on PGlite; global parsers untouched', { skip: server.skip }, async () => {
  const tdb = await server.create();
  try {
    const u = new URL(TEST_PG_URL!);
    u.password = 'not-the-password-4f1c';
    const e = await openPostgres(u.toString()).then(() => assert.fail('connected'), (x: unknown) => x);
    assert.ok(e instanceof DatabaseConnectionError);
    assert.match(e.message, /cannot connect: .*\(28P01\)$/);
    assert.ok(!e.message.includes('not-the-password-4f1c'));

    const db = await tdb.open();
    try {
      const r = await db.query<{ big: bigint; neg: bigint; n: bigint; arr: string[]; bigs: bigint[] }>(
        `SELECT 9223372036854775807::bigint AS big, $1::bigint AS neg, count(*) AS n, $2::text[] AS arr, ARRAY[$1::bigint, 9007199254740993] AS bigs FROM (VALUES (1), (2)) v`,
        [-9007199254740993n, ['a"b', 'NULL', '{x}', 'back\\slash', "it's", 'zoë', '']],
      );
      assert.deepEqual(r.rows, [{ big: 9223372036854775807n, neg: -9007199254740993n, n: 2n, arr: ['a"b', 'NULL', '{x}', 'back\\slash', "it's", 'zoë', ''], bigs: [-9007199254740993n, 9007199254740993n] }]);
      // Other code in the process keeps pg's defaults: int8 as a string.
      assert.equal(pg.types.getTypeParser(20, 'text')('5'), '5');
      // A refused statement reaches the index as its SQLSTATE only (its text could quote a value).
      const index = await EventIndex.open(db, new MemoryStore());
      await db.exec('ALTER TABLE search_state ADD CONSTRAINT small CHECK (next_index < 0) NOT VALID');
      const x = await index.rebuild().then(() => assert.fail('rebuilt'), (y: unknown) => y);
      assert.ok(x instanceof IndexError && x.code === 'database');
      assert.equal(x.message, 'index database failed (SQLSTATE 23514)');
    } finally {
      await db.close();
    }
  } finally {
    await tdb.drop();
  }
});
