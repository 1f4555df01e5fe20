/**
 * Credentials: a tokens file of hashed bearer tokens, each bound to a source name, a role and a
 * quota.
 *
 * Tree reads are public; everything else needs `Authorization: Bearer <token>` of a token whose
 * **role** allows it:
 * - `writer` (the default, and what a record without `role` means, so older files keep working):
 *   submits entries (`log.submit`) and events (`events.submit`) as its own source, charged to its
 *   quota;
 * - `reader`: reads event bodies, event proofs and the per-source sequence state;
 * - `admin`: what a reader may, and erases events (its name is recorded as who asked).
 * A token used for what its role does not allow gets `forbidden` (403). The source name `cairn`
 * is reserved for the records the log writes itself (erasures) and is refused for any token.
 *
 * A token is
 * `cairn_` + base64url(32 random bytes) (256 bits of entropy), shown once by {@link createToken};
 * the file keeps only its SHA-256, so a leaked file grants nothing. Authentication hashes the
 * presented token and compares it with every stored hash in constant time.
 *
 * A source may instead (or also) be named by a **client certificate**: `clientCertSubject` maps the
 * subject of a certificate that the ingestion listener's client CA verified (`CN=…,O=…`, the RDNs
 * in the certificate's order) to the record's source, always as a writer. Such a record may have
 * no `sha256` (no bearer token at all); `cairn log sources add --client-cert-subject` writes one.
 *
 * Quota: **entries per minute** (an event counts as one entry), enforced per source by a token bucket that holds up to `burst`
 * entries (default: one minute's worth) and refills continuously at `entriesPerMinute / 60` per
 * second. A submit of n entries takes n; when fewer are left the call fails with
 * `quota-exceeded` (429) and a Retry-After for when n will be available. A batch larger than the
 * burst can never pass and fails with `batch-exceeds-quota` (400). Entries the log refused
 * (queue full, stopping) are given back. Buckets live in memory: a restart refills them.
 *
 * The file (written with mode 0600, atomically: temporary file, fsync, rename):
 *
 * ```json
 * {
 *   "version": 1,
 *   "tokens": [
 *     { "source": "k8s-audit",
 *       "sha256": "5f0c…64 lowercase hex…",
 *       "quota": { "entriesPerMinute": 600000, "burst": 600000 },
 *       "created": "2026-01-01T00:00:00.000Z" },
 *     { "source": "auditor", "role": "reader", "sha256": "…", "quota": { "entriesPerMinute": 600000 } }
 *   ]
 * }
 * ```
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { z } from 'zod';
import { ApiError } from './errors.js';
import { describeIssues } from './schemas.js';
import { readTokensText, writeFileAtomic } from './tokens-file.js';

/** Quota when none is given: 600,000 entries per minute (10,000 per second). */
export const DEFAULT_ENTRIES_PER_MINUTE = 600_000;
/** Most tokens one file may hold. */
export const MAX_TOKENS = 10_000;
/** Prefix of every token we issue (helps secret scanners). */
export const TOKEN_PREFIX = 'cairn_';
/** Random bytes in a token. */
export const TOKEN_ENTROPY_BYTES = 32;
/** Longest Authorization header considered. */
export const MAX_AUTHORIZATION_LENGTH = 512;

const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i;
/** A certificate subject as the ingestion listener writes it: `TYPE=value` RDNs joined by `,`. */
const CERT_SUBJECT = /^(?=.{3,1024}$)[A-Za-z][A-Za-z0-9.]*=[^,=\x00-\x1f\x7f]*(,[A-Za-z][A-Za-z0-9.]*=[^,=\x00-\x1f\x7f]*)*$/;

/** Source name of the records the log writes itself; no token may carry it. */
export const RESERVED_SOURCE = 'cairn';
/** What a token may do; see the module comment. */
export const TOKEN_ROLES = ['writer', 'reader', 'admin'] as const;
/** A token's role. */
export type TokenRole = (typeof TOKEN_ROLES)[number];
/** The role of a record without `role`. */
export const DEFAULT_ROLE: TokenRole = 'writer';

/** Who presented a valid token. */
export interface Principal {
  readonly source: string;
  readonly role: TokenRole;
}

const quotaSchema = z.strictObject({
  entriesPerMinute: z.number().int('must be a whole number').min(1).max(1e12),
  burst: z.number().int('must be a whole number').min(1).max(1e12).optional(),
});

