/**
 * The import rules of the workspace (docs/design/house.md), checked over every TypeScript file
 * of `packages/*` and `apps/*`:
 *
 * - `pure`: the modules the main entry of `merkle`, `formats`, `events` and `ingest` reaches
 *   import no `node:*` module and use no Node-only global (their `./node` entries may use Node);
 *   `merkle` and `formats` import no other workspace package, `events` only those two, `ingest`
 *   only those three. The client's
 *   `./verify` entry is browser-safe the same way.
 * - `layer`: no core package (`merkle`, `formats`, `log`, `witness`, `client`, `events`) imports
 *   `@cairn/api`, `@cairn/gossip` or an app. The one exception: `client` may take the routers'
 *   *types* from `@cairn/api` (`import type`, erased at run time).
 * - `declared`: every workspace package a package imports is declared in its package.json —
 *   under `dependencies` when a non-test module loads it at run time, else `devDependencies` is
 *   enough (so for an app, whose build bundles the workspace packages in) — and every declared
 *   workspace package is imported somewhere (or is a program, with a `bin`). A core package
 *   lists none of the outer packages under `dependencies`.
 * - `exports`: a workspace import names an entry its package exports; no relative import leaves
 *   its package.
 * - `cycle`: no import cycle among the modules of one package (type-only imports count: they tie
 *   the files together for the reader and the compiler just the same).
 *
 * Imports are read with the TypeScript parser (static imports and re-exports, `import type`,
 * dynamic `import('…')`), so comments and strings never count.
 */
import { builtinModules } from 'node:module';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/** Packages that must stay free of servers, networking and apps. */
export const CORE_PACKAGES = ['merkle', 'formats', 'log', 'witness', 'client', 'events'];
/**
 * Pure packages and the only workspace packages each may import: `merkle` and `formats` stand
 * alone; `events` stands on them (and on nothing else of ours); `ingest` (producers' wire
 * formats → events) stands on `events`.
 */
export const PURE_PACKAGES: Readonly<Record<string, readonly string[]>> = { merkle: [], formats: [], events: ['merkle', 'formats'], ingest: ['merkle', 'formats', 'events'] };
/** Workspace packages a core package must not import: `ingest` and `index` stand on the cores, never the reverse. */
export const OUTER_PACKAGES = ['api', 'gossip', 'ingest', 'index'];
/** Entries that must run in a browser: `package name → export`. */
export const BROWSER_ENTRIES: ReadonlyArray<readonly [string, string]> = [
  ['merkle', '.'],
  ['formats', '.'],
  ['events', '.'],
  ['ingest', '.'],
  ['index', './query'],
  ['client', './verify'],
];
/** Node-only globals a browser-safe module must not use. */
const NODE_GLOBALS = new Set(['Buffer', 'process', 'require', '__dirname', '__filename', 'setImmediate', 'global']);
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** One import of one file. */
export interface ImportRef {
  readonly spec: string;
  /** `import type` / `export type` (erased at run time). */
  readonly typeOnly: boolean;
}

/** A broken rule, with the files that break it. */
export interface Violation {
  readonly rule: 'pure' | 'layer' | 'declared' | 'exports' | 'cycle';
  readonly message: string;
}

interface Pkg {
  readonly dir: string; // relative to the root, e.g. packages/log
  readonly short: string; // log
  readonly name: string; // @cairn/log
  readonly json: {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
    exports?: Record<string, { source?: string } | string>;
    bin?: unknown;
  };
  readonly files: string[]; // absolute paths of its .ts files
}

/** The imports of one TypeScript source, and the Node-only globals it names. */
export function scanSource(file: string, text: string): { imports: ImportRef[]; globals: Set<string> } {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const imports: ImportRef[] = [];
  const globals = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      imports.push({ spec: node.moduleSpecifier.text, typeOnly: node.importClause?.isTypeOnly === true });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
      imports.push({ spec: node.moduleSpecifier.text, typeOnly: node.isTypeOnly });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      if (arg !== undefined && ts.isStringLiteralLike(arg)) imports.push({ spec: arg.text, typeOnly: false });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      imports.push({ spec: node.argument.literal.text, typeOnly: true });
    } else if (ts.isIdentifier(node) && NODE_GLOBALS.has(node.text) && isFreeReference(node)) {
      globals.add(node.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { imports, globals };
}

/** An identifier used as a value of its own (not `x.Buffer`, not `{ process: 1 }`, not a declaration). */
function isFreeReference(id: ts.Identifier): boolean {
  const p = id.parent;
  if (ts.isPropertyAccessExpression(p) && p.name === id) return false;
  if ((ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p) || ts.isMethodDeclaration(p) || ts.isPropertySignature(p)) && p.name === id) return false;
  if ((ts.isVariableDeclaration(p) || ts.isParameter(p) || ts.isFunctionDeclaration(p) || ts.isImportSpecifier(p) || ts.isBindingElement(p)) && p.name === id) return false;
  if (ts.isQualifiedName(p) && p.right === id) return false;
  return true;
}

