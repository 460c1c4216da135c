/**
 * Valid inputs of every codec (PROTOCOLS.md vectors and their encoders' output), the
 * seeds the fuzz mutates, and the mutation arbitrary itself.
 */
import fc from 'fast-check';
import { fromHex } from '../../devices/codec.js';
import { encodeHidPosReports } from '../../devices/scanner/hid-pos.js';
import { encodeKeyboardReports } from '../../devices/scanner/keyboard-wedge.js';

export function hex(text: string): Uint8Array {
  const b = fromHex(text);
  if (b instanceof Uint8Array) return b;
  throw new Error(`bad vector ${text}`);
}

const GS = '\x1d';

export const binaryVectors: Record<string, Uint8Array[]> = {
  'hid-pos-scale': ['03 04 02 00 D2 04', '03 04 0B FF 2C 01', '03 02 02 00 00 00', '03 03 02 00 F4 01', '03 05 02 00 0A 00', '03 06 0B FF A0 0F'].map(hex),
  'ble-weight': ['00 86 38', '02 86 38 E8 07 05 11 09 1E 00', '0E 86 38 E8 07 05 11 09 1E 00 01 EC 00 D6 06', 'BF 01 00 00', '01 FF FF'].map(hex),
  'ble-weight-feature': ['BF 01 00 00', '00 00 00 00', 'FF FF FF FF'].map(hex),
  'continuous-scale': [hex('53 54 2C 47 53 2C 31 C4 2C 30 30 31 33 2E 35 30 30 20 6B 67 0D 0A'), Buffer.from('ST,GS,+  1.500kg\r\n', 'latin1'), Buffer.from('US,NT,1@,-0002.50 lb\r\n', 'latin1')],
  'hid-pos-scanner': [...encodeHidPosReports('RB123456785GB', { aim: ']C0' }), ...encodeHidPosReports('X'.repeat(120), { aim: ']Q1' })],
  lockboard: ['02 00 30 03 35', '02 00 31 03 36', '02 14 31 03 4A', '02 00 33 03 38', '02 00 35 FE FF 01 00 03 38', '02 F0 32 03 27'].map(hex),
  // ESC/POS: init, centre, text, feed, cut; Code 128; the DLE EOT status requests; bold and size
  escpos: ['1B 40 1B 61 01 48 69 0A 1D 56 42 03', '1D 6B 49 0D 7B 42 52 42 31 32 33 34 35 36 37 38 35', '10 04 01', '10 04 04 10 04 02', '1B 45 01 1D 21 11 41 0A 1B 64 02'].map(hex),
  'keyboard-report': ['RB1', 'x', '9!'].flatMap((code) => {
    const r = encodeKeyboardReports(code);
    return r instanceof Array ? r : [];
  }),
};

export const textVectors: Record<string, string[]> = {
  'mt-sics': ['S S     100.00 g', 'S D      99.98 g', 'S I', 'S +', 'S -', 'ES', 'ET', 'EL', 'Z A', 'Z I', 'T S      10.00 g', 'T A 5.0 kg', 'S S 1.5 lb\r\n'],
  'mt-sics-command': ['S', 'SI', 'SIR', 'Z', 'T', '@'],
  'serial-scanner': [']C0RB123456785GB\r\n', `]C100376123450000000016421276101151${GS}10LOT7\r\n`, ']Q1hello world\r', 'RB123456785GB\r\n', ']d2010952876543210123${GS}17250101\r\n'],
  waybill: ['RB123456785GB', 'RR123456785CN', 'RB123456786US', '1Z999AA10123456784', '(00)095287654321012346', '5901234123457', 'SF1234567890123', 'JDX123456789012', `]C100376123450000000016${GS}10LOT7`, '00376123450000000016'],
  nmea: [
    '$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47',
    '$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A',
    '$GPVTG,054.7,T,034.4,M,005.5,N,010.2,K*48',
    '$GPGSA,A,3,04,05,,09,12,,,24,,,,,2.5,1.3,2.1*39',
    '$GPGGA,092204.999,4250.5589,S,14718.5084,E,1,04,24.4,19.7,M,,,,0000*1F',
    '$GPVTG,054.7,T,034.4,M,005.5,N,010.2,K*49',
  ],
  tspl: [
    'SIZE 50 mm,30 mm\r\nCLS\r\nTEXT 16,16,"3",0,1,1,1,"Hi"\r\nPRINT 1,1\r\n',
    'SIZE 50 mm,30 mm\r\nGAP 2 mm,0\r\nCLS\r\nBARCODE 16,60,"128",80,1,0,2,2,"RB123456785GB"\r\nPRINT 1\r\n',
    '\x1b!?',
    'CLS\r\nTEXT 0,0,"2",0,1,1,"A \\"q\\" b"\r\n',
  ],
  gs1: [`00376123450000000016421276101151${GS}10LOT7`, '0109528765432103', `${GS}17250101${GS}10ABC`],
};

type Op = [kind: number, at: number, byte: number];

function applyOps(seed: Uint8Array, ops: Op[]): Uint8Array {
  let b = Array.from(seed);
  for (const [kind, at, byte] of ops) {
    const i = b.length === 0 ? 0 : at % (b.length + (kind === 1 ? 1 : 0));
    switch (kind) {
      case 0: // overwrite a byte
        if (b.length > 0) b[i % b.length] = byte;
        break;
      case 1: // insert a byte
        b.splice(i, 0, byte);
        break;
      case 2: // delete a byte
        b.splice(i, 1);
        break;
      case 3: // truncate
        b = b.slice(0, i);
        break;
      case 4: // flip one bit
        if (b.length > 0) b[i % b.length] ^= 1 << (byte % 8);
        break;
      default: // repeat a slice
        b.splice(i, 0, ...b.slice(i, i + 1 + (byte % 16)));
    }
  }
  return Uint8Array.from(b);
}

/** a valid input with 1 to 4 random edits */
export function mutated(seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(5), fc.nat(4096), fc.nat(255)), { minLength: 1, maxLength: 4 }))
    .map(([seed, ops]) => applyOps(seed, ops));
}

/** random bytes, mutated valid inputs, and the valid inputs themselves */
export function bytesArb(seeds: readonly Uint8Array[], maxLength = 96): fc.Arbitrary<Uint8Array> {
  return fc.oneof({ arbitrary: fc.uint8Array({ maxLength }), weight: 2 }, { arbitrary: mutated(seeds), weight: 3 }, { arbitrary: fc.constantFrom(...seeds), weight: 1 });
}

const latin1 = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

/** random text (bytes as latin1, and any Unicode), mutated valid lines, and the valid lines */
export function textArb(seeds: readonly string[], maxLength = 96): fc.Arbitrary<string> {
  const asBytes = seeds.map((s) => Uint8Array.from(Buffer.from(s, 'latin1')));
  return fc.oneof(
    { arbitrary: fc.uint8Array({ maxLength }).map(latin1), weight: 1 },
    { arbitrary: fc.string({ maxLength, unit: 'binary' }), weight: 1 },
    { arbitrary: mutated(asBytes).map(latin1), weight: 3 },
    { arbitrary: fc.constantFrom(...seeds), weight: 1 },
  );
}
