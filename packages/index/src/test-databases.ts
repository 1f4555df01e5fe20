/**
 * Test support, not exported from the package: the two databases the index runs on, so that one
 * suite runs on both. PGlite in a temporary directory always; a PostgreSQL server when
 * `CAIRN_TEST_PG_URL` names one (`postgres://user:password@host:port/db`, a role that may create
 * databases; `.ci/run` sets it up), otherwise the server's tests are skipped and say why. Each
 * test database on the server is a new database created for it and dropped after, so runs (and
 * test files running at once) never see each other's rows.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { SqlDatabase } from './event-index.js';
import { openPglite } from './pglite.js';
import { describePostgresUrl, openPostgres } from './pg.js';

/** One database for a test: open it (again) after closing, drop it at the end. */
export interface TestDatabase {
  /** A new connection to the same database (PGlite: one open at a time). */
  open(): Promise<SqlDatabase>;
  /** PostgreSQL: the database's URL (with the password), for a process to connect to. */
  readonly url?: string;
  /** What another process opens: the PGlite directory, or the URL. */
  readonly target: string;
  /** Runs `sql` as the test role outside the index's connections (a second connection). */
  admin?(sql: string, params?: unknown[]): Promise<unknown[]>;
  /** Removes the database. */
  drop(): Promise<void>;
}

export interface TestBackend {
  readonly name: 'PGlite' | 'PostgreSQL';
  /** Why this backend's tests are skipped, or undefined. */
  readonly skip: string | undefined;
  /** A new, empty database. */
  create(): Promise<TestDatabase>;
}

/** The PostgreSQL server for the tests, or undefined. */
export const TEST_PG_URL = process.env['CAIRN_TEST_PG_URL'] || undefined;

const pglite: TestBackend = {
  name: 'PGlite',
  skip: undefined,
  async create() {
    const dir = await mkdtemp(join(tmpdir(), 'cairn-index-'));
    const target = join(dir, 'db');
    return { target, open: () => openPglite(target), drop: () => rm(dir, { recursive: true, force: true }) };
  },
};

const postgres: TestBackend = {
  name: 'PostgreSQL',
  skip: TEST_PG_URL === undefined ? 'CAIRN_TEST_PG_URL not set: no PostgreSQL server to test the index on (.ci/run starts one; README, "Tests")' : undefined,
  async create() {
    const url = TEST_PG_URL!;
    const name = `cairn_test_${process.pid}_${Buffer.from(crypto.getRandomValues(new Uint8Array(6))).toString('hex')}`;
    const u = new URL(url);
    u.pathname = `/${name}`;
    const dbUrl = u.toString();
    // Connected to the URL's own database to create and drop the test's.
    const withAdmin = async <T>(fn: (c: pg.Client) => Promise<T>, database?: string): Promise<T> => {
      const c = new pg.Client({ connectionString: database === undefined ? url : dbUrl, application_name: 'cairn-test-admin' });
      c.on('error', () => undefined);
      try {
        await c.connect();
      } catch (e) {
        throw new Error(`cannot connect to ${describePostgresUrl(database === undefined ? url : dbUrl)} (CAIRN_TEST_PG_URL): ${(e as Error).message}`);
      }
      try {
        return await fn(c);
      } finally {
        await c.end().catch(() => undefined);
      }
    };
    await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
    return {
      url: dbUrl,
      target: dbUrl,
      open: () => openPostgres(dbUrl),
      admin: (sql, params) => withAdmin(async (c) => (await c.query(sql, params)).rows, name),
      drop: () => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
    };
  },
};

/** PGlite, and the PostgreSQL server of `CAIRN_TEST_PG_URL` (skipped without it). */
export const TEST_BACKENDS: readonly TestBackend[] = [pglite, postgres];
