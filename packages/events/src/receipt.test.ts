import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  FormatError, formatCheckpoint, generateSignerKey, openCheckpoint, parsePolicy, parseSignerKey, parseVerifierKey, signNote,
  verifierKeyFromSigner, verifyCheckpointUnderPolicy,
} from '@cairn/formats';
import { ReceiptError } from './errors.js';
import { checkReceiptPromise, type TimedCheckpoint } from './promise.js';
import { formatReceipt, openReceipt, parseReceipt, receiptKeyName, signReceipt, type Receipt } from './receipt.js';

const ORIGIN = 'example.com/log';
const seed = (n: number): Uint8Array => new Uint8Array(32).fill(n);
const LOG_SKEY = generateSignerKey(ORIGIN, seed(1));
const LOG = { signer: parseSignerKey(LOG_SKEY), verifier: parseVerifierKey(verifierKeyFromSigner(LOG_SKEY)) };
const RCPT_SKEY = generateSignerKey(receiptKeyName(ORIGIN), seed(2));
const RCPT = { signer: parseSignerKey(RCPT_SKEY), verifier: parseVerifierKey(verifierKeyFromSigner(RCPT_SKEY)) };
const LEAF = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
const R: Receipt = { origin: ORIGIN, index: 1234n, leafHash: LEAF, source: 'k8s-audit', seq: 41n, deadline: 1_767_225_660n };

const code = (c: string) => (e: unknown) => e instanceof ReceiptError && e.code === c;

test('a receipt has the documented text and opens with the receipt key', () => {
  assert.equal(receiptKeyName(ORIGIN), 'example.com/log/receipt');
  const text = formatReceipt(R);
  assert.equal(text, `cairn.dev/receipt/v1\norigin example.com/log\nindex 1234\nleaf ${Buffer.from(LEAF).toString('base64')}\nsource k8s-audit\nseq 41\ndeadline 1767225660\n`);
  const note = signReceipt(R, RCPT.signer);
  assert.ok(note.startsWith(text + '\n\u2014 example.com/log/receipt '));
  const opened = openReceipt(note, RCPT.verifier);
  assert.deepEqual(opened.receipt, R);
  assert.equal(opened.note, note);
  assert.deepEqual(openReceipt(new TextEncoder().encode(note), RCPT.verifier).receipt, R);
});

test('a receipt is never accepted as a checkpoint, whoever signed it', () => {
  const policy = parsePolicy(`log ${verifierKeyFromSigner(LOG_SKEY)}\nquorum none\n`);
  const byReceiptKey = signReceipt(R, RCPT.signer);
  assert.throws(() => openCheckpoint(byReceiptKey, [LOG.verifier]), (e: unknown) => e instanceof FormatError && e.code === 'no-verified-signature');
  assert.throws(() => verifyCheckpointUnderPolicy(byReceiptKey, policy), (e: unknown) => e instanceof FormatError);
  // Even a receipt text signed with the checkpoint key (which signReceipt refuses to do) does not parse as a checkpoint.
  const byLogKey = signNote(formatReceipt(R), [LOG.signer]);
  assert.throws(() => openCheckpoint(byLogKey, [LOG.verifier]), (e: unknown) => e instanceof FormatError && e.format === 'checkpoint' && e.code === 'bad-size');
  assert.throws(() => verifyCheckpointUnderPolicy(byLogKey, policy), (e: unknown) => e instanceof FormatError && e.format === 'checkpoint');
  // And a receipt key listed as if it were a log key cannot sign for the origin: its name is not the origin.
  const cp = formatCheckpoint({ origin: ORIGIN, size: 2000n, rootHash: new Uint8Array(32), extensions: [] });
  const cpByReceiptKey = signNote(cp, [RCPT.signer]);
  const confused = parsePolicy(`log ${verifierKeyFromSigner(RCPT_SKEY)}\nquorum none\n`);
  assert.throws(() => verifyCheckpointUnderPolicy(cpByReceiptKey, confused), (e: unknown) => e instanceof FormatError && e.code === 'no-log-signature');
});

test('a checkpoint is never accepted as a receipt, whoever signed it', () => {
  const cp = formatCheckpoint({ origin: ORIGIN, size: 2000n, rootHash: new Uint8Array(32), extensions: [] });
  assert.throws(() => openReceipt(signNote(cp, [LOG.signer]), RCPT.verifier), code('bad-signature'));
  assert.throws(() => openReceipt(signNote(cp, [LOG.signer]), LOG.verifier), code('wrong-key'));
  assert.throws(() => openReceipt(signNote(cp, [RCPT.signer]), RCPT.verifier), code('bad-header'));
  // The checkpoint key can neither sign nor verify a receipt.
  assert.throws(() => signReceipt(R, LOG.signer), code('wrong-key'));
  assert.throws(() => openReceipt(signNote(formatReceipt(R), [LOG.signer]), LOG.verifier), code('wrong-key'));
  // A receipt key of another log is not this log's receipt key.
  const other = generateSignerKey(receiptKeyName('other.example/log'), seed(3));
  const otherNote = signNote(formatReceipt(R), [parseSignerKey(other)]);
  assert.throws(() => openReceipt(otherNote, parseVerifierKey(verifierKeyFromSigner(other))), code('wrong-key'));
});

