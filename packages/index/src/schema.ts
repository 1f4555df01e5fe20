/**
 * The index schema, in PostgreSQL SQL that runs unchanged on PGlite (the embedded default) and on
 * a PostgreSQL server (scaled out): one row per indexed event, and one state row holding the
 * cursor (the first log index not yet looked at) and the schema version. Table names start with
 * `search_` so the index can share a database with the log's own tables.
 *
 * Indexes: the primary key on `idx` serves "newest first" (`ORDER BY idx DESC`) and paging
 * (`idx < cursor`); B-trees on the integer and keyword columns; one GIN index over the array
 * columns (`@>`) and one over the tsvector (`@@`).
 *
 * The planner needs statistics to choose among them (a rare address through the GIN index, a
 * common phrase by walking `idx` backwards and stopping at the 100th hit), and embedded PGlite
 * runs no autovacuum: the index runs `ANALYZE` itself and records in `analyzed_to` the cursor at
 * which it last did (event-index.ts).
 */

/** Version of the schema below; a database with another version is refused (rebuild it). */
export const SCHEMA_VERSION = 2;

/**
 * Upgrades in place from an older version, each a list of statements run in one transaction with
 * the version change. Version 1 lacked the status index and `analyzed_to`; its rows are the same,
 * so it is migrated (the index is built over the existing rows) rather than rebuilt.
 */
export const MIGRATIONS: ReadonlyMap<number, readonly string[]> = new Map([
  [1, [
    'ALTER TABLE search_state ADD COLUMN IF NOT EXISTS analyzed_to bigint NOT NULL DEFAULT 0',
    'CREATE INDEX IF NOT EXISTS search_events_status ON search_events (status_id, idx)',
  ]],
]);

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS search_state (
  id integer PRIMARY KEY CHECK (id = 1),
  schema_version integer NOT NULL,
  next_index bigint NOT NULL CHECK (next_index >= 0),
  skipped bigint NOT NULL DEFAULT 0,
  analyzed_to bigint NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS search_events (
  idx bigint PRIMARY KEY CHECK (idx >= 0),
  source text NOT NULL,
  seq bigint NOT NULL,
  event_time bigint NOT NULL,
  class_uid integer NOT NULL,
  activity_id integer NOT NULL,
  status_id integer NOT NULL,
  severity_id integer NOT NULL,
  api_operation text NOT NULL,
  actors text[] NOT NULL,
  users text[] NOT NULL,
  src_ips text[] NOT NULL,
  resource_types text[] NOT NULL,
  resource_names text[] NOT NULL,
  resource_namespaces text[] NOT NULL,
  tsv tsvector NOT NULL
);
CREATE INDEX IF NOT EXISTS search_events_source ON search_events (source, seq);
CREATE INDEX IF NOT EXISTS search_events_time ON search_events (event_time);
CREATE INDEX IF NOT EXISTS search_events_class ON search_events (class_uid, idx);
CREATE INDEX IF NOT EXISTS search_events_status ON search_events (status_id, idx);
CREATE INDEX IF NOT EXISTS search_events_severity ON search_events (severity_id, idx);
CREATE INDEX IF NOT EXISTS search_events_operation ON search_events (api_operation, idx);
CREATE INDEX IF NOT EXISTS search_events_arrays ON search_events
  USING gin (actors, users, src_ips, resource_types, resource_names, resource_namespaces);
CREATE INDEX IF NOT EXISTS search_events_text ON search_events USING gin (tsv);
`;

/** Columns of a row, in insert order; each value is bound with the cast beside it. */
export const ROW_COLUMNS: readonly (readonly [string, string])[] = [
  ['idx', 'bigint'], ['source', 'text'], ['seq', 'bigint'], ['event_time', 'bigint'], ['class_uid', 'integer'],
  ['activity_id', 'integer'], ['status_id', 'integer'], ['severity_id', 'integer'], ['api_operation', 'text'],
  ['actors', 'text[]'], ['users', 'text[]'], ['src_ips', 'text[]'], ['resource_types', 'text[]'],
  ['resource_names', 'text[]'], ['resource_namespaces', 'text[]'], ['tsv', 'tsvector'],
];
