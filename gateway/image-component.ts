/**
 * Camera images from terminals (`events/image`): decoded in a worker thread, off the hot
 * path of scans and verdicts; each barcode found becomes a `scan` event of the same device, a
 * failure is answered on the device's errors topic and counted. The decoder (and its
 * worker, the only place the barcode library loads) starts with the first image, so a
 * gateway whose devices send none never loads it.
 */
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { ImageDecoder } from '../devices/scanner/image-decoder.js';
import { scanPayload } from '../devices/scanner/scan.js';
import { CodecError } from '../devices/codec.js';
import type { DeviceEvent } from '../devices/events.js';
import { topics } from '../core/topics.js';
import type { Broker } from './broker.js';
import type { EventBus } from './event-bus.js';
import type { Component, DeviceHost } from './runtime.js';

export interface ImageComponentOptions {
  bus: EventBus;
  broker: Broker;
  /** the runtime, whose device manager exists once the gateway has started */
  host: DeviceHost;
  log: Logger;
  registry: Registry;
  maxBytes?: number;
  /** the time budget of the barcode search in one image, ms */
  budgetMs?: number;
}

export class ImageComponent implements Component {
  readonly name = 'images';
  private decoder: Promise<{ decoder: ImageDecoder; module: typeof import('../devices/scanner/image-decoder.js') }> | undefined;
  private readonly results: Counter<'result'>;

  constructor(private readonly o: ImageComponentOptions) {
    this.results = new Counter({ name: 'cg_images_total', help: 'Camera images decoded, by result (scan or the error code)', labelNames: ['result'], registers: [o.registry] });
  }

  async start(): Promise<void> {
    this.o.bus.on('images', 'device-event', (e) => {
      if (e.type === 'image') void this.decode(e as DeviceEvent<'image'>);
    });
  }

  async stop(): Promise<void> {
    this.o.bus.off('images');
    const loaded = this.decoder;
    this.decoder = undefined;
    if (loaded) await (await loaded).decoder.close();
  }

  private async decode(e: DeviceEvent<'image'>): Promise<void> {
    this.decoder ??= import('../devices/scanner/image-decoder.js').then((module) => ({ module, decoder: module.createImageDecoder({ maxBytes: this.o.maxBytes, budgetMs: this.o.budgetMs }) }));
    const { module, decoder } = await this.decoder;
    const bytes = module.imageBytesFromPayload(e.payload, this.o.maxBytes);
    const result = bytes instanceof CodecError ? bytes : await decoder.decode(bytes);
    if (result instanceof CodecError) {
      this.results.inc({ result: result.code });
      this.o.broker.answerDevice(e.deviceId, result.code, result.message, { topic: topics.deviceEvent(e.deviceId, 'image') });
      return;
    }
    // every code in the photo is a scan of the device, the first as found first
    for (const read of module.scansOfImage(result)) {
      this.results.inc({ result: 'scan' });
      const scan = { ...scanPayload(read), source: 'image', ...(e.payload.at ? { at: e.payload.at } : {}) };
      const problem = this.o.host.devices.publishEvent(e.deviceId, e.kit, 'scan', scan);
      if (problem) this.o.log.warn({ device: e.deviceId, problem }, 'scan read from an image is not a valid scan event');
    }
  }
}
