// The HTTP layer and fetchers against a scripted fetch: retries, timeouts, aborts, caps, and the
// strict validation of answers. (End to end against a real log server: test/client/.)
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeBase64 } from '@cairn/formats';
import { FetchError, VerifyError, createLogFetcher, createTilesFetcher, fetchWitnessCheckpoint, witnessCheckpointUrl, type FetchOptions } from './index.js';

type Step = Response | Error | 'hang';

/** A fetch that plays `steps` in order (the last one repeats) and records the URLs asked. */
function scripted(steps: Step[]): { fetch: typeof globalThis.fetch; urls: string[] } {
  const urls: string[] = [];
  let i = 0;
  const f = (async (input: string | URL | Request, init?: RequestInit) => {
    urls.push(String(input));
    const step = steps[Math.min(i++, steps.length - 1)]!;
    if (step === 'hang') {
      return new Promise<Response>((_, reject) => {
        const s = init?.signal;
        s?.addEventListener('abort', () => reject(s.reason), { once: true });
      });
    }
    if (step instanceof Error) throw step;
    return step.clone();
  }) as typeof globalThis.fetch;
  return { fetch: f, urls };
}

const trpcOk = (data: unknown): Response => new Response(JSON.stringify({ result: { data } }), { status: 200, headers: { 'content-type': 'application/json' } });
const quick: FetchOptions = { backoffMs: 0, timeoutMs: 2_000 };

async function fails(code: string, p: Promise<unknown>): Promise<FetchError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof FetchError, `expected FetchError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected FetchError ${code}`);
}

describe('retries, timeouts and aborts', () => {
  const cp = { note: 'n\n', size: '1', rootHash: encodeBase64(new Uint8Array(32)), time: 5 };

  test('5xx and network errors are retried, then succeed', async () => {
    const s = scripted([new Response('busy', { status: 503 }), new TypeError('fetch failed'), trpcOk(cp)]);
    const log = createLogFetcher('http://log.test', { ...quick, fetch: s.fetch });
    const got = await log.checkpoint();
    assert.equal(got.size, 1n);
    assert.equal(s.urls.length, 3);
    assert.equal(s.urls[0], 'http://log.test/trpc/log.checkpoint');
  });

  test('retries are bounded', async () => {
    const s = scripted([new Response('down', { status: 502 })]);
    const e = await fails('http-status', createLogFetcher('http://log.test', { ...quick, retries: 1, fetch: s.fetch }).checkpoint());
    assert.equal(e.attempts, 2);
    assert.equal(e.status, 502);
    assert.equal(s.urls.length, 2);
  });

  test('404 and other 4xx are not retried; tRPC error messages are kept', async () => {
    const body = JSON.stringify({ error: { message: 'entry 9 is not in the tree of size 3', code: -32004, data: { httpStatus: 404, cairnCode: 'beyond-tree' } } });
    const s = scripted([new Response(body, { status: 404 })]);
    const e = await fails('not-found', createLogFetcher('http://log.test', { ...quick, fetch: s.fetch }).entry(9n));
    assert.equal(s.urls.length, 1);
    assert.match(e.message, /entry 9 is not in the tree of size 3 \(HTTP 404, beyond-tree\)/);
    assert.match(s.urls[0]!, /log\.entry\?input=%7B%22index%22%3A%229%22%7D$/);
    const s2 = scripted([new Response('no', { status: 400 })]);
    await fails('http-status', createLogFetcher('http://log.test', { ...quick, fetch: s2.fetch }).status());
    assert.equal(s2.urls.length, 1);
  });

  test('an attempt that hangs times out, and is retried', async () => {
    const s = scripted(['hang']);
    const e = await fails('timeout', createLogFetcher('http://log.test', { backoffMs: 0, timeoutMs: 30, retries: 2, fetch: s.fetch }).checkpoint());
    assert.equal(e.attempts, 3);
  });

  test("the caller's abort stops at once, without retries", async () => {
    const s = scripted(['hang']);
    const ac = new AbortController();
    const p = createLogFetcher('http://log.test', { ...quick, retries: 5, fetch: s.fetch }).checkpoint({ signal: ac.signal });
    ac.abort();
    const e = await fails('aborted', p);
    assert.equal(e.attempts, 1);
    const pre = new AbortController();
    pre.abort();
    await fails('aborted', createLogFetcher('http://log.test', { ...quick, signal: pre.signal, fetch: scripted([trpcOk(cp)]).fetch }).checkpoint());
  });

  test('bad options are refused', () => {
    assert.throws(() => createLogFetcher('ftp://x'), (e) => e instanceof FetchError && e.code === 'bad-input');
    assert.throws(() => createLogFetcher('http://x', { retries: 99 }), (e) => e instanceof FetchError && e.code === 'bad-input');
  });
});

