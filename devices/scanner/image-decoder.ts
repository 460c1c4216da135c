/**
 * Decodes camera images without holding up the event loop: a worker_threads Worker runs
 * image.ts when its compiled entry (image-worker.js) sits next to this module — as in
 * dist/ — and otherwise (the TypeScript sources under vitest, where no .js exists) the
 * decode runs in-process. One image at a time per decoder, a bounded queue, a time
 * limit that terminates a stuck worker, and a fresh worker after a crash. The decoder
 * itself (image.ts and the barcode library) is never imported here up front: the worker
 * loads it, and the in-process mode on its first image. The worker's
 * heap is capped (`resourceLimits`); its pixel buffers are bounded by the pixel cap,
 * checked on every PNG header before anything is inflated.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CodecError } from '../codec.js';
import { imageDefaults, type ImageOptions, type ImageScan } from './image-options.js';
import { decodeImageOnDemand } from './image-load.js';
import type { ScanRead } from './scan.js';

const protocol = 'image';

export interface WorkerRequest {
  id: number;
  bytes: Uint8Array;
}

export type WorkerReply =
  | { id: number; ok: true; scan: ImageScan }
  | { id: number; ok: false; error: { protocol: string; code: string; message: string; input: string | undefined } };

export interface ImageDecoderOptions extends ImageOptions {
  /** 'auto' (default): the worker when its compiled entry exists, else in-process */
  mode?: 'auto' | 'worker' | 'in-process';
  /** the worker entry; default image-worker.js next to this module */
  workerUrl?: URL;
  /** a decode taking longer is abandoned and its worker terminated; default 15 s */
  timeoutMs?: number;
  /** images waiting beyond the one being decoded; more are refused with BUSY; default 8 */
  maxQueue?: number;
  /** bytes of the images waiting; an image past it is refused with BUSY; default 16 MiB */
  maxQueueBytes?: number;
  /** old-generation heap limit of the worker, MB; default 256 (the young generation: 32, the stack: 4) */
  workerHeapMb?: number;
}

export interface ImageDecoder {
  /** 'worker' or 'in-process', as chosen at creation */
  readonly mode: 'worker' | 'in-process';
  decode(bytes: Uint8Array): Promise<ImageScan | CodecError>;
  close(): Promise<void>;
}

interface Job {
  id: number;
  bytes: Uint8Array;
  resolve(result: ImageScan | CodecError): void;
}

export const defaultWorkerUrl = new URL('./image-worker.js', import.meta.url);

export function workerEntryExists(url: URL = defaultWorkerUrl): boolean {
  return url.protocol === 'file:' && existsSync(fileURLToPath(url));
}

export function createImageDecoder(options: ImageDecoderOptions = {}): ImageDecoder {
  const url = options.workerUrl ?? defaultWorkerUrl;
  const mode = options.mode ?? 'auto';
  const useWorker = mode === 'worker' || (mode === 'auto' && workerEntryExists(url));
  return useWorker ? new WorkerImageDecoder(url, options) : new InProcessImageDecoder(options);
}

class InProcessImageDecoder implements ImageDecoder {
  readonly mode = 'in-process' as const;
  private closed = false;
  constructor(private readonly options: ImageOptions) {}

