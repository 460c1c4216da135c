/**
 * The printer component in an assembled gateway, its printers' lines played by the printer
 * stub: a durable pickup prints one receipt with the record's fields on the kit's receipt
 * printer (not on its label printer, nor in another kit); a label.assign from dispatch
 * prints a label with the task's customer and address; the last print is a PNG for an
 * operator only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PrinterStub } from '../../firmware-stubs/printer/printer.js';
import { decodeImage } from '../../devices/scanner/image.js';
import { GatewayDownlink } from '../../gateway/downlink-handlers.js';
import { authFetch, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { waitUntil } from '../helpers/device-peer.js';
import { stubTransports } from '../devices/printer/stub-link.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { PrinterComponent } from '../../gateway/printer-component.js';
import type { ImageScan } from '../../devices/scanner/image.js';

let t: TestGateway | undefined;
let dir: string | undefined;
afterEach(async () => {
  await t?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
  t = undefined;
  dir = undefined;
});

const printer = (id: string, protocol: string, kit = 'van-1') => ({ id, kind: 'printer', kit, protocol, transport: { type: 'serial', path: `/dev/${id}` }, pollMs: 100 });

async function start(task?: Record<string, unknown>) {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cg-printer-tasks-'));
  const tasksFile = path.join(dir, 'tasks.json');
  await writeFile(tasksFile, JSON.stringify({ tasks: task ? [task] : [] }));
  const stubs = { '/dev/receipt-1': new PrinterStub('escpos'), '/dev/label-1': new PrinterStub('tspl'), '/dev/receipt-9': new PrinterStub('escpos') };
  t = await startTestGateway(
    { tasks: { file: tasksFile }, kits: [{ id: 'van-1', courierId: 'courier-7' }], devices: [printer('receipt-1', 'escpos'), printer('label-1', 'tspl'), printer('receipt-9', 'escpos', 'van-9')] },
    { transports: stubTransports(stubs) },
  );
  return { t, stubs };
}

describe('printer component', () => {
  it('prints a receipt per durable pickup on the kit receipt printer, with the record fields', async () => {
    const { t, stubs } = await start();
    const body = { receipt: '0A1-B2C3', waybill: 'RR123456785CN', taskId: 'T1', customer: 'Acme', weights: { grams: 1210 } };
    t.gateway.bus.emit('pickup-recorded', { id: 'rec-1', kit: 'van-1', createdAt: '2026-12-04T09:30:00.000Z', clock: 'ntp', body });
    t.gateway.bus.emit('pickup-recorded', { id: 'rec-1', kit: 'van-1', createdAt: '2026-12-04T09:30:00.000Z', clock: 'ntp', body });
    await waitUntil(() => stubs['/dev/receipt-1'].pages === 1, 'the receipt', 5000);
    const texts = stubs['/dev/receipt-1'].last!.page.items.flatMap((i) => (i.t === 'text' ? [i.text] : i.t === 'barcode' ? [`[${i.data}]`] : []));
    expect(texts).toEqual(['PICKUP RECEIPT', 'Receipt 0A1-B2C3', '[RR123456785CN]', 'Waybill RR123456785CN', 'Weight 1.210 kg', 'Time 2026-12-04 09:30:00Z', 'Clock ntp', 'Courier courier-7', 'Customer Acme', 'Task T1']);
    await new Promise((r) => setTimeout(r, 300));
    expect(stubs['/dev/receipt-1'].pages).toBe(1);
    expect(stubs['/dev/label-1'].pages + stubs['/dev/receipt-9'].pages).toBe(0);

    const url = `${t.httpUrl}/api/printers/receipt-1/last-print.png`;
    expect((await fetch(url)).status).toBe(401);
    const png = Buffer.from(await (await authFetch(url)).arrayBuffer());
    expect((decodeImage(png) as ImageScan).code).toBe('RR123456785CN');
    expect((await authFetch(`${t.httpUrl}/api/printers/label-1/last-print.png`)).status).toBe(404);
    expect((await authFetch(`${t.httpUrl}/api/printers/nope/last-print.png`)).status).toBe(404);
  });

  it('prints the label of a waybill dispatch assigned, with the task customer and address', async () => {
    const { t, stubs } = await start({
      id: 'T2', kit: 'van-1', customer: 'Globex', address: { text: '2 Hof, Berlin', lat: 52.5, lon: 13.4 },
      window: { from: '2026-12-04T08:00:00Z', to: '2026-12-04T18:00:00Z' }, service: 'standard', sequence: 2,
    });
    const printers = t.gateway.component('printers') as PrinterComponent;
    const downlink = new GatewayDownlink({ tasks: undefined as never, pipeline: undefined as never, lockers: undefined as never, printers, dataDir: t.dataDir, log: t.gateway.log });
    expect(await downlink.onLabelAssign({ id: 'l1', kit: 'van-1', taskId: 'T2', waybill: 'CP987654323DE' })).toBe(true);
    expect(await downlink.onLabelAssign({ id: 'l2', kit: 'van-2', taskId: 'T2', waybill: 'CP987654323DE' })).toBe(false);
    await waitUntil(() => stubs['/dev/label-1'].pages === 1, 'the label', 5000);
    const items = stubs['/dev/label-1'].last!.page.items;
    expect(items).toContainEqual({ t: 'barcode', data: 'CP987654323DE', height: 80 });
    expect(items).toContainEqual(expect.objectContaining({ t: 'text', text: 'Globex' }));
    expect(items).toContainEqual(expect.objectContaining({ t: 'text', text: '2 Hof, Berlin' }));
    expect(stubs['/dev/receipt-1'].pages).toBe(0);
  });
});
