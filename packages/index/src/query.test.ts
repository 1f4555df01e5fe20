// The query language: valid queries and the trees they give; invalid ones and the position each
// error points at; hostile input (deep nesting, huge queries, many terms) refused with a bound
// named; and on random strings, nothing but a QueryError ever escapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { QueryError, formatQueryError } from './errors.js';
import { MAX_QUERY_DEPTH, MAX_QUERY_LENGTH, MAX_QUERY_TERMS, parseQuery, parseTime, type Query } from './query.js';

const NOW = Date.UTC(2026, 11, 2, 12, 0, 0);
const int = (column: string, op: string, value: number): Query => ({ kind: 'int', column, op, value }) as Query;
const member = (column: string, value: string): Query => ({ kind: 'member', column, value }) as Query;
const text = (words: string[], prefix = false): Query => ({ kind: 'text', term: { words, prefix } });

function fails(q: string, code: string, column: number): QueryError {
  let err: unknown;
  try {
    parseQuery(q, { now: NOW });
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof QueryError, `${JSON.stringify(q)} must fail with a QueryError, got ${String(err)}`);
  assert.deepEqual([err.code, err.column], [code, column], `${JSON.stringify(q)}: ${err.message}`);
  return err;
}

test('field terms, implicit AND, and the brief\'s example', () => {
  assert.deepEqual(parseQuery('actor:alice class:api_activity status:failure resource.namespace:payments'), {
    kind: 'and',
    items: [
      member('actors', 'alice'),
      int('class_uid', '=', 6003),
      int('status_id', '=', 2), { kind: 'not', item: int('class_uid', '=', 2004) },
      member('resource_namespaces', 'payments'),
    ],
  });
  assert.deepEqual(parseQuery('source:k8s-prod'), { kind: 'keyword', column: 'source', value: 'k8s-prod' });
  assert.deepEqual(parseQuery('api.operation:"get"'), { kind: 'keyword', column: 'api_operation', value: 'get' });
  assert.deepEqual(parseQuery('class:3002'), int('class_uid', '=', 3002));
  assert.deepEqual(parseQuery('status:in_progress'), { kind: 'and', items: [int('status_id', '=', 2), int('class_uid', '=', 2004)] });
  assert.deepEqual(parseQuery('status:99'), int('status_id', '=', 99));
  assert.deepEqual(parseQuery('user:"Alice Martin"'), member('users', 'Alice Martin'));
  assert.deepEqual(parseQuery('actor:"say \\"hi\\" \\\\"'), member('actors', 'say "hi" \\'));
  assert.deepEqual(parseQuery('*'), { kind: 'all' });
});

test('AND, OR, NOT, parentheses: OR binds weaker than AND', () => {
  const a = member('actors', 'a');
  const b = member('actors', 'b');
  const c = member('actors', 'c');
  assert.deepEqual(parseQuery('actor:a OR actor:b actor:c'), { kind: 'or', items: [a, { kind: 'and', items: [b, c] }] });
  assert.deepEqual(parseQuery('actor:a AND actor:b OR actor:c'), { kind: 'or', items: [{ kind: 'and', items: [a, b] }, c] });
  assert.deepEqual(parseQuery('(actor:a OR actor:b) AND NOT actor:c'), { kind: 'and', items: [{ kind: 'or', items: [a, b] }, { kind: 'not', item: c }] });
  assert.deepEqual(parseQuery('NOT NOT actor:a'), { kind: 'not', item: { kind: 'not', item: a } });
  assert.deepEqual(parseQuery('NOT(actor:a)'), { kind: 'not', item: a });
  // Lower-case operators are words to search for.
  assert.deepEqual(parseQuery('cats and dogs'), { kind: 'and', items: [text(['cats']), text(['and']), text(['dogs'])] });
  assert.deepEqual(parseQuery('ANDROID'), text(['android']));
});