const tokenRecordSchema = z.strictObject({
  source: z.string().regex(SOURCE_NAME, 'must be 1–64 characters of A–Z a–z 0–9 . _ - starting with a letter or digit')
    .refine((s) => s !== RESERVED_SOURCE, `"${RESERVED_SOURCE}" is reserved for the log's own records`),
  role: z.enum(TOKEN_ROLES, { error: `must be one of ${TOKEN_ROLES.join(', ')}` }).optional(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters (the SHA-256 of the token)').optional(),
  clientCertSubject: z.string().regex(CERT_SUBJECT, 'must be TYPE=value pairs joined by commas (CN=host.example.org,O=Example), at most 1024 characters').optional(),
  quota: quotaSchema,
  created: z.string().max(64).optional(),
}).refine((t) => t.sha256 !== undefined || t.clientCertSubject !== undefined, { message: 'needs sha256 (a token) or clientCertSubject (a client certificate)', path: ['sha256'] })
  .refine((t) => t.clientCertSubject === undefined || (t.role ?? DEFAULT_ROLE) === 'writer', { message: 'a client certificate source is a writer', path: ['role'] });

const tokensFileSchema = z
  .strictObject({
    version: z.literal(1),
    tokens: z.array(tokenRecordSchema).max(MAX_TOKENS),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    const subjects = new Set<string>();
    file.tokens.forEach((t, i) => {
      if (seen.has(t.source)) ctx.addIssue({ code: 'custom', path: ['tokens', i, 'source'], message: `duplicate source name ${t.source}` });
      seen.add(t.source);
      if (t.clientCertSubject !== undefined) {
        if (subjects.has(t.clientCertSubject)) ctx.addIssue({ code: 'custom', path: ['tokens', i, 'clientCertSubject'], message: 'a certificate subject is mapped to two sources' });
        subjects.add(t.clientCertSubject);
      }
    });
  });

/** The quota of one source. */
export type Quota = z.infer<typeof quotaSchema>;
/** One stored token. */
export type TokenRecord = z.infer<typeof tokenRecordSchema>;
/** The whole tokens file. */
export type TokensFile = z.infer<typeof tokensFileSchema>;

/** Parses and validates tokens-file text; errors name the file and the field. */
export function parseTokensFile(text: string, name = 'tokens file'): TokensFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ApiError('bad-input', `${name}: not valid JSON`, { cause });
  }
  const r = tokensFileSchema.safeParse(json);
  if (!r.success) throw new ApiError('bad-input', `${name}: ${describeIssues(r.error.issues)}`, { cause: r.error });
  return r.data;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Options of {@link TokenAuthenticator}. */
export interface TokenAuthenticatorOptions {
  /** Milliseconds; injected for tests. Default `Date.now`. */
  readonly clock?: () => number;
}

interface Bucket {
  readonly capacity: number;
  readonly perMs: number;
  level: number;
  at: number;
}

/** Checks bearer tokens and charges quotas. Build one with {@link loadTokens}. */
export class TokenAuthenticator {
  #hashes: Buffer[] = [];
  #principals: Principal[] = [];
  #subjects = new Map<string, string>();
  #buckets = new Map<string, Bucket>();
  readonly #clock: () => number;

  constructor(file: TokensFile, opts: TokenAuthenticatorOptions = {}) {
    this.#clock = opts.clock ?? Date.now;
    this.replace(file);
  }

  /**
   * Swaps in a new set of tokens (a reload of the tokens file): a token no longer in `file` is
   * refused from the next request on. A source whose quota is unchanged keeps its bucket's level,
   * so a reload does not refill quotas; a new or changed quota starts full.
   */
  replace(file: TokensFile): void {
    const now = this.#clock();
    const buckets = new Map<string, Bucket>();
    for (const t of file.tokens) {
      const capacity = t.quota.burst ?? t.quota.entriesPerMinute;
      const perMs = t.quota.entriesPerMinute / 60_000;
      const old = this.#buckets.get(t.source);
      buckets.set(t.source, old !== undefined && old.capacity === capacity && old.perMs === perMs
        ? old
        : { capacity, perMs, level: capacity, at: now });
    }
    // Assigned together, synchronously: no request sees a mix of the old and new sets.
    const withToken = file.tokens.filter((t) => t.sha256 !== undefined);
    this.#hashes = withToken.map((t) => Buffer.from(t.sha256!, 'hex'));
    this.#principals = withToken.map((t) => Object.freeze({ source: t.source, role: t.role ?? DEFAULT_ROLE }));
    this.#subjects = new Map(file.tokens.filter((t) => t.clientCertSubject !== undefined).map((t) => [t.clientCertSubject!, t.source]));
    this.#buckets = buckets;
  }

