/**
 * Receipts and labels, closed loop: a real gateway drives two simulated printers — an
 * ESC/POS receipt printer and a TSPL label printer, each once on a pseudo-terminal and once
 * on TCP (a network printer's port 9100, on loopback). A pickup recorded by the pipeline prints its receipt; a label job and
 * a reprint arrive as commands on the bus. What each printer rendered, as a PNG, goes back
 * into the gateway as a terminal's camera image, and the gateway's own image decoder reads
 * the same waybill. A paper-out is an alarm on /healthz while the job waits, and clears.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { startSimulators, type Simulators } from '../../simulators/devices/index.js';
import { authFetch, collect, DEVICE_PASSWORD, OPERATOR_PASSWORD, operatorHash, startTestGateway, testHash, type TestGateway } from '../helpers/gateway.js';
import { waitUntil } from '../helpers/device-peer.js';
import { startDispatchSim, type DispatchSim } from '../../simulators/dispatch/index.js';

const WAYBILL = 'RR123456785CN';
const LABEL_WAYBILL = 'CP987654323DE';
const HOME = { lat: 52.52, lon: 13.405 };

let dir: string;
let sims: Simulators;
let t: TestGateway;
let op: MqttClient;
let dispatch: DispatchSim;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cg-printers-'));
  sims = await startSimulators({
    kit: 'van-1',
    tickMs: 0,
    dir,
    devices: [
      { id: 'receipt-1', protocol: 'escpos', gateway: { pollMs: 200 } },
      { id: 'label-1', protocol: 'tspl', link: 'tcp', gateway: { pollMs: 200 } },
      { id: 'receipt-2', protocol: 'escpos', link: 'tcp', gateway: { pollMs: 200 } },
      { id: 'label-2', protocol: 'tspl', gateway: { pollMs: 200 } },
    ],
  });
  const tasksFile = path.join(dir, 'tasks.json');
  const now = Date.now();
  const window = { from: new Date(now - 3600_000).toISOString(), to: new Date(now + 3600_000).toISOString() };
  await writeFile(
    tasksFile,
    JSON.stringify({
      tasks: [
        { id: 'T1', kit: 'van-1', waybill: WAYBILL, customer: 'Acme', address: { text: 'Acme, Berlin', ...HOME }, window, declaredWeightGrams: 1200, service: 'standard', sequence: 1 },
        { id: 'T2', kit: 'van-1', customer: 'Globex', address: { text: '2 Hof, Berlin', ...HOME }, window, service: 'standard', sequence: 2 },
      ],
    }),
  );
  dispatch = await startDispatchSim({ token: 'printer-test' });
  const device = (id: string, kind: string, kit = 'van-1') => ({ id, kind, kit, credentials: { passwordHash: testHash() } });
  t = await startTestGateway({
    operators: [{ username: 'tech', passwordHash: operatorHash() }],
    kits: [{ id: 'van-1', courierId: 'courier-7' }],
    tasks: { file: tasksFile },
    dispatch: { transport: 'http', url: dispatch.url, token: 'printer-test' },
    devices: [device('scanner-1', 'scanner'), device('scale-1', 'scale'), device('gps-1', 'gps'), device('cam-1', 'terminal', 'branch-1'), ...sims.gatewayConfig().devices],
  });
  op = await t.connect('tech', OPERATOR_PASSWORD);
  await waitUntil(() => t.gateway.devices.list().filter((d) => d.kind === 'printer' && d.state === 'online').length === 4, 'the printer', 10_000);
});

afterAll(async () => {
  await t?.stop();
  await sims?.close();
  await dispatch?.close();
  await rm(dir, { recursive: true, force: true });
});

const describeSim = (id: string) => sims.describe(id) as { pages: number; last: { lines: string[] } | null };

/** the printer's last page as the simulator drew it, read back by the gateway's image decoder as a camera image */
async function decodeLastPrint(id: string): Promise<string> {
  const file = path.join(dir, `${id}.png`);
  expect(await sims.control(id, 'last-print', { file })).toMatchObject({ ok: true });
  const png = await readFile(file);
  const cam = await t.connect('cam-1', DEVICE_PASSWORD);
  const scans = await collect(op, 'cg/v1/devices/cam-1/events/scan');
  await cam.publishAsync('cg/v1/devices/cam-1/events/image', JSON.stringify({ png: png.toString('base64') }), { qos: 1 });
  const scan = (await scans.next(undefined, 20_000)).payload as { code: string; source: string };
  expect(scan.source).toBe('image');
  await cam.endAsync(true);
  return scan.code;
}

