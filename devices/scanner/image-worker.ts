/**
 * The worker_threads entry that decodes camera images off the gateway's event loop.
 * Messages in: { id, bytes }; out: { id, ok: true, scan } or { id, ok: false, error }.
 * The decode options come once, as workerData.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CodecError } from '../codec.js';
import { decodeImage, type ImageOptions } from './image.js';
import type { WorkerReply, WorkerRequest } from './image-decoder.js';

const options = (workerData ?? {}) as ImageOptions;

parentPort?.on('message', (request: WorkerRequest) => {
  const result = decodeImage(request.bytes, options);
  const reply: WorkerReply =
    result instanceof CodecError
      ? { id: request.id, ok: false, error: { protocol: result.protocol, code: result.code, message: result.message, input: result.input } }
      : { id: request.id, ok: true, scan: result };
  parentPort?.postMessage(reply);
});