  /** Number of tokens. */
  get size(): number {
    return this.#hashes.length;
  }

  /** The (writer) source a verified client certificate's subject is mapped to, if any. */
  sourceOfCertificate(subject: string): string | undefined {
    return this.#subjects.get(subject);
  }

  /**
   * The source name for an `Authorization` header value. Throws ApiError `unauthorized` when the
   * header is missing, malformed or names no stored token.
   */
  authenticate(authorization: string | undefined): string {
    return this.principal(authorization).source;
  }

  /**
   * The token's source and role; throws ApiError `forbidden` when `roles` is given and does not
   * hold the token's role (`what` says what was asked, for the message).
   */
  authorize(authorization: string | undefined, roles: readonly TokenRole[], what: string): Principal {
    const p = this.principal(authorization);
    if (!roles.includes(p.role)) {
      throw new ApiError('forbidden', `${what} needs a ${roles.join(' or ')} token; the token of ${p.source} is a ${p.role} token`);
    }
    return p;
  }

  /** Source and role for an `Authorization` header value (throws like {@link authenticate}). */
  principal(authorization: string | undefined): Principal {
    if (authorization === undefined || authorization === '') {
      throw new ApiError('unauthorized', "missing credentials: this call needs 'Authorization: Bearer <token>'");
    }
    const m = authorization.length <= MAX_AUTHORIZATION_LENGTH ? BEARER.exec(authorization) : null;
    if (m === null) throw new ApiError('unauthorized', "malformed Authorization header: expected 'Bearer <token>'");
    const presented = sha256(m[1]!);
    let found = -1;
    // Compare with every stored hash, without stopping early.
    for (let i = 0; i < this.#hashes.length; i++) {
      if (timingSafeEqual(presented, this.#hashes[i]!) && found < 0) found = i;
    }
    if (found < 0) throw new ApiError('unauthorized', 'unknown or revoked token');
    return this.#principals[found]!;
  }

  #refill(source: string): Bucket {
    const b = this.#buckets.get(source);
    if (b === undefined) throw new ApiError('unauthorized', `no quota for source ${source}`);
    const now = this.#clock();
    if (now > b.at) {
      b.level = Math.min(b.capacity, b.level + (now - b.at) * b.perMs);
      b.at = now;
    }
    return b;
  }

  /**
   * Takes `entries` from the source's bucket. Throws ApiError `quota-exceeded` (with
   * `retryAfterSeconds`) or `batch-exceeds-quota`; takes nothing when it throws.
   */
  chargeQuota(source: string, entries: number): void {
    const b = this.#refill(source);
    if (entries > b.capacity) {
      throw new ApiError('batch-exceeds-quota', `a batch of ${entries} entries exceeds the quota burst of ${b.capacity} for source ${source}; send smaller batches`);
    }
    if (b.level < entries) {
      const waitMs = (entries - b.level) / b.perMs;
      throw new ApiError('quota-exceeded', `quota exceeded for source ${source}: ${Math.floor(b.level)} of ${b.capacity} entries left, refilling at ${Math.round(b.perMs * 60_000)} per minute`, {
        retryAfterSeconds: waitMs / 1000,
      });
    }
    b.level -= entries;
  }

  /** Gives back entries the log did not take. */
  refundQuota(source: string, entries: number): void {
    const b = this.#refill(source);
    b.level = Math.min(b.capacity, b.level + entries);
  }
}

/** Reads and validates a tokens file (a missing file is an error). */
export async function readTokensFile(file: string): Promise<TokensFile> {
  const text = await readTokensText(file);
  if (text === undefined) throw new ApiError('bad-input', `${file}: tokens file not found`);
  return parseTokensFile(text, file);
}

/** Reads and validates a tokens file. */
export async function loadTokens(file: string, opts: TokenAuthenticatorOptions = {}): Promise<TokenAuthenticator> {
  return new TokenAuthenticator(await readTokensFile(file), opts);
}

/**
 * Revokes the token of `source` in `file`: its hash is removed, so a log that reloads the file
 * refuses it from the next request on. Throws ApiError `bad-input` when the source has no token.
 */
export async function revokeToken(file: string, source: string): Promise<void> {
  const current = await readTokensFile(file);
  const tokens = current.tokens.filter((t) => t.source !== source);
  if (tokens.length === current.tokens.length) throw new ApiError('bad-input', `${file}: source ${JSON.stringify(source)} has no token`);
  await writeFileAtomic(file, JSON.stringify({ version: 1, tokens }, null, 2) + '\n');
}

/**
 * Maps the client certificate subject `subject` to `source` (a writer) in `file`, created if
 * absent: the ingestion listener then takes a certificate with that subject, verified by its
 * client CA, as that source. Refuses a source that exists (unless `replace`) and a subject
 * mapped to another source.
 */
export async function mapCertificateSubject(
  file: string, source: string, subject: string,
  opts: { quota?: Quota; replace?: boolean; clock?: () => number } = {},
): Promise<void> {
  if (!SOURCE_NAME.test(source)) {
    throw new ApiError('bad-input', `source name ${JSON.stringify(source)} must be 1–64 characters of A–Z a–z 0–9 . _ - starting with a letter or digit`);
  }
  if (source === RESERVED_SOURCE) throw new ApiError('bad-input', `source name "${RESERVED_SOURCE}" is reserved for the log's own records (erasures)`);
  if (!CERT_SUBJECT.test(subject)) throw new ApiError('bad-input', 'the certificate subject must be TYPE=value pairs joined by commas (CN=host.example.org,O=Example), at most 1024 characters');
  const quota = quotaSchema.safeParse(opts.quota ?? { entriesPerMinute: DEFAULT_ENTRIES_PER_MINUTE });
  if (!quota.success) throw new ApiError('bad-input', `quota: ${describeIssues(quota.error.issues)}`);
  const text = await readTokensText(file);
  const current: TokensFile = text === undefined ? { version: 1, tokens: [] } : parseTokensFile(text, file);
  if (current.tokens.some((t) => t.source === source) && opts.replace !== true) {
    throw new ApiError('bad-input', `${file}: source ${source} already exists; pass replace to revoke its credentials and map the certificate instead`);
  }
  const other = current.tokens.find((t) => t.clientCertSubject === subject && t.source !== source);
  if (other !== undefined) throw new ApiError('bad-input', `${file}: that certificate subject is already mapped to source ${other.source}`);
  const tokens = current.tokens.filter((t) => t.source !== source);
  tokens.push({ source, clientCertSubject: subject, quota: quota.data, created: new Date((opts.clock ?? Date.now)()).toISOString() });
  if (tokens.length > MAX_TOKENS) throw new ApiError('bad-input', `${file}: at most ${MAX_TOKENS} tokens`);
  await writeFileAtomic(file, JSON.stringify({ version: 1, tokens }, null, 2) + '\n');
}

/** Options of {@link createToken}. */
export interface CreateTokenOptions {
  readonly quota?: Quota;
  /** The token's role (default {@link DEFAULT_ROLE}). */
  readonly role?: TokenRole;
  /** Replace the token of an existing source instead of refusing. */
  readonly replace?: boolean;
  /** Random bytes; injected for tests. Default `crypto.randomBytes`. */
  readonly random?: (n: number) => Uint8Array;
  /** Milliseconds for the `created` field. Default `Date.now`. */
  readonly clock?: () => number;
}

/**
 * Issues a token for `source`, stores its hash in `file` (created if absent) and returns the
 * token text, which is never stored: print it once. Refuses an existing source name unless
 * `replace` is set (which revokes the old token).
 */
export async function createToken(file: string, source: string, opts: CreateTokenOptions = {}): Promise<string> {
  if (!SOURCE_NAME.test(source)) {
    throw new ApiError('bad-input', `source name ${JSON.stringify(source)} must be 1–64 characters of A–Z a–z 0–9 . _ - starting with a letter or digit`);
  }
  if (source === RESERVED_SOURCE) throw new ApiError('bad-input', `source name "${RESERVED_SOURCE}" is reserved for the log's own records (erasures)`);
  const role = opts.role ?? DEFAULT_ROLE;
  if (!TOKEN_ROLES.includes(role)) throw new ApiError('bad-input', `role must be one of ${TOKEN_ROLES.join(', ')}`);
  const quota = quotaSchema.safeParse(opts.quota ?? { entriesPerMinute: DEFAULT_ENTRIES_PER_MINUTE });
  if (!quota.success) throw new ApiError('bad-input', `quota: ${describeIssues(quota.error.issues)}`);
  const text = await readTokensText(file);
  const current: TokensFile = text === undefined ? { version: 1, tokens: [] } : parseTokensFile(text, file);
  const existing = current.tokens.findIndex((t) => t.source === source);
  if (existing >= 0 && opts.replace !== true) {
    throw new ApiError('bad-input', `${file}: source ${source} already has a token; pass replace to revoke it and issue a new one`);
  }
  const random = (opts.random ?? randomBytes)(TOKEN_ENTROPY_BYTES);
  if (random.length !== TOKEN_ENTROPY_BYTES) throw new ApiError('bad-input', `random source returned ${random.length} bytes, want ${TOKEN_ENTROPY_BYTES}`);
  const token = TOKEN_PREFIX + Buffer.from(random).toString('base64url');
  const record: TokenRecord = {
    source,
    ...(role !== DEFAULT_ROLE ? { role } : {}),
    sha256: sha256(token).toString('hex'),
    quota: quota.data,
    created: new Date((opts.clock ?? Date.now)()).toISOString(),
  };
  const tokens = current.tokens.filter((t) => t.source !== source);
  tokens.push(record);
  if (tokens.length > MAX_TOKENS) throw new ApiError('bad-input', `${file}: at most ${MAX_TOKENS} tokens`);
  await writeFileAtomic(file, JSON.stringify({ version: 1, tokens }, null, 2) + '\n');
  return token;
}

/** How long the tokens file must be quiet after a change before it is read again (ms). */
export const TOKENS_RELOAD_DEBOUNCE_MS = 200;

/** Where {@link watchTokens} reports reloads. */
export interface TokensReloadLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** A running watch of a tokens file. */
export interface TokensWatch {
  /** Reads the file now (e.g. on SIGHUP); resolves true when the new set is in force. Never throws. */
  reload(reason: string): Promise<boolean>;
  close(): void;
}

/**
 * Keeps `auth` in step with `file`: reloads on every change of the file (watching its directory,
 * since `log tokens add/revoke` replace the file by renaming a new one over it), debounced by
 * `debounceMs`, and whenever {@link TokensWatch.reload} is called. A file that fails to read or
 * validate keeps the tokens in force and logs why, naming the field.
 */
export function watchTokens(
  file: string,
  auth: TokenAuthenticator,
  opts: { logger: TokensReloadLogger; debounceMs?: number; signal?: AbortSignal },
): TokensWatch {
  const debounceMs = opts.debounceMs ?? TOKENS_RELOAD_DEBOUNCE_MS;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  let closed = false;
  let watcher: FSWatcher | undefined;
  const reload = (reason: string): Promise<boolean> => {
    // Reloads run one at a time, in order: the last read wins.
    const run = chain.then(async () => {
      try {
        const next = await readTokensFile(file);
        auth.replace(next);
        opts.logger.info('tokens reloaded', { file, reason, tokens: next.tokens.length });
        return true;
      } catch (e) {
        opts.logger.error('tokens reload failed: keeping the tokens in force', { file, reason, tokens: auth.size, error: (e as Error).message });
        return false;
      }
    });
    chain = run;
    return run;
  };
  const close = (): void => {
    closed = true;
    if (timer !== undefined) clearTimeout(timer);
    watcher?.close();
  };
  const name = basename(file);
  try {
    watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
      if (closed || (changed !== null && changed !== name)) return;
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        void reload('file changed');
      }, debounceMs);
    });
    watcher.on('error', (e) => opts.logger.error('tokens file watch failed: reload with SIGHUP', { file, error: e.message }));
  } catch (e) {
    opts.logger.error('cannot watch the tokens file: reload with SIGHUP', { file, error: (e as Error).message });
  }
  opts.signal?.addEventListener('abort', close, { once: true });
  return { reload, close };
}
