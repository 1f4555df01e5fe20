/**
 * The log's receipt key for `cairn log serve`: an Ed25519 signer key named `<origin>/receipt`
 * (receiptKeyName of @cairn/events), separate from the checkpoint key so that a receipt can never
 * pass for a checkpoint (docs/design/events.md). By default it lives in the data directory as
 * `receipt.key` (mode 0600) and is created on the first start; `--receipt-key FILE` names another
 * file, which must exist. A key named for another origin is refused.
 */
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { receiptKeyName, ReceiptError } from '@cairn/events';
import { FormatError, generateSignerKey, parseSignerKey, verifierKeyFromSigner } from '@cairn/formats';
import { UsageError } from '../command.js';
import { readKeyFile, writeSecretFileExclusive } from './files.js';

/** File name of the receipt key in the data directory. */
export const RECEIPT_KEY_FILE = 'receipt.key';

/** The receipt key in use. */
export interface ReceiptKey {
  readonly signerKey: string;
  readonly vkey: string;
  readonly path: string;
  /** Created by this start. */
  readonly created: boolean;
}

/** Reads `file` (or DATA/receipt.key, created when absent) and checks its name against `origin`. */
export async function loadReceiptKey(dataDir: string, file: string | undefined, origin: string): Promise<ReceiptKey> {
  let name: string;
  try {
    name = receiptKeyName(origin);
  } catch (e) {
    if (e instanceof ReceiptError) throw new UsageError(`--origin: ${e.message}`);
    throw e;
  }
  const path = file ?? join(dataDir, RECEIPT_KEY_FILE);
  let created = false;
  const exists = await stat(path).then(() => true, (e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return false;
    throw new UsageError(`${file !== undefined ? '--receipt-key: ' : ''}cannot read ${path}: ${e.message}`);
  });
  let text: string;
  if (exists) {
    text = await readKeyFile(path);
  } else if (file !== undefined) {
    throw new UsageError(`--receipt-key: ${path} does not exist (without --receipt-key the log keeps its receipt key in DATA/${RECEIPT_KEY_FILE}, made on the first start)`);
  } else {
    // First start: make one (0600, fsync'd, never over an existing file).
    await mkdir(dataDir, { recursive: true });
    text = generateSignerKey(name);
    await writeSecretFileExclusive(path, text + '\n');
    created = true;
  }
  let keyName: string;
  try {
    keyName = parseSignerKey(text).name;
  } catch (e) {
    if (e instanceof FormatError) throw new UsageError(`${path}: not a signer key: ${e.message}`);
    throw e;
  }
  if (keyName !== name) throw new UsageError(`${path}: the receipt key of this log must be named "${name}", not "${keyName}"`);
  return { signerKey: text, vkey: verifierKeyFromSigner(text), path, created };
}
