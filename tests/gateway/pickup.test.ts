/**
 * The weigh-and-scan pickup end to end through the assembled gateway: MQTT-native scanner,
 * scale and GPS, the shipped rule set, the disk journal.
 */
import { writeFile, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { collect, DEVICE_PASSWORD, metricValue, startTestGateway, testHash, type TestGateway } from '../helpers/gateway.js';

let t: TestGateway | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

const HOME = { lat: 52.52, lon: 13.405 };

async function start(extra: Record<string, unknown> = {}): Promise<TestGateway> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cg-pickup-'));
  const tasksFile = path.join(dir, 'tasks.json');
  const now = Date.now();
  await writeFile(
    tasksFile,
    JSON.stringify({
      tasks: [
        {
          id: 'T1',
          kit: 'van-1',
          waybill: 'RR123456785CN',
          customer: 'Acme',
          address: { text: 'Acme, Berlin', ...HOME },
          window: { from: new Date(now - 3600_000).toISOString(), to: new Date(now + 3600_000).toISOString() },
          declaredWeightGrams: 1200,
          service: 'standard',
          sequence: 1,
        },
      ],
    }),
  );
  const device = (id: string, kind: string) => ({ id, kind, kit: 'van-1', credentials: { passwordHash: testHash() } });
  t = await startTestGateway({ tasks: { file: tasksFile }, devices: [device('scanner-1', 'scanner'), device('scale-1', 'scale'), device('gps-1', 'gps')], ...extra });
  return t;
}

interface Kit {
  scanner: MqttClient;
  scale: MqttClient;
  verdicts: Awaited<ReturnType<typeof collect>>;
}

async function kit(g: TestGateway): Promise<Kit> {
  const scanner = await g.connect('scanner-1', DEVICE_PASSWORD);
  const scale = await g.connect('scale-1', DEVICE_PASSWORD);
  const gps = await g.connect('gps-1', DEVICE_PASSWORD);
  const verdicts = await collect(scanner, 'cg/v1/kits/van-1/verdicts');
  await gps.publishAsync('cg/v1/devices/gps-1/events/position', JSON.stringify({ ...HOME, fix: '3d', speedKmh: 0, at: new Date().toISOString() }), { qos: 1 });
  return { scanner, scale, verdicts };
}

async function pair(k: Kit, code: string, grams: number, stable = true): Promise<void> {
  await k.scanner.publishAsync('cg/v1/devices/scanner-1/events/scan', JSON.stringify({ code, symbology: 'code128' }), { qos: 1 });
  await k.scale.publishAsync('cg/v1/devices/scale-1/events/weight', JSON.stringify({ grams, stable }), { qos: 1 });
}

type V = { type?: string; outcome?: string; verdictId?: string; recorded?: boolean; reasons?: { code: string }[]; waybill?: { value: string }; receipt?: string };
const payload = (m: { payload: unknown }) => m.payload as V;

describe('pickup through the gateway', () => {
  it('accepts a matching parcel, records it, then says recorded: true', async () => {
    const g = await start();
    const k = await kit(g);
    await pair(k, 'RR123456785CN', 1210);
    const v = payload(await k.verdicts.next((m) => payload(m).type === 'verdict'));
    expect(v.outcome).toBe('accepted');
    expect(v.waybill?.value).toBe('RR123456785CN');
    const r = payload(await k.verdicts.next((m) => payload(m).type === 'recorded'));
    expect(r).toMatchObject({ verdictId: v.verdictId, recorded: true });
    expect(r.receipt).toMatch(/^[0-9A-Z-]+$/);
    const records = await g.gateway.component('journal')!.status!();
    expect(records).toMatchObject({ depth: { records: 1 } });
    expect(await metricValue(g.httpUrl, 'cg_verdicts_total', { outcome: 'accepted' })).toBe(1);
    expect(await metricValue(g.httpUrl, 'cg_scan_to_verdict_seconds_count')).toBe(1);
  });

  it('rejects a bad check digit, reviews a weight mismatch, rejects a duplicate, ignores an unstable weight', async () => {
    const g = await start();
    const k = await kit(g);
    await pair(k, 'RR123456784CN', 1210);
    const bad = payload(await k.verdicts.next((m) => payload(m).type === 'verdict'));
    expect(bad.outcome).toBe('rejected');
    expect(bad.reasons?.map((r) => r.code)).toContain('WAYBILL_INVALID');

    await pair(k, 'RR123456785CN', 1800);
    const heavy = payload(await k.verdicts.next((m) => payload(m).type === 'verdict' && payload(m).waybill?.value === 'RR123456785CN'));
    expect(heavy.outcome).toBe('needs-review');
    expect(heavy.reasons?.map((r) => r.code)).toContain('WEIGHT_MISMATCH');
    // the courier confirms: it is recorded
    await k.scanner.publishAsync('cg/v1/devices/scanner-1/events/confirm', JSON.stringify({ verdictId: heavy.verdictId }), { qos: 1 });
    await k.verdicts.next((m) => payload(m).type === 'recorded' && payload(m).verdictId === heavy.verdictId && payload(m).recorded === true);

    const before = k.verdicts.messages.length;
    await pair(k, 'RR123456785CN', 1210);
    const dup = payload(await k.verdicts.next((m) => k.verdicts.messages.indexOf(m) >= before && payload(m).type === 'verdict'));
    expect(dup.outcome).toBe('rejected');
    expect(dup.reasons?.map((r) => r.code)).toContain('DUPLICATE_PICKUP');

    const count = k.verdicts.messages.length;
    await k.scale.publishAsync('cg/v1/devices/scale-1/events/weight', JSON.stringify({ grams: 500, stable: false }), { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    expect(k.verdicts.messages.length).toBe(count);
  });

  it('turns an exception into a recorded pickup.exception', async () => {
    const g = await start();
    const k = await kit(g);
    await k.scanner.publishAsync('cg/v1/devices/scanner-1/events/exception', JSON.stringify({ taskId: 'T1', reason: 'customer-absent' }), { qos: 1 });
    const e = payload(await k.verdicts.next((m) => payload(m).type === 'exception'));
    expect(e).toMatchObject({ recorded: true });
  });
});