describe('answers are validated', () => {
  test('non-canonical or mistyped fields are bad-response', async () => {
    const root = encodeBase64(new Uint8Array(32));
    for (const data of [
      { note: 'n\n', size: '01', rootHash: root, time: 1 },
      { note: 'n\n', size: '1', rootHash: root.slice(0, -1), time: 1 },
      { note: 7, size: '1', rootHash: root, time: 1 },
      { note: 'n\n', size: '1', rootHash: root, time: -1 },
    ]) {
      await fails('bad-response', createLogFetcher('http://log.test', { ...quick, fetch: scripted([trpcOk(data)]).fetch }).checkpoint());
    }
    await fails('bad-response', createLogFetcher('http://log.test', { ...quick, fetch: scripted([new Response('<html>')]).fetch }).checkpoint());
    const wrongIndex = trpcOk({ index: '4', treeSize: '9', proof: [] });
    await fails('bad-response', createLogFetcher('http://log.test', { ...quick, fetch: scripted([wrongIndex]).fetch }).inclusionProof({ index: 3n }));
    const longProof = trpcOk({ m: '1', n: '2', proof: Array.from({ length: 65 }, () => root) });
    await fails('bad-response', createLogFetcher('http://log.test', { ...quick, fetch: scripted([longProof]).fetch }).consistencyProof(1n, 2n));
  });

  test('oversized bodies are cut off', async () => {
    const big = new Response(new Uint8Array(9000), { status: 200 });
    await fails('too-large', createTilesFetcher('http://log.test', { ...quick, fetch: scripted([big]).fetch }).tile({ level: 0, index: 0n, width: 256 }));
  });

  test('tiles must have exactly their width; a partial tile that is gone is read from the full one', async () => {
    const full = new Uint8Array(8192).map((_, i) => i & 255);
    const s = scripted([new Response('gone', { status: 404 }), new Response(full)]);
    const t = createTilesFetcher('http://log.test/prefix/', { ...quick, fetch: s.fetch });
    const got = await t.tile({ level: 1, index: 1234n, width: 3 });
    assert.deepEqual(got, full.subarray(0, 96));
    assert.deepEqual(s.urls, ['http://log.test/prefix/tile/1/x001/234.p/3', 'http://log.test/prefix/tile/1/x001/234']);
    const short = scripted([new Response(new Uint8Array(64))]);
    await assert.rejects(createTilesFetcher('http://log.test', { ...quick, fetch: short.fetch }).tile({ level: 0, index: 0n, width: 3 }), (e: unknown) =>
      e instanceof VerifyError && e.code === 'bad-log-data' && e.evidence.tile === 'tile/0/000.p/3' && /has 64 bytes/.test(e.message));
  });

  test('a malformed bundle, or the log answering that its stored copy is corrupt, is bad-log-data naming the tile (not retried)', async () => {
    const bundle = Uint8Array.of(0x61, 0x63, 1, 2, 3); // declares 24931 bytes, 3 remain
    const t = createTilesFetcher('http://log.test', { ...quick, fetch: scripted([new Response(bundle)]).fetch });
    await assert.rejects(t.entryBundle(0n, 256), (e: unknown) =>
      e instanceof VerifyError && e.code === 'bad-log-data' && e.evidence.tile === 'tile/entries/000' && /24931/.test(String(e.evidence.problem)));
    const s = scripted([new Response('the log\'s stored data failed an integrity check: tile/entries/000: …', { status: 500, headers: { 'Cairn-Error-Code': 'integrity' } })]);
    await assert.rejects(createTilesFetcher('http://log.test', { ...quick, retries: 2, fetch: s.fetch }).entryBundle(0n, 256), (e: unknown) =>
      e instanceof VerifyError && e.code === 'bad-log-data' && e.evidence.tile === 'tile/entries/000' && /integrity check/.test(e.message));
    assert.equal(s.urls.length, 1, 'an integrity answer is final');
  });
});

describe('witness monitoring endpoint', () => {
  test('the path is the hex SHA-256 of the origin', async () => {
    assert.equal(
      witnessCheckpointUrl('https://w.example/monitor/', 'rome2026h1.example.org'),
      'https://w.example/monitor/000de184301123b9278c086a7d9f68c9577e83872224c197058fd90784ea9706/checkpoint',
    );
    const s = scripted([new Response('example.org/log\n1\nAAAA\n\n— x y\n')]);
    assert.match(await fetchWitnessCheckpoint('https://w.example', 'example.org/log', { ...quick, fetch: s.fetch }), /^example.org\/log\n/);
    await fails('not-found', fetchWitnessCheckpoint('https://w.example', 'example.org/log', { ...quick, fetch: scripted([new Response('', { status: 404 })]).fetch }));
  });
});
