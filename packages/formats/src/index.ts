/**
 * @cairn/formats — every C2SP wire format Cairn speaks, as pure synchronous functions over
 * strings and `Uint8Array`s (browser-safe; the node:crypto Ed25519 backend is the separate entry
 * `@cairn/formats/node`). Parsers are strict and throw only `FormatError` subclasses.
 *
 * ```ts
 * import { generateSignerKey, parseSignerKey, verifierKeyFromSigner, parseVerifierKey,
 *   formatCheckpoint, signNote, openCheckpoint } from '@cairn/formats';
 *
 * const skey = generateSignerKey('example.com/log');
 * const text = formatCheckpoint({ origin: 'example.com/log', size: 0n, rootHash: new Uint8Array(32), extensions: [] });
 * const signed = signNote(text, [parseSignerKey(skey)]);
 * const { checkpoint, verified } = openCheckpoint(signed, [parseVerifierKey(verifierKeyFromSigner(skey))]);
 * ```
 */
export * from './errors.js';
export * from './encoding.js';
export * from './ed25519.js';
export * from './keys.js';
export * from './note.js';
export * from './checkpoint.js';
export * from './cosignature.js';
export * from './witness.js';
export * from './bundle.js';
export * from './proofbundle.js';
export * from './policy.js';
export * from './loglist.js';
export * from './bounded.js';
export * from './retry.js';
