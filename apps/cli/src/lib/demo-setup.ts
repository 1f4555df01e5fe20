/**
 * The on-disk set-up of `cairn demo` in --dir (default `.cairn-demo`, git-ignored), created on
 * the first run and reused afterwards so the demo log keeps its identity and history:
 *
 * ```
 * .cairn-demo/
 *   demo.json            ports used last time (reused when free, so URLs stay the same) and
 *                        the witnesses' libp2p peer IDs (checked against what they print)
 *   keys/log.key         the log's signer key (origin demo.cairn.local/audit), mode 0600
 *   keys/witness-N.key   the witnesses' signer keys (N = 1..3), mode 0600
 *   tokens.json, token   the tokens file and the demo source's writer token (0600)
 *   token-reader         a reader token (reads events, event proofs), source demo-auditor (0600)
 *   token-admin          an admin token (reads and erases events), source demo-dpo (0600)
 *   receipts/            the receipts of the events the demo submitted
 *   log/ witness-N/      LevelDB data directories
 *   policy.txt           tlog-policy: the log key + 3 witnesses, quorum 2
 *   proofs/ logs/        exported bundles; the children's output
 * ```
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createToken } from '@cairn/api';
import { cosignatureVerifierKey, formatPolicy, generateSignerKey, verifierKeyFromSigner } from '@cairn/formats';
import { nodeEd25519 } from '@cairn/formats/node';
import { readKeyFile, writeSecretFileExclusive } from './files.js';
import { writeFileAtomic } from '@cairn/client/monitor';

/** The demo log's origin (and key name). */
export const DEMO_ORIGIN = 'demo.cairn.local/audit';
/** Witnesses started by the demo. */
export const DEMO_WITNESSES = 3;
/** Cosignatures the log (and the policy) require. */
export const DEMO_QUORUM = 2;
/** Preferred ports: the log, then the witnesses' HTTP ports, then their libp2p ports. */
export const DEMO_DEFAULT_PORTS = { log: 7380, witnesses: [7381, 7382, 7383], p2p: [7391, 7392, 7393] } as const;
/** The token's source name. */
export const DEMO_SOURCE = 'demo';
/** Source names of the demo's reader and admin tokens. */
export const DEMO_READER = 'demo-auditor';
export const DEMO_ADMIN = 'demo-dpo';

export interface DemoPorts {
  log: number;
  witnesses: number[];
  p2p: number[];
}

export interface DemoWitnessIdentity {
  readonly name: string; // policy name, witness-N
  readonly keyFile: string;
  readonly dataDir: string;
  /** cosignature/v1 verifier key (type 0x04). */
  readonly vkey: string;
}

export interface DemoSetup {
  readonly dir: string;
  readonly created: boolean;
  readonly logKeyFile: string;
  readonly logVkey: string;
  readonly logData: string;
  readonly tokensFile: string;
  readonly tokenFile: string;
  readonly token: string;
  /** Reader and admin tokens and their files. */
  readonly readerTokenFile: string;
  readonly readerToken: string;
  readonly adminTokenFile: string;
  readonly adminToken: string;
  readonly witnesses: DemoWitnessIdentity[];
  readonly policyFile: string;
  readonly ports: DemoPorts;
  /** The witnesses' libp2p peer IDs learned on an earlier run (re-checked at start). */
  peerIds: string[] | undefined;
}

const PEER_ID_SHAPE = /^[1-9A-HJ-NP-Za-km-z]{20,128}$/;

async function exists(path: string): Promise<boolean> {
  try {
    await readFile(path);
    return true;
  } catch {
    return false;
  }
}

async function keyFile(path: string, name: string): Promise<{ skey: string; created: boolean }> {
  if (await exists(path)) return { skey: await readKeyFile(path), created: false };
  const skey = generateSignerKey(name, undefined, { ed25519: nodeEd25519 });
  await writeSecretFileExclusive(path, skey + '\n');
  return { skey, created: true };
}

/** Whether 127.0.0.1:port can be bound now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A port the OS says is free now. */
function anyFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A free port not in `taken` (which it joins). */
export async function freshPort(taken: Set<number>): Promise<number> {
  for (;;) {
    const p = await anyFreePort();
    if (!taken.has(p)) {
      taken.add(p);
      return p;
    }
  }
}

/**
 * The port of one listener: `wanted` (last run's) or `fallback` (the default) when free, else any
 * free one; `busy` lists the preferred ports that were taken.
 */
async function choosePort(wanted: number | undefined, fallback: number, taken: Set<number>): Promise<{ port: number; busy: number[] }> {
  const busy: number[] = [];
  for (const p of new Set([wanted, fallback])) {
    if (p === undefined || taken.has(p)) continue;
    if (await portFree(p)) {
      taken.add(p);
      return { port: p, busy };
    }
    busy.push(p);
  }
  return { port: await freshPort(taken), busy };
}

