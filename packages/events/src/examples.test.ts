// The exact example bytes of docs/design/events.md and of the package comment, rebuilt from
// fixed keys and a fixed salt: if a format changes, this test and the document change together.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addSignatures, cosignatureSigner, cosignatureVerifierKey, formatCheckpoint, formatProofBundle, generateSignerKey, parsePolicy,
  parseSignerKey, parseVerifierKey, signNote, verifierKeyFromSigner,
} from '@cairn/formats';
import {
  buildLeaf, checkReceiptPromise, formatEventProof, openReceipt, parseEvent, receiptKeyName, signReceipt, verifyEventProof,
} from './index.js';

const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const seed = (n: number): Uint8Array => new Uint8Array(32).fill(n);

const EVENT = {
  class_uid: 3002, category_uid: 3, activity_id: 1, type_uid: 300201, severity_id: 1, status_id: 1,
  time: 1767225600000, metadata: { version: '1.3.0', product: { name: 'sshd' } },
  user: { name: 'alice' }, src_endpoint: { ip: '192.0.2.7' },
};
const CANONICAL = '{"activity_id":1,"category_uid":3,"class_uid":3002,"metadata":{"product":{"name":"sshd"},"version":"1.3.0"},' +
  '"severity_id":1,"src_endpoint":{"ip":"192.0.2.7"},"status_id":1,"time":1767225600000,"type_uid":300201,"user":{"name":"alice"}}';
const SALT = Uint8Array.from({ length: 32 }, (_, i) => i + 1); // AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=
const LEAF = 'cairn.dev/event-leaf/v1\nsource bastion\nseq 0\ntime 1767225600000\nclass 3002\ncommitment IHeokvPNRIC6KnBSHpUDeVN0UjizGN2aVzOkI/hqozg=\n';
const LEAF_HASH = 'wbL0SmHV2Z80nAUDxNie7hjSFWpixzpOFCsA+HMZlVA=';
const ORIGIN = 'example.com/log';
const LOG_SKEY = generateSignerKey(ORIGIN, seed(1));
const RECEIPT_SKEY = generateSignerKey(receiptKeyName(ORIGIN), seed(2));
const WITNESS_SKEY = generateSignerKey('witness.example.org', seed(3));
const RECEIPT = `cairn.dev/receipt/v1
origin example.com/log
index 0
leaf wbL0SmHV2Z80nAUDxNie7hjSFWpixzpOFCsA+HMZlVA=
source bastion
seq 0
deadline 1767225660

— example.com/log/receipt YYNDdcY8rJP/nhk/EdLDG5UyPGP91uyrRK7WN90CA4kDRyGxXzh22FaXsfQpuQ6mk+8d3n1C0R7vLkyAyJuhnCiU4wA=
`;
const EVENT_PROOF = `cairn.dev/event-proof/v1
salt AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=
leaf Y2Fpcm4uZGV2L2V2ZW50LWxlYWYvdjEKc291cmNlIGJhc3Rpb24Kc2VxIDAKdGltZSAxNzY3MjI1NjAwMDAwCmNsYXNzIDMwMDIKY29tbWl0bWVudCBJSGVva3ZQTlJJQzZLbkJTSHBVRGVWTjBVaml6R04yYVZ6T2tJL2hxb3pnPQo=
event ${CANONICAL}

c2sp.org/tlog-proof@v1
index 0

example.com/log
1
wbL0SmHV2Z80nAUDxNie7hjSFWpixzpOFCsA+HMZlVA=

— example.com/log m+XTxnYF4xDYrKslHXpzvjiLN38eQPCVo+OjL5V3bmrMF8pf6lB0rFblRifvRk0jw87fg7Lgir0t18H6pG3SWJseMQY=
— witness.example.org vZ2YFQAAAABpVbkBExdGn9fdGjkeDlZDUUBBAaFGG5qFIWpyAl4gt6NbKl7MyPXCv+GHM9pumvB39lx3TqI3UWEGXlD2G5xTadxkDw==
`;

test('the documented keys, event, leaf, receipt and event proof are exactly what the code builds', () => {
  assert.equal(verifierKeyFromSigner(LOG_SKEY), 'example.com/log+9be5d3c6+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c');
  assert.equal(verifierKeyFromSigner(RECEIPT_SKEY), 'example.com/log/receipt+61834375+AYE5dw6ofRdfVqNUZsNMfszLjYqRtO43ol32D1uPybOU');
  assert.equal(cosignatureVerifierKey(WITNESS_SKEY), 'witness.example.org+bd9d9815+BO1JKMYo0cLG6ukDOJBZlWEpWSc6XGP5NjbBRhSshzfR');

  const event = parseEvent(new TextEncoder().encode(JSON.stringify(EVENT)));
  assert.equal(dec(event.canonical), CANONICAL);
  const leaf = buildLeaf({ source: 'bastion', seq: 0n, event, salt: SALT });
  assert.equal(dec(leaf.bytes), LEAF);
  assert.equal(Buffer.from(leaf.leafHash).toString('base64'), LEAF_HASH);

  const receipt = signReceipt({ origin: ORIGIN, index: 0n, leafHash: leaf.leafHash, source: 'bastion', seq: 0n, deadline: 1767225660n }, parseSignerKey(RECEIPT_SKEY));
  assert.equal(receipt, RECEIPT);
  const opened = openReceipt(receipt, parseVerifierKey(verifierKeyFromSigner(RECEIPT_SKEY)));

  const checkpoint = formatCheckpoint({ origin: ORIGIN, size: 1n, rootHash: leaf.leafHash, extensions: [] });
  const note = addSignatures(signNote(checkpoint, [parseSignerKey(LOG_SKEY)]), [cosignatureSigner(WITNESS_SKEY, () => 1767225601n)]);
  const bundle = formatProofBundle({ index: 0n, proof: [], checkpoint: note });
  const file = formatEventProof({ salt: SALT, leaf: leaf.bytes, event: event.canonical, bundle });
  assert.equal(dec(file), EVENT_PROOF);

  const policy = parsePolicy(`log ${verifierKeyFromSigner(LOG_SKEY)}\nwitness w ${cosignatureVerifierKey(WITNESS_SKEY)}\nquorum w\n`);
  const ok = verifyEventProof(file, { policy, origin: ORIGIN });
  assert.equal((ok.event.event['user'] as { name: string }).name, 'alice');
  assert.equal(checkReceiptPromise(opened, [{ origin: ORIGIN, size: 1n, time: 1767225601n, note }]).status, 'kept');
});

test('the package comment example runs', () => {
  const event = parseEvent(new TextEncoder().encode(JSON.stringify(EVENT)));
  const salt = crypto.getRandomValues(new Uint8Array(32));
  const { leafHash } = buildLeaf({ source: 'bastion', seq: 0n, event, salt });
  const skey = generateSignerKey(receiptKeyName('example.com/log'));
  const note = signReceipt({ origin: 'example.com/log', index: 0n, leafHash, source: 'bastion', seq: 0n, deadline: 1767225660n }, parseSignerKey(skey));
  const receipt = openReceipt(note, parseVerifierKey(verifierKeyFromSigner(skey)));
  assert.equal(checkReceiptPromise(receipt, []).status, 'pending');
});
