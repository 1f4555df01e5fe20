import * as crypto from 'node:crypto';
import { leafHash, type HashBackend } from './hash.js';
import { treeHash } from './tree.js';
import { nodeBackend } from './node.js';
const N = 1_000_000;
const entries = Array.from({ length: N }, (_, i) => { const e = new Uint8Array(128); new DataView(e.buffer).setUint32(0, i); return e; });
const SLAB = 8192; let slab = new Uint8Array(SLAB); let off = 0;
const slabBackend: HashBackend = { name: 'slab', sha256(data) {
  const d = crypto.hash('sha256', data, 'buffer');
  if (off === SLAB) { slab = new Uint8Array(SLAB); off = 0; }
  const v = slab.subarray(off, off + 32); v.set(d); off += 32; return v; } };
for (let r = 0; r < 3; r++) for (const b of [nodeBackend, slabBackend]) {
  const t = process.hrtime.bigint();
  const root = treeHash(entries.map((e) => leafHash(e, b)), b);
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  console.log(b.name, Math.round(N / s), Buffer.from(root).toString('hex').slice(0, 8));
}
