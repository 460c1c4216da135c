/**
 * Every vector of PROTOCOLS.md sections 1-6 through the compiled CLI
 * (`courier-gw decode <codec> <input>`, built by `npm run -s build`): JSON
 * out with the values the document gives, grams and `stable` for the scales; a typed
 * error is JSON too and exits 1. `decode image` on Code 128 and QR pictures made here
 * with bwip-js, upright and turned by 15 degrees on a 640x480 canvas.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import bwipjs from 'bwip-js';
import { PNG } from 'pngjs';
import { cliPath, runToEnd } from '../helpers/process.js';

interface Decoded {
  code: number | null;
  json: Record<string, unknown>;
}

const runs = new Map<string, Promise<Decoded>>();
/** one CLI run per codec and input (the checks that look at the same output share it) */
function decode(codec: string, input: string): Promise<Decoded> {
  const key = `${codec}\u0000${input}`;
  let run = runs.get(key);
  if (!run) runs.set(key, (run = decodeOnce(codec, input)));
  return run;
}

async function decodeOnce(codec: string, input: string): Promise<Decoded> {
  const { code, output } = await runToEnd(process.execPath, [cliPath, 'decode', codec, input], { timeoutMs: 30_000 });
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(output) as Record<string, unknown>;
  } catch {
    throw new Error(`decode ${codec} "${input}" printed no JSON (exit ${code}):\n${output}`);
  }
  return { code, json };
}

type Vector = { codec: string; input: string; expected: Record<string, unknown>; note: string };

const KEYBOARD_PRESSES = ['02 00 15', '02 00 05', '00 00 1E', '00 00 1F', '00 00 20', '00 00 21', '00 00 22', '00 00 23', '00 00 24', '00 00 25', '00 00 22', '02 00 0A', '02 00 05', '00 00 28'];
const HID_POS_SCANNER = `02 0D 5D 43 30 52 42 31 32 33 34 35 36 37 38 35 47 42${' 00'.repeat(61 - 18)} 6A 00 00`;