const isTest = (file: string): boolean => /\.(test|bench)\.ts$/.test(file) || file.includes(`${sep}testing${sep}`) || /test-(helpers|support|fixtures)\.ts$/.test(file);

function walkTs(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walkTs(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function loadPackages(root: string): Pkg[] {
  const out: Pkg[] = [];
  for (const group of ['packages', 'apps']) {
    const g = join(root, group);
    if (!existsSync(g)) continue;
    for (const short of readdirSync(g).sort()) {
      const pj = join(g, short, 'package.json');
      if (!existsSync(pj)) continue;
      const json = JSON.parse(readFileSync(pj, 'utf8')) as Pkg['json'] & { name: string };
      out.push({ dir: `${group}/${short}`, short, name: json.name, json, files: walkTs(join(g, short, 'src')) });
    }
  }
  return out;
}

/** The workspace graph: packages and, per file, its imports. */
export class Workspace {
  readonly packages: Pkg[];
  readonly #scans = new Map<string, ReturnType<typeof scanSource>>();

  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.packages = loadPackages(this.root);
  }

  scan(file: string): ReturnType<typeof scanSource> {
    let s = this.#scans.get(file);
    if (s === undefined) {
      s = scanSource(file, readFileSync(file, 'utf8'));
      this.#scans.set(file, s);
    }
    return s;
  }

  byName(name: string): Pkg | undefined {
    return this.packages.find((p) => p.name === name);
  }

  byShort(short: string): Pkg | undefined {
    return this.packages.find((p) => p.short === short && p.dir.startsWith('packages/'));
  }

  owner(file: string): Pkg | undefined {
    return this.packages.find((p) => file.startsWith(join(this.root, p.dir) + sep));
  }

  /** `@cairn/x/sub` → the package, and the source file of that export (undefined if not exported). */
  resolveWorkspace(spec: string): { pkg: Pkg; file: string | undefined } | undefined {
    const m = /^(@[^/]+\/[^/]+)(\/.*)?$/.exec(spec);
    const pkg = m === null ? undefined : this.byName(m[1]!);
    if (pkg === undefined) return undefined;
    const entry = pkg.json.exports?.[m![2] === undefined ? '.' : `.${m![2]}`];
    const source = typeof entry === 'string' ? entry : entry?.source;
    return { pkg, file: source === undefined ? undefined : join(this.root, pkg.dir, source) };
  }

  /** A relative import → the .ts file it names. */
  resolveRelative(from: string, spec: string): string {
    const base = resolve(dirname(from), spec);
    for (const c of [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')]) if (existsSync(c)) return c;
    return base.replace(/\.js$/, '.ts');
  }

  rel(file: string): string {
    return relative(this.root, file).split(sep).join('/');
  }

  /** Every file reached from `entry` through relative and workspace imports (type-only too). */
  reach(entry: string): Set<string> {
    const seen = new Set<string>();
    const queue = [entry];
    while (queue.length > 0) {
      const f = queue.pop()!;
      if (seen.has(f) || !existsSync(f)) continue;
      seen.add(f);
      for (const i of this.scan(f).imports) {
        if (i.spec.startsWith('.')) queue.push(this.resolveRelative(f, i.spec));
        else {
          const w = this.resolveWorkspace(i.spec);
          if (w?.file !== undefined) queue.push(w.file);
        }
      }
    }
    return seen;
  }
}

function checkPure(ws: Workspace, out: Violation[]): void {
  for (const [short, allowed] of Object.entries(PURE_PACKAGES)) {
    const pkg = ws.byShort(short);
    if (pkg === undefined) continue;
    const may = allowed.length === 0 ? 'no other workspace package' : `only ${allowed.map((a) => `@cairn/${a}`).join(' and ')} of ours`;
    for (const f of pkg.files) {
      for (const i of ws.scan(f).imports) {
        const w = ws.resolveWorkspace(i.spec);
        if (w !== undefined && w.pkg !== pkg && !allowed.includes(w.pkg.short)) out.push({ rule: 'pure', message: `${ws.rel(f)} imports ${i.spec}: ${pkg.name} imports ${may}` });
      }
    }
  }
  const seen = new Set<string>(); // each file is reported once, from the first entry that reaches it
  for (const [short, exp] of BROWSER_ENTRIES) {
    const pkg = ws.byShort(short);
    const entry = pkg === undefined ? undefined : ws.resolveWorkspace(`${pkg.name}${exp === '.' ? '' : exp.slice(1)}`)?.file;
    if (pkg === undefined || entry === undefined) continue;
    for (const f of ws.reach(entry)) {
      if (seen.has(f)) continue;
      seen.add(f);
      const { imports, globals } = ws.scan(f);
      for (const i of imports) {
        if (BUILTINS.has(i.spec) || i.spec.startsWith('node:')) out.push({ rule: 'pure', message: `${ws.rel(f)} imports ${i.spec}, reached from ${pkg.name} ${exp} (must run without Node)` });
      }
      for (const g of globals) out.push({ rule: 'pure', message: `${ws.rel(f)} uses the Node global ${g}, reached from ${pkg.name} ${exp} (must run without Node)` });
    }
  }
}

function checkLayers(ws: Workspace, out: Violation[]): void {
  for (const short of CORE_PACKAGES) {
    const pkg = ws.byShort(short);
    if (pkg === undefined) continue;
    for (const f of pkg.files) {
      for (const i of ws.scan(f).imports) {
        const w = ws.resolveWorkspace(i.spec);
        if (w === undefined) continue;
        const outer = w.pkg.dir.startsWith('apps/') || OUTER_PACKAGES.includes(w.pkg.short);
        if (!outer) continue;
        if (short === 'client' && w.pkg.short === 'api' && i.typeOnly) continue; // the routers' types
        out.push({ rule: 'layer', message: `${ws.rel(f)} imports ${i.spec}${i.typeOnly ? ' (type only)' : ''}: the core package ${pkg.name} must not depend on ${w.pkg.name}` });
      }
    }
  }
}

function checkDeclarations(ws: Workspace, out: Violation[]): void {
  for (const pkg of ws.packages) {
    const deps = pkg.json.dependencies ?? {};
    const devDeps = pkg.json.devDependencies ?? {};
    const used = new Map<string, boolean>(); // name → needed at run time by a non-test module
    // An app is bundled (its build inlines the workspace packages), so they may be devDependencies.
    const bundled = pkg.dir.startsWith('apps/');
    for (const f of pkg.files) {
      for (const i of ws.scan(f).imports) {
        if (i.spec.startsWith('.')) {
          const target = ws.resolveRelative(f, i.spec);
          if (ws.owner(target) !== pkg) out.push({ rule: 'exports', message: `${ws.rel(f)} imports ${i.spec}: a relative import may not leave ${pkg.dir}` });
          continue;
        }
        const w = ws.resolveWorkspace(i.spec);
        if (w === undefined || w.pkg === pkg) continue;
        if (w.file === undefined) out.push({ rule: 'exports', message: `${ws.rel(f)} imports ${i.spec}, which ${w.pkg.name} does not export` });
        const runtime = !i.typeOnly && !isTest(f);
        used.set(w.pkg.name, (used.get(w.pkg.name) ?? false) || runtime);
        if (runtime && !(w.pkg.name in deps) && !(bundled && w.pkg.name in devDeps)) {
          out.push({ rule: 'declared', message: `${ws.rel(f)} loads ${w.pkg.name} at run time, but ${pkg.dir}/package.json does not list it under dependencies` });
        } else if (!runtime && !(w.pkg.name in deps) && !(w.pkg.name in devDeps)) {
          out.push({ rule: 'declared', message: `${ws.rel(f)} imports ${w.pkg.name}, which ${pkg.dir}/package.json does not declare` });
        }
      }
    }
    for (const name of [...Object.keys(deps), ...Object.keys(devDeps)]) {
      const dep = ws.byName(name);
      if (dep === undefined) continue;
      // A package with a `bin` is a program its dependents run (e.g. a benchmark timing the CLI), not import.
      if (!used.has(name) && dep.json.bin === undefined) out.push({ rule: 'declared', message: `${pkg.dir}/package.json declares ${name}, which nothing in ${pkg.dir} imports` });
      if (name in deps && CORE_PACKAGES.includes(pkg.short) && pkg.dir.startsWith('packages/') && (OUTER_PACKAGES.includes(dep.short) || dep.dir.startsWith('apps/'))) {
        out.push({ rule: 'layer', message: `${pkg.dir}/package.json lists ${name} under dependencies: the core package ${pkg.name} must not load it (types only, as a devDependency)` });
      }
    }
  }
}

/** Strongly connected components (Tarjan) of a graph given as adjacency lists. */
export function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const strong = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(comp.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) strong(v);
  return out;
}

function checkCycles(ws: Workspace, out: Violation[]): void {
  for (const pkg of ws.packages) {
    const graph = new Map<string, string[]>();
    for (const f of pkg.files) {
      const targets = ws.scan(f).imports.filter((i) => i.spec.startsWith('.')).map((i) => ws.rel(ws.resolveRelative(f, i.spec)));
      graph.set(ws.rel(f), targets);
    }
    for (const c of cycles(graph)) out.push({ rule: 'cycle', message: `import cycle in ${pkg.dir}: ${c.join(' → ')}` });
  }
}

/** Checks every rule over the workspace at `root`; an empty list means the house is in order. */
export function checkArchitecture(root: string): Violation[] {
  const ws = new Workspace(root);
  const out: Violation[] = [];
  checkPure(ws, out);
  checkLayers(ws, out);
  checkDeclarations(ws, out);
  checkCycles(ws, out);
  return out;
}
