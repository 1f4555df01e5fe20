/**
 * docs/operations.md cannot rot:
 * - every `cairn …` command in its `sh` blocks (and in the README's and the other docs', and in the
 *   shipped systemd units' ExecStart) is a
 *   real command given only options it declares;
 * - every `cairn_…` metric name it mentions is registered somewhere in packages/;
 * - the systemd units pass `systemd-analyze verify` (when the tool is installed; the test says
 *   when it is not) and hold the settings the document promises;
 * - the auditor's walkthrough (the blocks fenced as `sh auditor`) runs, in order, with bash, in a
 *   directory holding only the policy file, against a real log and two witnesses on 127.0.0.1;
 *   then a cosignature flipped in the checkpoint and in the bundle gets the same exit status from
 *   `note verify` and `verify` (one cause, one status).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EXIT_CODES } from '@cairn/client';
import { commands } from '../../apps/cli/src/registry.js';
import { CLI_MAIN, REPO_ROOT, tempDir } from '../helpers/cli.js';
import { makeCluster, type Cluster } from '../e2e/harness.js';

const OPERATIONS = join(REPO_ROOT, 'docs/operations.md');
const UNITS = join(REPO_ROOT, 'contrib/systemd');
/** Bound on the whole walkthrough script (a dozen CLI runs through tsx on a shared machine). */
const WALKTHROUGH_TIMEOUT_MS = 180_000;

/** The fenced blocks of a Markdown text whose info string is `lang` (and, if given, has `tag`). */
function blocks(md: string, lang: string, tag?: string): string[] {
  const out: string[] = [];
  const re = /^```([^\n]*)\n([\s\S]*?)^```$/gm;
  for (let m = re.exec(md); m !== null; m = re.exec(md)) {
    const info = m[1]!.trim().split(/\s+/);
    if (info[0] === lang && (tag === undefined || info.slice(1).includes(tag))) out.push(m[2]!);
  }
  return out;
}

/** The `cairn` invocations in shell text: [command name, option names] (continuations joined, comments cut). */
function cairnInvocations(sh: string): { line: string; name: string; flags: string[] }[] {
  const names = commands.map((c) => c.name).sort((a, b) => b.length - a.length);
  const found: { line: string; name: string; flags: string[] }[] = [];
  for (const raw of sh.replace(/\\\n/g, ' ').split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '');
    const re = /(?:^|[\s(|;&/])cairn\s+(?=[a-z]|--(?:version|help)\b)/g;
    for (let m = re.exec(line); m !== null; m = re.exec(line)) {
      const rest = line.slice(m.index + m[0].length);
      const words = rest.split(/\s+/);
      if (/^--(version|help)$/.test(words[0]!)) continue;
      const name = names.find((n) => (words.slice(0, n.split(' ').length).join(' ') === n));
      const upTo = rest.search(/[|;&<>)]/);
      const args = (upTo < 0 ? rest : rest.slice(0, upTo)).split(/\s+/);
      found.push({ line: line.trim(), name: name ?? `?${words[0]}`, flags: args.filter((a) => a.startsWith('--')).map((a) => a.replace(/=.*$/, '').slice(2)) });
    }
  }
  return found;
}

async function checkInvocations(text: string, where: string): Promise<number> {
  const invocations = cairnInvocations(text);
  for (const inv of invocations) {
    const entry = commands.find((c) => c.name === inv.name);
    assert.ok(entry !== undefined, `${where}: "${inv.line}" runs no cairn command (${inv.name})`);
    const cmd = await entry.load();
    // A command with configFile also takes --config (apps/cli/src/command.ts).
    const options = new Set([...Object.keys(cmd.options), ...(cmd.configFile ? ['config'] : [])]);
    for (const f of inv.flags) {
      assert.ok(f === 'help' || options.has(f), `${where}: "${inv.line}": cairn ${inv.name} has no option --${f}`);
    }
  }
  return invocations.length;
}

test('every cairn command in the sh blocks of docs/operations.md is real, with real options', async () => {
  const md = await readFile(OPERATIONS, 'utf8');
  const n = await checkInvocations(blocks(md, 'sh').join('\n'), 'docs/operations.md');
  assert.ok(n >= 15, `found ${n} cairn commands`);
  // The checker itself catches a made-up command and a made-up option.
  await assert.rejects(checkInvocations('cairn log serve --data d --colour blue\n', 'x'), /has no option --colour/);
  await assert.rejects(checkInvocations('cairn frobnicate --x\n', 'x'), /runs no cairn command/);
});

