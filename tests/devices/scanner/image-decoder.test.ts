import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CodecError } from '../../../devices/codec.js';
import {
  createImageDecoder, imageBytesFromPayload, scanOfImage, workerEntryExists, type ImageDecoder,
} from '../../../devices/scanner/image-decoder.js';
import { onCanvas, renderBarcode, toPng } from './image-fixtures.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const fakeWorker = pathToFileURL(path.join(here, 'fake-image-worker.mjs'));
const open: ImageDecoder[] = [];
const track = (d: ImageDecoder): ImageDecoder => (open.push(d), d);

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(open.splice(0).map((d) => d.close()));
});

describe('createImageDecoder: where decoding runs', () => {
  it('runs in-process from the TypeScript sources (no compiled worker next to the module)', async () => {
    expect(workerEntryExists()).toBe(false);
    const decoder = track(createImageDecoder());
    expect(decoder.mode).toBe('in-process');
    const qr = await renderBarcode('qrcode', 'IN-PROCESS-1', { backgroundcolor: 'FFFFFF' });
    const r = await decoder.decode(toPng(onCanvas(qr, 640, 480)));
    expect(r).toMatchObject({ code: 'IN-PROCESS-1', symbology: 'qr' });
    expect(scanOfImage(r as Exclude<typeof r, CodecError>)).toEqual({ code: 'IN-PROCESS-1', symbology: 'qr', aim: ']Q1', raw: 'IN-PROCESS-1' });
  });

  it('uses the compiled worker entry when it exists, off the event loop', async () => {
    // mirror what tsc emits into dist/: the modules as .js side by side
    const out = path.join(root, 'tests/artifacts', `image-worker-${process.pid}`);
    const files = ['devices/codec.ts', 'devices/scanner/aim.ts', 'devices/scanner/gs1.ts', 'devices/scanner/scan.ts',
      'devices/scanner/image.ts', 'devices/scanner/image-options.ts', 'devices/scanner/image-search.ts', 'devices/scanner/image-views.ts', 'devices/scanner/image-load.ts', 'devices/scanner/image-worker.ts', 'devices/scanner/image-decoder.ts'];
    for (const f of files) {
      const js = ts.transpileModule(readFileSync(path.join(root, f), 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      }).outputText;
      mkdirSync(path.dirname(path.join(out, f)), { recursive: true });
      writeFileSync(path.join(out, f.replace(/\.ts$/, '.js')), js);
    }
    try {
      const compiled = (await import(pathToFileURL(path.join(out, 'devices/scanner/image-decoder.js')).href)) as typeof import('../../../devices/scanner/image-decoder.js');
      const decoder = track(compiled.createImageDecoder({ maxBytes: 1_000_000 }));
      expect(decoder.mode).toBe('worker');
      const qr = await renderBarcode('qrcode', 'IN-A-WORKER', { backgroundcolor: 'FFFFFF' });
      let turns = 0;
      const spin = setInterval(() => (turns += 1), 1);
      const r = await decoder.decode(toPng(onCanvas(qr, 640, 480, 15)));
      clearInterval(spin);
      expect(r).toMatchObject({ code: 'IN-A-WORKER', symbology: 'qr', image: { type: 'png', width: 640, height: 480 } });
      expect(turns).toBeGreaterThan(0); // the event loop kept turning while the image was decoded
      const refused = await decoder.decode(new Uint8Array([1, 2, 3]));
      expect(refused).toMatchObject({ code: 'NOT_AN_IMAGE', protocol: 'image' });
      expect(refused).toBeInstanceOf(Error); // rebuilt as a CodecError of the compiled module
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('createImageDecoder: the worker protocol', () => {
  const worker = (options = {}): ImageDecoder => track(createImageDecoder({ mode: 'worker', workerUrl: fakeWorker, maxBytes: 100, ...options }));

  it('answers each image with its own result, in order', async () => {
    const d = worker();
    const results = await Promise.all([d.decode(Uint8Array.of(1, 0)), d.decode(Uint8Array.of(4)), d.decode(Uint8Array.of(1, 0, 0))]);
    expect(results[0]).toMatchObject({ code: 'len2', maxBytes: 100 });
    expect(results[1]).toBeInstanceOf(CodecError);
    expect(results[1]).toMatchObject({ code: 'NO_BARCODE', input: '04' });
    expect(results[2]).toMatchObject({ code: 'len3' });
  });

  it('refuses an image over maxBytes before sending it', async () => {
    expect(await worker().decode(new Uint8Array(101).fill(1))).toMatchObject({ code: 'TOO_LARGE' });
  });

  it('abandons a decode after the time limit and carries on with a fresh worker', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const d = worker({ timeoutMs: 5000 });
    const stuck = d.decode(Uint8Array.of(2));
    const next = d.decode(Uint8Array.of(1));
    await vi.advanceTimersByTimeAsync(5001);
    expect(await stuck).toMatchObject({ code: 'TIMEOUT' });
    vi.useRealTimers();
    expect(await next).toMatchObject({ code: 'len1' });
  });

  it('survives a worker crash', async () => {
    const d = worker();
    expect(await d.decode(Uint8Array.of(3))).toMatchObject({ code: 'WORKER_FAILED', message: 'worker blew up' });
    expect(await d.decode(Uint8Array.of(1))).toMatchObject({ code: 'len1' });
  });

  it('bounds the queue and answers everything on close', async () => {
    const d = worker({ maxQueue: 1 });
    const a = d.decode(Uint8Array.of(2));
    const b = d.decode(Uint8Array.of(1));
    expect(await d.decode(Uint8Array.of(1))).toMatchObject({ code: 'BUSY' });
    await d.close();
    expect(await a).toMatchObject({ code: 'CLOSED' });
    expect(await b).toMatchObject({ code: 'CLOSED' });
    expect(await d.decode(Uint8Array.of(1))).toMatchObject({ code: 'CLOSED' });
  });
});

describe('createImageDecoder: memory bounds', () => {
  const worker = (options = {}): ImageDecoder => track(createImageDecoder({ mode: 'worker', workerUrl: fakeWorker, maxBytes: 1000, ...options }));

  it('bounds the bytes of the images waiting, not only their number', async () => {
    const d = worker({ maxQueue: 10, maxQueueBytes: 1500 });
    const busy = d.decode(new Uint8Array(10).fill(2)); // being decoded, never answers
    const a = d.decode(new Uint8Array(900).fill(1));
    expect(await d.decode(new Uint8Array(700).fill(1))).toMatchObject({ code: 'BUSY', message: expect.stringContaining('900 bytes') });
    const b = d.decode(new Uint8Array(500).fill(1));
    await d.close();
    for (const r of [busy, a, b]) expect(await r).toMatchObject({ code: 'CLOSED' });
  });

  it('caps the worker\'s heap: old and young generation and stack', async () => {
    const r = (await worker({ workerHeapMb: 128 }).decode(Uint8Array.of(5))) as { code: string };
    expect(JSON.parse(r.code)).toMatchObject({ maxOldGenerationSizeMb: 128, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 });
  });
});

describe('imageBytesFromPayload', () => {
  it('takes png or jpeg base64 and checks the size before decoding it', () => {
    expect(imageBytesFromPayload({ png: Buffer.from([1, 2, 3]).toString('base64') })).toEqual(Buffer.from([1, 2, 3]));
    expect(imageBytesFromPayload({ jpeg: 'A'.repeat(400) }, 100)).toMatchObject({ code: 'TOO_LARGE' });
    expect(imageBytesFromPayload({ png: 'not base64!' })).toMatchObject({ code: 'NOT_BASE64' });
    expect(imageBytesFromPayload({})).toMatchObject({ code: 'NO_IMAGE' });
  });
});
