/**
 * The search index over the event store: derived data, rebuilt on demand, never trusted (every
 * hit is proven against a checkpoint by whoever serves it). It reads the store through a small
 * interface it owns ({@link IndexedStore}), keeps its rows in a PostgreSQL database (PGlite
 * embedded, pglite.ts, or a server) and its own cursor beside them.
 *
 * Never skips: the indexer reads events `[cursor, cursor + batch)` from the store, and writes
 * their rows **and** the new cursor in one transaction; the cursor update is a compare-and-swap
 * on the old value, so two indexers on one database cannot both advance it. After a crash the
 * database holds either the whole batch and the new cursor or neither, and indexing resumes from
 * the cursor. A store error stops the run with the cursor where it was.
 *
 * Erasure: an erased event has no body and is never indexed; one erased after it was indexed is
 * removed when the indexer reads the log's erasure record (fields.ts, `erases`: in the same
 * transaction as that record's batch), and sooner by {@link EventIndex.onErased} (the node can
 * call it after `eraseEvents`) or {@link EventIndex.recheck} (a server that finds a hit's body
 * gone).
 *
 * A DELETE only marks rows dead: the values (user names, IPs, text) would stay in the table's
 * pages, in its B-tree and GIN indexes (GIN keeps a key even when no row has it any more) and in
 * the write-ahead log, and embedded PGlite runs no autovacuum. So after every write that removed
 * rows (an erasure record's batch, `onErased`, `recheck`, `rebuild`) the index scrubs, once per
 * such write ({@link EventIndexOptions.eraseScrub}): `VACUUM FULL search_events` rewrites the
 * table and its indexes into new files (the old ones are unlinked at the next checkpoint), then
 * with WAL recycling off for the session `pg_switch_wal()` and `CHECKPOINT` start a new WAL
 * segment and delete the old ones, which held the inserted rows. All on one connection
 * ({@link SqlDatabase.session}), which gets `wal_recycle` back (RESET) before it returns to the
 * pool: the setting never leaks to the searches and batches that use that connection next. A test scans every file of a
 * closed PGlite directory for an erased user name. Cost: a rewrite of the whole table, ~0.2 s
 * for 300 rows and ~1.7 s for 20,000 on a small machine, during which this index writes and
 * answers nothing else; erasures are rare admin or retention actions, one scrub each. A scrub
 * that fails is retried before the next write.
 *
 * Statistics: PostgreSQL's planner chooses between walking `idx` backwards until the page is full
 * and collecting a rare value's rows through an index, and without statistics it guesses (a
 * query with one hit walked all 200,000 rows). Embedded PGlite runs no autovacuum, so the indexer
 * runs `ANALYZE` itself during a catch-up, after {@link DEFAULT_ANALYZE_AFTER} entries and then
 * each time the cursor has grown by a fifth since the last one (recorded in the state row, so a
 * restart or a rebuild keeps the schedule); each samples a bounded number of rows, ~1–3 s on a
 * large index. And after each catch-up that wrote rows it moves the GIN indexes' pending lists
 * (new entries kept unsorted, cheap to insert, which every search must read in full) into the
 * indexes proper, so a search never pays for them.
 *
 * Searching, newest first, is `… WHERE <filter> ORDER BY idx DESC LIMIT n`, and the planner's
 * estimate for a phrase assumes its words independent: `"cat /etc/shadow"`, in one event of six,
 * was estimated in one of 200 and answered by collecting and re-checking 33,000 rows (0.8 s)
 * instead of walking back 600. So a page first walks the newest {@link DEFAULT_SEARCH_WALK}
 * entries backwards with bitmap scans off (bounded: milliseconds, whatever the filter), which
 * fills the page for any term in one entry of twenty or more, then leaves the older entries to
 * the planner (a rare value through its index), in one transaction: the same rows in the same
 * order as one query.
 *
 * Lag: `store.size() − cursor`, the number of log entries not yet looked at.
 */
