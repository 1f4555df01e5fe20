// Regenerates src/otlp-schema.ts from the vendored opentelemetry-proto files under proto/
// (the package must not read files at run time: it is pure and runs in a browser).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const files = ['common/v1/common.proto', 'resource/v1/resource.proto', 'logs/v1/logs.proto', 'collector/logs/v1/logs_service.proto'];
const schema = readFileSync(`${root}src/otlp-schema.ts`, 'utf8');
const head = schema.slice(0, schema.indexOf('export const OTLP_PROTO_FILES'));
let out = `${head}export const OTLP_PROTO_FILES: readonly (readonly [string, string])[] = [\n`;
for (const f of files) {
  const path = `opentelemetry/proto/${f}`;
  out += `  [${JSON.stringify(path)}, ${JSON.stringify(readFileSync(`${root}proto/${path}`, 'utf8'))}],\n`;
}
writeFileSync(`${root}src/otlp-schema.ts`, `${out}];\n`);