test('every cairn command in the sh blocks of the README and the other docs is real, with real options', async () => {
  const files = ['README.md', ...(await readdir(join(REPO_ROOT, 'docs'))).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  let n = 0;
  for (const f of files) n += await checkInvocations(blocks(await readFile(join(REPO_ROOT, f), 'utf8'), 'sh').join('\n'), f);
  assert.ok(n >= 30, `found ${n} cairn commands`);
});

test('every metric docs/operations.md names is registered by the code', async () => {
  const md = await readFile(OPERATIONS, 'utf8');
  const named = new Set(md.match(/\bcairn_[a-z_]+\b/g) ?? []);
  assert.ok(named.size >= 20, `found ${named.size} metric names`);
  const registered = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name === 'dist') continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) {
        for (const m of (await readFile(p, 'utf8')).matchAll(/['"](cairn_[a-z_]+)['"]/g)) registered.add(m[1]!);
      }
    }
  };
  await walk(join(REPO_ROOT, 'packages'));
  for (const name of named) assert.ok(registered.has(name), `${name} is not a metric of the code`);
});

describe('contrib/systemd units', () => {
  const units = ['cairn-log.service', 'cairn-witness.service'];

  test('each has the settings docs/operations.md promises, and an ExecStart that is a real cairn command', async () => {
    for (const u of units) {
      const text = await readFile(join(UNITS, u), 'utf8');
      const sections = new Map<string, Map<string, string[]>>();
      let current: Map<string, string[]> | undefined;
      for (const [i, line] of text.split('\n').entries()) {
        if (line === '' || line.startsWith('#')) continue;
        const sec = /^\[([A-Za-z]+)\]$/.exec(line);
        if (sec !== null) {
          current = new Map();
          sections.set(sec[1]!, current);
          continue;
        }
        const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
        assert.ok(kv !== null && current !== undefined, `${u}:${i + 1}: not "Key=value" inside a section: ${line}`);
        current.set(kv[1]!, [...(current.get(kv[1]!) ?? []), kv[2]!]);
      }
      assert.deepEqual([...sections.keys()], ['Unit', 'Service', 'Install'], u);
      const svc = sections.get('Service')!;
      const one = (k: string) => svc.get(k)?.[0];
      assert.equal(one('User'), 'cairn', u);
      assert.equal(one('ExecReload'), '/bin/kill -HUP $MAINPID', u);
      assert.equal(one('KillSignal'), 'SIGTERM', u);
      assert.match(one('StateDirectory') ?? '', /^cairn\/(log|witness)$/, u);
      assert.equal(one('StateDirectoryMode'), '0700', u);
      for (const k of ['NoNewPrivileges', 'ProtectHome', 'PrivateTmp', 'PrivateDevices']) assert.equal(one(k), 'yes', `${u} ${k}`);
      assert.equal(one('ProtectSystem'), 'strict', u);
      assert.equal(one('CapabilityBoundingSet'), '', u);
      assert.equal(svc.has('MemoryDenyWriteExecute'), false, `${u}: V8's JIT needs W+X memory`);
      const exec = one('ExecStart')!;
      assert.match(exec, /^\/usr\/local\/bin\/cairn (log|witness) serve --config \/etc\/cairn\/(log|witness)\.yaml$/, u);
      assert.equal(await checkInvocations(exec, u), 1);
    }
  });

  test('systemd-analyze verify accepts both units', async (t) => {
    const found = await promisify(execFile)('systemd-analyze', ['--version']).then(() => true, () => false);
    if (!found) {
      t.skip('systemd-analyze is not installed here: only the key check above ran');
      return;
    }
    const { dir, cleanup } = await tempDir('cairn-units-');
    try {
    for (const u of units) {
      // verify checks that ExecStart's program exists: point it at this Node binary, nothing else changes.
      const text = (await readFile(join(UNITS, u), 'utf8')).replace('/usr/local/bin/cairn', process.execPath);
      const path = join(dir, u);
      await writeFile(path, text);
      const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
        execFile('systemd-analyze', ['verify', '--man=no', path], { timeout: 60_000 }, (err, stdout, stderr) => {
          resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, out: stdout + stderr });
        });
      });
      // A bad value is only a warning (exit 0): any output about the unit is a failure too.
      const aboutUnit = r.out.split('\n').filter((l) => l.includes(u));
      assert.equal(r.code, 0, `${u}: ${r.out}`);
      assert.deepEqual(aboutUnit, [], `${u}: ${r.out}`);
    }
    } finally {
      await cleanup();
    }
  });
});

