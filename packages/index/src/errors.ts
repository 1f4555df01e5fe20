/**
 * The errors of @cairn/index. `QueryError` points at a position of the query (a 1-based column
 * and a caret line), so a person can see what to fix; `IndexError` is everything else (the index
 * database, the event store behind it). Codes are strings, as everywhere in Cairn; messages never
 * quote event contents (user names, addresses), only the query text the caller sent.
 */

/** Codes of {@link QueryError}. */
export type QueryErrorCode =
  | 'empty' // nothing to search for
  | 'too-long' // longer than MAX_QUERY_LENGTH
  | 'too-deep' // parentheses / NOT nested deeper than MAX_QUERY_DEPTH
  | 'too-many-terms' // more than MAX_QUERY_TERMS terms
  | 'bad-character' // a control character
  | 'unexpected' // a token where another was expected
  | 'unterminated' // a quote or a parenthesis not closed
  | 'unknown-field'
  | 'bad-value' // a value the field does not take (a date that does not exist, an unknown class…)
  | 'no-range'; // a comparison on a field without an order

/** A query that cannot be parsed: `position` is a 0-based offset into the query (UTF-16 units). */
export class QueryError extends Error {
  override readonly name = 'QueryError';
  constructor(
    readonly code: QueryErrorCode,
    readonly position: number,
    message: string,
  ) {
    super(message);
  }
  /** 1-based column of the position. */
  get column(): number {
    return this.position + 1;
  }
}

/**
 * Formats a query error for a terminal: `column N: message`, the query, and a caret under the
 * position. Queries longer than a line are cut around the position so the caret stays visible.
 */
export function formatQueryError(query: string, err: QueryError): string {
  const width = 80;
  let start = 0;
  if (query.length > width) start = Math.max(0, Math.min(err.position - width / 2, query.length - width));
  const shown = query.slice(start, start + width).replace(/[\u0000-\u001f\u007f]/g, ' ');
  const prefix = start > 0 ? '…' : '';
  const caret = ' '.repeat(prefix.length + Math.max(0, Math.min(err.position - start, shown.length))) + '^';
  return `column ${err.column}: ${err.message}\n  ${prefix}${shown}\n  ${caret}`;
}

/** Codes of {@link IndexError}. */
export type IndexErrorCode =
  | 'bad-option' // an option out of its bounds
  | 'closed' // the index was closed
  | 'schema' // the database holds another schema version
  | 'store' // the event store failed (the cursor did not move)
  | 'database'; // the index database failed

/** An error of the index or of the store it reads. */
export class IndexError extends Error {
  override readonly name = 'IndexError';
  constructor(
    readonly code: IndexErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The connection to the index database failed (it cannot be opened, or it dropped): the message
 * names the server and the cause, never a password and never row data, so the index passes it
 * on (a refused statement is reported by its SQLSTATE only, as its text may quote a value).
 */
export class DatabaseConnectionError extends Error {
  override readonly name = 'DatabaseConnectionError';
}