import { DatabaseConnectionError, IndexError } from './errors.js';
import { extractFields, type EventFields, type StoredEventLike } from './fields.js';
import { parseQuery, type ParseOptions, type Query } from './query.js';
import { MIGRATIONS, ROW_COLUMNS, SCHEMA_SQL, SCHEMA_VERSION } from './schema.js';
import { compileWhere } from './sql.js';
import { tsvectorText } from './text.js';

/**
 * What the index reads: the event store, owned by this consumer. `LogNode` of @cairn/log fits
 * with `size` returning the size of its latest signed tree.
 */
export interface IndexedStore {
  /**
   * The number of log entries for which `getEvent` answers definitively (an entry below it is an
   * event or is not, for good). The index never reads at or past it.
   */
  size(opts?: { signal?: AbortSignal }): Promise<bigint>;
  /** The stored event at `index`; undefined: the entry is not an event (a raw entry). */
  getEvent(index: bigint): Promise<StoredEventLike | undefined>;
}

/** The database the index writes: PGlite fits, and so does a thin adapter over `pg`. */
export interface SqlDatabase extends SqlQueryable {
  exec(sql: string): Promise<unknown>;
  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` on one connection, outside any transaction: for statements that cannot run in one
   * (VACUUM, CHECKPOINT) and for session settings, which `fn` must reset before it returns (the
   * connection goes back to the pool; on PGlite it is the only one).
   */
  session<T>(fn: (s: SqlSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
export interface SqlSession extends SqlQueryable {
  exec(sql: string): Promise<unknown>;
}
export interface SqlQueryable {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  query<T>(sql: string, params?: any[]): Promise<{ rows: T[] }>;
}

/** Events read and written per transaction. */
export const DEFAULT_BATCH_SIZE = 500;
/** Most events per batch (16 bound values per row stay far below PostgreSQL's 65,535). */
export const MAX_BATCH_SIZE = 2000;
/** Store reads in flight at once while a batch is read. */
export const READ_CONCURRENCY = 32;
/** Entries indexed before the first `ANALYZE` (module comment); the next ones wait for 20% growth. */
export const DEFAULT_ANALYZE_AFTER = 1000;
/** Newest entries a search walks backwards before the planner chooses (module comment). */
export const DEFAULT_SEARCH_WALK = 2048;
/** Hits per page unless asked. */
export const DEFAULT_SEARCH_LIMIT = 100;
/** Most hits per page. */
export const MAX_SEARCH_LIMIT = 1000;
/**
 * How long one statement of a search may run, ms, before the database cancels it: a slow search
 * must not hold one of the pool's few connections (the writer's too) for ever.
 */
export const DEFAULT_SEARCH_TIMEOUT_MS = 30_000;

export interface EventIndexOptions {
  batchSize?: number;
  /**
   * After rows were deleted: 'full' (default) rewrites the table and drops old WAL (see the
   * module comment; on a PostgreSQL server it needs the table's owner, and superuser or the
   * pg_checkpoint role and EXECUTE on pg_switch_wal); 'off' leaves it to the server's operator
   * (autovacuum does not remove the values from GIN keys or WAL).
   */
  eraseScrub?: 'full' | 'off';
  /** Entries indexed since the last `ANALYZE` before the next one, at least (default {@link DEFAULT_ANALYZE_AFTER}). */
  analyzeAfter?: number;
  /** Newest entries a search walks before the planner chooses (default {@link DEFAULT_SEARCH_WALK}). */
  searchWalk?: number;
  /**
   * Most time one statement of a search (`search`, `seqSpan`) may run, ms (default
   * {@link DEFAULT_SEARCH_TIMEOUT_MS}; 0: no limit). Set with `SET LOCAL statement_timeout` in the
   * search's own transaction, so the indexer's writes, `ANALYZE` and the erasure scrub are not bound.
   */
  searchTimeoutMs?: number;
  /** Test-only hooks, to crash at chosen points. */
  hooks?: {
    /** Inside the batch's transaction, after its rows are written and before the cursor moves. */
    beforeCursor?(from: bigint, to: bigint): void | Promise<void>;
    /** After a batch committed. */
    afterBatch?(from: bigint, to: bigint): void | Promise<void>;
  };
}

/** One hit: where the event is; its body and proof come from the store, not from the index. */
export interface SearchHit {
  readonly index: bigint;
  readonly source: string;
  readonly seq: bigint;
  readonly time: number;
  readonly classUid: number;
}

export interface SearchOptions extends ParseOptions {
  /** Hits per page, 1..{@link MAX_SEARCH_LIMIT}. */
  readonly limit?: number;
  /** Only events with a log index below this (the `next` of the previous page). */
  readonly before?: bigint;
  readonly signal?: AbortSignal;
}

export interface SearchPage {
  /** Newest first (log index descending). */
  readonly hits: SearchHit[];
  /** Pass as `before` for the next page; absent on the last page. */
  readonly next?: bigint;
  /** The cursor when the page was read: entries at or past it were not yet indexed. */
  readonly indexedTo: bigint;
}

export interface IndexStatus {
  /** First log index not yet looked at. */
  readonly cursor: bigint;
  /** The store's size when asked. */
  readonly size: bigint;
  /** `size − cursor`. */
  readonly lag: bigint;
  /** Rows in the index, when asked for (`countRows`: a full count, slow on a large index). */
  readonly rows?: bigint;
  /** Entries that held an event leaf the index could not read (counted, not indexed). */
  readonly skipped: bigint;
}

export class EventIndex {
  private readonly batchSize: number;
  private readonly analyzeAfter: bigint;
  private readonly searchWalk: bigint;
  private writing: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Rows were deleted and the scrub has not yet succeeded. */
  private scrubPending = false;

  private readonly searchTimeoutMs: number;

  private constructor(
    private readonly db: SqlDatabase,
    private readonly store: IndexedStore,
    private readonly opts: EventIndexOptions,
  ) {
    const b = opts.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isSafeInteger(b) || b < 1 || b > MAX_BATCH_SIZE) throw new IndexError('bad-option', `batchSize: an integer 1..${MAX_BATCH_SIZE}`);
    this.batchSize = b;
    const a = opts.analyzeAfter ?? DEFAULT_ANALYZE_AFTER;
    if (!Number.isSafeInteger(a) || a < 1) throw new IndexError('bad-option', 'analyzeAfter: a positive integer');
    this.analyzeAfter = BigInt(a);
    const w = opts.searchWalk ?? DEFAULT_SEARCH_WALK;
    if (!Number.isSafeInteger(w) || w < 1) throw new IndexError('bad-option', 'searchWalk: a positive integer');
    this.searchWalk = BigInt(w);
    const st = opts.searchTimeoutMs ?? DEFAULT_SEARCH_TIMEOUT_MS;
    if (!Number.isSafeInteger(st) || st < 0 || st > 2_147_483_647) throw new IndexError('bad-option', 'searchTimeoutMs: an integer 0..2147483647');
    this.searchTimeoutMs = st;
    if (opts.eraseScrub !== undefined && opts.eraseScrub !== 'full' && opts.eraseScrub !== 'off') {
      throw new IndexError('bad-option', "eraseScrub: 'full' or 'off'");
    }
  }

  /** Opens the index in `db` (creating the schema if it is new) over `store`. */
  static async open(db: SqlDatabase, store: IndexedStore, opts: EventIndexOptions = {}): Promise<EventIndex> {
    const index = new EventIndex(db, store, opts);
    await dbCall(() => migrate(db));
    await dbCall(async () => {
      await db.exec(SCHEMA_SQL);
      await db.query(`INSERT INTO search_state (id, schema_version, next_index) VALUES (1, $1, 0) ON CONFLICT (id) DO NOTHING`, [SCHEMA_VERSION]);
    });
    const rows = await dbCall(() => db.query<{ schema_version: number }>(`SELECT schema_version FROM search_state WHERE id = 1`));
    const v = rows.rows[0]?.schema_version;
    if (v !== SCHEMA_VERSION) throw new IndexError('schema', `the index database holds schema version ${String(v)}, not ${SCHEMA_VERSION}: rebuild it in a new directory`);
    return index;
  }

  /** The first log index not yet looked at. */
  async cursor(): Promise<bigint> {
    this.check();
    const r = await dbCall(() => this.db.query<{ next_index: bigint }>(`SELECT next_index FROM search_state WHERE id = 1`));
    return BigInt(r.rows[0]!.next_index);
  }

  /**
   * Cursor, store size, lag and skipped count: cheap, for `/metrics` and `status`. With
   * `countRows`, also the number of rows (a full count: seconds on millions of rows).
   */
  async status(opts: { signal?: AbortSignal; countRows?: boolean } = {}): Promise<IndexStatus> {
    this.check();
    const size = await storeCall(() => this.store.size(opts.signal === undefined ? {} : { signal: opts.signal }));
    const r = await dbCall(() =>
      this.db.query<{ next_index: bigint; skipped: bigint; rows: bigint | null }>(
        `SELECT next_index, skipped, CASE WHEN $1::boolean THEN (SELECT count(*) FROM search_events) END AS rows FROM search_state WHERE id = 1`,
        [opts.countRows === true],
      ),
    );
    const row = r.rows[0]!;
    const cursor = BigInt(row.next_index);
    const base = { cursor, size, lag: size > cursor ? size - cursor : 0n, skipped: BigInt(row.skipped) };
    return row.rows === null ? base : { ...base, rows: BigInt(row.rows) };
  }

  /**
   * Indexes everything the store holds past the cursor, batch by batch; returns how many events
   * were indexed and the new cursor. Serialised with the other writers of this object.
   */
  catchUp(opts: { signal?: AbortSignal; maxBatches?: number } = {}): Promise<{ indexed: number; cursor: bigint }> {
    return this.serial(() => this.runCatchUp(opts));
  }

  private async runCatchUp(opts: { signal?: AbortSignal; maxBatches?: number }): Promise<{ indexed: number; cursor: bigint }> {
    let indexed = 0;
    let cursor = await this.cursor();
    let analyzedTo = await this.analyzedTo();
    const size = await storeCall(() => this.store.size(opts.signal === undefined ? {} : { signal: opts.signal }));
    let batches = 0;
    while (cursor < size && (opts.maxBatches === undefined || batches < opts.maxBatches)) {
      opts.signal?.throwIfAborted();
      const to = cursor + BigInt(this.batchSize) < size ? cursor + BigInt(this.batchSize) : size;
      const rows: EventFields[] = [];
      let skipped = 0;
      for (let from = cursor; from < to; from += BigInt(READ_CONCURRENCY)) {
        const n = Number(to - from < BigInt(READ_CONCURRENCY) ? to - from : BigInt(READ_CONCURRENCY));
        const got = await storeCall(() => Promise.all(Array.from({ length: n }, (_, k) => this.store.getEvent(from + BigInt(k)))));
        for (let k = 0; k < n; k++) {
          const e = got[k];
          if (e === undefined || e.body === undefined) continue; // not an event, or erased
          if (e.index !== from + BigInt(k)) throw new IndexError('store', `the store answered index ${e.index} for ${from + BigInt(k)}`);
          const f = extractFields(e);
          if (f === undefined) skipped++;
          else rows.push(f);
        }
      }
      const deleted = await this.commitBatch(cursor, to, rows, rows.flatMap((f) => f.erases), skipped);
      if (deleted > 0) await this.scrub(true);
      await this.opts.hooks?.afterBatch?.(cursor, to);
      indexed += rows.length;
      cursor = to;
      batches++;
      const growth = analyzedTo / 5n > this.analyzeAfter ? analyzedTo / 5n : this.analyzeAfter;
      if (cursor - analyzedTo >= growth) {
        await this.analyze(cursor);
        analyzedTo = cursor;
      }
    }
    if (indexed > 0) await dbCall(() => this.db.query(`SELECT gin_clean_pending_list(c::regclass) FROM unnest(ARRAY['search_events_arrays', 'search_events_text']) AS c`));
    return { indexed, cursor };
  }

  private async analyzedTo(): Promise<bigint> {
    const r = await dbCall(() => this.db.query<{ analyzed_to: bigint }>(`SELECT analyzed_to FROM search_state WHERE id = 1`));
    return BigInt(r.rows[0]!.analyzed_to);
  }

  /** Refreshes the planner's statistics and records the cursor they were taken at. */
  private async analyze(cursor: bigint): Promise<void> {
    await dbCall(async () => {
      await this.db.exec('ANALYZE search_events');
      await this.db.query(`UPDATE search_state SET analyzed_to = $1::bigint WHERE id = 1`, [cursor]);
    });
  }

  /** Writes a batch; returns the number of rows its erasure records deleted. */
  private async commitBatch(from: bigint, to: bigint, rows: EventFields[], erases: bigint[], skipped: number): Promise<number> {
    return dbCall(() =>
      this.db.transaction(async (tx) => {
        if (rows.length > 0) {
          const { sql, params } = insertRows(rows);
          await tx.query(sql, params);
        }
        let deleted = 0;
        if (erases.length > 0) {
          deleted = (await tx.query(`DELETE FROM search_events WHERE idx = ANY($1::bigint[]) RETURNING idx`, [erases.map(String)])).rows.length;
        }
        await this.opts.hooks?.beforeCursor?.(from, to);
        const r = await tx.query<{ next_index: bigint }>(
          `UPDATE search_state SET next_index = $1::bigint, skipped = skipped + $2::bigint WHERE id = 1 AND next_index = $3::bigint RETURNING next_index`,
          [to, skipped, from],
        );
        if (r.rows.length !== 1) throw new IndexError('database', `the cursor moved under this indexer (expected ${from}): is another indexer writing this database?`);
        return deleted;
      }),
    );
  }

  /**
   * Removes deleted rows' bytes from the database files (module comment). `deleted`: rows were
   * just deleted; otherwise only a scrub that failed before is retried. Outside any transaction.
   */
  private async scrub(deleted: boolean): Promise<void> {
    if (deleted) this.scrubPending = true;
    if (!this.scrubPending || this.opts.eraseScrub === 'off') return;
    await dbCall(() => this.db.session(async (s) => {
      await s.exec('VACUUM FULL search_events');
      await s.exec('SET wal_recycle = off');
      let done = false;
      try {
        await s.query('SELECT pg_switch_wal()');
        await s.exec('CHECKPOINT');
        done = true;
      } finally {
        // After a failure, the failure is what to report (pg discards a connection whose session failed).
        await s.exec('RESET wal_recycle').catch((e: unknown) => { if (done) throw e; });
      }
    }));
    this.scrubPending = false;
  }

  /** Removes erased events from the index (the node calls it after an erasure). */
  onErased(indices: readonly bigint[]): Promise<number> {
    return this.serial(async () => {
      if (indices.length === 0) return 0;
      const r = await dbCall(() => this.db.query<{ idx: bigint }>(`DELETE FROM search_events WHERE idx = ANY($1::bigint[]) RETURNING idx`, [indices.map(String)]));
      if (r.rows.length > 0) await this.scrub(true);
      return r.rows.length;
    });
  }

  /** Asks the store again about these indexed events and removes those that are erased or gone. */
  async recheck(indices: readonly bigint[]): Promise<number> {
    const gone: bigint[] = [];
    for (const i of indices) {
      const e = await storeCall(() => this.store.getEvent(i));
      if (e === undefined || e.body === undefined) gone.push(i);
    }
    return this.onErased(gone);
  }

  /** Empties the index and sets the cursor to 0, in one transaction; then catches up. */
  rebuild(opts: { signal?: AbortSignal } = {}): Promise<{ indexed: number; cursor: bigint }> {
    return this.serial(async () => {
      await dbCall(() =>
        this.db.transaction(async (tx) => {
          await tx.query(`DELETE FROM search_events`);
          await tx.query(`UPDATE search_state SET next_index = 0, skipped = 0, analyzed_to = 0 WHERE id = 1`);
        }),
      );
      await this.scrub(true);
      return this.runCatchUp(opts);
    });
  }

  /** One page of hits, newest first. `query` is text (parsed here, {@link QueryError}) or parsed. */
  async search(query: string | Query, opts: SearchOptions = {}): Promise<SearchPage> {
    this.check();
    const limit = opts.limit ?? DEFAULT_SEARCH_LIMIT;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT) throw new IndexError('bad-option', `limit: an integer 1..${MAX_SEARCH_LIMIT}`);
    if (opts.before !== undefined && (typeof opts.before !== 'bigint' || opts.before < 0n)) throw new IndexError('bad-option', 'before: a log index');
    const q = typeof query === 'string' ? parseQuery(query, opts) : query;
    opts.signal?.throwIfAborted();
    const where = compileWhere(q, 1);
    const n = where.params.length;
    const sql = `SELECT idx, source, seq, event_time, class_uid FROM search_events WHERE ${where.sql}`
      + ` AND idx >= $${n + 1}::bigint AND idx < $${n + 2}::bigint ORDER BY idx DESC LIMIT $${n + 3}::integer`;
    type Row = { idx: bigint; source: string; seq: bigint; event_time: bigint; class_uid: number };
    const { hits, cursor } = await this.searchCall(() =>
      this.db.transaction(async (tx) => {
        await tx.query(`SET LOCAL statement_timeout = ${this.searchTimeoutMs}`);
        const c = await tx.query<{ next_index: bigint }>(`SELECT next_index FROM search_state WHERE id = 1`);
        const cursor = BigInt(c.rows[0]!.next_index);
        // Every row lies below the cursor. First a walk of the newest entries (module comment),
        // then the planner's own choice for the rest: the same rows, in the same order.
        const hi = opts.before !== undefined && opts.before < cursor ? opts.before : cursor;
        const mid = hi > this.searchWalk ? hi - this.searchWalk : 0n;
        await tx.query('SET LOCAL enable_bitmapscan = off');
        const hits = (await tx.query<Row>(sql, [...where.params, String(mid), String(hi), limit])).rows;
        await tx.query('RESET enable_bitmapscan');
        if (hits.length < limit && mid > 0n) hits.push(...(await tx.query<Row>(sql, [...where.params, '0', String(mid), limit - hits.length])).rows);
        return { hits, cursor };
      }),
    );
    const out: SearchHit[] = hits.map((h) => ({ index: BigInt(h.idx), source: h.source, seq: BigInt(h.seq), time: Number(h.event_time), classUid: h.class_uid }));
    const last = out[out.length - 1];
    return out.length === limit && last !== undefined ? { hits: out, next: last.index, indexedTo: cursor } : { hits: out, indexedTo: cursor };
  }

  /**
   * The smallest and largest sequence number among the events matching `query` below `before`
   * (no `span`: none), and the cursor when read. `events.search` maps a completeness query's time
   * bounds to a sequence range with it (the query names one source); untrusted like every answer
   * of the index: the client checks the range's neighbours itself.
   */
  async seqSpan(query: Query, opts: { before?: bigint; signal?: AbortSignal } = {}): Promise<{ span?: { min: bigint; max: bigint }; indexedTo: bigint }> {
    this.check();
    if (opts.before !== undefined && (typeof opts.before !== 'bigint' || opts.before < 0n)) throw new IndexError('bad-option', 'before: a log index');
    opts.signal?.throwIfAborted();
    const where = compileWhere(query, 1);
    const params: unknown[] = [...where.params];
    let sql = `SELECT min(seq) AS lo, max(seq) AS hi FROM search_events WHERE ${where.sql}`;
    if (opts.before !== undefined) {
      params.push(String(opts.before));
      sql += ` AND idx < $${params.length}::bigint`;
    }
    const { lo, hi, cursor } = await this.searchCall(() =>
      this.db.transaction(async (tx) => {
        await tx.query(`SET LOCAL statement_timeout = ${this.searchTimeoutMs}`);
        const r = await tx.query<{ lo: bigint | null; hi: bigint | null }>(sql, params);
        const c = await tx.query<{ next_index: bigint }>(`SELECT next_index FROM search_state WHERE id = 1`);
        return { lo: r.rows[0]?.lo ?? null, hi: r.rows[0]?.hi ?? null, cursor: BigInt(c.rows[0]!.next_index) };
      }),
    );
    return lo === null || hi === null ? { indexedTo: cursor } : { span: { min: BigInt(lo), max: BigInt(hi) }, indexedTo: cursor };
  }

  /** A search's database call: a statement cancelled by its timeout (SQLSTATE 57014) says so. */
  private async searchCall<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await dbCall(fn);
    } catch (e) {
      if (e instanceof IndexError && (e.cause as { code?: unknown } | undefined)?.code === '57014') {
        throw new IndexError('database', `search stopped: it ran longer than the index's search timeout (${this.searchTimeoutMs} ms); narrow the query (a source, a time range)`, { cause: e.cause });
      }
      throw e;
    }
  }

  /** Waits for the running writer, then closes the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writing.catch(() => undefined);
    await this.db.close();
  }

  private check(): void {
    if (this.closed) throw new IndexError('closed', 'the index is closed');
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    this.check();
    const run = this.writing.catch(() => undefined).then(async () => {
      await this.scrub(false); // one that failed before goes first
      return fn();
    });
    this.writing = run;
    return run;
  }
}

/**
 * Brings a database of an older schema version to this one ({@link MIGRATIONS}), one version at a
 * time, each in one transaction with its version change; a version with no migration is refused.
 * A new database (no state table yet) is left to the schema.
 */
