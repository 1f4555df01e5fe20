/**
 * The embedded index database: PGlite (PostgreSQL compiled to WebAssembly, in this process),
 * persisted to a directory, or in memory without one. Nothing to compile at install. 64-bit
 * integers come back as `bigint`. One process may open a directory at a time.
 */
import { PGlite, types } from '@electric-sql/pglite';
import type { SqlDatabase, SqlSession } from './event-index.js';

/** Opens (creating if needed) a PGlite database in `dir`, or in memory when `dir` is undefined. */
export async function openPglite(dir?: string): Promise<SqlDatabase> {
  const db = await PGlite.create(dir, { parsers: { [types.INT8]: (x: string) => BigInt(x) } });
  // One connection: a session is that connection.
  return Object.assign(db, { session: <T>(fn: (s: SqlSession) => Promise<T>): Promise<T> => fn(db as unknown as SqlSession) }) as unknown as SqlDatabase;
}
