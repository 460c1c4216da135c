/**
 * Disk full: the gateway's data folder on a small filesystem (an 8 MiB tmpfs; where mount
 * is not permitted, the journal's fs seam injects ENOSPC instead, and the test name says
 * which ran). With the filesystem filled, a pickup is answered `recorded: false` with
 * reason DISK_FULL and an alarm is raised; once space returns the same parcel is
 * recorded; and nothing written before is damaged (the journal reopens with every
 * pickup that was answered `recorded: true` and nothing quarantined).
 */
import { execFileSync } from 'node:child_process';
import { open, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { Journal, nodeFs, type JournalFs } from '../../cloud-sync/journal/index.js';
import { RecordRefusedError } from '../../rules/records.js';
import { authFetch, collect, DEVICE_PASSWORD, metricValue, startTestGateway, testHash, type TestGateway } from '../helpers/gateway.js';
import { MB } from './harness.js';
import { s10 } from '../../simulators/waybills.js';

const HOME = { lat: 52.5219, lon: 13.4132 };
const silent = pino({ level: 'silent' });

function tryMount(dir: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let base: string;
let mountDir: string;
const mounted = await (async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'cg-rel-diskfull-'));
  mountDir = path.join(base, 'small');
  await (await import('node:fs/promises')).mkdir(mountDir);
  return tryMount(mountDir);
})();

afterAll(async () => {
  if (mounted) {
    try {
      execFileSync('umount', [mountDir], { stdio: 'ignore' });
    } catch {
      execFileSync('umount', ['-l', mountDir], { stdio: 'ignore' });
    }
  }
  await rm(base, { recursive: true, force: true });
});

/** Writes a filler file until the filesystem refuses even one more byte; its size. */
async function fill(file: string): Promise<number> {
  const handle = await open(file, 'w');
  let size = 0;
  try {
    for (const chunk of [MB, 64 * 1024, 4096, 512, 64, 1]) {
      const buf = Buffer.alloc(chunk, 0x55);
      for (;;) {
        try {
          const { bytesWritten } = await handle.write(buf, 0, chunk, null);
          size += bytesWritten;
          if (bytesWritten < chunk) break;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw err;
        }
      }
    }
  } finally {
    await handle.close();
  }
  return size;
}

