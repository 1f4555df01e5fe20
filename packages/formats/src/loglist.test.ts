import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  LOG_LIST_HEADER,
  LogListError,
  MAX_LOG_LIST_SIZE,
  MAX_QPD,
  formatLogList,
  parseLogList,
  type LogList,
} from './loglist.js';
import { formatSignerKey, verifierKeyFromSigner } from './keys.js';
import { utf8Encode } from './encoding.js';

const VECTORS = join(import.meta.dirname, '..', '..', '..', 'test', 'vectors');
const vectors = (name: string): any => JSON.parse(readFileSync(join(VECTORS, name), 'utf8'));
const vkeysValid: any[] = vectors('signed_note.json').vkeys_valid;
const vk = (name: string): string => vkeysValid.find((v) => v.key_name === name)!.vkey;

const ARCHE = vk('arche2025h1.staging.ct.transparency.dev');
const SIGSUM = vk('sigsum.org/v1/tree/4e89cc51651f0d95f3c6127c15e1a42e3ddf7046c5b17b752689c402e773bb4d');
const REKOR = vk('log2025-alpha3.rekor.sigstage.dev');
const EXAMPLE = vk('log.example.org');
const WITNESS_VKEY: string = vectors('cosignatures.json').ed25519_cosignatures[0].vkey;

// A realistic list in the style of witness-network.org's testing list (keys from the vectors).
const LIST = `#
# Logs our witnesses accept. Format: https://witness-network.org/log-list-format
#
logs/v0

vkey ${ARCHE}
qpd 86400
contact google-ct-logs@googlegroups.com

# Sigsum: the origin is the vkey name.
vkey ${SIGSUM}
qpd 8640
contact sigsum-logs (at) glasklarteknik.se | https://git.glasklar.is/glasklar/services/sigsum-logs
\t
  vkey ${REKOR}  \t
  qpd 86400
  contact infra-dev (at) sigstore.dev

vkey ${EXAMPLE}
origin example.org/audit
qpd 1
contact ops@example.org
`;

function rejects(text: string | Uint8Array, code: string, line?: number): void {
  assert.throws(
    () => parseLogList(text),
    (e: unknown) => {
      assert.ok(e instanceof LogListError, `not a LogListError: ${String(e)}`);
      assert.equal(e.code, code, e.message);
      assert.equal(e.line, line, e.message);
      return true;
    },
  );
}

test('a realistic list parses, with origins defaulting to the key name', () => {
  const l = parseLogList(LIST);
  assert.deepEqual(l, {
    logs: [
      { vkey: ARCHE, origin: 'arche2025h1.staging.ct.transparency.dev', qpd: 86400, contact: 'google-ct-logs@googlegroups.com' },
      {
        vkey: SIGSUM,
        origin: 'sigsum.org/v1/tree/4e89cc51651f0d95f3c6127c15e1a42e3ddf7046c5b17b752689c402e773bb4d',
        qpd: 8640,
        contact: 'sigsum-logs (at) glasklarteknik.se | https://git.glasklar.is/glasklar/services/sigsum-logs',
      },
      { vkey: REKOR, origin: 'log2025-alpha3.rekor.sigstage.dev', qpd: 86400, contact: 'infra-dev (at) sigstore.dev' },
      { vkey: EXAMPLE, origin: 'example.org/audit', qpd: 1, contact: 'ops@example.org' },
    ],
  });
  assert.deepEqual(parseLogList(utf8Encode(LIST)), l);
  const canonical = formatLogList(l);
  assert.ok(canonical.startsWith(`${LOG_LIST_HEADER}\n\nvkey ${ARCHE}\nqpd 86400\n`));
  assert.ok(canonical.includes(`vkey ${EXAMPLE}\norigin example.org/audit\nqpd 1\n`));
  assert.deepEqual(parseLogList(canonical), l);
  assert.equal(formatLogList(parseLogList(canonical)), canonical);
});

test('an empty list and limits of qpd', () => {
  assert.deepEqual(parseLogList('logs/v0\n'), { logs: [] });
  assert.deepEqual(parseLogList('# only a header\nlogs/v0'), { logs: [] });
  assert.equal(parseLogList(`logs/v0\nvkey ${ARCHE}\nqpd ${MAX_QPD}\ncontact x\n`).logs[0]!.qpd, MAX_QPD);
});

