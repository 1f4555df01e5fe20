/**
 * PostgreSQL URLs (`postgres://user:password@host:port/db?sslmode=…`) as the index reads them:
 * told apart from a PGlite directory, and described for logs without the password or the query.
 * Apart from pg.ts so that callers can tell and describe a target without loading `pg`.
 */
import { DatabaseConnectionError } from './errors.js';

/** True when `target` is a PostgreSQL URL (`postgres://` or `postgresql://`), not a directory. */
export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target);
}

/**
 * The server of a PostgreSQL URL, for logs: `postgres://user@host:port/db`, without the password
 * or the query. Throws {@link DatabaseConnectionError} (never quoting the URL) when it is not a URL.
 */
export function describePostgresUrl(url: string): string {
  const u = parseUrl(url);
  const user = u.username === '' ? '' : `${decode(u.username)}@`;
  return `postgres://${user}${u.hostname || 'localhost'}:${u.port || '5432'}${decode(u.pathname)}`;
}

/**
 * Parses a PostgreSQL URL; errors never quote it (it may hold a password). A `password=` query
 * parameter is refused, so the password has two sources only: the URL's user part and
 * `PGPASSWORD`, both cut out of every message.
 */
export function parseUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new DatabaseConnectionError('the PostgreSQL URL is not a URL (postgres://user@host:port/database)');
  }
  if (!isPostgresUrl(url)) throw new DatabaseConnectionError('a PostgreSQL URL starts with postgres:// or postgresql://');
  // `pg` would take a password from the query too, but a query is what tools print and log
  // without a second thought: the password goes where it is kept out of every line we write.
  if (u.searchParams.has('password')) {
    throw new DatabaseConnectionError('the PostgreSQL URL has password= in its query: give the password in the URL (postgres://user:password@host:port/database) or in PGPASSWORD');
  }
  return u;
}

/** Percent-decoding, or the text as it is when it does not decode. */
export function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
