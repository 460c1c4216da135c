/**
 * The printer family: an ESC/POS receipt printer and a TSPL label printer, over a serial
 * line (RS-232, the USB serial class of most portable printers, a Bluetooth SPP port) or
 * TCP port 9100. One driver speaks both; the protocol picks the language.
 */
import { defineProtocol, type DecoderDefinition, type ProtocolDefinition } from '../driver.js';
import { PrinterDriver, type PrinterLanguage } from './driver.js';
import { decodeEscPos } from './escpos.js';
import { decodeTspl } from './tspl.js';
import { printerOptionsSchema } from './options.js';

export { PrinterDriver, type PrintJob, type PrinterLanguage } from './driver.js';
export { printerOptionsSchema, type PrinterOptions } from './options.js';

/** one protocol a printer language: the same options, transports and driver */
function printerProtocol(language: PrinterLanguage, summary: string, example: string): ProtocolDefinition {
  return defineProtocol({
    name: language,
    kind: 'printer',
    transports: ['serial', 'tcp'],
    serial: { baudRate: 9600 },
    summary,
    options: printerOptionsSchema,
    decoder: { name: language, example },
    playedBy: { stub: 'PrinterStub', simulator: 'PrinterSim' },
    driver: (ctx, options) => new PrinterDriver(ctx, options, language),
  });
}

export const escposPrinter = printerProtocol(
  'escpos',
  'ESC/POS receipt printer (serial, USB serial or TCP 9100): text, Code 128, cut; DLE EOT status',
  '1B 40 1B 61 01 48 69 0A 1D 56 42 03',
);

export const tsplPrinter = printerProtocol(
  'tspl',
  'TSPL label printer (TSC, portable Bluetooth label printers): TEXT, BARCODE 128, PRINT; ESC ! ? status',
  'SIZE 50 mm,30 mm\r\nCLS\r\nTEXT 16,16,"3",0,1,1,1,"Hi"\r\nPRINT 1,1\r\n',
);

export const decoders: DecoderDefinition[] = [
  {
    name: 'escpos',
    summary: 'ESC/POS bytes (hex) as pages of text, barcodes and feeds, and the status requests among them',
    input: 'hex',
    decode: (input) => decodeEscPos(typeof input === 'string' ? Buffer.from(input, 'latin1') : input),
  },
  {
    name: 'tspl',
    summary: 'TSPL commands (text, \\r\\n escapes) as label pages',
    input: 'text',
    decode: (input) => decodeTspl(typeof input === 'string' ? Buffer.from(input, 'latin1') : input),
  },
];

export const protocols: ProtocolDefinition[] = [escposPrinter, tsplPrinter];
