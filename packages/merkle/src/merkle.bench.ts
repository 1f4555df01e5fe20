/**
 * Benchmarks for @cairn/merkle (not a test; never gates CI). Run:
 *   node --conditions=source --import tsx packages/merkle/src/merkle.bench.ts [leaves]
 * Prints one line per figure with its conditions.
 */
import { cpus } from 'node:os';
import { leafHash, nobleBackend, type HashBackend } from './hash.js';
import { nodeBackend } from './node.js';
import { TreeBuilder, treeHash } from './tree.js';
import { inclusionProof } from './proof.js';
import type { NodeReader } from './nodes.js';

const N = Number(process.argv[2] ?? 1_000_000);
const ENTRY_BYTES = 128;
const conditions = `node ${process.version}, ${cpus().length}×${cpus()[0]?.model ?? '?'}`;

function time<T>(f: () => T): [T, number] {
  const t = process.hrtime.bigint();
  const r = f();
  return [r, Number(process.hrtime.bigint() - t) / 1e9];
}

const entries = Array.from({ length: N }, (_, i) => {
  const e = new Uint8Array(ENTRY_BYTES);
  new DataView(e.buffer).setUint32(0, i);
  return e;
});

for (const backend of [nodeBackend, nobleBackend] as HashBackend[]) {
  const [root, s] = time(() => treeHash(entries.map((e) => leafHash(e, backend)), backend));
  console.log(`treeHash incl. leaf hashing: ${Math.round(N / s)} leaves/s (${N} leaves of ${ENTRY_BYTES} B, backend ${backend.name}, ${s.toFixed(2)} s; ${conditions}) root ${Buffer.from(root).toString('hex').slice(0, 16)}`);
  const leaves = entries.map((e) => leafHash(e, backend));
  const [, s2] = time(() => treeHash(leaves, backend));
  console.log(`treeHash over leaf hashes: ${Math.round(N / s2)} leaves/s (${N} leaves, backend ${backend.name}; ${conditions})`);
  const [, s3] = time(() => {
    const b = new TreeBuilder({ backend });
    for (const l of leaves) b.append(l);
    return b.root();
  });
  console.log(`TreeBuilder.append: ${Math.round(N / s3)} leaves/s (${N} leaves, backend ${backend.name}; ${conditions})`);
  if (backend === nodeBackend) {
    const memo: NodeReader = { readNodes: (ids) => ids.map(() => leaves[0] as Uint8Array) };
    const K = 100_000;
    const [, s4] = time(() => {
      for (let i = 0; i < K; i++) inclusionProof(BigInt((i * 7919) % N), BigInt(N), memo, backend);
    });
    console.log(`inclusionProof planning+assembly (constant reader): ${Math.round(K / s4)} proofs/s (size ${N}; ${conditions})`);
  }
}
