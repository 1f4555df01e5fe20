/** Test-only: reads a known-answer vector file from the repository's test/vectors. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export function vectorsDir(): string {
  return join(repoRoot, 'test', 'vectors');
}

export async function loadVectors(name: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(vectorsDir(), name), 'utf8')) as Record<string, unknown>;
}
