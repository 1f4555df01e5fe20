/**
 * A small `EventSource` (server-sent events, WHATWG HTML §9.2) over `fetch`, for runtimes that
 * have none (Node): what `createLogClient`'s subscriptions (`events.tail`) use there. Unlike the
 * browser's it sends headers (the bearer token goes in `Authorization`, never in the URL).
 *
 * The stream is parsed by {@link SseParser} as the spec says: fields `event`, `data`, `id`,
 * `retry`; comments (keepalives); CR, LF and CRLF line ends, wherever a read splits them; a
 * leading BOM dropped; an event cut off by the end of the stream is discarded. The last event ID
 * is the `id` of the last event *dispatched* — an `id` line whose event never ended is not
 * acknowledged, so a connection cut between the two resumes before that event, not after it.
 * It is kept across reconnections (as browsers do), so a reconnection followed by an event
 * without an id (tRPC's `connected`) does not lose the resume point. Lines and events are bounded
 * ({@link MAX_SSE_LINE}, {@link MAX_SSE_EVENT}): past that the stream is broken and the source
 * closes for good.
 *
 * Reconnection: when the connection drops or the stream ends, it reconnects with `Last-Event-ID`
 * (so a tRPC subscription whose messages are tracked resumes where it was) after the reconnection
 * time (`retry:` from the server, default 1 s), doubled after each attempt that did not move
 * the last event ID (no progress), with jitter, never less than `minReconnectMs` (250 ms, whatever
 * `retry:` says) nor more than `maxReconnectMs` (30 s). An answer 429, 502,
 * 503 or 504 is retried the same way, waiting at least its `Retry-After` (capped the same). Any
 * other non-2xx answer (401 for a revoked token, 403, 404, …) or a body that is not
 * `text/event-stream` closes it for good (readyState CLOSED, one `error` event), as the spec says.
 */

/** The `init` of {@link FetchEventSource}. */
export interface FetchEventSourceInit {
  readonly headers?: Record<string, string>;
  readonly fetch?: typeof globalThis.fetch;
  /** First reconnection delay (ms) until the server sends `retry:`; default {@link DEFAULT_RECONNECT_MS}. */
  readonly reconnectMs?: number;
  /** Longest wait before a reconnection (ms), bounding `retry:`, `Retry-After` and the backoff; default {@link MAX_RECONNECT_MS}. */
  readonly maxReconnectMs?: number;
  /**
   * Shortest wait before a reconnection (ms), whatever the server's `retry:` says; default
   * {@link MIN_RECONNECT_MS} (never above `maxReconnectMs`).
   */
  readonly minReconnectMs?: number;
}

/** Longest line of the stream, in UTF-16 code units (a longer one is a broken stream). */
export const MAX_SSE_LINE = 16 * 1024 * 1024;
/** Largest `data` of one event, in UTF-16 code units. */
export const MAX_SSE_EVENT = 16 * 1024 * 1024;
/** Reconnection delay until the server sets one. */
export const DEFAULT_RECONNECT_MS = 1_000;
/** Longest wait before a reconnection, whatever the server asks. */
export const MAX_RECONNECT_MS = 30_000;
/**
 * Shortest wait before a reconnection: a server that sends `retry: 0` and ends every stream
 * would otherwise have the client reconnect in a tight loop.
 */
export const MIN_RECONNECT_MS = 250;
/** HTTP statuses after which the source reconnects (with backoff) rather than closing. */
const RETRIED_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/** An event dispatched by {@link SseParser}. */
export interface SseEvent {
  readonly type: string;
  readonly data: string;
  readonly lastEventId: string;
}

/** A stream that breaks a bound of {@link SseParser}: not retried (the server would send it again). */
export class SseStreamError extends Error {
  override readonly name = 'SseStreamError';
}

/**
 * The event-stream parser of the spec (§9.2.6), fed decoded text in pieces of any size. Work is
 * linear in the input: each character is looked at once, whatever the chunking.
 */
export class SseParser {
  #buf = '';
  /** The previous piece ended with CR: a LF at the start of the next one belongs to it. */
  #afterCR = false;
  #type = '';
  #data: string[] = [];
  #dataLength = 0;
  #sawData = false;
  #idBuffer: string;
  #lastEventId: string;
  #retry: number | undefined;

  constructor(
    lastEventId = '',
    private readonly onEvent: (e: SseEvent) => void = () => undefined,
    private readonly bounds: { readonly maxLine: number; readonly maxEvent: number } = { maxLine: MAX_SSE_LINE, maxEvent: MAX_SSE_EVENT },
  ) {
    this.#idBuffer = lastEventId;
    this.#lastEventId = lastEventId;
  }

  /** The id of the last event dispatched (or the one given at construction). */
  get lastEventId(): string {
    return this.#lastEventId;
  }

  /** The last valid `retry:` value, in ms (undefined until one came). */
  get retry(): number | undefined {
    return this.#retry;
  }

