/**
 * What `courier-gw start` loads whatever the config: the modules reached from the CLI
 * entry and from the start command's module by static imports only, as the compiler emits
 * them (each source transpiled, so imports used only as types are gone). Dynamic
 * `import()`s are not followed: they load when their command, config or first message
 * needs them. Read from the .ts sources, so it needs no build.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../core/package.js';

interface Emitted {
  /** static `import` / `export ... from` specifiers of the emitted JavaScript */
  statics: string[];
  /** `import('...')` specifiers written as string literals */
  dynamics: string[];
}

const emitted = new Map<string, Emitted>();

function importsOf(file: string): Emitted {
  const known = emitted.get(file);
  if (known) return known;
  const source = readFileSync(path.join(packageRoot, file), 'utf8');
  const js = ts.transpileModule(source, { fileName: file, compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } }).outputText;
  const sf = ts.createSourceFile(`${file}.js`, js, ts.ScriptTarget.ES2022, true);
  const found: Emitted = { statics: [], dynamics: [] };
  for (const st of sf.statements) {
    if ((ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier)) {
      found.statics.push(st.moduleSpecifier.text);
    }
  }
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      found.dynamics.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  emitted.set(file, found);
  return found;
}

const resolveFrom = (file: string, spec: string): string => path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.js$/, '.ts');
const packageOf = (spec: string): string => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);

/** the project files and the packages reached from `roots` by static imports, with the file that first imports each */
export function staticGraph(roots: string[]): { files: Map<string, string | null>; packages: Map<string, string> } {
  const files = new Map<string, string | null>();
  const packages = new Map<string, string>();
  const queue: [string, string | null][] = roots.map((r) => [r, null]);
  while (queue.length > 0) {
    const [file, from] = queue.shift()!;
    if (files.has(file)) continue;
    files.set(file, from);
    for (const spec of importsOf(file).statics) {
      if (spec.startsWith('.')) queue.push([resolveFrom(file, spec), file]);
      else if (!spec.startsWith('node:') && !packages.has(packageOf(spec))) packages.set(packageOf(spec), file);
    }
  }
  return { files, packages };
}

/** `a.ts <- b.ts <- ...`: how a file or package came into the graph */
function chain(graph: ReturnType<typeof staticGraph>, start: string | undefined): string {
  const out: string[] = [];
  for (let f: string | null | undefined = start; f; f = graph.files.get(f)) out.push(f);
  return out.join(' <- ');
}

const entry = 'cli/courier-gw.ts';
const startModule = 'cli/start.ts';

/** the project's modules and packages `start` must not load up front */
const imageDecoder = ['devices/scanner/image.ts', 'devices/scanner/image-worker.ts', 'devices/scanner/image-decoder.ts'];
const lazyPackages = ['@zxing/library', 'jpeg-js', 'pngjs', 'mqtt', 'yaml', 'ws', 'pino-pretty', '@abandonware/noble', 'node-hid', 'serialport'];

function unwanted(graph: ReturnType<typeof staticGraph>): string[] {
  const files = [...graph.files.keys()].filter((f) => f.startsWith('simulators/') || imageDecoder.includes(f)).map((f) => chain(graph, f));
  const packages = lazyPackages.filter((p) => graph.packages.has(p)).map((p) => `${p} <- ${chain(graph, graph.packages.get(p))}`);
  return [...files, ...packages];
}

describe("courier-gw start's import graph", () => {
  it('the CLI entry loads the start command only when it runs', () => {
    expect(importsOf(entry).dynamics).toContain('./start.js');
    expect(importsOf(entry).statics.map((s) => (s.startsWith('.') ? resolveFrom(entry, s) : s))).not.toContain(startModule);
  });

  it('the CLI entry alone (--help, --version, hash-password) loads commander and nothing of the runtime', () => {
    const graph = staticGraph([entry]);
    expect([...graph.packages.keys()]).toEqual(['commander']);
    // output.ts: usage errors, --json or words, --help examples (node built-ins only)
    expect([...graph.files.keys()].sort()).toEqual(['cli/courier-gw.ts', 'cli/output.ts', 'gateway/version.ts']);
  });

  it('start reaches the whole runtime by static imports', () => {
    const graph = staticGraph([entry, startModule]);
    for (const f of ['gateway/assemble.ts', 'gateway/runtime.ts', 'gateway/broker.ts', 'gateway/image-component.ts', 'gateway/sync-component.ts', 'cloud-sync/journal/journal.ts']) {
      expect(graph.files.has(f), f).toBe(true);
    }
    expect([...graph.packages.keys()]).toEqual(expect.arrayContaining(['aedes', 'pino', 'prom-client']));
  });

  it('start loads neither the simulators, nor the image decoder, nor a package only some configs use', () => {
    expect(unwanted(staticGraph([entry, startModule]))).toEqual([]);
  });

  it('catches a static path to the image decoder and to the MQTT client', () => {
    // the worker entry imports the decoder; the sync index re-exports the MQTT bridge
    const found = unwanted(staticGraph(['devices/scanner/image-worker.ts', 'cloud-sync/sync/index.ts']));
    expect(found).toContain('devices/scanner/image.ts <- devices/scanner/image-worker.ts');
    expect(found).toContain('@zxing/library <- devices/scanner/image.ts <- devices/scanner/image-worker.ts');
    expect(found).toContain('mqtt <- cloud-sync/sync/mqtt-bridge.ts <- cloud-sync/sync/index.ts');
  });

  it('drops imports used only as types, as the compiler does', () => {
    // image-component.ts names the decoder's type statically and loads the module itself with import()
    expect(importsOf('gateway/image-component.ts').statics).not.toContain('../devices/scanner/image-decoder.js');
    expect(importsOf('gateway/image-component.ts').dynamics).toContain('../devices/scanner/image-decoder.js');
  });
});
