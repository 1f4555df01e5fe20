/**
 * The example config files in contrib/ load through --config and their values pass the commands'
 * own checks, so the examples never fall behind the CLI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseVerifierKey } from '@cairn/formats';
import { nodeEd25519 } from '@cairn/formats/node';
import { buildTrustedLogs, parseLogFlag } from '@cairn/witness';
import { parseCommandArgs, type Command } from '../command.js';
import { logServe, parseWitnessFlag } from '../commands/log-serve.js';
import { witnessServe } from '../commands/witness-serve.js';
import { monitor } from '../commands/monitor.js';
import { parseIntOption, parseListen, parseP2pListen, parseUrlOption } from './options.js';
import { parseListenerOptions } from './listener-options.js';

const CONTRIB = fileURLToPath(new URL('../../../../contrib/', import.meta.url));

async function load(c: Command, file: string): Promise<Record<string, unknown>> {
  const r = await parseCommandArgs(c, ['--config', join(CONTRIB, file)]);
  assert.ok(r !== undefined);
  return r.values as Record<string, unknown>;
}

test('contrib/log.yaml is a valid `log serve` configuration', async () => {
  const v = await load(logServe as unknown as Command, 'log.yaml');
  assert.equal(v['data'], join(CONTRIB, 'log-data'));
  assert.equal(v['key'], join(CONTRIB, 'log.key'));
  parseListen('--listen', v['listen'] as string);
  parseIntOption('--checkpoint-interval', v['checkpoint-interval'] as string, 1, 3_600_000);
  const witnesses = (v['witness'] as string[]).map(parseWitnessFlag);
  assert.ok(witnesses.length >= 1);
  for (const w of witnesses) assert.equal(parseVerifierKey(w.vkey, { ed25519: nodeEd25519 }).name.length > 0, true);
  parseIntOption('--quorum', v['quorum'] as string, 0, witnesses.length);
  parseListenerOptions(v, 60_000);
});

test('contrib/witness.yaml is a valid `witness serve` configuration', async () => {
  const v = await load(witnessServe as unknown as Command, 'witness.yaml');
  assert.equal(v['data'], join(CONTRIB, 'w-data'));
  parseListen('--listen', v['listen'] as string);
  const logs = buildTrustedLogs((v['log'] as string[]).map((l) => parseLogFlag(l)), { ed25519: nodeEd25519 });
  assert.ok(logs.size >= 1);
  for (const a of v['p2p-listen'] as string[]) parseP2pListen('--p2p-listen', a);
  parseIntOption('--peer-sync-timeout', v['peer-sync-timeout'] as string, 0, 600_000);
});

test('contrib/monitor.json is a valid `monitor` configuration', async () => {
  const v = await load(monitor as unknown as Command, 'monitor.json');
  assert.equal(v['policy'], join(CONTRIB, 'policy.txt'));
  assert.equal(dirname(v['state'] as string), dirname(join(CONTRIB, 'x')));
  parseUrlOption('--url', v['url'] as string);
  parseIntOption('--interval', v['interval'] as string, 10, 86_400_000);
});
