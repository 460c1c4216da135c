import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordEnvelope } from '../../../cloud-sync/journal/records.js';
import { openJournal, pickup, tempDir } from './helpers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
let work: { dir: string; cleanup: () => Promise<void> };
let childJs: string;

/** the child runs as plain node: the journal and the child are transpiled into a scratch tree */
async function buildChild(out: string): Promise<string> {
  const sources = [
    ...(await readdir(join(root, 'cloud-sync/journal'))).filter((f) => f.endsWith('.ts')).map((f) => `cloud-sync/journal/${f}`),
    'cloud-sync/outbox.ts',
    'rules/records.ts',
    ...(await readdir(join(root, 'core'))).filter((f) => f.endsWith('.ts')).map((f) => `core/${f}`),
    'tests/cloud-sync/journal/crash-child.ts',
  ];
  for (const src of sources) {
    const { outputText } = ts.transpileModule(await readFile(join(root, src), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    const dest = join(out, src.replace(/\.ts$/, '.js'));
    await mkdir(dirname(dest), { recursive: true });
    await writeFile(dest, outputText);
  }
  await writeFile(join(out, 'package.json'), '{"type":"module"}');
  await symlink(join(root, 'node_modules'), join(out, 'node_modules'));
  return join(out, 'tests/cloud-sync/journal/crash-child.js');
}

interface Reported {
  id: string;
  stream: string;
  seq: number;
  waybill: string;
}

/** starts the child, kills it with SIGKILL after `after` reported appends; the reports */
function runAndKill(journalDir: string, after: number): Promise<Reported[]> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [childJs, journalDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const reported: Reported[] = [];
    let partial = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const [id, stream, seq, waybill] = line.split(' ');
        reported.push({ id, stream, seq: Number(seq), waybill });
      }
      if (reported.length >= after && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolvePromise(reported);
      else reject(new Error(`child exited with ${code}: ${stderr}`));
    });
  });
}

beforeAll(async () => {
  work = await tempDir();
  childJs = await buildChild(join(work.dir, 'build'));
});
afterAll(async () => work.cleanup());

describe('Journal crash', () => {
  it('keeps every record whose append resolved before SIGKILL, intact, with seq gapless per stream', async () => {
    const journalDir = join(work.dir, 'journal');
    const first = await runAndKill(journalDir, 1500);
    const second = await runAndKill(journalDir, 1500);
    const j = await openJournal(journalDir);
    const kept = await j.next(1_000_000, 1e12);
    const byId = new Map<string, RecordEnvelope>(kept.map((r) => [r.id, r]));
    for (const r of [...first, ...second]) {
      const env = byId.get(r.id);
      expect(env, `record ${r.id} reported durable`).toBeDefined();
      expect(env).toMatchObject({ stream: r.stream, seq: r.seq, body: { waybill: r.waybill }, gatewayId: 'gw-crash' });
    }
    const seqs = new Map<string, number[]>();
    for (const r of kept) seqs.set(r.stream, [...(seqs.get(r.stream) ?? []), r.seq]);
    for (const [, list] of seqs) expect(list).toEqual(Array.from({ length: list.length }, (_, i) => i + 1));
    expect(new Set(kept.map((r) => r.bootId)).size).toBe(2);
    const after = await j.append(pickup('kit-0', 'after'));
    expect(after.seq).toBe((seqs.get('kit-0')?.length ?? 0) + 1);
    await j.close();
  });
});
