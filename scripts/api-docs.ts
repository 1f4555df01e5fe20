/**
 * `pnpm docs:api`: writes the generated parts of docs/api.md, the API reference, from the code.
 *
 * - The tRPC procedures: every router exported by @cairn/api is walked at run time (a router
 *   nested in another exported router is documented under that one), so a new router or
 *   procedure appears without touching this script. For each procedure: its path, kind
 *   (query / mutation / subscription), the authentication its builder demands, its input schema
 *   (zod 4's `z.toJSONSchema`, rendered as a field table plus the full JSON Schema), and the
 *   doc comment written above it in the router's source (read with the TypeScript parser).
 * - Authentication comes from the sanctioned builders @cairn/api exports (`publicProcedure`,
 *   `authedProcedure`, …): a procedure is labelled with the builder whose middlewares it runs
 *   (the longest such chain), and that builder's own doc comment says what it demands.
 * - The error tables: ERROR_TABLE (log) and WITNESS_ERROR_TABLE (witness) from errors.ts.
 *
 * The hand-written parts of docs/api.md (plain HTTP endpoints, conventions) stay as they are.
 * `--check` compares instead of writing (test/docs/api-docs.test.ts runs it).
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import * as api from '../packages/api/src/index.js';
import { replaceSection } from './doc-sections.js';

export const API_DOC = fileURLToPath(new URL('../docs/api.md', import.meta.url));
const API_SRC = fileURLToPath(new URL('../packages/api/src/', import.meta.url));

/** zod as @cairn/api resolves it (the repository root does not depend on zod itself). */
const { z } = (await import(pathToFileURL(createRequire(join(API_SRC, 'index.ts')).resolve('zod')).href)) as {
  z: { toJSONSchema(schema: unknown, opts: { io: 'input'; unrepresentable: 'any' }): unknown };
};

// The parts of tRPC's run-time shapes this script reads.
interface ProcedureDef { readonly type: 'query' | 'mutation' | 'subscription'; readonly inputs: readonly unknown[]; readonly middlewares: readonly unknown[] }
interface BuilderDef { readonly procedure: true; readonly middlewares: readonly unknown[]; readonly type?: undefined }
interface RouterDef { readonly router: true; readonly procedures: Readonly<Record<string, { readonly _def: ProcedureDef }>> }

const defOf = (v: unknown): Record<string, unknown> | undefined =>
  (typeof v === 'object' || typeof v === 'function') && v !== null && '_def' in v ? (v as { _def: Record<string, unknown> })._def : undefined;
const isRouter = (v: unknown): v is { _def: RouterDef } => defOf(v)?.['router'] === true;
const isBuilder = (v: unknown): v is { _def: BuilderDef } => { const d = defOf(v); return d?.['procedure'] === true && d['type'] === undefined; };

// ---- doc comments, from the sources -------------------------------------------------------

/** A property of a `router({...})` object literal: its doc comment, and the identifier it names. */
interface RouterEntry { readonly doc: string; readonly ref: string | undefined }

interface SourceDocs {
  /** Router variables: name → key → entry. */
  readonly routers: Map<string, Map<string, RouterEntry>>;
  /** Doc comments of top-level `const` declarations (routers, builders). */
  readonly consts: Map<string, string>;
}

function jsDocText(node: ts.Node): string {
  return ts.getJSDocCommentsAndTags(node)
    .filter(ts.isJSDoc)
    .map((d) => ts.getTextOfJSDocComment(d.comment) ?? '')
    .join('\n')
    .trim();
}

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sourceFiles(p)));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out.sort();
}