  async decode(bytes: Uint8Array): Promise<ImageScan | CodecError> {
    if (this.closed) return new CodecError(protocol, 'CLOSED', 'the image decoder is closed');
    await new Promise((resolve) => setImmediate(resolve));
    return decodeImageOnDemand(bytes, this.options);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

class WorkerImageDecoder implements ImageDecoder {
  readonly mode = 'worker' as const;
  private worker: Worker | undefined;
  private current: Job | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly queue: Job[] = [];
  private queuedBytes = 0;
  private nextId = 1;
  private closed = false;
  private readonly imageOptions: ImageOptions;

  constructor(private readonly url: URL, private readonly options: ImageDecoderOptions) {
    this.imageOptions = {
      maxBytes: options.maxBytes ?? imageDefaults.maxBytes,
      maxPixels: options.maxPixels ?? imageDefaults.maxPixels,
      tryRotated: options.tryRotated ?? imageDefaults.tryRotated,
      budgetMs: options.budgetMs ?? imageDefaults.budgetMs,
      all: options.all ?? imageDefaults.all,
    };
  }

  decode(bytes: Uint8Array): Promise<ImageScan | CodecError> {
    if (this.closed) return Promise.resolve(new CodecError(protocol, 'CLOSED', 'the image decoder is closed'));
    const maxBytes = this.imageOptions.maxBytes ?? imageDefaults.maxBytes;
    if (bytes.length > maxBytes) return Promise.resolve(new CodecError(protocol, 'TOO_LARGE', `${bytes.length} bytes > ${maxBytes}`));
    if (this.queue.length >= (this.options.maxQueue ?? 8)) {
      return Promise.resolve(new CodecError(protocol, 'BUSY', `${this.queue.length} images already waiting`));
    }
    const maxQueueBytes = this.options.maxQueueBytes ?? 16 * 1024 * 1024;
    if (this.queue.length > 0 && this.queuedBytes + bytes.length > maxQueueBytes) {
      return Promise.resolve(new CodecError(protocol, 'BUSY', `${this.queuedBytes} bytes of images already waiting`));
    }
    return new Promise((resolve) => {
      this.queuedBytes += bytes.length;
      this.queue.push({ id: this.nextId++, bytes: Uint8Array.from(bytes), resolve });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const pending = [...(this.current ? [this.current] : []), ...this.queue.splice(0)];
    this.queuedBytes = 0;
    this.finish(undefined);
    for (const job of pending) job.resolve(new CodecError(protocol, 'CLOSED', 'the image decoder was closed'));
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  private pump(): void {
    if (this.current || this.closed) return;
    const job = this.queue.shift();
    if (!job) {
      this.worker?.unref();
      return;
    }
    this.queuedBytes -= job.bytes.length;
    const worker = this.ensureWorker();
    worker.ref();
    this.current = job;
    this.timer = setTimeout(() => this.fail(job, 'TIMEOUT', `no answer within ${this.options.timeoutMs ?? 15_000} ms`), this.options.timeoutMs ?? 15_000);
    const request: WorkerRequest = { id: job.id, bytes: job.bytes };
    worker.postMessage(request, [job.bytes.buffer as ArrayBuffer]);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.url, {
      workerData: this.imageOptions,
      resourceLimits: { maxOldGenerationSizeMb: this.options.workerHeapMb ?? 256, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
    });
    worker.on('message', (reply: WorkerReply) => this.onReply(reply));
    worker.on('error', (e: Error) => {
      if (this.current) this.fail(this.current, 'WORKER_FAILED', e.message);
    });
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      if (this.current) this.fail(this.current, 'WORKER_FAILED', `the worker exited with code ${code}`);
    });
    this.worker = worker;
    return worker;
  }

  private onReply(reply: WorkerReply): void {
    const job = this.current;
    if (!job || reply.id !== job.id) return;
    this.finish(job);
    job.resolve(reply.ok ? reply.scan : new CodecError(reply.error.protocol, reply.error.code, reply.error.message, reply.error.input));
    this.pump();
  }

  /** Fails the job, throws the worker away (a stuck or broken worker is not reused) and goes on. */
  private fail(job: Job, code: string, message: string): void {
    if (this.current !== job) return;
    this.finish(job);
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
    job.resolve(new CodecError(protocol, code, message));
    this.pump();
  }

  private finish(job: Job | undefined): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (job === undefined || this.current === job) this.current = undefined;
  }
}

/** The scan fields of an image result, as a `scan` event carries them. */
export function scanOfImage(result: ImageScan): ScanRead {
  const { format: _format, image: _image, others: _others, search: _search, ...scan } = result;
  return scan;
}

/** Every code of an image result as scans: the first, then the others in the order found. */
export function scansOfImage(result: ImageScan): ScanRead[] {
  return [scanOfImage(result), ...(result.others ?? []).map(({ format: _format, ...scan }) => scan)];
}

/** Base64 of an `events/image` payload -> bytes, checking the size before decoding the base64. */
export function imageBytesFromPayload(payload: { png?: string; jpeg?: string }, maxBytes: number = imageDefaults.maxBytes): Uint8Array | CodecError {
  const text = payload.png ?? payload.jpeg;
  if (typeof text !== 'string' || text.length === 0) return new CodecError(protocol, 'NO_IMAGE', 'one of png or jpeg (base64) is required');
  if (Math.floor((text.length * 3) / 4) > maxBytes + 3) return new CodecError(protocol, 'TOO_LARGE', `base64 of ${text.length} characters exceeds ${maxBytes} bytes`);
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text.replace(/\s+/g, ''))) return new CodecError(protocol, 'NOT_BASE64', 'the image is not base64', text.slice(0, 32));
  return Buffer.from(text, 'base64');
}
