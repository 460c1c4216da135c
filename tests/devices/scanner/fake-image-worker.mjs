// A stand-in for image-worker.js that speaks the same messages; its behaviour is picked by the first byte.
import { parentPort, resourceLimits, workerData } from 'node:worker_threads';

parentPort.on('message', ({ id, bytes }) => {
  switch (bytes[0]) {
    case 1:
      parentPort.postMessage({ id, ok: true, scan: { code: `len${bytes.length}`, raw: 'x', format: 'QR_CODE', image: { type: 'png', width: 1, height: 1 }, maxBytes: workerData.maxBytes } });
      break;
    case 2:
      break; // never answers
    case 3:
      throw new Error('worker blew up');
    case 5:
      parentPort.postMessage({ id, ok: true, scan: { code: JSON.stringify(resourceLimits), raw: 'x', format: 'QR_CODE', image: { type: 'png', width: 1, height: 1 } } });
      break;
    default:
      parentPort.postMessage({ id, ok: false, error: { protocol: 'image', code: 'NO_BARCODE', message: 'nothing', input: '04' } });
  }
});
