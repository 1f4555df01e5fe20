/**
 * File I/O for the tokens file: a capped read, and an atomic owner-only write (temporary file in
 * the same directory, mode 0600, fsync, rename, fsync of the directory).
 */
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { ApiError } from './errors.js';

/** Largest tokens file read (bytes). */
export const MAX_TOKENS_FILE_BYTES = 8 * 1024 * 1024;
/** Mode of the tokens file: owner read/write only. */
export const TOKENS_FILE_MODE = 0o600;

/** The file's text, or undefined when it does not exist. */
export async function readTokensText(file: string): Promise<string | undefined> {
  try {
    const st = await stat(file);
    if (st.size > MAX_TOKENS_FILE_BYTES) throw new ApiError('bad-input', `${file}: tokens file is larger than ${MAX_TOKENS_FILE_BYTES} bytes`);
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Replaces `file` with `text` atomically, readable by the owner only. */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', TOKENS_FILE_MODE);
  try {
    await fh.writeFile(text, 'utf8');
    await fh.chmod(TOKENS_FILE_MODE);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await fh.close();
  await rename(tmp, file);
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