test('malformed lists name the line and the problem', () => {
  const entry = (qpd = '24', extra = '') => `vkey ${ARCHE}\n${extra}qpd ${qpd}\ncontact a@b\n`;
  rejects('', 'missing-header');
  rejects('# nothing\n', 'missing-header');
  rejects(`vkey ${ARCHE}\n`, 'missing-header', 1);
  rejects('logs/v1\n', 'missing-header', 1);
  rejects('LOGS/V0\n', 'missing-header', 1);
  rejects('logs/v0\nlogs/v0\n', 'unexpected-line', 2);
  rejects('logs/v0\r\n', 'bad-char', 1);
  rejects(`logs/v0\n${entry()}`.replace('contact a@b', 'contact a\u0000b'), 'bad-char', 4);
  rejects(`logs/v0\n${entry('0')}`, 'bad-qpd', 3);
  rejects(`logs/v0\n${entry('024')}`, 'bad-qpd', 3);
  rejects(`logs/v0\n${entry('-1')}`, 'bad-qpd', 3);
  rejects(`logs/v0\n${entry('1.5')}`, 'bad-qpd', 3);
  rejects(`logs/v0\n${entry(String(MAX_QPD + 1))}`, 'bad-qpd', 3);
  rejects(`logs/v0\n${entry('')}`, 'bad-qpd', 3);
  rejects(`logs/v0\n${entry('24 24')}`, 'bad-qpd', 3);
  rejects(`logs/v0\n${entry().replace('qpd 24', 'qpd  24')}`, 'bad-qpd', 3);
  // Strict order: vkey, [origin], qpd, contact.
  rejects(`logs/v0\nqpd 24\n${entry()}`, 'unexpected-line', 2);
  rejects(`logs/v0\norigin x\n${entry()}`, 'unexpected-line', 2);
  rejects(`logs/v0\nvkey ${ARCHE}\ncontact a@b\nqpd 24\n`, 'unexpected-line', 3);
  rejects(`logs/v0\nvkey ${ARCHE}\nqpd 24\norigin x\ncontact a@b\n`, 'unexpected-line', 4);
  rejects(`logs/v0\nvkey ${ARCHE}\norigin x\norigin y\nqpd 24\ncontact a@b\n`, 'unexpected-line', 4);
  rejects(`logs/v0\nvkey ${ARCHE}\nvkey ${REKOR}\n`, 'unexpected-line', 3);
  rejects(`logs/v0\nbastion none\n`, 'unexpected-line', 2);
  rejects(`logs/v0\nrevision 2\n`, 'unexpected-line', 2);
  rejects(`logs/v0\n${entry('24', 'origin\n')}`, 'bad-origin', 3);
  rejects(`logs/v0\n${entry().replace('contact a@b', 'contact')}`, 'bad-contact', 4);
  rejects(`logs/v0\n${entry().replace('contact a@b', 'contact  a@b')}`, 'bad-contact', 4);
  rejects(`logs/v0\nvkey ${ARCHE}\n`, 'incomplete-log', 2);
  rejects(`logs/v0\nvkey ${ARCHE}\nqpd 24\n`, 'incomplete-log', 2);
  // Keys: type 0x01 only, valid, listed once.
  rejects(`logs/v0\nvkey ${WITNESS_VKEY}\nqpd 24\ncontact x\n`, 'wrong-key-type', 2);
  rejects(`logs/v0\nvkey ${ARCHE.slice(0, -1)}\nqpd 24\ncontact x\n`, 'bad-vkey', 2);
  rejects(`logs/v0\nvkey ${ARCHE.replace('+ba2f06c0+', '+ba2f06c1+')}\nqpd 24\ncontact x\n`, 'bad-vkey', 2);
  rejects(`logs/v0\nvkey\nqpd 24\ncontact x\n`, 'bad-vkey', 2);
  rejects(`logs/v0\nvkey ${ARCHE} extra\nqpd 24\ncontact x\n`, 'bad-vkey', 2);
  rejects(`logs/v0\n${entry()}\n${entry()}`, 'duplicate-log', 6);
  // Sizes and encodings.
  rejects(`logs/v0\n#${'x'.repeat(MAX_LOG_LIST_SIZE)}`, 'too-large');
  rejects(new Uint8Array(MAX_LOG_LIST_SIZE + 1), 'too-large');
  rejects(`logs/v0\n#${'é'.repeat(MAX_LOG_LIST_SIZE / 2)}`, 'too-large');
  rejects(new Uint8Array([0x6c, 0xc0, 0x0a]), 'bad-utf8');
  rejects('logs/v0\n#\udfff\n', 'bad-utf8');
  rejects(null as unknown as string, 'bad-input');
});