/** Creates (first run) or loads (re-run) everything in `dir`; `say` reports each step. */
export async function prepareDemo(dir: string, say: (line: string) => void): Promise<DemoSetup> {
  await mkdir(join(dir, 'keys'), { recursive: true, mode: 0o700 });
  await mkdir(join(dir, 'logs'), { recursive: true });
  await mkdir(join(dir, 'proofs'), { recursive: true });
  await mkdir(join(dir, 'receipts'), { recursive: true });
  const logKeyFile = join(dir, 'keys', 'log.key');
  const log = await keyFile(logKeyFile, DEMO_ORIGIN);
  const opts = { ed25519: nodeEd25519 };
  const witnesses: DemoWitnessIdentity[] = [];
  let created = log.created;
  for (let i = 1; i <= DEMO_WITNESSES; i++) {
    const file = join(dir, 'keys', `witness-${i}.key`);
    const k = await keyFile(file, `witness-${i}.demo.cairn.local`);
    created ||= k.created;
    witnesses.push({ name: `witness-${i}`, keyFile: file, dataDir: join(dir, `witness-${i}`), vkey: cosignatureVerifierKey(k.skey, opts) });
  }
  say(created ? `keys: created a log key and ${DEMO_WITNESSES} witness keys in ${join(dir, 'keys')}` : `keys: reusing the keys in ${join(dir, 'keys')}`);

  const tokensFile = join(dir, 'tokens.json');
  const tokenFile = join(dir, 'token');
  let token: string;
  if (await exists(tokenFile)) {
    token = (await readKeyFile(tokenFile)).trim();
    say(`token: reusing ${tokenFile}`);
  } else {
    token = await createToken(tokensFile, DEMO_SOURCE, { replace: await exists(tokensFile) });
    await writeSecretFileExclusive(tokenFile, token + '\n');
    say(`token: created a submission token for source "${DEMO_SOURCE}" in ${tokenFile}`);
  }
  // Reader and admin tokens (a directory from before roles existed gets them now).
  const roleToken = async (file: string, source: string, role: 'reader' | 'admin'): Promise<string> => {
    if (await exists(file)) return (await readKeyFile(file)).trim();
    const t = await createToken(tokensFile, source, { role, replace: true });
    await writeSecretFileExclusive(file, t + '\n');
    say(`token: created ${role === 'admin' ? 'an' : 'a'} ${role} token for "${source}" in ${file}`);
    return t;
  };
  const readerTokenFile = join(dir, 'token-reader');
  const readerToken = await roleToken(readerTokenFile, DEMO_READER, 'reader');
  const adminTokenFile = join(dir, 'token-admin');
  const adminToken = await roleToken(adminTokenFile, DEMO_ADMIN, 'admin');

  const stateFile = join(dir, 'demo.json');
  let saved: Partial<DemoPorts> = {};
  let peerIds: string[] | undefined;
  try {
    const json = JSON.parse(await readFile(stateFile, 'utf8')) as { ports?: Partial<DemoPorts>; peerIds?: unknown };
    saved = json.ports ?? {};
    if (Array.isArray(json.peerIds) && json.peerIds.length === DEMO_WITNESSES && json.peerIds.every((x) => typeof x === 'string' && PEER_ID_SHAPE.test(x))) {
      peerIds = json.peerIds as string[];
    }
  } catch {
    saved = {};
  }
  const taken = new Set<number>();
  const ports: DemoPorts = { log: 0, witnesses: [], p2p: [] };
  const busy: string[] = [];
  const pick = async (what: string, wanted: number | undefined, fallback: number): Promise<number> => {
    const c = await choosePort(wanted, fallback, taken);
    if (c.busy.length > 0) busy.push(`${what} ${c.busy.join('/')} → ${c.port}`);
    return c.port;
  };
  ports.log = await pick('log', saved.log, DEMO_DEFAULT_PORTS.log);
  for (let i = 0; i < DEMO_WITNESSES; i++) ports.witnesses.push(await pick(`witness-${i + 1}`, saved.witnesses?.[i], DEMO_DEFAULT_PORTS.witnesses[i]!));
  for (let i = 0; i < DEMO_WITNESSES; i++) ports.p2p.push(await pick(`witness-${i + 1} libp2p`, saved.p2p?.[i], DEMO_DEFAULT_PORTS.p2p[i]!));
  if (busy.length > 0) say(`ports: busy, took free ones instead: ${busy.join(', ')}`);
  say(`ports: log ${ports.log}, witnesses ${ports.witnesses.join(', ')}, libp2p ${ports.p2p.join(', ')} (all on 127.0.0.1)`);
  const setup: DemoSetup = {
    dir, created, logKeyFile, logVkey: verifierKeyFromSigner(log.skey, undefined, opts), logData: join(dir, 'log'),
    tokensFile, tokenFile, token, readerTokenFile, readerToken, adminTokenFile, adminToken, witnesses, policyFile: join(dir, 'policy.txt'), ports, peerIds,
  };
  await saveDemoJson(setup);
  return setup;
}

/** Records the ports and peer IDs in DIR/demo.json for the next run. */
export async function saveDemoJson(setup: DemoSetup): Promise<void> {
  const json = { origin: DEMO_ORIGIN, ports: setup.ports, ...(setup.peerIds !== undefined ? { peerIds: setup.peerIds } : {}) };
  await writeFileAtomic(join(setup.dir, 'demo.json'), JSON.stringify(json, null, 1) + '\n', setup.dir);
}

/** Writes the tlog-policy of the demo: the log key and the witnesses, `DEMO_QUORUM` of them. */
export async function writeDemoPolicy(setup: DemoSetup, logUrl: string, witnessUrls: readonly string[]): Promise<string> {
  const text =
    `# cairn demo: the log ${DEMO_ORIGIN} and ${DEMO_QUORUM} of its ${DEMO_WITNESSES} witnesses\n` +
    formatPolicy({
      logs: [{ vkey: setup.logVkey, url: logUrl }],
      witnesses: setup.witnesses.map((w, i) => ({ name: w.name, vkey: w.vkey, url: witnessUrls[i]! })),
      groups: [{ name: 'witnesses', threshold: DEMO_QUORUM, members: setup.witnesses.map((w) => w.name) }],
      quorum: 'witnesses',
    });
  await writeFile(setup.policyFile, text);
  return text;
}