test('full text: words, phrases, prefixes', () => {
  assert.deepEqual(parseQuery('"DB Password"'), text(['db', 'password']));
  assert.deepEqual(parseQuery('db-password'), text(['db', 'password']));
  assert.deepEqual(parseQuery('alice.martin@example.com'), text(['alice', 'martin', 'example', 'com']));
  assert.deepEqual(parseQuery('alic*'), text(['alic'], true));
  assert.deepEqual(parseQuery('Ünïcödé'), text(['ünïcödé']));
});

test('time: days, instants with offsets, milliseconds, now', () => {
  const day = Date.UTC(2026, 10, 1);
  assert.deepEqual(parseQuery('time:2026-11-01'), { kind: 'and', items: [int('time', '>=', day), int('time', '<', day + 86_400_000)] });
  assert.deepEqual(parseQuery('time>=2026-11-01'), int('time', '>=', day));
  assert.deepEqual(parseQuery('time:>=2026-11-01'), int('time', '>=', day));
  assert.deepEqual(parseQuery('time<2026-11-01T09:30:00.5+02:00'), int('time', '<', day + 7.5 * 3_600_000 + 500));
  assert.deepEqual(parseQuery('time:2026-11-01T09:30Z'), int('time', '=', day + 9.5 * 3_600_000));
  assert.deepEqual(parseQuery('time>1767225600000'), int('time', '>', 1767225600000));
  assert.deepEqual(parseQuery('time>=now-7d time<=now', { now: NOW }), { kind: 'and', items: [int('time', '>=', NOW - 7 * 86_400_000), int('time', '<=', NOW)] });
  assert.equal(parseTime('2024-02-29', {}, 0).ms, Date.UTC(2024, 1, 29));
});

test('severity ranges leave Other (99) out; IP addresses in any spelling', () => {
  assert.deepEqual(parseQuery('severity>=high'), { kind: 'and', items: [int('severity_id', '>=', 4), { kind: 'not', item: int('severity_id', '=', 99) }] });
  assert.deepEqual(parseQuery('severity:other'), int('severity_id', '=', 99));
  const v6 = '2001:0db8:0000:0000:0000:0000:0000:0007';
  for (const s of ['2001:db8::7', '2001:DB8:0:0::7', '2001:0db8:0:0:0:0:0:7']) assert.deepEqual(parseQuery(`src_ip:${s}`), member('src_ips', v6));
  assert.deepEqual(parseQuery('src_ip:::ffff:192.0.2.7'), member('src_ips', '0000:0000:0000:0000:0000:ffff:c000:0207'));
  assert.deepEqual(parseQuery('(src_ip:192.0.2.7)'), member('src_ips', '192.0.2.7'));
});

test('seq: exact bigint comparisons up to 2^63-1, out-of-range values refused at their position', () => {
  const seq = (op: string, value: bigint): Query => ({ kind: 'seq', op, value }) as Query;
  assert.deepEqual(parseQuery('seq:15'), seq('=', 15n));
  assert.deepEqual(parseQuery('seq>=10 seq<20'), { kind: 'and', items: [seq('>=', 10n), seq('<', 20n)] });
  assert.deepEqual(parseQuery('seq:>0'), seq('>', 0n));
  assert.deepEqual(parseQuery('seq<=9223372036854775807'), seq('<=', (1n << 63n) - 1n));
  assert.deepEqual(parseQuery('seq:9007199254740993'), seq('=', 9007199254740993n)); // not a double: kept exact
  fails('seq:9223372036854775808', 'bad-value', 5);
  fails('source:ci seq>=99999999999999999999', 'bad-value', 16);
  fails('seq:015', 'bad-value', 5);
  fails('seq:-1', 'bad-value', 5);
  fails('seq:1.5', 'bad-value', 5);
  fails('seq>=now', 'bad-value', 6);
});

