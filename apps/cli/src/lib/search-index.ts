/**
 * `log serve --search-index DIR`: the event search index (@cairn/index, PGlite in DIR) kept up
 * to date beside a running log. It never holds the log up: the server starts with a
 * `DeferredSearch` (events.search answers "starting", 503) while PGlite opens in the background,
 * then the follower catches up from the index's cursor on every checkpoint (and on a timer).
 * The index is derived data: a failure to open it is logged and leaves the log serving.
 */
import { DeferredSearch } from '@cairn/api';
import { EventIndex, IndexError, openPglite, startFollower, type Follower, type SqlDatabase } from '@cairn/index';
import type { LogNode } from '@cairn/log';

export interface RunningSearchIndex {
  /** What to pass to `startLogServer({ search })`. */
  readonly served: DeferredSearch;
  /** Resolves once the index answers (or failed to open; then it never will). */
  readonly opened: Promise<void>;
  /** Stops the follower and closes PGlite (waiting for it to finish opening first). */
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

/** Starts opening the index in `dir` over `node`'s events; returns at once. */
export function startSearchIndex(dir: string, node: LogNode, hooks: SearchIndexHooks): RunningSearchIndex {
  const served = new DeferredSearch();
  let stopping = false;
  let db: SqlDatabase | undefined;
  let index: EventIndex | undefined;
  let follower: Follower | undefined;
  let offCheckpoint: (() => void) | undefined;
  const opened = (async () => {
    try {
      db = await openPglite(dir);
      if (stopping) return;
      index = await EventIndex.open(db, { size: async () => node.latestCheckpoint()?.size ?? 0n, getEvent: (i) => node.getEvent(i) });
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
