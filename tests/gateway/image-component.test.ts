/**
 * Camera images through the image component: the decoder loads with the first image, a
 * barcode found becomes a scan event of the same device, a bad image is answered on the
 * device's errors topic, and stop closes the decoder.
 */
import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { EventBus } from '../../gateway/event-bus.js';
import { ImageComponent } from '../../gateway/image-component.js';
import type { Broker } from '../../gateway/broker.js';
import type { DeviceHost } from '../../gateway/runtime.js';
import type { DeviceEvent } from '../../devices/events.js';
import { onCanvas, renderBarcode, toPng } from '../devices/scanner/image-fixtures.js';

function setup(budgetMs?: number) {
  const log = pino({ level: 'silent' });
  const bus = new EventBus(log);
  const answered: { deviceId: string; code: string }[] = [];
  const published: { deviceId: string; kit: string; type: string; payload: Record<string, unknown> }[] = [];
  const broker = { answerDevice: (deviceId: string, code: string) => void answered.push({ deviceId, code }) } as unknown as Broker;
  const host = { devices: { publishEvent: (deviceId: string, kit: string, type: string, payload: Record<string, unknown>) => void published.push({ deviceId, kit, type, payload }) } } as unknown as DeviceHost;
  const registry = new Registry();
  const component = new ImageComponent({ bus, broker, host, log, registry, budgetMs });
  const image = (payload: Record<string, unknown>) =>
    bus.emit('device-event', { deviceId: 'term-1', kit: 'kit-1', type: 'image', payload } as unknown as DeviceEvent<'image'>);
  return { bus, answered, published, registry, component, image };
}

describe('ImageComponent', () => {
  it('turns a barcode in an image into a scan of the same device, and answers a bad image', async () => {
    const t = setup();
    await t.component.start();
    const qr = await renderBarcode('qrcode', 'FROM-A-CAMERA', { backgroundcolor: 'FFFFFF' });
    t.image({ png: Buffer.from(toPng(onCanvas(qr, 320, 240))).toString('base64') });
    await vi.waitFor(() => expect(t.published).toHaveLength(1), { timeout: 10_000 });
    expect(t.published[0]).toMatchObject({ deviceId: 'term-1', kit: 'kit-1', type: 'scan', payload: { code: 'FROM-A-CAMERA', source: 'image' } });
    t.image({ png: Buffer.from([1, 2, 3]).toString('base64') });
    await vi.waitFor(() => expect(t.answered).toHaveLength(1), { timeout: 10_000 });
    expect(t.answered[0]).toEqual({ deviceId: 'term-1', code: 'NOT_AN_IMAGE' });
    expect(await t.registry.getSingleMetricAsString('cg_images_total')).toMatch(/result="scan"} 1/);
    await t.component.stop();
  });

  it('publishes a scan for each code of a photo of two labels', async () => {
    // what is read, not how fast: a loaded machine must not change the result
    const t = setup(60_000);
    await t.component.start();
    const qr = await renderBarcode('qrcode', 'LABEL-ONE', { backgroundcolor: 'FFFFFF', scale: 3 });
    const dm = await renderBarcode('datamatrix', 'LABEL-TWO', { backgroundcolor: 'FFFFFF', scale: 4 });
    const canvas = onCanvas(qr, 640, 320);
    const right = onCanvas(dm, 320, 320);
    // the right half of the photo shows the second label
    for (let y = 0; y < 320; y++) canvas.data.set(right.data.subarray(y * 320 * 4, (y + 1) * 320 * 4), (y * 640 + 320) * 4);
    const left = onCanvas(qr, 320, 320);
    for (let y = 0; y < 320; y++) canvas.data.set(left.data.subarray(y * 320 * 4, (y + 1) * 320 * 4), y * 640 * 4);
    t.image({ png: Buffer.from(toPng(canvas)).toString('base64') });
    await vi.waitFor(() => expect(t.published).toHaveLength(2), { timeout: 20_000 });
    expect(t.published.map((p) => p.payload.code).sort()).toEqual(['LABEL-ONE', 'LABEL-TWO']);
    expect(t.published.every((p) => p.type === 'scan' && p.deviceId === 'term-1')).toBe(true);
    expect(await t.registry.getSingleMetricAsString('cg_images_total')).toMatch(/result="scan"} 2/);
    await t.component.stop();
  });

  it('stops without loading a decoder when no image came, and hears no image after stop', async () => {
    const t = setup();
    await t.component.start();
    await t.component.stop();
    t.image({ png: 'AAAA' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(t.answered).toEqual([]);
    expect(t.published).toEqual([]);
  });
});
