/** The two log line formats: both parse back, one time format, values that cannot split a line. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, formatTextLine } from './logger.js';

const T = Date.UTC(2026, 11, 2, 9, 41, 7, 123);
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function capture(format: 'text' | 'json') {
  const lines: string[] = [];
  const log = createLogger({ format, write: (l) => lines.push(l), clock: () => T, level: 'debug' });
  return { lines, log };
}

test('json: one object per line with time (ISO 8601 UTC), level, msg and the fields', () => {
  const { lines, log } = capture('json');
  log.info('checkpoint signed', { size: 42n, root: new Uint8Array([1, 2, 3]), origin: 'a b' });
  log.error('witness failed', { err: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }) });
  assert.equal(lines.length, 2);
  const a = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.deepEqual(a, { time: '2026-12-02T09:41:07.123Z', level: 'info', msg: 'checkpoint signed', size: '42', root: 'AQID', origin: 'a b' });
  assert.match(a['time'] as string, ISO_UTC);
  const b = JSON.parse(lines[1]!) as Record<string, unknown>;
  assert.deepEqual(b['err'], { name: 'Error', message: 'refused', code: 'ECONNREFUSED' });
});

test('a field named time, level or msg cannot replace the record\'s own (it is written as field.<name>)', () => {
  for (const format of ['json', 'text'] as const) {
    const { lines, log } = capture(format);
    log.info('request', { time: 'forged', level: 'debug', msg: 'forged', ['__proto__']: 'p', size: 1 });
    const line = lines[0]!;
    if (format === 'json') {
      const r = JSON.parse(line) as Record<string, unknown>;
      assert.deepEqual(Object.keys(r), ['time', 'level', 'msg', 'field.time', 'field.level', 'field.msg', '__proto__', 'size']);
      assert.equal(r['time'], '2026-12-02T09:41:07.123Z');
      assert.equal(r['level'], 'info');
      assert.equal(r['msg'], 'request');
      assert.equal(r['field.time'], 'forged');
    } else {
      assert.equal(line, '2026-12-02T09:41:07.123Z INFO request field.time=forged field.level=debug field.msg=forged __proto__=p size=1');
    }
  }
});

test('text: TIME LEVEL msg key=value, quoting what would be ambiguous', () => {
  const { lines, log } = capture('text');
  log.info('checkpoint signed', { size: 42n, origin: 'log.example.org/audit', root: new Uint8Array([1, 2, 3]) });
  log.warn('witness alarm', { reason: 'a b', eq: 'k=v', empty: '', list: ['x', 1], n: 3, ok: true, none: null, skipped: undefined });
  log.debug('multi\nline msg', { 'odd\nkey': 'v\nw' });
  assert.deepEqual(lines, [
    '2026-12-02T09:41:07.123Z INFO checkpoint signed size=42 origin=log.example.org/audit root=AQID',
    '2026-12-02T09:41:07.123Z WARN witness alarm reason="a b" eq="k=v" empty="" list=["x",1] n=3 ok=true none=null',
    '2026-12-02T09:41:07.123Z DEBUG multi\\nline msg odd\\nkey="v\\nw"',
  ]);
  for (const l of lines) assert.match(l.split(' ')[0]!, ISO_UTC);
});

test('text and json carry the same record: parse a text line back to the json one', () => {
  const fields = { url: 'http://127.0.0.1:8080', size: 7n, note: 'two words', n: 5 };
  const text = formatTextLine('info', 'started', fields, T);
  const m = /^(\S+) ([A-Z]+) (\S+)((?: [^=\s]+=(?:"(?:[^"\\]|\\.)*"|\S+))*)$/.exec(text);
  assert.ok(m, text);
  const back: Record<string, unknown> = { time: m[1], level: m[2]!.toLowerCase(), msg: m[3] };
  for (const kv of m[4]!.matchAll(/ ([^=\s]+)=("(?:[^"\\]|\\.)*"|\S+)/g)) back[kv[1]!] = kv[2]!.startsWith('"') ? JSON.parse(kv[2]!) : kv[2];
  const { lines, log } = capture('json');
  log.info('started', fields);
  const json = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.deepEqual(back, { ...json, n: '5' });
});

test('levels below the minimum are dropped; the default minimum is info', () => {
  const lines: string[] = [];
  const log = createLogger({ format: 'text', write: (l) => lines.push(l), clock: () => T });
  log.debug('hidden');
  log.info('shown');
  assert.deepEqual(lines, ['2026-12-02T09:41:07.123Z INFO shown']);
});
