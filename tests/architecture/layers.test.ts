/**
 * The import graph of the sources (every relative `import`, `export ... from` and
 * `import()`, type-only ones included) against the folder table of folders.ts: no import
 * the table does not allow, no cycle between folders, and docs/architecture.md shows the
 * same table. Read from the .ts sources, so it needs no build.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { folderCycles, folderRules, folderTableMarkdown, outsideFolders, violations, type ImportEdge } from './folders.js';
import { packageRoot } from '../../core/package.js';

const skipped = new Set(['node_modules', 'dist', '.git', ...outsideFolders]);

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(packageRoot, dir))) {
    const rel = dir === '' ? name : `${dir}/${name}`;
    if (dir === '' && (skipped.has(name) || name.startsWith('.'))) continue;
    const st = statSync(path.join(packageRoot, rel));
    if (st.isDirectory()) out.push(...sourceFiles(rel));
    else if (dir !== '' && name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

function importsOf(file: string): ImportEdge[] {
  const info = ts.preProcessFile(readFileSync(path.join(packageRoot, file), 'utf8'), true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => ({ from: file, to: path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.js$/, '.ts') }));
}

const files = sourceFiles('');
const edges = files.flatMap(importsOf);

describe('folders and what each may import', () => {
  it('reads the whole product', () => {
    const folders = new Set(files.map((f) => f.split('/')[0]));
    for (const r of folderRules) expect(folders.has(r.folder), r.folder).toBe(true);
    expect(edges.length).toBeGreaterThan(500);
  });

  it('has no import the table does not allow', () => {
    expect(violations(edges)).toEqual([]);
  });

  it('has no cycle between folders', () => {
    expect(folderCycles(edges)).toEqual([]);
  });

  it('lets no product file import tests or benchmarks', () => {
    expect(edges.filter((e) => (outsideFolders as readonly string[]).includes(e.to.split('/')[0]))).toEqual([]);
  });

  it('is the table docs/architecture.md shows', () => {
    const page = readFileSync(path.join(packageRoot, 'docs', 'architecture.md'), 'utf8');
    expect(page).toContain(folderTableMarkdown());
  });

  it('type-checks and builds every folder of the table', () => {
    const includes = (file: string): string[] => (JSON.parse(readFileSync(path.join(packageRoot, file), 'utf8')) as { include: string[] }).include;
    for (const file of ['tsconfig.json', 'tsconfig.build.json']) {
      expect(includes(file), file).toEqual(expect.arrayContaining(folderRules.map((r) => r.folder)));
    }
  });

  it('catches an upward import and a cycle', () => {
    const bad: ImportEdge[] = [
      { from: 'simulators/runner.ts', to: 'gateway/config.ts' },
      { from: 'gateway/cli.ts', to: 'simulators/cli.ts' },
      { from: 'core/geo.ts', to: 'devices/gps/filter.ts' },
      { from: 'simulators/dispatch/store.ts', to: 'cloud-sync/journal/records.ts' },
      { from: 'simulators/dispatch/store.ts', to: 'cloud-sync/journal/journal.ts' },
    ];
    expect(violations(bad)).toEqual([
      'simulators/runner.ts imports gateway/config.ts: simulators/ may import core, devices, firmware-stubs, cloud-sync/journal/records.ts, report',
      'gateway/cli.ts imports simulators/cli.ts: gateway/ may import core, devices, rules, cloud-sync, eta, clock, telemetry, report',
      'core/geo.ts imports devices/gps/filter.ts: core/ may import nothing of the project',
      'simulators/dispatch/store.ts imports cloud-sync/journal/journal.ts: simulators/ may import core, devices, firmware-stubs, cloud-sync/journal/records.ts, report',
    ]);
    expect(folderCycles(bad)).toEqual(['gateway -> simulators -> gateway']);
  });

  it('the table itself allows no cycle', () => {
    const allowed = folderRules.flatMap((r) => r.mayImport.filter((m) => m !== '*').map((m) => ({ from: `${r.folder}/x.ts`, to: m.includes('/') ? m : `${m}/x.ts` })));
    expect(folderCycles(allowed)).toEqual([]);
  });
});
