/**
 * @cairn/index — search over the event store: a Lucene/KQL-style query language (query.ts), the
 * fields the index keeps of each event (fields.ts), the query compiled to parameterised SQL
 * (sql.ts), and the index itself (event-index.ts) in PostgreSQL SQL that runs on PGlite embedded
 * (pglite.ts) and on a PostgreSQL server (pg.ts, `@cairn/index/pg`, loaded apart so that the
 * embedded default never loads `pg`). The index is derived and untrusted: it answers *where*
 * matching events are; their bodies and inclusion proofs come from the log. Design:
 * docs/design/search.md.
 *
 * ```ts
 * import { EventIndex, openPglite, parseQuery, formatQueryError, QueryError } from '@cairn/index';
 *
 * const index = await EventIndex.open(await openPglite('/var/lib/cairn/index'), {
 *   size: async () => (await node.checkpoint()).size,     // what the store answers for
 *   getEvent: (i) => node.getEvent(i),
 * });
 * await index.catchUp();                                    // batches of rows + cursor, one transaction each
 * const follower = startFollower(index);                    // and from now on, keep up
 * node.onCheckpoint(() => follower.notify());
 * const page = await index.search('actor:alice class:api_activity time>=now-7d', { now: Date.now(), limit: 100 });
 * // page.hits: [{ index, source, seq, time, classUid }] newest first; page.next: the cursor of the next page
 * try { parseQuery('actor:alice AND (') } catch (e) { if (e instanceof QueryError) console.log(formatQueryError('actor:alice AND (', e)) }
 * ```
 */
export * from './language.js';
export { compileWhere, type SqlWhere } from './sql.js';
export { SCHEMA_SQL, SCHEMA_VERSION } from './schema.js';
export * from './event-index.js';
export { startFollower, DEFAULT_FOLLOW_INTERVAL_MS, type Follower, type FollowerOptions } from './follower.js';
export { openPglite } from './pglite.js';
export { describePostgresUrl, isPostgresUrl } from './pg-url.js';
