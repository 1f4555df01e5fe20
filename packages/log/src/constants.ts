/**
 * Named defaults and hard limits of the log core. Options are validated against these once, at
 * {@link LogNode.open}.
 */

/** Integrate and sign at least this often while entries are waiting (ms). */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 100;
/** Integrate early once this many sequenced entries wait. */
export const DEFAULT_MAX_BATCH_ENTRIES = 4096;
/** Entries accepted but not yet integrated (queued in memory + durable backlog) before 'queue-full'. */
export const DEFAULT_MAX_QUEUE_ENTRIES = 200_000;
/** The retry-after hint carried by 'queue-full' errors (ms). */
export const DEFAULT_RETRY_AFTER_MS = 1000;
/** Most entries one integration step reads into memory; a bigger backlog takes several steps. */
export const MAX_INTEGRATE_STEP_ENTRIES = 65_536;
/** Largest entry (bytes): entry bundles frame entries with a big-endian uint16 length. */
export const MAX_ENTRY_SIZE = 65_535;
/** Most entries in one submit call. */
export const MAX_ENTRIES_PER_SUBMIT = 10_000;
/** Most entries one getEntries call returns. */
export const MAX_RANGE = 1024;
/** Most sequence numbers one eventIndices call reads. */
export const MAX_SEQ_SPAN = 4096;
/** Tile height (tlog-tiles): 2^8 = 256 hashes per full tile, 256 entries per full bundle. */
export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;
/** SHA-256 output size. */
export const HASH_SIZE = 32;
/** The reserved source of the log's own events (erasure records); no caller may submit as it. */
export const RESERVED_SOURCE = 'cairn';
