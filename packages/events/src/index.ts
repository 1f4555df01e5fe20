/**
 * @cairn/events — the audit-event layer's pure core: OCSF 1.x events validated strictly and
 * canonicalised with RFC 8785; the public leaf record (no personal data: source, sequence number,
 * time, class and a salted commitment to the event); receipts (the log's signed promise to
 * include an event by a deadline); and event proofs (one file that proves an event is in the log,
 * offline). Synchronous functions over `Uint8Array` and strings, no `node:*`, browser-safe;
 * randomness (salts), keys and clocks are the caller's. Everything throws only `EventsError`
 * subclasses with string codes (`EventError` names the JSON path). Design: docs/design/events.md.
 *
 * ```ts
 * import { parseEvent, buildLeaf, formatEventProof, verifyEventProof,
 *   receiptKeyName, signReceipt, openReceipt, checkReceiptPromise } from '@cairn/events';
 * import { generateSignerKey, parseSignerKey, parseVerifierKey, verifierKeyFromSigner } from '@cairn/formats';
 *
 * // The log: validate a submitted event, build its leaf (the tlog entry) with a fresh salt.
 * const event = parseEvent(new TextEncoder().encode(JSON.stringify({
 *   class_uid: 3002, category_uid: 3, activity_id: 1, type_uid: 300201, severity_id: 1, status_id: 1,
 *   time: 1767225600000, metadata: { version: '1.3.0', product: { name: 'sshd' } },
 *   user: { name: 'alice' }, src_endpoint: { ip: '192.0.2.7' },
 * })));
 * const salt = crypto.getRandomValues(new Uint8Array(32));
 * const { bytes: leaf, leafHash } = buildLeaf({ source: 'bastion', seq: 0n, event, salt });
 * // … append `leaf` (index 0), keep event.canonical and salt in the event store …
 *
 * // A receipt, signed by the log's receipt key (never its checkpoint key).
 * const skey = generateSignerKey(receiptKeyName('example.com/log'));
 * const note = signReceipt({ origin: 'example.com/log', index: 0n, leafHash, source: 'bastion', seq: 0n,
 *   deadline: 1767225660n }, parseSignerKey(skey));
 * const receipt = openReceipt(note, parseVerifierKey(verifierKeyFromSigner(skey)));
 * checkReceiptPromise(receipt, []).status; // 'pending' until checkpoints decide
 *
 * // The event proof (the tlog-proof bundle comes from the log), verified offline under a policy:
 * // const file = formatEventProof({ salt, leaf, event: event.canonical, bundle });
 * // const ok = verifyEventProof(file, { policy: parsePolicy(policyText) }); // ok.event.event.user.name
 * ```
 */
export * from './errors.js';
export { childPath, parseJsonStrict, type JsonLimits, type JsonObject, type JsonValue } from './json.js';
export * from './limits.js';
export { isIpAddress } from './ip.js';
export { SUPPORTED_CLASSES, validateOcsf, type ValidationResult } from './validate.js';
export { canonicalJson, parseEvent, validateEvent, type ValidatedEvent } from './event.js';
export * from './leaf.js';
export * from './receipt.js';
export * from './promise.js';
export * from './proof.js';
export * from './verify-proof.js';