const vectors: Vector[] = [
  // 1. HID POS scales
  { codec: 'hid-pos-scale', input: '03 04 02 00 D2 04', note: 'stable, 1234 g', expected: { grams: 1234, stable: true, status: 'ok', unit: 'g' } },
  { codec: 'hid-pos-scale', input: '03 04 0B FF 2C 01', note: 'stable, 30.0 oz = 850.5 g', expected: { grams: 850.5, stable: true, unit: 'oz', weight: 30 } },
  { codec: 'hid-pos-scale', input: '03 02 02 00 00 00', note: 'stable at zero', expected: { grams: 0, stable: true, status: 'zero' } },
  { codec: 'hid-pos-scale', input: '03 03 02 00 F4 01', note: 'in motion, 500 g, not final', expected: { grams: 500, stable: false, status: 'motion' } },
  { codec: 'hid-pos-scale', input: '03 05 02 00 0A 00', note: 'under zero, 10 g below', expected: { grams: -10, stable: false, status: 'under' } },
  { codec: 'hid-pos-scale', input: '03 06 0B FF A0 0F', note: 'over weight limit', expected: { grams: expect.any(Number), stable: false, status: 'over' } },
  // 2. BLE weight scales
  { codec: 'ble-weight', input: '00 86 38', note: '72.35 kg', expected: { grams: 72350, weight: 72.35, unit: 'kg', stable: true } },
  {
    codec: 'ble-weight', input: '02 86 38 E8 07 05 11 09 1E 00', note: '72.35 kg at 2024-05-17 09:30:00',
    expected: { grams: 72350, stable: true, timestamp: { year: 2024, month: 5, day: 17, hours: 9, minutes: 30, seconds: 0 } },
  },
  {
    codec: 'ble-weight', input: '0E 86 38 E8 07 05 11 09 1E 00 01 EC 00 D6 06', note: '72.35 kg, timestamp, user 1, BMI 23.6, height 1.750 m',
    expected: { grams: 72350, stable: true, userId: 1, bmi: 23.6, height: 1.75, heightUnit: 'm', timestamp: { year: 2024, month: 5, day: 17 } },
  },
  {
    codec: 'ble-weight', input: 'BF 01 00 00', note: 'feature: timestamp, multi-user, BMI, 0.005 kg, 0.001 m',
    expected: {
      grams: null, stable: false, timestampSupported: true, multipleUsersSupported: true, bmiSupported: true,
      weightResolution: { kg: 0.005 }, heightResolution: { m: 0.001 },
    },
  },
  // 3.1 MT-SICS
  { codec: 'mt-sics', input: 'S S     100.00 g', note: '100.00 g stable', expected: { type: 'weight', grams: 100, stable: true } },
  { codec: 'mt-sics', input: 'S D      99.98 g', note: '99.98 g dynamic', expected: { type: 'weight', grams: 99.98, stable: false } },
  { codec: 'mt-sics', input: 'S I', note: 'busy: no reading', expected: { grams: null, stable: false, condition: 'busy' } },
  { codec: 'mt-sics', input: 'S +', note: 'overload', expected: { grams: null, stable: false, condition: 'overload' } },
  // 3.2 continuous output
  {
    codec: 'continuous-scale', input: '53 54 2C 47 53 2C 31 C4 2C 30 30 31 33 2E 35 30 30 20 6B 67 0D 0A', note: 'ST,GS,1·,0013.500 kg',
    expected: { grams: 13500, stable: true, mode: 'gross', id: '1', lamp: 0xc4 },
  },
  {
    codec: 'continuous-scale', input: Buffer.from('ST,GS,+  1.500kg\r\n', 'latin1').toString('hex'), note: 'no id and lamp',
    expected: { grams: 1500, stable: true, mode: 'gross' },
  },
  // 4.1 keyboard wedge: every press followed by its release
  {
    codec: 'hid-keyboard', input: KEYBOARD_PRESSES.flatMap((p) => [p, '00']).join(', '), note: 'RB123456785GB + Enter',
    expected: { scans: [expect.objectContaining({ code: 'RB123456785GB' })], pending: '', errors: [] },
  },
  // 4.2 HID POS scanner
  { codec: 'hid-pos-scanner', input: HID_POS_SCANNER, note: ']C0 RB123456785GB, last report', expected: { code: 'RB123456785GB', symbology: 'code128', aim: ']C0' } },
  // 4.3 serial scanners
  { codec: 'serial-scanner', input: ']C0RB123456785GB\\r\\n', note: 'Code 128', expected: { code: 'RB123456785GB', symbology: 'code128', aim: ']C0' } },
  {
    codec: 'serial-scanner', input: ']C10037612345000000001642127610115\\x1d10LOT7\\r\\n', note: 'GS1-128 SSCC + 421 + 10',
    expected: {
      symbology: 'gs1-128',
      gs1: [
        { ai: '00', value: '376123450000000016' },
        { ai: '421', value: '27610115' },
        { ai: '10', value: 'LOT7' },
      ],
    },
  },
  // 6. lock boards
  { codec: 'lockboard', input: '02 00 30 03 35', note: 'query board 0', expected: { type: 'query', board: 0 } },
  { codec: 'lockboard', input: '02 00 31 03 36', note: 'unlock board 0, lock 1', expected: { type: 'unlock', board: 0, lock: 1 } },
  { codec: 'lockboard', input: '02 14 31 03 4A', note: 'unlock board 1, lock 5', expected: { type: 'unlock', board: 1, lock: 5 } },
  { codec: 'lockboard', input: '02 00 33 03 38', note: 'unlock all of board 0', expected: { type: 'unlock-all', board: 0 } },
  {
    codec: 'lockboard', input: '02 00 35 FE FF 01 00 03 38', note: 'state of board 0',
    expected: { type: 'state', board: 0, lockBits: 0xfffe, irBits: 0x0001 },
  },
];

/**
 * 5. NMEA 0183: the five sentences go through one CLI run, one per line (the nmea decoder
 * answers several lines with an array, in order); the bad checksum gets its own run below.
 */