describe('the auditor walkthrough, against a real log and two witnesses', () => {
  let cluster: Cluster;
  let work: string;

  before(async () => {
    cluster = await makeCluster('audit.ops.example/log', 2);
    await Promise.all(cluster.witnesses.map((w) => w.start()));
    await cluster.log.start({ witnesses: cluster.witnesses, quorum: 2 });
    await cluster.log.submit(3, 'ops', 'cosigned');
    const { log, witnesses } = cluster;
    const policy = [
      `log ${log.vkey} ${log.url}`,
      ...witnesses.map((w) => `witness ${w.policyName} ${w.vkey} ${w.url}`),
      `group quorum-2 2 ${witnesses.map((w) => w.policyName).join(' ')}`,
      'quorum quorum-2',
    ].join('\n') + '\n';
    work = join(cluster.dir, 'auditor');
    await mkdir(join(work, 'bin'), { recursive: true });
    await writeFile(join(work, 'policy.txt'), policy);
    // `cairn` on PATH: the CLI from sources, as `pnpm cairn:dev` runs it.
    const tsx = import.meta.resolve('tsx');
    await writeFile(join(work, 'bin', 'cairn'), `#!/bin/sh\nexec "${process.execPath}" --conditions=source --import "${tsx}" "${CLI_MAIN}" "$@"\n`);
    await chmod(join(work, 'bin', 'cairn'), 0o755);
  });

  after(async () => {
    await cluster.close();
  });

  test('the sh auditor blocks run in order and exit 0', async () => {
    const md = await readFile(OPERATIONS, 'utf8');
    const steps = blocks(md, 'sh', 'auditor');
    assert.ok(steps.length >= 6, `found ${steps.length} auditor blocks`);
    const script = ['set -euo pipefail', ...steps.map((s, i) => `echo "### step ${i + 1}"\n${s}`)].join('\n');
    const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
      const child = spawn('bash', ['-c', script], {
        cwd: work,
        env: { PATH: `${join(work, 'bin')}:${process.env['PATH'] ?? '/usr/bin:/bin'}`, HOME: work, LANG: 'C.UTF-8' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the walkthrough did not finish within ${WALKTHROUGH_TIMEOUT_MS} ms:\n${out}\n${err}`));
      }, WALKTHROUGH_TIMEOUT_MS);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, out, err });
      });
    });
    assert.equal(r.code, 0, `stdout:\n${r.out}\nstderr:\n${r.err}`);
    const { log, witnesses } = cluster;
    // Each step said what the document says it says.
    assert.match(r.out, /^verified: entry 0 is in audit\.ops\.example\/log at tree size \d+/m);
    assert.match(r.out, /^verified: signature and 2 cosignature\(s\)$/m);
    for (const w of witnesses) assert.match(r.out, new RegExp(`^${w.url.replace(/[.]/g, '\\.')}: size [1-9]\\d*$`, 'm'));
    assert.equal(await readFile(join(work, 'entry.json'), 'utf8'), JSON.stringify({ actor: 'svc-0', action: 'audit', tag: 'ops', i: 0 }));
    assert.match(await readFile(join(work, 'entry.tlog-proof'), 'utf8'), /^c2sp\.org\/tlog-proof@v1\n/);
    assert.match(r.out, /^0$/m, 'no evidence lines');
    assert.ok(r.out.includes(`### step ${steps.length}`));
    assert.ok(log.url !== '');
  });

  test('a flipped cosignature: note verify and verify exit with the same status (bad-cosignature)', async () => {
    const { witnesses } = cluster;
    const flip = (text: string): string => {
      const prefix = `— ${witnesses[0]!.name} `;
      const at = text.indexOf(prefix);
      assert.ok(at >= 0, 'the note carries the witness cosignature');
      const i = at + prefix.length + 40; // inside the Ed25519 signature (after key ID and timestamp)
      return text.slice(0, i) + (text[i] === 'A' ? 'B' : 'A') + text.slice(i + 1);
    };
    const checkpoint = await readFile(join(work, 'checkpoint.txt'), 'utf8');
    const bundle = await readFile(join(work, 'entry.tlog-proof'), 'utf8');
    await writeFile(join(work, 'bad-checkpoint.txt'), flip(checkpoint));
    await writeFile(join(work, 'bad.tlog-proof'), flip(bundle));
    const policy = await readFile(join(work, 'policy.txt'), 'utf8');
    const vkey = /^log (\S+)/m.exec(policy)![1]!;
    const cosigners = witnesses.flatMap((w) => ['--cosigner', w.vkey]);
    const run = (args: string[]) => new Promise<number | null>((resolve) => {
      execFile(join(work, 'bin', 'cairn'), args, { cwd: work, timeout: 60_000 }, (err) => resolve(err === null ? 0 : typeof err.code === 'number' ? err.code : null));
    });
    const noteCode = await run(['note', 'verify', '--vkey', vkey, ...cosigners, 'bad-checkpoint.txt']);
    const verifyCode = await run(['verify', '--policy', 'policy.txt', '--bundle', 'bad.tlog-proof', '--entry-file', 'entry.json']);
    assert.equal(noteCode, EXIT_CODES['bad-cosignature']);
    assert.equal(verifyCode, EXIT_CODES['bad-cosignature']);
  });
});