async function migrate(db: SqlDatabase): Promise<void> {
  for (;;) {
    const exists = await db.query<{ ok: boolean }>(`SELECT to_regclass('search_state') IS NOT NULL AS ok`);
    if (exists.rows[0]?.ok !== true) return;
    const r = await db.query<{ schema_version: number }>(`SELECT schema_version FROM search_state WHERE id = 1`);
    const v = r.rows[0]?.schema_version;
    if (v === undefined || v === SCHEMA_VERSION) return;
    const steps = MIGRATIONS.get(v);
    if (steps === undefined) throw new IndexError('schema', `the index database holds schema version ${String(v)}, not ${SCHEMA_VERSION}: rebuild it in a new directory`);
    await db.transaction(async (tx) => {
      for (const sql of steps) await tx.query(sql);
      const done = await tx.query(`UPDATE search_state SET schema_version = $1 WHERE id = 1 AND schema_version = $2 RETURNING id`, [v + 1, v]);
      if (done.rows.length !== 1) throw new IndexError('schema', `the index database's schema version changed during its migration from ${v}`);
    });
  }
}

/** A multi-row INSERT of `rows`, every value bound; a row already there is replaced. */
function insertRows(rows: readonly EventFields[]): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const tuples: string[] = [];
  for (const f of rows) {
    const values = [
      String(f.index), f.source, String(f.seq), f.time, f.class_uid, f.activity_id, f.status_id, f.severity_id, f.api_operation,
      f.actors, f.users, f.src_ips, f.resource_types, f.resource_names, f.resource_namespaces, tsvectorText(f.text),
    ];
    tuples.push(`(${values.map((v, i) => { params.push(v); return `$${params.length}::${ROW_COLUMNS[i]![1]}`; }).join(', ')})`);
  }
  const cols = ROW_COLUMNS.map(([c]) => c);
  const update = cols.filter((c) => c !== 'idx').map((c) => `${c} = EXCLUDED.${c}`).join(', ');
  return { sql: `INSERT INTO search_events (${cols.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT (idx) DO UPDATE SET ${update}`, params };
}

async function dbCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (cause) {
    if (cause instanceof IndexError) throw cause;
    if (cause instanceof DatabaseConnectionError) throw new IndexError('database', `index database unavailable: ${cause.message}`, { cause });
    // The SQLSTATE only: a database message may quote a value (personal data) of a row.
    const code = (cause as { code?: unknown }).code;
    throw new IndexError('database', `index database failed${typeof code === 'string' ? ` (SQLSTATE ${code})` : ''}`, { cause });
  }
}

async function storeCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (cause) {
    if (cause instanceof IndexError || (cause as Error).name === 'AbortError') throw cause;
    throw new IndexError('store', `event store: ${(cause as Error).message}`, { cause });
  }
}
