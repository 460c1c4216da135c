import { describe, expect, it } from 'vitest';
import { decodeEscposStatus, encodeEscPos, statusRequest } from '../../../devices/printer/escpos.js';
import { decodeTsplStatus, encodeTspl, tsplStatusQuery } from '../../../devices/printer/tspl.js';
import { PrinterStub } from '../../../firmware-stubs/printer/printer.js';
import { renderPage } from '../../../devices/printer/render.js';
import { decodeImage, type ImageScan } from '../../../devices/scanner/image.js';

const page = { items: [{ t: 'text' as const, text: 'Receipt 0A1-B2C3', bold: true, align: 'left' as const, scale: 1 as const }, { t: 'barcode' as const, data: 'RB123456785GB', height: 80 }] };

describe('printer stub', () => {
  it('ESC/POS: answers DLE EOT from its status bits and prints nothing while at fault', () => {
    const stub = new PrinterStub('escpos');
    expect(decodeEscposStatus(2, stub.receive(statusRequest(2), 0)[0])).toEqual({ coverOpen: false, paperOut: false, error: false });
    stub.setFault('cover-open', true);
    expect(decodeEscposStatus(1, stub.receive(statusRequest(1), 0)[0])).toEqual({ offline: true });
    expect(decodeEscposStatus(2, stub.receive(statusRequest(2), 0)[0])).toMatchObject({ coverOpen: true });
    stub.receive(encodeEscPos(page), 1);
    expect([stub.pages, stub.dropped]).toEqual([0, 1]);
    stub.setFault('cover-open', false);
    stub.receive(encodeEscPos(page), 2);
    expect(stub.pages).toBe(1);
    expect(stub.last).toMatchObject({ page, width: 384, at: 2 });
  });

  it('TSPL: answers ESC ! ? and keeps the label width', () => {
    const stub = new PrinterStub('tspl');
    stub.setFault('paper-out', true);
    expect(decodeTsplStatus(stub.receive(tsplStatusQuery, 0)[0])).toMatchObject({ paperOut: true, headOpen: false });
    stub.setFault('paper-out', false);
    stub.receive(encodeTspl({ items: [{ t: 'barcode', data: 'RB123456785GB', height: 80 }] }, { widthMm: 60, heightMm: 40, gapMm: 2 }), 5);
    expect(stub.last).toMatchObject({ width: 480, page: { items: [{ t: 'barcode', data: 'RB123456785GB' }] } });
  });

  it('what it printed renders to a PNG whose barcode reads back', async () => {
    const stub = new PrinterStub('escpos');
    stub.receive(encodeEscPos(page), 0);
    const png = await renderPage(stub.last!.page, stub.last!.width);
    expect((decodeImage(png) as ImageScan).code).toBe('RB123456785GB');
  });

  it('keeps the typed errors of what it could not parse', () => {
    const stub = new PrinterStub('tspl');
    stub.receive(Buffer.from('SELFTEST\r\n'), 0);
    expect(stub.errors.map((e) => e.code)).toEqual(['UNKNOWN_COMMAND']);
  });
});
