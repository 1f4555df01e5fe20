// FetchEventSource and its parser against hostile and awkward streams (in-memory fetch: a unit
// test; the real server, proxy and reconnections are in test/api/events-tail-reconnect.test.ts):
// every chunking of a stream gives the same events, CR/LF/CRLF and a BOM, comments, the spec's
// id and retry rules, an id whose event was cut off is not acknowledged, bounded lines and
// events, reconnection with Last-Event-ID, backoff that is bounded whatever the server asks, and
// a final answer (401) that closes the source instead of looping.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FetchEventSource, SseParser, SseStreamError, type SseEvent } from './event-source.js';

function parse(pieces: readonly string[], lastEventId = '', bounds?: { maxLine: number; maxEvent: number }): { events: SseEvent[]; parser: SseParser } {
  const events: SseEvent[] = [];
  const parser = new SseParser(lastEventId, (e) => events.push(e), bounds);
  for (const p of pieces) parser.feed(p);
  return { events, parser };
}

const STREAM = [
  ': keepalive comment',
  'event: connected',
  'data: {"a":1}',
  '',
  'data: first',
  'data:second line',
  'id: 1:0',
  '',
  'retry: 2500',
  'id: 2:1',
  'data',
  '',
  'unknown: field',
  'data: after unknown',
  '',
  'id: bad\0id',
  'data: keeps the id before',
  '',
  'data: cut off at the end of the stream',
].join('\n');

const EXPECTED: SseEvent[] = [
  { type: 'connected', data: '{"a":1}', lastEventId: '' },
  { type: 'message', data: 'first\nsecond line', lastEventId: '1:0' },
  { type: 'message', data: '', lastEventId: '2:1' },
  { type: 'message', data: 'after unknown', lastEventId: '2:1' },
  { type: 'message', data: 'keeps the id before', lastEventId: '2:1' },
];

describe('SseParser', () => {
  test('LF, CRLF and CR line ends give the same events; the unfinished last event is discarded', () => {
    for (const eol of ['\n', '\r\n', '\r']) {
      const { events, parser } = parse([STREAM.replaceAll('\n', eol)]);
      assert.deepEqual(events, EXPECTED, JSON.stringify(eol));
      assert.equal(parser.retry, 2500);
      assert.equal(parser.lastEventId, '2:1');
    }
  });

  test('any split of the stream into reads gives the same events (CRLF split between reads included)', () => {
    fc.assert(fc.property(fc.constantFrom('\n', '\r\n', '\r'), fc.array(fc.nat(), { maxLength: 40 }), (eol, cuts) => {
      const text = STREAM.replaceAll('\n', eol);
      const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
      const pieces = [0, ...at].map((s, k) => text.slice(s, at[k] ?? text.length));
      assert.deepEqual(parse(pieces).events, EXPECTED);
    }), { numRuns: 300 });
    // One character at a time.
    assert.deepEqual(parse([...STREAM.replaceAll('\n', '\r\n')]).events, EXPECTED);
  });

  test('a CR then LF in the next read is one line end, not an empty line between', () => {
    const { events } = parse(['data: a\r', '\ndata: b\r', '\n\r', '\n']);
    assert.deepEqual(events, [{ type: 'message', data: 'a\nb', lastEventId: '' }]);
  });

  test('the last event ID moves when an event is dispatched, not when its id line is read', () => {
    const { events, parser } = parse(['data: x\nid: 7:7\n\ndata: y\nid: 8:8\n'], '6:6');
    assert.deepEqual(events.map((e) => e.lastEventId), ['7:7']);
    assert.equal(parser.lastEventId, '7:7', 'the event of id 8:8 never ended: resume after 7:7');
    // A blank `id:` resets it; an event with no id keeps the one given at construction (a resumed stream).
    assert.equal(parse(['data: x\nid\n\n'], '6:6').parser.lastEventId, '');
    assert.deepEqual(parse(['event: connected\ndata: {}\n\n'], '6:6').events.map((e) => e.lastEventId), ['6:6']);
  });

  test('retry: only ASCII digits count', () => {
    assert.equal(parse(['retry: 10x\n', 'retry: -5\n', 'retry:\n', 'retry: 1.5\n']).parser.retry, undefined);
    assert.equal(parse(['retry:0\n']).parser.retry, 0);
  });

  test('a line or an event past its bound is a broken stream', () => {
    const bounds = { maxLine: 32, maxEvent: 64 };
    assert.throws(() => parse(['data: ' + 'x'.repeat(40) + '\n'], '', bounds), SseStreamError);
    // Without a line end the partial line is bounded too, however it arrives.
    assert.throws(() => parse(Array.from({ length: 10 }, () => 'xxxxxxxx'), '', bounds), /longer than 32/);
    // Many short data lines of one event.
    assert.throws(() => parse(Array.from({ length: 10 }, () => 'data: 0123456789\n'), '', bounds), /event longer than 64/);
    // Within the bounds: fine, and the bound is per event.
    assert.equal(parse(Array.from({ length: 10 }, () => 'data: 0123456789\n\n'), '', bounds).events.length, 10);
  });
});

