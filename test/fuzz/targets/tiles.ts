/**
 * The tlog-tiles HTTP read path: `createTilesHandler` of @cairn/api over the package's in-memory
 * FakeLog (600 entries: full and partial tiles on levels 0 and 1), called directly with mock
 * req/res. Only 200/400/404/405 may come back, never 500, exactly once, with a Content-Length
 * that matches; a 200 tile has width × 32 bytes and a 200 bundle parses with its width.
 */
import fc from 'fast-check';
import { gunzipSync } from 'node:zlib';
import { parseEntryBundle, utf8Encode } from '@cairn/formats';
import { isEntryBundleRef, parseTilePath } from '@cairn/merkle';
import { createTilesHandler } from '@cairn/api';
import { FakeLog } from '../../../packages/api/src/testing/fake-log.js';
import { accepted, invariant, rejected, type FuzzTarget, type Outcome } from '../harness.js';
import { tilePathArbitrary } from './formats.js';
import { mockRequest, mockResponse } from '../mock-http.js';

const FAKE_ENTRIES = 600;
const ALLOWED_STATUS = new Set([200, 400, 404, 405]);

let log: FakeLog | undefined;
async function fakeLog(): Promise<FakeLog> {
  if (log === undefined) {
    const l = new FakeLog();
    await l.submit(Array.from({ length: FAKE_ENTRIES }, (_, i) => utf8Encode(`tile fuzz entry ${i}`)));
    log = l;
  }
  return log;
}

export interface TilesInput {
  readonly prefix: '' | '/log';
  readonly method: string;
  readonly url: string;
  readonly acceptEncoding: string | undefined;
}

const rest = fc.oneof(
  { weight: 6, arbitrary: tilePathArbitrary.map((p) => (p.startsWith('tile/') ? p : `tile/${p}`)) },
  { weight: 3, arbitrary: tilePathArbitrary },
  { weight: 1, arbitrary: fc.constantFrom('checkpoint', 'checkpoint/', 'tile/', 'tile', 'tile/0/001.p/88', 'tile/entries/002.p/88', 'tile/1/000.p/2') },
  { weight: 1, arbitrary: fc.string({ maxLength: 300 }) },
);

export const tilesHttpTarget: FuzzTarget<TilesInput> = {
  name: 'tiles-http',
  description: 'tiles handler (FakeLog, mock req/res): only 200/400/404/405, answered once, correct lengths; 200 tiles and bundles well-formed',
  ciRuns: 600,
  arbitrary: fc.record({
    prefix: fc.constantFrom<'' | '/log'>('', '/log'),
    method: fc.oneof({ weight: 8, arbitrary: fc.constant('GET') }, { weight: 2, arbitrary: fc.constantFrom('HEAD', 'POST', 'PUT', 'OPTIONS', 'get', '') }),
    url: fc.tuple(rest, fc.constantFrom('', '?', '?x=1', '#f', '/')).map(([r, q]) => `${r}${q}`),
    acceptEncoding: fc.oneof(fc.constant(undefined), fc.constantFrom('gzip', 'gzip;q=0', '*', 'br, gzip;q=0.5', 'gzip;q=abc', ''), fc.string({ maxLength: 30 })),
  }),
  async run(input): Promise<Outcome> {
    const node = await fakeLog();
    node.resetCalls();
    const handler = createTilesHandler({ node, prefix: input.prefix });
    const url = `${input.prefix}/${input.url}`;
    const req = mockRequest({ method: input.method, url, ...(input.acceptEncoding !== undefined ? { headers: { 'Accept-Encoding': input.acceptEncoding } } : {}) });
    const { res, captured } = mockResponse();
    const handled = await handler(req, res);
    if (!handled) {
      invariant(captured.ends === 0, 'an unhandled request was answered');
      return rejected('not-ours');
    }
    const status = captured.status;
    invariant(status !== undefined && captured.ends === 1 && !captured.destroyed, `request not answered exactly once (status ${status})`);
    invariant(ALLOWED_STATUS.has(status), `status ${status} for ${JSON.stringify(url)}: ${Buffer.from(captured.body ?? []).toString('utf8').slice(0, 200)}`);
    const isHead = input.method === 'HEAD';
    const body = captured.body ?? new Uint8Array(0);
    invariant(isHead ? captured.body === undefined : captured.headers['content-length'] === String(body.length), 'Content-Length does not match the body');
    if (status === 200 && !isHead) {
      const path = url.slice(input.prefix.length + 1).split('?')[0]!;
      if (path !== 'checkpoint') {
        const ref = parseTilePath(path);
        if (isEntryBundleRef(ref)) {
          const raw = captured.headers['content-encoding'] === 'gzip' ? new Uint8Array(gunzipSync(body)) : body;
          invariant(parseEntryBundle(raw, ref.width).length === ref.width, 'bundle with the wrong number of entries');
        } else {
          invariant(body.length === ref.width * 32, `tile of ${body.length} bytes for width ${ref.width}`);
        }
      }
    }
    return status === 200 ? accepted(`${status}`) : rejected(`${status}`);
  },
};
