/**
 * What every benchmark shares: timing, percentiles, alternating A/B runs, the result table
 * and bench/results/latest.json.
 */
import os from 'node:os';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDir = path.dirname(fileURLToPath(import.meta.url)).replace(`${path.sep}dist${path.sep}bench`, `${path.sep}bench`);
export const resultsFile = path.join(benchDir, 'results', 'latest.json');

export interface BenchContext {
  quick: boolean;
  log(line: string): void;
}

export interface BenchRow {
  bench: string;
  metric: string;
  value: number;
  unit: string;
  goal?: string;
  met?: boolean;
}

export interface BenchResult {
  rows: BenchRow[];
  /** merged into latest.json under the bench's key */
  json: Record<string, unknown>;
}

export interface Bench {
  name: string;
  key: string;
  run(ctx: BenchContext): Promise<BenchResult>;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Runs two sides alternately `rounds` times and returns each side's per-round results. */
export async function alternate<T>(rounds: number, a: () => Promise<T>, b: () => Promise<T>): Promise<{ a: T[]; b: T[] }> {
  const out = { a: [] as T[], b: [] as T[] };
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      out.a.push(await a());
      out.b.push(await b());
    } else {
      out.b.push(await b());
      out.a.push(await a());
    }
  }
  return out;
}

export function median(values: number[]): number {
  const s = [...values].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export function formatTable(rows: BenchRow[]): string {
  const header = ['bench', 'metric', 'value', 'unit', 'goal', 'met'];
  const lines = rows.map((r) => [r.bench, r.metric, String(r.value), r.unit, r.goal ?? '', r.met === undefined ? '' : r.met ? 'yes' : 'NO']);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [fmt(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(fmt)].join('\n');
}

export async function writeResults(results: Record<string, unknown>, rows: BenchRow[]): Promise<void> {
  await mkdir(path.dirname(resultsFile), { recursive: true });
  let previous: Record<string, unknown> = {};
  try {
    previous = JSON.parse(await readFile(resultsFile, 'utf8')) as Record<string, unknown>;
  } catch {
    previous = {};
  }
  // a key this run wrote part of keeps the parts it did not write
  const merged: Record<string, unknown> = { ...previous };
  for (const [k, v] of Object.entries(results)) merged[k] = isPlainObject(merged[k]) && isPlainObject(v) ? { ...merged[k], ...v } : v;
  const doc = {
    ...merged,
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGiB: round(os.totalmem() / 2 ** 30, 1), platform: `${os.platform()} ${os.release()}` },
    versions: { node: process.version, gateway: '0.1.0' },
    at: new Date().toISOString(),
    // a run of some benches (--only) keeps the other benches' rows
    table: [...previousRows(previous).filter((r) => !rows.some((x) => x.bench === r.bench)), ...rows],
  };
  await writeFile(resultsFile, `${JSON.stringify(doc, null, 2)}\n`);
}

function previousRows(previous: Record<string, unknown>): BenchRow[] {
  return Array.isArray(previous.table) ? (previous.table as BenchRow[]) : [];
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Runs several sides `rounds` times, each round starting one side later than the last; returns each side's per-round results. */
export async function interleave<T>(rounds: number, sides: readonly (() => Promise<T>)[]): Promise<T[][]> {
  const out: T[][] = sides.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < sides.length; k++) {
      const i = (r + k) % sides.length;
      out[i].push(await sides[i]());
    }
  }
  return out;
}