  /** Parses `text`; dispatches every event it completes. Throws {@link SseStreamError} past a bound. */
  feed(text: string): void {
    let start = 0;
    if (this.#afterCR && text.length > 0) {
      this.#afterCR = false;
      if (text.charCodeAt(0) === 10) start = 1;
    }
    let i = start;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      const line = this.#buf === '' ? text.slice(start, i) : this.#buf + text.slice(start, i);
      this.#buf = '';
      this.#checkLine(line.length);
      this.#line(line);
      if (c === 13) {
        if (i + 1 === text.length) this.#afterCR = true;
        else if (text.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
    if (start < text.length) {
      this.#checkLine(this.#buf.length + text.length - start);
      this.#buf += text.slice(start);
    }
  }

  #checkLine(length: number): void {
    if (length > this.bounds.maxLine) throw new SseStreamError(`server-sent event stream: a line longer than ${this.bounds.maxLine} characters`);
  }

  #line(l: string): void {
    if (l === '') {
      this.#dispatch();
      return;
    }
    if (l.charCodeAt(0) === 58) return; // ':' a comment (keepalive)
    const c = l.indexOf(':');
    const field = c < 0 ? l : l.slice(0, c);
    let value = c < 0 ? '' : l.slice(c + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    switch (field) {
      case 'event':
        this.#type = value;
        break;
      case 'data':
        this.#dataLength += value.length + (this.#sawData ? 1 : 0);
        if (this.#dataLength > this.bounds.maxEvent) throw new SseStreamError(`server-sent event stream: an event longer than ${this.bounds.maxEvent} characters`);
        this.#data.push(value);
        this.#sawData = true;
        break;
      case 'id':
        if (!value.includes('\0')) this.#idBuffer = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.#retry = Number(value);
        break;
      default: // unknown fields are ignored
    }
  }

  #dispatch(): void {
    this.#lastEventId = this.#idBuffer;
    const { type, data, sawData } = { type: this.#type, data: this.#data, sawData: this.#sawData };
    this.#type = '';
    this.#data = [];
    this.#dataLength = 0;
    this.#sawData = false;
    if (!sawData) return;
    this.onEvent({ type: type === '' ? 'message' : type, data: data.join('\n'), lastEventId: this.#lastEventId });
  }
}

function retryAfterMs(res: Response): number | undefined {
  const h = res.headers.get('retry-after');
  return h !== null && /^[0-9]{1,9}$/.test(h.trim()) ? Number(h.trim()) * 1000 : undefined;
}

export class FetchEventSource extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSED = 2;
  readyState = 0;
  readonly url: string;
  readonly withCredentials = false;
  #abort = new AbortController();
  #lastId = '';
  #retryMs: number;
  readonly #maxReconnectMs: number;
  readonly #minReconnectMs: number;
  /** Attempts in a row that did not move the last event ID: the backoff's exponent. */
  #failures = 0;

  constructor(url: string | URL, private readonly init: FetchEventSourceInit = {}) {
    super();
    this.url = String(url);
    this.#maxReconnectMs = init.maxReconnectMs ?? MAX_RECONNECT_MS;
    this.#minReconnectMs = Math.min(init.minReconnectMs ?? MIN_RECONNECT_MS, this.#maxReconnectMs);
    this.#retryMs = this.#clamp(init.reconnectMs ?? DEFAULT_RECONNECT_MS);
    void this.#connect();
  }

  close(): void {
    this.readyState = 2;
    this.#abort.abort();
  }

  #fail(): void {
    this.readyState = 2;
    this.#abort.abort();
    this.dispatchEvent(new Event('error'));
  }

  /** A reconnection time within [minReconnectMs, maxReconnectMs]. */
  #clamp(ms: number): number {
    return Math.min(this.#maxReconnectMs, Math.max(this.#minReconnectMs, ms));
  }

  /** The wait before the next attempt: the reconnection time doubled per failure in a row, jittered, clamped. */
  #delay(atLeastMs = 0): number {
    const backoff = this.#retryMs * 2 ** Math.min(this.#failures, 20);
    const jittered = backoff / 2 + (Math.random() * backoff) / 2;
    return this.#clamp(Math.max(atLeastMs, jittered));
  }

  #sleep(ms: number): Promise<void> {
    const signal = this.#abort.signal;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done);
    });
  }

  async #connect(): Promise<void> {
    while (this.readyState !== 2) {
      const headers: Record<string, string> = { accept: 'text/event-stream', ...this.init.headers };
      if (this.#lastId !== '') headers['last-event-id'] = this.#lastId;
      let wait: number | undefined;
      try {
        const res = await (this.init.fetch ?? globalThis.fetch)(this.url, { headers, signal: this.#abort.signal });
        const type = res.headers.get('content-type') ?? '';
        if (res.ok && /^text\/event-stream\s*(;|$)/i.test(type) && res.body !== null) {
          this.readyState = 1;
          this.dispatchEvent(new Event('open'));
          await this.#read(res.body);
        } else {
          await res.body?.cancel().catch(() => undefined);
          if (!RETRIED_STATUSES.has(res.status)) {
            this.#fail();
            return;
          }
          wait = retryAfterMs(res);
        }
      } catch (e) {
        if (e instanceof SseStreamError) {
          this.#fail();
          return;
        }
        // dropped: reconnect below
      }
      if (this.readyState === 2) return;
      this.readyState = 0;
      this.dispatchEvent(new Event('error'));
      const delay = this.#delay(wait);
      this.#failures++;
      await this.#sleep(delay);
    }
  }

  async #read(body: ReadableStream<Uint8Array>): Promise<void> {
    // The decoder drops a leading BOM (ignoreBOM is false) and holds a code point split across reads.
    const decoder = new TextDecoder();
    const origin = new URL(this.url).origin;
    const resumedFrom = this.#lastId;
    const parser = new SseParser(this.#lastId, (e) => {
      if (this.readyState === 2) return; // closed by a listener: the rest of this read is not delivered
      this.#lastId = e.lastEventId;
      if (e.lastEventId !== resumedFrom) this.#failures = 0; // progress: the backoff starts over
      this.dispatchEvent(new MessageEvent(e.type, { data: e.data, lastEventId: e.lastEventId, origin }));
    });
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        parser.feed(decoder.decode(chunk, { stream: true }));
        if (parser.retry !== undefined) this.#retryMs = this.#clamp(parser.retry);
        if (this.readyState === 2) return;
      }
      parser.feed(decoder.decode());
    } finally {
      // A dispatch with no data still moves the last event ID (the spec's order): keep it.
      this.#lastId = parser.lastEventId;
    }
  }
}