type Script = (n: number, headers: Headers) => Response | Error;

/** A fetch whose nth call (from 0) answers `script(n, request headers)`; records the calls. */
function scripted(script: Script): { fetch: typeof globalThis.fetch; calls: Headers[] } {
  const calls: Headers[] = [];
  const f = (async (_input: string | URL | Request, init?: RequestInit) => {
    const h = new Headers(init?.headers);
    calls.push(h);
    const r = script(calls.length - 1, h);
    if (r instanceof Error) throw r;
    return r;
  }) as typeof globalThis.fetch;
  return { fetch: f, calls };
}

/** A stream of `pieces` (strings or bytes), then an end, or an error when `cut`. */
function sse(pieces: readonly (string | Uint8Array)[], opts: { cut?: boolean; status?: number; type?: string } = {}): Response {
  const enc = new TextEncoder();
  let k = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      if (k < pieces.length) {
        const p = pieces[k++]!;
        c.enqueue(typeof p === 'string' ? enc.encode(p) : p);
      } else if (opts.cut === true) c.error(new Error('connection reset'));
      else c.close();
    },
  });
  return new Response(body, { status: opts.status ?? 200, headers: { 'content-type': opts.type ?? 'text/event-stream' } });
}

/** Collects a source's messages until `until` holds (bounded), then closes it. */
async function collect(es: FetchEventSource, until: (msgs: MessageEvent[]) => boolean, what: string): Promise<MessageEvent[]> {
  const msgs: MessageEvent[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${msgs.map((m) => m.data).join(',')}`)), 15_000);
    const check = () => {
      if (until(msgs)) {
        clearTimeout(timer);
        resolve();
      }
    };
    es.addEventListener('message', (m) => { msgs.push(m as MessageEvent); check(); });
    es.addEventListener('error', check);
    check();
  });
  es.close();
  return msgs;
}

const fast = { reconnectMs: 5, maxReconnectMs: 20 };

describe('FetchEventSource', () => {
  test('a BOM, a multi-byte character split across reads; reconnects with the last dispatched id', async () => {
    const e = new TextEncoder().encode('data: é€\n\n');
    const { fetch, calls } = scripted((n) => n === 0
      ? sse([new Uint8Array([0xef, 0xbb]), new Uint8Array([0xbf, ...e.slice(0, 7)]), e.slice(7), 'data: a\nid: 1\n\n', 'data: b\nid: 2\n'], { cut: true })
      : sse(['\ufeffdata: c\nid: 3\n\n'], { cut: true }));
    const es = new FetchEventSource('http://127.0.0.1:1/sse', { fetch, headers: { authorization: 'Bearer t' }, ...fast });
    const msgs = await collect(es, (m) => m.length === 3, 'three messages');
    assert.deepEqual(msgs.map((m) => m.data), ['é€', 'a', 'c'], 'a BOM after the start of a stream is dropped too (each stream starts anew)');
    assert.equal(calls[0]!.get('last-event-id'), null);
    assert.equal(calls[1]!.get('last-event-id'), '1', 'the event of id 2 was cut off: not acknowledged');
    assert.equal(calls[1]!.get('authorization'), 'Bearer t');
    assert.equal(es.readyState, es.CLOSED);
  });

  test('a final answer (401, 403, 404, not an event stream) closes for good: one error, no reconnection', async () => {
    for (const res of [
      () => new Response('{"error":"unknown or revoked token"}', { status: 401, headers: { 'content-type': 'application/json' } }),
      () => new Response('', { status: 403 }),
      () => new Response('', { status: 404 }),
      () => new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } }),
    ]) {
      const { fetch, calls } = scripted(() => res());
      const es = new FetchEventSource('http://127.0.0.1:1/sse', { fetch, ...fast });
      let errors = 0;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no error event')), 15_000);
        es.addEventListener('error', () => { errors++; clearTimeout(timer); resolve(); });
      });
      assert.equal(es.readyState, es.CLOSED);
      // Give a looping source every chance to call again (many reconnection delays), then count.
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(calls.length, 1, 'no second request');
      assert.equal(errors, 1);
    }
  });

  test('429 and 503 are retried with bounded backoff, Retry-After and retry: capped', async () => {
    // The server asks for a day (Retry-After) and 11 days (retry:): the cap (20 ms here) wins.
    const { fetch, calls } = scripted((n) => {
      if (n < 4) return new Response('busy', { status: n % 2 === 0 ? 503 : 429, headers: { 'retry-after': '86400' } });
      if (n === 4) return sse(['retry: 999999999\n', 'data: a\nid: 1\n\n'], { cut: true });
      if (n === 5) return new Error('ECONNREFUSED');
      return sse(['data: b\nid: 2\n\n']);
    });
    const es = new FetchEventSource('http://127.0.0.1:1/sse', { fetch, ...fast });
    const msgs = await collect(es, (m) => m.length === 2, 'two messages');
    assert.deepEqual(msgs.map((m) => m.data), ['a', 'b']);
    assert.equal(calls[6]!.get('last-event-id'), '1');
  });

  test('an endless line or event closes the source (bounded memory), no reconnection', async () => {
    const chunk = 'x'.repeat(1 << 16);
    for (const start of ['data: ', 'data: y\n']) {
      let sent = 0;
      const { fetch, calls } = scripted(() => new Response(new ReadableStream<Uint8Array>({
        pull(c) {
          sent += chunk.length;
          c.enqueue(new TextEncoder().encode(sent === chunk.length ? start + chunk : start === 'data: ' ? chunk : `data: ${chunk}\n`));
        },
      }), { headers: { 'content-type': 'text/event-stream' } }));
      const es = new FetchEventSource('http://127.0.0.1:1/sse', { fetch, ...fast });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the source did not give up')), 30_000);
        es.addEventListener('error', () => { clearTimeout(timer); resolve(); });
      });
      assert.equal(es.readyState, es.CLOSED);
      assert.ok(sent <= 17 * 1024 * 1024 + 2 * chunk.length, `read ${sent} characters`);
      assert.equal(calls.length, 1);
    }
  });

  test('retry: 0 from the server does not make a tight loop: every wait is at least minReconnectMs', async () => {
    const at: number[] = [];
    const { fetch } = scripted((n) => {
      at.push(performance.now());
      // Each stream sets retry: 0, delivers one new event (progress: no backoff) and ends; then 503s.
      return n < 4 ? sse([`retry: 0\ndata: ${n}\nid: ${n}\n\n`]) : new Response('busy', { status: 503 });
    });
    const es = new FetchEventSource('http://127.0.0.1:1/sse', { fetch, reconnectMs: 5, minReconnectMs: 40, maxReconnectMs: 1_000 });
    await collect(es, () => at.length >= 7, 'seven requests');
    for (let k = 1; k < at.length; k++) {
      // Timers never fire early (a millisecond of rounding allowed); load only makes waits longer.
      assert.ok(at[k]! - at[k - 1]! >= 39, `request ${k} came ${(at[k]! - at[k - 1]!).toFixed(1)} ms after the one before`);
    }
  });

  test('close() from a listener stops delivery at once, even of events already read', async () => {
    const { fetch } = scripted(() => sse(['data: a\nid: 1\n\ndata: b\nid: 2\n\ndata: c\nid: 3\n\n']));
    const es = new FetchEventSource('http://127.0.0.1:1/sse', { fetch, ...fast });
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no message')), 15_000);
      es.addEventListener('message', (m) => {
        got.push((m as MessageEvent).data as string);
        es.close();
        clearTimeout(timer);
        setTimeout(resolve, 50);
      });
    });
    assert.deepEqual(got, ['a'], 'b and c came in the same read, after close()');
  });

  test('close() during the reconnection wait ends it at once', async () => {
    const { fetch, calls } = scripted(() => sse(['data: a\nid: 1\n\n']));
    const es = new FetchEventSource('http://127.0.0.1:1/sse', { fetch, reconnectMs: 60_000, maxReconnectMs: 60_000 });
    await collect(es, (m) => m.length === 1, 'one message');
    assert.equal(es.readyState, es.CLOSED);
    assert.equal(calls.length, 1);
  });
});
