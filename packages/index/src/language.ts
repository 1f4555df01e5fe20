/**
 * `@cairn/index/query`: the query language alone, without the database: the parser, its errors,
 * the fields of an event and the reference matcher. Browser-safe (no `node:*`; the architecture
 * test walks its imports), so the CLI, the explorer and a live tail can parse and match queries
 * exactly as the index does.
 */
export * from './errors.js';
export * from './query.js';
export { extractFields, textValues, type EventFields, type StoredEventLike } from './fields.js';
export { matches, matchesLeaf, type LeafFields } from './match.js';
export { provableRange, inTimeRange, type ProvableRange, type ProvableRangeResult } from './range.js';
export { canonicalIp } from './ip.js';
export { words, wordPositions, MAX_TEXT_POSITION, MAX_POSITIONS_PER_WORD, MAX_WORD_LENGTH, type TextTerm, type WordPositions } from './text.js';
