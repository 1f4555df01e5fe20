/**
 * The log's identity from its options: the Ed25519 signer key (type 0x01), its verifier key, and
 * the origin (default: the key name). Invalid input is a LogError 'config'.
 */
import { parseSignerKey, parseVerifierKey, verifierKeyFromSigner, ALG_ED25519 } from '@cairn/formats';
import { nodeEd25519 } from '@cairn/formats/node';
import { LogError } from './errors.js';
import type { Logger } from './logger.js';
import type { LogNodeOptions } from './options.js';
import type { LogIdentity } from './recovery.js';

/** Parses and checks the signer key and origin of `opts`. */
export function identity(opts: LogNodeOptions, logger: Logger): LogIdentity {
  const ed25519 = opts.ed25519 ?? nodeEd25519;
  let signer;
  let verifierKey: string;
  try {
    signer = parseSignerKey(opts.signerKey, { ed25519 });
    verifierKey = verifierKeyFromSigner(opts.signerKey, ALG_ED25519, { ed25519 });
  } catch (cause) {
    throw new LogError('config', `signerKey is not a valid Ed25519 signer key: ${(cause as Error).message}`, { cause });
  }
  const origin = opts.origin ?? signer.name;
  if (typeof origin !== 'string' || origin.length === 0 || /[\u0000-\u001f\u007f]/u.test(origin)) {
    throw new LogError('config', 'origin must be a non-empty line without control characters');
  }
  if (origin !== signer.name) logger.warn('the origin differs from the key name', { origin, keyName: signer.name });
  return { origin, verifierKey, verifier: parseVerifierKey(verifierKey, { ed25519 }), signer };
}