test('formatLogList rejects entries that would not parse back', () => {
  const ok = parseLogList(`logs/v0\nvkey ${ARCHE}\nqpd 24\ncontact a@b\n`).logs[0]!;
  const bad = (e: object, code: string) =>
    assert.throws(() => formatLogList({ logs: [{ ...ok, ...e }] }), (x: unknown) => x instanceof LogListError && x.code === code);
  bad({ qpd: 0 }, 'bad-qpd');
  bad({ qpd: 1.5 }, 'bad-qpd');
  bad({ qpd: MAX_QPD + 1 }, 'bad-qpd');
  bad({ contact: '' }, 'bad-input');
  bad({ contact: 'a\nvkey x' }, 'bad-input');
  bad({ contact: ' a' }, 'bad-input');
  bad({ origin: 'two\nlines' }, 'bad-input');
  bad({ vkey: 'nope' }, 'bad-vkey');
  bad({ vkey: WITNESS_VKEY }, 'wrong-key-type');
  assert.throws(() => formatLogList({ logs: [ok, ok] }), (x: unknown) => x instanceof LogListError && x.code === 'duplicate-log');
});

// ---- properties ----

const KEYS = Array.from({ length: 6 }, (_, i) =>
  verifierKeyFromSigner(formatSignerKey(`log${i}.example/tree`, new Uint8Array(32).fill(i + 1))),
);
const textArb = fc.stringMatching(/^[!-~](?:[ -~]{0,30}[!-~])?$/).filter((s) => !s.startsWith('#'));

const listArb: fc.Arbitrary<LogList> = fc
  .uniqueArray(fc.integer({ min: 0, max: KEYS.length - 1 }), { maxLength: KEYS.length })
  .chain((idx) =>
    fc.tuple(
      ...idx.map((i) =>
        fc.record({
          vkey: fc.constant(KEYS[i]!),
          origin: fc.oneof(fc.constant(`log${i}.example/tree`), textArb),
          qpd: fc.integer({ min: 1, max: MAX_QPD }),
          contact: textArb,
        }),
      ),
    ),
  )
  .map((logs) => ({ logs }));

test('property: parse(format(x)) == x and format(parse(t)) == t', () => {
  fc.assert(
    fc.property(listArb, (l) => {
      const t = formatLogList(l);
      const p = parseLogList(t);
      assert.deepEqual(p, JSON.parse(JSON.stringify(l)));
      assert.equal(formatLogList(p), t);
    }),
    { numRuns: 150 },
  );
});

test('property: random, mutated and oversized input only throws LogListError', () => {
  const only = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      assert.ok(e instanceof LogListError, `unexpected ${String(e)}`);
    }
  };
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), (s, b) => {
      only(() => parseLogList(s));
      only(() => parseLogList(`logs/v0\n${s}`));
      only(() => parseLogList(b));
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(), fc.string({ maxLength: 2 })), { minLength: 1, maxLength: 3 }), (muts) => {
      let t = LIST;
      for (const [p, ins] of muts) {
        const at = p % t.length;
        t = t.slice(0, at) + ins + t.slice(at + 1);
      }
      only(() => parseLogList(t));
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom('logs/v0', 'vkey', 'origin', 'qpd', 'contact', '0', '24', 'x', KEYS[0]!, WITNESS_VKEY, ' ', '\n', '#'), { maxLength: 40 }),
      (toks) => only(() => parseLogList(toks.join(' '))),
    ),
    { numRuns: 300 },
  );
});

// Regression (found by `pnpm fuzz`, target log-list): each line was trimmed with
// /^[ \t]+|[ \t]+$/g, quadratic in a run of blanks between two words: a 16 MiB list (the cap)
// with one such line would never finish parsing. The timeout only turns a hang into a failure.
test('a line with a long inner run of blanks is rejected in linear time', { timeout: 30_000 }, () => {
  const list = `${LOG_LIST_HEADER}\nx${' '.repeat(4 * 1024 * 1024)}x\n`;
  assert.throws(() => parseLogList(list), (e: unknown) => e instanceof LogListError && e.code === 'unexpected-line');
  assert.throws(() => formatLogList({ logs: [{ vkey: `a${'\t'.repeat(1 << 20)}b`, origin: 'o', qpd: 1, contact: 'c' }] }),
    (e: unknown) => e instanceof LogListError);
});
