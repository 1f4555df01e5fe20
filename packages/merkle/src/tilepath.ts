/**
 * Tile paths of c2sp.org/tlog-tiles (https://c2sp.org/tlog-tiles), height 8:
 *
 *   tile/<L>/<N>[.p/<W>]        hash tile, L = 0..63
 *   tile/entries/<N>[.p/<W>]    entry bundle
 *
 * <N> is written in 3-digit zero-padded groups, every group but the last prefixed with `x`:
 * 0 → `000`, 1234 → `x001/234`, 1234067 → `x001/x234/067`. `.p/<W>` marks a partial tile,
 * W = 1..255 without leading zeros; a full tile has no suffix (never `.p/256`).
 * Examples: `tile/0/x001/234.p/7`, `tile/1/000`, `tile/entries/273.p/112`.
 *
 * The parser is strict and canonical: `formatTilePath(parseTilePath(p)) === p` for every
 * accepted p. It rejects the Go sumdb form `tile/<H>/<L>/<N>` and `tile/<H>/data/…`, leading
 * zeros in L or W, superfluous leading groups (`x000/001`), indices ≥ 2^64, paths longer than
 * {@link MAX_TILE_PATH_LENGTH}, and throws nothing but {@link TilePathError}.
 */
import { TilePathError } from './errors.js';
import { TILE_WIDTH, type EntryBundleRef, type TileRef } from './tile.js';

/** Longest valid path: `tile/entries/` + 7 groups (2^64 − 1 has 20 digits) + `.p/255`. */
export const MAX_TILE_PATH_LENGTH = 64;
export const MAX_TILE_LEVEL = 63;
const MAX_INDEX_GROUPS = 7;
const UINT64_LIMIT = 1n << 64n;

const LEVEL_RE = /^(?:0|[1-9][0-9]?)$/;
const WIDTH_RE = /^[1-9][0-9]{0,2}$/;
const GROUP_RE = /^[0-9]{3}$/;
const X_GROUP_RE = /^x[0-9]{3}$/;

/** Encodes a tile index as `x`-prefixed 3-digit groups: 1234067 → `x001/x234/067`. */
export function formatTileIndex(index: bigint): string {
  if (typeof index !== 'bigint' || index < 0n || index >= UINT64_LIMIT) {
    throw new TilePathError('bad-index', `tile index must be a bigint in [0, 2^64), got ${String(index)}`);
  }
  const digits = index.toString();
  const pad = digits.padStart(Math.ceil(digits.length / 3) * 3, '0');
  const groups: string[] = [];
  for (let i = 0; i < pad.length; i += 3) groups.push(pad.slice(i, i + 3));
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}

/** Formats a hash tile or entry bundle reference as its path (without the URL prefix). */
export function formatTilePath(ref: TileRef | EntryBundleRef): string {
  const isEntries = 'entries' in ref && ref.entries === true;
  const level = isEntries ? 'entries' : (ref as TileRef).level;
  if (!isEntries && (!Number.isInteger(level) || (level as number) < 0 || (level as number) > MAX_TILE_LEVEL)) {
    throw new TilePathError('bad-level', `tile level must be 0..${MAX_TILE_LEVEL}, got ${String(level)}`);
  }
  if (!Number.isInteger(ref.width) || ref.width < 1 || ref.width > TILE_WIDTH) {
    throw new TilePathError('bad-width', `tile width must be 1..${TILE_WIDTH}, got ${String(ref.width)}`);
  }
  const suffix = ref.width === TILE_WIDTH ? '' : `.p/${ref.width}`;
  return `tile/${level}/${formatTileIndex(ref.index)}${suffix}`;
}

function fail(code: TilePathError['code'], message: string, path: string): never {
  throw new TilePathError(code, message, { evidence: { path: path.slice(0, MAX_TILE_PATH_LENGTH + 8) } });
}

/** Parses `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]` strictly. */
export function parseTilePath(path: string): TileRef | EntryBundleRef {
  if (typeof path !== 'string') throw new TilePathError('not-a-string', 'tile path must be a string');
  if (path.length > MAX_TILE_PATH_LENGTH) fail('too-long', `tile path longer than ${MAX_TILE_PATH_LENGTH}`, path);
  if (!path.startsWith('tile/')) fail('bad-prefix', 'tile path must start with "tile/"', path);
  const rest = path.slice('tile/'.length);
  const slash = rest.indexOf('/');
  if (slash < 0) fail('bad-index', 'tile path has no index', path);
  const levelText = rest.slice(0, slash);
  let level = -1;
  if (levelText !== 'entries') {
    if (!LEVEL_RE.test(levelText)) fail('bad-level', 'tile level must be decimal 0..63 without leading zeros', path);
    level = Number(levelText);
    if (level > MAX_TILE_LEVEL) fail('bad-level', `tile level must be 0..${MAX_TILE_LEVEL}`, path);
  }

  let indexText = rest.slice(slash + 1);
  let width = TILE_WIDTH;
  const dotP = indexText.indexOf('.p/');
  if (dotP >= 0) {
    const widthText = indexText.slice(dotP + 3);
    indexText = indexText.slice(0, dotP);
    if (!WIDTH_RE.test(widthText)) fail('bad-width', 'partial width must be decimal 1..255 without leading zeros', path);
    width = Number(widthText);
    if (width >= TILE_WIDTH) fail('bad-width', 'partial width must be 1..255 (a full tile has no .p/ suffix)', path);
  }

  const groups = indexText.split('/');
  if (groups.length > MAX_INDEX_GROUPS) fail('bad-index', 'tile index has too many groups', path);
  const last = groups.length - 1;
  let digits = '';
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i] as string;
    if (i < last ? !X_GROUP_RE.test(g) : !GROUP_RE.test(g)) {
      fail('bad-index', 'tile index must be 3-digit groups, x-prefixed except the last', path);
    }
    digits += i < last ? g.slice(1) : g;
  }
  if (groups.length > 1 && groups[0] === 'x000') fail('bad-index', 'tile index has a superfluous leading zero group', path);
  const index = BigInt(digits);
  if (index >= UINT64_LIMIT) fail('bad-index', 'tile index must be below 2^64', path);
  return level < 0 ? { entries: true, index, width } : { level, index, width };
}
