/**
 * The compiled `courier-gw start` as `npm run build` leaves it: dist/cli/start.js bundled
 * with what it imports (packaging/bundle-start.mjs). Read from the bundler's metafile
 * (dist/cli/start.meta.json): the outputs a start loads whatever the config (the entry and
 * what it imports by import statements or require calls, not by import()) hold neither the
 * simulators, nor the image decoder, nor a package only some configs use, and the CLI
 * entry loads the start module only when it runs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/process.js';

interface MetaOutput {
  imports: { path: string; kind: string; external?: boolean }[];
  inputs: Record<string, unknown>;
  entryPoint?: string;
}
const meta = JSON.parse(readFileSync(path.join(repoRoot, 'dist/cli/start.meta.json'), 'utf8')) as { outputs: Record<string, MetaOutput> };
const entry = 'dist/cli/start.js';

/** the outputs reached from `from` without import(), and what they load from outside the bundle */
function loadedUpFront(from: string): { outputs: string[]; external: string[] } {
  const outputs: string[] = [];
  const external = new Set<string>();
  const queue = [from];
  while (queue.length > 0) {
    const out = queue.shift()!;
    if (outputs.includes(out)) continue;
    outputs.push(out);
    for (const imp of meta.outputs[out]?.imports ?? []) {
      if (imp.kind === 'dynamic-import') continue;
      if (imp.external) external.add(imp.path);
      else queue.push(imp.path);
    }
  }
  return { outputs, external: [...external] };
}

const lazyPackages = ['@zxing/library', 'jpeg-js', 'pngjs', 'mqtt', 'yaml', 'ws', 'pino-pretty', '@abandonware/noble', 'node-hid', 'serialport', 'bwip-js', 'nats', 'typescript'];
const packageOf = (file: string): string | undefined => {
  const m = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file);
  return m?.[1];
};
/** an input or external import that a start must not load up front */
function unwanted(file: string): boolean {
  const rel = file.replace(/^(\.\.\/)+/, '');
  if (/^dist\/simulators\//.test(rel) || /(^|\/)simulators\//.test(rel)) return true;
  if (/devices\/scanner\/image(-worker|-decoder)?\.js$/.test(rel)) return true;
  const pkg = packageOf(file) ?? (file.startsWith('.') || file.startsWith('node:') ? undefined : file.split('/').slice(0, file.startsWith('@') ? 2 : 1).join('/'));
  return pkg !== undefined && lazyPackages.includes(pkg);
}

describe('the compiled start bundle', () => {
  const upFront = loadedUpFront(entry);
  const inputs = upFront.outputs.flatMap((o) => Object.keys(meta.outputs[o]!.inputs));

  it('is the bundle of cli/start.js with the runtime in it', () => {
    expect(meta.outputs[entry]?.entryPoint).toBe('dist/cli/start.js');
    for (const f of ['dist/gateway/assemble.js', 'dist/gateway/runtime.js', 'dist/gateway/broker.js', 'dist/cloud-sync/journal/journal.js']) expect(inputs).toContain(f);
    expect(inputs.some((f) => packageOf(f) === 'aedes')).toBe(true);
  });

  it('loads neither the simulators, nor the image decoder, nor a package only some configs use, up front', () => {
    expect([...inputs, ...upFront.external].filter(unwanted)).toEqual([]);
  });

  it('would see them: the MQTT bridge and the image decoder are reached through import()', () => {
    const all = Object.entries(meta.outputs).filter(([o]) => o.endsWith('.js'));
    const lazyInputs = all.filter(([o]) => !upFront.outputs.includes(o)).flatMap(([, m]) => Object.keys(m.inputs));
    expect(lazyInputs.some((f) => packageOf(f) === 'mqtt')).toBe(true);
    const dynamicExternal = all.flatMap(([, m]) => m.imports.filter((i) => i.kind === 'dynamic-import' && i.external).map((i) => i.path));
    expect(dynamicExternal.filter(unwanted)).toContain('../devices/scanner/image-decoder.js');
  });

  it('is loaded by the CLI entry only when start runs', () => {
    const js = readFileSync(path.join(repoRoot, 'dist/cli/courier-gw.js'), 'utf8');
    const sf = ts.createSourceFile('courier-gw.js', js, ts.ScriptTarget.ES2022, true);
    const statics = sf.statements.filter(ts.isImportDeclaration).map((st) => (st.moduleSpecifier as ts.StringLiteral).text);
    expect(statics).not.toContain('./start.js');
    expect(js).toContain("import('./start.js')");
  });
});