/** Reads every router object literal and const doc comment of packages/api/src. */
export async function readSourceDocs(): Promise<SourceDocs> {
  const routers = new Map<string, Map<string, RouterEntry>>();
  const consts = new Map<string, string>();
  for (const file of await sourceFiles(API_SRC)) {
    const sf = ts.createSourceFile(file, await readFile(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer !== undefined) {
        const name = node.name.text;
        const doc = jsDocText(node);
        if (doc !== '') consts.set(name, doc);
        const init = node.initializer;
        if (ts.isCallExpression(init) && /(^|\.)router$/.test(init.expression.getText(sf)) && init.arguments[0] !== undefined && ts.isObjectLiteralExpression(init.arguments[0])) {
          const entries = new Map<string, RouterEntry>();
          for (const prop of init.arguments[0].properties) {
            if (ts.isPropertyAssignment(prop) && (ts.isIdentifier(prop.name) || ts.isStringLiteral(prop.name))) {
              entries.set(prop.name.text, { doc: jsDocText(prop), ref: ts.isIdentifier(prop.initializer) ? prop.initializer.text : undefined });
            } else if (ts.isShorthandPropertyAssignment(prop)) {
              entries.set(prop.name.text, { doc: jsDocText(prop), ref: prop.name.text });
            }
          }
          routers.set(name, entries);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return { routers, consts };
}

/** Procedure path → doc comment, for the router declared as `varName`. */
function procedureDocs(src: SourceDocs, varName: string, prefix = '', out = new Map<string, string>()): Map<string, string> {
  for (const [key, entry] of src.routers.get(varName) ?? []) {
    if (entry.ref !== undefined && src.routers.has(entry.ref)) procedureDocs(src, entry.ref, `${prefix}${key}.`, out);
    // A procedure defined elsewhere (`search: searchProcedure`) is documented where it is declared.
    else out.set(prefix + key, entry.doc !== '' || entry.ref === undefined ? entry.doc : (src.consts.get(entry.ref) ?? ''));
  }
  return out;
}

// ---- input schemas -------------------------------------------------------------------------

type JsonSchema = Record<string, unknown>;

function schemaOf(input: unknown): JsonSchema | undefined {
  try {
    const s = z.toJSONSchema(input, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    delete s['$schema'];
    return s;
  } catch {
    return undefined;
  }
}

function constraints(s: JsonSchema): string[] {
  const c: string[] = [];
  const num = (k: string) => (typeof s[k] === 'number' ? (s[k] as number) : undefined);
  if (Array.isArray(s['enum'])) c.push(`one of ${(s['enum'] as unknown[]).map((v) => `\`${JSON.stringify(v)}\``).join(', ')}`);
  if (s['const'] !== undefined) c.push(`exactly \`${JSON.stringify(s['const'])}\``);
  if (typeof s['pattern'] === 'string') c.push(`matches \`${s['pattern']}\``);
  const [minL, maxL] = [num('minLength'), num('maxLength')];
  if (minL !== undefined && minL === maxL) c.push(`${minL} characters`);
  else {
    if (minL !== undefined) c.push(`≥ ${minL} characters`);
    if (maxL !== undefined) c.push(`≤ ${maxL} characters`);
  }
  if (num('minItems') !== undefined) c.push(`≥ ${num('minItems')} items`);
  if (num('maxItems') !== undefined) c.push(`≤ ${num('maxItems')} items`);
  if (num('minimum') !== undefined) c.push(`≥ ${num('minimum')}`);
  if (num('maximum') !== undefined) c.push(`≤ ${num('maximum')}`);
  if (s['default'] !== undefined) c.push(`default \`${JSON.stringify(s['default'])}\``);
  return c;
}

function typeName(s: JsonSchema): string {
  for (const k of ['anyOf', 'oneOf'] as const) {
    if (Array.isArray(s[k])) return (s[k] as JsonSchema[]).map(typeName).join(' or ');
  }
  if (s['type'] === 'array' && typeof s['items'] === 'object' && s['items'] !== null) {
    const items = s['items'] as JsonSchema;
    const c = constraints(items);
    return `array of ${typeName(items)}${c.length > 0 ? ` (each ${c.join(', ')})` : ''}`;
  }
  if (typeof s['type'] === 'string') return s['type'];
  if (Array.isArray(s['type'])) return (s['type'] as string[]).join(' or ');
  if (s['enum'] !== undefined) return 'enum';
  return 'any';
}

/** The object schema of an input, and whether the whole input may be left out. */
function objectPart(s: JsonSchema): { obj: JsonSchema | undefined; optional: boolean } {
  if (s['type'] === 'object') return { obj: s, optional: false };
  const alts = (s['anyOf'] ?? s['oneOf']) as JsonSchema[] | undefined;
  if (Array.isArray(alts)) {
    const obj = alts.find((a) => a['type'] === 'object');
    const rest = alts.filter((a) => a !== obj);
    if (obj !== undefined && rest.every((a) => a['type'] === 'null' || Object.keys(a).length === 0 || (a['not'] !== undefined))) return { obj, optional: true };
  }
  return { obj: undefined, optional: false };
}

function fieldRows(obj: JsonSchema, prefix = ''): string[] {
  const props = (obj['properties'] ?? {}) as Record<string, JsonSchema>;
  const required = new Set((obj['required'] ?? []) as string[]);
  const rows: string[] = [];
  for (const [k, v] of Object.entries(props)) {
    const { obj: nested } = objectPart(v);
    const c = constraints(v);
    rows.push(`| \`${prefix}${k}\` | ${typeName(v).replace(/\|/g, '\\|')} | ${required.has(k) ? 'yes' : 'no'} | ${c.join('; ').replace(/\|/g, '\\|')} |`);
    if (nested !== undefined && nested['properties'] !== undefined) rows.push(...fieldRows(nested, `${prefix}${k}.`));
  }
  return rows;
}

/** Whether a zod schema accepts no input at all (`.optional()`), which JSON Schema does not show. */
function acceptsUndefined(input: unknown): boolean {
  const safeParse = (input as { safeParse?: (v: unknown) => { success: boolean } }).safeParse;
  return typeof safeParse === 'function' && safeParse.call(input, undefined).success;
}

function renderInput(inputs: readonly unknown[]): string[] {
  if (inputs.length === 0) return ['Input: none.'];
  const out: string[] = [];
  for (const input of inputs) {
    const s = schemaOf(input);
    if (s === undefined) {
      out.push('Input: a schema that has no JSON Schema form (see the source).');
      continue;
    }
    const { obj, optional: optionalInSchema } = objectPart(s);
    const optional = optionalInSchema || acceptsUndefined(input);
    if (obj !== undefined) {
      const strict = obj['additionalProperties'] === false ? ' No other fields are accepted.' : '';
      out.push(`Input: an object${optional ? ' (the whole input may be omitted)' : ''}.${strict}`, '');
      const rows = fieldRows(obj);
      if (rows.length > 0) out.push('| field | type | required | constraints |', '|---|---|---|---|', ...rows);
    } else {
      out.push(`Input: ${typeName(s)}${constraints(s).length > 0 ? ` (${constraints(s).join('; ')})` : ''}.`);
    }
    out.push('', '<details><summary>JSON Schema</summary>', '', '```json', JSON.stringify(s), '```', '', '</details>');
  }
  return out;
}

// ---- the routers -----------------------------------------------------------------------------

/** Every export of @cairn/api, as unknown values (the script inspects their run-time shape). */
const exportsOfApi = (): [string, unknown][] => Object.entries(api as Record<string, unknown>);

function exportedRouters(): [string, RouterDef][] {
  const out: [string, RouterDef][] = [];
  for (const [k, v] of exportsOfApi()) if (isRouter(v)) out.push([k, v._def]);
  return out;
}

/**
 * Exported routers that are not part of another exported router: R is nested in O when each of
 * R's procedures is in O under a longer path ending in R's path (`log.submit` for `submit`).
 */
export function rootRouters(): [string, RouterDef][] {
  const all = exportedRouters();
  const nestedIn = (r: RouterDef, o: RouterDef): boolean =>
    Object.entries(r.procedures).every(([path, p]) =>
      Object.entries(o.procedures).some(([opath, op]) => op === p && opath.endsWith('.' + path)));
  return all.filter(([name, r]) => Object.keys(r.procedures).length === 0 || !all.some(([other, o]) => other !== name && nestedIn(r, o)));
}

function authOf(def: ProcedureDef, builders: [string, BuilderDef][], src: SourceDocs): string {
  let best: [string, BuilderDef] | undefined;
  for (const b of builders) {
    if (b[1].middlewares.every((m) => def.middlewares.includes(m)) && (best === undefined || b[1].middlewares.length > best[1].middlewares.length)) best = b;
  }
  if (best === undefined) return 'none (this router has no authenticated procedures)';
  const doc = (src.consts.get(best[0]) ?? '').split('\n').join(' ');
  return `\`${best[0]}\`${doc !== '' ? ` — ${doc}` : ''}`;
}

/** The generated "procedures" section. */
export async function proceduresMarkdown(): Promise<string> {
  const src = await readSourceDocs();
  const builders: [string, BuilderDef][] = [];
  for (const [k, v] of exportsOfApi()) if (isBuilder(v)) builders.push([k, v._def]);
  const out: string[] = [];
  for (const [name, r] of rootRouters()) {
    const docs = procedureDocs(src, name);
    const paths = Object.keys(r.procedures);
    out.push(`### \`${name}\``, '');
    const rdoc = src.consts.get(name);
    if (rdoc !== undefined) out.push(rdoc, '');
    out.push('| procedure | kind |', '|---|---|', ...paths.map((p) => `| [\`${p}\`](#${anchor(name, p)}) | ${r.procedures[p]!._def.type} |`), '');
    for (const p of paths) {
      const def = r.procedures[p]!._def;
      out.push(`<a id="${anchor(name, p)}"></a>`, '', `#### \`${p}\` (${def.type}, \`${name}\`)`, '');
      const doc = docs.get(p);
      out.push(doc !== undefined && doc !== '' ? doc : '(no doc comment in the source)', '');
      out.push(`Authentication: ${authOf(def, builders, src)}`, '');
      out.push(...renderInput(def.inputs), '');
    }
  }
  return out.join('\n');
}

function anchor(router: string, path: string): string {
  return `${router}-${path}`.replace(/[^A-Za-z0-9-]/g, '-').toLowerCase();
}

/** The generated error tables. */
export function errorsMarkdown(): string {
  const out = [
    '#### Log (`ERROR_TABLE`: tRPC at `/trpc` and the tiles paths)', '',
    '| code | HTTP | tRPC code | Retry-After (s) | submission stored nothing | public message |',
    '|---|---|---|---|---|---|',
  ];
  for (const [code, r] of Object.entries(api.ERROR_TABLE)) {
    out.push(`| \`${code}\` | ${r.status} | \`${r.trpc}\` | ${r.retryAfterSeconds ?? ''} | ${r.nothingStored ? 'yes' : ''} | ${r.publicMessage ?? '(the error\'s own message)'} |`);
  }
  out.push('', '#### Witness (`WITNESS_ERROR_TABLE`: `/add-checkpoint` and tRPC at `/trpc`)', '',
    '| code | HTTP | tRPC code | public message |', '|---|---|---|---|');
  for (const [code, r] of Object.entries(api.WITNESS_ERROR_TABLE)) {
    out.push(`| \`${code}\` | ${r.status} | \`${r.trpc}\` | ${r.publicMessage ?? '(the error\'s own message)'} |`);
  }
  return out.join('\n');
}

/** docs/api.md as the generator would write it, from its current text. */
export async function renderApiDoc(current: string): Promise<string> {
  return replaceSection(replaceSection(current, 'procedures', await proceduresMarkdown()), 'errors', errorsMarkdown());
}

async function main(): Promise<void> {
  const current = await readFile(API_DOC, 'utf8');
  const next = await renderApiDoc(current);
  if (process.argv.includes('--check')) {
    if (next !== current) {
      process.stderr.write('docs/api.md is out of date: run pnpm docs:api\n');
      process.exitCode = 1;
    }
    return;
  }
  if (next !== current) await writeFile(API_DOC, next);
  process.stdout.write(next === current ? 'docs/api.md is up to date\n' : 'wrote docs/api.md\n');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();