test('tampered or forged receipts fail with their own codes', () => {
  const note = signReceipt(R, RCPT.signer);
  assert.throws(() => openReceipt(note.replace('index 1234', 'index 1235'), RCPT.verifier), code('bad-signature'));
  const impostor = generateSignerKey(receiptKeyName(ORIGIN), seed(7));
  assert.throws(() => openReceipt(signReceipt(R, parseSignerKey(impostor)), RCPT.verifier), code('bad-signature'));
  assert.throws(() => openReceipt('not a note', RCPT.verifier), code('bad-note'));
});

test('strict parsing of the receipt text', () => {
  const text = formatReceipt(R);
  const rejects = (t: string, c: string) => assert.throws(() => parseReceipt(t), code(c), t);
  rejects(text.replace('/v1', '/v2'), 'bad-header');
  rejects(text.replace('index 1234', 'index 01234'), 'bad-index');
  rejects(text.replace('seq 41', 'seq -1'), 'bad-seq');
  rejects(text.replace('deadline 1767225660', 'deadline 1.7e9'), 'bad-deadline');
  rejects(text.replace('origin example.com/log', 'origin example.com log'), 'bad-origin');
  rejects(text.replace('source k8s-audit', 'source k8s audit'), 'bad-source');
  rejects(text.replace(/leaf \S+/, 'leaf AAAA'), 'bad-leaf');
  rejects(text.replace('seq 41\n', ''), 'bad-line');
  rejects(text + 'extra 1\n', 'bad-line');
  rejects(text.replace('seq 41\ndeadline', 'deadline 1\nseq 41\nx'), 'bad-line');
  rejects(text.slice(0, -1), 'bad-text');
  rejects(text.replace('\n', '\r\n'), 'bad-text');
  assert.throws(() => formatReceipt({ ...R, index: -1n }), code('bad-index'));
  assert.throws(() => formatReceipt({ ...R, leafHash: new Uint8Array(31) }), code('bad-leaf'));
  assert.throws(() => receiptKeyName('a+b'), code('bad-origin'));
});

test('property: receipts round-trip; arbitrary text parses or throws ReceiptError', () => {
  const arb = fc.record({
    origin: fc.stringMatching(/^[a-z0-9.\/-]{1,40}$/),
    index: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }),
    leafHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    source: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
    seq: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }),
    deadline: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }),
  });
  fc.assert(fc.property(arb, (r) => assert.deepEqual(parseReceipt(formatReceipt(r)), { ...r })), { numRuns: 300 });
  const text = formatReceipt(R);
  fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.tuple(fc.nat({ max: text.length - 1 }), fc.string({ maxLength: 3 })).map(([i, s]) => text.slice(0, i) + s + text.slice(i + 1))), (t) => {
    try {
      assert.equal(formatReceipt(parseReceipt(t)), t);
    } catch (e) {
      if (!(e instanceof ReceiptError)) throw e;
    }
  }), { numRuns: 2000 });
  // Opening arbitrary or mutated notes fails only with ReceiptError.
  const note = signReceipt(R, RCPT.signer);
  fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.tuple(fc.nat({ max: note.length - 1 }), fc.string({ maxLength: 2 })).map(([i, s]) => note.slice(0, i) + s + note.slice(i + 1))), (t) => {
    try {
      assert.deepEqual(openReceipt(t, RCPT.verifier).receipt, R);
    } catch (e) {
      if (!(e instanceof ReceiptError)) throw e;
    }
  }), { numRuns: 1000 });
});

test('the promise: kept, pending, broken (not included / included late) with the receipt as evidence', () => {
  const receipt = openReceipt(signReceipt(R, RCPT.signer), RCPT.verifier);
  const cp = (size: bigint, time: bigint): TimedCheckpoint => ({ origin: ORIGIN, size, time, note: `checkpoint ${size}@${time}` });
  const D = R.deadline;
  assert.equal(checkReceiptPromise(receipt, []).status, 'pending');
  assert.equal(checkReceiptPromise(receipt, [cp(1000n, D - 50n)]).status, 'pending');
  const kept = checkReceiptPromise(receipt, [cp(1000n, D - 50n), cp(1235n, D)]);
  assert.equal(kept.status, 'kept');
  assert.equal(kept.status === 'kept' && kept.checkpoint.size, 1235n);
  const missing = checkReceiptPromise(receipt, [cp(1000n, D - 50n), cp(1234n, D + 10n), cp(1300n, D + 60n)]);
  assert.deepEqual(missing.status === 'broken' && [missing.reason, missing.checkpoint.size, missing.receipt.note], ['not-included', 1234n, receipt.note]);
  const late = checkReceiptPromise(receipt, [cp(1300n, D + 60n), cp(1240n, D + 30n)]);
  assert.deepEqual(late.status === 'broken' && [late.reason, late.checkpoint.size], ['included-late', 1240n]);
  // A covering checkpoint before the deadline wins, wherever it is in the list.
  assert.equal(checkReceiptPromise(receipt, [cp(1234n, D + 10n), cp(2000n, D - 1n)]).status, 'kept');
  assert.throws(() => checkReceiptPromise(receipt, [{ ...cp(2000n, D), origin: 'other.example/log' }]), code('origin-mismatch'));
});
