/**
 * --config: YAML and JSON files, every kind of error (naming file and field), command-line
 * precedence, relative paths, and hostile input (size cap, alias bombs, duplicate keys).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineCommand, parseCommandArgs, helpText, UsageError, type Command } from '../command.js';
import { MAX_CONFIG_BYTES, didYouMean, loadConfigFile } from './config.js';

const cmd = defineCommand({
  name: 'demo serve',
  summary: 'a command for config tests',
  configFile: true,
  options: {
    data: { type: 'string', required: true, value: 'DIR', description: 'data' },
    listen: { type: 'string', value: 'HOST:PORT', description: 'listen' },
    quorum: { type: 'string', value: 'K', description: 'quorum' },
    witness: { type: 'string', multiple: true, value: 'URL=VKEY', description: 'witness' },
    'tls-cert': { type: 'string', value: 'FILE', description: 'cert' },
    index: { type: 'string', value: 'DIR|URL', description: 'a directory or a URL' },
    'other-index': { type: 'string', value: 'DIR|URL', description: 'a directory or a URL' },
    dedupe: { type: 'boolean', description: 'dedupe' },
  },
  async run() { return 0; },
});

async function withDir(f: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-config-'));
  try { await f(dir); } finally { await rm(dir, { recursive: true, force: true }); }
}

async function parse(argv: string[]) {
  const r = await parseCommandArgs(cmd, argv);
  assert.ok(r !== undefined);
  return r.values as Record<string, unknown>;
}

async function usageError(argv: string[]): Promise<string> {
  try {
    await parseCommandArgs(cmd, argv);
  } catch (e) {
    assert.ok(e instanceof UsageError, `expected a UsageError, got ${String(e)}`);
    return e.message;
  }
  assert.fail('expected a UsageError');
}

test('a YAML file sets options; paths are relative to its directory, others are kept as written', async () => {
  await withDir(async (dir) => {
    await mkdir(join(dir, 'etc'));
    const file = join(dir, 'etc', 'log.yaml');
    await writeFile(file, [
      '# comment',
      'data: ../log-data',
      'listen: 127.0.0.1:8080',
      'quorum: 2            # a number is taken as its decimal text',
      'witness:',
      '  - http://w1=K1',
      '  - http://w2=K2',
      'tls-cert: /abs/cert.pem',
      'dedupe: true',
      'index: postgres://audit:pw@db.example/cairn?sslmode=verify-full   # a URL stays as written',
      'other-index: search-index                                          # a directory is a path',
      '',
    ].join('\n'));
    const v = await parse(['--config', file]);
    assert.deepEqual(v, {
      data: join(dir, 'log-data'), listen: '127.0.0.1:8080', quorum: '2',
      witness: ['http://w1=K1', 'http://w2=K2'], 'tls-cert': '/abs/cert.pem', dedupe: true,
      index: 'postgres://audit:pw@db.example/cairn?sslmode=verify-full', 'other-index': join(dir, 'etc', 'search-index'),
    });
  });
});

test('a JSON file (by extension, or by content) sets options the same way', async () => {
  await withDir(async (dir) => {
    const body = JSON.stringify({ data: 'd', witness: ['http://w=K'], dedupe: false, quorum: 1 });
    for (const name of ['log.json', 'log.conf']) {
      await writeFile(join(dir, name), body);
      const v = await parse(['--config', join(dir, name)]);
      assert.deepEqual(v, { data: join(dir, 'd'), witness: ['http://w=K'], dedupe: false, quorum: '1' });
    }
  });
});

test('the command line overrides the file; a repeatable option on the command line replaces the list', async () => {
  await withDir(async (dir) => {
    const file = join(dir, 'c.yaml');
    await writeFile(file, 'data: d\nlisten: 127.0.0.1:1\nwitness: [http://a=A, http://b=B]\n');
    const v = await parse(['--config', file, '--listen', '127.0.0.1:2', '--witness', 'http://c=C', '--data', 'cli-data']);
    assert.equal(v['listen'], '127.0.0.1:2');
    assert.deepEqual(v['witness'], ['http://c=C']);
    assert.equal(v['data'], 'cli-data', 'a path on the command line stays relative to the working directory');
    const w = await parse(['--config', file]);
    assert.deepEqual(w['witness'], ['http://a=A', 'http://b=B']);
  });
});

test('required options may come from the file; missing ones are named with both places', async () => {
  await withDir(async (dir) => {
    const file = join(dir, 'c.yaml');
    await writeFile(file, 'listen: 127.0.0.1:1\n');
    assert.match(await usageError(['--config', file]), /missing required option --data \(or "data:" in a --config file\)/);
  });
});

test('each kind of error names the file and the field', async () => {
  await withDir(async (dir) => {
    const cases: [string, string, RegExp][] = [
      ['unknown.yaml', 'data: d\nlisen: x\n', /unknown.yaml: unknown key "lisen" \(did you mean "listen"\?\)/],
      ['snake.yaml', 'data: d\ntls_cert: x\n', /unknown key "tls_cert" \(did you mean "tls-cert"\?\)/],
      ['far.yaml', 'data: d\ncolour: blue\n', /far.yaml: unknown key "colour"$/],
      ['help.yaml', 'data: d\nconfig: other.yaml\n', /unknown key "config"/],
      ['list.yaml', 'data: d\nwitness: http://a=A\n', /list.yaml: witness: expected a list \(this option is repeatable\)/],
      ['item.yaml', 'data: d\nwitness: [http://a=A, {x: 1}]\n', /item.yaml: witness\[1\]: expected a string/],
      ['empty-item.yaml', 'data: d\nwitness: [http://a=A, ""]\n', /witness\[1\]: must not be empty/],
      ['bool.yaml', 'data: d\ndedupe: yes\n', /bool.yaml: dedupe: expected true or false/],
      ['str.yaml', 'data: [a]\n', /str.yaml: data: expected a string/],
      ['float.yaml', 'data: d\nquorum: 1.5\n', /float.yaml: quorum: expected a string/],
      ['empty.yaml', 'data: ""\n', /empty.yaml: data: must not be empty/],
      ['top.yaml', '- data\n', /top.yaml: expected a mapping of option names to values at the top level/],
      ['syntax.yaml', 'data: [d\n', /syntax.yaml: not valid YAML/],
      ['syntax.json', '{"data": "d",}', /syntax.json: not valid JSON/],
      ['docs.yaml', 'data: d\n---\ndata: e\n', /docs.yaml: more than one YAML document/],
    ];
    for (const [name, text, re] of cases) {
      await writeFile(join(dir, name), text);
      assert.match(await usageError(['--config', join(dir, name)]), re, name);
    }
    assert.match(await usageError(['--config', join(dir, 'absent.yaml')]), /--config .*absent.yaml: cannot read/);
    assert.match(await usageError(['--config', '']), /--config must not be empty/);
  });
});

test('duplicate keys are refused, in YAML and in JSON', async () => {
  await withDir(async (dir) => {
    await writeFile(join(dir, 'dup.yaml'), 'data: a\nlisten: x\ndata: b\n');
    assert.match(await usageError(['--config', join(dir, 'dup.yaml')]), /dup.yaml: duplicate key/);
    await writeFile(join(dir, 'dup.json'), '{"data": "a", "data": "b"}');
    assert.match(await usageError(['--config', join(dir, 'dup.json')]), /dup.json: duplicate key/);
  });
});

test('hostile input: a file above the cap, an alias bomb, unknown tags, bad UTF-8', async () => {
  await withDir(async (dir) => {
    const huge = join(dir, 'huge.yaml');
    await writeFile(huge, 'data: d\n# ' + 'x'.repeat(MAX_CONFIG_BYTES) + '\n');
    assert.match(await usageError(['--config', huge]), new RegExp(`larger than ${MAX_CONFIG_BYTES} bytes \\(the limit for a config file\\)`));
    // "Billion laughs": each level doubles; refused at the first alias, whatever its size.
    const bomb = ['a: &a ["x","x"]'];
    for (let i = 1; i < 30; i++) bomb.push(`${String.fromCharCode(97 + (i % 26))}${i}: &l${i} [*${i === 1 ? 'a' : `l${i - 1}`}, *${i === 1 ? 'a' : `l${i - 1}`}]`);
    await writeFile(join(dir, 'bomb.yaml'), bomb.join('\n') + '\n');
    assert.match(await usageError(['--config', join(dir, 'bomb.yaml')]), /bomb.yaml: YAML aliases \(\*name\) are not accepted/);
    await writeFile(join(dir, 'alias.yaml'), 'data: &d x\nlisten: *d\n');
    assert.match(await usageError(['--config', join(dir, 'alias.yaml')]), /alias.yaml: YAML aliases/);
    await writeFile(join(dir, 'bin.yaml'), 'data: !!binary aGk=\n');
    assert.match(await usageError(['--config', join(dir, 'bin.yaml')]), /bin.yaml: data: expected a string/);
    await writeFile(join(dir, 'tag.yaml'), 'data: !custom x\n');
    assert.match(await usageError(['--config', join(dir, 'tag.yaml')]), /tag.yaml: not valid YAML/);
    await writeFile(join(dir, 'utf.yaml'), Buffer.from([0x64, 0x3a, 0x20, 0xff, 0x0a]));
    assert.match(await usageError(['--config', join(dir, 'utf.yaml')]), /utf.yaml: not valid UTF-8/);
    await writeFile(join(dir, 'long.yaml'), `data: d\nwitness: [${Array.from({ length: 10_001 }, () => 'a').join(',')}]\n`);
    assert.match(await usageError(['--config', join(dir, 'long.yaml')]), /long.yaml: witness: more than 10000 items/);
  });
});

test('an empty file, or one with only comments, sets nothing', async () => {
  await withDir(async (dir) => {
    await writeFile(join(dir, 'e.yaml'), '# nothing yet\n');
    assert.deepEqual(await loadConfigFile(join(dir, 'e.yaml'), cmd.options), {});
  });
});

test('did-you-mean suggests only close keys', () => {
  const known = ['listen', 'witness', 'tls-cert', 'checkpoint-interval'];
  assert.equal(didYouMean('witnesses', known), 'witness');
  assert.equal(didYouMean('checkpointInterval', known), 'checkpoint-interval');
  assert.equal(didYouMean('zzz', known), undefined);
});

test('--help of a command with configFile documents --config; others do not take it', async () => {
  const h = helpText(cmd as unknown as Command);
  assert.match(h, /--config FILE/);
  assert.match(h, /Relative paths in the file\s+are relative to the file's directory/);
  assert.match(h, /replaces the file's whole list/);
  const plain = defineCommand({ name: 'x', summary: 's', options: {}, async run() { return 0; } });
  assert.doesNotMatch(helpText(plain as unknown as Command), /--config/);
  await assert.rejects(parseCommandArgs(plain, ['--config', 'f']), /Unknown option '--config'/);
});

test('a command\'s own check of a value from the file names the file too', async () => {
  const { runCli } = await import('../main.js');
  await withDir(async (dir) => {
    const file = join(dir, 'log.yaml');
    await writeFile(file, 'data: d\nkey: k.key\nlisten: 127.0.0.1:0\nquorum: many\nlog-format: text\n');
    const run = async (argv: string[]) => {
      const err: string[] = [];
      const code = await runCli(argv, { out: () => {}, err: (l) => err.push(l) });
      return { code, err: err.join('\n') };
    };
    const a = await run(['log', 'serve', '--config', file]);
    assert.equal(a.code, 2);
    assert.match(a.err, /--quorum must be an integer from 0 to 0, got "many" \(quorum: in .*log\.yaml\)/);
    const b = await run(['log', 'serve', '--config', file, '--quorum', 'few']);
    assert.equal(b.code, 2);
    assert.match(b.err, /--quorum must be an integer from 0 to 0, got "few"\n/, 'a flag given on the command line is not blamed on the file');
  });
});

test('property: any text, YAML-ish or JSON-ish, is accepted or refused with a ConfigError, never anything else', async () => {
  const fc = (await import('fast-check')).default;
  const { ConfigError, parseConfigText, validateConfig } = await import('./config.js');
  const key = fc.constantFrom('data', 'listen', 'quorum', 'witness', 'tls-cert', 'dedupe', 'lisen', 'config', '<<', '');
  const scalar = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
  const value = fc.oneof(scalar, fc.array(scalar, { maxLength: 4 }), fc.dictionary(fc.string(), scalar, { maxKeys: 3 }));
  const yamlLine = fc.tuple(key, fc.constantFrom(': ', ':', ' - ', ': &a ', ': *a', ': !!binary ', ': [', ': {'), fc.string())
    .map(([k, sep, v]) => `${k}${sep}${v}`);
  const text = fc.oneof(
    fc.string(),
    fc.array(yamlLine, { maxLength: 8 }).map((ls) => ls.join('\n')),
    fc.dictionary(key, value).map((o) => JSON.stringify(o)),
    fc.dictionary(key, value).map((o) => JSON.stringify(o).replace(/,"/, ',"data":1,"')),
  );
  let accepted = 0;
  fc.assert(fc.property(text, fc.constantFrom('c.yaml', 'c.json', 'c.conf'), (t, name) => {
    try {
      const v = validateConfig(name, parseConfigText(name, t), cmd.options, '/base');
      accepted++;
      for (const [k, x] of Object.entries(v)) {
        const o = cmd.options[k as keyof typeof cmd.options];
        assert.ok(o !== undefined, k);
        if (o.type === 'boolean') assert.equal(typeof x, 'boolean');
        else if ('multiple' in o && o.multiple) assert.ok(Array.isArray(x) && x.every((s) => typeof s === 'string' && s !== ''));
        else assert.ok(typeof x === 'string' && x !== '');
      }
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      assert.match(e.message, new RegExp(`^${name.replace('.', '\\.')}: `));
    }
  }), { numRuns: 400 });
  assert.ok(accepted > 0, 'some inputs are accepted');
});
