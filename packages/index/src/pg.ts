/**
 * The index on a PostgreSQL server (the scaled-out deployment): a {@link SqlDatabase} over a `pg`
 * connection pool, running the same schema and SQL as embedded PGlite (pglite.ts). Loaded only
 * when a `postgres://` URL is given, so the embedded default never loads `pg`.
 *
 * What the adapter must match of PGlite:
 * - 64-bit integers come back as `bigint` (exact), through a type parser set on this pool's
 *   connections only (never `pg`'s global parsers, which other code in the process may rely on);
 *   `text[]` comes back as string arrays, and array and `tsvector` parameters are bound as text
 *   with the SQL's casts, as on PGlite.
 * - A session ({@link SqlDatabase.session}: the erasure scrub) runs on one connection checked
 *   out for it, outside a transaction; a session that fails discards its connection.
 * - A transaction runs on one connection, checked out of the pool for its duration, in
 *   REPEATABLE READ: its statements see one snapshot, as on single-connection PGlite, so a search
 *   page's hits and its `indexedTo` cursor agree. Two indexers on one database still cannot both
 *   advance: the cursor's compare-and-swap (event-index.ts) finds the row changed, or the server
 *   refuses the second writer with a serialization failure; either way that batch rolls back.
 *
 * A connection that drops (server restart, network, an administrator's `pg_terminate_backend`)
 * fails the call in progress with a {@link DatabaseConnectionError} naming the server; a
 * transaction it interrupts rolls back on the server, and one that dropped during COMMIT may or
 * may not have committed: the cursor says which, since rows and cursor commit together and rows
 * are upserted. The connection is discarded; the next call opens a new one (the follower retries
 * on its next run). Idle connections that die are dropped by the pool without crashing the
 * process.
 *
 * The password (from the URL, or `PGPASSWORD` as libpq reads it) never appears in an error or a
 * log line: messages name the server as `postgres://user@host:port/db` and every message the
 * adapter passes on has the password cut out. TLS follows the URL's `sslmode` as `pg` reads it
 * (`verify-full` and `require` check the certificate and host name; `sslrootcert=FILE` names a
 * private CA; `no-verify` encrypts without checking; `disable` is plain TCP).
 */
import pg from 'pg';
import { DatabaseConnectionError } from './errors.js';
import { decode, describePostgresUrl, parseUrl } from './pg-url.js';
import type { SqlDatabase, SqlQueryable, SqlSession } from './event-index.js';

export { describePostgresUrl, isPostgresUrl } from './pg-url.js';

const INT8 = 20;
const INT8_ARRAY = 1016;
const TEXT_ARRAY = 1009;

/** Connections the pool keeps at most: one writer at a time, the rest for searches. */
export const DEFAULT_PG_POOL_SIZE = 4;
/** How long opening one connection may take, ms. */
export const PG_CONNECT_TIMEOUT_MS = 10_000;

export interface PostgresOptions {
  /** Most connections at once (default {@link DEFAULT_PG_POOL_SIZE}). */
  readonly max?: number;
  /** An idle connection failed (it is dropped; the next call opens a new one). Redacted. */
  readonly onIdleError?: (message: string) => void;
}

/** A PostgreSQL index database: a {@link SqlDatabase}, and the server it talks to, for logs. */
export interface PostgresDatabase extends SqlDatabase {
  /** `postgres://user@host:port/db`: no password, no query parameters. */
  readonly server: string;
}

/**
 * What a failed call of the adapter throws. Only an error the server sent (`pg`'s DatabaseError)
 * carries a SQLSTATE: a statement it refused keeps its SQLSTATE, which is what the index reports
 * (event-index.ts), as its text may quote a row's value; refusals of the connection itself
 * (classes 08, 28, 3D, 57P: connection, authentication, no such database, shut down) say what to
 * fix, and quote none. Anything else (a socket error such as `EPIPE` or `ECONNRESET`, the
 * connection ending, a timeout) is the connection failing: a {@link DatabaseConnectionError}
 * naming the server, whatever its `code` looks like.
 */
export function failure(e: unknown, server: string, doing: string, redact: (text: string) => string): Error {
  const err = e instanceof Error ? e : new Error(String(e));
  if (err instanceof pg.DatabaseError && /^[0-9A-Z]{5}$/.test(err.code ?? '') && !/^(08|28|3D|57P)/.test(err.code!)) {
    err.message = redact(err.message);
    return err;
  }
  const code = (err as { code?: unknown }).code;
  return new DatabaseConnectionError(`PostgreSQL ${server}: ${doing}: ${redact(err.message)}${typeof code === 'string' ? ` (${code})` : ''}`);
}