const nmeaVectors: Vector[] = [
  {
    codec: 'nmea', input: '$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47', note: 'GGA',
    expected: { type: 'GGA', lat: 48.1173, quality: 1, satellites: 8, hdop: 0.9, altitudeM: 545.4 },
  },
  {
    codec: 'nmea', input: '$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A', note: 'RMC: 48.1173 N, 11.5167 E, 41.5 km/h, 84.4°, 1994-03-23 12:35:19 UTC',
    expected: { type: 'RMC', valid: true, lat: 48.1173, speedKmh: 41.5, courseDeg: 84.4, at: '1994-03-23T12:35:19.000Z' },
  },
  { codec: 'nmea', input: '$GPVTG,054.7,T,034.4,M,005.5,N,010.2,K*48', note: 'VTG', expected: { type: 'VTG', courseTrueDeg: 54.7, speedKmh: 10.2 } },
  {
    codec: 'nmea', input: '$GPGSA,A,3,04,05,,09,12,,,24,,,,,2.5,1.3,2.1*39', note: 'GSA 3D',
    expected: { type: 'GSA', fix: '3d', satelliteIds: [4, 5, 9, 12, 24], pdop: 2.5, hdop: 1.3, vdop: 2.1 },
  },
  {
    codec: 'nmea', input: '$GPGGA,092204.999,4250.5589,S,14718.5084,E,1,04,24.4,19.7,M,,,,0000*1F', note: 'GGA, southern hemisphere',
    expected: { type: 'GGA', quality: 1, satellites: 4, hdop: 24.4, altitudeM: 19.7 },
  },
];
const nmeaBatch = (): Promise<Decoded> => decode('nmea', nmeaVectors.map((v) => v.input).join('\\r\\n'));

/** inputs each codec must refuse with a typed error (JSON with `error` and `protocol`), exit 1 */
const refusals: { codec: string; input: string; error: string; note: string }[] = [
  { codec: 'mt-sics', input: 'ES', error: 'DEVICE_ES', note: "the scale's syntax-error reply" },
  { codec: 'hid-pos-scale', input: '03 04 02 00 D2', error: 'WRONG_LENGTH', note: '5 bytes' },
  { codec: 'hid-pos-scale', input: '03 04 02 00 D2 0', error: 'NOT_HEX', note: 'odd hex' },
  { codec: 'mt-sics', input: 'S S 12.0 parsecs', error: 'UNKNOWN_UNIT', note: 'unknown unit' },
  { codec: 'nmea', input: '$GPVTG,054.7,T,034.4,M,005.5,N,010.2,K*49', error: 'BAD_CHECKSUM', note: 'PROTOCOLS.md bad checksum' },
  { codec: 'lockboard', input: '02 14 31 03 4B', error: 'BAD_CHECKSUM', note: 'sum off by one' },
];

describe('courier-gw decode: PROTOCOLS.md vectors', () => {
  it.concurrent.for(vectors)('$codec $input ($note)', async (v, { expect }) => {
    const { code, json } = await decode(v.codec, v.input);
    expect(json).toMatchObject(v.expected);
    expect(code).toBe(0);
  });

  it.concurrent.for(nmeaVectors.map((v, i) => ({ ...v, i })))('nmea $input ($note)', async (v, { expect }) => {
    const { code, json } = await nmeaBatch();
    expect(code).toBe(0);
    expect(Array.isArray(json)).toBe(true);
    expect((json as unknown as unknown[]).length).toBe(nmeaVectors.length);
    expect((json as unknown as Record<string, unknown>[])[v.i]).toMatchObject(v.expected);
  });

  it('gives the RMC and GGA positions in signed degrees', async () => {
    const [, rmc, , , south] = (await nmeaBatch()).json as unknown as { lat: number; lon: number }[];
    expect(rmc.lon).toBeCloseTo(11.5167, 4);
    expect(south.lat).toBeCloseTo(-(42 + 50.5589 / 60), 6);
    expect(south.lon).toBeCloseTo(147 + 18.5084 / 60, 6);
  });

  it('shows each lock of a state reply: lock 1 has the other bit and something inside', async () => {
    const { json } = await decode('lockboard', '02 00 35 FE FF 01 00 03 38');
    const locks = json.locks as Record<string, { lockBit: number; ir: boolean }>;
    expect(locks['1']).toEqual({ lockBit: 0, ir: true });
    for (let lock = 2; lock <= 16; lock++) expect(locks[String(lock)]).toEqual({ lockBit: 1, ir: false });
  });

  it.concurrent.for(refusals)('$codec "$input" is a typed error, exit 1 ($note)', async (r, { expect }) => {
    const { code, json } = await decode(r.codec, r.input);
    expect(code).toBe(1);
    expect(typeof json.error).toBe('string');
    expect(typeof json.protocol).toBe('string');
    expect(json.error).toBe(r.error);
    expect(json).not.toHaveProperty('grams');
  });
});