describe('printers, closed loop', () => {
  it('a recorded pickup prints its receipt on the pty and the TCP printer; its PNG decodes to the same waybill', async () => {
    const scanner = await t.connect('scanner-1', DEVICE_PASSWORD);
    const scale = await t.connect('scale-1', DEVICE_PASSWORD);
    const gps = await t.connect('gps-1', DEVICE_PASSWORD);
    const verdicts = await collect(scanner, 'cg/v1/kits/van-1/verdicts');
    await gps.publishAsync('cg/v1/devices/gps-1/events/position', JSON.stringify({ ...HOME, fix: '3d', speedKmh: 0, at: new Date().toISOString() }), { qos: 1 });
    await scanner.publishAsync('cg/v1/devices/scanner-1/events/scan', JSON.stringify({ code: WAYBILL, symbology: 'code128' }), { qos: 1 });
    await scale.publishAsync('cg/v1/devices/scale-1/events/weight', JSON.stringify({ grams: 1210, stable: true }), { qos: 1 });
    const recorded = (await verdicts.next((m) => (m.payload as { type?: string }).type === 'recorded')).payload as { recorded: boolean; receipt: string };
    expect(recorded.recorded).toBe(true);
    await waitUntil(() => describeSim('receipt-1').pages === 1 && describeSim('receipt-2').pages === 1, 'both receipt printers', 10_000);
    const lines = describeSim('receipt-1').last!.lines;
    expect(describeSim('receipt-2').last!.lines).toEqual(lines);
    expect(lines).toEqual(expect.arrayContaining([`Receipt ${recorded.receipt}`, `[${WAYBILL}]`, 'Weight 1.210 kg', 'Courier courier-7', 'Customer Acme', 'Task T1']));
    expect(lines.find((l) => l.startsWith('Clock '))).toMatch(/^Clock (ntp|gps|unsynced)$/);
    expect(describeSim('label-1').pages + describeSim('label-2').pages).toBe(0);
    expect(await decodeLastPrint('receipt-1')).toBe(WAYBILL);
    expect(await decodeLastPrint('receipt-2')).toBe(WAYBILL);

    // the gateway shows the same last print, to an operator only
    const http = `${t.httpUrl}/api/printers/receipt-1/last-print.png`;
    expect((await fetch(http)).status).toBe(401);
    const res = await authFetch(http);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    await Promise.all([scanner, scale, gps].map((c) => c.endAsync(true)));
  });

  it('dispatch assigns a waybill: its label prints on the pty printer, and on the TCP printer once its paper-out alarm clears; both PNGs decode to the waybill', async () => {
    expect(await sims.control('label-1', 'fault', { fault: 'paper-out' })).toMatchObject({ ok: true });
    const alarmOn = async () => ((await (await authFetch(`${t.httpUrl}/healthz`)).json()) as { alarms?: { kind: string; source: string }[] }).alarms?.some((a) => a.kind === 'printer-paper-out' && a.source === 'label-1') ?? false;
    await waitUntil(alarmOn, 'the paper-out alarm', 10_000);
    await dispatch.addDownlink({ gatewayId: 'gw-test', items: [{ id: 'label-T2', kind: 'label.assign', kit: 'van-1', taskId: 'T2', waybill: LABEL_WAYBILL }] });
    await waitUntil(() => describeSim('label-2').pages === 1, 'the pty label printer', 10_000);
    expect(describeSim('label-2').last!.lines).toEqual(expect.arrayContaining(['Globex', '2 Hof, Berlin', `[${LABEL_WAYBILL}]`]));
    expect(describeSim('label-1').pages).toBe(0);
    await sims.control('label-1', 'clear', {});
    await waitUntil(() => describeSim('label-1').pages === 1, 'the TCP label printer', 10_000);
    await waitUntil(async () => !(await alarmOn()), 'the alarm to clear', 10_000);
    expect(describeSim('label-1').last!.lines).toEqual(describeSim('label-2').last!.lines);
    expect(await decodeLastPrint('label-1')).toBe(LABEL_WAYBILL);
    expect(await decodeLastPrint('label-2')).toBe(LABEL_WAYBILL);
    expect(describeSim('receipt-1').pages + describeSim('receipt-2').pages).toBe(2);
  });

  it('a reprint over the bus prints again, counted; the same job id again prints nothing', async () => {
    const first = (t.gateway.devices.driver('receipt-1')!.describe!() as { lastPrint: { id: string } }).lastPrint.id;
    await op.publishAsync('cg/v1/devices/receipt-1/commands/reprint', JSON.stringify({}), { qos: 1 });
    await waitUntil(() => describeSim('receipt-1').pages === 2, 'the reprint', 10_000);
    expect((t.gateway.devices.driver('receipt-1')!.describe!() as { lastPrint: { id: string } }).lastPrint.id).toMatch(new RegExp(`^${first}#reprint-`));
    const again = await t.gateway.devices.command('receipt-1', 'print', { id: first, kind: 'receipt', fields: {} });
    expect(again).toMatchObject({ ok: true, duplicate: true });
    const metrics = await (await authFetch(`${t.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/cg_print_jobs\{device="receipt-1",count="reprints"\} 1/);
    expect(metrics).toMatch(/cg_print_jobs\{device="receipt-1",count="printed"\} 2/);
    expect(describeSim('receipt-1').pages).toBe(2);
  });
});