/**
 * Opens a pool on the server of `url` and checks that it answers (so a wrong host or password
 * shows at start-up, not at the first search).
 */
export async function openPostgres(url: string, opts: PostgresOptions = {}): Promise<PostgresDatabase> {
  const server = describePostgresUrl(url);
  const u = parseUrl(url);
  const secrets = [decode(u.password), u.password, process.env['PGPASSWORD'] ?? ''].filter((s) => s.length > 0);
  const redact = (text: string): string => secrets.reduce((t, s) => t.split(s).join('***'), text);
  const fail = (e: unknown, doing: string): Error => failure(e, server, doing, redact);
  const max = opts.max ?? DEFAULT_PG_POOL_SIZE;
  if (!Number.isSafeInteger(max) || max < 1) throw new DatabaseConnectionError('max: a positive integer');
  const textArray = (pg.types.getTypeParser as (oid: number, format: string) => unknown)(TEXT_ARRAY, 'text') as (v: string) => (string | null)[];
  const types = {
    getTypeParser: (oid: number, format?: 'text' | 'binary') => {
      if (oid === INT8) return (v: string) => BigInt(v);
      if (oid === INT8_ARRAY) return (v: string) => textArray(v).map((x) => (x === null ? null : BigInt(x)));
      return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text');
    },
  };
  let pool: pg.Pool;
  try {
    pool = new pg.Pool({
      connectionString: url, max, types, keepAlive: true, connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS, application_name: 'cairn-index',
    });
  } catch (e) {
    throw fail(e, 'bad connection settings'); // e.g. an sslrootcert file that cannot be read
  }
  // An idle connection that dies emits 'error' on the pool; unhandled, that would end the process.
  pool.on('error', (e) => opts.onIdleError?.(fail(e, 'idle connection lost').message));
  const run = async (target: pg.Pool | pg.PoolClient, sql: string, params?: unknown[], doing = 'query failed'): Promise<{ rows: never[] }> => {
    try {
      const r = await target.query(params === undefined ? sql : { text: sql, values: params });
      return { rows: (Array.isArray(r) ? [] : r.rows) as never[] };
    } catch (e) {
      throw fail(e, doing);
    }
  };
  const checkOut = async (): Promise<pg.PoolClient> => {
    try {
      return await pool.connect();
    } catch (e) {
      throw fail(e, 'cannot connect');
    }
  };
  // A checked-out connection that dies between statements emits 'error' on the client: the next
  // statement fails, which is how the session or transaction learns of it.
  const ignore = (): void => undefined;
  const db: PostgresDatabase = {
    server,
    query: <T>(sql: string, params?: unknown[]) => run(pool, sql, params ?? []) as Promise<{ rows: T[] }>,
    exec: (sql: string) => run(pool, sql),
    async session<T>(fn: (s: SqlSession) => Promise<T>): Promise<T> {
      const client = await checkOut();
      client.on('error', ignore);
      let discard = false;
      try {
        return await fn({
          query: <R>(sql: string, params?: unknown[]) => run(client, sql, params ?? []) as Promise<{ rows: R[] }>,
          exec: (sql: string) => run(client, sql),
        });
      } catch (e) {
        discard = true; // with whatever session state the failure left on it
        throw e;
      } finally {
        client.off('error', ignore);
        client.release(discard);
      }
    },
    async transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
      const client = await checkOut();
      client.on('error', ignore);
      let discard = false;
      try {
        await run(client, 'BEGIN ISOLATION LEVEL REPEATABLE READ');
        const tx: SqlQueryable = { query: <R>(sql: string, params?: unknown[]) => run(client, sql, params ?? []) as Promise<{ rows: R[] }> };
        const result = await fn(tx);
        try {
          await client.query('COMMIT');
        } catch (e) {
          discard = true;
          throw fail(e, 'COMMIT failed (if the connection dropped, the transaction may have committed: the index cursor says which)');
        }
        return result;
      } catch (e) {
        if (!discard) await client.query('ROLLBACK').catch(() => { discard = true; });
        throw e;
      } finally {
        client.off('error', ignore);
        client.release(discard);
      }
    },
    async close() {
      await pool.end();
    },
  };
  try {
    await run(pool, 'SELECT 1', [], 'cannot connect');
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw e;
  }
  return db;
}
