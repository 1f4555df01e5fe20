/**
 * `log serve --search-index DIR|URL`: the event search index (@cairn/index) kept up to date
 * beside a running log, embedded (PGlite in DIR) or on a PostgreSQL server (a `postgres://` or
 * `postgresql://` URL; the same schema; `pg` is loaded only then). It never holds the log up: the
 * server starts with a `DeferredSearch` (events.search answers "starting", 503) while the
 * database opens in the background, then the follower catches up from the index's cursor on
 * every checkpoint (and on a timer). The index is derived data: a failure to open it is logged
 * and leaves the log serving. The URL's password never appears in a line or an error: the
 * target is shown as {@link describeSearchIndex} gives it.
 */
import { DeferredSearch } from '@cairn/api';
import { EventIndex, IndexError, describePostgresUrl, isPostgresUrl, openPglite, startFollower, type EventIndexOptions, type Follower, type SqlDatabase } from '@cairn/index';
import type { LogNode } from '@cairn/log';

export interface RunningSearchIndex {
  /** What to pass to `startLogServer({ search })`. */
  readonly served: DeferredSearch;
  /** Resolves once the index answers (or failed to open; then it never will). */
  readonly opened: Promise<void>;
  /** Stops the follower and closes the database (waiting for it to finish opening first). */
  stop(): Promise<void>;
}

export interface SearchIndexHooks {
  /** The index is open: its cursor and lag behind the signed log at that moment. */
  ready(s: { cursor: bigint; size: bigint; lag: bigint }): void;
  /** It could not open (the log serves on without it). */
  failed(message: string): void;
  /** A catch-up run failed (the next checkpoint tries again). */
  behind(e: IndexError): void;
}

/**
 * The index's database for lines and logs, without a password: `PGlite in DIR`, or
 * `PostgreSQL postgres://user@host:port/db` (or `PostgreSQL (a URL that does not parse)`).
 */
export function describeSearchIndex(target: string): string {
  if (!isPostgresUrl(target)) return `PGlite in ${target}`;
  try {
    return `PostgreSQL ${describePostgresUrl(target)}`;
  } catch {
    return 'PostgreSQL (a URL that does not parse)';
  }
}

/** Opens the database of `target`: a PostgreSQL URL, or a PGlite directory. */
async function openDatabase(target: string, onIdleError: (message: string) => void): Promise<SqlDatabase> {
  if (!isPostgresUrl(target)) return openPglite(target);
  const { openPostgres } = await import('@cairn/index/pg');
  return openPostgres(target, { onIdleError });
}

/**
 * Starts opening the index in `target` (a PGlite directory or a PostgreSQL URL) over `node`'s
 * events; returns at once.
 */
export function startSearchIndex(target: string, node: LogNode, hooks: SearchIndexHooks, opts: Pick<EventIndexOptions, 'eraseScrub'> = {}): RunningSearchIndex {
  const served = new DeferredSearch();
  let stopping = false;
  let db: SqlDatabase | undefined;
  let index: EventIndex | undefined;
  let follower: Follower | undefined;
  let offCheckpoint: (() => void) | undefined;
  const opened = (async () => {
    try {
      db = await openDatabase(target, (m) => hooks.behind(new IndexError('database', `index database: ${m}`)));
      if (stopping) return;
      index = await EventIndex.open(db, { size: async () => node.latestCheckpoint()?.size ?? 0n, getEvent: (i) => node.getEvent(i) }, opts);
      if (stopping) return;
    } catch (e) {
      const message = e instanceof IndexError ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : `cannot open: ${String(e)}`;
      // Opened but refused (another schema version): let go of the directory at once.
      await db?.close().catch(() => undefined);
      db = undefined;
      served.fail(message);
      hooks.failed(message);
      return;
    }
    served.ready(index);
    try {
      hooks.ready(await index.status());
    } catch (e) {
      if (e instanceof IndexError) hooks.behind(e);
      else throw e;
    }
    follower = startFollower(index, { onError: hooks.behind });
    const f = follower;
    offCheckpoint = node.onCheckpoint(() => f.notify());
  })();
  return {
    served,
    opened,
    async stop() {
      stopping = true;
      await opened;
      offCheckpoint?.();
      await follower?.stop();
      served.detach();
      if (index !== undefined) await index.close();
      else await db?.close();
    },
  };
}