test('errors point at the position', () => {
  fails('', 'empty', 1);
  fails('   ', 'empty', 4);
  fails('actor:alice clas:api_activity', 'unknown-field', 13);
  fails('actor:', 'bad-value', 7);
  fails('class:login', 'bad-value', 7);
  fails('class:4001', 'bad-value', 7);
  fails('time>=2026-02-30', 'bad-value', 7);
  fails('time>=2026-13-01', 'bad-value', 7);
  fails('time>=2026-1-01', 'bad-value', 7);
  fails('time:2026-11-01T24:00Z', 'bad-value', 6);
  fails('time:2026-11-01T10:00:00.1234Z', 'bad-value', 6);
  fails('time:2026-11-01T10:00:00', 'bad-value', 6);
  fails('time>now-07d', 'bad-value', 6);
  fails('time:1969-12-31', 'bad-value', 6);
  fails('actor>alice', 'no-range', 1);
  fails('severity>other', 'bad-value', 10);
  fails('status:done', 'bad-value', 8);
  fails('activity:01', 'bad-value', 10);
  fails('source:-x', 'bad-value', 8);
  fails('src_ip:1.2.3.256', 'bad-value', 8);
  fails('src_ip:1::2::3', 'bad-value', 8);
  fails('actor:alice AND', 'unexpected', 16);
  fails('actor:alice OR OR actor:bob', 'unexpected', 16);
  fails('AND actor:alice', 'unexpected', 1);
  fails('NOT', 'unexpected', 4);
  fails('(actor:alice', 'unterminated', 1);
  fails('actor:alice)', 'unexpected', 12);
  fails('()', 'unexpected', 2);
  fails('"unterminated', 'unterminated', 1);
  fails('"bad \\n escape"', 'bad-value', 6);
  fails('actor=alice', 'unexpected', 6);
  fails(':alice', 'unexpected', 1);
  fails('---', 'bad-value', 1);
  fails('""', 'bad-value', 2);
  fails('ok\u0000', 'bad-character', 3);
  fails('ok \ud800', 'bad-character', 4);
  const e = fails('actor:alice clas:api_activity', 'unknown-field', 13);
  assert.equal(formatQueryError('actor:alice clas:api_activity', e).split('\n')[2], '  ' + ' '.repeat(12) + '^');
});

test('"now" needs the caller\'s clock', () => {
  assert.throws(() => parseQuery('time>now-7d'), (e: unknown) => e instanceof QueryError && e.code === 'bad-value' && e.column === 6);
});

test('hostile input: length, depth and term count are bounded, with the position of the breach', () => {
  fails('a'.repeat(MAX_QUERY_LENGTH + 1), 'too-long', MAX_QUERY_LENGTH + 1);
  assert.deepEqual(parseQuery(' '.repeat(MAX_QUERY_LENGTH - 1) + 'a'), text(['a']));
  const deep = '('.repeat(MAX_QUERY_DEPTH + 1) + 'a' + ')'.repeat(MAX_QUERY_DEPTH + 1);
  fails(deep, 'too-deep', MAX_QUERY_DEPTH + 1);
  const ok = '('.repeat(MAX_QUERY_DEPTH) + 'a' + ')'.repeat(MAX_QUERY_DEPTH);
  assert.deepEqual(parseQuery(ok), text(['a']));
  fails('NOT '.repeat(MAX_QUERY_DEPTH + 1) + 'a', 'too-deep', 4 * MAX_QUERY_DEPTH + 1);
  fails('('.repeat(2000), 'too-deep', MAX_QUERY_DEPTH + 1);
  const terms = Array.from({ length: MAX_QUERY_TERMS + 1 }, (_, i) => `w${i}`).join(' ');
  fails(terms, 'too-many-terms', terms.lastIndexOf(' ') + 2);
  fails(`actor:${'x'.repeat(300)}`, 'bad-value', 7);
});

test('random input: a tree or a QueryError, never another exception', () => {
  const alphabet = fc.constantFrom(...'ab:()" <>=*-\\\tANDORNOT.x1'.split(''), 'actor:', 'time>=', ' OR ', ' AND ', 'NOT ', '2026-11-01', 'class:');
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.array(alphabet, { maxLength: 60 }).map((a) => a.join(''))), (s) => {
      try {
        parseQuery(s, { now: NOW });
      } catch (e) {
        if (!(e instanceof QueryError)) throw e;
        assert.ok(e.position >= 0 && e.position <= s.length, `position ${e.position} within ${s.length}`);
      }
    }),
    { numRuns: 3000 },
  );
});
