/**
 * `pnpm bench core`: the pure packages. Tree building (leaf + node hashing) for N entries with
 * each hash backend, proof verification rates, and Ed25519 / cosignature rates for each
 * signature backend next to raw node:crypto (the ceiling).
 */
import { createPrivateKey, createPublicKey, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import {
  type HashBackend, TreeBuilder, consistencyProof, inclusionProof, leafHash, nobleBackend, verifyConsistency,
  verifyInclusion, type NodeReader,
} from '@cairn/merkle';
import { nodeBackend } from '@cairn/merkle/node';
import {
  type Ed25519Backend, cosignatureSigner, cosignatureVerifierKey, formatCheckpoint, generateSignerKey, nobleEd25519,
  parseSignerKey, parseVerifierKey, verifierKeyFromSigner,
} from '@cairn/formats';
import { nodeEd25519 } from '@cairn/formats/node';
import { figure, machine, median, opsPerSecond } from './report.js';

export async function benchCore(args: { entries: number; quick: boolean }): Promise<void> {
  const N = args.entries;
  const ms = args.quick ? 300 : 1500;
  process.stdout.write(`# bench core — ${machine()}\n`);

  // Tree building: N entries of 128 bytes, leaf-hashed and folded with TreeBuilder; three runs
  // per backend, median reported (the first run includes JIT warm-up).
  for (const backend of [nodeBackend, nobleBackend] as HashBackend[]) {
    const n = backend === nobleBackend ? Math.min(N, args.quick ? 100_000 : N) : N;
    const runs = [0, 1, 2].map(() => treeBuildRate(backend, n));
    figure(`tree build (${backend.name})`, median(runs), 'leaves/s',
      `${n.toLocaleString('en-US')} entries × 128 B, leaf+node hashing, TreeBuilder, median of 3 (${runs.map((r) => Math.round(r / 1000) + 'k').join(', ')})`);
  }
  const entry = new Uint8Array(128);

  // Proof verification over a tree of 2^20 leaves (nodes kept in memory).
  const size = 1n << 20n;
  const levels: Uint8Array[][] = [[]];
  for (let i = 0; i < Number(size); i++) {
    new DataView(entry.buffer).setUint32(0, i);
    levels[0]!.push(leafHash(entry, nodeBackend));
  }
  for (let l = 1; levels[l - 1]!.length > 1; l++) {
    const prev = levels[l - 1]!;
    const cur: Uint8Array[] = [];
    for (let i = 0; i + 1 < prev.length; i += 2) cur.push(nodeBackend.sha256(concat3(prev[i]!, prev[i + 1]!)));
    levels.push(cur);
  }
  const reader: NodeReader = { readNodes: (ids) => ids.map(({ level, index }) => levels[level]![Number(index)]!) };
  const root = levels[levels.length - 1]![0]!;
  const proofs = Array.from({ length: 256 }, (_, k) => {
    const idx = BigInt((k * 4099) % Number(size));
    return { idx, proof: inclusionProof(idx, size, reader, nodeBackend) };
  });
  const cons = Array.from({ length: 256 }, (_, k) => {
    const m = BigInt(1 + ((k * 7919) % (Number(size) - 1)));
    return { m, proof: consistencyProof(m, size, reader, nodeBackend), r1: rootOf(m, reader) };
  });
  for (const backend of [nodeBackend, nobleBackend] as HashBackend[]) {
    let k = 0;
    const inc = opsPerSecond(() => {
      const p = proofs[k++ & 255]!;
      verifyInclusion(p.idx, size, levels[0]![Number(p.idx)]!, p.proof, root, backend);
    }, { minMs: ms });
    figure(`inclusion verify (${backend.name})`, inc, 'proofs/s', `tree 2^20, 20-hash paths`);
    k = 0;
    const con = opsPerSecond(() => {
      const c = cons[k++ & 255]!;
      verifyConsistency(c.m, size, c.r1, root, c.proof, backend);
    }, { minMs: ms });
    figure(`consistency verify (${backend.name})`, con, 'proofs/s', `random m → 2^20`);
  }

  // Ed25519: each backend through our Signer/Verifier objects, interleaved with raw node:crypto
  // (cached KeyObjects, the ceiling) in alternating rounds so load drift on a shared machine hits
  // both alike; medians of the rounds are reported.
  const skey = generateSignerKey('bench.example.org/log');
  const text = new TextEncoder().encode(formatCheckpoint({
    origin: 'bench.example.org/log', size: 123456789n, rootHash: root, extensions: [],
  }));
  const seed = new Uint8Array(32).fill(7);
  const pk8 = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
  const pub = createPublicKey(pk8);
  const rawSig = cryptoSign(null, text, pk8);
  const rounds = args.quick ? 3 : 7;
  const roundMs = Math.max(100, Math.round(ms / 3));
  const rawSign: number[] = [];
  const rawVerify: number[] = [];
  const results = new Map<string, { s: number[]; v: number[]; cv: number[] }>();
  const backends = [nodeEd25519, nobleEd25519] as Ed25519Backend[];
  const prepared = backends.map((ed) => {
    const opts = { ed25519: ed };
    const signer = parseSignerKey(skey, opts);
    const verifier = parseVerifierKey(verifierKeyFromSigner(skey, 1, opts), opts);
    const cos = cosignatureSigner(skey, () => 1767139200n, opts);
    const cosVerifier = parseVerifierKey(cosignatureVerifierKey(skey, opts), opts);
    results.set(ed.name, { s: [], v: [], cv: [] });
    return { ed, signer, verifier, sig: signer.sign(text), cosVerifier, cosSig: cos.sign(text) };
  });
  for (let r = 0; r < rounds; r++) {
    rawSign.push(opsPerSecond(() => { cryptoSign(null, text, pk8); }, { minMs: roundMs, batch: 50 }));
    rawVerify.push(opsPerSecond(() => { cryptoVerify(null, text, pub, rawSig); }, { minMs: roundMs, batch: 50 }));
    for (const p of prepared) {
      const batch = p.ed === nobleEd25519 ? 5 : 50;
      const out = results.get(p.ed.name)!;
      out.s.push(opsPerSecond(() => { p.signer.sign(text); }, { minMs: roundMs, batch }));
      out.v.push(opsPerSecond(() => { p.verifier.verify(text, p.sig); }, { minMs: roundMs, batch }));
      out.cv.push(opsPerSecond(() => { p.cosVerifier.verify(text, p.cosSig); }, { minMs: roundMs, batch }));
    }
  }
  const rs = median(rawSign);
  const rv = median(rawVerify);
  figure('ed25519 sign (raw node:crypto KeyObject)', rs, 'ops/s', `checkpoint text, ceiling, median of ${rounds}`);
  figure('ed25519 verify (raw node:crypto KeyObject)', rv, 'ops/s', `checkpoint text, ceiling, median of ${rounds}`);
  const ratio = (x: number, y: number) => `${(y / x).toFixed(2)}× the raw cost`;
  for (const [name, out] of results) {
    const s = median(out.s);
    const v = median(out.v);
    const cv = median(out.cv);
    figure(`ed25519 sign (${name})`, s, 'ops/s', ratio(s, rs));
    figure(`ed25519 verify (${name})`, v, 'ops/s', ratio(v, rv));
    figure(`cosignature/v1 verify (${name})`, cv, 'ops/s', ratio(cv, rv));
  }
}

/** Leaves/s to leaf-hash `n` 128-byte entries and fold them into a TreeBuilder. */
function treeBuildRate(backend: HashBackend, n: number): number {
  const entry = new Uint8Array(128);
  const dv = new DataView(entry.buffer);
  const b = new TreeBuilder({ backend });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    dv.setUint32(0, i);
    b.append(leafHash(entry, backend));
  }
  b.root();
  return n / ((performance.now() - t0) / 1000);
}

function concat3(l: Uint8Array, r: Uint8Array): Uint8Array {
  const b = new Uint8Array(65);
  b[0] = 1;
  b.set(l, 1);
  b.set(r, 33);
  return b;
}

function rootOf(m: bigint, reader: NodeReader): Uint8Array {
  // MTH of the first m leaves from complete-subtree nodes, largest first.
  const ids: { level: number; index: bigint }[] = [];
  let start = 0n;
  for (let l = 63; l >= 0; l--) {
    if ((m >> BigInt(l)) & 1n) {
      ids.push({ level: l, index: start >> BigInt(l) });
      start += 1n << BigInt(l);
    }
  }
  const hs = reader.readNodes(ids);
  let h = hs[hs.length - 1]!;
  for (let i = hs.length - 2; i >= 0; i--) h = nodeBackend.sha256(concat3(hs[i]!, h));
  return h;
}
