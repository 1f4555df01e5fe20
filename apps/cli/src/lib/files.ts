/** File helpers for the CLI: durable creation of secret files and bounded reads. */
import { open, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CommandFailure, EXIT_IO } from '../command.js';

/**
 * Creates `path` with mode 0600 and writes `text`, refusing to overwrite an existing file;
 * fsyncs the file and its directory so the key survives a crash right after we print it.
 */
export async function writeSecretFileExclusive(path: string, text: string): Promise<void> {
  let fh;
  try {
    fh = await open(path, 'wx', 0o600);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EEXIST') throw new CommandFailure(`${path} already exists; refusing to overwrite a key file`);
    throw new CommandFailure(`cannot create ${path}: ${err.message}`, EXIT_IO);
  }
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsyncDir(dirname(path));
}

export async function fsyncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try { await d.sync(); } finally { await d.close(); }
}

/** Reads a file (or standard input for "-") refusing anything larger than `max` bytes. */
export async function readBounded(path: string, max: number): Promise<Uint8Array> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const c of process.stdin) {
      total += (c as Buffer).length;
      if (total > max) throw new CommandFailure(`standard input is larger than ${max} bytes`);
      chunks.push(c as Buffer);
    }
    return new Uint8Array(Buffer.concat(chunks));
  }
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    throw new CommandFailure(`cannot read ${path}: ${(e as Error).message}`, EXIT_IO);
  }
  if (!st.isFile()) throw new CommandFailure(`${path} is not a regular file`, EXIT_IO);
  if (st.size > max) throw new CommandFailure(`${path} is larger than ${max} bytes`);
  return new Uint8Array(await readFile(path));
}

/** Reads a key file (a single line of text; a trailing newline is allowed). */
export async function readKeyFile(path: string): Promise<string> {
  const bytes = await readBounded(path, 16 * 1024);
  return new TextDecoder().decode(bytes).replace(/\r?\n$/, '');
}
