/**
 * A small `EventSource` (server-sent events, WHATWG HTML §9.2) over `fetch`, for runtimes that
 * have none (Node): what `createLogClient`'s subscriptions (`events.tail`) use there. Unlike the
 * browser's it sends headers (the bearer token goes in `Authorization`, never in the URL). It
 * parses the stream per the spec (fields `event`, `data`, `id`, `retry`; comments; CR, LF and
 * CRLF line ends) and, when the connection drops, reconnects after the retry delay with
 * `Last-Event-ID`, so a tRPC subscription whose messages are tracked resumes where it was.
 * A non-2xx answer or a non-`text/event-stream` body closes it for good (readyState CLOSED).
 */

/** The `init` of {@link FetchEventSource}. */
export interface FetchEventSourceInit {
  readonly headers?: Record<string, string>;
  readonly fetch?: typeof globalThis.fetch;
}

/** Longest field line kept (a longer one is a broken stream). */
const MAX_LINE = 16 * 1024 * 1024;

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
  #retryMs = 1000;

  constructor(url: string | URL, private readonly init: FetchEventSourceInit = {}) {
    super();
    this.url = String(url);
    void this.#connect();
  }

  close(): void {
    this.readyState = 2;
    this.#abort.abort();
  }

  async #connect(): Promise<void> {
    while (this.readyState !== 2) {
      const headers: Record<string, string> = { accept: 'text/event-stream', ...this.init.headers };
      if (this.#lastId !== '') headers['last-event-id'] = this.#lastId;
      try {
        const res = await (this.init.fetch ?? globalThis.fetch)(this.url, { headers, signal: this.#abort.signal });
        if (!res.ok || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream') || res.body === null) {
          this.readyState = 2;
          this.dispatchEvent(new Event('error'));
          return;
        }
        this.readyState = 1;
        this.dispatchEvent(new Event('open'));
        await this.#read(res.body);
      } catch {
        // dropped: reconnect below
      }
      if (this.readyState === 2) return;
      this.readyState = 0;
      this.dispatchEvent(new Event('error'));
      await new Promise((r) => setTimeout(r, this.#retryMs));
    }
  }

  async #read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buf = '';
    let type = '';
    let data: string[] = [];
    let sawData = false;
    const line = (l: string) => {
      if (l === '') {
        if (sawData) {
          const ev = new MessageEvent(type || 'message', { data: data.join('\n'), lastEventId: this.#lastId, origin: new URL(this.url).origin });
          this.dispatchEvent(ev);
        }
        type = '';
        data = [];
        sawData = false;
        return;
      }
      if (l.startsWith(':')) return;
      const c = l.indexOf(':');
      const field = c < 0 ? l : l.slice(0, c);
      let value = c < 0 ? '' : l.slice(c + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') type = value;
      else if (field === 'data') {
        data.push(value);
        sawData = true;
      } else if (field === 'id' && !value.includes('\0')) this.#lastId = value;
      else if (field === 'retry' && /^[0-9]{1,9}$/.test(value)) this.#retryMs = Number(value);
    };
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      for (;;) {
        const m = /\r\n|\r|\n/.exec(buf);
        if (m === null) break;
        // A lone CR at the end may be the first half of CRLF: wait for more.
        if (m[0] === '\r' && m.index === buf.length - 1) break;
        line(buf.slice(0, m.index));
        buf = buf.slice(m.index + m[0].length);
      }
      if (buf.length > MAX_LINE) throw new Error('server-sent event line too long');
    }
  }
}