// ---- camera images ----

interface Canvas {
  width: number;
  height: number;
  data: Buffer;
}

/** draws src centred on a white width x height canvas, turned by `degrees` (nearest neighbour) */
function placeOnWhite(src: PNG, width: number, height: number, degrees: number): Canvas {
  const data = Buffer.alloc(width * height * 4, 0xff);
  const rad = (degrees * Math.PI) / 180;
  const cos = Math.cos(rad);
  const sin = Math.sin(rad);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // the source pixel that lands on (x, y): turn back around the centres
      const dx = x - width / 2;
      const dy = y - height / 2;
      const sx = Math.round(cos * dx + sin * dy + src.width / 2);
      const sy = Math.round(-sin * dx + cos * dy + src.height / 2);
      if (sx < 0 || sy < 0 || sx >= src.width || sy >= src.height) continue;
      const s = (sy * src.width + sx) * 4;
      const d = (y * width + x) * 4;
      src.data.copy(data, d, s, s + 4);
    }
  }
  return { width, height, data };
}

async function barcodePng(file: string, bcid: string, text: string, degrees: number, extra: Record<string, unknown>): Promise<void> {
  const png = await bwipjs.toBuffer({ bcid, text, backgroundcolor: 'FFFFFF', paddingwidth: 10, paddingheight: 10, ...extra } as Parameters<typeof bwipjs.toBuffer>[0]);
  const src = PNG.sync.read(png);
  const canvas = placeOnWhite(src, 640, 480, degrees);
  const out = new PNG({ width: canvas.width, height: canvas.height });
  canvas.data.copy(out.data);
  await writeFile(file, PNG.sync.write(out));
}

const WAYBILL = 'RB123456785GB';
const QR_TEXT = 'https://track.example.com/p/RR123456785CN';
let imageDir: string;

beforeAll(async () => {
  imageDir = await mkdtemp(path.join(os.tmpdir(), 'cg-decode-image-'));
  await barcodePng(path.join(imageDir, 'code128.png'), 'code128', WAYBILL, 0, { scale: 2, height: 30 });
  await barcodePng(path.join(imageDir, 'code128-15.png'), 'code128', WAYBILL, 15, { scale: 2, height: 30 });
  await barcodePng(path.join(imageDir, 'qr.png'), 'qrcode', QR_TEXT, 0, { scale: 4 });
  await barcodePng(path.join(imageDir, 'qr-15.png'), 'qrcode', QR_TEXT, 15, { scale: 4 });
  await writeFile(path.join(imageDir, 'blank.png'), PNG.sync.write(Object.assign(new PNG({ width: 64, height: 48 }), { data: Buffer.alloc(64 * 48 * 4, 0xff) })));
  await writeFile(path.join(imageDir, 'not-an-image.png'), 'hello');
});

afterAll(async () => {
  if (imageDir) await rm(imageDir, { recursive: true, force: true });
});

describe('courier-gw decode image', () => {
  const cases = [
    { file: 'code128.png', code: WAYBILL, symbology: 'code128', format: 'CODE_128' },
    { file: 'code128-15.png', code: WAYBILL, symbology: 'code128', format: 'CODE_128' },
    { file: 'qr.png', code: QR_TEXT, symbology: 'qr', format: 'QR_CODE' },
    { file: 'qr-15.png', code: QR_TEXT, symbology: 'qr', format: 'QR_CODE' },
  ];
  it.concurrent.for(cases)('reads $file (640x480)', async (c, { expect }) => {
    const { code, json } = await decode('image', path.join(imageDir, c.file));
    expect(json).toMatchObject({ code: c.code, symbology: c.symbology, format: c.format, image: { type: 'png', width: 640, height: 480 } });
    expect(code).toBe(0);
  });

  const refused = [
    { file: 'blank.png', error: /^NO_BARCODE$/ },
    { file: 'not-an-image.png', error: /^NOT_AN_IMAGE$/ },
    { file: 'missing.png', error: /^(FILE_UNREADABLE|READ_FAILED)$/ },
  ];
  it.concurrent.for(refused)('refuses $file with a typed error, exit 1', async (r, { expect }) => {
    const { code, json } = await decode('image', path.join(imageDir, r.file));
    expect(json.protocol).toBe('image');
    expect(json.error).toMatch(r.error);
    expect(code).toBe(1);
  });
});