if (mounted) describe('disk full on an 8 MiB tmpfs (mount -t tmpfs -o size=8m)', () => {
  let t: TestGateway;
  let scanner: MqttClient;
  let scale: MqttClient;
  let verdicts: Awaited<ReturnType<typeof collect>>;
  const heard: string[] = [];
  let refused: { recorded?: boolean; reason?: string; message?: string } | undefined;
  let refusedCode = '';
  let n = 0;

  type V = { type?: string; verdictId?: string; outcome?: string; recorded?: boolean; recordId?: string; reason?: string; message?: string; scan?: { code: string } };
  const p = (m: { payload: unknown }) => m.payload as V;

  /** scan + weigh one parcel; the kit's `recorded` answer */
  async function pickup(code: string): Promise<V> {
    const from = verdicts.messages.length;
    await scale.publishAsync('cg/v1/devices/scale-1/events/weight', JSON.stringify({ grams: 0, stable: true }), { qos: 1 });
    await scanner.publishAsync('cg/v1/devices/scanner-1/events/scan', JSON.stringify({ code }), { qos: 1 });
    await scale.publishAsync('cg/v1/devices/scale-1/events/weight', JSON.stringify({ grams: 1000 + (n++ % 50), stable: true }), { qos: 1 });
    const v = p(await verdicts.next((m) => verdicts.messages.indexOf(m) >= from && p(m).type === 'verdict' && p(m).scan?.code === code));
    expect(v.outcome).toBe('accepted');
    const r = p(await verdicts.next((m) => p(m).type === 'recorded' && p(m).verdictId === v.verdictId));
    if (r.recorded && r.recordId) heard.push(r.recordId);
    return r;
  }

  beforeAll(async () => {
    const now = Date.now();
    const tasksFile = path.join(base, 'tasks.json');
    const tasks = Array.from({ length: 20 }, (_, i) => ({
      id: `T${i}`, kit: 'van-1', waybill: s10(1000 + i, 'RB'), customer: 'Acme', address: { text: 'Berlin', ...HOME },
      window: { from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 3_600_000).toISOString() }, service: 'standard', sequence: i,
    }));
    await writeFile(tasksFile, JSON.stringify({ tasks }));
    const device = (id: string, kind: string) => ({ id, kind, kit: 'van-1', credentials: { passwordHash: testHash() } });
    t = await startTestGateway({ tasks: { file: tasksFile }, devices: [device('scanner-1', 'scanner'), device('scale-1', 'scale'), device('gps-1', 'gps')] }, { dataDir: path.join(mountDir, 'data'), log: silent });
    scanner = await t.connect('scanner-1', DEVICE_PASSWORD);
    scale = await t.connect('scale-1', DEVICE_PASSWORD);
    const gps = await t.connect('gps-1', DEVICE_PASSWORD);
    verdicts = await collect(scanner, 'cg/v1/kits/van-1/verdicts');
    await gps.publishAsync('cg/v1/devices/gps-1/events/position', JSON.stringify({ ...HOME, fix: '3d', at: new Date().toISOString() }), { qos: 1 });
  });

  afterAll(async () => {
    await t?.stop();
  });

  it('records pickups while there is room', async () => {
    for (let i = 0; i < 3; i++) expect(await pickup(s10(1000 + i, 'RB'))).toMatchObject({ recorded: true });
  });

  it('answers a pickup on the full filesystem recorded: false with reason DISK_FULL', async () => {
    const filled = await fill(path.join(mountDir, 'filler'));
    expect(filled).toBeGreaterThan(4 * MB);
    // a record may still fit in the page slack of the open segment: go on until one does not
    for (let i = 3; i < 12 && !refused; i++) {
      const code = s10(1000 + i, 'RB');
      const r = await pickup(code);
      if (r.recorded === false) {
        refused = r;
        refusedCode = code;
      }
    }
    expect(refused, 'a pickup refused within 9 attempts on the full filesystem').toBeDefined();
    expect(refused, `refusal message: ${refused?.message}`).toMatchObject({ recorded: false, reason: 'DISK_FULL' });
  });

  it('raises an alarm (healthz alarms, cg_alarms_active, cg_journal_write_errors)', async () => {
    const health = (await (await authFetch(`${t.httpUrl}/healthz`)).json()) as { alarms?: { kind: string }[] };
    expect(health.alarms?.map((a) => a.kind)).toContain('journal-io');
    expect(await metricValue(t.httpUrl, 'cg_alarms_active')).toBeGreaterThanOrEqual(1);
    expect(await metricValue(t.httpUrl, 'cg_journal_write_errors')).toBeGreaterThanOrEqual(1);
  });

  it('records the same parcel once space returns', async () => {
    expect(refusedCode).not.toBe('');
    await rm(path.join(mountDir, 'filler'));
    expect(await pickup(refusedCode)).toMatchObject({ recorded: true });
    expect(await pickup(s10(1015, 'RB'))).toMatchObject({ recorded: true });
  });

  it('left nothing corrupt: the journal reopens with every recorded pickup and nothing quarantined', async () => {
    await t.stop();
    const journal = await Journal.open({ dir: path.join(mountDir, 'data', 'journal'), gatewayId: 'gw-test', clock: () => 'ntp', bootId: 'check', log: silent });
    try {
      expect(journal.recovery.quarantined).toEqual([]);
      const kept = (await journal.next(10_000, 1e9)).filter((r) => r.kind === 'pickup.completed');
      expect(kept.map((r) => r.id).sort()).toEqual([...heard].sort());
      const seqs = kept.map((r) => r.seq);
      expect(seqs).toEqual(Array.from({ length: kept.length }, (_, i) => i + 1));
    } finally {
      await journal.close();
    }
  });
});

/** Used only where mount is not permitted: ENOSPC injected at the journal's fs seam. */
if (!mounted) describe('disk full through the journal fs seam (mount not permitted here: injected ENOSPC)', () => {
  it('refuses with DISK_FULL, raises an io alarm, keeps what was written, and appends again after', async () => {
    let full = false;
    const fs: JournalFs = {
      ...nodeFs,
      async open(file, flags) {
        const f = await nodeFs.open(file, flags);
        return {
          ...f,
          read: f.read.bind(f),
          datasync: f.datasync.bind(f),
          truncate: f.truncate.bind(f),
          size: f.size.bind(f),
          close: f.close.bind(f),
          write: (buf, offset, length, position) => (full ? Promise.reject(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })) : f.write(buf, offset, length, position)),
        };
      },
    };
    const dir = path.join(base, 'journal');
    const journal = await Journal.open({ dir, gatewayId: 'gw', clock: () => 'ntp', bootId: 'b', log: silent, fs });
    const alarms: { kind: string }[] = [];
    journal.on('alarm', (a: { kind: string }) => alarms.push(a));
    const first = await journal.append({ kind: 'pickup.completed', stream: 'van-1', body: { waybill: 'A' } });
    full = true;
    const err = await journal.append({ kind: 'pickup.completed', stream: 'van-1', body: { waybill: 'B' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RecordRefusedError);
    expect((err as RecordRefusedError).reason).toBe('DISK_FULL');
    expect(alarms.map((a) => a.kind)).toContain('io');
    expect(journal.metrics().writeErrors).toBe(1);
    full = false;
    const again = await journal.append({ kind: 'pickup.completed', stream: 'van-1', body: { waybill: 'B' } });
    expect(again.seq).toBe(2);
    await journal.close();
    const reopened = await Journal.open({ dir, gatewayId: 'gw', clock: () => 'ntp', bootId: 'c', log: silent });
    expect(reopened.recovery.quarantined).toEqual([]);
    expect((await reopened.next(10, 1e6)).map((r) => r.id)).toEqual([first.id, again.id]);
    await reopened.close();
  });
});
